/*
 * sched_rr: round-robin scheduling policy: one FIFO queue per CPU, linked
 * through the tasks' slots. The task cell calls every function here with
 * the CPU's run lock held, so there are no locks of our own.
 * State: the queues - derived state. The task cell owns which tasks are
 * ready on which CPU and rebuilds our queues from that (reset + enqueue)
 * whenever it installs this policy, reloads it, or finds the queues
 * corrupted; nothing here needs carrying across a swap.
 */
#define LOG_TAG "sched_rr"
#include "sched_rr.h"
#include "cpu.h"
#include "base.h"
#include "task.h"

struct rq {
	struct task *head, *tail;
	size_t len;
};

static struct rq rqs[MAX_CPUS];

#define NEXT(t) ((struct task *)(t)->slot.link)

static void
rr_reset(unsigned cpu)
{
	rqs[cpu] = (struct rq){ NULL, NULL, 0 };
}

static void
rr_enqueue(struct task *t, unsigned cpu)
{
	struct rq *q = &rqs[cpu];
	t->slot.link = NULL;
	if (q->tail)
		q->tail->slot.link = t;
	else
		q->head = t;
	q->tail = t;
	q->len++;
}

static void
rr_dequeue(struct task *t, unsigned cpu)
{
	struct rq *q = &rqs[cpu];
	struct task *prev = NULL;
	for (struct task *c = q->head; c; prev = c, c = NEXT(c)) {
		if (c != t)
			continue;
		if (prev)
			prev->slot.link = NEXT(t);
		else
			q->head = NEXT(t);
		if (q->tail == t)
			q->tail = prev;
		q->len--;
		return;
	}
}

static struct task *
rr_pick_next(unsigned cpu)
{
	struct rq *q = &rqs[cpu];
	struct task *t = q->head;
	if (t) {
		q->head = NEXT(t);
		if (!q->head)
			q->tail = NULL;
		q->len--;
	}
	return t;
}

static size_t
rr_runqueue(unsigned cpu, struct task **out, size_t max)
{
	size_t n = 0;
	for (struct task *t = rqs[cpu].head; t && n < 4096; t = NEXT(t), n++)
		if (n < max)
			out[n] = t;
	return n;
}

static const struct sched_policy rr = {
	.name = "round-robin",
	.priorities = false,
	.reset = rr_reset,
	.enqueue = rr_enqueue,
	.dequeue = rr_dequeue,
	.pick_next = rr_pick_next,
	.runqueue = rr_runqueue,
};

int
sched_rr_install(void)
{
	return sched_set_policy(&rr);
}

/* transfer function for swapping a policy cell (another, or a copy of this
 * one) for this one: our queues are built from the task list, nothing of
 * the old cell is read */
int sched_rr_adopt(void);
CELL_TRANSFER_LIVE(sched_rr_adopt);

int
sched_rr_adopt(void)
{
	return sched_set_policy(&rr);
}
