/*
 * Host unit tests for kernel/mm/page_table/pt_index.h (header-only paging
 * arithmetic). Expected values are derived independently: from the x86_64
 * address layout written out by hand, and for the recursive mapping by
 * simulating the MMU's 4-level walk over page tables in a fake physical
 * memory whose P4[510] points back at the P4.
 *
 * HOST_TEST_SOURCES:
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pt_index.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static uint64_t rng = 0x0123456789ABCDEFULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* sign-extend bit 47, written independently of pt_canonical */
static uint64_t
sext48(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16);
}

static uint64_t
compose(uint64_t i4, uint64_t i3, uint64_t i2, uint64_t i1, uint64_t off)
{
	return sext48(i4 * (512 * GiB) + i3 * GiB + i2 * (2 * MiB) + i1 * 4096 + off);
}

static void
test_index_per_level(void **state)
{
	(void)state;
	/* the kernel's base: P4 511, P3 510, P2 0, P1 0 */
	assert_int_equal(pt_index(0xFFFFFFFF80000000ULL, 4), 511);
	assert_int_equal(pt_index(0xFFFFFFFF80000000ULL, 3), 510);
	assert_int_equal(pt_index(0xFFFFFFFF80000000ULL, 2), 0);
	assert_int_equal(pt_index(0xFFFFFFFF80000000ULL, 1), 0);
	/* 0x0000_7FFF_FFFF_FFFF: everything 511 */
	for (int l = 1; l <= 4; l++)
		assert_int_equal(pt_index(0x00007FFFFFFFFFFFULL, l), l == 4 ? 255 : 511);
	/* one bit per level: 1 GiB + 2 MiB + 4 KiB * 3 + 512 GiB * 5 */
	uint64_t va = 5 * 512 * GiB + 1 * GiB + 1 * 2 * MiB + 3 * 4096 + 0xABC;
	assert_int_equal(pt_index(va, 4), 5);
	assert_int_equal(pt_index(va, 3), 1);
	assert_int_equal(pt_index(va, 2), 1);
	assert_int_equal(pt_index(va, 1), 3);
	/* the page offset and the sign-extension bits never leak in */
	assert_int_equal(pt_index(0xFFF, 1), 0);
	assert_int_equal(pt_index(0xFFFF000000000000ULL, 4), 0);

	for (int k = 0; k < 10000; k++) {
		uint64_t i4 = rnd() % 512, i3 = rnd() % 512, i2 = rnd() % 512,
			 i1 = rnd() % 512, off = rnd() % 4096;
		uint64_t v = compose(i4, i3, i2, i1, off);
		if (pt_index(v, 4) != i4 || pt_index(v, 3) != i3 ||
		    pt_index(v, 2) != i2 || pt_index(v, 1) != i1)
			fail_msg("%#llx: indices %u/%u/%u/%u, expected %llu/%llu/%llu/%llu",
				 (unsigned long long)v, pt_index(v, 4), pt_index(v, 3),
				 pt_index(v, 2), pt_index(v, 1), (unsigned long long)i4,
				 (unsigned long long)i3, (unsigned long long)i2,
				 (unsigned long long)i1);
	}
}

