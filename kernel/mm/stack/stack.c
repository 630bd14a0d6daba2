/*
 * stack.c: guarded stacks and the guard registry.
 */
#include "stack.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "mm_acct.h"
#include "page_alloc.h"

#define STACK_CACHE 8        /* freed stacks kept mapped for reuse */
#define STACK_CACHE_PAGES 16 /* ... of at most this many pages */

struct stack;
struct guard {
	uint64_t start, end;
	const char *name;
	struct guard *next;
	struct stack *owner; /* NULL for the static boot stacks */
};

struct stack {
	struct guard g; /* first: registry link */
	struct pages *guard_pages;
	struct mapped_pages *mp;
	struct mapped_pages *guard_mp; /* the guard, mapped during an unwind */
	char name[32];
};

static struct spinlock lock = SPINLOCK_INIT;
static struct guard *guards; /* guarded by lock */

/* freed stacks, still mapped, their guard pages still allocated (and
 * never mapped), charged to no domain; the most recently freed first */
struct cached_stack {
	struct mapped_pages *mp;
	struct pages *guard_pages;
};
static struct cached_stack cache[STACK_CACHE]; /* guarded by lock */

extern const uint64_t boot_guard_pages[];
extern const uint64_t boot_guard_count;
extern const char *const boot_guard_names[];
static struct guard boot_guards[8];

static void
guard_add(struct guard *g)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	g->next = guards;
	guards = g;
	spin_guard_drop(&held);
}

static void
guard_remove(struct guard *g)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	for (struct guard **pp = &guards; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	spin_guard_drop(&held);
}

/* boot.S lays the static stacks out as [guard][stack] each, the boot
 * CPU's first: it ends where the next guard starts */
bool
stack_boot_bounds(uintptr_t *bottom, uintptr_t *top)
{
	if (boot_guard_count < 2)
		return false;
	*bottom = boot_guard_pages[0] + PAGE_SIZE;
	*top = boot_guard_pages[1];
	return *bottom < *top;
}

const char *
stack_guard_owner(uint64_t addr)
{
	const char *name = NULL;
	/* called from the double-fault handler: never wait forever */
	bool irq = spin_irq_save_();
	bool locked = false;
	for (int i = 0; i < 1000000 && !(locked = spin_trylock_raw(&lock)); i++)
		__asm__ volatile("pause");
	for (struct guard *g = guards; g; g = g->next)
		if (addr >= g->start && addr < g->end)
			name = g->name;
	if (locked)
		spin_unlock_raw(&lock);
	if (irq)
		__asm__ volatile("sti");
	return name;
}

/* with lock held: entries that are not a live mapping and guard pages
 * (a word written over the cache) are dropped, their memory left where it
 * is, rather than followed by every stack_alloc after */
static void
cache_check_locked(void)
{
	unsigned kept = 0;
	for (unsigned i = 0; i < STACK_CACHE; i++) {
		struct cached_stack c = cache[i];
		if (!c.mp && !c.guard_pages)
			continue;
		if (c.mp && mp_plausible(c.mp) && c.guard_pages && pages_plausible(c.guard_pages))
			cache[kept++] = c; /* (kept in order, from the front) */
		else
			log_err("stack cache entry %u corrupted (%p, %p): dropped", i, (void *)c.mp,
				(void *)c.guard_pages);
	}
	for (unsigned i = kept; i < STACK_CACHE; i++)
		cache[i] = (struct cached_stack){ 0 };
}

/* a cached stack of npages into s (charged to the current domain), or
 * false */
static bool
cache_take(struct stack *s, size_t npages)
{
	struct cached_stack c = { 0 };
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	cache_check_locked();
	for (unsigned i = 0; i < STACK_CACHE && !c.mp; i++) {
		if (cache[i].mp && mp_size(cache[i].mp) == npages * PAGE_SIZE) {
			c = cache[i];
			for (unsigned k = i; k + 1 < STACK_CACHE; k++)
				cache[k] = cache[k + 1];
			cache[STACK_CACHE - 1] = (struct cached_stack){ 0 };
		}
	}
	spin_guard_drop(&held);
	if (!c.mp)
		return false;
	uint8_t d = mm_acct_current();
	mp_set_acct(c.mp, d);
	pages_set_acct(c.guard_pages, d);
	s->mp = c.mp;
	s->guard_pages = c.guard_pages;
	return true;
}

static void
cached_drop(struct cached_stack c)
{
	mp_drop(c.mp);
	pages_drop(c.guard_pages);
}

/* the settle hook (mm_acct): every cached stack goes back */
static void
cache_release(void)
{
	for (;;) {
		_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
		cache_check_locked();
		struct cached_stack c = cache[0];
		for (unsigned k = 0; k + 1 < STACK_CACHE; k++)
			cache[k] = cache[k + 1];
		cache[STACK_CACHE - 1] = (struct cached_stack){ 0 };
		spin_guard_drop(&held);
		if (!c.mp)
			return;
		cached_drop(c);
	}
}

