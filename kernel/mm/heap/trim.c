/*
 * trim.c: heap_trim gives every CPU's magazines back to their slabs, then
 * every empty slab and cached large region back to the page and frame
 * allocators.
 *
 * A CPU's magazines are used by the task running there with preemption
 * off and no atomic instruction (heap.c), so another CPU may take them
 * only once that CPU is sure to leave them alone. heap_trim raises every
 * CPU's `stolen` count (a full barrier), then waits until each online CPU
 * has taken two timer interrupts since (an interrupt serializes: a
 * magazine access that starts after it reads `stolen` raised and goes to
 * the slabs instead) and is then seen outside any preemption-off region
 * (so the access in flight at the interrupt is over): about two timer
 * periods. A CPU that does not get there within TRIM_WAIT_NS (interrupts
 * off, or parked, or preemption off all that time) keeps its magazines.
 * Concurrent trims take turns draining. Task context only.
 * State: trim_lock.
 */
#define LOG_TAG "heap"
#include "heap.h"
#include "heap_int.h"
#include "base.h"
#include "cpu.h"
#include "tsc.h"

#define TRIM_WAIT_NS (200 * 1000 * 1000UL)
#define TRIM_TICKS 2

static struct spinlock trim_lock = SPINLOCK_INIT;

/* the stolen counts this trim raised (dropped on every exit, unwinding
 * included, so a trimming task that dies gives the magazines back) */
struct trim_hold {
	bool held;
};

static struct trim_hold
trim_hold_all(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		__atomic_add_fetch(&heap_cpus[i].stolen, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (struct trim_hold){ true };
}

static void
trim_hold_drop(struct trim_hold *t)
{
	if (!t->held)
		return;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		__atomic_sub_fetch(&heap_cpus[i].stolen, 1, __ATOMIC_RELEASE);
	t->held = false;
}

/* which CPUs are sure to leave their magazines alone now: a bit each */
static uint32_t
wait_for_cpus(void)
{
	uint64_t t0[MAX_CPUS];
	uint32_t ready = 0, want = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct percpu *pc = percpu_of(i);
		t0[i] = __atomic_load_n(&pc->ticks, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
			want |= 1u << i;
		else
			ready |= 1u << i; /* no task has run there: nothing to take */
	}
	uint64_t start = tsc_ns();
	while ((ready & want) != want && tsc_ns() - start < TRIM_WAIT_NS) {
		for (unsigned i = 0; i < MAX_CPUS; i++) {
			struct percpu *pc = percpu_of(i);
			if (!(want & ~ready & (1u << i)))
				continue;
			if (__atomic_load_n(&pc->ticks, __ATOMIC_ACQUIRE) >= t0[i] + TRIM_TICKS &&
			    __atomic_load_n(&pc->preempt_count, __ATOMIC_ACQUIRE) == 0)
				ready |= 1u << i;
		}
		cpu_relax();
	}
	return ready;
}

void
heap_trim(void)
{
	{
		_cleanup_(trim_hold_drop) struct trim_hold hold = trim_hold_all();
		uint32_t ready = wait_for_cpus();
		for (unsigned i = 0; i < MAX_CPUS; i++) {
			if (!(ready & (1u << i)))
				continue;
			for (unsigned c = 0; c < NCLASSES; c++) {
				size_t n;
				do {
					struct region_hdr *rel[MAG_RELEASE];
					{
						_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&trim_lock);
						n = heap_mag_drain(&heap_cpus[i].mag[c], 0, rel);
					}
					for (size_t k = 0; k < n; k++)
						heap_slab_release(rel[k]);
				} while (n == MAG_RELEASE);
			}
		}
	}
	heap_release_empty_slabs();
	heap_release_cached_large();
}
