/*
 * mm_desc: fixed-size (64-byte) descriptor objects for the memory
 * subsystem's own owned types (struct frames, struct pages, struct
 * mapped_pages). They cannot come from the heap, because the heap is built
 * from MappedPages. A static bootstrap pool serves boot; afterwards the pool
 * grows a page at a time through a hook the memory cell installs (raw
 * frames + raw pages, no descriptors, so no recursion). It never shrinks;
 * its pages are counted so memory checks can tell growth from leaks.
 * State: the free list and counters.
 */
#ifndef MM_DESC_H
#define MM_DESC_H

#include "base.h"

#define MM_DESC_SIZE 64

/* zeroed descriptor, or NULL when the pool cannot grow */
void *mm_desc_alloc(void);
void mm_desc_free(void *d);
/* grow hook: map one fresh page and return its address (0 on failure) */
void mm_desc_set_grow(uintptr_t (*grow)(void));

struct mm_desc_stats {
	uint64_t live, free, pages;
};
void mm_desc_stats(struct mm_desc_stats *out);

#endif
