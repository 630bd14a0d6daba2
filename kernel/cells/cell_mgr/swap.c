/*
 * swap.c: live evolution - replace N old cells by M new ones in a running
 * system (thesis 8.1), check then commit:
 *
 *   load      the new cells go into a new, empty namespace that falls back
 *             to the current one
 *   verify    every symbol that dependents of the old cells use is provided
 *             by the new cells; no new cell depends on an old one; every
 *             rewritten relocation still reaches (values computed now)
 *   pause     (other CPUs parked) rewrite the dependents' relocations, move
 *             the dependency edges, copy .data/.bss to namesakes, run the
 *             transfer functions, and replace the old cells by the new ones
 *             in the namespace
 *   cleanup   old cells are retired; each is freed once no task runs in it,
 *             no task's entry is in it and nothing depends on it
 *
 * Before the pause nothing in the running system has changed: a failure
 * unloads the new cells and returns. The pause is guaranteed or not taken:
 * if a CPU does not park within the bound, the swap fails ("CPU n did not
 * park within N ms; nothing changed"). Swaps, loads and unloads are
 * serialized by the writer lock (sync.c), held for the whole swap.
 */
#define LOG_TAG "swap"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "tsc.h"
#include "unwind.h"

static int (*quiesce_stop)(uint64_t bound_ns, bool *irq, uint32_t *missing);
static void (*quiesce_resume)(bool);
void (*swap_frame_check)(const uint64_t *lo, const uint64_t *hi, size_t n, int *result);
#define frame_check swap_frame_check
static uint32_t pause_bound_ms = 2000; /* every CPU parked within this, or no swap */

uint32_t
cell_swap_set_pause_bound(uint32_t ms)
{
	uint32_t old = pause_bound_ms;
	pause_bound_ms = ms ? ms : 1;
	return old;
}

void
cell_set_quiesce_hooks(int (*stop)(uint64_t bound_ns, bool *irq, uint32_t *missing), void (*resume)(bool))
{
	cell_pin_addr((const void *)stop);
	quiesce_stop = stop;
	quiesce_resume = resume;
}

static void (*swap_hook)(struct cell *const *old, size_t nold, struct cell_ns *ns, struct swap_times *t);

void
cell_set_swap_hook(void (*after)(struct cell *const *old, size_t nold, struct cell_ns *ns, struct swap_times *t))
{
	cell_pin_addr((const void *)after);
	swap_hook = after;
}

void
cell_set_frame_check(void (*check)(const uint64_t *lo, const uint64_t *hi, size_t n, int *result))
{
	cell_pin_addr((const void *)check);
	frame_check = check;
}

struct rewrite {
	struct section *from;
	uint32_t type, offset;
	int64_t addend;
	struct section *to;   /* new target */
	uint64_t target;      /* new symbol address */
	uint8_t bytes[8];
	uint8_t before[8];    /* for undoing, if a transfer function fails */
	unsigned width;
	int region;              /* the dependent's region holding the place */
};

struct plan {
	struct cell *old[SWAP_MAX];
	size_t nold;
	struct cell_ns *tmp;
	struct rewrite *rw;
	size_t nrw, caprw;
	struct cell_dep **edges;   /* new edges, one per (from, to) */
	size_t nedges;
	struct cell_dep **dead;    /* old edges to unlink and free */
	size_t ndead, capdead;
	struct reseal {            /* per rewritten (cell, sealed region) */
		struct cell *c;
		int region;
		uint64_t before, after; /* its seal now, and once rewritten */
	} *seals;
	size_t nseals;
};

static bool
is_old(const struct plan *p, const struct cell *c)
{
	for (size_t i = 0; i < p->nold; i++)
		if (p->old[i] == c)
			return true;
	return false;
}

/* the global symbol of `c` at this address in section s */
static const char *
symbol_at(const struct cell *c, const struct section *s, uint64_t addr)
{
	for (size_t k = 0; k < c->nsyms; k++)
		if (c->syms[k].sec == s && c->syms[k].addr == addr)
			return c->syms[k].name;
	return NULL;
}

