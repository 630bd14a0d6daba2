/*
 * ns: the CellNamespaces and their cells, with region bounds and sizes.
 * `ns -r` also walks each namespace's parents (recursive namespaces).
 * `ns -s CELL` lists one cell's sections at their run-time addresses, and
 * the gdb command that loads its symbols there (docs/debugging.md; the
 * gdb command theseus-load-cells does this for every cell).
 */
#include "cell_mgr.h"
#include "args.h"
#include "klibc.h"
#include "logger.h"

int main(int argc, char **argv);

static void
show(struct cell_ns *ns)
{
	struct cell_stats st;
	cell_stats(ns, &st);
	struct cell_ns *parent = cell_ns_parent(ns);
	kprintf("namespace %s (parent %s): %zu cells, %zu sections, %zu symbols\n", cell_ns_name(ns),
		parent ? cell_ns_name(parent) : "-", st.cells, st.sections, st.symbols);
	kprintf("  %-14s %-27s %-27s %-27s\n", "cell", "text", "rodata", "data");
	for (struct cell *c = cell_ns_first(ns); c; c = c->next) {
		kprintf("  %-14s", c->name);
		for (int r = 0; r < REGION_COUNT; r++) {
			if (c->size[r])
				kprintf(" %016lx %7lu B  ", c->start[r], c->size[r]);
			else
				kprintf(" %-27s", "-");
		}
		kprintf("%s\n", c->nano_core ? " [nano_core]" : c->is_app ? " [app]" : "");
	}
}

static int
show_sections(const char *name)
{
	struct cell_ns *all[] = { cell_ns_kernel(), cell_ns_apps() };
	struct cell *c = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(all) && !c; i++)
		c = cell_find(all[i], name);
	if (!c) {
		kprintf("ns: no loaded cell named '%s'\n", name);
		return 1;
	}
	kprintf("cell %s (namespace %s): %zu sections%s\n", c->name, cell_ns_name(c->ns), c->nsections,
		c->nano_core ? " [nano_core: linked into build/nano_core.elf]" : "");
	for (size_t i = 0; i < c->nsections; i++) {
		const struct section *s = &c->sections[i];
		kprintf("  %-40s %-8s %016lx %7lu B\n", s->name, section_kind_str(s->kind), s->addr, s->size);
	}
	if (c->nano_core)
		return 0;
	/* one line gdb accepts as is (its symbols at the run-time addresses) */
	kprintf("gdb: add-symbol-file build/cells/%s.o", c->name);
	for (size_t i = 0; i < c->nsections; i++)
		if (c->sections[i].size)
			kprintf(" -s %s %#lx", c->sections[i].name, c->sections[i].addr);
	kprintf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-s"))
		return show_sections(argv[2]);
	bool recursive = argc > 1 && !strcmp(argv[1], "-r");
	if (argc > 1 && !recursive && strcmp(argv[1], "-s"))
		return args_bad(argv, 1, "ns [-r] | ns -s CELL");
	if (argc > 2 && recursive)
		return args_bad(argv, 2, "ns [-r] | ns -s CELL");
	if (argc > 1 && !recursive) {
		kprintf("usage: ns [-r] | ns -s CELL\n");
		return ARGS_USAGE;
	}
	show(cell_ns_kernel());
	show(cell_ns_apps());
	if (recursive) {
		kprintf("lookup order:\n");
		struct cell_ns *all[] = { cell_ns_apps(), cell_ns_kernel() };
		for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
			kprintf("  %s", cell_ns_name(all[i]));
			for (struct cell_ns *p = cell_ns_parent(all[i]); p; p = cell_ns_parent(p))
				kprintf(" -> %s", cell_ns_name(p));
			kprintf("\n");
		}
	}
	return 0;
}
