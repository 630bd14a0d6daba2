/*
 * test_smp: work really spreads over the CPUs, pinning holds, and a
 * mapping removed on one CPU is gone on the others (TLB shootdown).
 */
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "klibc.h"
#include "ktest.h"
#include "memory.h"
#include "mm_acct.h"
#include "smp.h"
#include "task.h"
#include "tsc.h"
#include "acpi.h"
#include "apic.h"

static uint64_t
where_am_i(uint64_t spin_ns)
{
	uint64_t t0 = tsc_ns();
	while (tsc_ns() - t0 < spin_ns)
		cpu_relax();
	return cpu_id();
}

KTEST(all_cpus_online_and_pinning_holds)
{
	unsigned n = cpu_count_online();
	KT_ASSERT(n >= 2);
	for (unsigned c = 0; c < n; c++) {
		int err;
		struct task_builder b = TASK_BUILDER(where_am_i, (uint64_t)1000000);
		b.pin = (int)c;
		_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
		KT_ASSERT(t);
		uint64_t v;
		KT_OK(task_join(t, &v));
		KT_EQ(v, c);
	}
}

KTEST(tasks_spread_over_cpus)
{
	enum { N = 64 };
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (int i = 0; i < N; i++) {
		struct task_builder b = TASK_BUILDER(where_am_i, (uint64_t)2000000);
		KT_OK(task_group_spawn(&g, &b));
	}
	uint64_t v[N];
	KT_OK(task_group_join(&g, v));
	unsigned used = 0;
	for (int i = 0; i < N; i++)
		used |= 1u << v[i];
	KT_EQ(used, (1u << cpu_count_online()) - 1); /* every CPU ran some */
}

struct probe {
	volatile uint64_t *addr;
	volatile int stage;   /* 0 start, 1 read once, 2 go read again */
	uint64_t first;
	struct fault_info fault;
};

static uint64_t
reader(struct probe *p)
{
	p->first = *p->addr; /* the translation is now in this CPU's TLB */
	__atomic_store_n(&p->stage, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&p->stage, __ATOMIC_ACQUIRE) != 2)
		cpu_relax();
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		uint64_t v = *p->addr; /* must fault: the page is gone */
		fault_catch_disarm(&c);
		return v;
	}
	p->fault = c.info;
	return 0xdead;
}

/* a page holding 0x5eed (*mp), read once by a task on CPU `other`, which
 * then holds the translation in its TLB and waits for stage 2; the task,
 * or NULL (nothing left mapped) */
static struct task *
read_elsewhere(struct probe *p, unsigned other, struct mapped_pages **mp, int *err)
{
	*mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, err);
	volatile uint64_t *w = *mp ? MP_AS_MUT(*mp, uint64_t, 0, err) : NULL;
	if (!w)
		return NULL;
	*w = 0x5eed;
	*p = (struct probe){ w, 0, 0, { 0 } };
	struct task_builder b = TASK_BUILDER(reader, p);
	b.pin = (int)other;
	struct task *t = task_spawn(&b, err);
	if (!t) {
		mp_drop(*mp);
		return NULL;
	}
	while (__atomic_load_n(&p->stage, __ATOMIC_ACQUIRE) != 1)
		cpu_relax();
	return t;
}

KTEST(tlb_shootdown_across_cpus)
{
	int err;
	struct smp_stats before, after;
	smp_stats(&before);
	unsigned me = cpu_id(), other = (me + 1) % cpu_count_online();
	KT_ASSERT(other != me);
	struct probe p = { 0 };
	struct mapped_pages *mp = NULL;
	_cleanup_(task_unref_p) struct task *t = read_elsewhere(&p, other, &mp, &err);
	if (!t)
		KT_FAIL("map or spawn: %s", err_str(err));
	volatile uint64_t *w = p.addr;
	/* unmapped here; the other CPU drops its TLB entry with the next
	 * batched flush (docs/memory.md: lazy unmaps), which settling forces */
	mp_drop(mp);
	mm_acct_settle();
	__atomic_store_n(&p.stage, 2, __ATOMIC_RELEASE);
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_EQ(p.first, 0x5eed);
	KT_EQ(v, 0xdead);
	KT_EQ(p.fault.vector, 14);
	KT_EQ(p.fault.cr2, (uint64_t)(uintptr_t)w);
	smp_stats(&after);
	KT_ASSERT(after.shootdowns > before.shootdowns);
}

