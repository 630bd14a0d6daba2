/*
 * test_swap_txn: transactional evolution and the namespace history
 * (history.c), with a task calling the evolved cell throughout.
 *  - a new version on probation that faults on its third call: the fault
 *    rolls the swap back (old cell reinstated, counter carried back), the
 *    fault log and the history say so, the caller goes on;
 *  - a good version whose probation runs out: committed, old cell freed;
 *  - a sequence of swaps, then checkouts back to where it began and
 *    forward again, ending with the namespace's manifest identical (by
 *    hashes) to the one it began with.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "exceptions.h"
#include "recovery.h"
#include "task.h"
#include "tsc.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

#define VERSION(v) ((v) / 1000000000L)

struct txn_caller {
	volatile bool stop;
	volatile uint64_t calls, lives;
	volatile long last, prev_count, bad_count;
	volatile int versions_seen;
	long (*call)(void);
};

/* a restartable caller: a fault in the callee ends this life, recovery
 * starts the next one with the same argument */
static uint64_t
txn_calling(struct txn_caller *c)
{
	c->lives++;
	while (!c->stop) {
		long v = c->call();
		long count = v % 1000000000L;
		if (count != c->prev_count + 1)
			c->bad_count++;
		c->prev_count = count;
		c->last = v;
		c->versions_seen |= 1 << (int)VERSION(v);
		c->calls++;
		task_sleep_ns(200000);
	}
	return c->calls;
}

static void
txn_wait_calls(struct txn_caller *c, uint64_t more)
{
	uint64_t target = c->calls + more;
	for (int i = 0; i < 3000 && c->calls < target; i++)
		task_sleep_ns(1000000);
}

static int
swap1(const char *old, const char *new, uint32_t probation_ms, struct swap_times *t, struct cell_error *why)
{
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 1, .probation_ms = probation_ms };
	rq.old[0] = old;
	rq.new_names[0] = new;
	return cell_swap(&rq, t, why);
}

static bool
outcome_is(uint32_t id, enum commit_outcome o)
{
	static struct commit_info ci;
	return cell_commit_get(id, &ci) == E_OK && ci.outcome == o;
}

static void
stop_txn_caller(struct txn_caller **c)
{
	if (*c)
		(*c)->stop = true;
}

static uint64_t
manifest_hash(void)
{
	static struct commit_cell m[256];
	uint64_t h = 0;
	cell_ns_manifest(K(), m, ARRAY_SIZE(m), &h);
	return h;
}

