/*
 * meta.c: the namespaces, lookups over cell metadata (by name, by symbol,
 * by address), statistics and unloading.
 *
 * The address index is a sorted array of every region of every cell, so
 * "which cell and section holds this address" is a binary search (the
 * fault handler and the unwinder ask it on every frame). Readers take no
 * lock (sync.c): a published index is never changed except that a removed
 * cell's entries are cleared (cell NULL) in place; a load builds a new
 * index in a spare reserved before its commit, publishes it, and frees
 * the old one after a grace period.
 */
#define LOG_TAG "cells"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "mm_acct.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"

static struct cell_ns kernel_ns = { .name = "kernel" };
static struct cell_ns apps_ns = { .name = "apps", .parent = &kernel_ns, .apps = true };

struct region_ref {
	uint64_t start, end;
	struct cell *cell;        /* NULL: removed (cleared in place) */
};
struct rindex {
	size_t n, cap;
	struct region_ref r[];    /* sorted by start */
};
static struct rindex *index_;     /* published; read lock-free (cell_at) */
static struct rindex *spare;      /* the next index, built by a writer */
static bool building;             /* spare holds index_'s live entries */

struct cell_ns *cell_ns_kernel(void) { return &kernel_ns; }
struct cell_ns *cell_ns_apps(void) { return &apps_ns; }
const char *cell_ns_name(const struct cell_ns *ns) { return ns->name; }
struct cell_ns *cell_ns_parent(const struct cell_ns *ns) { return ns->parent; }
struct cell *cell_ns_first(struct cell_ns *ns) { return ns->cells; }

struct cell *
cell_find(struct cell_ns *ns, const char *name)
{
	struct cell *found = NULL;
	cell_read_begin();
	for (struct cell *c = __atomic_load_n(&ns->cells, __ATOMIC_ACQUIRE); c && !found;
	     c = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE))
		if (!strcmp(c->name, name))
			found = c;
	cell_read_end();
	return found;
}

static bool
sealable(const struct cell *c, int r)
{
	return (r == REGION_TEXT || r == REGION_RODATA) && c->size[r];
}

void
cell_seal(struct cell *c)
{
	for (int r = 0; r < REGION_COUNT; r++) {
		if (!sealable(c, r))
			continue;
		const void *live = (const void *)(uintptr_t)c->start[r];
		c->seal[r] = fnv1a(live, c->size[r]);
		void *copy = kmalloc(c->size[r]); /* none: repair is not possible, that is all */
		if (copy)
			memcpy(copy, live, c->size[r]);
		kfree(c->pristine[r]);
		c->pristine[r] = copy;
	}
}

void *
meta_shared_zalloc(size_t bytes)
{
	mm_acct_shared_begin();
	void *p = kzalloc(bytes);
	mm_acct_shared_end();
	return p;
}

bool
cell_intact(const struct cell *c, int *region)
{
	for (int r = 0; r < REGION_COUNT; r++)
		if (sealable(c, r) && fnv1a((const void *)(uintptr_t)c->start[r], c->size[r]) != c->seal[r]) {
			if (region)
				*region = r;
			return false;
		}
	return true;
}

static struct spinlock repair_lock = SPINLOCK_INIT;

int
cell_repair_now(struct cell *c, uint64_t *first_diff)
{
	*first_diff = UINT64_MAX;
	bool irq = irq_save();
	bool locked = false; /* several CPUs may fault in the same code at once */
	for (int i = 0; i < 10000000 && !(locked = spin_trylock_raw(&repair_lock)); i++)
		cpu_relax();
	if (!locked) {
		irq_restore(irq);
		return E_BUSY;
	}
	uint64_t cr0 = wp_off();
	for (int r = 0; r < REGION_COUNT; r++)
		if (sealable(c, r) && c->pristine[r] &&
		    fnv1a((const void *)(uintptr_t)c->start[r], c->size[r]) != c->seal[r]) {
			const uint8_t *live = (const uint8_t *)(uintptr_t)c->start[r], *good = c->pristine[r];
			for (uint64_t k = 0; k < c->size[r]; k++)
				if (live[k] != good[k] && c->start[r] + k < *first_diff) {
					*first_diff = c->start[r] + k;
					break;
				}
			memcpy((void *)(uintptr_t)c->start[r], c->pristine[r], c->size[r]);
		}
	wp_restore(cr0);
	bool ok = cell_intact(c, NULL);
	spin_unlock_raw(&repair_lock);
	irq_restore(irq);
	return ok ? E_OK : E_FAULT;
}

