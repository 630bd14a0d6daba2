/*
 * shootdown.c: TLB shootdown and scheduler kicks by IPI.
 *
 * Synchronous (pt_flush, hooked here): the local TLB is flushed, every
 * other online CPU gets VEC_TLB and the initiator waits until all have
 * flushed. One request is in flight at a time; a CPU that waits (for the
 * request lock or for acknowledgements) also serves a request addressed
 * to itself, so two CPUs shooting at each other with interrupts off
 * cannot deadlock. Protection changes, unmaps of cells' sections and of
 * large ranges, and page-table reclaim use it.
 *
 * Asynchronous full flushes (pt_flush_all_start/pt_flush_done, for the
 * memory cell's lazy unmaps): generation numbers. Starting one bumps
 * `gen` and sends VEC_TLB only to CPUs whose flushed generation is older
 * (a CPU that has flushed since cannot hold the translations: no IPI);
 * a CPU serving it reads `gen`, reloads CR3, then records what it read.
 * The flush is done once every online CPU has recorded at least its
 * generation; nobody waits unless the memory cell needs the memory back.
 */
#define LOG_TAG "smp"
#include "cell_mgr.h"
#include "smp.h"
#include "apic.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "page_table.h"
#include "task.h"
#include "tsc.h"

static struct spinlock req_lock = SPINLOCK_INIT;
static volatile uint64_t req_va;
static volatile size_t req_n;
static volatile uint32_t pending; /* bit per CPU still to flush */
static struct smp_stats st;
static uint64_t gen;               /* full flushes asked for (atomic) */
static uint64_t flushed[MAX_CPUS]; /* the gen each CPU has flushed for (atomic) */
static uint64_t last_wake_ns;      /* re-wake parked CPUs at most this often */

static void
flush_local(uint64_t va, size_t n)
{
	if (n > 64) {
		write_cr3(read_cr3()); /* cheaper than 64+ invlpg */
		return;
	}
	for (size_t i = 0; i < n; i++)
		invlpg(va + i * PAGE_SIZE);
}

/* serve a request for this CPU, if there is one */
static void
serve(void)
{
	uint32_t bit = 1u << cpu_id();
	if (__atomic_load_n(&pending, __ATOMIC_ACQUIRE) & bit) {
		flush_local(req_va, req_n);
		__atomic_and_fetch(&pending, ~bit, __ATOMIC_ACQ_REL);
	}
}

/* a full flush if this CPU is behind the asked-for generation */
static void
serve_gen(void)
{
	unsigned me = cpu_id();
	uint64_t g = __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&flushed[me], __ATOMIC_ACQUIRE) >= g)
		return;
	write_cr3(read_cr3()); /* after reading g: covers every unmap before it */
	uint64_t old = __atomic_load_n(&flushed[me], __ATOMIC_RELAXED);
	while (old < g && !__atomic_compare_exchange_n(&flushed[me], &old, g, false, __ATOMIC_RELEASE,
						      __ATOMIC_RELAXED))
		;
}

static void
serve_all(void)
{
	serve();
	serve_gen();
}

void smp_serve_shootdown(void);
bool smp_shootdown_pending(void);
void smp_wake_parked(uint32_t mask);

void
smp_serve_shootdown(void)
{
	serve_all();
}

/* a request addressed to this CPU, not served yet */
bool
smp_shootdown_pending(void)
{
	return (__atomic_load_n(&pending, __ATOMIC_ACQUIRE) & (1u << cpu_id())) ||
	       __atomic_load_n(&flushed[cpu_id()], __ATOMIC_ACQUIRE) < __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
}

static void
tlb_irq(struct trap_frame *f)
{
	(void)f;
	serve_all();
	apic_eoi();
}

/* online CPUs whose flushed generation is older than g */
static uint32_t
behind(uint64_t g)
{
	uint32_t m = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (percpu_of(c)->online && __atomic_load_n(&flushed[c], __ATOMIC_ACQUIRE) < g)
			m |= 1u << c;
	return m;
}

static uint64_t
flush_all_start(void)
{
	uint64_t g = __atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
	bool irq = irq_save();
	serve_gen(); /* this CPU */
	uint32_t m = behind(g) & ~(1u << cpu_id());
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (m & (1u << c))
			apic_send_ipi(percpu_of(c)->apic_id, VEC_TLB);
	smp_wake_parked(m); /* CPUs parked by smp_stop_others halt with interrupts off */
	irq_restore(irq);
	return g;
}

static bool
flush_all_done(uint64_t g)
{
	uint32_t m = behind(g);
	if (!m)
		return true;
	serve_gen(); /* (we may be among them) */
	/* a parked CPU may have halted just as we sent: wake it again */
	uint64_t now = tsc_ns();
	if (now - __atomic_load_n(&last_wake_ns, __ATOMIC_RELAXED) > 50000) {
		__atomic_store_n(&last_wake_ns, now, __ATOMIC_RELAXED);
		smp_wake_parked(m);
	}
	return false;
}

static void
shootdown(uint64_t va, size_t n)
{
	flush_local(va, n);
	uint32_t others = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct percpu *p = percpu_of(c);
		if (c != cpu_id() && p->online)
			others |= 1u << c;
	}
	if (!others)
		return;
	bool irq = irq_save();
	while (!spin_trylock_raw(&req_lock))
		serve_all();
	req_va = va;
	req_n = n;
	__atomic_store_n(&pending, others, __ATOMIC_RELEASE);
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (others & (1u << c))
			apic_send_ipi(percpu_of(c)->apic_id, VEC_TLB);
	/* CPUs parked by smp_stop_others halt with interrupts off: wake them
	 * (again after a while, should one have halted just as we sent) */
	smp_wake_parked(others);
	for (uint64_t t1 = tsc_ns(); __atomic_load_n(&pending, __ATOMIC_ACQUIRE);) {
		if (tsc_ns() - t1 > 50000) {
			smp_wake_parked(__atomic_load_n(&pending, __ATOMIC_ACQUIRE));
			t1 = tsc_ns();
		}
		cpu_relax();
	}
	st.shootdowns++;
	for (uint32_t m = others; m; m &= m - 1) /* no libgcc: count bits by hand */
		st.shootdown_ipis++;
	spin_unlock_raw(&req_lock);
	irq_restore(irq);
}

static void
kick_irq(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
	task_tick_resched();
}

static void
kick(unsigned cpu)
{
	struct percpu *p = percpu_of(cpu);
	if (p && p->online && cpu != cpu_id()) {
		st.kicks++;
		apic_send_ipi(p->apic_id, VEC_KICK);
	}
}

void shootdown_init(void);

void
shootdown_init(void)
{
	int e1 = exc_register_irq(VEC_TLB, tlb_irq);
	int e2 = exc_register_irq(VEC_KICK, kick_irq);
	(void)e1; /* only fails if already registered: then it is ours */
	(void)e2;
	/* a CPU coming online starts with an empty TLB */
	for (unsigned c = 0; c < MAX_CPUS; c++)
		__atomic_store_n(&flushed[c], __atomic_load_n(&gen, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	pt_set_wait_hook(serve_all);
	spin_wait_hook = serve_all; /* a CPU spinning on a lock still flushes */
	pt_set_flush_hook(shootdown);
	pt_set_async_flush_hooks(flush_all_start, flush_all_done);
	task_set_kick_hook(kick);
}

void
smp_stats(struct smp_stats *out)
{
	*out = st;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(smp_stats);