static void
test_canonical(void **state)
{
	(void)state;
	static const struct {
		uint64_t va, canon;
	} t[] = {
		{ 0, 0 },
		{ 0x00007FFFFFFFFFFFULL, 0x00007FFFFFFFFFFFULL },
		{ 0x0000800000000000ULL, 0xFFFF800000000000ULL },
		{ 0xFFFF800000000000ULL, 0xFFFF800000000000ULL },
		{ 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL },
		{ 0xFFFF7FFFFFFFFFFFULL, 0x00007FFFFFFFFFFFULL },
		{ 0x8000000000000000ULL, 0 },
		{ 0x0001000000001000ULL, 0x1000 },
		{ 0x1234FF8000000000ULL, 0xFFFFFF8000000000ULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(pt_canonical(t[i].va), t[i].canon);
		assert_int_equal(pt_is_canonical(t[i].va), t[i].va == t[i].canon);
	}
	for (int k = 0; k < 10000; k++) {
		uint64_t v = rnd();
		uint64_t top = v >> 47; /* bits 47..63: all 0 or all 1 */
		bool canon = top == 0 || top == 0x1FFFF;
		assert_int_equal(pt_is_canonical(v), canon);
		assert_int_equal(pt_canonical(v), sext48(v));
	}
}

static void
test_make_va(void **state)
{
	(void)state;
	assert_int_equal(pt_make_va(0, 0, 0, 0), 0);
	assert_int_equal(pt_make_va(0, 0, 0, 1), 0x1000);
	assert_int_equal(pt_make_va(0, 0, 1, 0), 0x200000);
	assert_int_equal(pt_make_va(0, 1, 0, 0), 0x40000000);
	assert_int_equal(pt_make_va(1, 0, 0, 0), 0x8000000000ULL);
	assert_int_equal(pt_make_va(255, 511, 511, 511), 0x00007FFFFFFFF000ULL);
	assert_int_equal(pt_make_va(256, 0, 0, 0), 0xFFFF800000000000ULL);
	assert_int_equal(pt_make_va(511, 510, 0, 0), 0xFFFFFFFF80000000ULL);
	assert_int_equal(pt_make_va(511, 511, 511, 511), 0xFFFFFFFFFFFFF000ULL);
	assert_int_equal(pt_make_va(509, 0, 0, 0), 0xFFFFFE8000000000ULL);
	for (int k = 0; k < 10000; k++) {
		uint64_t i4 = rnd() % 512, i3 = rnd() % 512, i2 = rnd() % 512, i1 = rnd() % 512;
		assert_int_equal(pt_make_va(i4, i3, i2, i1), compose(i4, i3, i2, i1, 0));
	}
}

/*
 * With P4[510] pointing at the P4 itself, the level-L table for va lives at
 * base_L + (((va & (2^48 - 1)) >> (12 + 9L)) << 12), where base_L is the VA
 * whose top (5 - L) indices are all 510: each pass through slot 510 makes
 * the walk stop one level early.
 */
#define REC_P1_BASE 0xFFFFFF0000000000ULL /* 510 */
#define REC_P2_BASE 0xFFFFFF7F80000000ULL /* 510,510 */
#define REC_P3_BASE 0xFFFFFF7FBFC00000ULL /* 510,510,510 */
#define REC_P4      0xFFFFFF7FBFDFE000ULL /* 510,510,510,510 */

static uint64_t
expected_table_va(uint64_t va, int level)
{
	static const uint64_t base[5] = { 0, REC_P1_BASE, REC_P2_BASE, REC_P3_BASE, REC_P4 };
	uint64_t low = va & 0x0000FFFFFFFFFFFFULL;

	return base[level] + ((low >> (12 + 9 * level)) << 12);
}

static void
test_table_va_closed_form(void **state)
{
	(void)state;
	/* the P4 is at the same place whatever the address */
	assert_int_equal(pt_table_va(0, 4), 0xFFFFFF7FBFDFE000ULL);
	assert_int_equal(pt_table_va(0xFFFFFFFF80000000ULL, 4), 0xFFFFFF7FBFDFE000ULL);
	/* address 0: the first table of each level */
	assert_int_equal(pt_table_va(0, 3), 0xFFFFFF7FBFC00000ULL);
	assert_int_equal(pt_table_va(0, 2), 0xFFFFFF7F80000000ULL);
	assert_int_equal(pt_table_va(0, 1), 0xFFFFFF0000000000ULL);
	/* the kernel base: P3 is P4[511]'s, P2 is P3[510]'s, ... */
	assert_int_equal(pt_table_va(0xFFFFFFFF80000000ULL, 3), 0xFFFFFF7FBFDFF000ULL);
	assert_int_equal(pt_table_va(0xFFFFFFFF80000000ULL, 2), 0xFFFFFF7FBFFFE000ULL);
	assert_int_equal(pt_table_va(0xFFFFFFFF80000000ULL, 1), 0xFFFFFF7FFFC00000ULL);
	/* the P1 of the last page of the address space is the last P1 of all */
	assert_int_equal(pt_table_va(0xFFFFFFFFFFFFF000ULL, 1), 0xFFFFFF7FFFFFF000ULL);
	/* every table is inside the recursive P4 slot */
	for (int l = 1; l <= 4; l++)
		assert_int_equal(pt_index(pt_table_va(rnd(), l), 4), PT_RECURSIVE);

	for (int k = 0; k < 10000; k++) {
		uint64_t va = pt_canonical(rnd());
		for (int l = 1; l <= 4; l++) {
			uint64_t want = expected_table_va(va, l);
			if (pt_table_va(va, l) != want)
				fail_msg("level %d table of %#llx: %#llx, expected %#llx", l,
					 (unsigned long long)va,
					 (unsigned long long)pt_table_va(va, l),
					 (unsigned long long)want);
		}
	}
}

/* ---- a simulated MMU over fake physical memory ------------------------ */

#define NFRAMES   512
#define PHYS_BASE 0x40000000ULL /* phys address of frame 0 */

static uint64_t frames[NFRAMES][512];
static size_t nframes;

static uint64_t
frame_alloc(void)
{
	assert_true(nframes < NFRAMES);
	memset(frames[nframes], 0, sizeof(frames[0]));
	return PHYS_BASE + 4096 * nframes++;
}

static uint64_t *
phys_table(uint64_t pa)
{
	assert_true(pa >= PHYS_BASE && pa < PHYS_BASE + 4096 * nframes);
	assert_true((pa & 0xFFF) == 0);
	return frames[(pa - PHYS_BASE) / 4096];
}

/* the hardware walk: CR3 -> P4 -> P3 -> P2 -> P1 -> page; 0 if unmapped */
static uint64_t
mmu_translate(uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3;

	assert_true(sext48(va) == va);
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = phys_table(table)[(va >> shift) & 511];
		if (!(e & 1))
			return 0;
		table = e & 0x000FFFFFFFFFF000ULL;
	}
	return table + (va & 0xFFF);
}