KTEST_FLAGS(swap_on_probation_rolled_back_by_a_fault_then_history_checkouts, KTEST_NO_FRAMECHECK)
{
	struct cell_error why;
	static const char *const start[] = { "swapfix_v1", "swapfix_user" };
	KT_OK(cell_load(K(), start, 2, &why));
	static struct txn_caller c;
	memset((void *)&c, 0, sizeof(c));
	c.call = (long (*)(void))(uintptr_t)cell_sym_addr(K(), "swapfix_user_call");
	KT_ASSERT(c.call);
	struct task_builder b = TASK_BUILDER(txn_calling, &c);
	b.name = "txn-caller";
	b.restartable = true;
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	int err;
	struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	task_unref(t); /* its restarts are other tasks: stopped through c.stop */
	_cleanup_(stop_txn_caller) struct txn_caller *stopper = &c;
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 1);
	uint64_t h0 = manifest_hash();
	static struct commit_info head;
	KT_EQ(cell_commits(K(), &head, 1), 1);

	/* (1) v1 -> v3 on probation; v3 faults on its third call */
	struct recovery_stats rs0, rs1;
	recovery_stats(&rs0);
	uint64_t seq = fault_log_last_seq();
	struct swap_times st;
	KT_OK(swap1("swapfix_v1", "swapfix_v3", 10000, &st, &why));
	uint32_t bad = st.commit;
	KT_ASSERT(bad > head.id);
	KT_ASSERT(outcome_is(bad, COMMIT_PROBATION));
	KT_EQ(cell_retired() >= 1, true); /* v1 kept, not freed */
	for (int i = 0; i < 3000 && !outcome_is(bad, COMMIT_ROLLED_BACK); i++)
		task_sleep_ns(1000000);
	KT_ASSERT(outcome_is(bad, COMMIT_ROLLED_BACK));
	KT_ASSERT(cell_find(K(), "swapfix_v1") && !cell_find(K(), "swapfix_v3"));
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 1);
	KT_EQ(c.bad_count, 0);       /* the counter came back with the old cell */
	KT_ASSERT(c.lives >= 2);     /* the faulting life ended, a new one went on */
	KT_ASSERT(c.versions_seen & (1 << 3)); /* v3 ran (twice) before it faulted */
	recovery_stats(&rs1);
	KT_EQ(rs1.rollbacks, rs0.rollbacks + 1);
	static struct fault_record r[64];
	size_t got = fault_log_read(r, 64, seq);
	bool logged = false;
	for (size_t i = 0; i < got; i++)
		logged |= strstr(r[i].action, "rolled back commit #") != NULL;
	KT_ASSERT(logged);
	static struct commit_info ci;
	KT_OK(cell_commit_get(bad, &ci));
	KT_ASSERT(strstr(ci.note, "fault in swapfix_v3"));
	kprintf("ROLLBACK commit #%u: load %lu us, verify %lu us, quiesce %lu us, rewrite %lu us, deps %lu us, transfer %lu us, cleanup %lu us, pause %lu us, total %lu us\n",
		bad, ci.back.load / 1000, ci.back.verify / 1000, ci.back.quiesce / 1000, ci.back.rewrite / 1000,
		ci.back.deps / 1000, ci.back.transfer / 1000, ci.back.cleanup / 1000, ci.back.pause / 1000,
		ci.back.total / 1000);
	KT_EQ(manifest_hash(), h0); /* exactly what ran before */

	/* (2) v1 -> v2 on a short probation that runs out: committed */
	KT_OK(swap1("swapfix_v1", "swapfix_v2", 100, &st, &why));
	uint32_t good = st.commit;
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 2);
	task_sleep_ns(150000000);
	cell_probation_tick();
	KT_ASSERT(outcome_is(good, COMMIT_DONE));
	KT_EQ(cell_rollback(good, "test", NULL, &why), E_INVAL);
	for (int i = 0; i < 200 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
	KT_EQ(cell_retired(), 0); /* the kept v1 freed once committed */

	/* (3) one more evolution, then checkouts back and forth */
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 2 };
	rq.old[0] = "swapfix_v2";
	rq.new_names[0] = "swapfix_split_a";
	rq.new_names[1] = "swapfix_split_b";
	KT_OK(cell_swap(&rq, &st, &why));
	uint32_t split = st.commit;
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 3);
	uint64_t h_split = manifest_hash();
	KT_ASSERT(h_split != h0);
	KT_OK(cell_checkout(head.id, &st, &why)); /* back to where it began */
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 1);
	KT_EQ(manifest_hash(), h0);
	KT_OK(cell_checkout(split, &st, &why)); /* forward again */
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 3);
	KT_EQ(manifest_hash(), h_split);
	KT_OK(cell_checkout(good, &st, &why)); /* to v2 */
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 2);
	KT_OK(cell_checkout(head.id, &st, &why));
	KT_EQ(cell_checkout(head.id, &st, &why), E_EXIST); /* already there */
	txn_wait_calls(&c, 20);
	KT_EQ(VERSION(c.last), 1);
	KT_EQ(manifest_hash(), h0); /* identical to where it began, by hashes */
	KT_EQ(cell_checkout(0xfffffff0u, &st, &why), E_NOENT);

	static struct commit_info log[16];
	size_t n = cell_commits(K(), log, 16);
	KT_ASSERT(n >= 7);
	KT_ASSERT(strstr(log[0].label, "checkout #"));
	c.stop = true;
	(void)stopper;
	txn_wait_calls(&c, 0);
	task_sleep_ns(5000000);
	KT_EQ(c.bad_count, 0);
	for (int i = 0; i < 200 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
	struct cell *set[] = { cell_find(K(), "swapfix_user"), cell_find(K(), "swapfix_v1") };
	KT_ASSERT(set[0] && set[1]);
	for (int i = 0; i < 100 && cell_unload(set, 2, &why); i++)
		task_sleep_ns(2000000);
	KT_ASSERT(!cell_find(K(), "swapfix_v1"));
}
