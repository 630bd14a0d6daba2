/*
 * heap_int.h: the heap cell's private declarations, shared by its files:
 * heap.c (kmalloc/kfree and their fast paths, statistics), slab.c (slabs
 * and the magazines' slow paths), large.c (large regions and their
 * cache), trim.c (giving memory back). docs/memory.md, "Heap".
 */
#ifndef HEAP_INT_H
#define HEAP_INT_H

#include "base.h"
#include "cpu.h"
#include "mm_acct.h"

#define REGION_SIZE (16 * 1024UL)
#define REGION_PAGES (REGION_SIZE / PAGE_SIZE)
#define HDR_SIZE 64
#define SLAB_MAGIC  0x534c4142u /* "SLAB" */
#define LARGE_MAGIC 0x4c524745u /* "LRGE" */
#define CACHED_MAGIC 0x43414348u /* "CACH": a freed large region kept mapped */
#define MAG_BYTES (64 * 1024)   /* a CPU keeps about this many bytes free per class */
#define MAG_MIN 32              /* ... but at least this many objects */
#define MAG_RELEASE 8           /* slabs one drain may free (else it stops) */
#define LARGE_CACHE 4           /* freed large regions a heap keeps */
#define LARGE_CACHE_PAGES 64    /* ... of at most this many pages each */
#define NCLASSES 14
#define MAX_SMALL 2048
#define RECIP_SHIFT 40

struct heap;

struct free_obj {
	struct free_obj *next;
};

struct region_hdr {
	uint32_t magic;
	uint16_t cls;      /* slab: size class index */
	uint16_t nfree;    /* slab: free objects */
	struct mapped_pages *mp; /* the region's own mapping */
	struct heap *heap;
	struct free_obj *free;     /* slab */
	struct region_hdr *next, *prev; /* slab: in its class list */
	size_t size;       /* large: requested size; slab: objects per slab */
	uint16_t obj_off;  /* slab: offset of the first object (tags before it) */
	uint8_t acct;      /* large: the accounting domain charged */
	uint8_t map_acct;  /* large: the domain its mapping is charged to */
	uint32_t span;     /* slab: bytes of objects (objects x class size);
			    * large: pages mapped */
};
compile_assert(region_hdr_fits, sizeof(struct region_hdr) <= HDR_SIZE);

struct heap_class {
	struct region_hdr *partial; /* slabs with free objects, incl. empty */
	uint32_t empty;             /* fully free slabs in the list */
};

/* a CPU's free objects of one class: a list through the objects */
struct mag {
	struct free_obj *head;
	uint32_t n;
};

struct heap {
	struct spinlock lock;       /* guards cls[] */
	struct heap_class cls[NCLASSES];
	/* freed large regions, mapped, the most recently freed first; taken
	 * only by tasks, with preemption off (large.c) */
	struct spinlock large_lock;
	struct region_hdr *cache[LARGE_CACHE];
	/* heap_trim's requests in flight (atomic): while nonzero this CPU's
	 * tasks leave mag[] alone (trim.c) */
	uint32_t stolen;
	/* its CPU's, changed only by the task running there with preemption
	 * off (never by an interrupt handler), and by heap_trim under the
	 * protocol of trim.c; other CPUs read the counters (relaxed loads) */
	struct mag mag[NCLASSES];
	uint64_t allocs, frees;     /* what this CPU's fast path did */
	int64_t large;              /* large regions it allocated less those it freed */
	/* the heap bytes and objects the fast path charged to each domain on
	 * this CPU (an object freed elsewhere is debited there: only the sum
	 * over CPUs means anything); mm_acct reads them (heap_acct_source) */
	int64_t acct_bytes[MM_ACCT_MAX], acct_objs[MM_ACCT_MAX];
};

extern struct heap heap_cpus[MAX_CPUS];
extern const uint16_t heap_class_size[NCLASSES];
/* ceil(2^40 / size): an object's index is (offset * recip) >> 40, exact
 * for offsets below 2^14 (a slab) without a division */
extern uint64_t heap_class_recip[NCLASSES];
/* a class's magazine capacity: MAG_BYTES of objects, at least MAG_MIN */
extern uint16_t heap_mag_cap[NCLASSES];
/* what interrupt handlers, heap_trim's CPUs and large allocations did
 * (atomic) */