/* A lazy unmap keeps the frame until every CPU has flushed: a CPU still
 * holding the old translation reads the old contents (or faults, once it
 * has flushed), never memory someone else has been given meanwhile. */
KTEST(lazy_unmap_keeps_frames_until_flushed)
{
	int err;
	unsigned other = (cpu_id() + 1) % cpu_count_online();
	struct probe p = { 0 };
	struct mapped_pages *mp = NULL;
	_cleanup_(task_unref_p) struct task *t = read_elsewhere(&p, other, &mp, &err);
	if (!t)
		KT_FAIL("map or spawn: %s", err_str(err));
	mp_drop(mp);
	/* others get frames now, each marked: none may be the dropped one */
	static struct mapped_pages *taken[64];
	for (int i = 0; i < 64; i++) {
		taken[i] = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
		volatile uint64_t *x = taken[i] ? MP_AS_MUT(taken[i], uint64_t, 0, &err) : NULL;
		if (x)
			*x = 0xbad;
	}
	__atomic_store_n(&p.stage, 2, __ATOMIC_RELEASE);
	uint64_t v;
	int je = task_join(t, &v);
	for (int i = 0; i < 64; i++)
		mp_drop(taken[i]);
	KT_OK(je);
	KT_ASSERT(v == 0x5eed || v == 0xdead);
}

static volatile uint32_t serial_irqs;

static void
com1_irq(struct trap_frame *f)
{
	(void)f;
	(void)inb(0x3F8 + 2); /* IIR: acknowledge the UART */
	outb(0x3F8 + 1, 0);   /* interrupts off again: the console is polled */
	serial_irqs++;
	apic_eoi();
}

/*
 * COM1 is the console's in a normal boot (the tty cell routes it to its
 * own vector, 0x24, with receive interrupts on): the test borrows the line
 * on a vector of its own and puts back the routing and the UART's
 * interrupt enable as they were, so the console still answers after it.
 */
KTEST(ioapic_routes_a_device_interrupt)
{
	const uint8_t vec = 0x2e; /* nobody else's */
	uint32_t gsi = acpi_info()->isa_irq_gsi[4]; /* COM1 */
	int err = exc_register_irq(vec, com1_irq);
	KT_ASSERT(err == E_OK || err == E_BUSY); /* E_BUSY: ours, from an earlier run */
	uint64_t saved;
	KT_OK(ioapic_entry_get(gsi, &saved));
	serial_irqs = 0;
	bool irq = irq_save();
	uint8_t ier = inb(0x3F8 + 1);
	outb(0x3F8 + 1, 0); /* nothing from the UART until we are routed */
	KT_OK(ioapic_route(gsi, vec, this_cpu()->apic_id, false, false));
	outb(0x3F8 + 1, 0x02); /* "transmitter empty" interrupts: fires at once */
	irq_restore(irq);
	uint64_t t0 = tsc_ns();
	while (!serial_irqs && tsc_ns() - t0 < 100000000)
		cpu_relax();
	irq = irq_save();
	outb(0x3F8 + 1, 0);
	KT_OK(ioapic_entry_set(gsi, saved));
	outb(0x3F8 + 1, ier); /* the console's receive interrupt, if it had one */
	irq_restore(irq);
	KT_ASSERT(serial_irqs > 0);
	KT_EQ(ioapic_route(9999, vec, 0, false, false), E_NOENT);
}
