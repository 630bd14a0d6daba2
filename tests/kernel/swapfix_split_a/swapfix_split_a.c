/*
 * swapfix_split_a: half of swapfix_v1, split in two cells (the other half
 * is swapfix_split_b): the version function, now version 3.
 */
int swapfix_version(void);

int
swapfix_version(void)
{
	return 3;
}
