/*
 * frame_alloc: physical frames. Allocations are owned `struct frames`
 * objects (a contiguous run); dropping one returns its frames. A frame is
 * handed out at most once, which is what keeps the virtual-to-physical
 * mapping bijective (thesis M.1).
 *
 * Three pools: general RAM; reserved RAM (below 1 MiB, boot modules, boot
 * info), handed out only by address; device memory (anything not in the
 * memory map), handed out by address and tracked so it is owned once.
 * State: the pools and counters. They describe the hardware, not any
 * client, so they are not state spill.
 */
#ifndef FRAME_ALLOC_H
#define FRAME_ALLOC_H

#include "base.h"

struct boot_info;
struct frames;

void frames_drop(struct frames *f);
DEFINE_DROP(struct frames, frames_drop)

struct frames *frames_alloc(size_t count, int *err) OWNED_BY(frames_drop);
/* `align` in bytes (power of two), result inside [lo, hi) */
struct frames *frames_alloc_in(size_t count, uint64_t align, uint64_t lo, uint64_t hi,
			       int *err) OWNED_BY(frames_drop);
/* exactly [phys, phys + count frames): E_BUSY if any of it is taken */
struct frames *frames_alloc_at(uint64_t phys, size_t count, int *err) OWNED_BY(frames_drop);

uint64_t frames_phys(const struct frames *f);
/* move f's charge to accounting domain acct (mm_acct) */
void frames_set_acct(struct frames *f, uint8_t acct);
size_t frames_count(const struct frames *f);

/* Raw runs without an object, for the memory cells' own metadata (page
 * tables, the descriptor pool), which cannot depend on descriptors. */
int frame_alloc_raw(size_t count, uint64_t *phys) __must_check;
void frame_free_raw(uint64_t phys, size_t count);

/* Boot: build the pools from the memory map, keeping the kernel image,
 * the boot information and the modules out of general use. */
int frame_alloc_init(const struct boot_info *bi, uint64_t kernel_start,
		     uint64_t kernel_end) __must_check;

struct frame_stats {
	uint64_t ram;          /* usable RAM frames in the memory map */
	uint64_t free;         /* general frames free */
	uint64_t reserved_free;/* reserved frames not handed out */
	uint64_t raw;          /* frames held raw (tables, descriptor pool) */
	uint64_t objects;      /* live struct frames */
	uint64_t device;       /* device frames owned */
};
void frame_stats(struct frame_stats *out);
/* print the pools */
void frame_dump(void);

#endif
