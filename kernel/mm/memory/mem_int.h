/*
 * mem_int.h: the memory cell's internal interface between mapped_pages.c
 * and lazy_unmap.c (batched TLB shootdowns). Not for other cells.
 */
#ifndef MEM_INT_H
#define MEM_INT_H

#include "base.h"
#include "frame_alloc.h"
#include "page_alloc.h"

/* may an unmap of npages be lazy (else: flushed everywhere at once) */
bool mp_lazy_fits(size_t npages);
/* unmap [va, va+npages) on this CPU and keep pages and frames (consumed)
 * until one shootdown covers them; may flush a full batch first */
void mp_lazy_release(uint64_t va, size_t npages, struct pages *pages, struct frames *frames);
/* flush the batch on every CPU and release it (the settle hook) */
void mp_lazy_settle(void);

#endif
