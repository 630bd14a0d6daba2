/*
 * mapped_pages.c: struct mapped_pages. Check, then commit: mp_map maps
 * every page or, on failure, unmaps what it did and leaves the caller's
 * pages and frames untouched.
 */
#define LOG_TAG "mm"
#include "memory.h"
#include "mem_int.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "mm_acct.h"
#include "mm_desc.h"
#include "page_table.h"

struct mapped_pages {
	uint32_t magic;
	uint32_t flags;
	uint64_t start;
	uint64_t npages;
	struct pages *pages;
	struct frames *frames;
	uint8_t acct;   /* accounting domain charged (mm_acct) */
};
#define MP_MAGIC 0x4d415050u /* "MAPP" */
compile_assert(mp_fits_desc, sizeof(struct mapped_pages) <= MM_DESC_SIZE);

static uint64_t live_mappings; /* atomic */

static uint64_t
pte_flags(unsigned f)
{
	uint64_t x = 0;
	if (f & MP_WRITE)
		x |= PTE_WRITE;
	if (!(f & MP_EXEC))
		x |= PTE_NX;
	if (f & MP_NOCACHE)
		x |= PTE_PCD | PTE_PWT;
	return x;
}

static int
check_flags(unsigned f)
{
	if (f & ~(unsigned)(MP_WRITE | MP_EXEC | MP_NOCACHE))
		return E_INVAL;
	if ((f & MP_WRITE) && (f & MP_EXEC))
		return E_PERM; /* W^X */
	return E_OK;
}

/*
 * The work of mp_map. mp_map, mp_alloc and mp_map_phys all go through this
 * unannotated worker because gcc 12's -fanalyzer mis-models a call to an
 * OWNED_BY function whose body is in the same file (it tracks the result as
 * a fresh allocation and also walks the body, then reports the body's
 * result as leaked); so nothing in this file calls mp_map itself.
 */
static struct mapped_pages *
map_consume(struct pages **pages, struct frames **frames, unsigned flags, int *err)
{
	int e = check_flags(flags);
	if (!e && (!pages || !*pages || !frames || !*frames))
		e = E_INVAL;
	if (!e && pages_count(*pages) != frames_count(*frames))
		e = E_RANGE;
	if (e)
		return err_null(err, e);
	struct mapped_pages *mp = mm_desc_alloc();
	if (!mp)
		return err_null(err, E_NOMEM);
	uint64_t va = pages_start(*pages), pa = frames_phys(*frames);
	size_t n = pages_count(*pages);
	for (size_t i = 0; i < n; i++) {
		e = pt_map_page(va + i * PAGE_SIZE, pa + i * PAGE_SIZE, pte_flags(flags));
		if (e) {
			pt_unmap_range(va, i);
			mm_desc_free(mp);
			return err_null(err, e);
		}
	}
	/* commit: nothing below fails */
	mp->magic = MP_MAGIC;
	mp->flags = flags;
	mp->start = va;
	mp->npages = n;
	mp->pages = TAKE_PTR(*pages);
	mp->frames = TAKE_PTR(*frames);
	mp->acct = mm_acct_current();
	mm_acct_charge(mp->acct, ACCT_MAPPINGS, 1);
	__atomic_add_fetch(&live_mappings, 1, __ATOMIC_RELAXED);
	return mp;
}

struct mapped_pages *
mp_map(struct pages **pages, struct frames **frames, unsigned flags, int *err)
{
	return map_consume(pages, frames, flags, err);
}

struct mapped_pages *
mp_alloc(enum page_zone z, size_t npages, unsigned flags, int *err)
{
	_cleanup_(pages_drop_p) struct pages *pages = pages_alloc(z, npages, PAGE_SIZE, err);
	if (!pages)
		return NULL;
	_cleanup_(frames_drop_p) struct frames *frames = frames_alloc(npages, err);
	if (!frames)
		return NULL;
	struct mapped_pages *mp = map_consume(&pages, &frames, flags, err);
	if (mp && (flags & MP_WRITE))
		memset((void *)(uintptr_t)mp->start, 0, npages * PAGE_SIZE);
	return mp;
}

