/*
 * symmap.c: the CellNamespace symbol map - open addressing, FNV-1a,
 * linear probing, tombstones on removal, grown before a batch commits so
 * insertion itself cannot fail. Lookups take no lock (sync.c): the table
 * is one allocation published with its size; growing builds a new one and
 * frees the old after a grace period; an entry is filled before its name
 * is published, and a removal clears the name after marking the tomb.
 */
#include "cell_mgr_int.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"

uint64_t
symmap_hash(const char *s)
{
	return fnv1a(s, strlen(s));
}

uint64_t
fnv1a(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct sym_entry *
symmap_get(const struct symmap *m, const char *name)
{
	struct symtab *t = __atomic_load_n(&m->tab, __ATOMIC_ACQUIRE);
	if (!t)
		return NULL;
	size_t cap = t->cap;
	size_t i = symmap_hash(name) & (cap - 1);
	for (size_t n = 0; n < cap; n++, i = (i + 1) & (cap - 1)) {
		struct sym_entry *e = &t->slots[i];
		const char *en = __atomic_load_n(&e->name, __ATOMIC_ACQUIRE);
		if (!en && !__atomic_load_n(&e->tomb, __ATOMIC_ACQUIRE))
			return NULL;
		if (en && !strcmp(en, name))
			return e;
	}
	return NULL;
}

static void
insert_slot(struct symtab *t, const struct sym_entry *src)
{
	size_t cap = t->cap;
	size_t i = symmap_hash(src->name) & (cap - 1);
	while (t->slots[i].name)
		i = (i + 1) & (cap - 1);
	struct sym_entry *e = &t->slots[i];
	e->addr = src->addr;
	e->sec = src->sec;
	e->app_export = src->app_export;
	__atomic_store_n(&e->name, src->name, __ATOMIC_RELEASE);
	/* after the name: a reader never sees an empty, untombed slot mid-chain */
	__atomic_store_n(&e->tomb, false, __ATOMIC_RELEASE);
}

void
symmap_free(struct symmap *m)
{
	kfree(TAKE_PTR(m->tab));
}

int
symmap_reserve(struct symmap *m, size_t extra)
{
	size_t need = m->used + m->tombs + extra;
	size_t oldcap = m->tab ? m->tab->cap : 0;
	if (extra == 0 || (oldcap && need * 10 < oldcap * 7))
		return E_OK;
	size_t cap = oldcap ? oldcap : 1024;
	while ((m->used + extra) * 10 >= cap * 7)
		cap *= 2;
	struct symtab *t = meta_shared_zalloc(sizeof(*t) + cap * sizeof(t->slots[0]));
	if (!t)
		return E_NOMEM;
	t->cap = cap;
	/* commit: nothing below fails */
	struct symtab *old = m->tab;
	for (size_t i = 0; i < oldcap; i++)
		if (old->slots[i].name)
			insert_slot(t, &old->slots[i]);
	__atomic_store_n(&m->tab, t, __ATOMIC_RELEASE);
	m->tombs = 0;
	cell_free_after_readers(old);
	return E_OK;
}

void
symmap_put(struct symmap *m, const char *name, uint64_t addr, struct section *sec)
{
	struct sym_entry e = { .name = name, .addr = addr, .sec = sec };
	insert_slot(m->tab, &e);
	m->used++;
}

void
symmap_remove(struct symmap *m, const char *name)
{
	struct sym_entry *e = symmap_get(m, name);
	if (!e)
		return;
	/* names are borrowed from the defining cell, which frees them */
	__atomic_store_n(&e->tomb, true, __ATOMIC_RELEASE);
	__atomic_store_n(&e->name, NULL, __ATOMIC_RELEASE);
	m->used--;
	m->tombs++;
}

struct sym_entry *
ns_lookup(struct cell_ns *ns, const char *name, struct cell_ns **owner)
{
	for (; ns; ns = ns->parent) {
		struct sym_entry *e = symmap_get(&ns->map, name);
		if (e) {
			if (owner)
				*owner = ns;
			return e;
		}
	}
	return NULL;
}

char *
kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kmalloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
