/*
 * symmap.c: the CellNamespace symbol map - open addressing, FNV-1a,
 * linear probing, tombstones on removal, grown before a batch commits so
 * insertion itself cannot fail.
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
	if (!m->cap)
		return NULL;
	size_t i = symmap_hash(name) & (m->cap - 1);
	for (size_t n = 0; n < m->cap; n++, i = (i + 1) & (m->cap - 1)) {
		struct sym_entry *e = &m->slots[i];
		if (!e->name && !e->tomb)
			return NULL;
		if (e->name && !strcmp(e->name, name))
			return e;
	}
	return NULL;
}

static void
insert_slot(struct sym_entry *slots, size_t cap, const struct sym_entry *src)
{
	size_t i = symmap_hash(src->name) & (cap - 1);
	while (slots[i].name)
		i = (i + 1) & (cap - 1);
	slots[i] = *src;
	slots[i].tomb = false;
}

int
symmap_reserve(struct symmap *m, size_t extra)
{
	size_t need = m->used + m->tombs + extra;
	if (extra == 0 || (m->cap && need * 10 < m->cap * 7))
		return E_OK;
	size_t cap = m->cap ? m->cap : 1024;
	while ((m->used + extra) * 10 >= cap * 7)
		cap *= 2;
	struct sym_entry *slots = kzalloc(cap * sizeof(*slots));
	if (!slots)
		return E_NOMEM;
	/* commit: nothing below fails */
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].name)
			insert_slot(slots, cap, &m->slots[i]);
	kfree(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->tombs = 0;
	return E_OK;
}

void
symmap_put(struct symmap *m, const char *name, uint64_t addr, struct section *sec)
{
	struct sym_entry e = { .name = name, .addr = addr, .sec = sec };
	insert_slot(m->slots, m->cap, &e);
	m->used++;
}

void
symmap_remove(struct symmap *m, const char *name)
{
	struct sym_entry *e = symmap_get(m, name);
	if (!e)
		return;
	/* names are borrowed from the defining cell, which frees them */
	*e = (struct sym_entry){ .tomb = true };
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
