/*
 * test_swap_reclaim: a retired cell is not freed while a live cell's data
 * holds the address of one of its functions (a hook registered from it
 * and never pinned: a call through it after the free would fetch from an
 * unmapped page), and is freed once the word lets go.
 */
#include "cell_mgr.h"
#include "base.h"
#include "ktest.h"
#include "task.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

/* this cell's .data: the kind of word a hook table keeps */
static int (*volatile kept_hook)(void) = NULL;

static void
reclaim_some(void)
{
	for (int i = 0; i < 20 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
}

KTEST(retired_cell_whose_function_a_data_word_holds_is_kept_until_it_lets_go)
{
	struct cell_error why;
	static const char *const v1[] = { "swapfix_v1" };
	KT_OK(cell_load(K(), v1, 1, &why));
	struct cell *old = cell_find(K(), "swapfix_v1");
	KT_ASSERT(old);
	uint64_t gen = old->gen;
	kept_hook = (int (*)(void))(uintptr_t)cell_sym_addr(K(), "swapfix_version");
	KT_ASSERT(kept_hook);
	KT_EQ(kept_hook(), 1);
	size_t retired0 = cell_retired();
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 1 };
	rq.old[0] = "swapfix_v1";
	rq.new_names[0] = "swapfix_v2";
	struct swap_times st;
	KT_OK(cell_swap(&rq, &st, &why));
	reclaim_some();
	/* kept: the word still leads into version 1, which still answers
	 * (the namespace's swapfix_version is version 2's) */
	KT_EQ(cell_retired(), retired0 + 1);
	KT_EQ(old->magic, CELL_MAGIC);
	KT_EQ(old->gen, gen);
	KT_ASSERT(old->held_by_data);
	KT_EQ(kept_hook(), 1);
	int (*now)(void) = (int (*)(void))(uintptr_t)cell_sym_addr(K(), "swapfix_version");
	KT_ASSERT(now && now != kept_hook);
	KT_EQ(now(), 2);
	/* let go: freed at the next reclaim */
	kept_hook = NULL;
	reclaim_some();
	KT_EQ(cell_retired(), retired0);
	struct cell *v2[] = { cell_find(K(), "swapfix_v2") };
	KT_ASSERT(v2[0]);
	KT_OK(cell_unload(v2, 1, &why));
}
