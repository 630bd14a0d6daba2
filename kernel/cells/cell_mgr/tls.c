/*
 * tls.c: the static TLS layout shared by all cells (x86_64 variant II:
 * thread-local data sits below the thread pointer). Each cell with
 * .tdata/.tbss gets a range [-off, -off+size) below the thread pointer; the
 * template holds every cell's initial image at those offsets. Cells use
 * local-exec TLS (R_X86_64_TPOFF32), resolved at load time to fixed
 * offsets. The task cell gives every task a copy of the template and is
 * told (hook) when a newly loaded cell adds to it.
 * State: the template and the bump offset (the loader changes them holding
 * the writer lock, sync.c, so marks and resets of two batches never
 * interleave). Space is not reused after a cell is unloaded (documented limit: CELL_TLS_MAX bytes in all).
 */
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "base.h"
#include "klibc.h"

static uint8_t template_[CELL_TLS_MAX] __aligned(64);
static size_t used;
static void (*hook)(size_t off, const void *image, size_t len);

size_t
cell_tls_mark(void)
{
	return used;
}

void
cell_tls_reset(size_t mark)
{
	if (mark < used)
		memset(template_ + CELL_TLS_MAX - used, 0, used - mark);
	used = mark;
}

int
cell_tls_reserve(size_t size, size_t align, size_t *off)
{
	if (align < 1)
		align = 1;
	size_t o = ALIGN_UP(used + size, align);
	if (o > CELL_TLS_MAX || align > 64)
		return E_NOSPC;
	used = o;
	*off = o;
	return E_OK;
}

uint8_t *
cell_tls_at(int64_t tp_offset)
{
	return template_ + CELL_TLS_MAX + tp_offset;
}

const uint8_t *
cell_tls_template(void)
{
	return template_;
}

void
cell_set_tls_hook(void (*h)(size_t off, const void *image, size_t len))
{
	cell_pin_addr((const void *)h);
	hook = h;
}

void
cell_tls_published(size_t off, size_t len)
{
	if (hook && len)
		hook(off, template_ + CELL_TLS_MAX - off, len);
}
