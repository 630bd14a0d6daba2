/*
 * heap: the kernel's one allocator interface (thesis 6.1: a single global
 * allocator, which may hold several heaps inside: here one per CPU). Size
 * classes from 16 to 2048 bytes come from 16 KiB slabs, each slab its own
 * MappedPages, through per-CPU magazines of free objects; larger requests
 * map pages directly (a few freed regions stay mapped for reuse).
 * docs/memory.md. Every region is 16 KiB-aligned with its header at the
 * start, so kfree finds the owner by masking the pointer. Each slab
 * records which CPU's heap owns it.
 * State: per-CPU heaps (slab lists, magazines, counters).
 */
#ifndef HEAP_H
#define HEAP_H

#include "base.h"

void kfree(void *p);
void *kmalloc(size_t n) __attribute__((malloc, malloc(kfree, 1), alloc_size(1), warn_unused_result));
void *kzalloc(size_t n) __attribute__((malloc, malloc(kfree, 1), alloc_size(1), warn_unused_result));
/* size usable at p (its size class) */
size_t kmalloc_usable_size(const void *p);

/* cleanup helper for any heap pointer: _cleanup_(kfreep) char *buf = ... */
static inline void kfreep(void *pp)
{
	void **p = pp;
	if (*p) {
		kfree(*p);
		*p = NULL;
	}
}

/* typed allocation: KNEW(struct foo) */
#define KNEW(T) ((T *)kzalloc(sizeof(T)))

void heap_init(void);
/* every CPU's free objects back to their slabs (magazines), every empty
 * slab and cached large region back to the page and frame allocators.
 * Task context; it waits about two timer periods for the other CPUs
 * (trim.c), and a CPU that stays in a preemption-off region or with
 * interrupts off for 200 ms keeps its magazines */
void heap_trim(void);

struct heap_stats {
	uint64_t bytes_in_use;  /* bytes in live objects (their class size) */
	uint64_t objects;       /* live objects */
	uint64_t slabs;         /* slabs mapped (incl. cached empty ones) */
	uint64_t large;         /* live large regions */
	uint64_t mapped_bytes;  /* bytes mapped by slabs and large regions */
	uint64_t allocs, frees; /* totals since boot */
	uint64_t mag_bytes;     /* free objects kept in CPUs' magazines (class sizes) */
};
void heap_stats(struct heap_stats *out);

#endif
