/*
 * test_cleanup: what a dying task leaves behind in the task layer. A wait
 * condition that faults under its queue's lock unwinds the task and frees
 * the lock, the queue node and the timer; a task killed while sleeping
 * leaves no sleeper entry; tasks that exit on a CPU whose task never
 * yields are still freed.
 */
#include "cpu.h"
#include "base.h"
#include "ktest.h"
#include "task.h"
#include "tsc.h"

static volatile uint64_t *volatile null_ptr;

/* a condition evaluated under the queue's lock that faults (the n-th time
 * it is asked: 1 = at once, 2 = once the task is queued with a timer) */
struct bad_cond {
	int calls, fault_at;
};

static bool
faulting_done(void *ctx)
{
	struct bad_cond *c = ctx;
	if (++c->calls >= c->fault_at)
		return *null_ptr != 0; /* NULL: faults here, q->lock held */
	return false;
}

static struct waitq badq = WAITQ_INIT;
static struct bad_cond bad;

static uint64_t
wait_faulting(uint64_t deadline)
{
	if (deadline) {
		int e = waitq_wait_deadline(&badq, faulting_done, &bad, deadline);
		return (uint64_t)e;
	} else
		waitq_wait_until(&badq, faulting_done, &bad);
	return 1;
}

static volatile bool flag;

static bool
flag_set(void *ctx)
{
	(void)ctx;
	return __atomic_load_n(&flag, __ATOMIC_ACQUIRE);
}

static uint64_t
wait_flag(uint64_t x)
{
	waitq_wait_until(&badq, flag_set, NULL);
	return x;
}

static bool
wait_blocked(struct task *t)
{
	for (int i = 0; i < 500; i++) {
		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_BLOCKED)
			return true;
		task_sleep_ns(1000000);
	}
	return false;
}

/* after the faulting waiter: the lock is free, the queue empty, and another
 * task can wait and be woken on it */
static const char *
queue_usable(void)
{
	if (__atomic_load_n(&badq.lock.locked, __ATOMIC_ACQUIRE))
		return "the queue's lock is still held";
	if (!qlist_empty(&badq.waiters))
		return "the dead waiter's node is still queued";
	int err;
	flag = false;
	struct task_builder b = TASK_BUILDER(wait_flag, (uint64_t)5);
	_cleanup_(task_unref_p) struct task *w = task_spawn(&b, &err);
	if (!w)
		return "spawn failed";
	if (!wait_blocked(w))
		return "the second waiter did not block";
	__atomic_store_n(&flag, true, __ATOMIC_RELEASE);
	if (waitq_wake_all(&badq) != 1)
		return "the second waiter was not the only one queued";
	uint64_t v = 0;
	if (task_join(w, &v) || v != 5)
		return "the second waiter did not finish";
	return NULL;
}

KTEST(faulting_wait_condition_releases_the_queue)
{
	int err;
	bad = (struct bad_cond){ 0, 1 };
	struct task_builder b = TASK_BUILDER(wait_faulting, (uint64_t)0);
	b.name = "bad-waiter";
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t v = 0;
	KT_EQ(task_join(t, &v), E_FAULT);
	KT_EQ(t->kill_shield, 0);
	const char *why = queue_usable();
	if (why)
		KT_FAIL("%s", why);
}

KTEST(faulting_timed_wait_leaves_no_timer)
{
	int err;
	bad = (struct bad_cond){ 0, 2 };
	struct task_builder b = TASK_BUILDER(wait_faulting, (uint64_t)(tsc_ns() + 10000000000ull));
	b.name = "bad-timed-waiter";
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_ASSERT(wait_blocked(t)); /* queued, with its timer armed */
	KT_EQ(task_timer_count(t), 1);
	waitq_wake_all(&badq); /* asks the condition again: it faults */
	uint64_t v = 0;
	KT_EQ(task_join(t, &v), E_FAULT);
	KT_EQ(task_timer_count(t), 0);
	const char *why = queue_usable();
	if (why)
		KT_FAIL("%s", why);
}

static uint64_t
long_sleeper(uint64_t ns)
{
	task_sleep_ns(ns);
	return 0;
}

KTEST(killed_sleeper_leaves_no_timer)
{
	int err;
	struct task_builder b = TASK_BUILDER(long_sleeper, (uint64_t)10000000000ull);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_ASSERT(wait_blocked(t));
	KT_EQ(task_timer_count(t), 1);
	KT_OK(task_kill(t, "test: killed while sleeping"));
	uint64_t v;
	KT_EQ(task_join(t, &v), E_FAULT);
	KT_EQ(task_timer_count(t), 0);
}

static volatile bool stop_spin;

static uint64_t
spin(uint64_t x)
{
	while (!__atomic_load_n(&stop_spin, __ATOMIC_ACQUIRE))
		x++;
	return x;
}

static uint64_t
quick(uint64_t x)
{
	return x;
}

/* every other CPU runs a task that never yields; tasks exit on one of
 * them while this task polls without yielding either: only a reaper that
 * does not wait for those CPUs' voluntary switches frees them */
