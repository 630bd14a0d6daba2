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

static const struct sched_policy *policy;
static uint64_t timeslice = 10 * 1000 * 1000; /* ns */
static void (*kick_hook)(unsigned cpu);
static uint32_t next_cpu_rr;

/* a sleeper is a struct task_timer (task.h): the tick wakes its task */
#define sleeper task_timer
static struct spinlock sleep_lock = SPINLOCK_INIT;
static struct sleeper *sleepers; /* sorted by deadline; guarded by sleep_lock */

int
sched_set_policy(const struct sched_policy *p)
{
	if (!p || !p->enqueue || !p->dequeue || !p->pick_next)
		return E_INVAL;
	if (policy && task_count() > 0)
		return E_BUSY; /* changing a live policy is cell swapping's job */
	policy = p;
	cell_pin_addr(p); /* the policy cell is in use through this table */
	log_info("scheduling policy: %s", p->name);
	return E_OK;
}

struct replace_ctx {
	const struct sched_policy *np;
	int err;
	bool rollback;
};

static void
prepare_one(struct task *t, void *ctx)
{
	struct replace_ctx *c = ctx;
	if (c->err)
		return;
	void *old = t->sched;
	t->sched = NULL;
	int e = c->np->task_init ? c->np->task_init(t, t->builder.priority) : E_OK;
	t->sched_next = t->sched;
	t->sched = old;
	if (e)
		c->err = e;
}

static void
undo_one(struct task *t, void *ctx)
{
	struct replace_ctx *c = ctx;
	if (!t->sched_next)
		return;
	void *old = t->sched;
	t->sched = t->sched_next;
	if (c->np->task_fini)
		c->np->task_fini(t);
	t->sched = old;
	t->sched_next = NULL;
}

static void
switch_one(struct task *t, void *ctx)
{
	const struct sched_policy *old = ctx;
	if (old->task_fini)
		old->task_fini(t); /* frees the old data (queues are drained) */
	t->sched = t->sched_next;
	t->sched_next = NULL;
}

int
sched_replace_policy(const struct sched_policy *np)
{
	const struct sched_policy *old = policy;
	if (!np || !np->enqueue || !np->pick_next || !old)
		return E_INVAL;
	if (np == old)
		return E_OK;
	/* check: the new policy's data for every task */
	struct replace_ctx c = { np, E_OK, false };
	task_for_each(prepare_one, &c);
	if (c.err) {
		task_for_each(undo_one, &c);
		return c.err;
	}
	/* commit: nothing below fails. Drain every old runqueue, remembering
	 * each task's CPU in its cpu field (it is queued there already) */
	static struct task *moved[4096];
	size_t n = 0;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct task *t;
		while ((t = old->pick_next(cpu))) {
			t->cpu = (int)cpu;
			if (n < ARRAY_SIZE(moved))
				moved[n++] = t;
		}
	}
	task_for_each(switch_one, (void *)old);
	policy = np;
	cell_pin_addr(np);
	cell_unpin_addr(old);
	for (size_t i = 0; i < n; i++)
		np->enqueue(moved[i], (unsigned)moved[i]->cpu);
	return E_OK; /* (no logging here: every other CPU is stopped) */
}

const struct sched_policy *
sched_policy(void)
{
	return policy;
}

void
task_set_kick_hook(void (*kick)(unsigned cpu))
{
	cell_unpin_addr((const void *)kick_hook);
	kick_hook = kick;
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
	policy->enqueue(t, cpu);
	if (cpu != cpu_id() && kick_hook)
		kick_hook(cpu);
}

