/*
 * heap.c: kmalloc and kfree. A small request (up to 2048 bytes) is served
 * by its size class from this CPU's magazine, a list of free objects
 * through the objects themselves, with preemption off and no lock, no
 * atomic instruction and interrupts left on; the slow paths (slab.c)
 * refill and drain magazines under the slabs' locks. Large requests map
 * regions (large.c). Every region is 16 KiB-aligned with its header at
 * the start, so kfree finds the owner by masking the pointer. Each object
 * carries its accounting domain in a tag byte of its slab (mm_acct).
 * docs/memory.md, "Heap".
 */
#define LOG_TAG "heap"
#include "cell_mgr.h"
#include "heap.h"
#include "heap_int.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "mm_acct.h"
#include "page_table.h"

struct heap heap_cpus[MAX_CPUS];
const uint16_t heap_class_size[NCLASSES] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};
uint64_t heap_class_recip[NCLASSES];
uint16_t heap_mag_cap[NCLASSES];
struct heap_counts heap_shared_counts;
/* class_of_16[(n + 15) / 16]: the class of a request of n bytes */
static uint8_t class_of_16[MAX_SMALL / 16 + 1];

/*
 * The fast paths. Only the task running on this CPU uses its magazines,
 * with preemption off (so it is neither moved nor interleaved with another
 * task); an interrupt handler never does (it goes to the slabs), so the
 * magazine needs no lock and interrupts stay on. heap_trim, from another
 * CPU, first makes the CPU see `stolen` (trim.c). A magazine that is
 * empty (alloc) or full (free), or stolen, sends the request to the slow
 * path. The domain's heap bytes and objects go to this CPU's counters.
 */
static inline __attribute__((always_inline)) void *
alloc_fast(unsigned cls)
{
	if (unlikely(!heap_in_task()))
		return NULL;
	heap_preempt_off();
	struct heap *h = heap_this_cpu();
	struct mag *m = &h->mag[cls];
	/* stolen before the magazine: a trim that ended just now has
	 * changed it (trim.c) */
	struct free_obj *o;
	if (unlikely(__atomic_load_n(&h->stolen, __ATOMIC_ACQUIRE) || !(o = m->head))) {
		heap_preempt_on();
		return NULL;
	}
	m->head = o->next;
	m->n--;
	uint8_t d = heap_task_domain();
	__atomic_store_n(&h->allocs, h->allocs + 1, __ATOMIC_RELAXED);
	heap_bump(&h->acct_bytes[d], heap_class_size[cls]);
	heap_bump(&h->acct_objs[d], 1);
	heap_preempt_on();
	/* the object is ours: its tag byte is written by no one else */
	struct region_hdr *s = heap_hdr_of(o);
	uint64_t off = (uintptr_t)o - (uintptr_t)s - s->obj_off;
	heap_slab_tags(s)[(off * heap_class_recip[cls]) >> RECIP_SHIFT] = d;
	return o;
}

static inline __attribute__((always_inline)) bool
free_fast(void *p, unsigned cls, uint8_t d)
{
	if (unlikely(!heap_in_task()))
		return false;
	heap_preempt_off();
	struct heap *h = heap_this_cpu();
	struct mag *m = &h->mag[cls];
	if (unlikely(__atomic_load_n(&h->stolen, __ATOMIC_ACQUIRE) || m->n >= heap_mag_cap[cls])) {
		heap_preempt_on();
		return false;
	}
	struct free_obj *f = p;
	f->next = m->head;
	m->head = f;
	m->n++;
	__atomic_store_n(&h->frees, h->frees + 1, __ATOMIC_RELAXED);
	heap_bump(&h->acct_bytes[d], -(int64_t)heap_class_size[cls]);
	heap_bump(&h->acct_objs[d], -1);
	heap_preempt_on();
	return true;
}

/*
 * kmalloc and kzalloc both go through this unannotated worker: gcc 12's
 * -fanalyzer mis-models a call to a malloc(kfree)-annotated function whose
 * body is in the same file (it tracks the result as a fresh allocation and
 * also walks the body, then reports the body's result as leaked), so
 * nothing in this file calls kmalloc itself.
 */
static inline __attribute__((always_inline)) void *
heap_alloc(size_t n)
{
	if (unlikely(n > MAX_SMALL))
		return heap_alloc_large(n);
	unsigned cls = class_of_16[(n + 15) / 16]; /* n = 0: the smallest class */
	void *o = alloc_fast(cls);
	return likely(o) ? o : heap_alloc_slow(cls);
}

void *
kmalloc(size_t n)
{
	return heap_alloc(n);
}

