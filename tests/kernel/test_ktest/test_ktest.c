/*
 * test_ktest: the runner's self-tests. The memory check must report what
 * a test leaks (heap objects, mappings, tasks, and what tasks it spawned
 * leak), must not charge a test for what other tasks allocate meanwhile,
 * and must credit a test when another task frees what the test allocated.
 * Each runs an inner test through ktest_run_one, as the runner would.
 */
#include "ktest.h"
#include "heap.h"
#include "klibc.h"
#include "memory.h"
#include "mm_acct.h"
#include "task.h"

static void *leaked_obj;
static struct mapped_pages *leaked_mp;

static void
inner_leaks_heap(struct ktest_ctx *kt_ctx_)
{
	(void)kt_ctx_;
	leaked_obj = kmalloc(100); /* class 128 */
}

static void
inner_leaks_mapping(struct ktest_ctx *kt_ctx_)
{
	int err;
	(void)kt_ctx_;
	leaked_mp = mp_alloc(ZONE_ANY, 3, MP_WRITE, &err);
}

static uint64_t
leak_in_task(uint64_t n)
{
	leaked_obj = kmalloc(n);
	return 0;
}

static void
inner_spawned_task_leaks(struct ktest_ctx *kt_ctx_)
{
	int err;
	struct task_builder b = TASK_BUILDER(leak_in_task, (uint64_t)40);
	b.name = "leaker";
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t v;
	KT_OK(task_join(t, &v));
}

static void
leaked_free(void)
{
	kfree(TAKE_PTR(leaked_obj));
	mp_drop(TAKE_PTR(leaked_mp));
}

/* the inner test must fail with its memcheck message containing `what` */
#define EXPECT_REPORTED(fn, what) do {                                        \
	static const struct ktest inner = { #fn, fn, 0 };                     \
	struct ktest_ctx r;                                                   \
	ktest_run_one(&inner, &r);                                            \
	leaked_free();                                                        \
	if (!r.failed || !strstr(r.msg, "memcheck") || !strstr(r.msg, what))  \
		KT_FAIL("leak not reported as '%s': %s", what,                \
			r.failed ? r.msg : "passed");                         \
} while (0)

KTEST(memcheck_reports_a_heap_leak)
{
	EXPECT_REPORTED(inner_leaks_heap, "heap bytes 128 lost");
	EXPECT_REPORTED(inner_leaks_heap, "heap objects 1 lost");
}

KTEST(memcheck_reports_a_mapping_leak)
{
	EXPECT_REPORTED(inner_leaks_mapping, "frames 3 lost, pages 3 lost, frame objects 1 lost, "
					     "page objects 1 lost, mappings 1 lost");
}

KTEST(memcheck_reports_a_leak_by_a_task_the_test_spawned)
{
	EXPECT_REPORTED(inner_spawned_task_leaks, "heap objects 1 lost");
}

/* a task outside any test's domain: allocates and frees noise, and frees
 * what it is handed */
static void *volatile handed;
static volatile bool helper_stop;
static void *volatile noise_kept[16];

static uint64_t
helper(uint64_t x)
{
	(void)x;
	unsigned i = 0;
	while (!__atomic_load_n(&helper_stop, __ATOMIC_ACQUIRE)) {
		void *p = __atomic_exchange_n(&handed, NULL, __ATOMIC_ACQ_REL);
		kfree(p);
		/* keep a few objects for a while: a global count would move */
		kfree(noise_kept[i % 16]);
		noise_kept[i % 16] = kmalloc(64 + i % 500);
		i++;
		task_yield();
	}
	for (i = 0; i < 16; i++)
		kfree(TAKE_PTR(noise_kept[i])); /* the next run starts empty */
	return 0;
}

static void
inner_hands_its_object_to_another_task(struct ktest_ctx *kt_ctx_)
{
	for (int round = 0; round < 20; round++) {
		void *p = kmalloc(300);
		KT_ASSERT(p);
		__atomic_store_n(&handed, p, __ATOMIC_RELEASE);
		for (int i = 0; i < 2000 && __atomic_load_n(&handed, __ATOMIC_ACQUIRE); i++)
			task_sleep_ns(100000);
		KT_ASSERT(!handed);
	}
}

KTEST(memcheck_credits_frees_by_other_tasks_and_ignores_their_allocations)
{
	int err;
	helper_stop = false;
	/* spawned outside this test's domain, as the shell's jobs are */
	uint8_t mine = task_set_acct(MM_ACCT_NONE);
	struct task_builder b = TASK_BUILDER(helper, (uint64_t)0);
	b.name = "memcheck-helper";
	_cleanup_(task_unref_p) struct task *h = task_spawn(&b, &err);
	task_set_acct(mine);
	KT_ASSERT(h);
	static const struct ktest inner = { "inner_hands_its_object_to_another_task",
					    inner_hands_its_object_to_another_task, 0 };
	struct ktest_ctx r;
	ktest_run_one(&inner, &r);
	__atomic_store_n(&helper_stop, true, __ATOMIC_RELEASE);
	uint64_t v;
	KT_OK(task_join(h, &v));
	if (r.failed)
		KT_FAIL("inner test failed: %s", r.msg);
}