uint64_t
cell_own_symbol(const struct cell *c, const char *name)
{
	for (size_t k = 0; k < c->nsyms; k++)
		if (!strcmp(c->syms[k].name, name))
			return c->syms[k].addr;
	return 0;
}

uint64_t
cell_sym_addr(struct cell_ns *ns, const char *name)
{
	cell_read_begin();
	struct sym_entry *e = ns_lookup(ns, name, NULL);
	uint64_t a = e ? e->addr : 0;
	cell_read_end();
	return a;
}

struct section *
cell_sym_section(struct cell_ns *ns, const char *name)
{
	cell_read_begin();
	struct sym_entry *e = ns_lookup(ns, name, NULL);
	struct section *sec = e ? e->sec : NULL;
	cell_read_end();
	return sec;
}

/* room for ncells more cells in the next index (writer lock held) */
int
cell_array_grow(void **arr, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return E_OK;
	size_t ncap = *cap ? *cap * 2 : first;
	void *na = kmalloc(ncap * elem);
	if (!na)
		return E_NOMEM;
	if (*arr)
		memcpy(na, *arr, n * elem);
	kfree(*arr);
	*arr = na;
	*cap = ncap;
	return E_OK;
}

int
meta_index_reserve(size_t ncells)
{
	size_t need = (index_ ? index_->n : 0) + ncells * (REGION_COUNT + 1);
	if (spare && spare->cap >= need)
		return E_OK;
	if (building)
		return E_BUSY; /* reserve before the first add of a batch */
	size_t cap = 512;
	while (cap < need)
		cap *= 2;
	struct rindex *n = meta_shared_zalloc(sizeof(*n) + cap * sizeof(n->r[0]));
	if (!n)
		return E_NOMEM;
	n->cap = cap;
	kfree(spare); /* never published */
	spare = n;
	return E_OK;
}

static void
insert_ref(struct rindex *ix, uint64_t start, uint64_t size, struct cell *c)
{
	size_t i = ix->n;
	while (i > 0 && ix->r[i - 1].start > start) {
		ix->r[i] = ix->r[i - 1];
		i--;
	}
	ix->r[i] = (struct region_ref){ start, start + size, c };
	ix->n++;
}

/* into the spare (room reserved); visible at meta_index_publish */
void
meta_index_add(struct cell *c)
{
	if (!building) {
		spare->n = 0;
		for (size_t i = 0; index_ && i < index_->n; i++)
			if (index_->r[i].cell)
				spare->r[spare->n++] = index_->r[i];
		building = true;
	}
	static uint64_t gens;
	c->magic = CELL_MAGIC;
	c->gen = ++gens;
	for (int r = 0; r < REGION_COUNT; r++)
		if (c->size[r])
			insert_ref(spare, c->start[r], c->size[r], c);
	if (c->bss_size) /* nano_core cells: .bss is apart from .data */
		insert_ref(spare, c->bss_start, c->bss_size, c);
}

void
meta_index_publish(void)
{
	if (!building)
		return;
	struct rindex *old = index_;
	__atomic_store_n(&index_, spare, __ATOMIC_RELEASE);
	spare = NULL;
	building = false;
	cell_free_after_readers(old);
}

/* in place: readers see the cell or NULL, never a torn entry */
void
meta_index_remove(struct cell *c)
{
	for (size_t i = 0; index_ && i < index_->n; i++)
		if (index_->r[i].cell == c)
			__atomic_store_n(&index_->r[i].cell, NULL, __ATOMIC_RELEASE);
	for (size_t i = 0; building && i < spare->n; i++)
		if (spare->r[i].cell == c)
			spare->r[i].cell = NULL;
}

static struct cell *
lookup(uint64_t addr)
{
	const struct rindex *ix = __atomic_load_n(&index_, __ATOMIC_ACQUIRE);
	if (!ix)
		return NULL;
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < ix->r[mid].start)
			hi = mid;
		else if (addr >= ix->r[mid].end)
			lo = mid + 1;
		else
			return __atomic_load_n(&ix->r[mid].cell, __ATOMIC_ACQUIRE);
	}
	return NULL;
}

