/*
 * sched_prio: a priority policy by stride scheduling. A task of priority p
 * (0..SCHED_PRIO_MAX) holds p+1 tickets; each time it is picked its pass
 * advances by STRIDE/(p+1), and the ready task with the lowest pass runs
 * next. CPU time is therefore shared in proportion to tickets, and no task
 * starves. The task cell calls every function here with the CPU's run lock
 * held, so there are no locks of our own.
 * State: per-CPU lists linked through the tasks' slots, and each task's
 * pass (slot.key) - derived state. The task cell owns the ready sets and
 * the priorities; it rebuilds our lists from them (reset + enqueue) when
 * it installs or reloads this policy or finds the lists corrupted. A
 * rebuild only restarts the passes, which costs fairness for a moment,
 * never correctness.
 */
#define LOG_TAG "sched_prio"
#include "sched_prio.h"
#include "cpu.h"
#include "base.h"
#include "task.h"

#define STRIDE (1ULL << 20)

struct prq {
	struct task *head;
	size_t len;
};

static struct prq prqs[MAX_CPUS];
/* per CPU, the pass of the last task picked: the floor a task coming back
 * (or new) starts from, so it cannot starve the others. Derived too: a
 * fresh copy (a reload) starts at 0 and takes the lowest pass among the
 * tasks it is given (p_enqueue), so nothing needs carrying and a reload
 * stops no CPU */
static uint64_t min_pass[MAX_CPUS];
#define NEXT(t) ((struct task *)(t)->slot.link)

static void
p_reset(unsigned cpu)
{
	prqs[cpu] = (struct prq){ NULL, 0 };
}

static void
p_enqueue(struct task *t, unsigned cpu)
{
	struct prq *q = &prqs[cpu];
	/* no floor yet (a fresh copy, before its first pick): the lowest
	 * pass already queued */
	if (!min_pass[cpu] && q->head) {
		uint64_t low = q->head->slot.key;
		for (struct task *c = NEXT(q->head); c; c = NEXT(c))
			if (c->slot.key < low)
				low = c->slot.key;
		min_pass[cpu] = low;
	}
	/* a task coming back from sleep does not get a burst of credit */
	if (t->slot.key < min_pass[cpu])
		t->slot.key = min_pass[cpu];
	t->slot.link = q->head;
	q->head = t;
	q->len++;
}

static void
p_dequeue(struct task *t, unsigned cpu)
{
	struct prq *q = &prqs[cpu];
	struct task *prev = NULL;
	for (struct task *c = q->head; c; prev = c, c = NEXT(c))
		if (c == t) {
			if (prev)
				prev->slot.link = NEXT(t);
			else
				q->head = NEXT(t);
			q->len--;
			return;
		}
}

static struct task *
p_pick_next(unsigned cpu)
{
	struct prq *q = &prqs[cpu];
	struct task *best = NULL, *best_prev = NULL, *prev = NULL;
	for (struct task *c = q->head; c; prev = c, c = NEXT(c))
		if (!best || c->slot.key < best->slot.key) {
			best = c;
			best_prev = prev;
		}
	if (best) {
		if (best_prev)
			best_prev->slot.link = NEXT(best);
		else
			q->head = NEXT(best);
		q->len--;
		min_pass[cpu] = best->slot.key;
		int prio = best->priority;
		if (prio < 0 || prio > SCHED_PRIO_MAX)
			prio = 0;
		best->slot.key += STRIDE / (uint64_t)(prio + 1);
	}
	return best;
}

static size_t
p_runqueue(unsigned cpu, struct task **out, size_t max)
{
	size_t n = 0;
	for (struct task *t = prqs[cpu].head; t && n < 4096; t = NEXT(t), n++)
		if (n < max)
			out[n] = t;
	return n;
}

static const struct sched_policy prio_policy = {
	.name = "priority (stride)",
	.priorities = true,
	.reset = p_reset,
	.enqueue = p_enqueue,
	.dequeue = p_dequeue,
	.pick_next = p_pick_next,
	.runqueue = p_runqueue,
};

int
sched_prio_install(void)
{
	return sched_set_policy(&prio_policy);
}

/* transfer function for swapping a policy cell (another, or a copy of this
 * one) for this one: our lists are built from the task list */
int sched_prio_adopt(void);
CELL_TRANSFER_LIVE(sched_prio_adopt);

int
sched_prio_adopt(void)
{
	return sched_set_policy(&prio_policy);
}
