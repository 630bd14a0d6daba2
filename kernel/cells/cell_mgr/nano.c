/*
 * nano.c: the nano_core is made of cells too (thesis 5.3). Its static
 * link merged their sections, but the linker script bracketed each cell
 * with __cell_<name>_<kind>_start/_end symbols and the symbol table
 * survives as the nano_core.syms module: from these we rebuild a struct
 * cell per constituent, with one section per function or object, and
 * enter them and their global symbols in the kernel namespace like any
 * other cell.
 */
#define LOG_TAG "cells"
#include "cell_mgr_int.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "nano_core.h"
#include "symtab.h"
#include "elf.h"

extern const char __app_exports_start[], __app_exports_end[];

struct build {
	struct cell **cells;
	const struct symtab_cell *bounds;
	size_t n;
	int err;
	bool count_only;
};

static int
owner_of(const struct build *b, uint64_t v, enum section_kind *kind)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct symtab_cell *c = &b->bounds[i];
		if (v >= c->text_start && v < c->text_end) { *kind = SEC_TEXT; return (int)i; }
		if (v >= c->rodata_start && v < c->rodata_end) { *kind = SEC_RODATA; return (int)i; }
		if (v >= c->data_start && v < c->data_end) { *kind = SEC_DATA; return (int)i; }
		if (v >= c->bss_start && v < c->bss_end) { *kind = SEC_BSS; return (int)i; }
	}
	return -1;
}

static void
add_symbol(void *ctx, const char *name, uint64_t value, uint64_t size, unsigned type, unsigned bind)
{
	struct build *b = ctx;
	enum section_kind kind;
	if (b->err || !*name || str_starts_with(name, "__cell_"))
		return;
	if (type != STT_FUNC && type != STT_OBJECT && !(type == STT_NOTYPE && bind != STB_LOCAL))
		return;
	int i = owner_of(b, value, &kind);
	if (i < 0 && bind == STB_LOCAL)
		return;
	/* globals outside every cell's brackets (the boot stacks) and the
	 * linker's own (__data_start, ...; untyped, wherever they point)
	 * belong to the nano_core cell itself, as absolute symbols */
	bool absolute = i < 0 || (type == STT_NOTYPE && str_starts_with(name, "__"));
	if (absolute)
		i = 0;
	struct cell *c = b->cells[i];
	if (absolute) {
		if (b->count_only) {
			c->nsyms++;
			return;
		}
		char *copy = kstrdup(name);
		if (!copy) {
			b->err = E_NOMEM;
			return;
		}
		c->syms[c->nsyms++] = (struct cell_sym){ copy, value, NULL };
		return;
	}
	if (b->count_only) {
		c->nsections++;
		if (bind != STB_LOCAL)
			c->nsyms++;
		return;
	}
	struct section *s = &c->sections[c->nsections++];
	s->cell = c;
	s->kind = kind;
	s->addr = value;
	s->size = size;
	s->global = bind != STB_LOCAL;
	s->name = kstrdup(name);
	if (!s->name) {
		b->err = E_NOMEM;
		return;
	}
	if (bind != STB_LOCAL)
		c->syms[c->nsyms++] = (struct cell_sym){ s->name, value, s };
}

/* build the cell records; on error everything built is freed */
static int
build_cells(struct cell **cells, const struct symtab_cell *bounds, size_t n, size_t *nsyms)
{
	struct cell_ns *ns = cell_ns_kernel();
	struct build b = { cells, bounds, n, E_OK, true };
	for (size_t i = 0; i < n; i++) {
		_cleanup_(kfreep) struct cell *owned = KNEW(struct cell);
		if (!owned)
			return E_NOMEM;
		struct cell *c = cells[i] = TAKE_PTR(owned);
		strlcpy(c->name, bounds[i].name, sizeof(c->name));
		c->ns = ns;
		c->nano_core = true;
		c->start[REGION_TEXT] = bounds[i].text_start;
		c->size[REGION_TEXT] = bounds[i].text_end - bounds[i].text_start;
		c->start[REGION_RODATA] = bounds[i].rodata_start;
		c->size[REGION_RODATA] = bounds[i].rodata_end - bounds[i].rodata_start;
		c->start[REGION_DATA] = bounds[i].data_start;
		c->size[REGION_DATA] = bounds[i].data_end - bounds[i].data_start;
		c->bss_start = bounds[i].bss_start;
		c->bss_size = bounds[i].bss_end - bounds[i].bss_start;
	}
	symtab_for_each(add_symbol, &b); /* count */
	*nsyms = 0;
	for (size_t i = 0; i < n; i++) {
		struct cell *c = cells[i];
		size_t nsec = c->nsections, nsym = c->nsyms;
		c->nsections = c->nsyms = 0; /* what is filled so far, for meta_free_cell */
		c->deps = (const char *)(uintptr_t)bounds[i].deps_start;
		c->deps_size = bounds[i].deps_end - bounds[i].deps_start;
		int err = meta_alloc_arrays(c, nsec, nsym);
		if (err)
			return err;
		*nsyms += nsym;
	}
	b.count_only = false;
	symtab_for_each(add_symbol, &b);
	return b.err;
}