struct cell *
cell_at(uint64_t addr)
{
	cell_read_begin();
	struct cell *c = lookup(addr);
	cell_read_end();
	return c;
}

static struct section *
section_at(uint64_t addr)
{
	struct cell *c = lookup(addr);
	if (!c)
		return NULL;
	struct section *best = NULL;
	for (size_t i = 0; i < c->nsections; i++) {
		struct section *s = &c->sections[i];
		if (addr >= s->addr && addr < s->addr + (s->size ? s->size : 1) &&
		    (!best || s->addr >= best->addr))
			best = s;
	}
	return best;
}

struct section *
cell_section_at(uint64_t addr)
{
	cell_read_begin();
	struct section *s = section_at(addr);
	cell_read_end();
	return s;
}

/* the names returned point into the cell's metadata: a caller that may
 * race an unload keeps its use inside cell_read_begin/end */
static const char *
symbolize(uint64_t addr, uint64_t *off, const char **cell_name)
{
	struct cell *c = lookup(addr);
	if (!c)
		return NULL;
	if (cell_name)
		*cell_name = c->name;
	struct section *s = section_at(addr);
	if (!s)
		return NULL;
	*off = addr - s->addr;
	const char *n = s->name;
	/* ".text.f", ".text.unlikely.f", ".text.startup.f" -> "f" */
	static const char *const prefixes[] = { ".text.unlikely.", ".text.startup.", ".text.hot.", ".text." };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_starts_with(n, prefixes[i]))
			return n + strlen(prefixes[i]);
	return n;
}

const char *
cell_symbolize(uint64_t addr, uint64_t *off, const char **cell_name)
{
	cell_read_begin();
	const char *n = symbolize(addr, off, cell_name);
	cell_read_end();
	return n;
}

int
meta_alloc_sections(struct cell *c, size_t nsec)
{
	c->sections = kzalloc((nsec + 1) * sizeof(*c->sections));
	return c->sections ? E_OK : E_NOMEM;
}

int
meta_alloc_pristine(struct cell *c, int region, size_t bytes)
{
	c->pristine[region] = kzalloc(bytes ? bytes : 1);
	return c->pristine[region] ? E_OK : E_NOMEM;
}

int
meta_alloc_syms(struct cell *c, size_t nsym)
{
	c->syms = kzalloc((nsym + 1) * sizeof(*c->syms));
	return c->syms ? E_OK : E_NOMEM;
}

int
meta_alloc_arrays(struct cell *c, size_t nsec, size_t nsym)
{
	int err = meta_alloc_sections(c, nsec);
	return err ? err : meta_alloc_syms(c, nsym);
}

void
meta_free_cell(struct cell *c)
{
	for (int r = 0; r < REGION_COUNT; r++) {
		mp_drop(TAKE_PTR(c->mp[r]));
		kfree(TAKE_PTR(c->pristine[r]));
	}
	for (size_t i = 0; i < c->nsections; i++) {
		struct cell_dep *d = c->sections[i].deps_out;
		while (d) {
			struct cell_dep *next = d->next_out;
			kfree(d->relocs);
			kfree(d);
			d = next;
		}
		kfree((void *)c->sections[i].name);
	}
	for (size_t k = 0; k < c->nsyms; k++)
		kfree((void *)c->syms[k].name);
	kfree(c->syms);
	kfree(c->sections);
	memset(c, 0x6b, sizeof(*c)); /* poison: a reader that kept it sees magic 0x6b6b6b6b */
	kfree(c);
}

/* --- dependency edges (load.c and swap.c build and link them) --- */

/* the edges array and the edge own what is allocated here (the caller
 * frees them with meta_edges_free); GCC 12's analyzer does not follow a
 * store through the edges parameter */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
