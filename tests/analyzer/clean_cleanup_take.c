/*
 * Correct ownership: every owned object is held by a _cleanup_ variable
 * and moved out with TAKE_PTR (or consumed by mp_map) on success, so every
 * early return drops exactly what was allocated so far.
 */
/* expect: clean */
#include "heap.h"
#include "memory.h"
#include "stack.h"

struct mapped_pages *
map_fresh(size_t n, int *err)
{
	_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, n, PAGE_SIZE, err);
	if (!p)
		return NULL;
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc(n, err);
	if (!f)
		return NULL;
	/* consumes p and f on success, leaves them to the cleanups on error */
	return mp_map(&p, &f, MP_WRITE, err);
}

struct task {
	struct stack *stack;
	char *name;
	size_t len;
};

struct task *
task_new(const char *name, size_t len, int *err)
{
	_cleanup_(kfreep) struct task *t = KNEW(struct task);
	if (!t)
		return NULL;
	_cleanup_(kfreep) char *copy = kmalloc(len + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < len; i++)
		copy[i] = name[i];
	copy[len] = 0;
	_cleanup_(stack_drop_p) struct stack *s = stack_alloc(4, copy, err);
	if (!s)
		return NULL;
	/* commit: nothing below fails */
	t->stack = TAKE_PTR(s);
	t->name = TAKE_PTR(copy);
	t->len = len;
	return TAKE_PTR(t);
}

void
task_drop(struct task *t)
{
	if (!t)
		return;
	stack_drop(TAKE_PTR(t->stack));
	kfree(TAKE_PTR(t->name));
	kfree(t);
}
