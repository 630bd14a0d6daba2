/*
 * waitq.c: wait queues. A waiter links a node that lives on its own stack
 * (so a wait allocates nothing), marks itself blocked under the queue's
 * lock, and switches away; a waker unlinks nodes and wakes their tasks.
 * The condition is re-checked under the lock, so no wake-up is lost.
 */
#include "task.h"
#include "cpu.h"
#include "task_int.h"
#include "base.h"
#include "tsc.h"

struct waitq_node {
	struct task *t;
	struct qlink link;
	bool queued;
};

void
waitq_init(struct waitq *q)
{
	q->lock = (struct spinlock)SPINLOCK_INIT;
	qlist_init(&q->waiters);
}

static void
unlink_node(struct waitq *q, struct waitq_node *n)
{
	if (qlist_unlink(&q->waiters, &n->link))
		n->queued = false;
}

/* a waiter's node is an owned object: leaving its scope - normally or by
 * unwinding - takes it off the queue */
struct waitq_wait {
	struct waitq *q;
	struct waitq_node n;
};

static void
waitq_leave(struct waitq_wait *w)
{
	if (!w->n.queued)
		return;
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&w->q->lock);
	unlink_node(w->q, &w->n);
}

/* the kill shield a wait holds: lowered when the wait ends, also when it
 * unwinds (its condition faulted) */
static struct task *
shield_take(struct task *t)
{
	t->kill_shield++;
	return t;
}

static void
shield_drop(struct task **t)
{
	if (*t)
		(*t)->kill_shield--;
	*t = NULL;
}

/* under q's lock (held by g): queue the waiter (once), mark it blocked and
 * drop the lock; the caller switches away (interrupts stay off until it
 * does) and restores the returned interrupt state */
static bool
start_blocking(struct waitq_wait *w, struct task *cur, struct spin_guard *g)
{
	if (!w->n.queued) {
		qlist_push(&w->q->waiters, &w->n.link);
		w->n.queued = true;
	}
	__atomic_store_n(&cur->state, TASK_BLOCKED, __ATOMIC_RELEASE);
	return spin_guard_unlock_irqoff(g);
}

/* done(ctx) runs under q's lock, held in a guard: if it faults, unwinding
 * releases the lock, lowers the shield and takes the node off the queue */
void
waitq_wait_until(struct waitq *q, bool (*done)(void *ctx), void *ctx)
{
	struct task *cur = task_current();
	_cleanup_(waitq_leave) struct waitq_wait w = { q, { cur, { NULL }, false } };
	/* kills are delivered here, not by interrupts, while we wait */
	_cleanup_(shield_drop) struct task *shield = shield_take(cur);
	for (;;) {
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&q->lock);
		if (done(ctx) || __atomic_load_n(&cur->kill_pending, __ATOMIC_ACQUIRE)) {
			if (w.n.queued)
				unlink_node(q, &w.n);
			spin_guard_drop(&g);
			shield_drop(&shield);
			task_check_kill(); /* killed while waiting: unwind from here */
			return;
		}
		bool irq = start_blocking(&w, cur, &g);
		sched_schedule();
		irq_restore(irq);
		if (irq)
			task_reap();
	}
}

static size_t
wake(struct waitq *q, size_t max)
{
	size_t n = 0;
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&q->lock);
	while (!qlist_empty(&q->waiters) && n < max) {
		struct waitq_node *w = qlist_entry(qlist_pop(&q->waiters), struct waitq_node, link);
		w->queued = false;
		task_wake(w->t);
		n++;
	}
	return n;
}

size_t
waitq_wake_one(struct waitq *q)
{
	return wake(q, 1);
}

size_t
waitq_wake_all(struct waitq *q)
{
	return wake(q, SIZE_MAX);
}

/* the timer is owned too: leaving - normally or by unwinding - disarms it,
 * so no sleeper entry outlives the stack it lives on */
int
waitq_wait_deadline(struct waitq *q, bool (*done)(void *ctx), void *ctx, uint64_t deadline)
{
	struct task *cur = task_current();
	_cleanup_(waitq_leave) struct waitq_wait w = { q, { cur, { NULL }, false } };
	_cleanup_(task_timer_cancel) struct task_timer tm = TASK_TIMER_INIT;
	_cleanup_(shield_drop) struct task *shield = shield_take(cur);
	for (;;) {
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&q->lock);
		int result;
		if (done(ctx))
			result = E_OK;
		else if (__atomic_load_n(&cur->kill_pending, __ATOMIC_ACQUIRE))
			result = E_INTR;
		else if (deadline != UINT64_MAX && tsc_ns() >= deadline)
			result = E_TIMEDOUT;
		else
			result = 1; /* wait */
		if (result != 1) {
			if (w.n.queued)
				unlink_node(q, &w.n);
			return result; /* drops g, shield, tm, w in that order */
		}
		bool irq = start_blocking(&w, cur, &g);
		if (!tm.armed && deadline != UINT64_MAX)
			task_timer_arm(&tm, deadline);
		sched_schedule();
		irq_restore(irq);
		if (irq)
			task_reap();
	}
}

void
task_shield_kills(void)
{
	task_current()->kill_shield++;
}

void
task_unshield_kills(void)
{
	struct task *t = task_current();
	if (!--t->kill_shield && t->self_kill) {
		uint32_t none = 0;
		(void)__atomic_compare_exchange_n(&t->kill_pending, &none, t->self_kill, false, __ATOMIC_ACQ_REL,
						  __ATOMIC_ACQUIRE);
		t->self_kill = 0;
	}
	task_check_kill();
}
