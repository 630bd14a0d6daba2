/*
 * heap.c: slab allocator. A slab is a 16 KiB MappedPages; its header at
 * the start holds the owning MappedPages itself, so freeing the last
 * object can drop the slab without any outside table. After the header a
 * slab has one tag byte per object (the accounting domain the object is
 * charged to, mm_acct), then the objects. A slab is shared by every
 * domain, so its own mapping is charged to none; a large region's mapping
 * and its header's tag are charged to the allocating domain.
 */
#define LOG_TAG "heap"
#include "cell_mgr.h"
#include "heap.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "mm_acct.h"
#include "page_table.h"

#define REGION_SIZE (16 * 1024UL)
#define REGION_PAGES (REGION_SIZE / PAGE_SIZE)
#define HDR_SIZE 64
#define SLAB_MAGIC  0x534c4142u /* "SLAB" */
#define LARGE_MAGIC 0x4c524745u /* "LRGE" */
#define CACHED_MAGIC 0x43414348u /* "CACH": a freed large region kept mapped */
#define MAG_SIZE 128            /* free objects a CPU keeps per class, at most */
#define MAG_BYTES (32 * 1024)   /* ... and of at most about this many bytes */
#define MAG_MIN 32
#define MAG_RELEASE 8           /* slabs one drain may free (else it stops) */
#define LARGE_CACHE 4           /* freed large regions a heap keeps */
#define LARGE_CACHE_PAGES 64    /* ... of at most this many pages each */

static const uint16_t class_sizes[] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};
#define NCLASSES ARRAY_SIZE(class_sizes)
#define MAX_SMALL 2048
#define RECIP_SHIFT 40
/* class_of_16[(n + 15) / 16]: the class of a request of n bytes */
static uint8_t class_of_16[MAX_SMALL / 16 + 1];
/* ceil(2^40 / size): an object's index is (offset * recip) >> 40, exact
 * for offsets below 2^14 (a slab) without a division */
static uint64_t class_recip[NCLASSES];
/* a class's magazine capacity: MAG_BYTES of objects, MAG_MIN..MAG_SIZE */
static uint16_t mag_cap[NCLASSES];

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
};
compile_assert(region_hdr_fits, sizeof(struct region_hdr) <= HDR_SIZE);

struct heap_class {
	struct region_hdr *partial; /* slabs with free objects, incl. empty */
	uint32_t empty;             /* fully free slabs in the list */
};

/* a CPU's free objects of one class, taken and given without a lock */
struct mag {
	uint32_t n;
	void *obj[MAG_SIZE];
};

struct heap {
	struct spinlock lock;       /* guards cls[] and cache[] */
	struct heap_class cls[NCLASSES];
	struct region_hdr *cache[LARGE_CACHE]; /* freed large regions, mapped */
	/* its CPU's, changed with interrupts off by whoever holds busy */
	bool busy;
	struct mag mag[NCLASSES];
	uint64_t bytes, objects, allocs, frees; /* what this CPU did (sums wrap right) */
	/* the heap bytes and objects the fast path charged to each domain on
	 * this CPU (an object freed elsewhere is debited there: only the sum
	 * over CPUs means anything); mm_acct reads them (heap_acct_source) */
	int64_t acct_bytes[MM_ACCT_MAX], acct_objs[MM_ACCT_MAX];
};

static struct heap heaps[MAX_CPUS];
/* rare events, any CPU (atomic) */
static uint64_t n_slabs, n_large, n_mapped;
/* what interrupt handlers and large allocations did (atomic) */
static struct {
	uint64_t bytes, objects, allocs, frees;
} irq_counts;

/* charge domain d on h (its busy flag held): plain stores, read by
 * other CPUs with relaxed loads */
static void
acct_add(struct heap *h, uint8_t d, int64_t bytes, int64_t objs)
{
	__atomic_store_n(&h->acct_bytes[d], h->acct_bytes[d] + bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&h->acct_objs[d], h->acct_objs[d] + objs, __ATOMIC_RELAXED);
}

/* mm_acct's source: every CPU's fast-path charges to d */
static void
heap_acct_source(uint8_t d, int64_t out[ACCT_KINDS])
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		out[ACCT_HEAP_BYTES] += __atomic_load_n(&heaps[i].acct_bytes[d], __ATOMIC_RELAXED);
		out[ACCT_HEAP_OBJS] += __atomic_load_n(&heaps[i].acct_objs[d], __ATOMIC_RELAXED);
	}
}

static int
class_of(size_t n)
{
	return n <= MAX_SMALL ? class_of_16[(n + 15) / 16] : -1;
}