/* make t's CPU look at it again: a kill is waiting for it */
void
task_kick(struct task *t)
{
	int cpu = t->cpu;
	if (cpu >= 0 && (unsigned)cpu != cpu_id() && kick_hook)
		kick_hook((unsigned)cpu);
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

/*
 * Exited tasks are not freed here: this runs with interrupts off, and
 * freeing unmaps a stack, which waits for other CPUs to flush their TLBs.
 * They wait on a per-CPU list until this CPU next runs with interrupts on
 * (task_reap, from voluntary switches and the idle loop).
 */
void
sched_finish_switch(void)
{
	struct percpu *pc = this_cpu();
	struct task *prev = pc->prev;
	pc->prev = NULL;
	if (prev && (prev->state == TASK_EXITED || prev->state == TASK_KILLED)) {
		prev->all_zombie_next = pc->zombies;
		pc->zombies = prev;
	}
}

void
task_reap(void)
{
	bool irq = irq_save();
	struct percpu *pc = this_cpu();
	struct task *z = pc->zombies;
	pc->zombies = NULL;
	irq_restore(irq);
	while (z) {
		struct task *next = z->all_zombie_next;
		task_unref(z); /* the task's reference to itself */
		z = next;
	}
}

void
sched_schedule(void)
{
	struct percpu *pc = this_cpu();
	struct task *prev = pc->current;
	if (prev->state == TASK_RUNNABLE && !prev->idle)
		policy->enqueue(prev, pc->id);
	struct task *next = policy->pick_next(pc->id);
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

static void
wake_sleepers(uint64_t now)
{
	for (;;) {
		struct task *t = NULL;
		spin_lock_raw(&sleep_lock);
		if (sleepers && sleepers->deadline <= now) {
			t = sleepers->t;
			sleepers = sleepers->next;
		}
		spin_unlock_raw(&sleep_lock);
		if (!t)
			return;
		task_wake(t);
	}
}

void
task_tick(void)
{
	struct percpu *pc = this_cpu();
	uint64_t now = tsc_ns();
	pc->ticks++;
	wake_sleepers(now);
	struct task *cur = pc->current;
	if (!cur || !policy)
		return;
	if (cur->idle || now - cur->switched_in_at >= timeslice)
		pc->need_resched = true;
	if (pc->need_resched && pc->preempt_count == 0)
		sched_schedule(); /* from the interrupt: interrupts are off */
}

void
task_timer_arm(struct task_timer *tm, uint64_t deadline)
{
	tm->t = task_current();
	tm->deadline = deadline;
	bool irq = irq_save();
	spin_lock_raw(&sleep_lock);
	struct sleeper **pp = &sleepers;
	while (*pp && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	tm->next = *pp;
	*pp = tm;
	spin_unlock_raw(&sleep_lock);
	irq_restore(irq);
}

void
task_timer_cancel(struct task_timer *tm)
{
	bool irq = irq_save();
	spin_lock_raw(&sleep_lock);
	for (struct sleeper **pp = &sleepers; *pp; pp = &(*pp)->next)
		if (*pp == tm) {
			*pp = tm->next;
			break;
		}
	spin_unlock_raw(&sleep_lock);
	irq_restore(irq);
}

void
task_tick_resched(void)
{
	struct percpu *pc = this_cpu();
	pc->need_resched = true;
	if (policy && pc->current && pc->preempt_count == 0)
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
		if (this_cpu()->zombies || this_cpu()->need_resched)
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
	if (!policy)
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
	int err = task_tls_alloc(boot);
	if (!err && policy->task_init)
		err = policy->task_init(boot, 0);
	if (err) {
		task_tls_free(boot);
		return err;
	}
	struct task_builder b = TASK_BUILDER(idle_loop, (uint64_t)pc->id);
	b.name = "idle";
	b.idle = true;
	b.pin = (int)pc->id;
	b.stack_pages = 4;
	struct task *idle = task_spawn(&b, &err);
	if (!idle) {
		if (policy->task_fini)
			policy->task_fini(boot);
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
	task_tls_switch(t);
	err = task_fpu_init_cpu();
	if (pc->id == 0) {
		cell_set_tls_hook(task_tls_publish);
		if (!err)
			err = task_unwind_init();
	}
	return err;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(sched_policy);
EXPORT_APP(task_sleep_ns);
EXPORT_APP(task_yield);
EXPORT_APP(task_current);
