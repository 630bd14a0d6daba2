/*
 * range: a sorted set of disjoint half-open [start, end) u64 ranges in a
 * caller-provided fixed-capacity array. The bookkeeping behind the frame
 * and page allocators; pure logic, also built and unit-tested on the host.
 * The state is the caller's (the array it passes in).
 *
 * Every mutating call validates first and changes nothing on error
 * (check, then commit).
 */
#ifndef RANGE_H
#define RANGE_H

#include "base.h"

struct range {
	uint64_t start, end; /* [start, end), start < end */
};

struct range_set {
	struct range *r;
	size_t n, cap;
};

void range_set_init(struct range_set *rs, struct range *storage, size_t cap);

/* Add [start,end). E_EXIST if it overlaps a member (e.g. a double free),
 * E_NOSPC if it would need a new slot and none is left. Merges neighbours. */
int range_set_add(struct range_set *rs, uint64_t start, uint64_t end) __must_check;

/* Remove [start,end), which must lie inside a single member: E_NOENT if not,
 * E_NOSPC if the removal would split a member and no slot is left. */
int range_set_remove(struct range_set *rs, uint64_t start, uint64_t end) __must_check;

/* Find the lowest `size`-long span aligned to `align` (power of two) that
 * lies inside [lo, hi) and inside one member, remove it and return its start
 * in *out. E_NOMEM if none, E_NOSPC as above, E_INVAL on bad arguments. */
int range_set_take(struct range_set *rs, uint64_t size, uint64_t align,
		   uint64_t lo, uint64_t hi, uint64_t *out) __must_check;

/* true if [start,end) lies inside a single member */
bool range_set_contains(const struct range_set *rs, uint64_t start, uint64_t end);
/* true if [start,end) intersects any member */
bool range_set_intersects(const struct range_set *rs, uint64_t start, uint64_t end);
/* total length of all members */
uint64_t range_set_total(const struct range_set *rs);

#endif
