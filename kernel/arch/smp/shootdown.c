/*
 * shootdown.c: TLB shootdown and scheduler kicks by IPI.
 *
 * Every unmap goes through pt_flush, which this cell hooks: the local TLB
 * is flushed, every other online CPU gets VEC_TLB and the initiator waits
 * until all have flushed. One request is in flight at a time; a CPU that
 * waits (for the request lock or for acknowledgements) also serves a
 * request addressed to itself, so two CPUs shooting at each other with
 * interrupts off cannot deadlock.
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

void smp_serve_shootdown(void);
bool smp_shootdown_pending(void);
void smp_wake_parked(uint32_t mask);

void
smp_serve_shootdown(void)
{
	serve();
}

/* a request addressed to this CPU, not served yet */
bool
smp_shootdown_pending(void)
{
	return __atomic_load_n(&pending, __ATOMIC_ACQUIRE) & (1u << cpu_id());
}

static void
tlb_irq(struct trap_frame *f)
{
	(void)f;
	serve();
	apic_eoi();
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
		serve();
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
	pt_set_wait_hook(serve);
	spin_wait_hook = serve; /* a CPU spinning on a lock still flushes */
	pt_set_flush_hook(shootdown);
	task_set_kick_hook(kick);
}

void
smp_stats(struct smp_stats *out)
{
	*out = st;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(smp_stats);
