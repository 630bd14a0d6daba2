/*
 * sched_rr: round-robin scheduling policy. Per-CPU FIFO runqueues, each
 * under its own lock; the task cell never sees them. The per-task data is
 * just the queue link. State: the runqueues (soft state: every queued
 * task is also in the task list and can be re-queued from it).
 */
#define LOG_TAG "sched_rr"
#include "sched_rr.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "task.h"

struct rr_node {
	struct task *t;
	struct qlink link;
	int cpu;       /* the queue it is on, -1 if none */
};

struct rq {
	struct spinlock lock;
	struct qlist fifo; /* struct rr_node */
	size_t len;
};

static struct rq rqs[MAX_CPUS];

static void
rr_enqueue(struct task *t, unsigned cpu)
{
	struct rr_node *n = t->sched;
	struct rq *q = &rqs[cpu];
	bool irq = spin_lock_irq(&q->lock);
	if (n->cpu < 0) {
		qlist_push(&q->fifo, &n->link);
		n->cpu = (int)cpu;
		q->len++;
	}
	spin_unlock_irq(&q->lock, irq);
}

static void
rr_dequeue(struct task *t)
{
	struct rr_node *n = t->sched;
	int cpu = __atomic_load_n(&n->cpu, __ATOMIC_ACQUIRE);
	if (cpu < 0)
		return;
	struct rq *q = &rqs[cpu];
	bool irq = spin_lock_irq(&q->lock);
	if (qlist_unlink(&q->fifo, &n->link)) {
		n->cpu = -1;
		q->len--;
	}
	spin_unlock_irq(&q->lock, irq);
}

static struct task *
rr_pick_next(unsigned cpu)
{
	struct rq *q = &rqs[cpu];
	bool irq = spin_lock_irq(&q->lock);
	struct rr_node *n = qlist_entry(qlist_pop(&q->fifo), struct rr_node, link);
	if (n) {
		n->cpu = -1;
		q->len--;
	}
	spin_unlock_irq(&q->lock, irq);
	return n ? n->t : NULL;
}

static int
rr_task_init(struct task *t, int priority)
{
	(void)priority;
	struct rr_node *n = KNEW(struct rr_node);
	if (!n)
		return E_NOMEM;
	n->t = t;
	n->cpu = -1;
	t->sched = n;
	return E_OK;
}

static void
rr_task_fini(struct task *t)
{
	rr_dequeue(t);
	kfree(t->sched);
	t->sched = NULL;
}

static int
rr_set_priority(struct task *t, int priority)
{
	(void)t;
	(void)priority;
	return E_NOTSUP; /* round robin has no priorities */
}

static size_t
rr_runqueue(unsigned cpu, struct task **out, size_t max)
{
	struct rq *q = &rqs[cpu];
	size_t n = 0;
	bool irq = spin_lock_irq(&q->lock);
	qlist_for_each(l, &q->fifo) {
		if (n < max)
			out[n] = qlist_entry(l, struct rr_node, link)->t;
		n++;
	}
	spin_unlock_irq(&q->lock, irq);
	return n;
}

static const struct sched_policy rr = {
	.name = "round-robin",
	.enqueue = rr_enqueue,
	.dequeue = rr_dequeue,
	.pick_next = rr_pick_next,
	.task_init = rr_task_init,
	.task_fini = rr_task_fini,
	.set_priority = rr_set_priority,
	.runqueue = rr_runqueue,
};

int
sched_rr_install(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		rqs[i].lock = (struct spinlock)SPINLOCK_INIT;
	return sched_set_policy(&rr);
}

/* transfer function for swapping another policy cell for this one */
int sched_rr_adopt(void);

int
sched_rr_adopt(void)
{
	return sched_replace_policy(&rr);
}
