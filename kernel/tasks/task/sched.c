/*
 * sched.c: the policy-free half of scheduling - switching, blocking and
 * waking, the idle tasks, preemption by the tick, and sleeping. Which task
 * runs next is the active policy's business (struct sched_policy, in a
 * scheduler cell); this file only asks it.
 */
#define LOG_TAG "sched"
#include "task.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "fmt.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "task_int.h"
#include "tsc.h"

/* the latest installed policy (const struct sched_policy *) and the kick
 * hook (void (*)(unsigned cpu)): guarded pointers, checked where read */
static struct guarded_ptr policy;
static uint64_t timeslice = 10 * 1000 * 1000; /* ns */
static struct guarded_ptr kick_hook;
static uint32_t next_cpu_rr;

/*
 * Per CPU: the run lock, the policy that orders this CPU's ready set, and
 * the size of that set. The set itself is authoritative in the tasks
 * (t->rq_cpu == cpu), so the policy's queues can be rebuilt at any time.
 * Lock order: a run lock, then the task-list lock (task_for_each); never
 * two run locks.
 */
struct runq {
	struct spinlock lock;
	struct guarded_ptr policy;          /* const struct sched_policy *; under lock */
	uint32_t nready;                    /* guarded by lock */
	bool in_policy;                     /* a policy call is under way */
	bool broken;                        /* one never returned: rebuild */
};
static struct runq runqs[MAX_CPUS];
static uint64_t rebuilds;

static size_t build_queues(unsigned cpu, const struct sched_policy *p);

static inline const struct sched_policy *qpolicy(struct runq *q) { return guarded_get(&q->policy); }

/*
 * The run lock is held in a guard, so that a fault inside the policy (its
 * code or its queues corrupted) - or anywhere under the lock - releases it
 * when the task unwinds. A policy call that never returned leaves its
 * queues half-changed: the guard marks them broken, and whoever takes the
 * lock next rebuilds them from the task list.
 *
 *   _cleanup_(runq_unlock) struct runq_guard g = runq_lock(cpu);
 *   POLICY(g, enqueue(t, cpu));
 */
struct runq_guard {
	struct runq *q;   /* NULL: holds nothing */
	unsigned cpu;
	bool irq_was_on;
	bool raw;         /* interrupts were off already: leave them so */
};

static struct runq_guard
runq_lock_as(unsigned cpu, bool raw)
{
	struct runq *q = &runqs[cpu];
	struct runq_guard g = { q, cpu, false, raw };
	if (raw)
		spin_lock_raw(&q->lock);
	else
		g.irq_was_on = spin_lock_irq(&q->lock);
	if (q->broken && qpolicy(q)) {
		q->broken = false;
		__atomic_add_fetch(&rebuilds, 1, __ATOMIC_RELAXED);
		build_queues(cpu, qpolicy(q));
	}
	return g;
}

static struct runq_guard runq_lock(unsigned cpu) { return runq_lock_as(cpu, false); }

static void
runq_unlock(struct runq_guard *g)
{
	if (!g->q)
		return;
	if (g->q->in_policy) { /* left by a fault inside the policy */
		g->q->in_policy = false;
		g->q->broken = true;
	}
	if (g->raw)
		spin_unlock_raw(&g->q->lock);
	else
		spin_unlock_irq(&g->q->lock, g->irq_was_on);
	g->q = NULL;
}

#define POLICY(g, call)                                                         \
	({                                                                      \
		(g).q->in_policy = true;                                        \
		__auto_type r_ = qpolicy((g).q)->call;                          \
		(g).q->in_policy = false;                                       \
		r_;                                                             \
	})
#define POLICY_VOID(g, call)                                                    \
	do {                                                                    \
		(g).q->in_policy = true;                                        \
		qpolicy((g).q)->call;                                           \
		(g).q->in_policy = false;                                       \
	} while (0)

struct requeue_ctx {
	unsigned cpu;
	const struct sched_policy *p;
	size_t n;
};

