/*
 * test_tasks: spawning, joining, exit values, many tasks with nothing
 * leaked, preemption of a spinning task, sleep precision, per-task TLS and
 * FPU state, lock guards released by drop, introspection.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

static uint64_t
twice(uint64_t x)
{
	return 2 * x;
}

KTEST(spawn_join_exit_value)
{
	int err;
	struct task_builder b = TASK_BUILDER(twice, (uint64_t)21);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_ASSERT(!strcmp(t->name, "twice"));
	uint64_t v = 0;
	KT_OK(task_join(t, &v));
	KT_EQ(v, 42);
	KT_EQ(t->state, TASK_EXITED);
	KT_EQ(task_join(task_current(), &v), E_INVAL);
}

struct job {
	int in;
	int out;
};

static int
do_job(struct job *j)
{
	j->out = j->in * j->in;
	task_exit((uint64_t)j->out + 1); /* task_exit works as well as return */
}

KTEST(typed_argument_and_task_exit)
{
	int err;
	struct job j = { 7, 0 };
	struct task_builder b = TASK_BUILDER(do_job, &j);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_EQ(j.out, 49);
	KT_EQ(v, 50);
}

static uint64_t
noop(uint64_t x)
{
	return x;
}

KTEST(thousand_tasks_nothing_leaked)
{
	enum { N = 1000, BATCH = 50 };
	size_t before = ktest_tasks(); /* not task_count(): shell jobs come and go */
	unsigned cpus_used = 0;
	for (int round = 0; round < N / BATCH; round++) {
		_cleanup_(task_group_drop) struct task_group g = { 0 };
		for (int i = 0; i < BATCH; i++) {
			struct task_builder b = TASK_BUILDER(noop, (uint64_t)(round * BATCH + i));
			b.stack_pages = 2;
			KT_OK(task_group_spawn(&g, &b));
		}
		uint64_t v[BATCH];
		KT_OK(task_group_join(&g, v));
		for (int i = 0; i < BATCH; i++) {
			KT_EQ(v[i], (uint64_t)(round * BATCH + i));
			cpus_used |= 1u << g.tasks[i]->cpu;
		}
	}
	KT_EQ(cpus_used, (1u << cpu_count_online()) - 1); /* across every CPU */
	/* every task dropped its own reference once it switched away */
	KT_ASSERT(ktest_wait_tasks(before, 2000000000));
	KT_EQ(ktest_tasks(), before);
}

static volatile bool stop_spinning;

static uint64_t
spinner(uint64_t x)
{
	uint64_t n = x;
	while (!__atomic_load_n(&stop_spinning, __ATOMIC_ACQUIRE))
		n++;
	return n;
}

KTEST(spinning_task_is_preempted)
{
	int err;
	stop_spinning = false;
	struct task_builder b = TASK_BUILDER(spinner, (uint64_t)0);
	b.pin = (int)cpu_id(); /* same CPU as us: only preemption lets us back */
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	task_yield(); /* the spinner runs now and never yields */
	uint64_t t0 = tsc_ns();
	while (tsc_ns() - t0 < 30000000)
		task_yield(); /* we keep getting the CPU back: it is being preempted */
	__atomic_store_n(&stop_spinning, true, __ATOMIC_RELEASE);
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_ASSERT(v > 1000); /* it did run */
	KT_ASSERT(t->runtime_ns > 5000000);
}

/*
 * The sleeper is made runnable at the first tick after its deadline; if
 * its CPU is running another task then (a shell job such as `spin &` in a
 * live system), it gets the CPU when that task's slice ends, within one
 * more timeslice. So: within one tick plus one timeslice of the deadline.
 */
KTEST(sleep_wakes_within_one_tick)
{
	uint64_t tick = task_timeslice_ns(); /* the 100 Hz tick is 10 ms too */
	uint64_t best = UINT64_MAX;
	/* every sleep lasts its time; the best of five (a host that
	 * deschedules the virtual CPU delays any one) is within the bound */
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = tsc_ns();
		task_sleep_ns(20000000);
		uint64_t dt = tsc_ns() - t0;
		KT_ASSERT(dt >= 20000000);
		best = MIN(best, dt);
	}
	if (best > 20000000 + tick + task_timeslice_ns() + 2000000)
		KT_FAIL("slept at best %lu us for 20000 us", best / 1000);
}

static __thread uint64_t tls_value = 1000;

static uint64_t
tls_worker(uint64_t add)
{
	uint64_t *mine = &tls_value;
	for (int i = 0; i < 5; i++) {
		tls_value += add;
		task_yield();
	}
	return tls_value + (mine == &tls_value ? 0 : 1000000);
}

KTEST(tls_is_per_task)
{
	uint64_t before = tls_value;
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (int i = 0; i < 4; i++) {
		struct task_builder b = TASK_BUILDER(tls_worker, (uint64_t)(i + 1));
		b.pin = (int)cpu_id();
		KT_OK(task_group_spawn(&g, &b));
	}
	uint64_t v[4];
	KT_OK(task_group_join(&g, v));
	for (int i = 0; i < 4; i++)
		KT_EQ(v[i], 1000 + 5 * (uint64_t)(i + 1));
	KT_EQ(tls_value, before); /* ours was never touched */
}

