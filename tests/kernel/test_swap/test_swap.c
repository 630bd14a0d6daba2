/*
 * test_swap: live evolution case studies, each with tasks running
 * throughout - a new version of a cell with state, a split into two cells
 * and a merge back, a swap whose verification fails (nothing changes),
 * swapping back, and the scheduler policy swapped live.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "memory.h"
#include "page_table.h"
#include "task.h"
#include "tsc.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

struct caller {
	volatile bool stop;
	volatile uint64_t calls;
	volatile long last;
	volatile int versions_seen;
	volatile long prev_count, bad_count;
	long (*call)(void);
};

#define VERSION(v) ((v) / 1000000000L)

/* however the test ends, its caller task stops */
static void
stop_caller(struct caller **c)
{
	if (*c)
		(*c)->stop = true;
}

/* calls the user cell in a loop; the counter must never go backwards */
static uint64_t
keep_calling(struct caller *c)
{
	int seen_mask = 0;
	while (!c->stop) {
		long v = c->call();
		long count = v % 1000000000L;
		int version = (int)VERSION(v);
		if (count != c->prev_count + 1) {
			c->bad_count++;
			kprintf("swap test: the counter went from %ld (version %d) to %ld (version %d)\n", c->prev_count,
				(int)VERSION(c->last), count, version);
		}
		c->prev_count = count;
		c->last = v;
		seen_mask |= 1 << version;
		c->versions_seen = seen_mask;
		c->calls++;
	}
	return c->calls;
}

static int
do_swap(const char *old_list[], size_t nold, const char *new_list[], size_t nnew, const char *transfer,
	struct swap_times *t, struct cell_error *why)
{
	struct swap_request rq = { .ns = K(), .nold = nold, .nnew = nnew };
	for (size_t i = 0; i < nold; i++)
		rq.old[i] = old_list[i];
	for (size_t i = 0; i < nnew; i++)
		rq.new_names[i] = new_list[i];
	if (transfer) {
		rq.transfer[0] = transfer;
		rq.ntransfer = 1;
	}
	return cell_swap(&rq, t, why);
}

static void
wait_calls(struct caller *c, uint64_t more)
{
	uint64_t target = c->calls + more;
	for (int i = 0; i < 2000 && c->calls < target; i++)
		task_sleep_ns(1000000);
}

