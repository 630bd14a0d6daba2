/*
 * Host unit tests for libs/range (the frame/page allocators' bookkeeping).
 *
 * HOST_TEST_SOURCES: libs/range/range.c libs/base/err.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "range.h"

#define CAP 8

struct fixture {
	struct range st[CAP];
	struct range_set rs;
};

static struct fixture F;

static int
setup(void **state)
{
	memset(&F, 0xA5, sizeof(F)); /* poison: unused slots must not matter */
	range_set_init(&F.rs, F.st, CAP);
	*state = &F.rs;
	return 0;
}

/* add members given as start,end pairs; every add must succeed */
static void
fill(struct range_set *rs, size_t npairs, const uint64_t *p)
{
	for (size_t i = 0; i < npairs; i++)
		assert_int_equal(range_set_add(rs, p[2 * i], p[2 * i + 1]), E_OK);
}

/* the set must be exactly these start,end pairs, in order */
static void
expect(const struct range_set *rs, size_t npairs, const uint64_t *p)
{
	assert_int_equal(rs->n, npairs);
	for (size_t i = 0; i < npairs; i++) {
		assert_int_equal(rs->r[i].start, p[2 * i]);
		assert_int_equal(rs->r[i].end, p[2 * i + 1]);
	}
}

#define PAIRS(...) (sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t) / 2), \
		   ((const uint64_t[]){ __VA_ARGS__ })

/* a snapshot of the whole set, to prove that an error changed nothing */
struct snap {
	size_t n;
	struct range r[CAP];
};

static struct snap
snap(const struct range_set *rs)
{
	struct snap s;

	memset(&s, 0, sizeof(s));
	s.n = rs->n;
	memcpy(s.r, rs->r, rs->n * sizeof(struct range));
	return s;
}

static void
unchanged(const struct range_set *rs, const struct snap *s)
{
	assert_int_equal(rs->n, s->n);
	assert_memory_equal(rs->r, s->r, s->n * sizeof(struct range));
}

/* ------------------------------------------------------------------ */

static void
empty_set(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 77;

	assert_int_equal(range_set_total(rs), 0);
	assert_false(range_set_contains(rs, 0, 1));
	assert_false(range_set_intersects(rs, 0, UINT64_MAX));
	assert_int_equal(range_set_remove(rs, 0, 1), E_NOENT);
	assert_int_equal(range_set_take(rs, 1, 1, 0, UINT64_MAX, &out), E_NOMEM);
	assert_int_equal(out, 77); /* not written on failure */
	assert_int_equal(rs->n, 0);
}

static void
test_add_disjoint_sorted(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(50, 60, 10, 20, 30, 40, 0, 5, 100, 200));
	expect(rs, PAIRS(0, 5, 10, 20, 30, 40, 50, 60, 100, 200));
	assert_int_equal(range_set_total(rs), 5 + 10 + 10 + 10 + 100);
}

static void
test_add_merge_prev(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(10, 20, 40, 50));
	assert_int_equal(range_set_add(rs, 20, 25), E_OK);
	expect(rs, PAIRS(10, 25, 40, 50));
	assert_int_equal(range_set_add(rs, 50, 51), E_OK); /* prev = last */
	expect(rs, PAIRS(10, 25, 40, 51));
}

static void
test_add_merge_next(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(10, 20, 40, 50));
	assert_int_equal(range_set_add(rs, 30, 40), E_OK);
	expect(rs, PAIRS(10, 20, 30, 50));
	assert_int_equal(range_set_add(rs, 0, 10), E_OK); /* next = first */
	expect(rs, PAIRS(0, 20, 30, 50));
}

static void
test_add_merge_both(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(0, 10, 20, 30, 40, 50, 60, 70));
	assert_int_equal(range_set_add(rs, 30, 40), E_OK);
	expect(rs, PAIRS(0, 10, 20, 50, 60, 70));
	assert_int_equal(range_set_add(rs, 10, 20), E_OK);
	expect(rs, PAIRS(0, 50, 60, 70));
	assert_int_equal(range_set_add(rs, 50, 60), E_OK);
	expect(rs, PAIRS(0, 70));
	assert_int_equal(range_set_total(rs), 70);
}

