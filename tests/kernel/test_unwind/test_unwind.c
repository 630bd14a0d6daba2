/*
 * test_unwind: a task that panics, faults or is killed releases everything
 * it held - MappedPages, heap memory, frames, lock guards - including the
 * objects live in the very frame that faulted; the others go on. The
 * runner's memory check (frames, pages, mappings, heap) backs every test.
 */
/* These tests die on purpose holding owned objects. GCC 12's analyzer runs
 * without modelling unwinding (tools/analyze.sh), so a noreturn panic or a
 * fault looks like a path where cleanups never run: exactly what the
 * unwinder makes untrue, and what these tests check at run time. */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"

#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "fmt.h"
#include "frame_alloc.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "memory.h"
#include "recovery.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"
#include "unwind.h"

/* a resource whose drop is counted, to see which cleanups ran */
static volatile int drops;

struct tres {
	int id;
	char *mem;
};

static void
tres_drop(struct tres *r)
{
	kfree(r->mem);
	kfree(r);
	__atomic_add_fetch(&drops, 1, __ATOMIC_RELAXED);
}
DEFINE_DROP(struct tres, tres_drop)

static struct tres *
tres_new(int id)
{
	struct tres *r = kmalloc(sizeof(*r));
	if (r) {
		r->id = id;
		r->mem = kmalloc(256);
	}
	return r;
}

static struct mutex held_mutex = MUTEX_INIT;

static uint64_t
hoard_then_panic(uint64_t depth)
{
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 3, MP_WRITE, &err);
	_cleanup_(kfreep) char *buf = kmalloc(5000);
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc(2, &err);
	_cleanup_(guard_drop) struct guard g = mutex_lock(&held_mutex);
	_cleanup_(tres_drop_p) struct tres *r = tres_new((int)depth);
	if (mp && buf && f && r)
		panic("deliberate panic with %d owned objects per frame", 5);
	return depth;
}

static uint64_t
bystander(uint64_t ms)
{
	task_sleep_ns(ms * 1000000);
	return 7;
}

KTEST(panic_releases_everything)
{
	int err;
	drops = 0;
	struct task_builder sb = TASK_BUILDER(bystander, (uint64_t)50);
	_cleanup_(task_unref_p) struct task *other = task_spawn(&sb, &err);
	KT_ASSERT(other);
	/* depth 0: one frame; its lock guard holds the only mutex, so recursion
	 * would deadlock - one frame with five owned objects is the case */
	struct task_builder b = TASK_BUILDER(hoard_then_panic, (uint64_t)0);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_EQ(task_join(t, NULL), E_FAULT);
	KT_EQ(t->state, TASK_KILLED);
	KT_ASSERT(strstr(t->kill_reason, "deliberate panic with 5"));
	KT_EQ(drops, 1);
	struct guard g;
	KT_OK(mutex_trylock(&held_mutex, &g)); /* the lock guard was released */
	guard_drop(&g);
	uint64_t v;
	KT_OK(task_join(other, &v)); /* the rest went on */
	KT_EQ(v, 7);
}

/* the fault is at an instruction (not a call) in a frame whose own
 * owned objects are live: -fnon-call-exceptions gives it a landing pad */
static uint64_t
deref_with_live_locals(volatile uint64_t *p)
{
	_cleanup_(tres_drop_p) struct tres *a = tres_new(1);
	_cleanup_(tres_drop_p) struct tres *b = tres_new(2);
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	uint64_t v = *p; /* NULL: faults here */
	return v + (uint64_t)(a ? a->id : 0) + (uint64_t)(b ? b->id : 0) + (mp ? 1 : 0);
}

static uint64_t
outer_with_locals(volatile uint64_t *p)
{
	_cleanup_(tres_drop_p) struct tres *c = tres_new(3);
	return deref_with_live_locals(p) + (uint64_t)(c ? c->id : 0);
}

KTEST(null_deref_runs_the_faulting_frames_cleanups)
{
	int err;
	drops = 0;
	struct task_builder b = TASK_BUILDER(outer_with_locals, (volatile uint64_t *)NULL);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_EQ(task_join(t, NULL), E_FAULT);
	KT_ASSERT(strstr(t->kill_reason, "read from an unmapped page"));
	KT_EQ(drops, 3); /* a and b in the faulting frame, c in its caller */
}