/* a ready set no live CPU has: a corrupted rq_cpu, or a CPU that stopped */
static bool
lost_set(int cpu)
{
	if (cpu < 0)
		return false;
	if (cpu >= MAX_CPUS)
		return true;
	struct percpu *pc = percpu_of((unsigned)cpu);
	return !pc || !__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE);
}

static void
requeue_one(struct task *t, void *ctx)
{
	struct requeue_ctx *c = ctx;
	int cpu = __atomic_load_n(&t->rq_cpu, __ATOMIC_ACQUIRE);
	/* a ready task whose set no live CPU has would never run again (nor
	 * die of a kill): adopted here, once (the CAS: two CPUs rebuilding
	 * at once); a task not ready is in no set */
	bool ready = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_RUNNABLE &&
		     !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) && !t->idle;
	if (lost_set(cpu) &&
	    __atomic_compare_exchange_n(&t->rq_cpu, &cpu, ready ? (int)c->cpu : -1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		log_err("task %s (#%u) was in the ready set of CPU %d, which no live CPU has: %s", t->name, t->id,
			cpu, ready ? "adopted" : "in none now");
	if (t->rq_cpu == (int)c->cpu) {
		c->p->enqueue(t, c->cpu);
		c->n++;
	}
}

/* with q->lock held: give policy p the ready set of cpu, from the tasks */
static size_t
build_queues(unsigned cpu, const struct sched_policy *p)
{
	struct runq *q = &runqs[cpu];
	struct requeue_ctx c = { cpu, p, 0 };
	q->in_policy = true; /* (a fault in here leaves them broken) */
	p->reset(cpu);
	task_for_each(requeue_one, &c);
	q->in_policy = false;
	q->nready = (uint32_t)c.n;
	return c.n;
}

size_t
sched_rebuild(unsigned cpu)
{
	_cleanup_(runq_unlock) struct runq_guard g = runq_lock(cpu);
	size_t n = qpolicy(g.q) ? build_queues(cpu, qpolicy(g.q)) : 0;
	__atomic_add_fetch(&rebuilds, 1, __ATOMIC_RELAXED);
	return n;
}

size_t
sched_rebuild_all(void)
{
	size_t n = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct percpu *pc = percpu_of(c);
		if (pc && __atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
			n += sched_rebuild(c);
	}
	return n;
}

uint64_t
sched_rebuild_count(void)
{
	return __atomic_load_n(&rebuilds, __ATOMIC_RELAXED);
}

int
sched_set_policy(const struct sched_policy *p)
{
	if (!p || !p->reset || !p->enqueue || !p->dequeue || !p->pick_next)
		return E_INVAL;
	const struct sched_policy *old = guarded_get(&policy);
	if (p == old)
		return E_OK;
	cell_pin_addr(p); /* the policy cell is in use through this table */
	/* commit: nothing below fails. One CPU at a time: the others keep
	 * scheduling, each under whichever policy it has at the moment */
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		_cleanup_(runq_unlock) struct runq_guard g = runq_lock(cpu);
		build_queues(cpu, p);
		guarded_set(&g.q->policy, p);
	}
	guarded_set(&policy, p);
	if (old)
		cell_unpin_addr(old);
	return E_OK;
}

/* a ready-set member the policy handed back must be a live task of this
 * CPU's set; anything else means its queues are corrupted */
static bool
plausible(const struct task *t, unsigned cpu)
{
	uintptr_t a = (uintptr_t)t;
	return a >= 0xffff800000000000ULL && (a & 7) == 0 && t->magic == TASK_MAGIC &&
	       t->rq_cpu == (int)cpu;
}

struct find_ctx {
	unsigned cpu;
	struct task *found;
};

static void
find_ready(struct task *t, void *ctx)
{
	struct find_ctx *f = ctx;
	if (!f->found && t->rq_cpu == (int)f->cpu)
		f->found = t;
}

/* with q->lock held: the policy's next task, checked; a corrupted answer
 * (a task not in this CPU's ready set, or nothing while the set is not
 * empty) makes the queues be rebuilt from the task list */
