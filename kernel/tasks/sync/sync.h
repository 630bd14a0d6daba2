/*
 * sync: locks whose guards are owned objects. Taking a lock returns a
 * guard; the guard's drop releases it, so a guard held in a _cleanup_
 * variable is released on every exit path - and by unwinding when a task
 * dies (thesis 6.3.2: MutexPreempt, MutexIrqSafe).
 *
 *   _cleanup_(guard_drop) struct guard g = mutex_preempt_lock(&m);
 *
 * Kinds: spin_irq (spinlock + interrupts off), mutex_preempt (spinlock +
 * preemption off), mutex (blocking: sleeps on a wait queue), and cond
 * (a condition variable used with a blocking mutex).
 * State: none of its own; each lock lives in the object it guards.
 */
#ifndef SYNC_H
#define SYNC_H

#include "base.h"
#include "task.h"

enum guard_kind { GUARD_NONE, GUARD_SPIN_IRQ, GUARD_PREEMPT, GUARD_MUTEX };

struct mutex {
	struct spinlock lock;     /* guards owner */
	struct task *owner;
	struct waitq waiters;
};
#define MUTEX_INIT { SPINLOCK_INIT, NULL, WAITQ_INIT }

struct guard {
	enum guard_kind kind;
	void *lock;
	bool irq_was_on;
};

/* the drop function (for _cleanup_): releases whatever the guard holds */
void guard_drop(struct guard *g);
/* move a guard (the source becomes empty) */
static inline struct guard
guard_take(struct guard *g)
{
	struct guard t = *g;
	g->kind = GUARD_NONE;
	return t;
}

struct guard spin_irq_lock(struct spinlock *l) __must_check;
struct guard mutex_preempt_lock(struct spinlock *l) __must_check;
struct guard mutex_lock(struct mutex *m) __must_check;
/* E_BUSY if taken; *g is set only on success */
int mutex_trylock(struct mutex *m, struct guard *g) __must_check;
bool mutex_held_by_me(const struct mutex *m);
void mutex_init(struct mutex *m);

struct cond {
	struct waitq q;
	uint64_t seq;
};
void cond_init(struct cond *c);
/* release the guard's mutex, wait for a signal, take it again */
void cond_wait(struct cond *c, struct guard *g);
void cond_signal(struct cond *c);
void cond_broadcast(struct cond *c);

#endif
