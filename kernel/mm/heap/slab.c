/*
 * slab.c: slabs and the magazines' slow paths. A slab is a 16 KiB
 * MappedPages; its header at the start holds the owning MappedPages
 * itself, so freeing the last object can drop the slab without any
 * outside table. After the header a slab has one tag byte per object (the
 * accounting domain the object is charged to, mm_acct), then the objects.
 * A slab is shared by every domain, so its own mapping is charged to none.
 * Each slab records the heap (CPU) that mapped it; its free objects go
 * back there under that heap's lock, whichever CPU frees them.
 */
#define LOG_TAG "heap"
#include "heap_int.h"
#include "base.h"
#include "cpu.h"
#include "logger.h"
#include "memory.h"
#include "mm_acct.h"

uint64_t heap_n_slabs;

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
slab_new(struct heap *h, unsigned cls)
{
	struct region_hdr *s = heap_region_new(REGION_PAGES, SLAB_MAGIC, h);
	if (!s)
		return NULL;
	/* shared by all domains: charged to none (mm_acct) */
	mp_set_acct(s->mp, MM_ACCT_NONE);
	size_t osz = heap_class_size[cls];
	/* n tag bytes, rounded up to 16, then n objects */
	size_t n = (REGION_SIZE - HDR_SIZE) / (osz + 1);
	while (HDR_SIZE + ALIGN_UP(n, 16) + n * osz > REGION_SIZE)
		n--;
	s->cls = (uint16_t)cls;
	s->size = n;
	s->nfree = (uint16_t)n;
	s->obj_off = (uint16_t)(HDR_SIZE + ALIGN_UP(n, 16));
	s->span = (uint32_t)(n * osz);
	s->free = NULL;
	for (size_t i = n; i-- > 0;) {
		struct free_obj *o = (struct free_obj *)((uintptr_t)s + s->obj_off + i * osz);
		o->next = s->free;
		s->free = o;
	}
	__atomic_add_fetch(&heap_n_slabs, 1, __ATOMIC_RELAXED);
	return s;
}

void
heap_slab_release(struct region_hdr *s)
{
	__atomic_sub_fetch(&heap_n_slabs, 1, __ATOMIC_RELAXED);
	heap_region_drop(s);
}

/* fill the empty magazine m with every free object of h's first slab of
 * class cls (the slab's list becomes the magazine's: no walk); false if
 * h has no free object of that class */
static bool
refill(struct heap *h, unsigned cls, struct mag *m)
{
	struct heap_class *c = &h->cls[cls];
	bool irq = spin_lock_irq(&h->lock);
	struct region_hdr *s = c->partial;
	if (s) {
		if (s->nfree == s->size)
			c->empty--;
		m->head = s->free;
		m->n = s->nfree;
		s->free = NULL;
		s->nfree = 0;
		list_remove(c, s);
	}
	spin_unlock_irq(&h->lock, irq);
	return s != NULL;
}

/* give object o back to its slab, under its heap's lock; a slab left
 * empty beyond the one per class each heap keeps is returned for the
 * caller to drop */
