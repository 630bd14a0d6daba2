/*
 * test_personality: the "simd" personality (kernel/cells/personality):
 * a namespace beside kernel with its own SSE2 build of vecsum and every
 * other cell shared; tasks spawned in each namespace compute the same
 * results, several SIMD tasks at once (their vector registers saved at
 * every switch), while the personality alone is evolved (its vecsum for
 * the kernel's build and back), the kernel namespace untouched.
 */
#include "cell_mgr.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "task.h"
#include "vecsum.h"

#define WORDS 4096
static uint32_t data[WORDS];

struct runner {
	struct vecsum_job job;
	volatile bool stop;
	volatile uint64_t runs, bad;
	uint64_t want_sum;
	uint32_t want_weighted;
	const char *ns;
};

/* spawns, in its namespace, one vecsum task after another and checks them */
static uint64_t
runner(struct runner *r)
{
	while (!r->stop) {
		r->job = (struct vecsum_job){ data, WORDS, 3, 0, 0, NULL, 0 };
		int err;
		struct task *t = task_spawn_in(cell_ns_find(r->ns), "vecsum_task", (uint64_t)(uintptr_t)&r->job, r->ns,
					       &err);
		if (!t) {
			r->bad++;
			continue;
		}
		uint64_t v;
		if (task_join(t, &v) || r->job.sum != r->want_sum || r->job.weighted != r->want_weighted)
			r->bad++;
		task_unref(t);
		r->runs++;
	}
	return r->runs;
}

static struct runner rs[4];

/* however the test ends, the runners stop (before the group is joined) */
static void
stop_runners(bool *unused)
{
	for (int i = 0; i < 4; i++)
		rs[i].stop = true;
}

static bool
all_ran(struct runner *rs, const uint64_t *before, uint64_t more)
{
	for (int i = 0; i < 3000; i++) {
		bool ok = true;
		for (int k = 0; k < 4; k++)
			ok &= rs[k].runs >= before[k] + more;
		if (ok)
			return true;
		task_sleep_ns(1000000);
	}
	return false;
}

static int
swap_in(struct cell_ns *ns, const char *module, struct cell_error *why)
{
	struct swap_request rq = { .ns = ns, .nold = 1, .nnew = 1 };
	rq.old[0] = "vecsum";
	rq.new_names[0] = module;
	struct swap_times t;
	return cell_swap(&rq, &t, why);
}

KTEST_FLAGS(simd_personality_shares_the_kernel_and_evolves_alone, KTEST_NO_FRAMECHECK)
{
	struct cell_ns *simd = cell_ns_find("simd"), *k = cell_ns_kernel();
	KT_ASSERT(simd && cell_ns_parent(simd) == k);
	struct cell *own = cell_find(simd, "vecsum"), *kern = cell_find(k, "vecsum");
	KT_ASSERT(own && kern && own != kern && own->obj_hash != kern->obj_hash);
	const char *(*isa_s)(void) = (const char *(*)(void))(uintptr_t)cell_sym_addr(simd, "vecsum_isa");
	const char *(*isa_k)(void) = (const char *(*)(void))(uintptr_t)cell_sym_addr(k, "vecsum_isa");
	KT_ASSERT(isa_s && isa_k && !strcmp(isa_s(), "SSE2") && !strcmp(isa_k(), "general registers"));
	/* everything else is shared */
	KT_EQ(cell_sym_addr(simd, "kmalloc"), cell_sym_addr(k, "kmalloc"));
	KT_EQ(cell_sym_addr(simd, "task_spawn"), cell_sym_addr(k, "task_spawn"));
	KT_ASSERT(!cell_ns_find("nosuch"));
	int err;
	_cleanup_(task_unref_p) struct task *none = task_spawn_in(simd, "nosuch_fn", 0, "x", &err);
	KT_ASSERT(!none && err == E_NOENT);

	for (size_t i = 0; i < WORDS; i++)
		data[i] = (uint32_t)(i * 2654435761u) ^ 0x5a5a5a5au;
	uint64_t sum = 0;
	uint32_t weighted = 0;
	for (size_t i = 0; i < WORDS; i++) {
		sum += data[i];
		weighted += data[i] * (uint32_t)(i + 1);
	}
	/* three runners in simd (vector registers in use by several tasks at
	 * once), one in kernel */
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	_cleanup_(stop_runners) bool stopper = true;
	for (int i = 0; i < 4; i++) {
		rs[i] = (struct runner){ .want_sum = sum, .want_weighted = weighted, .ns = i < 3 ? "simd" : "kernel" };
		struct task_builder b = TASK_BUILDER(runner, &rs[i]);
		b.name = "personality-runner";
		KT_OK(task_group_spawn(&g, &b));
	}
	uint64_t before[4] = { 0 };
	KT_ASSERT(all_ran(rs, before, 5));
	KT_ASSERT(!strcmp(rs[0].job.isa ? rs[0].job.isa : "", "SSE2") || rs[0].runs > 0);

	/* the personality alone evolves: its vecsum for the kernel's build */
	uint64_t kern_hash = kern->obj_hash;
	struct commit_info log[4];
	size_t c0 = cell_commits(simd, log, 4);
	struct cell_error why;
	for (int i = 0; i < 4; i++)
		before[i] = rs[i].runs;
	KT_OK(swap_in(simd, "vecsum", &why));
	KT_ASSERT(all_ran(rs, before, 5));
	KT_ASSERT(!strcmp(((const char *(*)(void))(uintptr_t)cell_sym_addr(simd, "vecsum_isa"))(), "general registers"));
	KT_ASSERT(cell_find(k, "vecsum") == kern && kern->obj_hash == kern_hash);
	/* and back to its own build */
	for (int i = 0; i < 4; i++)
		before[i] = rs[i].runs;
	KT_OK(swap_in(simd, "vecsum@simd", &why));
	KT_ASSERT(all_ran(rs, before, 5));
	KT_ASSERT(!strcmp(((const char *(*)(void))(uintptr_t)cell_sym_addr(simd, "vecsum_isa"))(), "SSE2"));
	KT_ASSERT(cell_find(simd, "vecsum")); /* named as the cell it is a version of */
	KT_ASSERT(cell_find(k, "vecsum") == kern && kern->obj_hash == kern_hash);
	size_t c1 = cell_commits(simd, log, 4);
	KT_ASSERT(c1 >= c0 + 2 || c1 == 4);
	KT_ASSERT(!strcmp(log[0].ns, "simd"));
	stop_runners(NULL);
	KT_OK(task_group_join(&g, NULL));
	for (int i = 0; i < 4; i++)
		KT_EQ(rs[i].bad, 0);
	(void)stopper;
}