static struct task *
pick_checked(unsigned cpu)
{
	struct runq *q = &runqs[cpu];
	for (int attempt = 0; attempt < 2; attempt++) {
		q->in_policy = true;
		struct task *t = qpolicy(q)->pick_next(cpu);
		q->in_policy = false;
		if (t ? plausible(t, cpu) : q->nready == 0) {
			if (t) {
				t->rq_cpu = -1;
				q->nready--;
			}
			return t;
		}
		__atomic_add_fetch(&rebuilds, 1, __ATOMIC_RELAXED);
		build_queues(cpu, qpolicy(q));
	}
	/* the policy keeps answering wrongly: take the first ready task of
	 * this CPU ourselves; its stale queue entry is caught by this check
	 * and rebuilt away on a later pick */
	struct find_ctx f = { cpu, NULL };
	task_for_each(find_ready, &f);
	if (f.found) {
		f.found->rq_cpu = -1;
		q->nready--;
	}
	return f.found;
}

/* make t ready on cpu (no-op if it is ready somewhere already) */
static void
ready_add(struct task *t, unsigned cpu)
{
	_cleanup_(runq_unlock) struct runq_guard g = runq_lock(cpu);
	if (t->rq_cpu < 0) {
		t->rq_cpu = (int)cpu;
		g.q->nready++;
		POLICY_VOID(g, enqueue(t, cpu));
	}
}

/* take t out of the ready set it is in, if any */
void
sched_ready_remove(struct task *t)
{
	for (;;) {
		int cpu = __atomic_load_n(&t->rq_cpu, __ATOMIC_ACQUIRE);
		if (cpu < 0)
			return;
		if (cpu >= MAX_CPUS) { /* corrupted: in no real set */
			(void)__atomic_compare_exchange_n(&t->rq_cpu, &cpu, -1, false, __ATOMIC_ACQ_REL,
							  __ATOMIC_ACQUIRE);
			continue;
		}
		_cleanup_(runq_unlock) struct runq_guard g = runq_lock((unsigned)cpu);
		bool here = t->rq_cpu == cpu;
		if (here) {
			POLICY_VOID(g, dequeue(t, (unsigned)cpu));
			t->rq_cpu = -1;
			g.q->nready--;
		}
		if (here)
			return;
	}
}

int
task_set_priority(struct task *t, int prio)
{
	const struct sched_policy *p = sched_policy();
	if (!p || !p->priorities)
		return E_NOTSUP;
	if (prio < 0 || prio > SCHED_PRIO_MAX)
		return E_RANGE;
	for (;;) {
		int cpu = __atomic_load_n(&t->rq_cpu, __ATOMIC_ACQUIRE);
		if (cpu < 0 || cpu >= MAX_CPUS) {
			__atomic_store_n(&t->priority, prio, __ATOMIC_RELEASE);
			return E_OK; /* read again when it next becomes ready */
		}
		_cleanup_(runq_unlock) struct runq_guard g = runq_lock((unsigned)cpu);
		bool here = t->rq_cpu == cpu;
		if (here) {
			POLICY_VOID(g, dequeue(t, (unsigned)cpu));
			t->priority = prio;
			POLICY_VOID(g, enqueue(t, (unsigned)cpu));
		}
		if (here)
			return E_OK;
	}
}

size_t
sched_runqueue_info(unsigned cpu, struct task_info *running, struct task_info *out, size_t max)
{
	if (cpu >= MAX_CPUS)
		return 0;
	struct task *ts[64];
	_cleanup_(runq_unlock) struct runq_guard g = runq_lock(cpu);
	size_t n = qpolicy(g.q) && qpolicy(g.q)->runqueue ? POLICY(g, runqueue(cpu, ts, ARRAY_SIZE(ts))) : 0;
	for (size_t i = 0; i < n && i < max && i < ARRAY_SIZE(ts); i++)
		task_info_of(ts[i], &out[i]);
	struct task *cur = percpu_of(cpu)->current;
	if (running) {
		memset(running, 0, sizeof(*running));
		if (cur)
			task_info_of(cur, running);
	}
	return n;
}

const struct sched_policy *
sched_policy(void)
{
	return guarded_get(&policy);
}