static void
test_add_overlap_exist(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(10, 20, 30, 40));
	struct snap s = snap(rs);
	/* identical (a double free), inside, straddling either end, covering,
	 * covering two members, and a single unit at each edge */
	static const uint64_t bad[][2] = {
		{ 10, 20 }, { 12, 18 }, { 5, 11 }, { 19, 25 }, { 5, 25 },
		{ 15, 35 }, { 0, 100 }, { 10, 11 }, { 19, 20 }, { 39, 40 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(range_set_add(rs, bad[i][0], bad[i][1]), E_EXIST);
		unchanged(rs, &s);
	}
	/* touching is not overlapping */
	assert_int_equal(range_set_add(rs, 20, 30), E_OK);
	expect(rs, PAIRS(10, 40));
}

static void
test_add_nospc_when_full(void **state)
{
	struct range_set *rs = *state;

	for (uint64_t i = 0; i < CAP; i++)
		assert_int_equal(range_set_add(rs, 100 * i, 100 * i + 10), E_OK);
	assert_int_equal(rs->n, CAP);
	struct snap s = snap(rs);
	assert_int_equal(range_set_add(rs, 50, 60), E_NOSPC);
	unchanged(rs, &s);
	assert_int_equal(range_set_add(rs, 10000, 10001), E_NOSPC);
	unchanged(rs, &s);
	/* E_EXIST is reported before E_NOSPC and also changes nothing */
	assert_int_equal(range_set_add(rs, 5, 6), E_EXIST);
	unchanged(rs, &s);
	/* merging needs no new slot, so it works on a full set */
	assert_int_equal(range_set_add(rs, 10, 20), E_OK);  /* prev */
	assert_int_equal(range_set_add(rs, 90, 100), E_OK); /* next */
	assert_int_equal(range_set_add(rs, 20, 90), E_OK);  /* both */
	assert_int_equal(rs->n, CAP - 1);
	assert_int_equal(rs->r[0].start, 0);
	assert_int_equal(rs->r[0].end, 110);
	assert_int_equal(rs->r[1].start, 200);
	/* and now there is a free slot again */
	assert_int_equal(range_set_add(rs, 5000, 5001), E_OK);
	assert_int_equal(rs->n, CAP);
}

static void
test_inval_args(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 0;

	fill(rs, PAIRS(10, 20));
	struct snap s = snap(rs);
	assert_int_equal(range_set_add(rs, 30, 30), E_INVAL);
	assert_int_equal(range_set_add(rs, 31, 30), E_INVAL);
	assert_int_equal(range_set_remove(rs, 15, 15), E_INVAL);
	assert_int_equal(range_set_remove(rs, 16, 15), E_INVAL);
	assert_int_equal(range_set_take(rs, 0, 1, 0, 100, &out), E_INVAL);
	assert_int_equal(range_set_take(rs, 1, 0, 0, 100, &out), E_INVAL);
	assert_int_equal(range_set_take(rs, 1, 3, 0, 100, &out), E_INVAL);
	assert_int_equal(range_set_take(rs, 1, 12, 0, 100, &out), E_INVAL);
	assert_int_equal(range_set_take(rs, 1, 1, 15, 15, &out), E_INVAL);
	assert_int_equal(range_set_take(rs, 1, 1, 16, 15, &out), E_INVAL);
	unchanged(rs, &s);
}

