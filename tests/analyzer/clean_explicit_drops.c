/*
 * Correct ownership without _cleanup_: every path drops what it still
 * owns exactly once, and mp_map's consume-on-success contract is honoured
 * (on failure the pages and frames are still the caller's).
 */
/* expect: clean */
#include "heap.h"
#include "memory.h"

struct mapped_pages *
map_fresh_by_hand(size_t n, int *err)
{
	struct pages *p = pages_alloc(ZONE_ANY, n, PAGE_SIZE, err);
	if (!p)
		return NULL;
	struct frames *f = frames_alloc(n, err);
	if (!f) {
		pages_drop(p);
		return NULL;
	}
	struct mapped_pages *mp = mp_map(&p, &f, MP_WRITE, err);
	if (!mp) {
		frames_drop(f);
		pages_drop(p);
		return NULL;
	}
	return mp;
}

int
checksum(const uint8_t *src, size_t n)
{
	uint8_t *copy = kmalloc(n ? n : 1);
	if (!copy)
		return -1;
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		copy[i] = src[i];
		sum += copy[i];
	}
	kfree(copy);
	return sum;
}