int
meta_edge_add(struct cell_dep **edges, size_t *n, struct section *from, struct section *to,
	      struct cell_reloc rel)
{
	struct cell_dep *d = NULL;
	for (size_t k = 0; k < *n; k++)
		if (edges[k]->from == from && edges[k]->to == to)
			d = edges[k];
	if (!d) {
		d = KNEW(struct cell_dep);
		if (!d)
			return E_NOMEM;
		d->from = from;
		d->to = to;
		edges[(*n)++] = d;
	}
	struct cell_reloc *nr = kmalloc((d->nrelocs + 1) * sizeof(*nr));
	if (!nr)
		return E_NOMEM;
	if (d->nrelocs)
		memcpy(nr, d->relocs, d->nrelocs * sizeof(*nr));
	nr[d->nrelocs++] = rel;
	kfree(d->relocs);
	d->relocs = nr;
	return E_OK;
}
#pragma GCC diagnostic pop

void
meta_edges_free(struct cell_dep **edges, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		kfree(edges[k]->relocs);
		kfree(edges[k]);
	}
}

void
meta_edge_link(struct cell_dep *d)
{
	d->next_out = d->from->deps_out;
	d->from->deps_out = d;
	d->next_in = d->to->deps_in;
	d->to->deps_in = d;
}

/* drop edge d from d->to->deps_in */
static void
unlink_in(struct cell_dep *d)
{
	for (struct cell_dep **pp = &d->to->deps_in; *pp; pp = &(*pp)->next_in)
		if (*pp == d) {
			*pp = d->next_in;
			return;
		}
}

void
meta_edge_unlink(struct cell_dep *d)
{
	for (struct cell_dep **pp = &d->from->deps_out; *pp; pp = &(*pp)->next_out)
		if (*pp == d) {
			*pp = d->next_out;
			break;
		}
	unlink_in(d);
}

void
meta_ns_remove(struct cell_ns *ns, struct cell *c)
{
	for (struct cell **pp = &ns->cells; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			ns->ncells--;
			break;
		}
	if (!c->is_app)
		for (size_t k = 0; k < c->nsyms; k++) {
			/* c's own entry (a nano_core copy's data symbols name the
			 * running cell's section: its entry is the one with its
			 * own copy of the name) */
			struct sym_entry *e = symmap_get(&ns->map, c->syms[k].name);
			if (e && ((e->sec && e->sec->cell == c) || (c->data_of && e->name == c->syms[k].name)))
				symmap_remove(&ns->map, c->syms[k].name);
		}
}

static bool
in_set(struct cell *const *cells, size_t n, const struct cell *c)
{
	for (size_t i = 0; i < n; i++)
		if (cells[i] == c)
			return true;
	return false;
}

static void
remove_one(struct cell *c)
{
	meta_ns_remove(c->ns, c);
	for (size_t i = 0; i < c->nsections; i++)
		for (struct cell_dep *d = c->sections[i].deps_out; d; d = d->next_out)
			unlink_in(d);
	meta_index_remove(c);
}

int
cell_unload(struct cell *const *cells, size_t n, struct cell_error *why)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	for (size_t j = 0; j < n; j++) {
		struct cell *c = cells[j];
		if (c->nano_core)
			return cell_errf(why, E_PERM, "cell %s is part of the nano_core", c->name);
		uint32_t users = __atomic_load_n(&c->users, __ATOMIC_ACQUIRE);
		if (users)
			return cell_errf(why, E_BUSY, "cell %s holds the entry of %u live task(s)", c->name, users);
		for (size_t i = 0; i < c->nsections; i++)
			for (struct cell_dep *d = c->sections[i].deps_in; d; d = d->next_in)
				if (!in_set(cells, n, d->from->cell))
					return cell_errf(why, E_BUSY, "cell %s is used by cell %s (%s uses %s)",
							 c->name, d->from->cell->name, d->from->name,
							 c->sections[i].name);
	}
	/* commit: nothing below fails */
	for (size_t j = 0; j < n; j++)
		remove_one(cells[j]);
	/* a reader may still hold them (cell_at on another CPU): a grace period */
	bool quiet = cell_sync_readers();
	for (size_t j = 0; j < n; j++) {
		log_write(cells[j]->is_app ? LOG_DEBUG : LOG_INFO, LOG_TAG, "unloaded %s", cells[j]->name);
		if (quiet)
			meta_free_cell(cells[j]);
	}
	return E_OK;
}

struct cell_ns *
cell_ns_create(const char *name, struct cell_ns *parent, bool apps)
{
	struct cell_ns *ns = KNEW(struct cell_ns);
	if (!ns)
		return NULL;
	strlcpy(ns->name, name, sizeof(ns->name));
	ns->parent = parent;
	ns->apps = apps;
	return ns;
}