struct mapped_pages *
mp_map_phys(uint64_t phys, size_t len, unsigned flags, int *err)
{
	if (!IS_ALIGNED(phys, PAGE_SIZE) || len == 0)
		return err_null(err, len ? E_ALIGN : E_INVAL);
	size_t n = DIV_ROUND_UP(len, PAGE_SIZE);
	_cleanup_(frames_drop_p) struct frames *frames = frames_alloc_at(phys, n, err);
	if (!frames)
		return NULL;
	_cleanup_(pages_drop_p) struct pages *pages = pages_alloc(ZONE_ANY, n, PAGE_SIZE, err);
	if (!pages)
		return NULL;
	return map_consume(&pages, &frames, flags, err);
}

/* a pointer that may be one (a higher-half, aligned address first, so
 * that random bits are refused without being followed), with the magic */
bool
mp_plausible(const struct mapped_pages *mp)
{
	uintptr_t a = (uintptr_t)mp;
	return a >= 0xffff800000000000ULL && !(a & 7) && mp->magic == MP_MAGIC;
}

static bool
valid(const struct mapped_pages *mp)
{
	if (mp && mp->magic == MP_MAGIC)
		return true;
	log_err("use of a bad mapped_pages object %p (after drop?)", (const void *)mp);
	return false;
}

void
mp_drop(struct mapped_pages *mp)
{
	if (!mp || !valid(mp))
		return;
	mp->magic = 0;
	/* cells' sections (the code zone) are unmapped everywhere at once: a
	 * task still in an unloaded cell must fault, not run on */
	bool any_zone = mp->start >= ZONE_ANY_START && mp->start < ZONE_ANY_END;
	if (any_zone && mp_lazy_fits(mp->npages)) {
		/* flushed on other CPUs with the next batch (lazy_unmap.c) */
		mp_lazy_release(mp->start, mp->npages, TAKE_PTR(mp->pages), TAKE_PTR(mp->frames));
	} else {
		pt_unmap_range(mp->start, mp->npages);
		frames_drop(TAKE_PTR(mp->frames));
		pages_drop(TAKE_PTR(mp->pages));
	}
	mm_acct_charge(mp->acct, ACCT_MAPPINGS, -1);
	mm_desc_free(mp);
	__atomic_sub_fetch(&live_mappings, 1, __ATOMIC_RELAXED);
}

void
mp_set_acct(struct mapped_pages *mp, uint8_t acct)
{
	if (!valid(mp))
		return;
	frames_set_acct(mp->frames, acct);
	pages_set_acct(mp->pages, acct);
	mm_acct_charge(mp->acct, ACCT_MAPPINGS, -1);
	mp->acct = acct;
	mm_acct_charge(mp->acct, ACCT_MAPPINGS, 1);
}

int
mp_protect(struct mapped_pages *mp, unsigned flags)
{
	int e = check_flags(flags);
	if (e)
		return e;
	if (!valid(mp))
		return E_INVAL;
	e = pt_protect_range(mp->start, mp->npages, pte_flags(flags));
	if (!e)
		mp->flags = flags;
	return e;
}

uintptr_t mp_start(const struct mapped_pages *mp) { return mp->start; }
size_t mp_size(const struct mapped_pages *mp) { return mp->npages * PAGE_SIZE; }
unsigned mp_flags(const struct mapped_pages *mp) { return mp->flags; }
uint64_t mp_phys(const struct mapped_pages *mp) { return frames_phys(mp->frames); }

static int
check_bounds(const struct mapped_pages *mp, size_t off, size_t len)
{
	if (!valid(mp))
		return E_INVAL;
	size_t size = mp->npages * PAGE_SIZE;
	if (off > size || len > size - off)
		return E_RANGE;
	return E_OK;
}

const void *
mp_as(const struct mapped_pages *mp, size_t off, size_t len, int *err)
{
	int e = check_bounds(mp, off, len);
	err_set(err, e);
	return e ? NULL : (const void *)(uintptr_t)(mp->start + off);
}

void *
mp_as_mut(struct mapped_pages *mp, size_t off, size_t len, int *err)
{
	int e = check_bounds(mp, off, len);
	if (!e && !(mp->flags & MP_WRITE))
		e = E_PERM;
	err_set(err, e);
	return e ? NULL : (void *)(uintptr_t)(mp->start + off);
}

const void *
mp_as_exec(const struct mapped_pages *mp, size_t off, int *err)
{
	int e = check_bounds(mp, off, 1);
	if (!e && !(mp->flags & MP_EXEC))
		e = E_PERM;
	err_set(err, e);
	return e ? NULL : (const void *)(uintptr_t)(mp->start + off);
}

uint64_t
mm_mapped_count(void)
{
	return __atomic_load_n(&live_mappings, __ATOMIC_RELAXED);
}