static volatile int zero_divisor;

static uint64_t
divide_holding(uint64_t x)
{
	_cleanup_(tres_drop_p) struct tres *r = tres_new(1);
	return x / (uint64_t)zero_divisor + (uint64_t)(r ? r->id : 0);
}

/*
 * GCC treats __builtin_trap as unable to throw, so an owned object in the
 * trapping frame itself has no landing pad at the ud2 (see
 * docs/unwinding.md). Owned objects in callers are released: the call is
 * covered because GCC cannot prove the callee (reached through a pointer,
 * as code in another cell would be) does not fault.
 */
static __attribute__((noinline)) uint64_t
trap_now(uint64_t x)
{
	if (x)
		__builtin_trap();
	return x;
}

static uint64_t (*volatile trap_fn)(uint64_t) = trap_now;

static uint64_t
trap_holding(uint64_t x)
{
	_cleanup_(tres_drop_p) struct tres *r = tres_new(1);
	return trap_fn(x) + (uint64_t)(r ? r->id : 0);
}

KTEST(divide_error_and_invalid_opcode_unwind)
{
	int err;
	drops = 0;
	struct task_builder b1 = TASK_BUILDER(divide_holding, (uint64_t)10);
	_cleanup_(task_unref_p) struct task *t1 = task_spawn(&b1, &err);
	KT_ASSERT(t1);
	KT_EQ(task_join(t1, NULL), E_FAULT);
	KT_ASSERT(strstr(t1->kill_reason, "#DE"));
	struct task_builder b2 = TASK_BUILDER(trap_holding, (uint64_t)1);
	_cleanup_(task_unref_p) struct task *t2 = task_spawn(&b2, &err);
	KT_ASSERT(t2);
	KT_EQ(task_join(t2, NULL), E_FAULT);
	KT_ASSERT(strstr(t2->kill_reason, "#UD"));
	KT_EQ(drops, 2);
}

static volatile uint64_t overflow_limit = ~0ULL;

static __attribute__((noinline)) uint64_t
deep(uint64_t depth)
{
	volatile uint8_t frame[256];
	frame[0] = (uint8_t)depth;
	if (depth >= overflow_limit)
		return 0;
	return deep(depth + 1) + frame[0];
}

static uint64_t (*volatile deep_fn)(uint64_t) = deep;

static uint64_t
overflow_holding(uint64_t x)
{
	_cleanup_(tres_drop_p) struct tres *r = tres_new(1);
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 2, MP_WRITE, &err);
	return deep_fn(x) + (uint64_t)(r ? r->id : 0) + (mp ? 1 : 0);
}

KTEST(stack_overflow_unwinds)
{
	int err;
	drops = 0;
	struct task_builder b = TASK_BUILDER(overflow_holding, (uint64_t)0);
	b.stack_pages = 4;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_EQ(task_join(t, NULL), E_FAULT);
	KT_ASSERT(strstr(t->kill_reason, "#DF"));
	KT_EQ(drops, 1);
}

static struct mutex contended = MUTEX_INIT;

static uint64_t
blocks_on_mutex(uint64_t x)
{
	_cleanup_(tres_drop_p) struct tres *r = tres_new(1);
	_cleanup_(guard_drop) struct guard g = mutex_lock(&contended); /* blocks: we hold it */
	return x + (uint64_t)(r ? r->id : 0);
}

struct spin_arg {
	volatile int *run;
	volatile uint64_t *count;
};

static uint64_t
spins_holding(struct spin_arg *a)
{
	_cleanup_(tres_drop_p) struct tres *r = tres_new(1);
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	while (*a->run)
		(*a->count)++; /* loads and stores through pointers: covered by pads */
	return (uint64_t)(r ? r->id : 0) + (mp ? 1 : 0);
}