static struct region_hdr *
hdr_of(const void *p)
{
	return (struct region_hdr *)ALIGN_DOWN((uintptr_t)p, REGION_SIZE);
}

/* map a 16 KiB-aligned region of npages, header initialized */
static struct region_hdr *
region_new(size_t npages, uint32_t magic, struct heap *h)
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
	__atomic_add_fetch(&n_mapped, npages * PAGE_SIZE, __ATOMIC_RELAXED);
	return r;
}

/* a slab's tag bytes: the accounting domain of each object */
static uint8_t *
slab_tags(struct region_hdr *s)
{
	return (uint8_t *)s + HDR_SIZE;
}

static void
region_drop(struct region_hdr *r)
{
	struct mapped_pages *mp = r->mp;
	__atomic_sub_fetch(&n_mapped, mp_size(mp), __ATOMIC_RELAXED);
	r->magic = 0;
	mp_drop(mp);
}

static void
list_remove(struct heap_class *c, struct region_hdr *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void
list_push(struct heap_class *c, struct region_hdr *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
}

static struct region_hdr *
slab_new(struct heap *h, int cls)
{
	struct region_hdr *s = region_new(REGION_PAGES, SLAB_MAGIC, h);
	if (!s)
		return NULL;
	/* shared by all domains: charged to none (mm_acct) */
	mp_set_acct(s->mp, MM_ACCT_NONE);
	size_t osz = class_sizes[cls];
	/* n tag bytes, rounded up to 16, then n objects */
	size_t n = (REGION_SIZE - HDR_SIZE) / (osz + 1);
	while (HDR_SIZE + ALIGN_UP(n, 16) + n * osz > REGION_SIZE)
		n--;
	s->cls = (uint16_t)cls;
	s->size = n;
	s->nfree = (uint16_t)n;
	s->obj_off = (uint16_t)(HDR_SIZE + ALIGN_UP(n, 16));
	s->free = NULL;
	for (size_t i = n; i-- > 0;) {
		struct free_obj *o = (struct free_obj *)((uintptr_t)s + s->obj_off + i * osz);
		o->next = s->free;
		s->free = o;
	}
	__atomic_add_fetch(&n_slabs, 1, __ATOMIC_RELAXED);
	return s;
}

/* the object index of p in slab s, or -1 if p is not an object start */
static long
obj_index(const struct region_hdr *s, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)s;
	if (off < s->obj_off || off >= REGION_SIZE)
		return -1;
	off -= s->obj_off;
	uint64_t i = ((uint64_t)off * class_recip[s->cls]) >> RECIP_SHIFT;
	return i * class_sizes[s->cls] == off && i < s->size ? (long)i : -1;
}

/* fill m from h's slabs of class cls (interrupts off); false if h has no
 * free object of that class */
static bool
refill(struct heap *h, int cls, struct mag *m)
{
	struct heap_class *c = &h->cls[cls];
	bool irq = spin_lock_irq(&h->lock);
	struct region_hdr *s = c->partial;
	uint32_t want = mag_cap[cls] / 2;
	while (s && m->n < want) {
		if (s->nfree == s->size)
			c->empty--;
		while (s->free && m->n < want) {
			m->obj[m->n++] = s->free;
			s->free = s->free->next;
			s->nfree--;
		}
		struct region_hdr *next = s->next;
		if (s->nfree == 0)
			list_remove(c, s);
		s = next;
	}
	spin_unlock_irq(&h->lock, irq);
	return m->n > 0;
}

/* give object o back to its slab, under its heap's lock; a slab left
 * empty beyond the one per class each heap keeps is returned for the
 * caller to drop */
static struct region_hdr *
slab_put_locked(void *o)
{
	struct region_hdr *s = hdr_of(o);
	struct heap_class *c = &s->heap->cls[s->cls];
	struct region_hdr *release = NULL;
	if (s->nfree == 0)
		list_push(c, s);
	struct free_obj *f = o;
	f->next = s->free;
	s->free = f;
	s->nfree++;
	if (s->nfree == s->size) {
		/* keep one empty slab per class to absorb alloc/free churn */
		if (c->empty >= 1) {
			list_remove(c, s);
			release = s;
		} else {
			c->empty++;
		}
	}
	return release;
}

static struct region_hdr *
slab_put(void *o)
{
	struct heap *h = hdr_of(o)->heap;
	bool irq = spin_lock_irq(&h->lock);
	struct region_hdr *release = slab_put_locked(o);
	spin_unlock_irq(&h->lock, irq);
	return release;
}

