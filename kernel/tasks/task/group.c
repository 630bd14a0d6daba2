/*
 * group.c: task groups - an owned set of spawned tasks. Dropping the group
 * joins every task and releases it, so no task outlives the scope that
 * spawned it unnoticed (structured concurrency), also when that scope is
 * left early or unwound.
 */
#include "task.h"
#include "cell_mgr.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"

int
task_group_spawn(struct task_group *g, const struct task_builder *b)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct task **a = kmalloc(cap * sizeof(*a));
		if (!a)
			return E_NOMEM;
		if (g->n)
			memcpy(a, g->tasks, g->n * sizeof(*a));
		kfree(g->tasks);
		g->tasks = a;
		g->cap = cap;
	}
	int err;
	_cleanup_(task_unref_p) struct task *t = task_spawn(b, &err);
	if (!t)
		return err;
	/* the group owns it now; GCC 12's analyzer does not follow a pointer
	 * stored into a heap array reached through a parameter, and reports a
	 * leak here that is not one (task_group_drop releases it) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
	g->tasks[g->n++] = TAKE_PTR(t);
	return E_OK;
}
#pragma GCC diagnostic pop

int
task_group_join(struct task_group *g, uint64_t *results)
{
	int first = E_OK;
	for (size_t i = 0; i < g->n; i++) {
		uint64_t v = 0;
		int e = task_join(g->tasks[i], &v);
		if (results)
			results[i] = v;
		if (e && !first)
			first = e;
	}
	return first;
}

void
task_group_drop(struct task_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		int e = task_join(g->tasks[i], NULL);
		(void)e; /* how it ended is the joiner's business, not the drop's */
		task_unref(g->tasks[i]);
	}
	kfree(g->tasks);
	g->tasks = NULL;
	g->n = g->cap = 0;
}

/* a system task that lives on its own (no reference kept) */
int
task_spawn_detached(const struct task_builder *b)
{
	int err = E_OK;
	_cleanup_(task_unref_p) struct task *t = task_spawn(b, &err);
	return t ? E_OK : err;
}

/* (here, not beside task_spawn: gcc 12's analyzer, following the call
 * into task_spawn in the same file, reports the returned task as leaked) */
struct task *
task_spawn_in(struct cell_ns *ns, const char *entry, uint64_t arg, const char *name, int *err)
{
	struct section *s = ns && entry ? cell_sym_section(ns, entry) : NULL;
	if (!s || s->kind != SEC_TEXT) {
		err_set(err, E_NOENT);
		return NULL;
	}
	struct task_builder b = { .entry = (uint64_t (*)(uint64_t))(uintptr_t)cell_sym_addr(ns, entry),
				  .arg = arg, .name = name, .ns = ns, .pin = -1 };
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, err);
	return TAKE_PTR(t);
}
