/*
 * ns: the CellNamespaces and their cells, with region bounds and sizes.
 * `ns -r` also walks each namespace's parents (recursive namespaces).
 * `ns -s CELL` lists one cell's sections at their run-time addresses, and
 * the gdb command that loads its symbols there (docs/debugging.md; the
 * gdb command theseus-load-cells does this for every cell).
 * The namespace history (docs/evolution.md, "History"): `ns log [NS]`
 * lists the commits, `ns diff A B` what differs between two, `ns checkout
 * N` evolves the live system back or forward to what commit N ran,
 * `ns rollback N` rolls back a commit still on probation.
 */
#include "cell_mgr.h"
#include "args.h"
#include "klibc.h"
#include "logger.h"
#include "tsc.h"

int main(int argc, char **argv);

#define USAGE "ns [-r] | ns -s CELL | ns log [NS] | ns diff A B | ns checkout N | ns rollback N"

static struct cell_ns *
ns_named(const char *name)
{
	return cell_ns_find(name);
}

static void
show_cells(const char *sign, const struct commit_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kprintf("%s%s %016lx", i ? ", " : sign, c[i].name, c[i].hash);
}

static int
show_log(const char *nsname)
{
	struct cell_ns *ns = nsname ? ns_named(nsname) : NULL;
	if (nsname && !ns) {
		kprintf("ns: no namespace '%s' (`ns` lists them)\n", nsname);
		return 1;
	}
	static struct commit_info log[48];
	size_t n = cell_commits(ns, log, ARRAY_SIZE(log));
	if (!n)
		kprintf("no evolution yet%s%s\n", nsname ? " in " : "", nsname ? nsname : "");
	uint64_t now = tsc_ns();
	for (size_t i = 0; i < n; i++) {
		const struct commit_info *c = &log[i];
		kprintf("#%u %-6s %-18s %-12s %lu s ago, %zu cells, manifest %016lx", c->id, c->ns, c->label,
			commit_outcome_str(c->outcome), (uint64_t)((now - c->time_ns) / 1000000000u), c->ncells,
			c->manifest_hash);
		if (c->outcome == COMMIT_PROBATION)
			kprintf(" (%lu ms left)", c->probation_until > now ? (c->probation_until - now) / 1000000 : 0);
		kprintf("\n");
		if (c->nout) {
			show_cells("    - ", c->out, c->nout);
			kprintf("\n");
			show_cells("    + ", c->in, c->nin);
			kprintf("\n");
		}
		if (c->t.total)
			kprintf("    swap %lu us (pause %lu us)\n", c->t.total / 1000, c->t.pause / 1000);
		if (c->outcome == COMMIT_ROLLED_BACK)
			kprintf("    rolled back in %lu us (pause %lu us): %s\n", c->back.total / 1000,
				c->back.pause / 1000, c->note);
	}
	return 0;
}

static bool
commit_id(char **argv, int i, uint32_t *id)
{
	uint64_t v;
	if (*argv[i] == '#')
		argv[i]++;
	if (str_to_u64(argv[i], 10, UINT32_MAX, &v) || !v) {
		args_bad(argv, i, USAGE);
		return false;
	}
	*id = (uint32_t)v;
	return true;
}

static int
show_diff(char **argv)
{
	uint32_t a, b;
	if (!commit_id(argv, 2, &a) || !commit_id(argv, 3, &b))
		return ARGS_USAGE;
	static struct commit_cell from[64], to[64];
	size_t changes = 0;
	int err = cell_commit_diff(a, b, from, to, ARRAY_SIZE(from), &changes);
	if (err == E_NOENT || err == E_INVAL) {
		kprintf("ns: %s\n", err == E_NOENT ? "a commit named is not in the history (`ns log` lists them)"
						   : "the two commits are of different namespaces");
		return 1;
	}
	for (size_t i = 0; i < changes; i++) {
		if (!from[i].hash)
			kprintf("+ %-16s %016lx\n", to[i].name, to[i].hash);
		else if (!to[i].hash)
			kprintf("- %-16s %016lx\n", from[i].name, from[i].hash);
		else
			kprintf("~ %-16s %016lx -> %016lx\n", from[i].name, from[i].hash, to[i].hash);
	}
	if (err)
		kprintf("(more than %zu cells differ; the first shown)\n", changes);
	kprintf("#%u -> #%u: %zu cell(s) differ\n", a, b, changes);
	return 0;
}

