/*
 * sched_prio: a priority policy by stride scheduling. A task of priority p
 * (0..39) holds p+1 tickets; each time it is picked its `pass` advances by
 * STRIDE/(p+1), and the runnable task with the lowest pass runs next. CPU
 * time is therefore shared in proportion to tickets, and no task starves.
 * Per-CPU runqueues are lists under their own locks (short in practice).
 * State: the runqueues (soft: rebuilt from the task list if lost).
 */
#define LOG_TAG "sched_prio"
#include "sched_prio.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "task.h"

#define STRIDE (1ULL << 20)
#define PRIO_MAX 39

struct pnode {
	struct task *t;
	struct pnode *next;
	int cpu;            /* queue it is on, -1 if none */
	int prio;
	uint64_t pass;
};

struct prq {
	struct spinlock lock;
	struct pnode *head;
	size_t len;
	uint64_t min_pass;  /* pass of the last task picked */
};

static struct prq prqs[MAX_CPUS];

static void
p_enqueue(struct task *t, unsigned cpu)
{
	struct pnode *n = t->sched;
	struct prq *q = &prqs[cpu];
	bool irq = spin_lock_irq(&q->lock);
	if (n->cpu < 0) {
		/* a task coming back from sleep does not get a burst of credit */
		if (n->pass < q->min_pass)
			n->pass = q->min_pass;
		n->next = q->head;
		q->head = n;
		n->cpu = (int)cpu;
		q->len++;
	}
	spin_unlock_irq(&q->lock, irq);
}

static void
p_dequeue(struct task *t)
{
	struct pnode *n = t->sched;
	int cpu = __atomic_load_n(&n->cpu, __ATOMIC_ACQUIRE);
	if (cpu < 0)
		return;
	struct prq *q = &prqs[cpu];
	bool irq = spin_lock_irq(&q->lock);
	for (struct pnode **pp = &q->head; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			n->cpu = -1;
			q->len--;
			break;
		}
	spin_unlock_irq(&q->lock, irq);
}

static struct task *
p_pick_next(unsigned cpu)
{
	struct prq *q = &prqs[cpu];
	bool irq = spin_lock_irq(&q->lock);
	struct pnode **best = NULL;
	for (struct pnode **pp = &q->head; *pp; pp = &(*pp)->next)
		if (!best || (*pp)->pass < (*best)->pass)
			best = pp;
	struct pnode *n = NULL;
	if (best) {
		n = *best;
		*best = n->next;
		n->cpu = -1;
		q->len--;
		q->min_pass = n->pass;
		n->pass += STRIDE / (uint64_t)(n->prio + 1);
	}
	spin_unlock_irq(&q->lock, irq);
	return n ? n->t : NULL;
}

static int
p_task_init(struct task *t, int prio)
{
	if (prio < 0 || prio > PRIO_MAX)
		return E_RANGE;
	struct pnode *n = KNEW(struct pnode);
	if (!n)
		return E_NOMEM;
	n->t = t;
	n->cpu = -1;
	n->prio = prio;
	t->sched = n;
	return E_OK;
}

static void
p_task_fini(struct task *t)
{
	p_dequeue(t);
	kfree(t->sched);
	t->sched = NULL;
}

static int
p_set_priority(struct task *t, int prio)
{
	if (prio < 0 || prio > PRIO_MAX)
		return E_RANGE;
	struct pnode *n = t->sched;
	__atomic_store_n(&n->prio, prio, __ATOMIC_RELEASE);
	return E_OK;
}

static size_t
p_runqueue(unsigned cpu, struct task **out, size_t max)
{
	struct prq *q = &prqs[cpu];
	size_t n = 0;
	bool irq = spin_lock_irq(&q->lock);
	for (struct pnode *p = q->head; p; p = p->next, n++)
		if (n < max)
			out[n] = p->t;
	spin_unlock_irq(&q->lock, irq);
	return n;
}

static const struct sched_policy prio_policy = {
	.name = "priority (stride)",
	.enqueue = p_enqueue,
	.dequeue = p_dequeue,
	.pick_next = p_pick_next,
	.task_init = p_task_init,
	.task_fini = p_task_fini,
	.set_priority = p_set_priority,
	.runqueue = p_runqueue,
};

int
sched_prio_install(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		prqs[i].lock = (struct spinlock)SPINLOCK_INIT;
	return sched_set_policy(&prio_policy);
}

/* transfer function for swapping another policy cell for this one */
int sched_prio_adopt(void);

int
sched_prio_adopt(void)
{
	return sched_replace_policy(&prio_policy);
}
