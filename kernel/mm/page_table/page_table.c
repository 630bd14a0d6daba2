/*
 * page_table.c: map/unmap/protect through the recursive mapping.
 * Lock order: pt_lock, then the frame allocator's lock (for tables).
 */
#include "cell_mgr.h"
#include "page_table.h"
#include "cpu.h"
#include "base.h"
#include "frame_alloc.h"
#include "klibc.h"

/*
 * pt_lock is taken with preemption off but interrupts on: an unmap waits for
 * other CPUs to acknowledge a TLB shootdown IPI, and a CPU spinning here
 * must still be able to take that IPI. No interrupt handler maps memory.
 */
static void (*wait_hook)(void);

void
pt_wait_step(void)
{
	if (wait_hook)
		wait_hook();
	cpu_relax();
}

static bool
pt_lock_take(struct spinlock *l)
{
	preempt_count_inc();
	/* the holder may be waiting for this CPU to flush its TLB, and this
	 * CPU may have interrupts off: serve shootdowns while waiting */
	while (!spin_trylock_raw(l))
		pt_wait_step();
	return false;
}

void
pt_set_wait_hook(void (*hook)(void))
{
	cell_unpin_addr((const void *)wait_hook);
	wait_hook = hook;
	cell_pin_addr((const void *)hook);
}

static void
pt_lock_drop(struct spinlock *l, bool unused)
{
	(void)unused;
	spin_unlock_raw(l);
	preempt_count_dec();
}

static struct spinlock pt_lock = SPINLOCK_INIT;
static uint64_t table_frames; /* guarded by pt_lock */
static void (*flush_hook)(uint64_t va, size_t npages);

static inline uint64_t *
entry_ptr(uint64_t va, int level)
{
	return (uint64_t *)(uintptr_t)pt_table_va(va, level) + pt_index(va, level);
}

void
pt_set_flush_hook(void (*hook)(uint64_t va, size_t npages))
{
	cell_unpin_addr((const void *)flush_hook);
	flush_hook = hook;
	cell_pin_addr((const void *)hook);
}

void
pt_flush(uint64_t va, size_t npages)
{
	if (flush_hook) {
		flush_hook(va, npages);
		return;
	}
	if (npages > 64) {
		write_cr3(read_cr3()); /* the whole TLB (PT_FLUSH_ALL) */
		return;
	}
	for (size_t i = 0; i < npages; i++)
		invlpg(va + i * PAGE_SIZE);
}

/* make sure the level-`level` table covering va exists (level 3..1) */
static int
ensure_table(uint64_t va, int level)
{
	uint64_t *parent = entry_ptr(va, level + 1);

	if (*parent & PTE_PRESENT)
		return (*parent & PTE_HUGE) ? E_EXIST : E_OK;
	uint64_t phys;
	int err = frame_alloc_raw(1, &phys);
	if (err)
		return err;
	*parent = phys | PTE_PRESENT | PTE_WRITE;
	uint64_t tva = pt_table_va(va, level);
	invlpg(tva);
	memset((void *)(uintptr_t)tva, 0, PAGE_SIZE);
	table_frames++;
	return E_OK;
}

int
pt_map_page(uint64_t va, uint64_t phys, uint64_t flags)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(phys, PAGE_SIZE) || !pt_is_canonical(va))
		return E_ALIGN;
	bool irq = pt_lock_take(&pt_lock);
	int err = E_OK;
	for (int level = 3; level >= 1 && !err; level--)
		err = ensure_table(va, level);
	if (!err) {
		uint64_t *pte = entry_ptr(va, 1);
		if (*pte & PTE_PRESENT)
			err = E_EXIST;
		else
			*pte = phys | flags | PTE_PRESENT;
	}
	pt_lock_drop(&pt_lock, irq);
	/* a failed map may leave an empty intermediate table: reclaim it */
	if (err && err != E_EXIST)
		pt_unmap_range(va, 0);
	return err;
}

