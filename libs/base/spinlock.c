/*
 * spinlock.c: the slow path of taking a spin lock. A lock that stays
 * taken for over SPIN_STUCK_CYCLES is no longer believed: its word was
 * corrupted, or its holder died without releasing it. The exceptions
 * cell's hook then resets the lock and makes the spinning task fail (it
 * unwinds like a faulting one, with the lock's address, so recovery can
 * reload the cell whose data holds it) instead of spinning for ever with
 * interrupts off.
 * While it spins, the wait hook serves what other CPUs need from this one
 * (TLB shootdowns), so one stuck CPU does not stop the others.
 * State: the two hooks (set once at boot).
 */
#include "spinlock.h"

/* 2^32 cycles: over a second at the TSC rates of today's machines */
#define SPIN_STUCK_CYCLES (1ULL << 32)

void (*spin_wait_hook)(void);
void (*spin_stuck_hook)(struct spinlock *l);

static inline uint64_t
cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void
spin_lock_slow(struct spinlock *l)
{
	uint64_t t0 = cycles();
	for (unsigned n = 1;; n++) {
		if (!__atomic_load_n(&l->locked, __ATOMIC_RELAXED) && spin_trylock_raw(l))
			return;
		__asm__ volatile("pause");
		if (n % 256)
			continue;
		if (spin_wait_hook)
			spin_wait_hook();
		if (cycles() - t0 > SPIN_STUCK_CYCLES && spin_stuck_hook) {
			spin_stuck_hook(l); /* does not return when it can unwind us */
			t0 = cycles();
		}
	}
}
