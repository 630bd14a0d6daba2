/*
 * swapfix_v3: a bad new version of swapfix_v1 (the counter in .bss, carried
 * like v1's): its swapfix_count faults on its third call, for the test of
 * a swap on probation that a fault rolls back (test_swap_txn.c).
 */
#include "base.h"
#include "task.h"

int swapfix_version(void);
int swapfix_count(void);
uint64_t swapfix_loop(uint64_t version_out);

static int counter CELL_CARRY(counter);
static int calls; /* this version's own: not carried */

int
swapfix_version(void)
{
	return 3;
}

int
swapfix_count(void)
{
	if (++calls == 3) {
		uintptr_t null = 0;
		__asm__("" : "+r"(null));
		*(volatile int *)null = calls; /* the bug: a page fault */
	}
	return ++counter;
}

uint64_t
swapfix_loop(uint64_t out)
{
	for (;; task_sleep_ns(1000000))
		*(volatile int *)(uintptr_t)out = swapfix_version();
}
