/*
 * spinlock: a test-and-test-and-set lock that also disables interrupts on
 * the local CPU while held (an interrupt handler taking the same lock would
 * otherwise deadlock). Owned lock guards that unwinding releases build on
 * this in the sync cell. State: the lock word, in the object it guards.
 */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include "base.h"

struct spinlock {
	volatile uint32_t locked;
};

#define SPINLOCK_INIT { 0 }

static inline bool
spin_irq_save_(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	return f & (1UL << 9);
}

static inline bool
spin_trylock_raw(struct spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

/* spinlock.c: a lock still taken after 2^32 TSC cycles (over a second)
 * makes the spinner fail
 * (spin_stuck_hook); meanwhile spin_wait_hook serves other CPUs' needs */
void spin_lock_slow(struct spinlock *l);
extern void (*spin_wait_hook)(void);
extern void (*spin_stuck_hook)(struct spinlock *l);

static inline void
spin_lock_raw(struct spinlock *l)
{
	if (!spin_trylock_raw(l))
		spin_lock_slow(l);
}

static inline void
spin_unlock_raw(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* returns whether interrupts were enabled, to pass to spin_unlock_irq */
static inline bool __must_check
spin_lock_irq(struct spinlock *l)
{
	bool on = spin_irq_save_();
	spin_lock_raw(l);
	return on;
}

static inline void
spin_unlock_irq(struct spinlock *l, bool irq_was_on)
{
	spin_unlock_raw(l);
	if (irq_was_on)
		__asm__ volatile("sti" ::: "memory");
}

/*
 * An owned guard for the cells the sync cell is built on (the task layer:
 * sync depends on task, so task cannot use sync's guards). Held in a
 * _cleanup_(spin_guard_drop) variable, the lock is released on every exit
 * path, including unwinding when the holder faults or is killed.
 *
 *   _cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&l);
 */
struct spin_guard {
	struct spinlock *l;    /* NULL: holds nothing */
	bool irq_was_on;
};

static inline struct spin_guard __must_check
spin_guard_irq(struct spinlock *l)
{
	bool on = spin_lock_irq(l);
	return (struct spin_guard){ l, on };
}

/* the drop function: release the lock, restore interrupts */
static inline void
spin_guard_drop(struct spin_guard *g)
{
	if (g->l) {
		spin_unlock_irq(g->l, g->irq_was_on);
		g->l = NULL;
	}
}

/* release the lock but leave interrupts off (a waiter about to switch
 * away); returns whether they were on, for the caller to restore */
static inline bool __must_check
spin_guard_unlock_irqoff(struct spin_guard *g)
{
	spin_unlock_raw(g->l);
	g->l = NULL;
	return g->irq_was_on;
}

#endif
