/*
 * swapfix_v1: version 1 of a cell with state (a counter in .bss), for the
 * swap tests; swapfix_v2 is the next version, swapfix_split_a/_b the same
 * functions split over two cells, swapfix_bad a version missing one.
 */
#include "base.h"

int swapfix_version(void);
int swapfix_count(void);

static int counter CELL_CARRY(counter);

int
swapfix_version(void)
{
	return 1;
}

int
swapfix_count(void)
{
	return ++counter;
}
