/*
 * Double drop: the error path drops the pages by hand, then the
 * _cleanup_ on the declaration drops them again on the way out.
 */
/* expect: -Wanalyzer-double-free */
#include "page_alloc.h"

int
reserve_window(size_t n, int *err)
{
	_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, n, PAGE_SIZE, err);
	if (!p)
		return -1;
	if (n > 16) {
		pages_drop(p); /* BUG: the cleanup drops p again */
		return -1;
	}
	return 0;
}
