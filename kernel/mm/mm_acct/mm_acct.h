/*
 * mm_acct: accounting domains, so a memory check counts what one piece of
 * work allocated while other tasks allocate and free at the same time.
 *
 * A domain is a small number (1..MM_ACCT_MAX-1; 0 is "not counted"). Every
 * task carries one (inherited at spawn, task cell); the allocators ask
 * mm_acct_current() at allocation and record the domain in the object
 * (frames, pages, mapping descriptors; a heap object's tag byte in its slab
 * or its large region's header), and debit that recorded domain when the
 * object is freed, whoever frees it (a reaper freeing a test's exited task
 * debits the test). Heap slabs themselves and raw frames/pages (page
 * tables, descriptor pool) are infrastructure and never counted.
 *
 *   uint8_t d; mm_acct_open(&d);      a fresh domain, all counters zero
 *   ... run work with d as its tasks' domain ...
 *   mm_acct_read(d, c);               what is still outstanding
 *   mm_acct_close(d);                 reusable once its counters are zero
 *
 * A closed domain whose objects are still live (a leak) is not reused
 * until they are freed, so a late free never debits an unrelated domain.
 * State: the domain table (counters and open flags); plain values.
 */
#ifndef MM_ACCT_H
#define MM_ACCT_H

#include "base.h"

#define MM_ACCT_NONE 0
#define MM_ACCT_MAX 256

enum mm_acct_kind {
	ACCT_FRAMES,      /* RAM frames taken from the free/reserved pools */
	ACCT_PAGES,       /* virtual pages taken from the zones */
	ACCT_FRAME_OBJS,  /* live struct frames */
	ACCT_PAGE_OBJS,   /* live struct pages */
	ACCT_MAPPINGS,    /* live struct mapped_pages */
	ACCT_HEAP_BYTES,  /* heap bytes in live objects (class size) */
	ACCT_HEAP_OBJS,   /* live heap objects */
	ACCT_TASKS,       /* tasks not yet freed */
	ACCT_KINDS
};
/* the counter names, for reports ("frames", "heap bytes", ...) */
extern const char *const mm_acct_kind_name[ACCT_KINDS];

/* the domain allocations are charged to now: the current task's (the
 * task cell keeps it in this CPU's percpu slot, `acct`), or MM_ACCT_NONE
 * in interrupt context or before tasks exist. A few loads, interrupts
 * left as they are. */
uint8_t mm_acct_current(void);
/* between these, this CPU's allocations are charged to no domain: shared
 * metadata that outlives whoever happened to make it grow (the cell
 * manager's address index and symbol tables). Preemption is off inside. */
void mm_acct_shared_begin(void);
void mm_acct_shared_end(void);

/* add delta to domain d's counter k (no-op for MM_ACCT_NONE) */
void mm_acct_charge(uint8_t d, enum mm_acct_kind k, int64_t delta);

/* Settling: the memory cells keep some releases back for speed (the
 * pages and frames of a lazily unmapped range until every CPU has
 * flushed its TLB, the heap's cached large regions, the stack cell's kept stacks:
 * docs/memory.md).
 * mm_acct_settle() runs every settle hook, the last added first, so that what those hold is
 * given back and the counters read afterwards are exact; mm_acct_read,
 * frame_stats, page_stats and mm_usage call it first. Task context only
 * (a hook may wait for other CPUs). At most MM_ACCT_SETTLE_HOOKS. */
#define MM_ACCT_SETTLE_HOOKS 4
int mm_acct_add_settle_hook(void (*fn)(void)) __must_check;
void mm_acct_settle(void);

/* Sources: a cell that counts some charges in counters of its own (the
 * heap's per-CPU counts of its fast path, docs/memory.md) adds them to
 * out[] (indexed by enum mm_acct_kind) for domain d when asked; reads and
 * the check that a domain is empty before reuse include them. At most
 * MM_ACCT_SOURCES, added at boot; any context (it only reads memory). */
#define MM_ACCT_SOURCES 2
int mm_acct_add_source(void (*fn)(uint8_t d, int64_t out[ACCT_KINDS])) __must_check;

/* a fresh open domain in *d; E_BUSY if every domain is open or holds
 * objects still after a settle (task context: it may settle) */
int mm_acct_open(uint8_t *d) __must_check;
/* the counters of d, indexed by enum mm_acct_kind */
void mm_acct_read(uint8_t d, int64_t out[ACCT_KINDS]);
void mm_acct_close(uint8_t d);

#endif