static void
reclaim_all(void)
{
	for (int i = 0; i < 200 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
}

KTEST(swap_versions_split_merge_and_back_while_running)
{
	struct cell_error why;
	static const char *const start[] = { "swapfix_v1", "swapfix_user" };
	KT_OK(cell_load(K(), start, 2, &why));
	static struct caller c;
	memset((void *)&c, 0, sizeof(c));
	c.call = (long (*)(void))(uintptr_t)cell_sym_addr(K(), "swapfix_user_call");
	KT_ASSERT(c.call);
	int err;
	struct task_builder b = TASK_BUILDER(keep_calling, &c);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	_cleanup_(stop_caller) struct caller *stopper = &c;
	wait_calls(&c, 100);
	KT_EQ(VERSION(c.last), 1);

	/* (1) a new version: v1 -> v2, the counter carried over */
	struct swap_times st;
	const char *o1[] = { "swapfix_v1" }, *n1[] = { "swapfix_v2" };
	KT_OK(do_swap(o1, 1, n1, 1, NULL, &st, &why));
	KT_ASSERT(st.relocs >= 2 && st.data_copied >= 1);
	wait_calls(&c, 100);
	KT_EQ(VERSION(c.last), 2);
	KT_ASSERT(cell_find(K(), "swapfix_v2") && !cell_find(K(), "swapfix_v1"));

	/* (2) one cell split into two */
	const char *o2[] = { "swapfix_v2" }, *n2[] = { "swapfix_split_a", "swapfix_split_b" };
	KT_OK(do_swap(o2, 1, n2, 2, NULL, &st, &why));
	wait_calls(&c, 100);
	KT_EQ(VERSION(c.last), 3);

	/* (3) a swap whose verification fails changes nothing */
	struct mm_usage before, after;
	reclaim_all();
	mm_usage(&before);
	struct cell_stats cs0, cs1;
	cell_stats(K(), &cs0);
	const char *o3[] = { "swapfix_split_a", "swapfix_split_b" }, *n3[] = { "swapfix_bad" };
	KT_EQ(do_swap(o3, 2, n3, 1, NULL, &st, &why), E_NOENT);
	KT_ASSERT(strstr(why.msg, "symbol swapfix_count, used by cell swapfix_user"));
	cell_stats(K(), &cs1);
	mm_usage(&after);
	KT_EQ(cs1.cells, cs0.cells);
	KT_EQ(cs1.symbols, cs0.symbols);
	KT_EQ(cs1.deps, cs0.deps);
	KT_EQ(after.mapped, before.mapped);
	KT_ASSERT(!cell_find(K(), "swapfix_bad"));
	wait_calls(&c, 100);
	KT_EQ(VERSION(c.last), 3); /* still running the split version */

	/* (4) two merged into one, and back to the first version */
	const char *o4[] = { "swapfix_split_a", "swapfix_split_b" }, *n4[] = { "swapfix_v1" };
	KT_OK(do_swap(o4, 2, n4, 1, NULL, &st, &why));
	wait_calls(&c, 100);
	KT_EQ(VERSION(c.last), 1);

	c.stop = true;
	uint64_t calls;
	KT_OK(task_join(t, &calls));
	(void)stopper;
	KT_EQ(c.bad_count, 0); /* the counter never jumped: state carried every time */
	KT_EQ(c.versions_seen, (1 << 1) | (1 << 2) | (1 << 3));
	reclaim_all();
	KT_EQ(cell_retired(), 0);
	struct cell *set[] = { cell_find(K(), "swapfix_user"), cell_find(K(), "swapfix_v1") };
	KT_ASSERT(set[0] && set[1]);
	KT_OK(cell_unload(set, 2, &why));
}

static volatile bool spin_stop;

/* the active policy's cell and transfer function, and the other's; name
 * gets the active policy's name (its cell may be replaced meanwhile) */
struct policies {
	const char *cur, *other, *adopt_cur, *adopt_other;
};

static struct policies
policies_now(char *name, size_t n)
{
	strlcpy(name, sched_policy()->name, n);
	bool rr = !strcmp(name, "round-robin");
	return rr ? (struct policies){ "sched_rr", "sched_prio", "sched_rr_adopt", "sched_prio_adopt" }
		  : (struct policies){ "sched_prio", "sched_rr", "sched_prio_adopt", "sched_rr_adopt" };
}

static uint64_t
worker(uint64_t n)
{
	uint64_t rounds = 0;
	while (!spin_stop) {
		for (volatile int i = 0; i < 2000; i++)
			;
		if (++rounds % 8 == 0)
			task_yield();
		if (rounds % 64 == 0)
			task_sleep_ns(100000);
	}
	return n;
}

KTEST_FLAGS(scheduler_swapped_live_and_back, KTEST_NO_FRAMECHECK)
{
	const struct sched_policy *p0 = sched_policy();
	/* p0 lives in the policy cell, which the swap replaces and frees:
	 * keep what we need of it */
	char name0[32];
	struct policies pc = policies_now(name0, sizeof(name0));
	const char *cur = pc.cur, *other = pc.other, *adopt_cur = pc.adopt_cur, *adopt_other = pc.adopt_other;
	spin_stop = false;
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (int i = 0; i < 8; i++) {
		struct task_builder b = TASK_BUILDER(worker, (uint64_t)i);
		b.priority = i;
		KT_OK(task_group_spawn(&g, &b));
	}
	task_sleep_ns(20000000);
	size_t tasks = ktest_tasks();
	struct frame_stats fs0, fs1;
	frame_stats(&fs0);
	struct swap_times st;
	struct cell_error why;
	const char *o1[] = { cur }, *n1[] = { other };
	KT_OK(do_swap(o1, 1, n1, 1, adopt_other, &st, &why));
	KT_ASSERT(sched_policy() != p0);
	KT_EQ(st.pause, 0); /* a policy swap stops no CPU (Figure 9.1(b)) */
	kprintf("SWAP scheduler %s -> %s: load %lu us, verify %lu us, quiesce %lu us, rewrite %lu us, deps %lu us, transfer %lu us, cleanup %lu us, pause %lu us, total %lu us\n",
		cur, other, st.load / 1000, st.verify / 1000, st.quiesce / 1000, st.rewrite / 1000,
		st.deps / 1000, st.transfer / 1000, st.cleanup / 1000, st.pause / 1000, st.total / 1000);
	task_sleep_ns(30000000); /* the tasks keep running under the new policy */
	KT_EQ(ktest_tasks(), tasks);
	const char *o2[] = { other }, *n2[] = { cur };
	KT_OK(do_swap(o2, 1, n2, 1, adopt_cur, &st, &why));
	KT_ASSERT(!strcmp(sched_policy()->name, name0));
	task_sleep_ns(20000000);
	spin_stop = true;
	uint64_t v[8];
	KT_OK(task_group_join(&g, v)); /* no task lost */
	for (int i = 0; i < 8; i++)
		KT_EQ(v[i], (uint64_t)i);
	reclaim_all();
	KT_EQ(cell_retired(), 0);
	/* from the workers' start to here, frames balance exactly */
	frame_stats(&fs1);
	KT_EQ(fs1.free + fs1.raw, fs0.free + fs0.raw);
}

/* Issue 13 reproduction: swapping a policy cell for a fresh copy of itself
 * with its data carried (what `swap`, `make evolve` and recovery's reload
 * do) while 16 tasks compute, yield, sleep and spawn. The old cell's
 * copied queues pointed at nodes the transfer function then freed; now a
 * policy's queues are built from the task list, so the copy is harmless. */
static uint64_t
child(uint64_t n)
{
	return n + 1;
}

static uint64_t
busy(uint64_t n)
{
	uint64_t rounds = 0;
	while (!spin_stop) {
		for (volatile int i = 0; i < 1000; i++)
			;
		rounds++;
		if (rounds % 4 == 0)
			task_yield();
		if (rounds % 32 == 0)
			task_sleep_ns(50000);
		if (rounds % 50 == 0) {
			int err = E_OK;
			struct task_builder b = TASK_BUILDER(child, rounds);
			_cleanup_(task_unref_p) struct task *c = task_spawn(&b, &err);
			uint64_t v = 0;
			int jerr = c ? task_join(c, &v) : err;
			if (!c || jerr || v != rounds + 1) {
				kprintf("busy %lu: child %s: %s, value %lu (want %lu)%s%s\n", n,
					c ? "joined" : "not spawned", err_str(c ? jerr : err), v, rounds + 1,
					c && jerr ? ", killed: " : "", c && jerr ? c->kill_reason : "");
				return UINT64_MAX; /* reported as a wrong exit value */
			}
		}
	}
	return n;
}

KTEST_FLAGS(scheduler_reloaded_into_itself_under_load, KTEST_NO_FRAMECHECK)
{
	char name0[32];
	struct policies pc = policies_now(name0, sizeof(name0));
	const char *cur = pc.cur, *other = pc.other, *adopt_cur = pc.adopt_cur, *adopt_other = pc.adopt_other;
	spin_stop = false;
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (int i = 0; i < 16; i++) {
		struct task_builder b = TASK_BUILDER(busy, (uint64_t)i);
		b.priority = i % 8;
		KT_OK(task_group_spawn(&g, &b));
	}
	task_sleep_ns(10000000);
	struct swap_times st;
	struct cell_error why;
	for (int round = 0; round < 6; round++) {
		const char *o[] = { cur }, *n[] = { cur };
		int err = do_swap(o, 1, n, 1, adopt_cur, &st, &why);
		if (err)
			KT_FAIL("reload %d of %s into itself: %s", round, cur, why.msg);
		/* a policy carries nothing and adopts live: no CPU was stopped */
		KT_EQ(st.pause, 0);
		KT_EQ(st.data_copied, 0);
		task_sleep_ns(5000000);
		/* and across to the other policy and back */
		const char *o2[] = { cur }, *n2[] = { other };
		KT_OK(do_swap(o2, 1, n2, 1, adopt_other, &st, &why));
		task_sleep_ns(5000000);
		const char *o3[] = { other }, *n3[] = { cur };
		KT_OK(do_swap(o3, 1, n3, 1, adopt_cur, &st, &why));
	}
	KT_ASSERT(!strcmp(sched_policy()->name, name0));
	spin_stop = true;
	/* every worker finishes within 10 s, or the test says which did not
	 * and where it is (rather than hanging in the join) */
	uint64_t deadline = tsc_ns() + 10000000000ULL;
	bool all = false;
	while (!all && tsc_ns() < deadline) {
		all = true;
		for (size_t i = 0; i < g.n; i++)
			all &= g.tasks[i]->state == TASK_EXITED || g.tasks[i]->state == TASK_KILLED;
		if (!all)
			task_sleep_ns(10000000);
	}
	if (!all) {
		for (size_t i = 0; i < g.n; i++) {
			struct task *t = g.tasks[i];
			if (t->state == TASK_EXITED)
				continue;
			kprintf("stuck: %s #%u state %s cpu %d rq_cpu %d on_cpu %u prio %d\n", t->name, t->id,
				runstate_str(t->state), t->cpu, t->rq_cpu, t->on_cpu, t->priority);
			uint64_t pcs[16];
			size_t n = task_backtrace(t, pcs, 16);
			for (size_t k = 0; k < n; k++) {
				uint64_t off = 0;
				const char *cn = "?";
				const char *fn = cell_symbolize(pcs[k], &off, &cn);
				kprintf("    %s+%#lx (%s)\n", fn ? fn : "?", off, cn ? cn : "?");
			}
		}
		for (unsigned c = 0; c < cpu_count_online(); c++) {
			struct task_info cur, q[16];
			size_t n = sched_runqueue_info(c, &cur, q, 16);
			kprintf("CPU %u running %s, %zu queued\n", c, cur.name, n);
		}
		static struct task_info all[64];
		size_t nt = task_list(all, 64);
		for (size_t i = 0; i < nt && i < 64; i++)
			kprintf("task #%u %s %s cpu %d rq_cpu %d\n", all[i].id, all[i].name,
				runstate_str(all[i].state), all[i].cpu, all[i].rq_cpu);
		kprintf("rebuilds %lu\n", sched_rebuild_count());
		KT_FAIL("workers did not finish after the swaps");
	}
	uint64_t v[16];
	KT_OK(task_group_join(&g, v));
	for (int i = 0; i < 16; i++)
		KT_EQ(v[i], (uint64_t)i);
	reclaim_all();
	KT_EQ(cell_retired(), 0);
}

/* Issue 13: a task whose loop runs in a swapped cell enters the new code.
 * A restartable one is restarted into the namesake entry of the new cell
 * (unwinding from its wait first); one that is not restartable is reported
 * as still running the old code, and the old cell stays until it ends. */
KTEST_FLAGS(task_looping_in_a_swapped_cell_enters_the_new_code, KTEST_NO_FRAMECHECK)
{
	struct cell_error why;
	static const char *const v1[] = { "swapfix_v1" };
	KT_OK(cell_load(K(), v1, 1, &why));
	uint64_t (*loop)(uint64_t) = (uint64_t (*)(uint64_t))(uintptr_t)cell_sym_addr(K(), "swapfix_loop");
	KT_ASSERT(loop);
	static volatile int seen_r, seen_s;
	seen_r = seen_s = 0;
	struct task_builder b = { .entry = loop, .arg = (uint64_t)(uintptr_t)&seen_r, .name = "looper",
				  .pin = -1, .restartable = true };
	int err;
	_cleanup_(task_unref_p) struct task *r = task_spawn(&b, &err);
	KT_ASSERT(r);
	struct task_builder bs = { .entry = loop, .arg = (uint64_t)(uintptr_t)&seen_s, .name = "stuck-looper",
				   .pin = -1 };
	_cleanup_(task_unref_p) struct task *s = task_spawn(&bs, &err);
	KT_ASSERT(s);
	for (int i = 0; i < 1000 && (seen_r != 1 || seen_s != 1); i++)
		task_sleep_ns(1000000);
	KT_EQ(seen_r, 1);
	KT_EQ(seen_s, 1);
	struct swap_times st;
	const char *o[] = { "swapfix_v1" }, *n[] = { "swapfix_v2" };
	KT_OK(do_swap(o, 1, n, 1, NULL, &st, &why));
	KT_EQ(st.restarted, 1);
	KT_EQ(st.stale, 1);
	KT_ASSERT(strstr(st.stale_names, "stuck-looper"));
	for (int i = 0; i < 2000 && seen_r != 2; i++)
		task_sleep_ns(1000000);
	KT_EQ(seen_r, 2);  /* the restarted looper runs version 2 */
	KT_EQ(seen_s, 1);  /* the other still runs version 1 */
	KT_EQ(cell_retired(), 1); /* version 1 stays while a task runs it */
	KT_OK(task_kill(s, "test over"));
	KT_EQ(task_join(s, NULL), E_FAULT);
	struct task *again = task_find("looper"); /* the restarted one */
	KT_ASSERT(again && again != r);
	KT_OK(task_kill(again, "test over"));
	KT_EQ(task_join(again, NULL), E_FAULT);
	task_unref(again);
	/* the dead tasks hold their entry cells until their last reference goes */
	task_unref(TAKE_PTR(r));
	task_unref(TAKE_PTR(s));
	reclaim_all();
	KT_EQ(cell_retired(), 0);
	struct cell *v2c[] = { cell_find(K(), "swapfix_v2") };
	KT_ASSERT(v2c[0]);
	KT_OK(cell_unload(v2c, 1, &why));
}

/* Issue 15 (reload downtime): an urgent swap (recovery's) calls its
 * committed hook once the new cell is in the namespace and the old one
 * retired, before the cleanup; it leaves the old cell for the caller's
 * cell_reclaim, and the fresh copy answers calls at once. */
struct committed_seen {
	struct cell *old, *now;  /* the old cell; the namespace's, in the hook */
	size_t retired;          /* cell_retired() in the hook */
	int calls;
};

static void
note_committed(void *ctx, const struct swap_times *so_far)
{
	struct committed_seen *s = ctx;
	s->calls++;
	s->now = cell_find(K(), "swapfix_v1");
	s->retired = cell_retired();
	(void)so_far;
}

/* however the test ends, the fixtures go (the old copy once reclaimable) */
static void
unload_fixtures(int *unused)
{
	(void)unused;
	reclaim_all();
	struct cell_error why;
	struct cell *set[] = { cell_find(K(), "swapfix_user"), cell_find(K(), "swapfix_v1") };
	if (set[0] && set[1] && cell_unload(set, 2, &why))
		log_warn("left loaded: %s", why.msg);
}

KTEST_FLAGS(urgent_swap_calls_its_hook_before_cleanup_and_leaves_the_reclaim, KTEST_NO_FRAMECHECK)
{
	struct cell_error why;
	static const char *const start[] = { "swapfix_v1", "swapfix_user" };
	KT_OK(cell_load(K(), start, 2, &why));
	_cleanup_(unload_fixtures) int fixtures = 0;
	long (*call)(void) = (long (*)(void))(uintptr_t)cell_sym_addr(K(), "swapfix_user_call");
	KT_ASSERT(call);
	long before = call();
	reclaim_all();
	size_t retired0 = cell_retired();
	static struct committed_seen seen;
	memset(&seen, 0, sizeof(seen));
	seen.old = cell_find(K(), "swapfix_v1");
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 1, .urgent = true,
				   .committed = note_committed, .committed_ctx = &seen };
	rq.old[0] = rq.new_names[0] = "swapfix_v1";
	struct swap_times st;
	KT_OK(cell_swap(&rq, &st, &why));
	KT_EQ(seen.calls, 1);
	KT_ASSERT(seen.now && seen.now != seen.old); /* the fresh copy, already in place */
	KT_EQ(seen.retired, retired0 + 1);          /* the old one retired, not freed */
	KT_EQ(st.freed, 0);
	KT_EQ(cell_retired(), retired0 + 1);        /* still: the reclaim is the caller's */
	long after = call();
	KT_EQ(VERSION(after), 1);
	KT_EQ(after % 1000000000L, before % 1000000000L + 1); /* the counter carried */
	/* the caller's reclaim frees it (retried: in a busy boot a task
	 * running on another CPU cannot be walked at every moment) */
	reclaim_all();
	KT_EQ(cell_retired(), retired0);
}