void
task_set_kick_hook(void (*kick)(unsigned cpu))
{
	cell_unpin_addr(guarded_get(&kick_hook));
	guarded_set(&kick_hook, (const void *)kick);
	cell_pin_addr((const void *)kick);
}

void
task_set_timeslice_ns(uint64_t ns)
{
	timeslice = ns ? ns : 1;
}

uint64_t
task_timeslice_ns(void)
{
	return timeslice;
}

struct task *
task_current(void)
{
	return this_cpu()->current;
}

unsigned
sched_target_cpu(const struct task *t)
{
	if (t->pin >= 0)
		return (unsigned)t->pin;
	if (t->cpu >= 0 && percpu_of((unsigned)t->cpu)->online)
		return (unsigned)t->cpu; /* stay where its cache is */
	unsigned n = cpu_count_online();
	for (;;) {
		unsigned c = __atomic_fetch_add(&next_cpu_rr, 1, __ATOMIC_RELAXED) % MAX_CPUS;
		if (percpu_of(c)->online)
			return c;
		if (n == 0)
			return 0;
	}
}

void
sched_make_runnable(struct task *t)
{
	unsigned cpu = sched_target_cpu(t);
	t->cpu = (int)cpu;
	ready_add(t, cpu);
	void (*kick)(unsigned) = guarded_get(&kick_hook);
	if (cpu != cpu_id() && kick)
		kick(cpu);
}

/* make t's CPU look at it again: a kill is waiting for it */
void
task_kick(struct task *t)
{
	int cpu = t->cpu;
	void (*kick)(unsigned) = guarded_get(&kick_hook);
	if (cpu >= 0 && (unsigned)cpu != cpu_id() && kick)
		kick((unsigned)cpu);
}