/* at boot, from the nano_core's own copy of this cell: the guard pages
 * of the static boot/IST stacks, and the cache's settle hook. The hook
 * is a code address kept in mm_acct's data: added here it points into
 * the nano_core image, which a swap never frees (added later, from a
 * loaded copy of this cell, it would dangle once that copy is swapped
 * out and freed). Added after the memory cell's lazy-unmap hook, so a
 * settle runs it first (hooks run the last added first) and the
 * lazy-unmap hook flushes its unmaps. */
void
stack_init(void)
{
	for (uint64_t i = 0; i < boot_guard_count && i < ARRAY_SIZE(boot_guards); i++) {
		boot_guards[i] = (struct guard){ boot_guard_pages[i], boot_guard_pages[i] + PAGE_SIZE,
						 boot_guard_names[i], NULL, NULL };
		guard_add(&boot_guards[i]);
	}
	if (mm_acct_add_settle_hook(cache_release))
		log_err("stack: no room for the stack cache's settle hook");
}

/* keep s's mapping and guard pages for reuse; false if it cannot be (an
 * extended guard, an odd size) */
static bool
cache_put(struct stack *s)
{
	if (s->guard_mp || !s->guard_pages || mp_size(s->mp) > STACK_CACHE_PAGES * PAGE_SIZE)
		return false;
	mp_set_acct(s->mp, MM_ACCT_NONE);
	pages_set_acct(s->guard_pages, MM_ACCT_NONE);
	struct cached_stack c = { TAKE_PTR(s->mp), TAKE_PTR(s->guard_pages) };
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	struct cached_stack out = cache[STACK_CACHE - 1];
	for (unsigned k = STACK_CACHE - 1; k > 0; k--)
		cache[k] = cache[k - 1];
	cache[0] = c;
	spin_guard_drop(&held);
	if (out.mp)
		cached_drop(out);
	return true;
}

/* map a fresh stack of npages into s, its guard page below it */
static bool
map_fresh(struct stack *s, size_t npages, int *err)
{
	_cleanup_(pages_drop_p) struct pages *all = pages_alloc(ZONE_ANY, npages + 1, PAGE_SIZE, err);
	if (!all)
		return false;
	_cleanup_(pages_drop_p) struct pages *body = pages_split(all, 1, err);
	if (!body)
		return false;
	_cleanup_(frames_drop_p) struct frames *frames = frames_alloc(npages, err);
	if (!frames)
		return false;
	s->mp = mp_map(&body, &frames, MP_WRITE, err);
	if (!s->mp)
		return false;
	s->guard_pages = TAKE_PTR(all);
	return true;
}

struct stack *
stack_alloc(size_t npages, const char *name, int *err)
{
	if (npages == 0)
		return err_null(err, E_INVAL);
	_cleanup_(kfreep) struct stack *s = KNEW(struct stack);
	if (!s)
		return err_null(err, E_NOMEM);
	if (!cache_take(s, npages) && !map_fresh(s, npages, err))
		return NULL;
	/* commit: nothing below fails */
	strlcpy(s->name, name ? name : "stack", sizeof(s->name));
	s->g = (struct guard){ pages_start(s->guard_pages), pages_start(s->guard_pages) + PAGE_SIZE,
			       s->name, NULL, s };
	guard_add(&s->g);
	return TAKE_PTR(s);
}

static void
stack_own_guard_mapping(struct stack *s, struct mapped_pages *mp)
{
	s->guard_mp = mp;
}

bool
stack_guard_extend(uint64_t addr)
{
	struct stack *found = NULL;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	for (struct guard *g = guards; g; g = g->next)
		if (addr >= g->start && addr < g->end && g->owner)
			found = g->owner;
	spin_guard_drop(&held);
	if (!found || found->guard_mp)
		return false;
	int err;
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc(1, &err);
	if (!f)
		return false;
	/* the guard's pages move into the mapping; the stack owns both */
	struct pages *p = TAKE_PTR(found->guard_pages);
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_map(&p, &f, MP_WRITE, &err);
	if (!mp) {
		found->guard_pages = p;
		return false;
	}
	/* the stack owns it now (stack_drop releases it); GCC 12's analyzer
	 * does not follow a pointer stored into a heap object reached through
	 * a parameter and reports a leak that is not one */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
	stack_own_guard_mapping(found, TAKE_PTR(mp));
	return true;
}
#pragma GCC diagnostic pop

void
stack_drop(struct stack *s)
{
	if (!s)
		return;
	guard_remove(&s->g);
	if (cache_put(s)) {
		kfree(s);
		return;
	}
	mp_drop(TAKE_PTR(s->guard_mp));
	mp_drop(TAKE_PTR(s->mp));
	pages_drop(TAKE_PTR(s->guard_pages));
	kfree(s);
}

size_t
stack_cached(size_t npages)
{
	size_t n = 0;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	for (unsigned i = 0; i < STACK_CACHE; i++)
		n += cache[i].mp && mp_size(cache[i].mp) == npages * PAGE_SIZE;
	spin_guard_drop(&held);
	return n;
}

uintptr_t stack_top(const struct stack *s) { return mp_start(s->mp) + mp_size(s->mp); }
uintptr_t stack_bottom(const struct stack *s) { return mp_start(s->mp); }
uintptr_t stack_guard(const struct stack *s) { return s->g.start; }