static struct region_hdr *
slab_put_locked(void *o)
{
	struct region_hdr *s = heap_hdr_of(o);
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

/* one lock taken per run of objects of the same heap (mostly one run);
 * when MAG_RELEASE slabs are to be dropped it stops, having given back
 * at least as many objects */
size_t
heap_mag_drain(struct mag *m, uint32_t keep, struct region_hdr **out)
{
	size_t n = 0;
	struct heap *locked = NULL;
	bool irq = false;
	while (m->n > keep && n < MAG_RELEASE) {
		struct free_obj *o = m->head;
		m->head = o->next;
		m->n--;
		struct heap *h = heap_hdr_of(o)->heap;
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

/* one object of class cls straight from h's slabs, or NULL */
static void *
slab_take(struct heap *h, unsigned cls)
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

/* from this CPU's magazine after a refill (a task, preemption off, not
 * stolen), or NULL if its slabs have no free object of the class */
static void *
alloc_refilled(struct heap *h, unsigned cls, uint8_t d)
{
	struct mag *m = &h->mag[cls];
	if (!m->head && !refill(h, cls, m))
		return NULL;
	struct free_obj *o = m->head;
	m->head = o->next;
	m->n--;
	__atomic_store_n(&h->allocs, h->allocs + 1, __ATOMIC_RELAXED);
	heap_bump(&h->acct_bytes[d], heap_class_size[cls]);
	heap_bump(&h->acct_objs[d], 1);
	return o;
}

/*
 * A task whose magazine was empty refills it from its CPU's slabs; an
 * interrupt handler, or a task whose CPU's magazines heap_trim holds,
 * takes one object from the slabs under their lock and counts it in the
 * shared atomic counters. With no free object, a new slab is mapped
 * (outside any lock: the page-table path takes other locks) for this
 * CPU's heap, and the request tried again.
 */
void *
heap_alloc_slow(unsigned cls)
{
	for (;;) {
		void *o = NULL;
		bool task = heap_in_task();
		uint8_t d = MM_ACCT_NONE;
		if (task) {
			heap_preempt_off();
			struct heap *h = heap_this_cpu();
			if (!__atomic_load_n(&h->stolen, __ATOMIC_ACQUIRE)) {
				d = heap_task_domain();
				o = alloc_refilled(h, cls, d);
				heap_preempt_on();
				if (!o)
					goto grow;
				goto tag;
			}
			heap_preempt_on();
		}
		d = mm_acct_current();
		o = slab_take(heap_this_cpu(), cls);
		if (o) {
			heap_count_shared(heap_class_size[cls], 1, true);
			mm_acct_charge(d, ACCT_HEAP_BYTES, heap_class_size[cls]);
			mm_acct_charge(d, ACCT_HEAP_OBJS, 1);
			goto tag;
		}
	grow:;
		struct heap *h = heap_this_cpu();
		struct region_hdr *s = slab_new(h, cls);
		if (!s)
			return NULL;
		bool irq = spin_lock_irq(&h->lock);
		list_push(&h->cls[cls], s);
		h->cls[cls].empty++;
		spin_unlock_irq(&h->lock, irq);
		continue;
	tag:;
		struct region_hdr *r = heap_hdr_of(o);
		heap_slab_tags(r)[heap_obj_index(r, o, cls)] = d;
		return o;
	}
}

/*
 * A task whose magazine was full gives half of it back to the slabs
 * first; an interrupt handler, or a task whose CPU's magazines heap_trim
 * holds, gives the object straight back to its slab. Slabs left empty
 * are dropped afterwards, outside the magazine and every lock.
 */
void
heap_free_slow(struct region_hdr *s, void *p, unsigned cls, uint8_t d)
{
	size_t osz = heap_class_size[cls];
	struct region_hdr *release[MAG_RELEASE];
	size_t nrel = 0;
	bool done = false;
	if (heap_in_task()) {
		heap_preempt_off();
		struct heap *h = heap_this_cpu();
		if (!__atomic_load_n(&h->stolen, __ATOMIC_ACQUIRE)) {
			struct mag *m = &h->mag[cls];
			if (m->n >= heap_mag_cap[cls])
				nrel = heap_mag_drain(m, heap_mag_cap[cls] / 2, release);
			struct free_obj *f = p;
			f->next = m->head;
			m->head = f;
			m->n++;
			__atomic_store_n(&h->frees, h->frees + 1, __ATOMIC_RELAXED);
			heap_bump(&h->acct_bytes[d], -(int64_t)osz);
			heap_bump(&h->acct_objs[d], -1);
			done = true;
		}
		heap_preempt_on();
	}
	if (!done) {
		mm_acct_charge(d, ACCT_HEAP_BYTES, -(int64_t)osz);
		mm_acct_charge(d, ACCT_HEAP_OBJS, -1);
		struct heap *owner = s->heap;
		bool irq = spin_lock_irq(&owner->lock);
		if ((release[0] = slab_put_locked(p)))
			nrel = 1;
		spin_unlock_irq(&owner->lock, irq);
		heap_count_shared(-(int64_t)osz, -1, false);
	}
	for (size_t k = 0; k < nrel; k++)
		heap_slab_release(release[k]);
}

/* every fully free slab of every heap back to the page and frame
 * allocators (the one per class kept for churn included) */
void
heap_release_empty_slabs(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct heap *h = &heap_cpus[i];
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
				heap_slab_release(victim);
			}
		}
	}
}
