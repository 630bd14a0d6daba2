/*
 * deps: per-section dependencies of a cell (or of one section, named by a
 * symbol or a section name), in both directions; --dot prints a Graphviz
 * graph of the cell-level dependencies instead.
 */
#include "cell_mgr.h"
#include "klibc.h"
#include "logger.h"

int main(int argc, char **argv);

static struct cell *
find_cell(const char *name)
{
	struct cell *c = cell_find(cell_ns_kernel(), name);
	return c ? c : cell_find(cell_ns_apps(), name);
}

static struct section *
find_section(const char *name)
{
	struct section *s = cell_sym_section(cell_ns_kernel(), name);
	if (s)
		return s;
	struct cell_ns *nss[] = { cell_ns_kernel(), cell_ns_apps() };
	for (size_t k = 0; k < 2; k++)
		for (struct cell *c = cell_ns_first(nss[k]); c; c = c->next)
			for (size_t i = 0; i < c->nsections; i++)
				if (!strcmp(c->sections[i].name, name))
					return &c->sections[i];
	return NULL;
}

static void
section_deps(const struct section *s)
{
	kprintf("section %s (%s, %s, %lu bytes at %#lx) in cell %s\n", s->name, section_kind_str(s->kind),
		s->global ? "global" : "local", s->size, s->addr, s->cell->name);
	kprintf("  depends on:\n");
	for (const struct cell_dep *d = s->deps_out; d; d = d->next_out)
		kprintf("    %-32s in %-12s (%zu relocations)\n", d->to->name, d->to->cell->name, d->nrelocs);
	kprintf("  depended on by:\n");
	for (const struct cell_dep *d = s->deps_in; d; d = d->next_in)
		kprintf("    %-32s in %-12s (%zu relocations)\n", d->from->name, d->from->cell->name, d->nrelocs);
}

struct tally {
	const struct cell *other;
	size_t sections, relocs;
};

static void
add(struct tally *t, size_t *n, const struct cell *other, size_t relocs)
{
	for (size_t i = 0; i < *n; i++)
		if (t[i].other == other) {
			t[i].sections++;
			t[i].relocs += relocs;
			return;
		}
	if (*n < 64)
		t[(*n)++] = (struct tally){ other, 1, relocs };
}

static void
cell_deps(const struct cell *c, bool dot)
{
	static struct tally out[64], in[64];
	size_t nout = 0, nin = 0;
	for (size_t i = 0; i < c->nsections; i++) {
		for (const struct cell_dep *d = c->sections[i].deps_out; d; d = d->next_out)
			add(out, &nout, d->to->cell, d->nrelocs);
		for (const struct cell_dep *d = c->sections[i].deps_in; d; d = d->next_in)
			add(in, &nin, d->from->cell, d->nrelocs);
	}
	if (dot) {
		kprintf("digraph \"%s\" {\n  node [shape=box];\n", c->name);
		for (size_t i = 0; i < nout; i++)
			kprintf("  \"%s\" -> \"%s\" [label=\"%zu\"];\n", c->name, out[i].other->name, out[i].relocs);
		for (size_t i = 0; i < nin; i++)
			kprintf("  \"%s\" -> \"%s\" [label=\"%zu\"];\n", in[i].other->name, c->name, in[i].relocs);
		kprintf("}\n");
		return;
	}
	kprintf("cell %s: %zu sections%s\n", c->name, c->nsections, c->nano_core ? " (nano_core)" : "");
	kprintf("  depends on %zu cells:\n", nout);
	for (size_t i = 0; i < nout; i++)
		kprintf("    %-14s %3zu edges, %4zu relocations\n", out[i].other->name, out[i].sections, out[i].relocs);
	kprintf("  depended on by %zu cells:\n", nin);
	for (size_t i = 0; i < nin; i++)
		kprintf("    %-14s %3zu edges, %4zu relocations\n", in[i].other->name, in[i].sections, in[i].relocs);
}

/* every cell: how many cells it depends on and how many depend on it */
static void
summary(bool dot)
{
	static struct tally out[64], in[64];
	struct cell_ns *nss[] = { cell_ns_kernel(), cell_ns_apps() };
	if (dot)
		kprintf("digraph cells {\n  node [shape=box];\n");
	else
		kprintf("%-14s %-8s %8s %10s %8s %10s\n", "cell", "ns", "uses", "(relocs)", "used by", "(relocs)");
	for (size_t k = 0; k < 2; k++) {
		for (struct cell *c = cell_ns_first(nss[k]); c; c = c->next) {
			size_t nout = 0, nin = 0, rout = 0, rin = 0;
			for (size_t i = 0; i < c->nsections; i++) {
				for (const struct cell_dep *d = c->sections[i].deps_out; d; d = d->next_out)
					add(out, &nout, d->to->cell, d->nrelocs);
				for (const struct cell_dep *d = c->sections[i].deps_in; d; d = d->next_in)
					add(in, &nin, d->from->cell, d->nrelocs);
			}
			for (size_t i = 0; i < nout; i++) {
				rout += out[i].relocs;
				if (dot)
					kprintf("  \"%s\" -> \"%s\";\n", c->name, out[i].other->name);
			}
			for (size_t i = 0; i < nin; i++)
				rin += in[i].relocs;
			if (!dot)
				kprintf("%-14s %-8s %8zu %10zu %8zu %10zu\n", c->name, cell_ns_name(nss[k]), nout, rout,
					nin, rin);
		}
	}
	if (dot)
		kprintf("}\n");
	else
		kprintf("(deps CELL|SYMBOL|SECTION for one in detail; --dot for Graphviz)\n");
}

int
main(int argc, char **argv)
{
	bool dot = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dot"))
			dot = true;
		else
			name = argv[i];
	}
	if (!name) {
		summary(dot);
		return 0;
	}
	struct cell *c = find_cell(name);
	if (c) {
		cell_deps(c, dot);
		return 0;
	}
	struct section *s = find_section(name);
	if (s) {
		section_deps(s);
		return 0;
	}
	kprintf("deps: no cell, symbol or section named %s\n", name);
	return 1;
}
