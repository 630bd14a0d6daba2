/*
 * memory: MappedPages, the one way to map memory (thesis 6.3.1), and the
 * boot-time switch from the loader's page tables to ours.
 *
 *   struct mapped_pages owns the pages and frames it maps (M.1: it consumes
 *   them, so no frame is mapped twice); access goes through bounds-checked
 *   accessors tied to the mapping (M.2); dropping it unmaps, flushes the TLB
 *   and returns pages and frames, exactly once (M.3); a writable view exists
 *   only for a writable mapping and an executable one only for an
 *   executable mapping (M.4). Writable+executable is refused (W^X).
 *
 * State: none beyond what frame_alloc, page_alloc and page_table keep.
 */
#ifndef MEMORY_H
#define MEMORY_H

#include "base.h"
#include "frame_alloc.h"
#include "page_alloc.h"

struct boot_info;

enum mp_flags {
	MP_READ    = 0,      /* always readable */
	MP_WRITE   = 1 << 0,
	MP_EXEC    = 1 << 1,
	MP_NOCACHE = 1 << 2, /* device memory */
};

struct mapped_pages;

void mp_drop(struct mapped_pages *mp);
DEFINE_DROP(struct mapped_pages, mp_drop)

/* Map *pages onto *frames (same count). On success both are consumed
 * (set to NULL); on error both are left with the caller. */
struct mapped_pages *mp_map(struct pages **pages, struct frames **frames,
			    unsigned flags, int *err) OWNED_BY(mp_drop);
/* fresh pages + fresh frames, zeroed if writable */
struct mapped_pages *mp_alloc(enum page_zone z, size_t npages, unsigned flags,
			      int *err) OWNED_BY(mp_drop);
/* map the physical range [phys, phys+len) (page-aligned phys): device
 * memory or reserved RAM such as boot modules */
struct mapped_pages *mp_map_phys(uint64_t phys, size_t len, unsigned flags,
				 int *err) OWNED_BY(mp_drop);
/* move the charge for mp, its pages and frames to accounting domain acct
 * (mm_acct; e.g. MM_ACCT_NONE for a heap slab every domain shares) */
void mp_set_acct(struct mapped_pages *mp, uint8_t acct);
/* change protection; W^X still holds */
int mp_protect(struct mapped_pages *mp, unsigned flags) __must_check;

uintptr_t mp_start(const struct mapped_pages *mp);
size_t mp_size(const struct mapped_pages *mp);
/* mp looks like a live mapping object (for holders whose pointer may have
 * been corrupted: a higher-half aligned address, then the magic) */
bool mp_plausible(const struct mapped_pages *mp);
unsigned mp_flags(const struct mapped_pages *mp);
uint64_t mp_phys(const struct mapped_pages *mp);

/* Bounds-checked views. A view is valid only while the mapping lives. */
const void *mp_as(const struct mapped_pages *mp, size_t off, size_t len, int *err);
void *mp_as_mut(struct mapped_pages *mp, size_t off, size_t len, int *err);
const void *mp_as_exec(const struct mapped_pages *mp, size_t off, int *err);

#define MP_AS(mp, T, off, err)     ((const T *)mp_as((mp), (off), sizeof(T), (err)))
#define MP_AS_MUT(mp, T, off, err) ((T *)mp_as_mut((mp), (off), sizeof(T), (err)))
#define MP_AS_ARRAY(mp, T, off, n, err) \
	((const T *)mp_as((mp), (off), mp_array_bytes_(sizeof(T), (n)), (err)))
#define MP_AS_ARRAY_MUT(mp, T, off, n, err) \
	((T *)mp_as_mut((mp), (off), mp_array_bytes_(sizeof(T), (n)), (err)))

static inline size_t
mp_array_bytes_(size_t size, size_t n)
{
	size_t r;
	return __builtin_mul_overflow(size, n, &r) ? SIZE_MAX : r;
}

/* Boot: take over physical memory from the loader's page tables. */
int mm_init(const struct boot_info *bi) __must_check;

/* Counters that must come back after any self-contained operation; the
 * test harness compares them around every test. */
struct mm_usage {
	uint64_t frames;     /* free + reserved-free + raw-held frames */
	uint64_t pages;      /* free pages in both zones + raw-held pages */
	uint64_t frame_objs, page_objs, mapped;
};
void mm_usage(struct mm_usage *out);
uint64_t mm_mapped_count(void);

#endif
