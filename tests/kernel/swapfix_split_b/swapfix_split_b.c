/*
 * swapfix_split_b: the other half of swapfix_v1: the counter (same section
 * name and size, so the swap carries its value over).
 */
#include "base.h"

int swapfix_count(void);

static int counter CELL_CARRY(counter);

int
swapfix_count(void)
{
	return ++counter;
}