static void
remove_exact_prefix_suffix(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(0, 10, 20, 30, 40, 50));
	assert_int_equal(range_set_remove(rs, 20, 30), E_OK); /* exact */
	expect(rs, PAIRS(0, 10, 40, 50));
	assert_int_equal(range_set_remove(rs, 0, 3), E_OK); /* prefix */
	expect(rs, PAIRS(3, 10, 40, 50));
	assert_int_equal(range_set_remove(rs, 45, 50), E_OK); /* suffix */
	expect(rs, PAIRS(3, 10, 40, 45));
	assert_int_equal(range_set_remove(rs, 3, 10), E_OK);
	assert_int_equal(range_set_remove(rs, 40, 45), E_OK);
	assert_int_equal(rs->n, 0);
	assert_int_equal(range_set_total(rs), 0);
}

static void
remove_middle_split(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(0, 100, 200, 300));
	assert_int_equal(range_set_remove(rs, 40, 60), E_OK);
	expect(rs, PAIRS(0, 40, 60, 100, 200, 300));
	assert_int_equal(range_set_remove(rs, 250, 251), E_OK);
	expect(rs, PAIRS(0, 40, 60, 100, 200, 250, 251, 300));
	assert_int_equal(range_set_total(rs), 40 + 40 + 50 + 49);
}

static void
test_remove_noent(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(10, 20, 20 + 1, 30, 50, 60));
	struct snap s = snap(rs);
	static const uint64_t bad[][2] = {
		{ 0, 5 },   /* before everything */
		{ 5, 15 },  /* sticks out in front */
		{ 15, 25 }, /* spans the gap between two members */
		{ 10, 30 }, /* covers both but also the hole at 20 */
		{ 20, 21 }, /* exactly the hole */
		{ 55, 61 }, /* sticks out behind */
		{ 60, 70 }, /* right after the last */
		{ 35, 45 }, /* in a gap */
		{ 0, UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(range_set_remove(rs, bad[i][0], bad[i][1]), E_NOENT);
		unchanged(rs, &s);
	}
}

static void
test_remove_split_nospc(void **state)
{
	struct range_set *rs = *state;

	for (uint64_t i = 0; i < CAP; i++)
		assert_int_equal(range_set_add(rs, 100 * i, 100 * i + 10), E_OK);
	struct snap s = snap(rs);
	assert_int_equal(range_set_remove(rs, 302, 305), E_NOSPC);
	unchanged(rs, &s);
	/* prefix/suffix/exact removals need no slot */
	assert_int_equal(range_set_remove(rs, 300, 302), E_OK);
	assert_int_equal(range_set_remove(rs, 308, 310), E_OK);
	assert_int_equal(range_set_remove(rs, 500, 510), E_OK);
	assert_int_equal(rs->n, CAP - 1);
	assert_int_equal(range_set_remove(rs, 303, 305), E_OK); /* split now fits */
	assert_int_equal(rs->n, CAP);
	assert_int_equal(range_set_total(rs), 10 * CAP - 2 - 2 - 10 - 2);
}

static void
test_take_lowest_aligned(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 0;

	fill(rs, PAIRS(0x1001, 0x1800, 0x2100, 0x2200, 0x3000, 0x9000));
	/* 1-aligned: the very first byte */
	assert_int_equal(range_set_take(rs, 0x10, 1, 0, UINT64_MAX, &out), E_OK);
	assert_int_equal(out, 0x1001);
	/* 0x100-aligned, 0x100 long: 0x1100 fits in the first member */
	assert_int_equal(range_set_take(rs, 0x100, 0x100, 0, UINT64_MAX, &out), E_OK);
	assert_int_equal(out, 0x1100);
	/* 0x1000-aligned: neither the first nor the second member has one */
	assert_int_equal(range_set_take(rs, 0x1000, 0x1000, 0, UINT64_MAX, &out), E_OK);
	assert_int_equal(out, 0x3000);
	/* too long for the 0x100 member even though it is suitably aligned */
	assert_int_equal(range_set_take(rs, 0x101, 0x100, 0x2000, UINT64_MAX, &out), E_OK);
	assert_int_equal(out, 0x4000);
	expect(rs, PAIRS(0x1011, 0x1100, 0x1200, 0x1800, 0x2100, 0x2200,
			 0x4101, 0x9000));
	assert_int_equal(range_set_total(rs),
			 0x800 - 1 - 0x10 - 0x100 + 0x100 + 0x6000 - 0x1000 - 0x101);
}

