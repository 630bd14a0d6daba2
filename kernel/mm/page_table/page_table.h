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
/* Lazy unmap (docs/memory.md): clear the entries of [va, va+n pages) and
 * flush this CPU's TLB only; other CPUs may still hold the translations
 * and the tables stay, so the caller must keep the range and its frames
 * unused until a full flush started after this call is done. */
void pt_unmap_range_local(uint64_t va, size_t npages);
/* a full TLB flush of every CPU, asynchronous: returns a ticket at once;
 * done once every online CPU has flushed its whole TLB after the call */
uint64_t pt_flush_all_start(void);
bool pt_flush_done(uint64_t ticket);
void pt_flush_wait(uint64_t ticket);
void pt_set_async_flush_hooks(uint64_t (*start)(void), bool (*done)(uint64_t ticket));
/* free the tables left empty in the 2 MiB blocks starting at blocks[i]
 * (after lazy unmaps), behind one synchronous flush of every CPU */
void pt_reclaim_blocks(const uint64_t *blocks, size_t n);
/* spin-wait step for locks a shootdown initiator may hold: serves a
 * shootdown addressed to this CPU (interrupts may be off) */
void pt_wait_step(void);
/* change the flags of a mapped range */
int pt_protect_range(uint64_t va, size_t npages, uint64_t pte_flags) __must_check;
/* translate; false if unmapped. Follows huge pages. */
bool pt_translate(uint64_t va, uint64_t *phys, uint64_t *pte_flags);
/* frames currently used by intermediate page tables created at run time */
uint64_t pt_table_frames(void);

/* TLB invalidation of [va, va+n pages) on every CPU (npages ==
 * PT_FLUSH_ALL: the whole TLB). Local until the SMP cell installs its
 * shootdown through pt_set_flush_hook(). */
#define PT_FLUSH_ALL SIZE_MAX
void pt_flush(uint64_t va, size_t npages);
void pt_set_flush_hook(void (*hook)(uint64_t va, size_t npages));
/* called while spinning for the page-table lock (serve TLB shootdowns) */
void pt_set_wait_hook(void (*hook)(void));

#endif
