/*
 * page_table: the one active 4-level page table, edited through the
 * recursive P4 slot. This is the raw layer under MappedPages; nothing but
 * the memory cells calls it (MappedPages is the one way to map memory).
 * Intermediate tables are allocated on demand and freed again when their
 * last entry is cleared, so unmapping returns every frame.
 * State: the page tables themselves (hardware-defined), a lock, counters.
 */
#ifndef PAGE_TABLE_H
#define PAGE_TABLE_H

#include "base.h"
#include "pt_index.h"

/* map one 4 KiB page; E_EXIST if already mapped, E_NOMEM for tables */
int pt_map_page(uint64_t va, uint64_t phys, uint64_t pte_flags) __must_check;
/* unmap [va, va+n pages), flush, and free tables left empty */
void pt_unmap_range(uint64_t va, size_t npages);
/* change the flags of a mapped range */
int pt_protect_range(uint64_t va, size_t npages, uint64_t pte_flags) __must_check;
/* translate; false if unmapped. Follows huge pages. */
bool pt_translate(uint64_t va, uint64_t *phys, uint64_t *pte_flags);
/* frames currently used by intermediate page tables created at run time */
uint64_t pt_table_frames(void);

/* TLB invalidation of [va, va+n pages) on every CPU. Local until the SMP
 * cell installs its shootdown through pt_set_flush_hook(). */
void pt_flush(uint64_t va, size_t npages);
void pt_set_flush_hook(void (*hook)(uint64_t va, size_t npages));
/* called while spinning for the page-table lock (serve TLB shootdowns) */
void pt_set_wait_hook(void (*hook)(void));

#endif
