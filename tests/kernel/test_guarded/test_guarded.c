/*
 * test_guarded: guarded pointers (libs/base/guarded.h) - a corrupted copy
 * is noticed where the pointer is read and put right, with recovery's
 * validator (a symbol's start wins over NULL, NULL over anything else);
 * when nothing tells the copies apart the reader fails and is unwound.
 */
#include "base.h"
#include "exceptions.h"
#include "klibc.h"
#include "ktest.h"
#include "task.h"

static __attribute__((noinline)) uint64_t forty_two(void) { return 42; }
static __attribute__((noinline)) uint64_t seven(void) { return 7; }

static bool
logged(uint64_t seq, const char *what)
{
	static struct fault_record r[16];
	size_t n = fault_log_read(r, 16, seq);
	for (size_t i = 0; i < n; i++)
		if (strstr(r[i].action, what))
			return true;
	return false;
}

KTEST(corrupted_copy_of_a_guarded_pointer_is_put_right_where_it_is_read)
{
	static struct guarded_ptr g = GUARDED_NULL;
	KT_ASSERT(guarded_get(&g) == NULL);
	guarded_set(&g, (const void *)forty_two);
	uint64_t (*f)(void) = guarded_get(&g);
	KT_EQ(f(), 42);
	uint64_t r0 = guarded_repairs(), seq = fault_log_last_seq();

	/* the pointer itself: a word of random bits */
	g.p = (const void *)(uintptr_t)0x5a5a00001234beefull;
	f = guarded_get(&g);
	KT_ASSERT(f == forty_two);
	KT_EQ(f(), 42);
	KT_ASSERT(g.p == (const void *)forty_two && g.inv == (uintptr_t)0 - (uintptr_t)forty_two);
	/* a flipped bit: inside the function, not its start */
	g.p = (const void *)((uintptr_t)forty_two ^ 2);
	KT_ASSERT(guarded_get(&g) == (void *)forty_two);
	/* the inverted copy */
	g.inv ^= 1ull << 40;
	KT_ASSERT(guarded_get(&g) == (void *)forty_two);
	KT_EQ(guarded_repairs(), r0 + 3);
	KT_ASSERT(logged(seq, "guarded pointer at"));
	KT_ASSERT(logged(seq, "repaired"));

	/* NULL is kept over garbage */
	guarded_set(&g, NULL);
	g.p = (const void *)(uintptr_t)0xdead;
	KT_ASSERT(guarded_get(&g) == NULL);
	KT_EQ(guarded_repairs(), r0 + 4);
}

static struct guarded_ptr both = GUARDED_NULL;

static uint64_t
reader(uint64_t unused)
{
	uint64_t (*f)(void) = guarded_get(&both);
	return f();
}

KTEST(guarded_pointer_with_two_plausible_copies_fails_its_reader)
{
	guarded_set(&both, (const void *)forty_two);
	both.p = (const void *)seven; /* another function's start: nothing tells */
	uint64_t seq = fault_log_last_seq();
	int err;
	struct task_builder b = TASK_BUILDER(reader, (uint64_t)0);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t v = 0;
	KT_EQ(task_join(t, &v), E_FAULT);
	KT_ASSERT(logged(seq, "no copy plausible over the other"));
	KT_ASSERT(both.p == (const void *)seven); /* left for the next reader to judge */
	guarded_set(&both, NULL);
}
