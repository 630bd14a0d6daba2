/*
 * large.c: requests above 2048 bytes map a region of their own (header
 * at its start, 16 KiB-aligned); each heap keeps up to LARGE_CACHE freed
 * regions of at most LARGE_CACHE_PAGES pages still mapped, the most
 * recently freed first, so an allocation of the same page count takes
 * one back instead of mapping. A region's mapping and its header's tag
 * are charged to the allocating domain.
 */
#define LOG_TAG "heap"
#include "heap_int.h"
#include "base.h"
#include "cpu.h"
#include "logger.h"
#include "memory.h"
#include "mm_acct.h"
#include "page_table.h"

uint64_t heap_n_large, heap_n_mapped;

/* map a 16 KiB-aligned region of npages, header initialized */
struct region_hdr *
heap_region_new(size_t npages, uint32_t magic, struct heap *h)
{
	int err;
	_cleanup_(pages_drop_p) struct pages *pages = pages_alloc(ZONE_ANY, npages, REGION_SIZE, &err);
	if (!pages)
		return NULL;
	_cleanup_(frames_drop_p) struct frames *frames = frames_alloc(npages, &err);
	if (!frames)
		return NULL;
	struct mapped_pages *mp = mp_map(&pages, &frames, MP_WRITE, &err);
	if (!mp)
		return NULL;
	struct region_hdr *r = MP_AS_MUT(mp, struct region_hdr, 0, &err);
	/* cannot fail: the mapping is writable and larger than a header */
	r->magic = magic;
	r->mp = mp;
	r->heap = h;
	__atomic_add_fetch(&heap_n_mapped, npages * PAGE_SIZE, __ATOMIC_RELAXED);
	return r;
}

void
heap_region_drop(struct region_hdr *r)
{
	struct mapped_pages *mp = r->mp;
	__atomic_sub_fetch(&heap_n_mapped, mp_size(mp), __ATOMIC_RELAXED);
	r->magic = 0;
	mp_drop(mp);
}

/* a cached region of exactly npages from h, or NULL */
static struct region_hdr *
cache_take(struct heap *h, size_t npages)
{
	struct region_hdr *r = NULL;
	bool irq = spin_lock_irq(&h->lock);
	for (unsigned i = 0; i < LARGE_CACHE && !r; i++)
		if (h->cache[i] && mp_size(h->cache[i]->mp) == npages * PAGE_SIZE) {
			r = h->cache[i];
			/* close the gap: the cache stays in order of freeing */
			for (unsigned k = i; k + 1 < LARGE_CACHE; k++)
				h->cache[k] = h->cache[k + 1];
			h->cache[LARGE_CACHE - 1] = NULL;
		}
	spin_unlock_irq(&h->lock, irq);
	return r;
}

/* keep r mapped in its heap's cache, the most recently freed first; what
 * the caller must drop is returned: r if it is too large, else the least
 * recently freed region if the cache was full (so sizes in use now
 * replace sizes used once) */
static struct region_hdr *
cache_put(struct region_hdr *r)
{
	struct heap *h = r->heap;
	if (mp_size(r->mp) > LARGE_CACHE_PAGES * PAGE_SIZE)
		return r;
	bool irq = spin_lock_irq(&h->lock);
	struct region_hdr *out = h->cache[LARGE_CACHE - 1];
	for (unsigned i = LARGE_CACHE - 1; i > 0; i--)
		h->cache[i] = h->cache[i - 1];
	h->cache[0] = r;
	spin_unlock_irq(&h->lock, irq);
	return out;
}

static void
large_count(int64_t bytes, int64_t objs, bool alloc)
{
	heap_count_shared(bytes, objs, alloc);
	__atomic_add_fetch(&heap_n_large, (uint64_t)objs, __ATOMIC_RELAXED);
}

void *
heap_alloc_large(size_t n)
{
	size_t total;
	if (__builtin_add_overflow(n, HDR_SIZE, &total))
		return NULL;
	size_t npages = DIV_ROUND_UP(total, PAGE_SIZE);
	uint8_t d = mm_acct_current();
	struct heap *h = heap_this_cpu();
	struct region_hdr *r = cache_take(h, npages);
	if (r) {
		/* the mapping is charged to the new owner (it still is, if the
		 * last owner was the same domain: the common case) */
		if (r->map_acct != d)
			mp_set_acct(r->mp, d);
		r->magic = LARGE_MAGIC;
	} else {
		r = heap_region_new(npages, LARGE_MAGIC, h);
	}
	if (!r)
		return NULL;
	r->map_acct = d;
	r->size = n;
	r->acct = d; /* the region's mapping is charged to it too */
	mm_acct_charge(r->acct, ACCT_HEAP_BYTES, (int64_t)n);
	mm_acct_charge(r->acct, ACCT_HEAP_OBJS, 1);
	large_count((int64_t)n, 1, true);
	return (char *)r + HDR_SIZE;
}

void
heap_free_large(struct region_hdr *r, void *p)
{
	if ((char *)p != (char *)r + HDR_SIZE) {
		log_err("kfree(%p): not the start of a large allocation", p);
		return;
	}
	mm_acct_charge(r->acct, ACCT_HEAP_BYTES, -(int64_t)r->size);
	mm_acct_charge(r->acct, ACCT_HEAP_OBJS, -1);
	large_count(-(int64_t)r->size, -1, false);
	/* a cached region's mapping stays charged to the domain that freed
	 * it (map_acct) until it is reused by another domain or released:
	 * settling releases every cached region, so counters read after a
	 * settle (mm_acct_read) are exact */
	r->acct = MM_ACCT_NONE;
	r->magic = CACHED_MAGIC; /* a second kfree is refused */
	struct region_hdr *out = cache_put(r);
	if (out)
		heap_region_drop(out);
}

/* every heap's cached large regions go back (the settle hook: memory
 * held for speed only; slabs and magazines stay, as a live system's
 * steady state needs them) */
void
heap_release_cached_large(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct heap *h = &heap_cpus[i];
		for (unsigned k = 0; k < LARGE_CACHE; k++) {
			bool irq = spin_lock_irq(&h->lock);
			struct region_hdr *r = h->cache[k];
			h->cache[k] = NULL;
			spin_unlock_irq(&h->lock, irq);
			if (r)
				heap_region_drop(r);
		}
	}
}