static bool
table_empty(const uint64_t *t)
{
	for (int i = 0; i < PT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/* Tables freed by pt_reclaim_blocks wait here (guarded by pt_lock) for the one
 * flush that covers them all: another CPU may cache a pointer to a
 * table (paging-structure caches) until it has flushed. */
#define SYNC_TABLES 64
static uint64_t sync_tables[SYNC_TABLES];
static size_t sync_ntables;

static void
free_synced_tables(void)
{
	pt_flush(0, PT_FLUSH_ALL);
	for (size_t i = 0; i < sync_ntables; i++)
		frame_free_raw(sync_tables[i], 1);
	table_frames -= sync_ntables;
	sync_ntables = 0;
}

/* free the level-`level` table covering va if it is empty (levels 1, 2;
 * level-3 tables are permanent so no P4 entry ever changes); batched:
 * into sync_tables, freed after pt_reclaim_blocks's one flush */
static void
reclaim_table(uint64_t va, int level, bool batched)
{
	uint64_t *parent = entry_ptr(va, level + 1);

	if (!(*parent & PTE_PRESENT) || (*parent & PTE_HUGE))
		return;
	uint64_t tva = pt_table_va(va, level);
	if (!table_empty((const uint64_t *)(uintptr_t)tva))
		return;
	uint64_t phys = *parent & PTE_ADDR_MASK;
	*parent = 0;
	if (batched) {
		invlpg(tva); /* this CPU's view of the recursive slot */
		if (sync_ntables == SYNC_TABLES)
			free_synced_tables();
		sync_tables[sync_ntables++] = phys;
		return;
	}
	pt_flush(tva, 1);
	frame_free_raw(phys, 1);
	table_frames--;
}

/* clear the entries of [va, va+n pages) (pt_lock held) */
static void
clear_range(uint64_t va, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t a = va + i * PAGE_SIZE;
		if (!(*entry_ptr(a, 4) & PTE_PRESENT) || !(*entry_ptr(a, 3) & PTE_PRESENT) ||
		    !(*entry_ptr(a, 2) & PTE_PRESENT) || (*entry_ptr(a, 2) & PTE_HUGE))
			continue;
		*entry_ptr(a, 1) = 0;
	}
}

/* reclaim the tables of every 2 MiB block [va, va+n pages) touches (at
 * least the one holding va) that are left empty (pt_lock held) */
static void
reclaim_blocks(uint64_t va, size_t npages, bool batched)
{
	uint64_t end = va + (npages ? npages : 1) * PAGE_SIZE;
	for (uint64_t b = ALIGN_DOWN(va, pt_entry_span(2)); b < end; b += pt_entry_span(2)) {
		if (!(*entry_ptr(b, 4) & PTE_PRESENT) || !(*entry_ptr(b, 3) & PTE_PRESENT))
			continue;
		reclaim_table(b, 1, batched);
		reclaim_table(b, 2, batched);
	}
}

void
pt_unmap_range(uint64_t va, size_t npages)
{
	bool irq = pt_lock_take(&pt_lock);
	clear_range(va, npages);
	pt_flush(va, npages);
	reclaim_blocks(va, npages, false);
	pt_lock_drop(&pt_lock, irq);
}

void
pt_unmap_range_local(uint64_t va, size_t npages)
{
	bool irq = pt_lock_take(&pt_lock);
	clear_range(va, npages);
	if (npages > 64)
		write_cr3(read_cr3());
	else
		for (size_t i = 0; i < npages; i++)
			invlpg(va + i * PAGE_SIZE);
	pt_lock_drop(&pt_lock, irq);
}

void
pt_reclaim_blocks(const uint64_t *blocks, size_t n)
{
	bool irq = pt_lock_take(&pt_lock);
	for (size_t i = 0; i < n; i++)
		reclaim_blocks(blocks[i], 1, true);
	/* one flush of every CPU's TLB covers every table freed */
	free_synced_tables();
	pt_lock_drop(&pt_lock, irq);
}

static uint64_t (*async_start)(void);
static bool (*async_done)(uint64_t ticket);

void
pt_set_async_flush_hooks(uint64_t (*start)(void), bool (*done)(uint64_t ticket))
{
	cell_unpin_addr((const void *)async_start);
	cell_unpin_addr((const void *)async_done);
	async_start = start;
	async_done = done;
	cell_pin_addr((const void *)start);
	cell_pin_addr((const void *)done);
}

uint64_t
pt_flush_all_start(void)
{
	if (async_start)
		return async_start();
	write_cr3(read_cr3()); /* one CPU: done at once */
	return 0;
}

bool
pt_flush_done(uint64_t ticket)
{
	return !async_done || async_done(ticket);
}

void
pt_flush_wait(uint64_t ticket)
{
	while (!pt_flush_done(ticket))
		pt_wait_step();
}

int
pt_protect_range(uint64_t va, size_t npages, uint64_t flags)
{
	bool irq = pt_lock_take(&pt_lock);
	/* check: every page must be mapped by a 4 KiB entry */
	for (size_t i = 0; i < npages; i++) {
		uint64_t a = va + i * PAGE_SIZE;
		if (!(*entry_ptr(a, 4) & PTE_PRESENT) || !(*entry_ptr(a, 3) & PTE_PRESENT) ||
		    !(*entry_ptr(a, 2) & PTE_PRESENT) || (*entry_ptr(a, 2) & PTE_HUGE) ||
		    !(*entry_ptr(a, 1) & PTE_PRESENT)) {
			pt_lock_drop(&pt_lock, irq);
			return E_NOENT;
		}
	}
	/* commit: nothing below fails */
	for (size_t i = 0; i < npages; i++) {
		uint64_t *pte = entry_ptr(va + i * PAGE_SIZE, 1);
		*pte = (*pte & PTE_ADDR_MASK) | flags | PTE_PRESENT;
	}
	pt_flush(va, npages);
	pt_lock_drop(&pt_lock, irq);
	return E_OK;
}

bool
pt_translate(uint64_t va, uint64_t *phys, uint64_t *flags)
{
	if (!pt_is_canonical(va))
		return false;
	for (int level = 4; level >= 1; level--) {
		uint64_t e = *entry_ptr(va, level);
		if (!(e & PTE_PRESENT))
			return false;
		if (level == 1 || (level <= 3 && (e & PTE_HUGE))) {
			uint64_t span = pt_entry_span(level);
			if (phys)
				*phys = (e & PTE_ADDR_MASK & ~(span - 1)) + (va & (span - 1));
			if (flags)
				*flags = e & ~PTE_ADDR_MASK;
			return true;
		}
	}
	return false;
}

uint64_t
pt_table_frames(void)
{
	return table_frames;
}