static void
test_take_bounds(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 0;

	fill(rs, PAIRS(0, 0x10000));
	/* lo cuts into the member; the result is aligned up from lo */
	assert_int_equal(range_set_take(rs, 0x1000, 0x1000, 0x1234, 0x10000, &out), E_OK);
	assert_int_equal(out, 0x2000);
	/* must end at or before hi: [0x8000,0x9000) is the only fit below hi */
	assert_int_equal(range_set_take(rs, 0x1000, 0x1000, 0x7800, 0x9000, &out), E_OK);
	assert_int_equal(out, 0x8000);
	/* exact fit at the top of the window */
	assert_int_equal(range_set_take(rs, 0x10, 0x10, 0xFFF0, 0x10000, &out), E_OK);
	assert_int_equal(out, 0xFFF0);
	/* window holds free bytes but not size of them */
	struct snap s = snap(rs);
	assert_int_equal(range_set_take(rs, 0x1000, 1, 0x9000, 0x9FFF, &out), E_NOMEM);
	/* window entirely in a hole */
	assert_int_equal(range_set_take(rs, 1, 1, 0x2000, 0x3000, &out), E_NOMEM);
	/* window above everything */
	assert_int_equal(range_set_take(rs, 1, 1, 0x10000, UINT64_MAX, &out), E_NOMEM);
	unchanged(rs, &s);
	assert_false(range_set_intersects(rs, 0x2000, 0x3000));
	assert_false(range_set_intersects(rs, 0x8000, 0x9000));
	assert_false(range_set_intersects(rs, 0xFFF0, 0x10000));
}

static void
take_nomem(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 0x55;

	fill(rs, PAIRS(0x1001, 0x2001, 0x3000, 0x3800));
	struct snap s = snap(rs);
	/* bigger than any member */
	assert_int_equal(range_set_take(rs, 0x1001, 1, 0, UINT64_MAX, &out), E_NOMEM);
	/* 0x1000 bytes exist at 0x1001 but not 0x1000-aligned */
	assert_int_equal(range_set_take(rs, 0x1000, 0x1000, 0, UINT64_MAX, &out), E_NOMEM);
	/* total is enough (0x1800) but no single member is */
	assert_int_equal(range_set_take(rs, 0x1400, 1, 0, UINT64_MAX, &out), E_NOMEM);
	unchanged(rs, &s);
	assert_int_equal(out, 0x55);
}

static void
take_align_wraps(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 0;

	/* aligning the start of this member up overflows to 0 */
	fill(rs, PAIRS(0xFFFFFFFFFFFFF001ULL, UINT64_MAX));
	struct snap s = snap(rs);
	assert_int_equal(range_set_take(rs, 1, 0x1000, 0, UINT64_MAX, &out), E_NOMEM);
	assert_int_equal(range_set_take(rs, 1, 1ULL << 63, 0, UINT64_MAX, &out), E_NOMEM);
	unchanged(rs, &s);
	/* the top end of the address space works */
	assert_int_equal(range_set_take(rs, 0xF, 0x10, 0xFFFFFFFFFFFFFFE1ULL, UINT64_MAX, &out), E_OK);
	assert_int_equal(out, 0xFFFFFFFFFFFFFFF0ULL);
	expect(rs, PAIRS(0xFFFFFFFFFFFFF001ULL, 0xFFFFFFFFFFFFFFF0ULL));
}

static void
test_take_split_nospc(void **state)
{
	struct range_set *rs = *state;
	uint64_t out = 0;

	for (uint64_t i = 0; i < CAP; i++)
		assert_int_equal(range_set_add(rs, 0x1000 * i + 1, 0x1000 * i + 0x1000), E_OK);
	struct snap s = snap(rs);
	/* an aligned page would split the first member; no slot left */
	assert_int_equal(range_set_take(rs, 0x10, 0x100, 0, UINT64_MAX, &out), E_NOSPC);
	unchanged(rs, &s);
	/* a take from the front of a member needs no slot */
	assert_int_equal(range_set_take(rs, 0x10, 1, 0, UINT64_MAX, &out), E_OK);
	assert_int_equal(out, 1);
	assert_int_equal(rs->n, CAP);
}