void *
kzalloc(size_t n)
{
	void *p = heap_alloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void
kfree(void *p)
{
	if (!p)
		return;
	/* every heap region lives in the ANY zone; anything else is a bug */
	if (unlikely((uint64_t)(uintptr_t)p < ZONE_ANY_START || (uint64_t)(uintptr_t)p >= ZONE_ANY_END)) {
		log_err("kfree(%p): not a heap pointer", p);
		return;
	}
	struct region_hdr *s = heap_hdr_of(p);
	if (likely(s->magic == SLAB_MAGIC)) {
		unsigned cls = s->cls;
		long i = heap_obj_index(s, p, cls);
		if (unlikely(i < 0)) {
			log_err("kfree(%p): not an object start in its slab", p);
			return;
		}
		/* read the tag before the object is free: then the slab may go */
		uint8_t d = heap_slab_tags(s)[i];
		if (!free_fast(p, cls, d))
			heap_free_slow(s, p, cls, d);
	} else if (s->magic == LARGE_MAGIC) {
		heap_free_large(s, p);
	} else {
		log_err("kfree(%p): not a heap pointer (double free?)", p);
	}
}

size_t
kmalloc_usable_size(const void *p)
{
	const struct region_hdr *r = heap_hdr_of(p);
	return r->magic == SLAB_MAGIC ? heap_class_size[r->cls] : r->size;
}

void
heap_count_shared(int64_t bytes, int64_t objs, bool alloc)
{
	struct heap_counts *c = &heap_shared_counts;
	__atomic_add_fetch(&c->bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->objects, (uint64_t)objs, __ATOMIC_RELAXED);
	__atomic_add_fetch(alloc ? &c->allocs : &c->frees, 1, __ATOMIC_RELAXED);
}

/* mm_acct's source: every CPU's fast-path charges to d */
static void
heap_acct_source(uint8_t d, int64_t out[ACCT_KINDS])
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		out[ACCT_HEAP_BYTES] += __atomic_load_n(&heap_cpus[i].acct_bytes[d], __ATOMIC_RELAXED);
		out[ACCT_HEAP_OBJS] += __atomic_load_n(&heap_cpus[i].acct_objs[d], __ATOMIC_RELAXED);
	}
}

void
heap_init(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		heap_cpus[i].lock = (struct spinlock)SPINLOCK_INIT;
		heap_cpus[i].large_lock = (struct spinlock)SPINLOCK_INIT;
	}
	unsigned c = 0;
	for (unsigned k = 0; k <= MAX_SMALL / 16; k++) {
		while (heap_class_size[c] < k * 16)
			c++;
		class_of_16[k] = (uint8_t)c;
	}
	for (unsigned i = 0; i < NCLASSES; i++) {
		heap_class_recip[i] = ((1ULL << RECIP_SHIFT) + heap_class_size[i] - 1) / heap_class_size[i];
		unsigned cap = MAG_BYTES / heap_class_size[i];
		heap_mag_cap[i] = (uint16_t)(cap < MAG_MIN ? MAG_MIN : cap);
	}
	/* cached large regions go back before counters are read */
	if (mm_acct_add_settle_hook(heap_release_cached_large))
		log_err("no room for the heap's settle hook");
	if (mm_acct_add_source(heap_acct_source))
		log_err("no room for the heap's accounting source");
}

/* the fast paths count per CPU and per domain (the sum over domains is
 * this CPU's share of the bytes and objects in use) */
void
heap_stats(struct heap_stats *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		const struct heap *h = &heap_cpus[i];
		for (unsigned d = 0; d < MM_ACCT_MAX; d++) {
			o->bytes_in_use += (uint64_t)__atomic_load_n(&h->acct_bytes[d], __ATOMIC_RELAXED);
			o->objects += (uint64_t)__atomic_load_n(&h->acct_objs[d], __ATOMIC_RELAXED);
		}
		for (unsigned c = 0; c < NCLASSES; c++)
			o->mag_bytes += (uint64_t)__atomic_load_n(&h->mag[c].n, __ATOMIC_RELAXED) * heap_class_size[c];
		o->large += (uint64_t)__atomic_load_n(&h->large, __ATOMIC_RELAXED);
		o->allocs += __atomic_load_n(&h->allocs, __ATOMIC_RELAXED);
		o->frees += __atomic_load_n(&h->frees, __ATOMIC_RELAXED);
	}
	const struct heap_counts *s = &heap_shared_counts;
	o->bytes_in_use += __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	o->objects += __atomic_load_n(&s->objects, __ATOMIC_RELAXED);
	o->allocs += __atomic_load_n(&s->allocs, __ATOMIC_RELAXED);
	o->frees += __atomic_load_n(&s->frees, __ATOMIC_RELAXED);
	o->slabs = __atomic_load_n(&heap_n_slabs, __ATOMIC_RELAXED);
	o->large += __atomic_load_n(&heap_n_large, __ATOMIC_RELAXED);
	o->mapped_bytes = __atomic_load_n(&heap_n_mapped, __ATOMIC_RELAXED);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(kmalloc);
EXPORT_APP(kzalloc);
EXPORT_APP(kfree);
EXPORT_APP(heap_stats);
EXPORT_APP(heap_trim);
