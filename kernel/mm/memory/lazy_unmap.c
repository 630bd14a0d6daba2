/*
 * lazy_unmap.c: batched, asynchronous TLB shootdowns for mp_drop
 * (docs/memory.md).
 *
 * In one address space every CPU may hold any translation, so an unmap
 * used to interrupt every other CPU and wait until each had flushed:
 * under emulation, where a halted virtual CPU must first be scheduled on
 * the host, that wait was most of a 4 KiB map+write+unmap. Now mp_drop
 * of a small mapping clears its entries and flushes this CPU only, and
 * hands its pages and frames to a batch here. They stay owned - nothing
 * can be mapped at those addresses or into those frames - until a full
 * flush of every CPU started after the unmap has completed; only then do
 * they go back to the allocators. A stale translation on another CPU can
 * thus only reach memory still held here, never someone else's.
 *
 * A full batch (LAZY_RANGES ranges or LAZY_PAGES pages) is sealed: one
 * asynchronous full flush is started for it (pt_flush_all_start: an IPI
 * to each CPU that has not flushed since, no waiting) and the next batch
 * of the ring opens. A sealed batch is released when its flush is seen
 * done, at the latest when the ring comes round to it again. Tables left
 * empty by lazy unmaps stay (a CPU may cache a pointer to a table) until
 * mp_lazy_settle, which seals and waits for every batch, then frees them
 * behind one synchronous flush: counter readers and frame shortages call
 * it (mm_acct_settle), so figures and per-test memory checks stay exact.
 * State: the batches (each range in one is unmapped and still owned,
 * dropped after the flush; nothing else refers to them) and the 2 MiB
 * blocks whose tables may have emptied.
 */
#include "memory.h"
#include "mem_int.h"
#include "base.h"
#include "cpu.h"
#include "mm_acct.h"
#include "page_table.h"

#define LAZY_BATCHES 16
#define LAZY_RANGES 64   /* ranges per batch */
#define LAZY_PAGES 256   /* pages per batch, at most (1 MiB) */
#define LAZY_BLOCKS 64   /* 2 MiB blocks remembered for table reclaim */
#define BLOCK (2UL << 20)

enum bstate { B_OPEN, B_SEALED, B_BUSY };

struct waiting {
	struct pages *pages;
	struct frames *frames;
};

struct batch {
	int state;        /* enum bstate; B_BUSY: one CPU releases it, unlocked */
	uint64_t ticket;  /* B_SEALED: its flush */
	size_t n, npages;
	struct waiting w[LAZY_RANGES];
};

/* guarded by lock, held only to change the ring: never while waiting */
static struct spinlock lock = SPINLOCK_INIT;
static struct batch ring[LAZY_BATCHES];
static unsigned open_idx;               /* ring[open_idx] takes new ranges */
static uint64_t blocks[LAZY_BLOCKS];    /* maybe-empty tables' blocks */
static size_t nblocks;

/* one settle at a time (it reclaims tables after every batch is out) */
static struct spinlock settle_lock = SPINLOCK_INIT;

static void
note_block(uint64_t va, size_t npages)
{
	uint64_t end = va + npages * PAGE_SIZE;
	for (uint64_t b = ALIGN_DOWN(va, BLOCK); b < end; b += BLOCK) {
		size_t i = 0;
		while (i < nblocks && blocks[i] != b)
			i++;
		if (i == nblocks && nblocks < LAZY_BLOCKS)
			blocks[nblocks++] = b;
		/* (beyond LAZY_BLOCKS the table stays until an unmap in its
		 * block frees it: page tables are never counted as lost) */
	}
}

/* seal the open batch if it holds anything (lock held) */
static void
seal_open(void)
{
	struct batch *b = &ring[open_idx];
	if (b->state != B_OPEN || !b->n)
		return;
	b->ticket = pt_flush_all_start();
	b->state = B_SEALED;
	open_idx = (open_idx + 1) % LAZY_BATCHES;
}

/* b is B_BUSY (ours): wait for its flush, give its ranges back, reopen it */
static void
release(struct batch *b)
{
	pt_flush_wait(b->ticket);
	/* commit: no CPU holds a translation into these any more */
	for (size_t i = 0; i < b->n; i++) {
		frames_drop(TAKE_PTR(b->w[i].frames));
		pages_drop(TAKE_PTR(b->w[i].pages));
	}
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	b->n = b->npages = 0;
	b->state = B_OPEN;
	spin_guard_drop(&held);
}

/* take sealed batch i for release if its flush is done, or if wait; lock
 * held; true if the caller must now release(&ring[i]) */
static bool
take_sealed(unsigned i, bool wait)
{
	struct batch *b = &ring[i];
	if (b->state != B_SEALED || (!wait && !pt_flush_done(b->ticket)))
		return false;
	b->state = B_BUSY;
	return true;
}

bool
mp_lazy_fits(size_t npages)
{
	return npages <= LAZY_PAGES / 8;
}

void
mp_lazy_release(uint64_t va, size_t npages, struct pages *pages, struct frames *frames)
{
	pt_unmap_range_local(va, npages);
	for (;;) {
		_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
		struct batch *b = &ring[open_idx];
		if (b->state == B_OPEN && b->n < LAZY_RANGES && b->npages + npages <= LAZY_PAGES) {
			b->w[b->n++] = (struct waiting){ pages, frames };
			b->npages += npages;
			note_block(va, npages);
			/* the oldest sealed batch goes back once its flush is done */
			unsigned next = (open_idx + 1) % LAZY_BATCHES;
			bool mine = take_sealed(next, false);
			spin_guard_drop(&held);
			if (mine)
				release(&ring[next]);
			return;
		}
		if (b->state == B_OPEN)
			seal_open(); /* full: its flush starts, the next one opens */
		unsigned i = open_idx;
		bool mine = take_sealed(i, true); /* the ring came round to it */
		spin_guard_drop(&held);
		if (mine)
			release(&ring[i]);
		else
			pt_wait_step(); /* another CPU is releasing it */
	}
}

void
mp_lazy_settle(void)
{
	preempt_count_inc();
	/* a settle in progress may wait for this CPU: serve while waiting */
	while (!spin_trylock_raw(&settle_lock))
		pt_wait_step();
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	seal_open();
	spin_guard_drop(&held);
	/* every batch sealed so far, by anyone, released */
	for (unsigned i = 0; i < LAZY_BATCHES; i++) {
		for (;;) {
			held = spin_guard_irq(&lock);
			int st = ring[i].state;
			bool mine = take_sealed(i, true);
			spin_guard_drop(&held);
			if (mine)
				release(&ring[i]);
			if (st != B_BUSY || mine)
				break;
			pt_wait_step(); /* released by another CPU right now */
		}
	}
	/* tables lazy unmaps left empty (pt_reclaim_blocks flushes first) */
	static uint64_t mine[LAZY_BLOCKS]; /* guarded by settle_lock */
	held = spin_guard_irq(&lock);
	size_t n = nblocks;
	for (size_t i = 0; i < n; i++)
		mine[i] = blocks[i];
	nblocks = 0;
	spin_guard_drop(&held);
	if (n)
		pt_reclaim_blocks(mine, n);
	spin_unlock_raw(&settle_lock);
	preempt_count_dec();
}