static int
push_rw(struct plan *p, struct cell_error *why)
{
	if (cell_array_grow((void **)&p->rw, p->nrw, &p->caprw, sizeof(*p->rw), 64))
		return cell_errf(why, E_NOMEM, "out of memory planning the swap");
	return E_OK;
}

static int
push_dead(struct plan *p, struct cell_dep *d, struct cell_error *why)
{
	if (cell_array_grow((void **)&p->dead, p->ndead, &p->capdead, sizeof(*p->dead), 32))
		return cell_errf(why, E_NOMEM, "out of memory planning the swap");
	p->dead[p->ndead++] = d;
	return E_OK;
}

/* the region of cell c that holds addr (a loaded cell's own mapping, or
 * the nano_core image's part that is the cell's): false if none */
static bool
region_of_addr(struct cell *c, uint64_t addr, int *region)
{
	for (int r = 0; r < REGION_COUNT; r++)
		if ((c->mp[r] || c->nano_core) && c->size[r] && addr >= c->start[r] &&
		    addr < c->start[r] + c->size[r]) {
			*region = r;
			return true;
		}
	return false;
}

static int
verify(struct plan *p, struct cell_error *why)
{
	/* no new cell may depend on a cell that is going away */
	for (struct cell *n = p->tmp->cells; n; n = n->next)
		for (size_t i = 0; i < n->nsections; i++)
			for (struct cell_dep *d = n->sections[i].deps_out; d; d = d->next_out)
				if (is_old(p, d->to->cell))
					return cell_errf(why, E_NOENT,
							 "new cell %s uses %s of old cell %s, which the swap removes",
							 n->name, d->to->name, d->to->cell->name);
	/* every use of an old cell from outside must find its symbol anew */
	for (size_t o = 0; o < p->nold; o++) {
		struct cell *c = p->old[o];
		for (size_t i = 0; i < c->nsections; i++) {
			struct section *s = &c->sections[i];
			for (struct cell_dep *d = s->deps_in; d; d = d->next_in) {
				if (is_old(p, d->from->cell))
					continue;
				int err = push_dead(p, d, why);
				if (err)
					return err;
				for (size_t k = 0; k < d->nrelocs; k++) {
					const struct cell_reloc *r = &d->relocs[k];
					const char *name = symbol_at(c, s, s->addr + r->target_off);
					if (!name)
						return cell_errf(why, E_NOENT,
								 "%s in cell %s refers to an unnamed place in %s",
								 d->from->name, d->from->cell->name, c->name);
					struct sym_entry *e = symmap_get(&p->tmp->map, name);
					if (!e || !e->sec)
						return cell_errf(why, E_NOENT,
								 "symbol %s, used by cell %s (%s), is not provided by the new cells",
								 name, d->from->cell->name, d->from->name);
					if (!cell_declares(d->from->cell, e->sec->cell->name))
						return cell_errf(why, E_PERM,
								 "cell %s would link to cell %s (symbol %s), which %s does not declare in its deps",
								 d->from->cell->name, e->sec->cell->name, name,
								 d->from->cell->name);
					if ((err = push_rw(p, why)))
						return err;
					struct rewrite *w = &p->rw[p->nrw];
					*w = (struct rewrite){ .from = d->from, .type = r->type, .offset = r->offset,
								.addend = r->addend, .to = e->sec, .target = e->addr };
					uint64_t place = d->from->addr + r->offset;
					w->width = elf_reloc_width(r->type);
					if (!region_of_addr(d->from->cell, place, &w->region))
						return cell_errf(why, E_PERM, "cell %s cannot be rewritten at %#lx (outside its regions)",
								 d->from->cell->name, place);
					err = elf_reloc_apply(r->type, w->bytes, place, e->addr, r->addend);
					if (err)
						return cell_errf(why, err, "%s at %s+%#x to %s: %s", elf_reloc_name(r->type),
								 d->from->name, r->offset, name, err_str(err));
					p->nrw++;
				}
			}
		}
	}
	return E_OK;
}

