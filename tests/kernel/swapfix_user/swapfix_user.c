/*
 * swapfix_user: depends on swapfix_version and swapfix_count, so a swap of
 * the cell providing them must rewrite its relocations.
 */
int swapfix_version(void);
int swapfix_count(void);
long swapfix_user_call(void);

long
swapfix_user_call(void)
{
	return swapfix_version() * 1000000000L + swapfix_count();
}
