/*
 * Leak: an owned object lost on an early-return path. The frames are
 * allocated, then the pages allocation fails and the function returns
 * without dropping them. Nothing has been passed anywhere yet, so the
 * analyzer knows they did not escape.
 */
/* expect: -Wanalyzer-malloc-leak */
#include "memory.h"

struct mapped_pages *
map_some(size_t n, int *err)
{
	struct frames *f = frames_alloc(n, err);
	if (!f)
		return NULL;
	struct pages *p = pages_alloc(ZONE_ANY, n, PAGE_SIZE, err);
	if (!p)
		return NULL; /* BUG: f leaks */
	struct mapped_pages *mp = mp_map(&p, &f, MP_WRITE, err);
	pages_drop(p);
	frames_drop(f);
	return mp;
}
