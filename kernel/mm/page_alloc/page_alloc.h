/*
 * page_alloc: virtual pages of the single address space, in two zones:
 * CODE (the top 2 GiB, where every cell must live to reach the others with
 * 32-bit relocations) and ANY (heap, stacks, MMIO, module images).
 * Allocations are owned `struct pages` objects; dropping one frees them.
 * State: the two zones' free sets and counters.
 */
#ifndef PAGE_ALLOC_H
#define PAGE_ALLOC_H

#include "base.h"

enum page_zone { ZONE_CODE, ZONE_ANY };

struct pages;

void pages_drop(struct pages *p);
DEFINE_DROP(struct pages, pages_drop)

/* `align` in bytes (power of two, >= 4 KiB) */
struct pages *pages_alloc(enum page_zone z, size_t count, uint64_t align,
			  int *err) OWNED_BY(pages_drop);
/* Split *p at page `at` (0 < at < count): *p keeps the first part, the
 * returned object owns the rest. On error *p is unchanged. */
struct pages *pages_split(struct pages *p, size_t at, int *err) OWNED_BY(pages_drop);

uint64_t pages_start(const struct pages *p);
/* move p's charge to accounting domain acct (mm_acct) */
void pages_set_acct(struct pages *p, uint8_t acct);
size_t pages_count(const struct pages *p);
/* p looks like a live pages object (a higher-half aligned address, then
 * the magic) */
bool pages_plausible(const struct pages *p);

/* raw runs for the memory cells' metadata (see frame_alloc.h) */
int page_alloc_raw(enum page_zone z, size_t count, uint64_t *va) __must_check;

void page_alloc_init(void);

struct page_stats {
	uint64_t free_code, free_any, raw, objects;
};
void page_stats(struct page_stats *out);

#endif
