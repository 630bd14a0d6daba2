/*
 * gen.c: the text of each file, from the live metadata.
 */
#include "sysview_int.h"
#include "cell_mgr.h"
#include "exceptions.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "task.h"

void
text_add(struct text *t, const char *fmt, ...)
{
	if (t->cut)
		return;
	va_list ap;
	va_start(ap, fmt);
	size_t room = t->cap - t->len;
	int n = vsnprintf(t->p + t->len, room, fmt, ap);
	va_end(ap);
	/* the text always keeps room for the mark: room > 5 */
	if (n < 0 || (size_t)n >= room - 5) {
		memcpy(t->p + t->len, "...\n", 5);
		t->len += 4;
		t->cut = true;
		return;
	}
	t->len += (size_t)n;
}

struct cell_ns *
sv_ns(uint64_t i)
{
	return i == 0 ? cell_ns_kernel() : i == 1 ? cell_ns_apps() : NULL;
}

static const char *const region_names[REGION_COUNT] = { "text", "rodata", "data" };

/* the cells c's sections link to (out) or are linked from (in) */
static void
cell_edges(struct text *t, const struct cell *c, bool out)
{
	enum { MAXC = 96 };
	const struct cell *seen[MAXC];
	size_t edges[MAXC], n = 0;
	for (size_t i = 0; i < c->nsections; i++)
		for (struct cell_dep *d = out ? c->sections[i].deps_out : c->sections[i].deps_in; d;
		     d = out ? d->next_out : d->next_in) {
			const struct cell *o = out ? d->to->cell : d->from->cell;
			size_t k = 0;
			while (k < n && seen[k] != o)
				k++;
			if (k == n && n < MAXC) {
				seen[n] = o;
				edges[n++] = 0;
			}
			if (k < n)
				edges[k]++;
		}
	text_add(t, "%s %zu cells:\n", out ? "depends on" : "depended on by", n);
	for (size_t k = 0; k < n; k++)
		text_add(t, "  %-16s %zu edges\n", seen[k]->name, edges[k]);
}

static int
gen_cell(const struct fs_node *n, struct text *t)
{
	struct cell_ns *ns = sv_ns(n->a);
	if (!ns)
		return E_NOENT;
	_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
	struct cell *c = cell_ns_first(ns);
	while (c && c->gen != n->b)
		c = c->next;
	if (!c || c->magic != CELL_MAGIC)
		return E_NOENT;
	text_add(t, "cell %s in namespace %s%s%s\n", c->name, cell_ns_name(ns), c->nano_core ? " (nano_core)" : "",
		 c->is_app ? " (application)" : "");
	for (int r = 0; r < REGION_COUNT; r++)
		text_add(t, "%-7s %#lx + %lu\n", region_names[r], c->start[r], c->size[r]);
	text_add(t, "object  %lu bytes, hash %016lx; loaded in %lu us; %u users, %u pins\n", c->obj_size,
		 c->obj_hash, c->load_ns / 1000, c->users, c->pins);
	text_add(t, "declared dependencies:");
	const char *it = NULL, *d;
	while ((d = cell_declared_next(c, &it)))
		text_add(t, " %s", d);
	text_add(t, "\n");
	cell_edges(t, c, true);
	cell_edges(t, c, false);
	text_add(t, "%zu sections:\n", c->nsections);
	for (size_t i = 0; i < c->nsections; i++) {
		const struct section *s = &c->sections[i];
		text_add(t, "  %-8s %#lx %6lu %s\n", section_kind_str(s->kind), s->addr, s->size, s->name);
	}
	return E_OK;
}

static int
gen_tasks(struct text *t)
{
	size_t cap = task_count() + 16;
	_cleanup_(kfreep) struct task_info *info = kmalloc(cap * sizeof(*info));
	if (!info)
		return E_NOMEM;
	size_t n = task_list(info, cap);
	if (n > cap)
		n = cap;
	text_add(t, "%5s %-16s %-9s %3s %3s %-16s %8s\n", "ID", "NAME", "STATE", "CPU", "PIN", "CELL", "RUN ms");
	for (size_t i = 0; i < n; i++) {
		char pin[8] = "-";
		if (info[i].pin >= 0)
			snprintf(pin, sizeof(pin), "%d", info[i].pin);
		text_add(t, "%5u %-16s %-9s %3d %3s %-16s %8lu\n", info[i].id, info[i].name,
			 info[i].idle ? "idle" : runstate_str(info[i].state), info[i].cpu, pin,
			 info[i].cell ? info[i].cell : "-", info[i].runtime_ns / 1000000);
	}
	return E_OK;
}

static int
gen_faults(struct text *t)
{
	enum { MAX = 64 };
	_cleanup_(kfreep) struct fault_record *r = kmalloc(MAX * sizeof(*r));
	if (!r)
		return E_NOMEM;
	size_t n = fault_log_read(r, MAX, 0);
	if (!n)
		text_add(t, "no faults\n");
	for (size_t i = 0; i < n; i++) {
		text_add(t, "#%lu %lu.%03lus CPU %u task %s (#%u): %s at %#lx in %s:%s", r[i].seq,
			 r[i].time_ns / 1000000000, r[i].time_ns / 1000000 % 1000, r[i].cpu, r[i].task, r[i].task_id,
			 exc_name(r[i].vector), r[i].rip, r[i].cell, r[i].section);
		if (r[i].vector == 14)
			text_add(t, ", address %#lx", r[i].cr2);
		if (r[i].vector == VEC_RECOVERY)
			text_add(t, "\n    -> %s\n", r[i].action);
		else
			text_add(t, "\n    %s -> %s\n", r[i].msg, r[i].action);
	}
	return E_OK;
}

static int
gen_namespaces(struct text *t)
{
	for (uint64_t i = 0; i < SV_NS_COUNT; i++) {
		struct cell_ns *ns = sv_ns(i), *p = cell_ns_parent(ns);
		struct cell_stats st;
		cell_stats(ns, &st);
		text_add(t, "%-8s parent %-8s %3zu cells %5zu sections %4zu symbols %5zu dependencies\n",
			 cell_ns_name(ns), p ? cell_ns_name(p) : "-", st.cells, st.sections, st.symbols, st.deps);
	}
	return E_OK;
}

static int
gen_mounts(struct text *t)
{
	_cleanup_(kfreep) struct vfs_mount_info *mi = kmalloc(VFS_MOUNTS * sizeof(*mi));
	if (!mi)
		return E_NOMEM;
	size_t n = vfs_mounts(mi, VFS_MOUNTS);
	for (size_t i = 0; i < n && i < VFS_MOUNTS; i++)
		text_add(t, "%-16s %-8s %-6s %u open%s\n", mi[i].path, mi[i].fstype, *mi[i].dev ? mi[i].dev : "-",
			 mi[i].open, mi[i].registered ? "" : " (type not registered)");
	return E_OK;
}

int
sv_generate(const struct fs_node *n, struct text *t)
{
	switch (n->id) {
	case SV_CELL: return gen_cell(n, t);
	case SV_TASKS: return gen_tasks(t);
	case SV_FAULTS: return gen_faults(t);
	case SV_NAMESPACES: return gen_namespaces(t);
	case SV_MOUNTS: return gen_mounts(t);
	default: return E_ISDIR;
	}
}
