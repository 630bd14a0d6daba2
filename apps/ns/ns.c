/*
 * ns: the CellNamespaces and their cells, with region bounds and sizes.
 * `ns -r` also walks each namespace's parents (recursive namespaces).
 */
#include "cell_mgr.h"
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

int
main(int argc, char **argv)
{
	bool recursive = argc > 1 && !strcmp(argv[1], "-r");
	if (argc > 1 && !recursive) {
		kprintf("usage: ns [-r]\n");
		return 2;
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