KTEST(exited_tasks_reaped_while_their_cpu_spins)
{
	enum { N = 16 };
	unsigned ncpu = cpu_count_online(), me = cpu_id();
	unsigned k = ncpu > 1 ? (me + 1) % ncpu : me;
	size_t before = task_count();
	struct task *spinners[MAX_CPUS] = { 0 };
	size_t nspin = 0;
	int err;
	stop_spin = false;
	for (unsigned c = 0; c < ncpu; c++) {
		if (c == me && ncpu > 1)
			continue;
		struct task_builder b = TASK_BUILDER(spin, (uint64_t)c);
		b.pin = (int)c;
		b.stack_pages = 2;
		spinners[nspin] = task_spawn(&b, &err);
		if (spinners[nspin])
			nspin++;
	}
	for (int i = 0; i < N; i++) {
		struct task_builder b = TASK_BUILDER(quick, (uint64_t)i);
		b.pin = (int)k;
		b.stack_pages = 2;
		struct task *t = task_spawn(&b, &err);
		if (t)
			task_unref(t); /* its own reference frees it once reaped */
	}
	uint64_t t0 = tsc_ns(), dt;
	while (task_count() != before + nspin && (dt = tsc_ns() - t0) < 2000000000ull)
		cpu_relax(); /* no voluntary switch here either */
	dt = tsc_ns() - t0;
	size_t left = task_count() - before - nspin;
	__atomic_store_n(&stop_spin, true, __ATOMIC_RELEASE);
	for (size_t i = 0; i < nspin; i++) {
		uint64_t v;
		if (task_join(spinners[i], &v))
			left += 1000; /* a spinner died: reported below */
		task_unref(spinners[i]);
	}
	KT_EQ(nspin, ncpu > 1 ? ncpu - 1 : 1);
	if (left)
		KT_FAIL("%zu of %d exited tasks on spinning CPU %u not freed after %lu ms", left, N, k,
			dt / 1000000);
}

/* Issue 14: the sleeper list runs through timers in the sleeping tasks'
 * frames; a stack corruption there had every tick fault in the timer
 * walk. Now a timer that is not one, or a fault while following the list,
 * has the list rebuilt from the tasks' armed timers. */
static uint64_t
sleeper_for(uint64_t ms)
{
	task_sleep_ns(ms * 1000000ULL);
	return ms;
}

KTEST_FLAGS(corrupted_sleeper_list_is_rebuilt_from_the_tasks, KTEST_NO_FRAMECHECK)
{
	int err;
	size_t r0 = task_timer_rebuilds();
	struct task_builder ba = TASK_BUILDER(sleeper_for, (uint64_t)100);
	struct task_builder bb = TASK_BUILDER(sleeper_for, (uint64_t)300);
	_cleanup_(task_unref_p) struct task *a = task_spawn(&ba, &err);
	_cleanup_(task_unref_p) struct task *b = task_spawn(&bb, &err);
	KT_ASSERT(a && b);
	for (int i = 0; i < 200 && (!a->timer || !b->timer); i++)
		task_sleep_ns(1000000);
	KT_ASSERT(a->timer && b->timer);
	/* a's link to the next sleeper becomes garbage (not even canonical) */
	a->timer->next = (struct task_timer *)0xdead00000000beefULL;
	uint64_t va = 0, vb = 0;
	KT_OK(task_join(a, &va));
	KT_OK(task_join(b, &vb)); /* found again by the rebuild */
	KT_EQ(va, 100);
	KT_EQ(vb, 300);
	KT_ASSERT(task_timer_rebuilds() > r0);
}

/* The campaign's hung tasks: a word written into a sleeping unit's frame
 * set its timer's deadline far into the future while it was first on the
 * sleeper list; the tick stopped there, and every timer behind it (every
 * other sleeper in the system) never expired. Now a head due after the
 * timer behind it has the list rebuilt, in deadline order. */
KTEST_FLAGS(corrupted_deadline_at_the_head_does_not_hold_back_later_sleepers, KTEST_NO_FRAMECHECK)
{
	int err;
	size_t r0 = task_timer_rebuilds();
	struct task_builder ba = TASK_BUILDER(sleeper_for, (uint64_t)200);
	struct task_builder bb = TASK_BUILDER(sleeper_for, (uint64_t)300);
	_cleanup_(task_unref_p) struct task *a = task_spawn(&ba, &err);
	KT_ASSERT(a);
	for (int i = 0; i < 200 && !a->timer; i++)
		task_sleep_ns(1000000);
	_cleanup_(task_unref_p) struct task *b = task_spawn(&bb, &err);
	KT_ASSERT(b);
	for (int i = 0; i < 200 && !b->timer; i++)
		task_sleep_ns(1000000);
	KT_ASSERT(a->timer && b->timer);
	uint64_t t0 = tsc_ns();
	uint64_t a_deadline = a->timer->deadline;
	a->timer->deadline = UINT64_MAX / 2; /* a, due first, now never */
	uint64_t vb = 0;
	KT_OK(task_join(b, &vb));
	KT_EQ(vb, 300);
	KT_ASSERT(tsc_ns() - t0 < 2000000000ULL); /* not held back */
	KT_ASSERT(task_timer_rebuilds() > r0);
	/* a oversleeps (its own frame was hit); put its deadline back */
	KT_ASSERT(a->timer);
	a->timer->deadline = a_deadline;
	uint64_t va = 0;
	KT_OK(task_join(a, &va));
	KT_EQ(va, 200);
}
