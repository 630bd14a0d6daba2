/*
 * swapfix_v1: version 2 of the cell (a counter in .bss), for the
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
	return 2;
}

int
swapfix_count(void)
{
	return ++counter;
}