/* the new dependency edges, grouped by (from, to), allocated now */
static int
plan_edges(struct plan *p, struct cell_error *why)
{
	p->edges = kzalloc((p->nrw ? p->nrw : 1) * sizeof(*p->edges));
	if (!p->edges)
		return cell_errf(why, E_NOMEM, "out of memory planning the swap");
	for (size_t i = 0; i < p->nrw; i++) {
		struct rewrite *w = &p->rw[i];
		struct cell_reloc rel = { w->type, w->offset, w->addend, w->target - w->to->addr };
		if (meta_edge_add(p->edges, &p->nedges, w->from, w->to, rel))
			return cell_errf(why, E_NOMEM, "out of memory planning the swap");
	}
	return E_OK;
}

/* the dependents' seals once rewritten, computed now over a rewritten
 * copy of their pristine bytes, so that the pause only stores them
 * (hashing a cell's text takes milliseconds under TCG) */
static int
plan_seals(struct plan *p, struct cell_error *why)
{
	p->seals = kzalloc((p->nrw ? p->nrw : 1) * sizeof(*p->seals));
	if (!p->seals)
		return cell_errf(why, E_NOMEM, "out of memory planning the swap");
	for (size_t i = 0; i < p->nrw; i++) {
		struct cell *c = p->rw[i].from->cell;
		int r = p->rw[i].region;
		bool seen = !c->pristine[r]; /* not sealed: nothing to compute */
		for (size_t k = 0; k < p->nseals && !seen; k++)
			seen = p->seals[k].c == c && p->seals[k].region == r;
		if (seen)
			continue;
		uint8_t *copy = kmalloc(c->size[r]);
		if (!copy)
			return cell_errf(why, E_NOMEM, "out of memory planning the swap");
		memcpy(copy, c->pristine[r], c->size[r]);
		for (size_t k = i; k < p->nrw; k++) {
			const struct rewrite *w = &p->rw[k];
			if (w->from->cell == c && w->region == r)
				memcpy(copy + (w->from->addr + w->offset - c->start[r]), w->bytes, w->width);
		}
		p->seals[p->nseals++] = (struct reseal){ c, r, c->seal[r], fnv1a(copy, c->size[r]) };
		kfree(copy);
	}
	return E_OK;
}

static void
plan_free(struct plan *p, bool keep_edges)
{
	if (!keep_edges)
		meta_edges_free(p->edges, p->nedges);
	kfree(p->edges);
	kfree(p->seals);
	kfree(p->rw);
	kfree(p->dead);
}

/* --- the pause: nothing below may fail --- */

static void
rewrite_relocations(struct plan *p, bool undo)
{
	/* the dependents' text and rodata stay read-only: this CPU writes
	 * through with CR0.WP off while the others are parked, which needs no
	 * page-table change and no TLB shootdown (the pause stays short) */
	uint64_t cr0 = wp_off();
	for (size_t i = 0; i < p->nrw; i++) {
		struct rewrite *w = &p->rw[i];
		void *place = (void *)(uintptr_t)(w->from->addr + w->offset);
		if (undo) {
			memcpy(place, w->before, w->width);
		} else {
			memcpy(w->before, place, w->width);
			memcpy(place, w->bytes, w->width);
		}
	}
	wp_restore(cr0);
	/* the dependents' seals and pristine copies follow (repair must not
	 * put the old addresses back): patch the copies in place and store
	 * the seals computed before the pause - no allocation, no hashing */
	for (size_t i = 0; i < p->nrw; i++) {
		struct rewrite *w = &p->rw[i];
		struct cell *c = w->from->cell;
		uint64_t place = w->from->addr + w->offset;
		if (c->pristine[w->region])
			memcpy((uint8_t *)c->pristine[w->region] + (place - c->start[w->region]), undo ? w->before : w->bytes,
			       w->width);
	}
	for (size_t i = 0; i < p->nseals; i++)
		p->seals[i].c->seal[p->seals[i].region] = undo ? p->seals[i].before : p->seals[i].after;
}

