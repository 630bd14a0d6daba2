/*
 * stop.c: stop every other CPU for a short critical section (cell
 * swapping rewrites code that they may be running). Each target parks in
 * the VEC_STOP interrupt with interrupts off, serving TLB shootdowns while
 * it waits (the initiator changes page protections). A CPU inside a
 * preemption-disabled region may hold a lock the initiator needs (the
 * page-table lock is taken with interrupts on), so it does not park then:
 * the initiator asks again until every CPU is parked outside such regions.
 * State: the stop request in flight.
 */
#include "smp.h"
#include "apic.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "tsc.h"

#define VEC_STOP 0xF2

static struct spinlock stop_lock = SPINLOCK_INIT;
static volatile bool stopping;
static volatile uint32_t parked;    /* bit per parked CPU */

void smp_serve_shootdown(void);

static void
stop_irq(struct trap_frame *f)
{
	apic_eoi();
	struct percpu *pc = this_cpu();
	if (!stopping || pc->preempt_count)
		return; /* not now: the initiator will ask again */
	uint32_t bit = 1u << pc->id;
	pc->stop_frame = f; /* where this CPU's task was: swapping checks it */
	__atomic_or_fetch(&parked, bit, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		smp_serve_shootdown();
		cpu_relax();
	}
	pc->stop_frame = NULL;
	__atomic_and_fetch(&parked, ~bit, __ATOMIC_ACQ_REL);
	/* returning with iretq is serializing: modified code is refetched */
}

static uint32_t
others(void)
{
	uint32_t m = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (c != cpu_id() && percpu_of(c)->online)
			m |= 1u << c;
	return m;
}

/* returns with interrupts off and every other CPU parked */
bool
smp_stop_others(void)
{
	bool irq = irq_save();
	spin_lock_raw(&stop_lock);
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	uint32_t want = others();
	uint64_t t0 = tsc_ns();
	while ((__atomic_load_n(&parked, __ATOMIC_ACQUIRE) & want) != want) {
		uint32_t missing = want & ~__atomic_load_n(&parked, __ATOMIC_ACQUIRE);
		for (unsigned c = 0; c < MAX_CPUS; c++)
			if (missing & (1u << c))
				apic_send_ipi(percpu_of(c)->apic_id, VEC_STOP);
		uint64_t t1 = tsc_ns();
		while (tsc_ns() - t1 < 20000 && (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) & want) != want) {
			smp_serve_shootdown();
			cpu_relax();
		}
		if (tsc_ns() - t0 > 2000000000ULL) /* a CPU that never parks: give up */
			break;
	}
	return irq;
}

void
smp_resume_others(bool irq)
{
	__atomic_store_n(&stopping, false, __ATOMIC_RELEASE);
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
		cpu_relax();
	spin_unlock_raw(&stop_lock);
	irq_restore(irq);
}

int
smp_stop_init(void)
{
	int err = exc_register_irq(VEC_STOP, stop_irq);
	return err == E_BUSY ? E_OK : err;
}