static void
slab_release(struct region_hdr *s)
{
	__atomic_sub_fetch(&n_slabs, 1, __ATOMIC_RELAXED);
	region_drop(s);
}

/* the objects of m beyond keep go back to their slabs (interrupts off),
 * one lock taken per run of objects of the same heap (mostly one run);
 * slabs to drop afterwards (interrupts on) are put in out[] - when
 * MAG_RELEASE are, it stops (having given back at least as many objects) */
static size_t
mag_drain(struct mag *m, uint32_t keep, struct region_hdr **out)
{
	size_t n = 0;
	struct heap *locked = NULL;
	bool irq = false;
	while (m->n > keep && n < MAG_RELEASE) {
		void *o = m->obj[--m->n];
		struct heap *h = hdr_of(o)->heap;
		if (h != locked) {
			if (locked)
				spin_unlock_irq(&locked->lock, irq);
			irq = spin_lock_irq(&h->lock);
			locked = h;
		}
		struct region_hdr *r = slab_put_locked(o);
		if (r)
			out[n++] = r;
	}
	if (locked)
		spin_unlock_irq(&locked->lock, irq);
	return n;
}

/* the right to use h's magazines (and its per-CPU counters): their own
 * CPU takes it on the fast path; heap_trim takes it from any CPU to empty
 * them. Whoever finds it taken goes to the slabs under their lock. */
static bool
magazine_take(struct heap *h)
{
	return !__atomic_exchange_n(&h->busy, true, __ATOMIC_ACQUIRE);
}

static void
magazine_give(struct heap *h)
{
	__atomic_store_n(&h->busy, false, __ATOMIC_RELEASE);
}

/* one object of class cls straight from h's slabs, or NULL */
static void *
slab_take(struct heap *h, int cls)
{
	struct heap_class *c = &h->cls[cls];
	bool irq = spin_lock_irq(&h->lock);
	struct region_hdr *s = c->partial;
	struct free_obj *o = NULL;
	if (s) {
		if (s->nfree == s->size)
			c->empty--;
		o = s->free;
		s->free = o->next;
		if (--s->nfree == 0)
			list_remove(c, s);
	}
	spin_unlock_irq(&h->lock, irq);
	return o;
}

/*
 * The fast path takes and gives objects through this CPU's magazine with
 * interrupts off and no lock but the heap's `busy` flag (one atomic
 * exchange). Who finds it taken - any CPU while heap_trim empties this
 * one's magazines - goes to the slabs under their lock instead and counts
 * in the shared atomic counters. (Interrupts off rather than preemption:
 * a CPU asked to park for a swap (smp_stop_others) then takes the request
 * when it leaves the fast path; with preemption off it would take it
 * inside, refuse, and an allocation-heavy task could keep it refusing.)
 */
static void *
alloc_small(int cls)
{
	uint8_t d = mm_acct_current();
	for (;;) {
		bool irq = irq_save();
		struct heap *h = &heaps[cpu_id()];
		void *o = NULL;
		if (magazine_take(h)) {
			struct mag *m = &h->mag[cls];
			if (m->n || refill(h, cls, m)) {
				o = m->obj[--m->n];
				h->bytes += class_sizes[cls];
				h->objects++;
				h->allocs++;
				acct_add(h, d, class_sizes[cls], 1);
			}
			magazine_give(h);
		} else if ((o = slab_take(h, cls))) {
			__atomic_add_fetch(&irq_counts.bytes, class_sizes[cls], __ATOMIC_RELAXED);
			__atomic_add_fetch(&irq_counts.objects, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&irq_counts.allocs, 1, __ATOMIC_RELAXED);
			mm_acct_charge(d, ACCT_HEAP_BYTES, class_sizes[cls]);
			mm_acct_charge(d, ACCT_HEAP_OBJS, 1);
		}
		irq_restore(irq);
		if (o) {
			struct region_hdr *s = hdr_of(o);
			slab_tags(s)[obj_index(s, o)] = d;
			return o;
		}
		/* map outside any lock: the page-table path takes other locks;
		 * the slab goes to the heap it names */
		struct region_hdr *s = slab_new(h, cls);
		if (!s)
			return NULL;
		irq = spin_lock_irq(&h->lock);
		list_push(&h->cls[cls], s);
		h->cls[cls].empty++;
		spin_unlock_irq(&h->lock, irq);
	}
}