static void
move_edges(struct plan *p, bool undo)
{
	for (size_t i = 0; i < p->ndead; i++)
		undo ? meta_edge_link(p->dead[i]) : meta_edge_unlink(p->dead[i]);
	for (size_t i = 0; i < p->nedges; i++)
		undo ? meta_edge_unlink(p->edges[i]) : meta_edge_link(p->edges[i]);
}

/* the old cells' carried variables (CELL_CARRY, export.h) into their
 * namesakes of the same size; nothing else is copied: pointers into the
 * old cell, locks and queues must never reach the new one */
#define CARRY_PREFIX ".data.carry."
/* copy (or, with copy false, only count) the carried variables that
 * have a namesake of the same size in the new cells */
static size_t
copy_state(const struct plan *p, bool copy)
{
	size_t copied = 0;
	for (size_t o = 0; o < p->nold; o++) {
		struct cell *c = p->old[o];
		for (size_t i = 0; i < c->nsections; i++) {
			struct section *s = &c->sections[i];
			if ((s->kind != SEC_DATA && s->kind != SEC_BSS) ||
			    strncmp(s->name, CARRY_PREFIX, sizeof(CARRY_PREFIX) - 1))
				continue;
			for (struct cell *n = p->tmp->cells; n; n = n->next)
				for (size_t k = 0; k < n->nsections; k++) {
					struct section *t = &n->sections[k];
					if ((t->kind == SEC_DATA || t->kind == SEC_BSS) && t->size == s->size &&
					    !strcmp(t->name, s->name)) {
						if (copy)
							memcpy((void *)(uintptr_t)t->addr, (const void *)(uintptr_t)s->addr,
							       s->size);
						copied++;
					}
				}
		}
	}
	return copied;
}

static void
replace_in_namespace(struct plan *p, struct cell_ns *ns)
{
	for (size_t o = 0; o < p->nold; o++) {
		struct cell *c = p->old[o];
		meta_ns_remove(ns, c);
		if (c->nano_core) {
			/* its code stays in the image (a task may still be in
			 * it, a pointer stored at boot - a hook - still leads
			 * there: it works on the same data), its metadata in the
			 * address index for backtraces. It keeps its edges: a
			 * later swap of a cell it calls rewrites its calls too,
			 * so they never lead into a copy that swap frees. */
			c->next = NULL;
			continue;
		}
		retired_add(c); /* in the pause: no reader is walking ns->cells */
	}
	while (p->tmp->cells) {
		struct cell *n = p->tmp->cells;
		p->tmp->cells = n->next;
		p->tmp->ncells--;
		n->ns = ns;
		n->next = ns->cells;
		__atomic_store_n(&ns->cells, n, __ATOMIC_RELEASE);
		ns->ncells++;
		if (!n->is_app)
			for (size_t k = 0; k < n->nsyms; k++) {
				/* the mark .app_exports gave it at load moves too */
				struct sym_entry *te = symmap_get(&p->tmp->map, n->syms[k].name);
				bool exported = te && te->app_export;
				symmap_remove(&p->tmp->map, n->syms[k].name);
				symmap_put(&ns->map, n->syms[k].name, n->syms[k].addr, n->syms[k].sec);
				struct sym_entry *e = exported ? symmap_get(&ns->map, n->syms[k].name) : NULL;
				if (e)
					e->app_export = true;
			}
	}
}

/* a swap stops no CPU when it rewrites nothing the running system
 * executes or reads (no relocation into the old cells), carries nothing,
 * and each of its transfer functions is declared live (CELL_TRANSFER_LIVE:
 * it switches the system over under its own locks) */
