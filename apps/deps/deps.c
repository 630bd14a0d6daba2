/*
 * deps: per-section dependencies of a cell (or of one section, named by a
 * symbol or a section name), in both directions; --dot prints a Graphviz
 * graph of the cell-level dependencies instead, actual and declared (each
 * cell's deps file, docs/cells.md): a declared edge the cell links through
 * is solid, declared but not linked dashed, linked but undeclared red
 * (the cell manager refuses those, so red means a bug). --check prints
 * the mismatches: undeclared edges (exit 1) and unused declarations.
 */
#include "cell_mgr.h"
#include "args.h"
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

static bool
in_tally(const struct tally *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].other->name, name))
			return true;
	return false;
}

/* c's actual edges (out[]) and its declared ones, in Graphviz */
static void
dot_edges(const struct cell *c, const struct tally *out, size_t nout, bool labels)
{
	for (size_t i = 0; i < nout; i++) {
		bool declared = cell_declares(c, out[i].other->name);
		if (labels)
			kprintf("  \"%s\" -> \"%s\" [label=\"%zu\"%s];\n", c->name, out[i].other->name,
				out[i].relocs, declared ? "" : ", color=red, fontcolor=red");
		else
			kprintf("  \"%s\" -> \"%s\"%s;\n", c->name, out[i].other->name,
				declared ? "" : " [color=red]");
	}
	const char *it = NULL, *d;
	while ((d = cell_declared_next(c, &it)))
		if (!in_tally(out, nout, d))
			kprintf("  \"%s\" -> \"%s\" [style=dashed];\n", c->name, d);
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
		dot_edges(c, out, nout, true);
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
			for (size_t i = 0; i < nout; i++)
				rout += out[i].relocs;
			if (dot)
				dot_edges(c, out, nout, false);
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
		kprintf("(deps CELL|SYMBOL|SECTION for one in detail; --dot for Graphviz; --check against the deps files)\n");
}

static void
print_undeclared(void *ctx, const struct section *from, const struct section *to)
{
	(void)ctx;
	kprintf("undeclared: cell %s uses cell %s (%s -> %s), which %s does not declare\n", from->cell->name,
		to->cell->name, from->name, to->name, from->cell->name);
}

/* actual edges against declarations, every loaded cell */
static int
check(void)
{
	static struct tally out[64];
	struct cell_ns *nss[] = { cell_ns_kernel(), cell_ns_apps() };
	size_t bad = 0, pairs = 0, unused = 0, cells = 0;
	for (size_t k = 0; k < 2; k++) {
		size_t p = 0;
		bad += cell_deps_verify(nss[k], print_undeclared, NULL, &p);
		pairs += p;
		for (struct cell *c = cell_ns_first(nss[k]); c; c = c->next) {
			size_t nout = 0;
			cells++;
			for (size_t i = 0; i < c->nsections; i++)
				for (const struct cell_dep *d = c->sections[i].deps_out; d; d = d->next_out)
					add(out, &nout, d->to->cell, d->nrelocs);
			const char *it = NULL, *d;
			while ((d = cell_declared_next(c, &it)))
				if (!in_tally(out, nout, d)) {
					/* headers only (types, inline functions), or a cell not loaded */
					kprintf("declared, not linked: %s -> %s\n", c->name, d);
					unused++;
				}
		}
	}
	kprintf("deps --check: %zu cells, %zu cell-to-cell edges, %zu undeclared, %zu declared but not linked\n",
		cells, pairs, bad, unused);
	return bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
	bool dot = false, chk = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dot") && !chk)
			dot = true;
		else if (!strcmp(argv[i], "--check") && !dot && !name && i == 1)
			chk = true;
		else if (argv[i][0] == '-' || name || chk)
			return args_bad(argv, i, "deps [CELL|SYMBOL|SECTION] [--dot] | deps --check");
		else
			name = argv[i];
	}
	/* held while the graph is walked and printed: no cell or edge is
	 * unloaded or reclaimed under us (a swap or reload waits) */
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	if (chk)
		return check();
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