/* keep a value in xmm0 across yields: each task must get its own */
static uint64_t
xmm_worker(uint64_t seed)
{
	uint64_t out;
	/* cells never use SSE themselves (-mgeneral-regs-only), so xmm0 is
	 * ours to set without telling the compiler */
	__asm__ volatile("movq %0, %%xmm0" : : "r"(seed));
	for (int i = 0; i < 10; i++)
		task_yield();
	__asm__ volatile("movq %%xmm0, %0" : "=r"(out));
	return out;
}

KTEST(fpu_state_is_per_task)
{
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (int i = 0; i < 3; i++) {
		struct task_builder b = TASK_BUILDER(xmm_worker, (uint64_t)0x1111 * (uint64_t)(i + 1));
		b.pin = (int)cpu_id();
		KT_OK(task_group_spawn(&g, &b));
	}
	uint64_t v[3];
	KT_OK(task_group_join(&g, v));
	for (int i = 0; i < 3; i++) {
		KT_EQ(v[i], 0x1111 * (uint64_t)(i + 1));
		KT_ASSERT(g.tasks[i]->fpu != NULL); /* it got a save area on first use */
	}
}

static struct mutex shared_mutex = MUTEX_INIT;
static uint64_t shared_counter;

static uint64_t
locker(uint64_t rounds)
{
	for (uint64_t i = 0; i < rounds; i++) {
		_cleanup_(guard_drop) struct guard g = mutex_lock(&shared_mutex);
		uint64_t v = shared_counter;
		if (i % 7 == 0)
			task_yield(); /* hold the lock across a switch */
		shared_counter = v + 1;
	} /* each guard is dropped at the end of its iteration */
	return 0;
}

KTEST(lock_guards_released_by_drop)
{
	shared_counter = 0;
	{
		_cleanup_(task_group_drop) struct task_group g = { 0 };
		for (int i = 0; i < 3; i++) {
			struct task_builder b = TASK_BUILDER(locker, (uint64_t)200);
			KT_OK(task_group_spawn(&g, &b));
		}
		KT_OK(task_group_join(&g, NULL));
	}
	KT_EQ(shared_counter, 600); /* mutual exclusion held */
	struct guard g;
	KT_OK(mutex_trylock(&shared_mutex, &g)); /* nobody still holds it */
	KT_ASSERT(mutex_held_by_me(&shared_mutex));
	guard_drop(&g);
	KT_ASSERT(!mutex_held_by_me(&shared_mutex));
	{
		static struct spinlock sl = SPINLOCK_INIT;
		_cleanup_(guard_drop) struct guard pg = mutex_preempt_lock(&sl);
		KT_EQ(this_cpu()->preempt_count, 1);
	}
	KT_EQ(this_cpu()->preempt_count, 0);
}

static struct mutex cmx = MUTEX_INIT;
static struct cond cv;
static int ready;

static uint64_t
waiter(uint64_t x)
{
	_cleanup_(guard_drop) struct guard g = mutex_lock(&cmx);
	while (!ready)
		cond_wait(&cv, &g);
	return x + (uint64_t)ready;
}

KTEST(condition_wakes_waiters)
{
	int err;
	cond_init(&cv);
	ready = 0;
	struct task_builder b = TASK_BUILDER(waiter, (uint64_t)10);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	task_sleep_ns(5000000);
	KT_EQ(t->state, TASK_BLOCKED);
	{
		_cleanup_(guard_drop) struct guard g = mutex_lock(&cmx);
		ready = 5;
		cond_broadcast(&cv);
	}
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_EQ(v, 15);
}

KTEST(start_blocked_then_wake)
{
	int err;
	struct task_builder b = TASK_BUILDER(twice, (uint64_t)4);
	b.blocked = true;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	task_yield();
	KT_EQ(t->state, TASK_BLOCKED);
	KT_ASSERT(task_wake(t));
	KT_ASSERT(!task_wake(t));
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_EQ(v, 8);
}

KTEST(task_holds_its_entry_cell)
{
	int err;
	struct cell *me = cell_at((uint64_t)(uintptr_t)&twice);
	KT_ASSERT(me && !strcmp(me->name, "test_tasks"));
	uint32_t users = me->users;
	struct task_builder b = TASK_BUILDER(twice, (uint64_t)1);
	b.blocked = true;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t && t->entry_cell == me);
	KT_EQ(me->users, users + 1);
	struct cell_error why;
	struct cell *set[] = { me };
	KT_EQ(cell_unload(set, 1, &why), E_BUSY);
	KT_ASSERT(strstr(why.msg, "holds the entry of"));
	task_wake(t);
	KT_OK(task_join(t, NULL));
	task_unref(TAKE_PTR(t));
	/* the cell is let go when the task is freed, by its CPU's reaper */
	KT_ASSERT(ktest_wait_tasks(0, 2000000000));
	KT_EQ(me->users, users);
}

KTEST(introspection_lists_tasks)
{
	int err;
	struct task_builder b = TASK_BUILDER(twice, (uint64_t)3);
	b.name = "listed";
	b.blocked = true;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	static struct task_info info[64];
	size_t n = task_list(info, 64);
	KT_ASSERT(n >= 3 && n <= 64);
	bool found = false, idle = false;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(info[i].name, "listed")) {
			found = true;
			KT_EQ(info[i].state, TASK_BLOCKED);
			KT_ASSERT(!strcmp(info[i].cell, "test_tasks"));
		}
		idle |= info[i].idle;
	}
	KT_ASSERT(found && idle);
	task_wake(t);
	KT_OK(task_join(t, NULL));
}