KTEST(kill_blocked_and_spinning_tasks)
{
	int err;
	drops = 0;
	{
		_cleanup_(guard_drop) struct guard g = mutex_lock(&contended);
		struct task_builder b = TASK_BUILDER(blocks_on_mutex, (uint64_t)1);
		_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
		KT_ASSERT(t);
		while (t->state != TASK_BLOCKED)
			task_sleep_ns(1000000);
		KT_OK(task_kill(t, "test: blocked on a mutex"));
		KT_EQ(task_join(t, NULL), E_FAULT);
		KT_ASSERT(strstr(t->kill_reason, "blocked on a mutex"));
		KT_EQ(task_kill(t, "again"), E_NOENT);
	}
	KT_EQ(drops, 1);

	volatile int run = 1;
	volatile uint64_t count = 0;
	struct spin_arg a = { &run, &count };
	struct task_builder b = TASK_BUILDER(spins_holding, &a);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online()); /* it spins on another CPU */
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	while (count < 1000)
		task_yield();
	KT_OK(task_kill(t, "test: spinning"));
	KT_EQ(task_join(t, NULL), E_FAULT);
	run = 0;
	KT_ASSERT(strstr(t->kill_reason, "spinning"));
	KT_EQ(drops, 2);
}

struct restart_arg {
	volatile int runs;
	volatile int done;
};

static uint64_t
flaky(struct restart_arg *a)
{
	_cleanup_(tres_drop_p) struct tres *r = tres_new(1);
	int run = __atomic_add_fetch(&a->runs, 1, __ATOMIC_ACQ_REL);
	if (run == 1) {
		volatile uint64_t *bad = (volatile uint64_t *)0xdead0000;
		return *bad; /* first run: fault */
	}
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return (uint64_t)(r ? r->id : 0);
}

KTEST(restartable_task_restarts_and_fault_log_is_right)
{
	int err;
	static struct restart_arg a;
	a.runs = 0;
	a.done = 0;
	drops = 0;
	uint64_t seq = fault_log_last_seq();
	struct task_builder b = TASK_BUILDER(flaky, &a);
	b.restartable = true;
	b.name = "flaky";
	b.pin = (int)cpu_id();
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	KT_EQ(task_join(t, NULL), E_FAULT);
	uint64_t t0 = tsc_ns();
	while (!a.done && tsc_ns() - t0 < 1000000000ULL)
		task_sleep_ns(1000000);
	KT_EQ(a.runs, 2);
	KT_ASSERT(a.done);
	KT_ASSERT(recovery_restarted_as(t->id) != 0); /* recovery's record of it */
	KT_EQ(drops, 2);
	struct fault_record rec[4];
	size_t n = fault_log_read(rec, 4, seq);
	KT_EQ(n, 1);
	KT_EQ(rec[0].vector, 14);
	KT_EQ(rec[0].cr2, 0xdead0000);
	KT_ASSERT(!strcmp(rec[0].task, "flaky"));
	KT_ASSERT(!strcmp(rec[0].cell, "test_unwind"));
	KT_ASSERT(!strcmp(rec[0].section, "flaky"));
	KT_EQ(rec[0].cpu, (unsigned)b.pin);
	KT_ASSERT(strstr(rec[0].action, "restarted as flaky"));
	KT_ASSERT(rec[0].pads >= 1);
	/* let the restarted task be reaped before the memory check */
	for (int i = 0; i < 100; i++)
		task_sleep_ns(1000000);
}

static struct mutex bt_mutex = MUTEX_INIT;

static __attribute__((noinline)) uint64_t
waits_for_mutex(uint64_t x)
{
	_cleanup_(guard_drop) struct guard g = mutex_lock(&bt_mutex);
	return x;
}

KTEST(backtrace_of_a_blocked_task)
{
	int err;
	_cleanup_(guard_drop) struct guard g = mutex_lock(&bt_mutex);
	struct task_builder b = TASK_BUILDER(waits_for_mutex, (uint64_t)3);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	while (t->state != TASK_BLOCKED || t->on_cpu)
		task_sleep_ns(1000000);
	uint64_t pcs[24];
	size_t n = task_backtrace(t, pcs, 24);
	bool saw_waitq = false, saw_entry = false;
	for (size_t i = 0; i < n; i++) {
		uint64_t off;
		const char *sym = exc_symbolize(pcs[i] - 1, &off, NULL);
		if (sym && !strcmp(sym, "waitq_wait_until"))
			saw_waitq = true;
		if (sym && !strcmp(sym, "waits_for_mutex"))
			saw_entry = true;
	}
	guard_drop(&g);
	KT_OK(task_join(t, NULL));
	KT_ASSERT(n >= 4);
	KT_ASSERT(saw_waitq && saw_entry);
}