struct mapping {
	uint64_t va, page, tables[5]; /* tables[L]: phys of the level-L table */
};

/* map va -> page, creating tables; record which tables translate va */
static void
mmu_map(uint64_t cr3, struct mapping *m)
{
	uint64_t table = cr3;

	m->tables[4] = cr3;
	for (int level = 4; level >= 1; level--) {
		uint64_t *t = phys_table(table);
		unsigned i = (unsigned)((m->va >> (12 + 9 * (level - 1))) & 511);
		if (level == 1) {
			t[i] = m->page | PTE_PRESENT | PTE_WRITE;
			break;
		}
		if (!(t[i] & 1))
			t[i] = frame_alloc() | PTE_PRESENT | PTE_WRITE;
		table = t[i] & 0x000FFFFFFFFFF000ULL;
		m->tables[level - 1] = table;
	}
}

static void
test_table_va_recursive_walk(void **state)
{
	(void)state;
	struct mapping maps[40];
	size_t n = 0;

	nframes = 0;
	uint64_t cr3 = frame_alloc();
	phys_table(cr3)[PT_RECURSIVE] = cr3 | PTE_PRESENT | PTE_WRITE;

	static const uint64_t fixed[] = {
		0x1000, 0x7FFFFFFFF000ULL, 0xFFFF800000000000ULL,
		0xFFFFFFFF80000000ULL, 0xFFFFFFFF80001000ULL, 0xFFFFFFFFFFFFF000ULL,
		0xFFFFFE8000000000ULL, 0xFFFFFEFFFFFFF000ULL, 0x0000004000200000ULL,
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		maps[n++].va = fixed[i];
	while (n < sizeof(maps) / sizeof(maps[0])) {
		uint64_t va = sext48(rnd()) & ~0xFFFULL;
		if (((va >> 39) & 511) != PT_RECURSIVE)
			maps[n++].va = va;
	}
	for (size_t i = 0; i < n; i++) {
		maps[i].page = 0x100000000ULL + 0x1000 * i;
		mmu_map(cr3, &maps[i]);
	}

	for (size_t i = 0; i < n; i++) {
		struct mapping *m = &maps[i];
		assert_int_equal(mmu_translate(cr3, m->va + 0x123), m->page + 0x123);
		for (int l = 1; l <= 4; l++) {
			uint64_t tva = pt_table_va(m->va, l);
			uint64_t pa = mmu_translate(cr3, tva);
			if (pa != m->tables[l])
				fail_msg("level %d table of %#llx: pt_table_va gives %#llx which "
					 "maps to phys %#llx, the table is at %#llx", l,
					 (unsigned long long)m->va, (unsigned long long)tva,
					 (unsigned long long)pa, (unsigned long long)m->tables[l]);
			/* and the entry for va is at index pt_index(va, l) in it */
			uint64_t slot = (m->va >> (12 + 9 * (l - 1))) & 511;
			uint64_t epa = mmu_translate(cr3, tva + 8 * pt_index(m->va, l));
			assert_int_equal(epa, m->tables[l] + 8 * slot);
		}
		/* the level-1 entry read through the recursive map is the PTE */
		uint64_t pte_pa = mmu_translate(cr3, pt_table_va(m->va, 1) + 8 * pt_index(m->va, 1));
		uint64_t pte = phys_table(pte_pa & ~0xFFFULL)[(pte_pa & 0xFFF) / 8];
		assert_int_equal(pte & PTE_ADDR_MASK, m->page);
	}
}

static void
test_entry_span(void **state)
{
	(void)state;
	assert_int_equal(pt_entry_span(1), 4096);
	assert_int_equal(pt_entry_span(2), 2 * MiB);
	assert_int_equal(pt_entry_span(3), GiB);
	assert_int_equal(pt_entry_span(4), 512 * GiB);
	/* stepping by one entry's span bumps exactly that level's index */
	for (int k = 0; k < 1000; k++) {
		uint64_t va = compose(rnd() % 256, rnd() % 511, rnd() % 511, rnd() % 511, 0);
		for (int l = 1; l <= 4; l++) {
			uint64_t next = va + pt_entry_span(l);
			for (int m = 1; m <= 4; m++)
				assert_int_equal(pt_index(next, m),
						 pt_index(va, m) + (m == l ? 1 : 0));
		}
	}
}

static void
zones(void **state)
{
	(void)state;
	/* CODE: inside the top 2 GiB (mcmodel=kernel), after the image */
	assert_true(ZONE_CODE_START >= 0xFFFFFFFF80000000ULL);
	assert_true(ZONE_CODE_START >= KERNEL_VMA + KERNEL_IMAGE_MAX);
	assert_true(ZONE_CODE_START < ZONE_CODE_END);
	assert_true(ZONE_CODE_END <= 0xFFFFFFFFFFFFF000ULL);
	assert_true(ZONE_CODE_END - KERNEL_VMA <= 2 * GiB);
	assert_int_equal(KERNEL_VMA, 0xFFFFFFFF80000000ULL);
	assert_int_equal(ZONE_CODE_START % (2 * MiB), 0);
	assert_int_equal(ZONE_CODE_END % (2 * MiB), 0);
	assert_int_equal(pt_index(ZONE_CODE_START, 4), 511);
	assert_int_equal(pt_index(ZONE_CODE_END - 1, 4), 511);
	assert_true(pt_is_canonical(ZONE_CODE_START));

	/* ANY: exactly P4 slot 509, i.e. 512 GiB, canonical at both ends */
	assert_int_equal(ZONE_ANY_P4, 509);
	assert_int_equal(ZONE_ANY_START, sext48(509ULL << 39));
	assert_int_equal(ZONE_ANY_END - ZONE_ANY_START, 512 * GiB);
	assert_int_equal(pt_index(ZONE_ANY_START, 4), ZONE_ANY_P4);
	assert_int_equal(pt_index(ZONE_ANY_END - 1, 4), ZONE_ANY_P4);
	assert_true(pt_is_canonical(ZONE_ANY_START));
	assert_true(pt_is_canonical(ZONE_ANY_END - 1));

	/* and neither zone overlaps the recursive window */
	assert_int_not_equal(ZONE_ANY_P4, PT_RECURSIVE);
	assert_int_equal(pt_index(ZONE_ANY_END, 4), PT_RECURSIVE);
	assert_true(ZONE_ANY_END <= REC_P1_BASE);
	assert_true(ZONE_CODE_START >= REC_P1_BASE + 512 * GiB);
}

static void
pte_bits(void **state)
{
	(void)state;
	static const uint64_t flags[] = {
		PTE_PRESENT, PTE_WRITE, PTE_USER, PTE_PWT, PTE_PCD,
		PTE_ACCESSED, PTE_DIRTY, PTE_HUGE, PTE_GLOBAL, PTE_NX,
	};
	static const int bit[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 63 };
	uint64_t all = 0;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		assert_int_equal(flags[i], 1ULL << bit[i]);
		assert_int_equal(flags[i] & PTE_ADDR_MASK, 0);
		all |= flags[i];
	}
	/* physical address bits 12..51 */
	assert_int_equal(PTE_ADDR_MASK, ((1ULL << 52) - 1) & ~0xFFFULL);
	assert_int_equal(all & PTE_ADDR_MASK, 0);
	assert_int_equal(PT_ENTRIES * sizeof(uint64_t), PAGE_SIZE);
}

static void
test_zones_and_pte_bits(void **state)
{
	zones(state);
	pte_bits(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_per_level),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_make_va),
		cmocka_unit_test(test_table_va_closed_form),
		cmocka_unit_test(test_table_va_recursive_walk),
		cmocka_unit_test(test_entry_span),
		cmocka_unit_test(test_zones_and_pte_bits),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("pt_index", tests, NULL, NULL);
}
