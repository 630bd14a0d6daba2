/*
 * stop.c: stop every other CPU for a short critical section (cell
 * swapping rewrites code that they may be running). Each target parks in
 * the VEC_STOP interrupt with interrupts off, halted: under emulation a
 * spinning CPU would take the host's cores from the one doing the work
 * (the pause would stretch by whole host time slices). An NMI wakes a
 * parked CPU - to serve a TLB shootdown (smp_wake_parked) or to let it go
 * (release_parked, which sends again until every CPU has left: an NMI
 * that lands between the last check and hlt is not lost for good).
 * A CPU inside a preemption-disabled region may hold a lock the initiator
 * needs (the page-table lock is taken with interrupts on), so it does not
 * park then: the initiator asks again until every CPU is parked outside
 * such regions.
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
bool smp_shootdown_pending(void);

static void
stop_irq(struct trap_frame *f)
{
	apic_eoi();
	struct percpu *pc = this_cpu();
	if (!stopping || pc->preempt_count)
		return; /* not now: the initiator will ask again */
	uint32_t bit = 1u << pc->id;
	pc->stop_frame = f; /* where this CPU's task was: swapping checks it */
	pc->stop_nmi = false; /* (a late NMI of the last park has come by now) */
	__atomic_or_fetch(&parked, bit, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		smp_serve_shootdown();
		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE) && !smp_shootdown_pending())
			cpu_halt(); /* interrupts are off: only an NMI wakes us */
	}
	pc->stop_frame = NULL;
	__atomic_and_fetch(&parked, ~bit, __ATOMIC_ACQ_REL);
	/* returning with iretq is serializing: modified code is refetched */
}

/* an NMI we sent: nothing to do but return (to the instruction after
 * hlt); any other NMI is reported as before */
static bool
stop_nmi(struct trap_frame *f)
{
	(void)f;
	struct percpu *pc = this_cpu();
	/* recovery's lockup detector's NMI is a fault, whatever a past park left */
	return pc->stop_nmi && !__atomic_load_n(&pc->lockup_nmi, __ATOMIC_ACQUIRE);
}

/* wake the parked CPUs among mask (they go back to hlt if still stopped) */
void
smp_wake_parked(uint32_t mask)
{
	mask &= __atomic_load_n(&parked, __ATOMIC_ACQUIRE);
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (mask & (1u << c)) {
			struct percpu *pc = percpu_of(c);
			pc->stop_nmi = true;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			apic_send_nmi(pc->apic_id);
		}
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

/* let every parked CPU go and wait until each has left stop_irq */
static void
release_parked(void)
{
	__atomic_store_n(&stopping, false, __ATOMIC_RELEASE);
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE)) {
		smp_wake_parked(~0u);
		uint64_t t1 = tsc_ns();
		while (tsc_ns() - t1 < 50000 && __atomic_load_n(&parked, __ATOMIC_ACQUIRE))
			cpu_relax();
	}
}

/*
 * Park every other online CPU within bound_ns. E_OK: they are parked and
 * this CPU's interrupts are off (*irq: their state before, for
 * smp_resume_others). E_TIMEDOUT: *missing has a bit per CPU that did not
 * park in time (interrupts off, or inside a preemption-disabled region,
 * for the whole bound); the others were let go again, interrupts are as
 * they were, and nothing is held: a guaranteed pause, or none.
 */
int
smp_stop_others(uint64_t bound_ns, bool *irq, uint32_t *missing)
{
	*irq = irq_save();
	*missing = 0;
	spin_lock_raw(&stop_lock);
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	uint32_t want = others();
	uint64_t t0 = tsc_ns();
	while ((__atomic_load_n(&parked, __ATOMIC_ACQUIRE) & want) != want) {
		uint32_t absent = want & ~__atomic_load_n(&parked, __ATOMIC_ACQUIRE);
		if (tsc_ns() - t0 > bound_ns) {
			*missing = absent;
			release_parked();
			spin_unlock_raw(&stop_lock);
			irq_restore(*irq);
			return E_TIMEDOUT;
		}
		for (unsigned c = 0; c < MAX_CPUS; c++)
			if (absent & (1u << c))
				apic_send_ipi(percpu_of(c)->apic_id, VEC_STOP);
		uint64_t t1 = tsc_ns();
		while (tsc_ns() - t1 < 20000 && (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) & want) != want) {
			smp_serve_shootdown();
			cpu_relax();
		}
	}
	return E_OK;
}

void
smp_resume_others(bool irq)
{
	release_parked();
	spin_unlock_raw(&stop_lock);
	irq_restore(irq);
}

int
smp_stop_init(void)
{
	int err = exc_register_irq(VEC_STOP, stop_irq);
	if (err && err != E_BUSY)
		return err;
	return exc_register_fault_handler(2, stop_nmi);
}