bool
task_wake(struct task *t)
{
	uint32_t expect = TASK_BLOCKED;
	if (!__atomic_compare_exchange_n(&t->state, &expect, TASK_RUNNABLE, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	sched_make_runnable(t);
	return true;
}

/* an exited task is freed by the reaper (reap.c), not here: this runs
 * with interrupts off, and freeing unmaps a stack */
void
sched_finish_switch(void)
{
	struct percpu *pc = this_cpu();
	struct task *prev = pc->prev;
	pc->prev = NULL;
	if (prev && (prev->state == TASK_EXITED || prev->state == TASK_KILLED))
		task_zombie_add(prev);
}

void
sched_schedule(void)
{
	struct percpu *pc = this_cpu();
	struct task *prev = pc->current;
	struct task *next;
	{
		_cleanup_(runq_unlock) struct runq_guard g = runq_lock_as(pc->id, true); /* interrupts are off */
		if (prev->state == TASK_RUNNABLE && !prev->idle && prev->rq_cpu < 0) {
			prev->rq_cpu = (int)pc->id;
			g.q->nready++;
			POLICY_VOID(g, enqueue(prev, pc->id));
		}
		next = pick_checked(pc->id);
	}
	if (!next)
		next = pc->idle;
	pc->need_resched = false;
	if (next == prev)
		return;
	while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax(); /* another CPU is still switching away from it */
	uint64_t now = tsc_ns();
	prev->runtime_ns += now - prev->switched_in_at;
	next->switched_in_at = now;
	next->on_cpu = 1;
	next->cpu = (int)pc->id;
	pc->current = next;
	pc->acct = next->acct; /* mm_acct_current */
	pc->prev = prev;
	task_fpu_switch(prev, next);
	task_tls_switch(next);
	/* per-task execution state the exceptions cell keeps per CPU: a task
	 * preempted inside an interrupt carries that nesting with it */
	prev->fault_catchers = pc->fault_catchers;
	pc->fault_catchers = next->fault_catchers;
	prev->irq_depth = pc->irq_depth;
	pc->irq_depth = next->irq_depth;
	task_switch_asm(prev, next);
	sched_finish_switch();
}

/* switch away (interrupts off; irq: whether they were on before) and,
 * once back with interrupts on, reap and take a pending kill */
static void
switch_away(bool irq)
{
	sched_schedule();
	irq_restore(irq);
	if (irq) {
		task_reap();
		task_check_kill();
	}
}

void
task_yield(void)
{
	switch_away(irq_save());
}

void
task_block_current(void)
{
	bool irq = irq_save();
	__atomic_store_n(&task_current()->state, TASK_BLOCKED, __ATOMIC_RELEASE);
	switch_away(irq);
}

void
preempt_disable(void)
{
	preempt_count_inc();
}

void
preempt_enable(void)
{
	if (preempt_count_dec() == 0) {
		if (this_cpu()->need_resched)
			task_yield();
		task_check_kill();
	}
}

void
task_tick(void)
{
	struct percpu *pc = this_cpu();
	uint64_t now = tsc_ns();
	pc->ticks++;
	task_timers_expire(now);
	struct task *cur = pc->current;
	if (!cur || !guarded_get(&policy))
		return;
	if (cur->idle || now - cur->switched_in_at >= timeslice)
		pc->need_resched = true;
	if (pc->need_resched && pc->preempt_count == 0)
		sched_schedule(); /* from the interrupt: interrupts are off */
}

void
task_tick_resched(void)
{
	struct percpu *pc = this_cpu();
	pc->need_resched = true;
	if (guarded_get(&policy) && pc->current && pc->preempt_count == 0)
		sched_schedule();
}

static bool
never(void *ctx)
{
	(void)ctx;
	return false;
}

/* a sleep is a wait for nothing with a deadline: spurious wake-ups (a
 * timer popped just as an earlier wait ended) simply wait again */
void
task_sleep_ns(uint64_t ns)
{
	static struct waitq nobody = WAITQ_INIT;
	uint64_t deadline = tsc_ns() + ns;
	while (waitq_wait_deadline(&nobody, never, NULL, deadline) == E_OK)
		;
	task_check_kill();
}

static uint64_t
idle_loop(uint64_t cpu)
{
	(void)cpu;
	for (;;) {
		irq_disable();
		sched_schedule();
		irq_enable();
		task_reap();
		irq_disable();
		if (task_zombies_waiting() || this_cpu()->need_resched)
			continue;
		/* sti; hlt: an interrupt arriving between them still wakes us */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
	return 0;
}

int
task_init_cpu(const char *name)
{
	struct percpu *pc = this_cpu();
	if (!guarded_get(&policy))
		return E_NOENT;
	_cleanup_(kfreep) struct task *boot = KNEW(struct task);
	if (!boot)
		return E_NOMEM;
	strlcpy(boot->name, name, sizeof(boot->name));
	boot->state = TASK_RUNNABLE;
	boot->on_cpu = 1;
	boot->cpu = (int)pc->id;
	boot->pin = -1;
	boot->refs = 1;
	boot->ns = cell_ns_kernel();
	boot->switched_in_at = tsc_ns();
	waitq_init(&boot->joiners);
	boot->rq_cpu = -1;
	boot->magic = TASK_MAGIC;
	int err = task_tls_alloc(boot);
	if (err)
		return err;
	struct task_builder b = TASK_BUILDER(idle_loop, (uint64_t)pc->id);
	b.name = "idle";
	b.idle = true;
	b.pin = (int)pc->id;
	b.stack_pages = 4;
	struct task *idle = task_spawn(&b, &err);
	if (!idle) {
		task_tls_free(boot);
		return err;
	}
	snprintf(idle->name, sizeof(idle->name), "idle/%u", pc->id);
	/* commit: nothing below fails */
	idle->cpu = (int)pc->id;
	pc->idle = idle; /* keeps the spawner's reference */
	struct task *t = TAKE_PTR(boot);
	task_register(t);
	pc->current = t;
	pc->acct = t->acct;
	task_tls_switch(t);
	err = task_fpu_init_cpu();
	if (pc->id == 0) {
		cell_set_tls_hook(task_tls_publish);
		if (!err)
			err = task_unwind_init();
		if (!err)
			err = task_reaper_start();
	}
	return err;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(sched_policy);
EXPORT_APP(task_sleep_ns);
EXPORT_APP(task_yield);
EXPORT_APP(task_current);
EXPORT_APP(sched_runqueue_info);
EXPORT_APP(task_set_priority);