static void
free_small(struct region_hdr *s, void *p)
{
	long i = obj_index(s, p);
	if (i < 0) {
		log_err("kfree(%p): not an object start in its slab", p);
		return;
	}
	size_t osz = class_sizes[s->cls];
	/* read the tag before the object is free: then the slab may go */
	uint8_t d = slab_tags(s)[i];
	struct region_hdr *release[MAG_RELEASE];
	size_t nrel = 0;
	bool irq = irq_save();
	struct heap *h = &heaps[cpu_id()];
	if (magazine_take(h)) {
		struct mag *m = &h->mag[s->cls];
		if (m->n >= mag_cap[s->cls])
			nrel = mag_drain(m, mag_cap[s->cls] / 2, release);
		m->obj[m->n++] = p;
		h->bytes -= osz;
		h->objects--;
		h->frees++;
		acct_add(h, d, -(int64_t)osz, -1);
		magazine_give(h);
	} else {
		mm_acct_charge(d, ACCT_HEAP_BYTES, -(int64_t)osz);
		mm_acct_charge(d, ACCT_HEAP_OBJS, -1);
		if ((release[0] = slab_put(p)))
			nrel = 1;
		__atomic_sub_fetch(&irq_counts.bytes, osz, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&irq_counts.objects, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&irq_counts.frees, 1, __ATOMIC_RELAXED);
	}
	irq_restore(irq);
	for (size_t k = 0; k < nrel; k++)
		slab_release(release[k]);
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

static void *
alloc_large(struct heap *h, size_t n)
{
	size_t total;
	if (__builtin_add_overflow(n, HDR_SIZE, &total))
		return NULL;
	size_t npages = DIV_ROUND_UP(total, PAGE_SIZE);
	uint8_t d = mm_acct_current();
	struct region_hdr *r = cache_take(h, npages);
	if (r) {
		/* the mapping is charged to the new owner (it still is, if the
		 * last owner was the same domain: the common case) */
		if (r->map_acct != d)
			mp_set_acct(r->mp, d);
		r->magic = LARGE_MAGIC;
	} else {
		r = region_new(npages, LARGE_MAGIC, h);
	}
	if (!r)
		return NULL;
	r->map_acct = d;
	r->size = n;
	r->acct = d; /* the region's mapping is charged to it too */
	mm_acct_charge(r->acct, ACCT_HEAP_BYTES, (int64_t)n);
	mm_acct_charge(r->acct, ACCT_HEAP_OBJS, 1);
	__atomic_add_fetch(&n_large, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&irq_counts.objects, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&irq_counts.allocs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&irq_counts.bytes, n, __ATOMIC_RELAXED);
	return (char *)r + HDR_SIZE;
}

static void
free_large(struct region_hdr *r, void *p)
{
	if ((char *)p != (char *)r + HDR_SIZE) {
		log_err("kfree(%p): not the start of a large allocation", p);
		return;
	}
	mm_acct_charge(r->acct, ACCT_HEAP_BYTES, -(int64_t)r->size);
	mm_acct_charge(r->acct, ACCT_HEAP_OBJS, -1);
	__atomic_sub_fetch(&n_large, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&irq_counts.objects, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&irq_counts.frees, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&irq_counts.bytes, r->size, __ATOMIC_RELAXED);
	/* a cached region's mapping stays charged to the domain that freed
	 * it (map_acct) until it is reused by another domain or released:
	 * settling releases every cached region, so counters read after a
	 * settle (mm_acct_read) are exact */
	r->acct = MM_ACCT_NONE;
	r->magic = CACHED_MAGIC; /* a second kfree is refused */
	struct region_hdr *out = cache_put(r);
	if (out)
		region_drop(out);
}

/*
 * kmalloc and kzalloc both go through this unannotated worker: gcc 12's
 * -fanalyzer mis-models a call to a malloc(kfree)-annotated function whose
 * body is in the same file (it tracks the result as a fresh allocation and
 * also walks the body, then reports the body's result as leaked), so
 * nothing in this file calls kmalloc itself.
 */
static void *
heap_alloc(size_t n)
{
	if (n == 0)
		n = 1;
	int cls = class_of(n);
	return cls >= 0 ? alloc_small(cls) : alloc_large(&heaps[cpu_id()], n);
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
	if ((uint64_t)(uintptr_t)p < ZONE_ANY_START || (uint64_t)(uintptr_t)p >= ZONE_ANY_END) {
		log_err("kfree(%p): not a heap pointer", p);
		return;
	}
	struct region_hdr *r = hdr_of(p);
	if (r->magic == SLAB_MAGIC)
		free_small(r, p);
	else if (r->magic == LARGE_MAGIC)
		free_large(r, p);
	else
		log_err("kfree(%p): not a heap pointer (double free?)", p);
}

size_t
kmalloc_usable_size(const void *p)
{
	const struct region_hdr *r = hdr_of(p);
	return r->magic == SLAB_MAGIC ? class_sizes[r->cls] : r->size;
}

static void release_cached_large(void);

void
heap_init(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		heaps[i].lock = (struct spinlock)SPINLOCK_INIT;
	unsigned c = 0;
	for (unsigned k = 0; k <= MAX_SMALL / 16; k++) {
		while (class_sizes[c] < k * 16)
			c++;
		class_of_16[k] = (uint8_t)c;
	}
	for (unsigned i = 0; i < NCLASSES; i++) {
		class_recip[i] = ((1ULL << RECIP_SHIFT) + class_sizes[i] - 1) / class_sizes[i];
		unsigned cap = MAG_BYTES / class_sizes[i];
		mag_cap[i] = (uint16_t)(cap < MAG_MIN ? MAG_MIN : cap > MAG_SIZE ? MAG_SIZE : cap);
	}
	/* cached large regions go back before counters are read */
	if (mm_acct_add_settle_hook(release_cached_large))
		log_err("no room for the heap's settle hook");
	if (mm_acct_add_source(heap_acct_source))
		log_err("no room for the heap's accounting source");
}

/* every heap's cached large regions go back (the settle hook: memory
 * held for speed only; slabs and magazines stay, as a live system's
 * steady state needs them) */
static void
release_cached_large(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct heap *h = &heaps[i];
		for (unsigned k = 0; k < LARGE_CACHE; k++) {
			bool irq = spin_lock_irq(&h->lock);
			struct region_hdr *r = h->cache[k];
			h->cache[k] = NULL;
			spin_unlock_irq(&h->lock, irq);
			if (r)
				region_drop(r);
		}
	}
}