/* published namespaces (personalities): found by name, listed by `ns` */
static struct cell_ns *published[8];

int
cell_ns_publish(struct cell_ns *ns)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	if (cell_ns_find(ns->name))
		return E_EXIST;
	for (size_t i = 0; i < ARRAY_SIZE(published); i++)
		if (!published[i]) {
			published[i] = ns;
			return E_OK;
		}
	return E_NOSPC;
}

struct cell_ns *
cell_ns_find(const char *name)
{
	if (!strcmp(name, kernel_ns.name))
		return &kernel_ns;
	if (!strcmp(name, apps_ns.name))
		return &apps_ns;
	for (size_t i = 0; i < ARRAY_SIZE(published); i++)
		if (published[i] && !strcmp(published[i]->name, name))
			return published[i];
	return NULL;
}

size_t
cell_ns_list(struct cell_ns **out, size_t max)
{
	size_t n = 0;
	if (n < max)
		out[n++] = &kernel_ns;
	if (n < max)
		out[n++] = &apps_ns;
	for (size_t i = 0; i < ARRAY_SIZE(published) && n < max; i++)
		if (published[i])
			out[n++] = published[i];
	return n;
}

int
cell_ns_destroy(struct cell_ns *ns, struct cell_error *why)
{
	if (ns == &kernel_ns || ns == &apps_ns)
		return cell_errf(why, E_PERM, "namespace %s is permanent", ns->name);
	for (size_t i = 0; i < ARRAY_SIZE(published); i++)
		if (published[i] == ns)
			return cell_errf(why, E_PERM, "namespace %s is a published personality", ns->name);
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	size_t n = ns->ncells;
	struct cell **all = kmalloc((n ? n : 1) * sizeof(*all));
	if (!all)
		return cell_errf(why, E_NOMEM, "out of memory");
	size_t i = 0;
	for (struct cell *c = ns->cells; c; c = c->next)
		all[i++] = c;
	int err = cell_unload(all, n, why);
	kfree(all);
	if (err)
		return err;
	symmap_free(&ns->map);
	kfree(ns);
	return E_OK;
}

void
cell_stats(struct cell_ns *ns, struct cell_stats *o)
{
	memset(o, 0, sizeof(*o));
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	for (struct cell *c = ns->cells; c; c = c->next) {
		o->cells++;
		o->sections += c->nsections;
		for (size_t i = 0; i < c->nsections; i++)
			for (struct cell_dep *d = c->sections[i].deps_out; d; d = d->next_out)
				o->deps++;
	}
	o->symbols = ns->map.used;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(cell_ns_kernel);
EXPORT_APP(cell_ns_apps);
EXPORT_APP(cell_ns_name);
EXPORT_APP(cell_ns_parent);
EXPORT_APP(cell_ns_first);
EXPORT_APP(cell_find);
EXPORT_APP(cell_sym_section);
EXPORT_APP(cell_stats);
EXPORT_APP(cell_section_at);

void
cell_pin_addr(const void *addr)
{
	struct cell *c = addr ? cell_at((uint64_t)(uintptr_t)addr) : NULL;
	if (c && !c->nano_core)
		__atomic_add_fetch(&c->pins, 1, __ATOMIC_ACQ_REL);
}

void
cell_unpin_addr(const void *addr)
{
	struct cell *c = addr ? cell_at((uint64_t)(uintptr_t)addr) : NULL;
	if (c && !c->nano_core && __atomic_load_n(&c->pins, __ATOMIC_ACQUIRE))
		__atomic_sub_fetch(&c->pins, 1, __ATOMIC_ACQ_REL);
}

struct cell *
cell_use_addr(const void *addr)
{
	cell_read_begin();
	struct cell *c = addr ? cell_at((uint64_t)(uintptr_t)addr) : NULL;
	if (c && !c->nano_core)
		__atomic_add_fetch(&c->users, 1, __ATOMIC_ACQ_REL);
	else
		c = NULL;
	cell_read_end();
	return c;
}

void
cell_unuse(struct cell *c)
{
	if (c)
		__atomic_sub_fetch(&c->users, 1, __ATOMIC_ACQ_REL);
}

EXPORT_APP(cell_ns_find);
EXPORT_APP(cell_ns_list);
