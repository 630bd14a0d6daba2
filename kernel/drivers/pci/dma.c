/*
 * dma.c: DMA buffers - MappedPages on physically contiguous frames below a
 * device's addressing limit, zeroed. The frames belong to the mapping
 * until it is dropped (nothing in this kernel moves or pages out a mapped
 * frame), so mp_phys() stays valid for the device as long as the buffer
 * lives.
 * State: none.
 */
#include "pci.h"
#include "klibc.h"
#include "memory.h"

struct mapped_pages *
pci_dma_alloc(size_t bytes, uint64_t limit, int *err)
{
	if (!bytes || bytes > (16u << 20))
		return err_null(err, E_INVAL);
	size_t n = DIV_ROUND_UP(bytes, PAGE_SIZE);
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc_in(n, PAGE_SIZE, 0x100000, limit, err);
	if (!f)
		return NULL;
	_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, n, PAGE_SIZE, err);
	if (!p)
		return NULL;
	struct mapped_pages *mp = mp_map(&p, &f, MP_WRITE, err);
	if (mp)
		memset((void *)mp_start(mp), 0, n * PAGE_SIZE);
	return mp;
}