static void
contains_intersects_total(void **state)
{
	struct range_set *rs = *state;

	fill(rs, PAIRS(10, 20, 30, 40));
	assert_true(range_set_contains(rs, 10, 20));
	assert_true(range_set_contains(rs, 12, 13));
	assert_true(range_set_contains(rs, 39, 40));
	assert_false(range_set_contains(rs, 9, 11));
	assert_false(range_set_contains(rs, 19, 21));
	assert_false(range_set_contains(rs, 15, 35)); /* spans the hole */
	assert_false(range_set_contains(rs, 20, 30));
	assert_false(range_set_contains(rs, 40, 41));

	assert_true(range_set_intersects(rs, 0, 11));
	assert_true(range_set_intersects(rs, 19, 31));
	assert_true(range_set_intersects(rs, 0, UINT64_MAX));
	assert_true(range_set_intersects(rs, 39, 100));
	assert_false(range_set_intersects(rs, 0, 10));
	assert_false(range_set_intersects(rs, 20, 30));
	assert_false(range_set_intersects(rs, 40, 1000));

	assert_int_equal(range_set_total(rs), 20);
	fill(rs, PAIRS(0xFFFFFFFF00000000ULL, 0xFFFFFFFFFFFFFFFFULL));
	assert_int_equal(range_set_total(rs), 20 + 0xFFFFFFFFULL);
}

/* ------------------------------------------------------------------ */
/* Randomized: the range set against a bitmap model of the same units. */

#define UNITS   4096
#define MCAP    128
#define BASE    (1ULL << 40) /* unit u is address BASE + u */
#define NOPS    20000

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t
rnd_below(uint64_t n)
{
	return rnd() % n;
}

static bool model[UNITS];

/* maximal runs of set units, i.e. what the range set must hold */
static size_t
model_runs(const bool *m)
{
	size_t runs = 0;

	for (size_t u = 0; u < UNITS; u++)
		if (m[u] && (u == 0 || !m[u - 1]))
			runs++;
	return runs;
}

static bool
model_all(const bool *m, uint64_t s, uint64_t e, bool v)
{
	for (uint64_t u = s; u < e; u++)
		if (m[u] != v)
			return false;
	return true;
}

static bool
model_any(const bool *m, uint64_t s, uint64_t e)
{
	return !model_all(m, s, e, false);
}

/* runs after setting [s,e) of m to v */
static size_t
model_runs_after(uint64_t s, uint64_t e, bool v)
{
	static bool tmp[UNITS];

	memcpy(tmp, model, sizeof(tmp));
	for (uint64_t u = s; u < e; u++)
		tmp[u] = v;
	return model_runs(tmp);
}

static void
model_set(uint64_t s, uint64_t e, bool v)
{
	for (uint64_t u = s; u < e; u++)
		model[u] = v;
}

static void
check_equiv(const struct range_set *rs, int op)
{
	size_t i = 0;
	uint64_t total = 0;

	for (uint64_t u = 0; u < UNITS;) {
		if (!model[u]) {
			u++;
			continue;
		}
		uint64_t e = u;
		while (e < UNITS && model[e])
			e++;
		if (i >= rs->n || rs->r[i].start != BASE + u || rs->r[i].end != BASE + e)
			fail_msg("op %d: member %zu should be [%#llx,%#llx), set has %zu members",
				 op, i, (unsigned long long)(BASE + u),
				 (unsigned long long)(BASE + e), rs->n);
		total += e - u;
		i++;
		u = e;
	}
	if (i != rs->n)
		fail_msg("op %d: set has %zu members, model %zu", op, rs->n, i);
	assert_true(rs->n <= rs->cap);
	assert_int_equal(range_set_total(rs), total);
	/* a few point queries */
	for (int k = 0; k < 4; k++) {
		uint64_t s = rnd_below(UNITS), e = s + 1 + rnd_below(MIN(64, UNITS - s));
		assert_int_equal(range_set_intersects(rs, BASE + s, BASE + e),
				 model_any(model, s, e));
		bool inside = model_all(model, s, e, true);
		assert_int_equal(range_set_contains(rs, BASE + s, BASE + e), inside);
	}
}

