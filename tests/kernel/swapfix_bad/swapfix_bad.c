/*
 * swapfix_bad: a "new version" that lacks swapfix_count, which users of
 * swapfix_v1 need: swapping it in must fail verification.
 */
int swapfix_version(void);

int
swapfix_version(void)
{
	return 99;
}
