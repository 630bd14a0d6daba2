/*
 * tls.c: each task's thread-local block. Every task gets a copy of the
 * cells' TLS template (CELL_TLS_MAX bytes) with the thread pointer at its
 * end; the word at the thread pointer points to itself (the TCB, as the
 * x86_64 ABI expects). Switching to a task loads its thread pointer into
 * FS, so local-exec TLS (%fs:-offset) reaches the running task's copy.
 * When a cell with TLS is loaded later, its initial image is copied into
 * every existing task's block (tls_hook).
 * State: none beyond each task's block.
 */
#include "task.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "task_int.h"

#define BLOCK (CELL_TLS_MAX + 16)

int
task_tls_alloc(struct task *t)
{
	uint8_t *block = kmalloc(BLOCK);
	if (!block)
		return E_NOMEM;
	memcpy(block, cell_tls_template(), CELL_TLS_MAX);
	uint64_t *tp = (uint64_t *)(block + CELL_TLS_MAX);
	tp[0] = (uint64_t)(uintptr_t)tp;
	tp[1] = 0;
	t->tls = tp;
	return E_OK;
}

void
task_tls_switch(struct task *next)
{
	wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)next->tls);
}

void
task_tls_free(struct task *t)
{
	if (t->tls)
		kfree((uint8_t *)TAKE_PTR(t->tls) - CELL_TLS_MAX);
}

struct tls_patch {
	size_t off;
	const void *image;
	size_t len;
};

static void
tls_copy_into(struct task *t, void *ctx)
{
	const struct tls_patch *p = ctx;
	if (t->tls)
		memcpy((uint8_t *)t->tls - p->off, p->image, p->len);
}

/* a new cell's TLS image: give every existing task its copy */
void
task_tls_publish(size_t off, const void *image, size_t len)
{
	struct tls_patch p = { off, image, len };
	task_for_each(tls_copy_into, &p);
}
