/*
 * declared.c: declared dependencies at run time (docs/cells.md, "Declared
 * dependencies"). The build adds a .cell_deps section to every cell object
 * (its own name, then the cells its `deps` file declares, NUL-terminated);
 * the loader keeps a pointer to it in the cell (module cells: their
 * rodata; nano_core cells: bracketed by __cell_<name>_deps_start/_end).
 * The loader and swap refuse an edge to an undeclared cell before they
 * commit; cell_deps_verify compares every loaded cell's edges with its
 * declarations afterwards (tests, `deps --check`).
 *
 * State: none of its own; the declarations are the cells' read-only data.
 */
#include "cell_mgr_int.h"
#include "base.h"
#include "klibc.h"

const char *
cell_declared_next(const struct cell *c, const char **it)
{
	if (!c->deps || !c->deps_size)
		return NULL;
	const char *end = c->deps + c->deps_size;
	const char *p = *it ? *it + strnlen(*it, (size_t)(end - *it)) + 1
			    : c->deps + strnlen(c->deps, c->deps_size) + 1; /* skip own name */
	if (p >= end || !*p)
		return NULL;
	size_t n = strnlen(p, (size_t)(end - p));
	if (p + n >= end)
		return NULL; /* not terminated: malformed, declares nothing more */
	*it = p;
	return p;
}

bool
cell_declares(const struct cell *c, const char *name)
{
	const char *it = NULL, *d;
	while ((d = cell_declared_next(c, &it)))
		if (!strcmp(d, name))
			return true;
	return false;
}

size_t
cell_deps_verify(struct cell_ns *ns, cell_undeclared_fn fn, void *ctx, size_t *pairs)
{
	size_t bad = 0, npairs = 0;
	for (struct cell *c = cell_ns_first(ns); c; c = c->next) {
		/* distinct target cells of c: count each pair once */
		for (size_t i = 0; i < c->nsections; i++)
			for (const struct cell_dep *d = c->sections[i].deps_out; d; d = d->next_out) {
				const struct cell *t = d->to->cell;
				if (t == c)
					continue;
				bool seen = false;
				for (size_t k = 0; k <= i && !seen; k++)
					for (const struct cell_dep *e = c->sections[k].deps_out; e && !seen;
					     e = e->next_out) {
						if (e == d)
							break;
						seen = e->to->cell == t;
					}
				if (!seen)
					npairs++;
				if (!cell_declares(c, t->name)) {
					bad++;
					if (fn)
						fn(ctx, d->from, d->to);
				}
			}
	}
	if (pairs)
		*pairs = npairs;
	return bad;
}

EXPORT_APP(cell_declares);
EXPORT_APP(cell_declared_next);
EXPORT_APP(cell_deps_verify);