/* a rollback's new cells: kept cells taken off the retired list into tmp */
static int
reinstate(struct cell_ns *tmp, struct cell *const *cells, size_t n, struct cell_error *why)
{
	size_t nsyms = 0;
	for (size_t i = 0; i < n; i++) {
		if (!retired_has(cells[i]) || cells[i]->magic != CELL_MAGIC || !cells[i]->kept_until)
			return cell_errf(why, E_NOENT, "rollback: the old cell %s is no longer kept", cells[i]->name);
		nsyms += cells[i]->nsyms;
	}
	if (symmap_reserve(&tmp->map, nsyms))
		return cell_errf(why, E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cell *c = cells[i];
		retired_take(c);
		c->ns = tmp;
		c->next = tmp->cells;
		tmp->cells = c;
		tmp->ncells++;
		if (!c->is_app) {
			for (size_t k = 0; k < c->nsyms; k++)
				symmap_put(&tmp->map, c->syms[k].name, c->syms[k].addr, c->syms[k].sec);
			for (size_t k = 0; k < c->nsections; k++)
				if (c->sections[k].kind == SEC_APP_EXPORTS)
					meta_mark_exports(tmp, &c->sections[k]);
		}
	}
	return E_OK;
}

/* a swap that failed: its new cells unloaded, or (rollback) kept again */
static void
drop_tmp(struct plan *p, const struct swap_request *rq)
{
	while (rq->nreuse && p->tmp->cells) {
		struct cell *c = p->tmp->cells;
		meta_ns_remove(p->tmp, c);
		c->ns = rq->ns;
		retired_add(c);
	}
	struct cell_error ignore;
	int e2 = cell_ns_destroy(p->tmp, &ignore);
	(void)e2; /* nothing depends on cells only the failed swap loaded */
}

static bool
no_pause_needed(const struct plan *p, const struct swap_request *rq)
{
	if (p->nrw || !rq->ntransfer)
		return false;
	if (!rq->fresh_data && copy_state(p, false))
		return false;
	for (size_t i = 0; i < rq->ntransfer; i++) {
		char marker[80];
		snprintf(marker, sizeof(marker), "%s__transfer_live", rq->transfer[i]);
		if (!symmap_get(&p->tmp->map, marker))
			return false;
	}
	return true;
}

/* which old cells the calling task itself is inside (its frames above
 * cell_swap): the swap of the cell doing the swap (evolve's, say). The
 * caller cannot leave them before the swap returns, so waiting for them
 * to be quiet would only wait out the bound */
static void
caller_inside(struct plan *p, bool *inside)
{
	struct unwind_regs r;
	uint64_t pcs[48];
	unwind_capture(&r);
	size_t n = unwind_backtrace(&r, false, pcs, ARRAY_SIZE(pcs));
	for (size_t o = 0; o < p->nold; o++) {
		uint64_t lo = p->old[o]->start[REGION_TEXT], hi = lo + p->old[o]->size[REGION_TEXT];
		inside[o] = false;
		for (size_t i = 0; i < n && !inside[o]; i++)
			inside[o] = pcs[i] >= lo && pcs[i] < hi;
	}
}

/* some task has a frame in an old cell's text (1 from the check); a
 * cell the caller is inside is not waited for (the check cannot tell the
 * caller's frames from another task's) */
static bool
busy_in_old(struct plan *p, const bool *caller_in)
{
	uint64_t lo[SWAP_MAX], hi[SWAP_MAX];
	int res[SWAP_MAX];
	for (size_t o = 0; o < p->nold; o++) {
		lo[o] = p->old[o]->start[REGION_TEXT];
		hi[o] = lo[o] + p->old[o]->size[REGION_TEXT];
	}
	frame_check(lo, hi, p->nold, res);
	for (size_t o = 0; o < p->nold; o++)
		if (res[o] == 1 && !caller_in[o])
			return true;
	return false;
}

