/*
 * range.c: sorted disjoint range sets (see range.h). Linear scans: the sets
 * hold tens to a few thousand members and this code must be obviously
 * right before it is fast. No state of its own.
 */
#include "range.h"

void
range_set_init(struct range_set *rs, struct range *storage, size_t cap)
{
	rs->r = storage;
	rs->n = 0;
	rs->cap = cap;
}

/* index of the first member whose end > x (n if none) */
static size_t
first_ending_after(const struct range_set *rs, uint64_t x)
{
	size_t i = 0;

	while (i < rs->n && rs->r[i].end <= x)
		i++;
	return i;
}

static void
insert_at(struct range_set *rs, size_t i, uint64_t start, uint64_t end)
{
	for (size_t j = rs->n; j > i; j--)
		rs->r[j] = rs->r[j - 1];
	rs->r[i].start = start;
	rs->r[i].end = end;
	rs->n++;
}

static void
delete_at(struct range_set *rs, size_t i)
{
	for (size_t j = i; j + 1 < rs->n; j++)
		rs->r[j] = rs->r[j + 1];
	rs->n--;
}

int
range_set_add(struct range_set *rs, uint64_t start, uint64_t end)
{
	if (start >= end)
		return E_INVAL;
	size_t i = first_ending_after(rs, start);
	if (i < rs->n && rs->r[i].start < end)
		return E_EXIST;
	bool merge_prev = i > 0 && rs->r[i - 1].end == start;
	bool merge_next = i < rs->n && rs->r[i].start == end;
	if (!merge_prev && !merge_next && rs->n == rs->cap)
		return E_NOSPC;

	/* commit: nothing below fails */
	if (merge_prev && merge_next) {
		rs->r[i - 1].end = rs->r[i].end;
		delete_at(rs, i);
	} else if (merge_prev) {
		rs->r[i - 1].end = end;
	} else if (merge_next) {
		rs->r[i].start = start;
	} else {
		insert_at(rs, i, start, end);
	}
	return E_OK;
}

int
range_set_remove(struct range_set *rs, uint64_t start, uint64_t end)
{
	if (start >= end)
		return E_INVAL;
	size_t i = first_ending_after(rs, start);
	if (i == rs->n || rs->r[i].start > start || rs->r[i].end < end)
		return E_NOENT;
	struct range *m = &rs->r[i];
	bool split = m->start < start && m->end > end;
	if (split && rs->n == rs->cap)
		return E_NOSPC;

	/* commit: nothing below fails */
	if (m->start == start && m->end == end) {
		delete_at(rs, i);
	} else if (m->start == start) {
		m->start = end;
	} else if (m->end == end) {
		m->end = start;
	} else {
		uint64_t old_end = m->end;
		m->end = start;
		insert_at(rs, i + 1, end, old_end);
	}
	return E_OK;
}

int
range_set_take(struct range_set *rs, uint64_t size, uint64_t align,
	       uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (size == 0 || align == 0 || (align & (align - 1)) || lo >= hi)
		return E_INVAL;
	for (size_t i = 0; i < rs->n; i++) {
		uint64_t s = MAX(rs->r[i].start, lo);
		uint64_t e = MIN(rs->r[i].end, hi);
		uint64_t a = ALIGN_UP(s, align);
		if (a < s) /* wrapped */
			continue;
		if (a >= e || e - a < size)
			continue;
		int err = range_set_remove(rs, a, a + size);
		if (err)
			return err;
		*out = a;
		return E_OK;
	}
	return E_NOMEM;
}

bool
range_set_contains(const struct range_set *rs, uint64_t start, uint64_t end)
{
	size_t i = first_ending_after(rs, start);

	return i < rs->n && rs->r[i].start <= start && rs->r[i].end >= end;
}

bool
range_set_intersects(const struct range_set *rs, uint64_t start, uint64_t end)
{
	size_t i = first_ending_after(rs, start);

	return i < rs->n && rs->r[i].start < end;
}

uint64_t
range_set_total(const struct range_set *rs)
{
	uint64_t t = 0;

	for (size_t i = 0; i < rs->n; i++)
		t += rs->r[i].end - rs->r[i].start;
	return t;
}