void
heap_trim(void)
{
	/* every CPU's free objects go back to their slabs (a magazine in use
	 * right now is passed over: its CPU is allocating from it) */
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		for (unsigned c = 0; c < NCLASSES; c++) {
			struct region_hdr *rel[MAG_RELEASE];
			size_t n;
			struct heap *h = &heaps[i];
			do {
				n = 0;
				bool irq = irq_save();
				if (magazine_take(h)) {
					n = mag_drain(&h->mag[c], 0, rel);
					magazine_give(h);
				}
				irq_restore(irq);
				for (size_t k = 0; k < n; k++)
					slab_release(rel[k]);
			} while (n == MAG_RELEASE);
		}
	}
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct heap *h = &heaps[i];
		for (unsigned c = 0; c < NCLASSES; c++) {
			for (;;) {
				struct region_hdr *victim = NULL;
				bool irq = spin_lock_irq(&h->lock);
				for (struct region_hdr *s = h->cls[c].partial; s; s = s->next) {
					if (s->nfree == s->size) {
						victim = s;
						list_remove(&h->cls[c], s);
						h->cls[c].empty--;
						break;
					}
				}
				spin_unlock_irq(&h->lock, irq);
				if (!victim)
					break;
				slab_release(victim);
			}
		}
	}
	release_cached_large();
}

void
heap_stats(struct heap_stats *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		const struct heap *h = &heaps[i];
		o->bytes_in_use += __atomic_load_n(&h->bytes, __ATOMIC_RELAXED);
		o->objects += __atomic_load_n(&h->objects, __ATOMIC_RELAXED);
		o->allocs += __atomic_load_n(&h->allocs, __ATOMIC_RELAXED);
		o->frees += __atomic_load_n(&h->frees, __ATOMIC_RELAXED);
	}
	o->bytes_in_use += __atomic_load_n(&irq_counts.bytes, __ATOMIC_RELAXED);
	o->objects += __atomic_load_n(&irq_counts.objects, __ATOMIC_RELAXED);
	o->allocs += __atomic_load_n(&irq_counts.allocs, __ATOMIC_RELAXED);
	o->frees += __atomic_load_n(&irq_counts.frees, __ATOMIC_RELAXED);
	o->slabs = __atomic_load_n(&n_slabs, __ATOMIC_RELAXED);
	o->large = __atomic_load_n(&n_large, __ATOMIC_RELAXED);
	o->mapped_bytes = __atomic_load_n(&n_mapped, __ATOMIC_RELAXED);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(kmalloc);
EXPORT_APP(kzalloc);
EXPORT_APP(kfree);
EXPORT_APP(heap_stats);
EXPORT_APP(heap_trim);