int
cell_swap(const struct swap_request *rq, struct swap_times *t, struct cell_error *why)
{
	struct swap_times tm = { 0 };
	uint64_t t0 = tsc_ns(), t1;
	struct plan p = { 0 };
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock(); /* one swap (or load) at a time */
	struct cell *keep[SWAP_MAX]; /* nano_core cells whose data the new copies use in place */
	size_t nkeep = 0;
	if (!rq->nold || rq->nold > SWAP_MAX || !rq->nnew || rq->nnew > SWAP_MAX || rq->ntransfer > SWAP_MAX)
		return cell_errf(why, E_INVAL, "swap: 1 to %d old and new cells", SWAP_MAX);
	for (size_t i = 0; i < rq->nold; i++) {
		struct cell *c = cell_find(rq->ns, rq->old[i]);
		if (!c)
			return cell_errf(why, E_NOENT, "swap: no cell %s in namespace %s", rq->old[i], rq->ns->name);
		if (c->nano_core && (!strcmp(c->name, "nano_core") || !strcmp(c->name, "cell_mgr")))
			return cell_errf(why, E_PERM, "swap: %s is part of the nano_core and cannot be replaced (%s)",
					 c->name, c->name[1] == 'a' ? "its entry, boot stacks and linker symbols"
								    : "the swap itself runs in it");
		if (c->nano_core || c->data_of) {
			/* replaced by a copy of the same name whose data stays in place */
			bool named = false;
			for (size_t k = 0; k < rq->nnew && !named; k++)
				named = !strcmp(rq->new_names[k], c->name);
			if (!named || rq->nreuse)
				return cell_errf(why, E_INVAL,
						 "swap: %s is %s: it is replaced by a copy of the same name (its data stays in place)",
						 c->name, c->nano_core ? "part of the nano_core" : "a copy of a nano_core cell");
			keep[nkeep++] = c->nano_core ? c : c->data_of;
		}
		for (size_t k = 0; k < p.nold; k++)
			if (p.old[k] == c)
				return cell_errf(why, E_INVAL, "swap: %s named twice", c->name);
		if (c->pins && !rq->ntransfer)
			return cell_errf(why, E_BUSY,
					 "swap: %s is registered in the running system (%u pin(s)): name a transfer function that takes its place",
					 c->name, c->pins);
		p.old[p.nold++] = c;
	}
	history_base(rq->ns);
	/* load (or, rolling back, take the kept cells back from the retired list) */
	p.tmp = cell_ns_create("swap", rq->ns, rq->ns->apps);
	if (!p.tmp)
		return cell_errf(why, E_NOMEM, "out of memory");
	load_set_inplace(keep, nkeep);
	int err = rq->nreuse ? reinstate(p.tmp, rq->reuse, rq->nreuse, why)
			     : cell_load_batch(p.tmp, rq->new_names, rq->new_images, rq->new_sizes, rq->nnew, why);
	load_set_inplace(NULL, 0);
	struct cell *newc[SWAP_MAX];
	size_t nnewc = 0;
	for (struct cell *n = err ? NULL : p.tmp->cells; n && nnewc < SWAP_MAX; n = n->next)
		newc[nnewc++] = n;
	t1 = tsc_ns();
	tm.load = t1 - t0;
	/* verify */
	if (!err)
		err = verify(&p, why);
	if (!err)
		err = plan_edges(&p, why);
	if (!err)
		err = plan_seals(&p, why);
	size_t nsyms = 0;
	for (struct cell *n = p.tmp->cells; n && !err; n = n->next)
		nsyms += n->nsyms;
	if (!err && symmap_reserve(&rq->ns->map, nsyms))
		err = cell_errf(why, E_NOMEM, "out of memory");
	uint64_t (*transfer[SWAP_MAX])(void) = { 0 };
	for (size_t i = 0; i < rq->ntransfer && !err; i++) {
		struct sym_entry *e = symmap_get(&p.tmp->map, rq->transfer[i]);
		if (!e || !e->sec || e->sec->kind != SEC_TEXT)
			err = cell_errf(why, E_NOENT, "swap: transfer function %s is not in the new cells",
					rq->transfer[i]);
		else
			transfer[i] = (uint64_t (*)(void))(uintptr_t)e->addr;
	}
	tm.verify = tsc_ns() - t1;
	if (err) {
		plan_free(&p, false);
		drop_tmp(&p, rq);
		return err;
	}

	/* a moment when no task is inside an old cell, looked for before the
	 * pause (walking every task's stack is the slow part; tasks running
	 * on other CPUs cannot be walked then and do not count): tried for up
	 * to LOOK_NS, then anyway (tasks blocked inside a channel cell may stay
	 * inside for ever). For a swap that carries no data this only
	 * picks the moment: a task in an old cell finishes its call on the old
	 * code, which stays until it leaves (cell_reclaim walks again before
	 * freeing). A swap that carries .data/.bss must also not copy while a
	 * task is inside (it would go on writing the old copy), so it checks
	 * again in the pause, where running tasks are walked from where their
	 * CPU was parked, and retries (for up to 2 * LOOK_NS in all, then
	 * anyway). An urgent swap that carries nothing does not look (the
	 * look is for the reclaim's sake, and it was most of a reload's
	 * downtime when a task waits inside the cell, as a channel's sender
	 * does). */
#define LOOK_NS (20 * 1000000ULL)
	bool carries = !rq->fresh_data && copy_state(&p, false);
	uint64_t q0 = tsc_ns();
	bool caller_in[SWAP_MAX];
	caller_inside(&p, caller_in);
	while (frame_check && (carries || !rq->urgent) && tsc_ns() - q0 < LOOK_NS && !no_pause_needed(&p, rq) &&
	       busy_in_old(&p, caller_in))
		tsc_delay_us(1000);
	/* the pause: every other CPU parked within the bound, or no swap. The
	 * transfer functions are the last check; if one fails, the steps
	 * before it are undone and the new cells unloaded. */
	bool irq = false;
	uint32_t missing = 0;
	uint64_t p0 = 0;
	int serr = E_OK;
	bool live = no_pause_needed(&p, rq);
	if (live) {
		irq = irq_save();
		p0 = tsc_ns();
	}
	for (int attempt = 0; !live; attempt++) {
		serr = quiesce_stop ? quiesce_stop((uint64_t)pause_bound_ms * 1000000ULL, &irq, &missing)
				    : (irq = irq_save(), E_OK);
		p0 = tsc_ns();
		if (serr || !carries || !frame_check || tsc_ns() - q0 > 2 * LOOK_NS || !busy_in_old(&p, caller_in))
			break;
		if (quiesce_resume)
			quiesce_resume(irq);
		else
			irq_restore(irq);
		tsc_delay_us(1000);
	}
	tm.quiesce = tsc_ns() - q0; /* the look, then parking the other CPUs */
	if (serr) {
		cell_sync_pause_refused();
		plan_free(&p, false);
		drop_tmp(&p, rq);
		unsigned cpu = 0;
		while (cpu < 31 && !(missing & (1u << cpu)))
			cpu++;
		unsigned more = 0;
		for (unsigned c = cpu + 1; c < 32; c++)
			more += (missing >> c) & 1;
		log_warn("no pause: CPU(s) %#x did not park within %u ms; the swap changed nothing", missing,
			 pause_bound_ms);
		if (more)
			return cell_errf(why, serr, "swap: CPU %u (and %u more) did not park within %u ms; nothing changed",
					 cpu, more, pause_bound_ms);
		return cell_errf(why, serr, "swap: CPU %u did not park within %u ms; nothing changed", cpu,
				 pause_bound_ms);
	}
	uint64_t pr = tsc_ns();
	history_mark_probation(rq, newc, nnewc, true);
	rewrite_relocations(&p, false);
	uint64_t p1 = tsc_ns();
	move_edges(&p, false);
	uint64_t p2 = tsc_ns();
	tm.data_copied = rq->fresh_data ? 0 : copy_state(&p, true);
	int terr = E_OK;
	size_t failed = 0;
	for (size_t i = 0; i < rq->ntransfer && !terr; i++) {
		terr = (int)transfer[i]();
		failed = i;
	}
	/* the transfer functions must have taken every registration over */
	for (size_t o = 0; o < p.nold && !terr; o++)
		if (__atomic_load_n(&p.old[o]->pins, __ATOMIC_ACQUIRE))
			terr = E_BUSY;
	if (terr) {
		move_edges(&p, true);
		rewrite_relocations(&p, true);
		history_mark_probation(rq, newc, nnewc, false);
	} else {
		/* commit: nothing below fails */
		replace_in_namespace(&p, rq->ns);
	}
	uint64_t p3 = tsc_ns();
	uint64_t p4 = tsc_ns();
	if (quiesce_resume && !live)
		quiesce_resume(irq);
	else
		irq_restore(irq);
	if (terr) {
		plan_free(&p, false);
		drop_tmp(&p, rq);
		return cell_errf(why, terr, "swap: transfer function %s failed (%s); nothing changed",
				 rq->transfer[failed], err_str(terr));
	}
	tm.rewrite = p1 - pr;
	tm.deps = p2 - p1;
	tm.transfer = p3 - p2; /* includes replacing the cells in the namespace */
	tm.pause = live ? 0 : p4 - p0; /* no CPU was stopped */
	tm.relocs = p.nrw;
	tm.edges = p.nedges;
	if (rq->committed) {
		tm.total = tsc_ns() - t0; /* so far */
		rq->committed(rq->committed_ctx, &tm);
	}

	for (size_t i = 0; i < nnewc; i++)
		newc[i]->kept_until = 0; /* reinstated: running again */
	history_record(rq, p.old, p.nold, newc, nnewc, rq->new_images, rq->new_sizes, &tm);

	/* tasks looping in the old cells go on in the new ones */
	if (swap_hook)
		swap_hook(p.old, p.nold, rq->ns, &tm);

	/* cleanup */
	for (size_t i = 0; i < p.ndead; i++) {
		kfree(p.dead[i]->relocs);
		kfree(p.dead[i]);
	}
	plan_free(&p, true);
	struct cell_error ignore;
	int e2 = cell_ns_destroy(p.tmp, &ignore); /* empty now */
	(void)e2;
	tm.freed = rq->urgent ? 0 : cell_reclaim(); /* urgent: the caller reclaims */
	uint64_t t5 = tsc_ns();
	tm.cleanup = t5 - p4;
	tm.total = t5 - t0;
	if (t)
		*t = tm;

	log_info("swapped %zu cell(s) for %zu in %lu us (pause %lu us): %zu relocations rewritten, %zu data sections carried, %zu task(s) restarted into the new code",
		 rq->nold, rq->nnew, tm.total / 1000, tm.pause / 1000, tm.relocs, tm.data_copied, tm.restarted);
	if (tm.stale)
		log_warn("%zu task(s) still run the old code (not restartable): %s", tm.stale, tm.stale_names);
	return E_OK;
}

EXPORT_APP(cell_swap);

int
cell_swap_one(struct cell_ns *ns, const char *old, const char *new, struct swap_times *t, struct cell_error *why)
{
	struct swap_request rq = { .ns = ns, .nold = 1, .nnew = 1 };
	rq.old[0] = old;
	rq.new_names[0] = new;
	char adopt[CELL_NAME_MAX + 8];
	snprintf(adopt, sizeof(adopt), "%s_adopt", new);
	struct cell *c = cell_find(ns, old);
	if (c && __atomic_load_n(&c->pins, __ATOMIC_ACQUIRE)) {
		rq.transfer[0] = adopt;
		rq.ntransfer = 1;
	}
	return cell_swap(&rq, t, why);
}
