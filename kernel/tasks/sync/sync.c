/*
 * sync.c: guards and the blocking mutex. The blocking mutex is handed
 * directly to the woken waiter's retry (no ownership transfer): waiters
 * recheck `owner == NULL` under the wait queue's discipline, so a wake-up
 * cannot be lost and a task killed while waiting simply leaves the queue.
 */
#include "sync.h"
#include "cpu.h"
#include "base.h"

/* the guards' own acquire and release are the raw operations: what they
 * do under the lock is a store or two, which cannot fault */
struct guard
spin_irq_lock(struct spinlock *l)
{
	bool on = spin_lock_irq(l);
	return (struct guard){ GUARD_SPIN_IRQ, l, on };
}

struct guard
mutex_preempt_lock(struct spinlock *l)
{
	preempt_disable();
	spin_lock_raw(l);
	return (struct guard){ GUARD_PREEMPT, l, false };
}

void
mutex_init(struct mutex *m)
{
	m->lock = (struct spinlock)SPINLOCK_INIT;
	m->owner = NULL;
	waitq_init(&m->waiters);
}

static bool
try_take(struct mutex *m)
{
	struct task *me = task_current();
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&m->lock);
	bool got = m->owner == NULL;
	if (got)
		m->owner = me;
	return got;
}

static bool
mutex_free(void *ctx)
{
	struct mutex *m = ctx;
	return __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) == NULL;
}

struct guard
mutex_lock(struct mutex *m)
{
	while (!try_take(m))
		waitq_wait_until(&m->waiters, mutex_free, m);
	return (struct guard){ GUARD_MUTEX, m, false };
}

int
mutex_trylock(struct mutex *m, struct guard *g)
{
	if (!try_take(m))
		return E_BUSY;
	*g = (struct guard){ GUARD_MUTEX, m, false };
	return E_OK;
}

bool
mutex_held_by_me(const struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) == task_current();
}

static void
mutex_unlock(struct mutex *m)
{
	{
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&m->lock);
		m->owner = NULL;
	}
	waitq_wake_one(&m->waiters);
}

void
guard_drop(struct guard *g)
{
	switch (g->kind) {
	case GUARD_SPIN_IRQ:
		spin_unlock_irq(g->lock, g->irq_was_on);
		break;
	case GUARD_PREEMPT:
		spin_unlock_raw(g->lock);
		preempt_enable();
		break;
	case GUARD_MUTEX:
		mutex_unlock(g->lock);
		break;
	case GUARD_NONE:
		break;
	}
	g->kind = GUARD_NONE;
}

void
cond_init(struct cond *c)
{
	waitq_init(&c->q);
	c->seq = 0;
}

struct cond_wait_ctx {
	struct cond *c;
	uint64_t seq;
};

static bool
signalled(void *ctx)
{
	struct cond_wait_ctx *w = ctx;
	return __atomic_load_n(&w->c->seq, __ATOMIC_ACQUIRE) != w->seq;
}

void
cond_wait(struct cond *c, struct guard *g)
{
	struct cond_wait_ctx w = { c, __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) };
	struct mutex *m = g->lock;
	guard_drop(g);
	waitq_wait_until(&c->q, signalled, &w);
	*g = mutex_lock(m);
}

void
cond_signal(struct cond *c)
{
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_ACQ_REL);
	waitq_wake_one(&c->q);
}

void
cond_broadcast(struct cond *c)
{
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_ACQ_REL);
	waitq_wake_all(&c->q);
}
