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
	bool irq = irq_save();
	spin_lock_raw(&w->q->lock);
	unlink_node(w->q, &w->n);
	spin_unlock_raw(&w->q->lock);
	irq_restore(irq);
}

/* under q's lock: the wait is over; leave the queue and drop the lock */
static void
stop_waiting(struct waitq_wait *w, bool irq)
{
	if (w->n.queued)
		unlink_node(w->q, &w->n);
	spin_unlock_raw(&w->q->lock);
	irq_restore(irq);
}

/* under q's lock: queue the waiter (once), mark it blocked and drop the
 * lock; the caller switches away (interrupts stay off until it does) */
static void
start_blocking(struct waitq_wait *w, struct task *cur)
{
	if (!w->n.queued) {
		qlist_push(&w->q->waiters, &w->n.link);
		w->n.queued = true;
	}
	__atomic_store_n(&cur->state, TASK_BLOCKED, __ATOMIC_RELEASE);
	spin_unlock_raw(&w->q->lock);
}

void
waitq_wait_until(struct waitq *q, bool (*done)(void *ctx), void *ctx)
{
	struct task *cur = task_current();
	_cleanup_(waitq_leave) struct waitq_wait w = { q, { cur, { NULL }, false } };

	/* kills are delivered here, not by interrupts, while we wait */
	cur->kill_shield++;
	for (;;) {
		bool irq = irq_save();
		spin_lock_raw(&q->lock);
		if (done(ctx) || __atomic_load_n(&cur->kill_pending, __ATOMIC_ACQUIRE)) {
			stop_waiting(&w, irq);
			cur->kill_shield--;
			task_check_kill(); /* killed while waiting: unwind from here */
			return;
		}
		start_blocking(&w, cur);
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
	bool irq = irq_save();
	spin_lock_raw(&q->lock);
	while (!qlist_empty(&q->waiters) && n < max) {
		struct waitq_node *w = qlist_entry(qlist_pop(&q->waiters), struct waitq_node, link);
		w->queued = false;
		task_wake(w->t);
		n++;
	}
	spin_unlock_raw(&q->lock);
	irq_restore(irq);
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

int
waitq_wait_deadline(struct waitq *q, bool (*done)(void *ctx), void *ctx, uint64_t deadline)
{
	struct task *cur = task_current();
	_cleanup_(waitq_leave) struct waitq_wait w = { q, { cur, { NULL }, false } };
	struct task_timer tm;
	bool armed = false;
	int result;

	cur->kill_shield++;
	for (;;) {
		bool irq = irq_save();
		spin_lock_raw(&q->lock);
		if (done(ctx))
			result = E_OK;
		else if (__atomic_load_n(&cur->kill_pending, __ATOMIC_ACQUIRE))
			result = E_INTR;
		else if (deadline != UINT64_MAX && tsc_ns() >= deadline)
			result = E_TIMEDOUT;
		else
			result = 1; /* wait */
		if (result != 1) {
			stop_waiting(&w, irq);
			break;
		}
		start_blocking(&w, cur);
		if (!armed && deadline != UINT64_MAX) {
			task_timer_arm(&tm, deadline);
			armed = true;
		}
		sched_schedule();
		irq_restore(irq);
		if (irq)
			task_reap();
	}
	if (armed)
		task_timer_cancel(&tm);
	cur->kill_shield--;
	return result;
}

void
task_shield_kills(void)
{
	task_current()->kill_shield++;
}

void
task_unshield_kills(void)
{
	task_current()->kill_shield--;
	task_check_kill();
}