/* a random range; mostly one inside a run of `want` units (a set run for
 * remove, a gap for add), often touching that run's edges */
static void
pick_range(bool want, uint64_t *s, uint64_t *e)
{
	*s = rnd_below(UNITS);
	for (int tries = 0; tries < 16 && model[*s] != want; tries++)
		*s = rnd_below(UNITS);
	if (rnd_below(5) == 0 || model[*s] != want) {
		*e = *s + 1 + rnd_below(MIN(96, UNITS - *s));
		return;
	}
	uint64_t lo = *s, hi = *s;
	while (lo > 0 && model[lo - 1] == want)
		lo--;
	while (hi < UNITS && model[hi] == want)
		hi++;
	uint64_t a = lo + rnd_below(hi - lo), b = lo + rnd_below(hi - lo);
	*s = MIN(a, b);
	*e = MAX(a, b) + 1;
	switch (rnd_below(4)) {
	case 0: *s = lo; break;
	case 1: *e = hi; break;
	default: break;
	}
}

static void
run_model(uint64_t seed)
{
	struct range st[MCAP];
	struct range_set rs;
	int n_ok = 0, n_err = 0;
	int seen[3][16]; /* outcomes per op kind, by -error */

	memset(seen, 0, sizeof(seen));

	rng_state = seed;
	memset(model, 0, sizeof(model));
	range_set_init(&rs, st, MCAP);

	for (int op = 0; op < NOPS; op++) {
		uint64_t s, e;
		int want, got;
		/* alternate between phases that mostly free and mostly allocate */
		unsigned kind, r = (unsigned)rnd_below(10);
		if ((op / 2500) % 2 == 0)
			kind = r < 6 ? 0 : r < 8 ? 1 : 2;
		else
			kind = r < 2 ? 0 : r < 6 ? 1 : 2;

		if (kind == 0) {
			pick_range(false, &s, &e);
			if (model_any(model, s, e))
				want = E_EXIST;
			else if (model_runs_after(s, e, true) > MCAP)
				want = E_NOSPC;
			else
				want = E_OK;
			got = range_set_add(&rs, BASE + s, BASE + e);
			if (got != want)
				fail_msg("op %d: add [%llu,%llu) = %d, model says %d", op,
					 (unsigned long long)s, (unsigned long long)e, got, want);
			if (want == E_OK)
				model_set(s, e, true);
		} else if (kind == 1) {
			pick_range(true, &s, &e);
			if (!model_all(model, s, e, true))
				want = E_NOENT;
			else if (model_runs_after(s, e, false) > MCAP)
				want = E_NOSPC;
			else
				want = E_OK;
			got = range_set_remove(&rs, BASE + s, BASE + e);
			if (got != want)
				fail_msg("op %d: remove [%llu,%llu) = %d, model says %d", op,
					 (unsigned long long)s, (unsigned long long)e, got, want);
			if (want == E_OK)
				model_set(s, e, false);
		} else {
			uint64_t size = 1 + rnd_below(rnd_below(2) ? 8 : 200);
			uint64_t align = 1ULL << rnd_below(8);
			uint64_t lo = 0, hi = UINT64_MAX;
			if (rnd_below(2)) {
				uint64_t a = rnd_below(UNITS + 1), b = rnd_below(UNITS + 1);
				lo = BASE + MIN(a, b);
				hi = BASE + MAX(a, b) + 1;
			}
			/* model: lowest aligned fit inside [lo,hi) */
			uint64_t mlo = lo < BASE ? 0 : lo - BASE;
			uint64_t mhi = hi - BASE > UNITS ? UNITS : hi - BASE;
			uint64_t found = UINT64_MAX;
			for (uint64_t a = ALIGN_UP(mlo, align); a + size <= mhi; a += align)
				if (model_all(model, a, a + size, true)) {
					found = a;
					break;
				}
			if (found == UINT64_MAX)
				want = E_NOMEM;
			else if (model_runs_after(found, found + size, false) > MCAP)
				want = E_NOSPC;
			else
				want = E_OK;
			uint64_t out = 0xDEAD;
			got = range_set_take(&rs, size, align, lo, hi, &out);
			if (got != want)
				fail_msg("op %d: take(%llu, %llu) = %d, model says %d", op,
					 (unsigned long long)size, (unsigned long long)align, got, want);
			if (want == E_OK) {
				assert_int_equal(out, BASE + found);
				model_set(found, found + size, false);
			} else {
				assert_int_equal(out, 0xDEAD);
			}
		}
		seen[kind][-got]++;
		if (got == E_OK)
			n_ok++;
		else
			n_err++;
		check_equiv(&rs, op);
	}
	print_message("seed %#llx: %d ok, %d errors; final %zu members, %llu units\n",
		      (unsigned long long)seed, n_ok, n_err, rs.n,
		      (unsigned long long)range_set_total(&rs));
	/* the run must have exercised every outcome of every operation */
	assert_true(n_ok > NOPS / 4);
	static const int outcomes[][2] = {
		{ 0, E_OK }, { 0, E_EXIST }, { 0, E_NOSPC },
		{ 1, E_OK }, { 1, E_NOENT }, { 1, E_NOSPC },
		{ 2, E_OK }, { 2, E_NOMEM }, { 2, E_NOSPC },
	};
	for (size_t k = 0; k < sizeof(outcomes) / sizeof(outcomes[0]); k++)
		if (seen[outcomes[k][0]][-outcomes[k][1]] < 50)
			fail_msg("op kind %d saw %s only %d times", outcomes[k][0],
				 err_str(outcomes[k][1]), seen[outcomes[k][0]][-outcomes[k][1]]);
}

