/*
 * swapfix_v1: version 2 of the cell (a counter in .bss), for the
 * swap tests; swapfix_v2 is the next version, swapfix_split_a/_b the same
 * functions split over two cells, swapfix_bad a version missing one.
 */
#include "base.h"
#include "task.h"

int swapfix_version(void);
int swapfix_count(void);
uint64_t swapfix_loop(uint64_t version_out);

static int counter CELL_CARRY(counter);

int
swapfix_version(void)
{
	return 2;
}

int
swapfix_count(void)
{
	return ++counter;
}

/* a task's loop here publishes the version running it (a swap restarts
 * such a task into the new code) */
uint64_t
swapfix_loop(uint64_t out)
{
	for (;; task_sleep_ns(1000000))
		*(volatile int *)(uintptr_t)out = swapfix_version();
}
