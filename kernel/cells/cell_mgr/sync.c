/*
 * sync.c: the cell manager's concurrency (docs/cells.md, "Concurrency").
 *
 * Writers - loads, unloads, swaps (and so evolution and recovery reloads),
 * reclaiming retired cells, the module table - hold one writer lock, a
 * recursive owner lock (a swap loads and unloads inside itself). The
 * nano_core has no scheduler, so a waiter spins with interrupts on
 * (preemptible) and calls the wait hook the task layer installs (a
 * yield); it is an owned guard (cell_mgr_unlockp) so a writer that faults
 * or is killed releases it while unwinding.
 *
 * Readers that may run in fault or interrupt context (cell_at,
 * cell_section_at, cell_symbolize: the exception handler, the unwinder,
 * seal checks) take no lock. They run in a read section (preemption off,
 * a per-CPU nesting count in struct percpu); writers publish new metadata
 * with a release store and free what they replaced only after every
 * other CPU was seen outside a read section, or left the one it was in
 * (cell_sync_readers, an RCU-like grace period). A read section never
 * waits for anything, so a reader interrupting a writer on its own CPU
 * cannot deadlock.
 * State: the writer lock's owner and depth; grace-period counters.
 */
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "logger.h"
#include "tsc.h"

static void *wr_owner;      /* task (or CPU before tasks exist) holding it */
static unsigned wr_depth;   /* recursion depth; the owner's own */
static void (*wr_wait)(void);
static struct cell_sync_stats stats;

void
cell_set_wait_hook(void (*wait)(void))
{
	wr_wait = wait;
}

static void *
self(void)
{
	preempt_count_inc(); /* this CPU's current, not one we migrated away from */
	struct percpu *pc = this_cpu();
	void *me = pc->current ? pc->current : (void *)pc;
	preempt_count_dec();
	return me;
}

void *
cell_mgr_lock(void)
{
	void *me = self();
	if (__atomic_load_n(&wr_owner, __ATOMIC_ACQUIRE) == me) {
		wr_depth++;
		return me;
	}
	bool waited = false;
	for (;;) {
		void *expect = NULL;
		if (__atomic_compare_exchange_n(&wr_owner, &expect, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		waited = true;
		if (wr_wait && irq_enabled() && !this_cpu()->preempt_count)
			wr_wait();
		else
			cpu_relax();
	}
	wr_depth = 1;
	if (waited)
		stats.writer_waits++;
	return me;
}

void
cell_mgr_unlock(void)
{
	if (--wr_depth == 0)
		__atomic_store_n(&wr_owner, NULL, __ATOMIC_RELEASE);
}

void
cell_mgr_unlockp(void **guard)
{
	if (*guard)
		cell_mgr_unlock();
	*guard = NULL;
}

bool
cell_mgr_locked(void)
{
	return __atomic_load_n(&wr_owner, __ATOMIC_ACQUIRE) == self();
}

void
cell_read_begin(void)
{
	preempt_count_inc(); /* no migration: the count is this CPU's */
	struct percpu *pc = this_cpu();
	__atomic_add_fetch(&pc->cell_rd, 1, __ATOMIC_RELAXED);
	/* pairs with the writer's fence: either it sees our count, or we see
	 * what it published */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
cell_read_end(void)
{
	struct percpu *pc = this_cpu();
	if (__atomic_sub_fetch(&pc->cell_rd, 1, __ATOMIC_RELEASE) == 0)
		__atomic_add_fetch(&pc->cell_rd_seq, 1, __ATOMIC_RELEASE);
	preempt_count_dec();
}

#define GRACE_BOUND_NS 1000000000ULL

bool
cell_sync_readers(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* what was unpublished is, before we look */
	unsigned me = cpu_id();
	uint64_t t0 = tsc_ns();
	bool ok = true;
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct percpu *pc = percpu_of(c);
		if (c == me || !pc || !pc->online)
			continue;
		uint64_t seq = __atomic_load_n(&pc->cell_rd_seq, __ATOMIC_ACQUIRE);
		while (__atomic_load_n(&pc->cell_rd, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&pc->cell_rd_seq, __ATOMIC_ACQUIRE) == seq) {
			if (tsc_ns() - t0 > GRACE_BOUND_NS) {
				ok = false; /* a reader that never leaves: keep the memory */
				break;
			}
			stats.grace_spins++;
			cpu_relax();
		}
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	stats.grace_periods++;
	if (!ok) {
		stats.grace_timeouts++;
		log_write(LOG_WARN, "cells", "a CPU stayed in a cell read section for 1 s: old metadata is kept");
	}
	return ok;
}

void
cell_free_after_readers(void *p)
{
	if (!p)
		return;
	if (cell_sync_readers())
		kfree(p);
	else
		stats.leaked++;
}

void
cell_sync_pause_refused(void)
{
	__atomic_add_fetch(&stats.pauses_refused, 1, __ATOMIC_RELEASE);
}

void
cell_sync_stats(struct cell_sync_stats *out)
{
	*out = stats;
}

EXPORT_APP(cell_sync_stats);

/* for apps that walk the metadata (deps, ns): held, nothing they read is
 * unloaded or reclaimed under them */
EXPORT_APP(cell_mgr_lock);
EXPORT_APP(cell_mgr_unlockp);
