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

static const uint16_t class_sizes[] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};
#define NCLASSES ARRAY_SIZE(class_sizes)
#define MAX_SMALL 2048

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
};
compile_assert(region_hdr_fits, sizeof(struct region_hdr) <= HDR_SIZE);

struct heap_class {
	struct region_hdr *partial; /* slabs with free objects, incl. empty */
	uint32_t empty;             /* fully free slabs in the list */
};

struct heap {
	struct spinlock lock;
	struct heap_class cls[NCLASSES];
	struct heap_stats st;
};

static struct heap heaps[MAX_CPUS];

static struct heap *
heap_current(void)
{
	/* one heap per CPU; objects freed on another CPU go back to their
	 * slab's own heap (region_hdr.heap) under that heap's lock */
	return &heaps[cpu_id()];
}

static int
class_of(size_t n)
{
	for (unsigned i = 0; i < NCLASSES; i++)
		if (n <= class_sizes[i])
			return (int)i;
	return -1;
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
	return s;
}

static void *
alloc_small(struct heap *h, int cls)
{
	struct heap_class *c = &h->cls[cls];
	bool irq = spin_lock_irq(&h->lock);
	struct region_hdr *s = c->partial;
	if (!s) {
		/* map outside the lock: the page-table path takes other locks */
		spin_unlock_irq(&h->lock, irq);
		s = slab_new(h, cls);
		if (!s)
			return NULL;
		irq = spin_lock_irq(&h->lock);
		list_push(c, s);
		c->empty++;
		h->st.slabs++;
		h->st.mapped_bytes += REGION_SIZE;
	}
	if (s->nfree == s->size)
		c->empty--;
	struct free_obj *o = s->free;
	s->free = o->next;
	s->nfree--;
	if (s->nfree == 0)
		list_remove(c, s);
	h->st.bytes_in_use += class_sizes[cls];
	h->st.objects++;
	h->st.allocs++;
	spin_unlock_irq(&h->lock, irq);
	uint8_t d = mm_acct_current();
	slab_tags(s)[((uintptr_t)o - (uintptr_t)s - s->obj_off) / class_sizes[cls]] = d;
	mm_acct_charge(d, ACCT_HEAP_BYTES, class_sizes[cls]);
	mm_acct_charge(d, ACCT_HEAP_OBJS, 1);
	return o;
}

static void
free_small(struct region_hdr *s, void *p)
{
	struct heap *h = s->heap;
	struct heap_class *c = &h->cls[s->cls];
	struct region_hdr *release = NULL;
	size_t osz = class_sizes[s->cls];

	uintptr_t off = (uintptr_t)p - (uintptr_t)s;
	if (off < s->obj_off || (off - s->obj_off) % osz) {
		log_err("kfree(%p): not an object start in its slab", p);
		return;
	}
	/* read the tag before the object is free: then the slab may go */
	uint8_t d = slab_tags(s)[(off - s->obj_off) / osz];
	mm_acct_charge(d, ACCT_HEAP_BYTES, -(int64_t)osz);
	mm_acct_charge(d, ACCT_HEAP_OBJS, -1);
	bool irq = spin_lock_irq(&h->lock);
	if (s->nfree == 0)
		list_push(c, s);
	struct free_obj *o = p;
	o->next = s->free;
	s->free = o;
	s->nfree++;
	h->st.bytes_in_use -= osz;
	h->st.objects--;
	h->st.frees++;
	if (s->nfree == s->size) {
		/* keep one empty slab per class to absorb alloc/free churn */
		if (c->empty >= 1) {
			list_remove(c, s);
			h->st.slabs--;
			h->st.mapped_bytes -= REGION_SIZE;
			release = s;
		} else {
			c->empty++;
		}
	}
	spin_unlock_irq(&h->lock, irq);
	if (release)
		region_drop(release);
}

static void *
alloc_large(struct heap *h, size_t n)
{
	size_t total;
	if (__builtin_add_overflow(n, HDR_SIZE, &total))
		return NULL;
	size_t npages = DIV_ROUND_UP(total, PAGE_SIZE);
	struct region_hdr *r = region_new(npages, LARGE_MAGIC, h);
	if (!r)
		return NULL;
	r->size = n;
	r->acct = mm_acct_current(); /* the region's mapping is charged to it too */
	mm_acct_charge(r->acct, ACCT_HEAP_BYTES, (int64_t)n);
	mm_acct_charge(r->acct, ACCT_HEAP_OBJS, 1);
	bool irq = spin_lock_irq(&h->lock);
	h->st.large++;
	h->st.objects++;
	h->st.allocs++;
	h->st.bytes_in_use += n;
	h->st.mapped_bytes += npages * PAGE_SIZE;
	spin_unlock_irq(&h->lock, irq);
	return (char *)r + HDR_SIZE;
}

static void
free_large(struct region_hdr *r, void *p)
{
	struct heap *h = r->heap;
	if ((char *)p != (char *)r + HDR_SIZE) {
		log_err("kfree(%p): not the start of a large allocation", p);
		return;
	}
	mm_acct_charge(r->acct, ACCT_HEAP_BYTES, -(int64_t)r->size);
	mm_acct_charge(r->acct, ACCT_HEAP_OBJS, -1);
	bool irq = spin_lock_irq(&h->lock);
	h->st.large--;
	h->st.objects--;
	h->st.frees++;
	h->st.bytes_in_use -= r->size;
	h->st.mapped_bytes -= mp_size(r->mp);
	spin_unlock_irq(&h->lock, irq);
	region_drop(r);
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
	return cls >= 0 ? alloc_small(heap_current(), cls) : alloc_large(heap_current(), n);
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

void
heap_init(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		heaps[i].lock = (struct spinlock)SPINLOCK_INIT;
}

void
heap_trim(void)
{
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
						h->st.slabs--;
						h->st.mapped_bytes -= REGION_SIZE;
						break;
					}
				}
				spin_unlock_irq(&h->lock, irq);
				if (!victim)
					break;
				region_drop(victim);
			}
		}
	}
}

void
heap_stats(struct heap_stats *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct heap *h = &heaps[i];
		bool irq = spin_lock_irq(&h->lock);
		o->bytes_in_use += h->st.bytes_in_use;
		o->objects += h->st.objects;
		o->slabs += h->st.slabs;
		o->large += h->st.large;
		o->mapped_bytes += h->st.mapped_bytes;
		o->allocs += h->st.allocs;
		o->frees += h->st.frees;
		spin_unlock_irq(&h->lock, irq);
	}
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(kmalloc);
EXPORT_APP(kzalloc);
EXPORT_APP(kfree);
EXPORT_APP(heap_stats);
EXPORT_APP(heap_trim);