struct heap_counts {
	uint64_t bytes, objects, allocs, frees;
};
extern struct heap_counts heap_shared_counts;
/* count an allocation (alloc) or a free there */
void heap_count_shared(int64_t bytes, int64_t objs, bool alloc);

/* one %gs-relative load: this CPU's percpu field */
#define HEAP_GS_LOAD(field, out) \
	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(out) : "i"(offsetof(struct percpu, field)))

/* whether a task (not an interrupt handler) is running: only then are
 * this CPU's magazines usable */
static inline bool
heap_in_task(void)
{
	int depth;
	HEAP_GS_LOAD(irq_depth, depth);
	return depth == 0;
}

/* preemption off and on around a magazine access: no migration and no
 * other task on this CPU meanwhile. The count is not read back (the
 * task cell's preempt_enable would also yield to a pending reschedule;
 * the heap cannot call it, so a tick that lands inside takes effect at
 * the next one, as for the page-table lock) */
static inline void
heap_preempt_off(void)
{
	preempt_count_inc();
}

static inline void
heap_preempt_on(void)
{
	__asm__ volatile("decl %%gs:%c0" : : "i"(offsetof(struct percpu, preempt_count)) : "memory");
}

/* mm_acct_current's answer in a task (heap_in_task): the running task's
 * domain from this CPU's percpu slot, or MM_ACCT_NONE in a shared
 * section; the same two fields it reads, inlined */
static inline uint8_t
heap_task_domain(void)
{
	unsigned shared;
	uint8_t d;
	HEAP_GS_LOAD(acct_shared, shared);
	if (shared)
		return MM_ACCT_NONE;
	HEAP_GS_LOAD(acct, d);
	return d;
}

static inline struct heap *
heap_this_cpu(void)
{
	return &heap_cpus[cpu_id()];
}

/* a counter only its CPU changes, read by others with relaxed loads */
static inline void
heap_bump(int64_t *c, int64_t delta)
{
	__atomic_store_n(c, *c + delta, __ATOMIC_RELAXED);
}

static inline struct region_hdr *
heap_hdr_of(const void *p)
{
	return (struct region_hdr *)ALIGN_DOWN((uintptr_t)p, REGION_SIZE);
}

/* a slab's tag bytes: the accounting domain of each object */
static inline uint8_t *
heap_slab_tags(struct region_hdr *s)
{
	return (uint8_t *)s + HDR_SIZE;
}

/* the object index of p in slab s of class cls, or -1 if p is not an
 * object start (off wraps to a huge value below the first object) */
static inline long
heap_obj_index(const struct region_hdr *s, const void *p, unsigned cls)
{
	uint64_t off = (uintptr_t)p - (uintptr_t)s - s->obj_off;
	if (off >= s->span)
		return -1;
	uint64_t i = (off * heap_class_recip[cls]) >> RECIP_SHIFT;
	return i * heap_class_size[cls] == off ? (long)i : -1;
}

/* slab.c: the slow paths of kmalloc/kfree of a small size */
void *heap_alloc_slow(unsigned cls);
void heap_free_slow(struct region_hdr *s, void *p, unsigned cls, uint8_t d);
/* give up to MAG_RELEASE slabs' worth of m's objects beyond keep back to
 * their slabs; the slabs left to drop are put in out[], their number
 * returned (drop them with heap_slab_release, outside the magazine) */
size_t heap_mag_drain(struct mag *m, uint32_t keep, struct region_hdr **out);
void heap_slab_release(struct region_hdr *s);
/* every fully free slab of every heap back to the page and frame
 * allocators */
void heap_release_empty_slabs(void);

/* large.c */
void *heap_alloc_large(size_t n);
void heap_free_large(struct region_hdr *r, void *p);
void heap_release_cached_large(void);
struct region_hdr *heap_region_new(size_t npages, uint32_t magic, struct heap *h);
void heap_region_drop(struct region_hdr *r);
extern uint64_t heap_n_slabs, heap_n_large, heap_n_mapped; /* atomic */

#endif
