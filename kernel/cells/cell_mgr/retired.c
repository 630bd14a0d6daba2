/*
 * retired.c: cells a swap took out of their namespace, each freed once no
 * task runs in it, no task's entry is in it, nothing depends on it and no
 * rollback may still want it (kept_until, history.c). State: the retired
 * list, under the cell manager's writer lock.
 */
#define LOG_TAG "swap"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "base.h"
#include "tsc.h"
#include "logger.h"

static struct cell *retired; /* linked through ->next */
static size_t nretired;

void
retired_add(struct cell *c)
{
	c->next = retired;
	retired = c;
	nretired++;
}

bool
retired_has(const struct cell *c)
{
	for (const struct cell *r = retired; r; r = r->next)
		if (r == c)
			return true;
	return false;
}

void
retired_take(struct cell *c)
{
	for (struct cell **pp = &retired; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			nretired--;
			return;
		}
}

/* in use other than by a task's frames */
static bool
held(struct cell *c)
{
	if (__atomic_load_n(&c->users, __ATOMIC_ACQUIRE) || __atomic_load_n(&c->pins, __ATOMIC_ACQUIRE))
		return true;
	if (c->kept_until && tsc_ns() < c->kept_until)
		return true; /* kept for a rollback (history.c) */
	for (size_t i = 0; i < c->nsections; i++)
		if (c->sections[i].deps_in)
			return true;
	return false;
}

#define RECLAIM_BATCH 32

size_t
cell_reclaim(void)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	/* the candidates (nothing holds them), then one walk of every task's
	 * stack for all of them; freeing one can release another (its
	 * dependency edges), hence the rounds */
	size_t freed = 0;
	for (bool again = true; again;) {
		again = false;
		struct cell *cand[RECLAIM_BATCH];
		uint64_t lo[RECLAIM_BATCH], hi[RECLAIM_BATCH];
		int res[RECLAIM_BATCH];
		size_t n = 0;
		for (struct cell *c = retired; c && n < RECLAIM_BATCH; c = c->next)
			if (!held(c)) {
				cand[n] = c;
				lo[n] = c->start[REGION_TEXT];
				hi[n] = lo[n] + c->size[REGION_TEXT];
				res[n] = 0;
				n++;
			}
		if (swap_frame_check && n)
			swap_frame_check(lo, hi, n, res);
		for (size_t k = 0; k < n; k++) {
			struct cell *victim = cand[k];
			if (res[k] && victim->size[REGION_TEXT])
				continue;
			retired_take(victim);
			for (size_t i = 0; i < victim->nsections; i++)
				for (struct cell_dep *d = victim->sections[i].deps_out; d; d = d->next_out)
					for (struct cell_dep **pp = &d->to->deps_in; *pp; pp = &(*pp)->next_in)
						if (*pp == d) {
							*pp = d->next_in;
							break;
						}
			meta_index_remove(victim);
			log_info("retired cell %s freed", victim->name);
			/* the unwinder or a symbolizer on another CPU may still hold it */
			if (cell_sync_readers())
				meta_free_cell(victim);
			freed++;
			again = true;
		}
	}
	return freed;
}

size_t
cell_retired(void)
{
	return nretired;
}

EXPORT_APP(cell_retired);
EXPORT_APP(cell_reclaim);