static int
do_checkout(char **argv, bool rollback)
{
	uint32_t id;
	if (!commit_id(argv, 2, &id))
		return ARGS_USAGE;
	struct swap_times t = { 0 };
	struct cell_error why;
	int err = rollback ? cell_rollback(id, "by hand (ns rollback)", &t, &why) : cell_checkout(id, &t, &why);
	if (err) {
		kprintf("ns: %s\n", why.msg);
		return 1;
	}
	kprintf("%s #%u: commit #%u, %zu relocations rewritten, %zu data sections carried, %lu us (pause %lu us)\n",
		rollback ? "rolled back" : "checked out", id, t.commit, t.relocs, t.data_copied, t.total / 1000,
		t.pause / 1000);
	return 0;
}

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

/* a personality: which cells are its own (shadowing a namesake of its
 * parent) and how many it shares */
static void
show_personality(struct cell_ns *ns)
{
	struct cell_ns *parent = cell_ns_parent(ns);
	size_t own = 0, shadowing = 0, parent_cells = 0;
	kprintf("  personality %s: its own cells:", cell_ns_name(ns));
	for (struct cell *c = cell_ns_first(ns); c; c = c->next, own++) {
		struct cell *p = parent ? cell_find(parent, c->name) : NULL;
		shadowing += p != NULL;
		if (p)
			kprintf(" %s (object %016lx, instead of %s's %016lx)", c->name, c->obj_hash, cell_ns_name(parent),
				p->obj_hash);
		else
			kprintf(" %s (object %016lx)", c->name, c->obj_hash);
	}
	for (struct cell *c = parent ? cell_ns_first(parent) : NULL; c; c = c->next)
		parent_cells++;
	kprintf("\n  shared with %s: %zu cells\n", parent ? cell_ns_name(parent) : "-", parent_cells - shadowing);
}

static int
show_sections(const char *name)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock(); /* nothing unloaded under us */
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
	if (argc > 1 && !strcmp(argv[1], "log")) {
		if (argc > 3)
			return args_bad(argv, 3, USAGE);
		return show_log(argc == 3 ? argv[2] : NULL);
	}
	if (argc > 1 && !strcmp(argv[1], "diff")) {
		if (argc != 4) {
			kprintf("usage: %s\n", USAGE);
			return ARGS_USAGE;
		}
		return show_diff(argv);
	}
	if (argc > 1 && (!strcmp(argv[1], "checkout") || !strcmp(argv[1], "rollback"))) {
		if (argc != 3) {
			kprintf("usage: %s\n", USAGE);
			return ARGS_USAGE;
		}
		return do_checkout(argv, argv[1][0] == 'r');
	}
	bool recursive = argc > 1 && !strcmp(argv[1], "-r");
	if (argc > 1 && !recursive && strcmp(argv[1], "-s"))
		return args_bad(argv, 1, USAGE);
	if (argc > 2 && recursive)
		return args_bad(argv, 2, USAGE);
	if (argc > 1 && !recursive) {
		kprintf("usage: %s\n", USAGE);
		return ARGS_USAGE;
	}
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock(); /* nothing unloaded under us */
	struct cell_ns *all[8];
	size_t nall = cell_ns_list(all, ARRAY_SIZE(all));
	for (size_t i = 0; i < nall; i++) {
		show(all[i]);
		if (all[i] != cell_ns_kernel() && all[i] != cell_ns_apps())
			show_personality(all[i]);
	}
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
