/*
 * pt_index.h: x86_64 4-level paging arithmetic: indices, canonical form,
 * PTE bits, and where each level's table appears through the recursive
 * P4 slot. Pure, unit-tested on the host. No state.
 *
 * Virtual layout (see docs/memory.md):
 *   P4[511]  0xFFFFFF8000000000  top 512 GiB; its last 2 GiB hold the
 *            nano_core image and the CODE zone for cells (mcmodel=kernel
 *            reach: every cell within +-2 GiB of every other)
 *   P4[510]  0xFFFFFF0000000000  recursive: the page tables themselves
 *   P4[509]  0xFFFFFE8000000000  ANY zone: heap, stacks, MMIO, modules
 */
#ifndef PT_INDEX_H
#define PT_INDEX_H

#include "base.h"

#define PTE_PRESENT  (1ULL << 0)
#define PTE_WRITE    (1ULL << 1)
#define PTE_USER     (1ULL << 2)
#define PTE_PWT      (1ULL << 3)
#define PTE_PCD      (1ULL << 4)
#define PTE_ACCESSED (1ULL << 5)
#define PTE_DIRTY    (1ULL << 6)
#define PTE_HUGE     (1ULL << 7)
#define PTE_GLOBAL   (1ULL << 8)
#define PTE_NX       (1ULL << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

#define PT_RECURSIVE  510UL
#define PT_ENTRIES    512

#define KERNEL_VMA        0xFFFFFFFF80000000ULL
#define KERNEL_IMAGE_MAX  (64ULL << 20)
#define ZONE_CODE_START   (KERNEL_VMA + KERNEL_IMAGE_MAX)
#define ZONE_CODE_END     0xFFFFFFFFFFE00000ULL /* leave the last 2 MiB unmapped */
#define ZONE_ANY_P4       509UL
#define ZONE_ANY_START    0xFFFFFE8000000000ULL
#define ZONE_ANY_END      0xFFFFFF0000000000ULL

static inline uint64_t
pt_canonical(uint64_t va)
{
	return (va & (1ULL << 47)) ? (va | 0xFFFF000000000000ULL) : (va & 0x0000FFFFFFFFFFFFULL);
}

static inline bool
pt_is_canonical(uint64_t va)
{
	return pt_canonical(va) == va;
}

/* level 4 = P4 ... level 1 = P1 */
static inline unsigned
pt_index(uint64_t va, int level)
{
	return (unsigned)((va >> (12 + 9 * (level - 1))) & 511);
}

static inline uint64_t
pt_make_va(uint64_t i4, uint64_t i3, uint64_t i2, uint64_t i1)
{
	return pt_canonical((i4 << 39) | (i3 << 30) | (i2 << 21) | (i1 << 12));
}

/* virtual address of the level-`level` table that translates `va` */
static inline uint64_t
pt_table_va(uint64_t va, int level)
{
	const uint64_t r = PT_RECURSIVE;
	uint64_t i4 = pt_index(va, 4), i3 = pt_index(va, 3), i2 = pt_index(va, 2);

	switch (level) {
	case 4: return pt_make_va(r, r, r, r);
	case 3: return pt_make_va(r, r, r, i4);
	case 2: return pt_make_va(r, r, i4, i3);
	default: return pt_make_va(r, i4, i3, i2);
	}
}

/* bytes one entry at `level` covers: 4 KiB, 2 MiB, 1 GiB, 512 GiB */
static inline uint64_t
pt_entry_span(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

#endif