static void
test_random_vs_bitmap_model(void **state)
{
	(void)state;
	run_model(0x7e5e05c0ffee1234ULL);
	run_model(42);
}

/* some cases share a test: each part starts from a fresh, empty set */

static void
test_queries(void **state)
{
	empty_set(state);
	setup(state);
	contains_intersects_total(state);
}

static void
test_remove_exact_prefix_suffix_split(void **state)
{
	remove_exact_prefix_suffix(state);
	setup(state);
	remove_middle_split(state);
}

static void
test_take_nomem(void **state)
{
	take_nomem(state);
	setup(state);
	take_align_wraps(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_add_disjoint_sorted, setup),
		cmocka_unit_test_setup(test_add_merge_prev, setup),
		cmocka_unit_test_setup(test_add_merge_next, setup),
		cmocka_unit_test_setup(test_add_merge_both, setup),
		cmocka_unit_test_setup(test_add_overlap_exist, setup),
		cmocka_unit_test_setup(test_add_nospc_when_full, setup),
		cmocka_unit_test_setup(test_inval_args, setup),
		cmocka_unit_test_setup(test_remove_exact_prefix_suffix_split, setup),
		cmocka_unit_test_setup(test_remove_noent, setup),
		cmocka_unit_test_setup(test_remove_split_nospc, setup),
		cmocka_unit_test_setup(test_take_lowest_aligned, setup),
		cmocka_unit_test_setup(test_take_bounds, setup),
		cmocka_unit_test_setup(test_take_nomem, setup),
		cmocka_unit_test_setup(test_take_split_nospc, setup),
		cmocka_unit_test_setup(test_queries, setup),
		cmocka_unit_test(test_random_vs_bitmap_model),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