/* the static link's relocations that cross cells become dependency edges,
 * as a load's would: from the section holding the place (one per
 * function or object) to the one holding the target. The relocations
 * come in order of place, so the edges of one source section are found
 * among those made since it began. */
struct nano_edges {
	struct cell_dep **edges;
	size_t n, cap, run, relocs;
	struct section *from;
	int err;
};

/* sym is a global symbol of cell c at addr (not a linker symbol that
 * happens to share the address) */
static bool
defines(const struct cell *c, const char *sym, uint64_t addr)
{
	for (size_t k = 0; k < c->nsyms; k++)
		if (c->syms[k].addr == addr && c->syms[k].sec && !strcmp(c->syms[k].name, sym))
			return true;
	return false;
}

static void
add_rela(void *ctx, uint64_t place, uint32_t type, const char *sym, uint64_t S, int64_t addend)
{
	struct nano_edges *e = ctx;
	if (e->err)
		return;
	struct section *from = cell_section_at(place), *to = cell_section_at(S);
	if (!from || !to || from->cell == to->cell || !from->cell->nano_core || !to->cell->nano_core ||
	    place + elf_reloc_width(type) > from->addr + from->size || !defines(to->cell, sym, S))
		return;
	if (from != e->from) {
		e->from = from;
		e->run = e->n;
	}
	if (e->n == e->cap) {
		if (cell_array_grow((void **)&e->edges, e->n, &e->cap, sizeof(*e->edges), 256)) {
			e->err = E_NOMEM;
			return;
		}
	}
	struct cell_reloc rel = { type, (uint32_t)(place - from->addr), addend, S - to->addr };
	size_t before = e->n - e->run;
	e->err = meta_edge_add(e->edges + e->run, &before, from, to, rel);
	e->n = e->run + before;
	e->relocs++;
}

static void
nano_edges(void)
{
	struct nano_edges e = { 0 };
	symtab_for_each_rela(add_rela, &e);
	if (e.err) {
		meta_edges_free(e.edges, e.n);
		kfree(e.edges);
		log_warn("nano_core: no dependency edges between its cells: %s", err_str(e.err));
		return;
	}
	for (size_t i = 0; i < e.n; i++)
		meta_edge_link(e.edges[i]);
	kfree(e.edges);
	log_info("nano_core: %zu dependency edges between its cells (%zu relocations)", e.n, e.relocs);
}

int
cell_mgr_init(void)
{
	struct cell_ns *ns = cell_ns_kernel();
	const struct symtab_cell *bounds;
	size_t n = symtab_cells(&bounds), nsyms = 0;
	if (!n)
		return E_NOENT;
	struct cell *cells[64] = { 0 };
	if (n > ARRAY_SIZE(cells))
		return E_NOSPC;
	int err = build_cells(cells, bounds, n, &nsyms);
	if (!err)
		err = symmap_reserve(&ns->map, nsyms);
	if (!err)
		err = meta_index_reserve(n);
	if (err) {
		for (size_t i = 0; i < n; i++)
			if (cells[i])
				meta_free_cell(cells[i]);
		return err;
	}
	/* commit: nothing below fails */
	for (size_t i = n; i-- > 0;) {
		struct cell *c = cells[i];
		for (size_t k = 0; k < c->nsyms; k++)
			if (!symmap_get(&ns->map, c->syms[k].name))
				symmap_put(&ns->map, c->syms[k].name, c->syms[k].addr, c->syms[k].sec);
		c->next = ns->cells;
		ns->cells = c;
		ns->ncells++;
		meta_index_add(c);
	}
	meta_index_publish();
	nano_edges();
	/* sealed like loaded cells: a corrupted nano_core instruction or
	 * constant is put back in place from the pristine copy on a fault
	 * (recovery's fault hook), though the cell cannot be reloaded */
	for (size_t i = 0; i < n; i++)
		cell_seal(cells[i]);
	/* the nano_core's own application exports */
	for (const char *p = __app_exports_start; p < __app_exports_end; p += strlen(p) + 1) {
		struct sym_entry *e = *p ? symmap_get(&ns->map, p) : NULL;
		if (e)
			e->app_export = true;
	}
	log_info("nano_core: %zu cells, %zu global symbols in namespace kernel", n, ns->map.used);
	return modules_init(nano_core_boot_info());
}
