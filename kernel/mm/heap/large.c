/*
 * large.c: requests above 2048 bytes map a region of their own (header
 * at its start, 16 KiB-aligned); each heap keeps up to LARGE_CACHE freed
 * regions of at most LARGE_CACHE_PAGES pages still mapped, the most
 * recently freed first, so an allocation of the same page count takes
 * one back instead of mapping. A region's mapping and its header's tag
 * are charged to the allocating domain. Tasks count in their CPU's
 * counters (as the small fast path), interrupt handlers in the shared
 * atomic ones.
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

/* a cached region of exactly npages from this CPU's cache, or NULL (a
 * task, preemption off). The lock is raw and taken with interrupts on:
 * interrupt handlers never take it, its holders have preemption off, and
 * nothing under it can fault (it moves pointers). */
static struct region_hdr *
cache_take(struct heap *h, size_t npages)
{
	struct region_hdr *r = NULL;
	spin_lock_raw(&h->large_lock);
	for (unsigned i = 0; i < LARGE_CACHE && !r; i++)
		if (h->cache[i] && h->cache[i]->span == npages) {
			r = h->cache[i];
			/* close the gap: the cache stays in order of freeing */
			for (unsigned k = i; k + 1 < LARGE_CACHE; k++)
				h->cache[k] = h->cache[k + 1];
			h->cache[LARGE_CACHE - 1] = NULL;
		}
	spin_unlock_raw(&h->large_lock);
	return r;
}

/* keep r mapped in this CPU's cache (a task, preemption off), the most
 * recently freed first; what the caller must drop is returned: r if it
 * is too large, else the least recently freed region if the cache was
 * full (so sizes in use now replace sizes used once) */
static struct region_hdr *
cache_put(struct heap *h, struct region_hdr *r)
{
	if (r->span > LARGE_CACHE_PAGES)
		return r;
	r->heap = h;
	spin_lock_raw(&h->large_lock);
	struct region_hdr *out = h->cache[LARGE_CACHE - 1];
	for (unsigned i = LARGE_CACHE - 1; i > 0; i--)
		h->cache[i] = h->cache[i - 1];
	h->cache[0] = r;
	spin_unlock_raw(&h->large_lock);
	return out;
}

/* count a large allocation (n > 0) or free (n < 0) charged to domain d:
 * in a task on this CPU's counters with preemption off (held by the
 * caller), in an interrupt handler in the shared atomic ones */
static void
large_count(struct heap *h, uint8_t d, int64_t n)
{
	int64_t one = n > 0 ? 1 : -1;
	if (h) {
		heap_bump(&h->acct_bytes[d], n);
		heap_bump(&h->acct_objs[d], one);
		heap_bump(&h->large, one);
		if (n > 0)
			__atomic_store_n(&h->allocs, h->allocs + 1, __ATOMIC_RELAXED);
		else
			__atomic_store_n(&h->frees, h->frees + 1, __ATOMIC_RELAXED);
		return;
	}
	mm_acct_charge(d, ACCT_HEAP_BYTES, n);
	mm_acct_charge(d, ACCT_HEAP_OBJS, one);
	heap_count_shared(n, one, n > 0);
	__atomic_add_fetch(&heap_n_large, (uint64_t)one, __ATOMIC_RELAXED);
}

/*
 * A task takes a region of the same page count from its CPU's cache if
 * there is one, else maps one; an interrupt handler always maps (it
 * cannot take the cache's lock: a task on its CPU may hold it).
 */
void *
heap_alloc_large(size_t n)
{
	size_t total;
	if (__builtin_add_overflow(n, HDR_SIZE, &total))
		return NULL;
	size_t npages = DIV_ROUND_UP(total, PAGE_SIZE);
	bool task = heap_in_task();
	uint8_t d = task ? heap_task_domain() : MM_ACCT_NONE;
	struct region_hdr *r = NULL;
	if (task) {
		heap_preempt_off();
		struct heap *h = heap_this_cpu();
		r = cache_take(h, npages);
		if (r) {
			r->magic = LARGE_MAGIC;
			r->size = n;
			r->acct = d;
			large_count(h, d, (int64_t)n);
		}
		heap_preempt_on();
		if (r) {
			/* the mapping is charged to the new owner (it still is,
			 * if the last owner was the same domain: the common case) */
			if (r->map_acct != d) {
				mp_set_acct(r->mp, d);
				r->map_acct = d;
			}
			return (char *)r + HDR_SIZE;
		}
	}
	r = heap_region_new(npages, LARGE_MAGIC, heap_this_cpu());
	if (!r)
		return NULL;
	r->span = (uint32_t)npages;
	r->map_acct = d;
	r->size = n;
	r->acct = d; /* the region's mapping is charged to it too */
	if (task) {
		heap_preempt_off();
		large_count(heap_this_cpu(), d, (int64_t)n);
		heap_preempt_on();
	} else {
		large_count(NULL, d, (int64_t)n);
	}
	return (char *)r + HDR_SIZE;
}

void
heap_free_large(struct region_hdr *r, void *p)
{
	if ((char *)p != (char *)r + HDR_SIZE) {
		log_err("kfree(%p): not the start of a large allocation", p);
		return;
	}
	uint8_t d = r->acct;
	int64_t n = (int64_t)r->size;
	/* a cached region's mapping stays charged to the domain that freed
	 * it (map_acct) until it is reused by another domain or released:
	 * settling releases every cached region, so counters read after a
	 * settle (mm_acct_read) are exact */
	r->acct = MM_ACCT_NONE;
	r->magic = CACHED_MAGIC; /* a second kfree is refused */
	struct region_hdr *out = r;
	if (heap_in_task()) {
		heap_preempt_off();
		struct heap *h = heap_this_cpu();
		large_count(h, d, -n);
		out = cache_put(h, r);
		heap_preempt_on();
	} else {
		large_count(NULL, d, -n);
	}
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
			heap_preempt_off();
			spin_lock_raw(&h->large_lock);
			struct region_hdr *r = h->cache[k];
			h->cache[k] = NULL;
			spin_unlock_raw(&h->large_lock);
			heap_preempt_on();
			if (r)
				heap_region_drop(r);
		}
	}
}
