/*
 * history.c: each namespace's evolution as a history of commits (thesis
 * 8.3, "committing to a repository"), and transactions: a swap with a
 * probation keeps the cells it replaced loaded until the probation ends,
 * so a fault in a new cell can roll the whole swap back.
 *
 * A commit records what went out and what came in (names and object
 * hashes), the size and hash of the namespace's manifest afterwards
 * (every cell's name and object hash), the time and the outcome; what a
 * cell ran as of any commit follows from the commits that swapped it. Object files are kept by
 * hash (boot modules by their physical range, uploaded ones as heap
 * copies), so `cell_checkout` can swap the live system back or forward to
 * any commit still in the history.
 *
 * State: the commit ring, the object store and the kept cells' list (on
 * the retired list, held by kept_until), all under the cell manager's
 * writer lock; cell_probation_of reads two fields of a cell without it
 * (fault context).
 */
#define LOG_TAG "history"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "tsc.h"

#define HIST_MAX 48   /* commits kept (the oldest drop out) */
#define STORE_MAX 160 /* object files kept by hash */

struct commit {
	struct commit_info info;
	struct cell *kept[SWAP_MAX];  /* the cells it replaced, while on probation */
	size_t nkept;
	struct cell_ns *ns;
};

static struct commit ring[HIST_MAX];
static uint32_t next_id = 1;
static uint32_t on_probation; /* commits on probation (read unlocked by the tick) */

struct object {
	uint64_t hash, phys, size;
	void *copy; /* owned heap copy (uploaded objects); NULL: boot module at phys */
};
static struct object store[STORE_MAX];
static size_t nstore;

const char *
commit_outcome_str(enum commit_outcome o)
{
	switch (o) {
	case COMMIT_DONE: return "committed";
	case COMMIT_PROBATION: return "on probation";
	case COMMIT_ROLLED_BACK: return "rolled back";
	}
	return "?";
}

static struct commit *
commit_by_id(uint32_t id)
{
	struct commit *c = &ring[id % HIST_MAX];
	return id && c->info.id == id ? c : NULL;
}

/* by name (a namespace has a few hundred cells at most) */
static void
sort_cells(struct commit_cell *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct commit_cell x = a[i];
		size_t k = i;
		for (; k && strcmp(a[k - 1].name, x.name) > 0; k--)
			a[k] = a[k - 1];
		a[k] = x;
	}
}

size_t
cell_ns_manifest(struct cell_ns *ns, struct commit_cell *out, size_t max, uint64_t *hash)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	size_t n = 0;
	uint64_t h = 0;
	for (struct cell *c = ns->cells; c; c = c->next, n++) {
		/* order-independent: a sum of each cell's (name, object) hash */
		uint64_t both[2] = { fnv1a(c->name, strlen(c->name)), c->obj_hash };
		h += fnv1a(both, sizeof(both));
		if (n < max) {
			strlcpy(out[n].name, c->name, sizeof(out[n].name));
			out[n].hash = c->obj_hash;
		}
	}
	sort_cells(out, n < max ? n : max);
	if (hash)
		*hash = h;
	return n;
}

/* keep an object file by hash: a boot module's physical range, else a
 * copy of the bytes */
static void
store_put(uint64_t hash, uint64_t phys, const void *bytes, size_t size)
{
	for (size_t i = 0; i < nstore; i++)
		if (store[i].hash == hash)
			return;
	if (nstore == STORE_MAX || (!phys && !bytes)) {
		log_warn("object %016lx not kept (%s): a checkout to it will fail", hash,
			 nstore == STORE_MAX ? "store full" : "its bytes are gone");
		return;
	}
	struct object *o = &store[nstore];
	o->hash = hash;
	o->size = size;
	o->phys = phys;
	o->copy = NULL;
	if (!phys) {
		o->copy = kmalloc(size);
		if (!o->copy)
			return;
		memcpy(o->copy, bytes, size);
	}
	nstore++;
}

static struct object *
store_get(uint64_t hash)
{
	for (size_t i = 0; i < nstore; i++)
		if (store[i].hash == hash)
			return &store[i];
	return NULL;
}

/* the newest commit of ns, or NULL */
static struct commit *
head_of(struct cell_ns *ns)
{
	for (uint32_t id = next_id - 1; id && next_id - id <= HIST_MAX; id--) {
		struct commit *c = commit_by_id(id);
		if (c && c->ns == ns)
			return c;
	}
	return NULL;
}

static struct commit *
new_commit(struct cell_ns *ns, const char *label)
{
	uint32_t id = next_id++;
	struct commit *c = &ring[id % HIST_MAX];
	struct commit *head = head_of(ns);
	memset(c, 0, sizeof(*c));
	c->info.id = id;
	c->info.parent = head ? head->info.id : 0;
	c->ns = ns;
	strlcpy(c->info.ns, cell_ns_name(ns), sizeof(c->info.ns));
	strlcpy(c->info.label, label, sizeof(c->info.label));
	c->info.time_ns = tsc_ns();
	c->info.outcome = COMMIT_DONE;
	return c;
}

/* the manifest's size and hash, and the objects it runs kept */
static void
snapshot(struct commit *c)
{
	c->info.ncells = 0;
	uint64_t h = 0;
	for (struct cell *x = c->ns->cells; x; x = x->next, c->info.ncells++) {
		uint64_t both[2] = { fnv1a(x->name, strlen(x->name)), x->obj_hash };
		h += fnv1a(both, sizeof(both));
		if (!x->nano_core && x->obj_phys)
			store_put(x->obj_hash, x->obj_phys, NULL, x->obj_size);
	}
	c->info.manifest_hash = h;
}

void
history_base(struct cell_ns *ns)
{
	if (head_of(ns))
		return;
	snapshot(new_commit(ns, "start"));
}

/* in the pause of a swap on probation, before any task can run the new
 * cells: they are marked as the commit history_record is about to make
 * (the next id: the writer lock is held until then), so that a fault in
 * one right after the pause already rolls the swap back; unmarked again
 * (on false) if the swap fails in its pause */
void
history_mark_probation(const struct swap_request *rq, struct cell *const *newc, size_t nnew, bool on)
{
	if (!rq->probation_ms)
		return;
	uint64_t until = on ? tsc_ns() + (uint64_t)rq->probation_ms * 1000000ULL : 0;
	for (size_t i = 0; i < nnew; i++) {
		newc[i]->commit = on ? next_id : 0;
		__atomic_store_n(&newc[i]->probation_until, until, __ATOMIC_RELEASE);
	}
}

/* a committed swap (writer lock held): old cells are retired, new ones in ns */
void
history_record(const struct swap_request *rq, struct cell *const *old, size_t nold, struct cell *const *newc,
	       size_t nnew, const void *const *images, const size_t *sizes, struct swap_times *t)
{
	bool same = nold == nnew;
	for (size_t i = 0; same && i < nold; i++) {
		bool found = false;
		for (size_t k = 0; k < nnew && !found; k++)
			found = !strcmp(old[i]->name, newc[k]->name) && old[i]->obj_hash == newc[k]->obj_hash;
		same = found;
	}
	if (same && !rq->nreuse && !rq->probation_ms)
		return; /* a reload: the same objects again, not an evolution */
	struct commit *c = new_commit(rq->ns, rq->label ? rq->label : "swap");
	for (size_t i = 0; i < nold; i++) {
		strlcpy(c->info.out[i].name, old[i]->name, CELL_NAME_MAX);
		c->info.out[i].hash = old[i]->obj_hash;
		if (old[i]->obj_phys)
			store_put(old[i]->obj_hash, old[i]->obj_phys, NULL, old[i]->obj_size);
	}
	c->info.nout = nold;
	for (size_t i = 0; i < nnew; i++) {
		strlcpy(c->info.in[i].name, newc[i]->name, CELL_NAME_MAX);
		c->info.in[i].hash = newc[i]->obj_hash;
		newc[i]->commit = c->info.id;
		/* the image the swap loaded it from, matched by name */
		const void *bytes = NULL;
		size_t size = 0;
		for (size_t k = 0; k < rq->nnew && !bytes; k++)
			if (images[k] && !strcmp(rq->new_names[k], newc[i]->name)) {
				bytes = images[k];
				size = sizes[k];
			}
		if (newc[i]->obj_phys)
			store_put(newc[i]->obj_hash, newc[i]->obj_phys, NULL, newc[i]->obj_size);
		else if (bytes && fnv1a(bytes, size) == newc[i]->obj_hash)
			store_put(newc[i]->obj_hash, 0, bytes, size);
	}
	c->info.nin = nnew;
	if (rq->probation_ms) {
		uint64_t until = tsc_ns() + (uint64_t)rq->probation_ms * 1000000ULL;
		c->info.outcome = COMMIT_PROBATION;
		c->info.probation_until = until;
		__atomic_add_fetch(&on_probation, 1, __ATOMIC_RELAXED);
		for (size_t i = 0; i < nold; i++) {
			old[i]->kept_until = until;
			c->kept[c->nkept++] = old[i];
		}
		for (size_t i = 0; i < nnew; i++)
			newc[i]->probation_until = until;
	}
	snapshot(c);
	t->commit = c->info.id;
	c->info.t = *t;
}

uint32_t
cell_probation_of(const struct cell *c)
{
	uint64_t until = __atomic_load_n(&c->probation_until, __ATOMIC_RELAXED);
	return until && tsc_ns() < until ? c->commit : 0;
}

/* probation over: the old cells may go */
static void
end_probation(struct commit *c)
{
	for (size_t i = 0; i < c->nkept; i++)
		c->kept[i]->kept_until = 0;
	c->nkept = 0;
	c->info.outcome = COMMIT_DONE;
	__atomic_sub_fetch(&on_probation, 1, __ATOMIC_RELAXED);
	for (struct cell *x = c->ns->cells; x; x = x->next)
		if (x->commit == c->info.id)
			x->probation_until = 0;
}

size_t
cell_probation_tick(void)
{
	size_t ended = 0;
	if (!__atomic_load_n(&on_probation, __ATOMIC_RELAXED))
		return 0;
	{
		_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
		uint64_t now = tsc_ns();
		for (size_t i = 0; i < HIST_MAX; i++)
			if (ring[i].info.id && ring[i].info.outcome == COMMIT_PROBATION &&
			    now >= ring[i].info.probation_until) {
				end_probation(&ring[i]);
				log_info("commit #%u: probation over, committed", ring[i].info.id);
				ended++;
			}
	}
	if (ended)
		cell_reclaim();
	return ended;
}

size_t
cell_commits(struct cell_ns *ns, struct commit_info *out, size_t max)
{
	cell_probation_tick();
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	if (ns)
		history_base(ns); /* its first commit: what it runs now */
	size_t n = 0;
	for (uint32_t id = next_id - 1; id && next_id - id <= HIST_MAX && n < max; id--) {
		struct commit *c = commit_by_id(id);
		if (c && (!ns || c->ns == ns))
			out[n++] = c->info;
	}
	return n;
}

int
cell_commit_get(uint32_t id, struct commit_info *out)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct commit *c = commit_by_id(id);
	if (!c)
		return E_NOENT;
	*out = c->info;
	return E_OK;
}

/* does commit c swap `name` out (*out) or in (*in, with its hash)? */
static bool
touches(const struct commit *c, const char *name, bool *out, bool *in, uint64_t *out_hash, uint64_t *in_hash)
{
	*out = *in = false;
	for (size_t i = 0; i < c->info.nout; i++)
		if (!strcmp(c->info.out[i].name, name)) {
			*out = true;
			*out_hash = c->info.out[i].hash;
		}
	for (size_t i = 0; i < c->info.nin; i++)
		if (!strcmp(c->info.in[i].name, name)) {
			*in = true;
			*in_hash = c->info.in[i].hash;
		}
	return *out || *in;
}

/* the object the evolutions of ns say `name` ran as of commit id (0: not
 * there): the newest commit up to id that swapped it in or out says, or
 * else the first one after id that did (what it swapped out ran before) */
static uint64_t
state_at(struct cell_ns *ns, uint32_t id, const char *name)
{
	bool out, in;
	uint64_t oh = 0, ih = 0;
	for (uint32_t k = id; k && next_id - k <= HIST_MAX; k--) {
		struct commit *c = commit_by_id(k);
		if (c && c->ns == ns && touches(c, name, &out, &in, &oh, &ih))
			return in ? ih : 0;
	}
	for (uint32_t k = id + 1; k < next_id; k++) {
		struct commit *c = commit_by_id(k);
		if (c && c->ns == ns && touches(c, name, &out, &in, &oh, &ih))
			return out ? oh : 0;
	}
	return 0;
}

/* the names the commits of ns in (lo, hi] swapped in or out */
static size_t
touched_between(struct cell_ns *ns, uint32_t lo, uint32_t hi, const char **names, size_t max, bool *full)
{
	size_t n = 0;
	*full = false;
	for (uint32_t k = lo + 1; k <= hi; k++) {
		struct commit *c = commit_by_id(k);
		if (!c || c->ns != ns)
			continue;
		for (size_t i = 0; i < c->info.nout + c->info.nin; i++) {
			const char *nm = i < c->info.nout ? c->info.out[i].name : c->info.in[i - c->info.nout].name;
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = !strcmp(names[j], nm);
			if (seen)
				continue;
			if (n == max) {
				*full = true;
				return n;
			}
			names[n++] = nm;
		}
	}
	return n;
}

int
cell_commit_diff(uint32_t a, uint32_t b, struct commit_cell *from, struct commit_cell *to, size_t max,
		 size_t *n)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct commit *ca = commit_by_id(a), *cb = commit_by_id(b);
	*n = 0;
	if (!ca || !cb)
		return E_NOENT;
	if (ca->ns != cb->ns)
		return E_INVAL;
	static const char *names[8 * SWAP_MAX];
	bool full;
	size_t nt = touched_between(ca->ns, a < b ? a : b, a < b ? b : a, names, ARRAY_SIZE(names), &full);
	for (size_t i = 0; i < nt; i++) {
		uint64_t ha = state_at(ca->ns, a, names[i]), hb = state_at(ca->ns, b, names[i]);
		if (ha == hb)
			continue;
		if (*n == max)
			return E_NOSPC;
		strlcpy(from[*n].name, names[i], CELL_NAME_MAX);
		from[*n].hash = ha;
		strlcpy(to[*n].name, names[i], CELL_NAME_MAX);
		to[*n].hash = hb;
		(*n)++;
	}
	return full ? E_NOSPC : E_OK;
}

/* one of the named cells is registered in the running system */
static bool
pinned_any(struct cell_ns *ns, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cell *x = cell_find(ns, names[i]);
		if (x && __atomic_load_n(&x->pins, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

int
cell_rollback(uint32_t id, const char *reason, struct swap_times *t, struct cell_error *why)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct commit *c = commit_by_id(id);
	if (!c)
		return cell_errf(why, E_NOENT, "rollback: no commit #%u in the history", id);
	if (c->info.outcome == COMMIT_ROLLED_BACK)
		return cell_errf(why, E_EXIST, "rollback: commit #%u is rolled back already", id);
	if (c->info.outcome != COMMIT_PROBATION || tsc_ns() >= c->info.probation_until)
		return cell_errf(why, E_INVAL, "rollback: commit #%u is not on probation", id);
	static struct swap_request rq;
	static char adopt[SWAP_MAX][CELL_NAME_MAX + 8];
	static char label[32];
	memset(&rq, 0, sizeof(rq));
	rq.ns = c->ns;
	for (size_t i = 0; i < c->info.nin; i++)
		rq.old[rq.nold++] = c->info.in[i].name;
	for (size_t i = 0; i < c->nkept; i++) {
		rq.reuse[rq.nreuse++] = c->kept[i];
		rq.new_names[rq.nnew++] = c->kept[i]->name;
	}
	if (pinned_any(c->ns, rq.old, rq.nold))
		for (size_t i = 0; i < c->nkept; i++) {
			snprintf(adopt[i], sizeof(adopt[i]), "%s_adopt", c->kept[i]->name);
			if (cell_own_symbol(c->kept[i], adopt[i]))
				rq.transfer[rq.ntransfer++] = adopt[i];
		}
	snprintf(label, sizeof(label), "rollback of #%u", id);
	rq.label = label;
	struct swap_times tm;
	/* its new cells leave probation with the swap (which may free them) */
	struct cell *leaving[SWAP_MAX];
	for (size_t i = 0; i < rq.nold; i++) {
		leaving[i] = cell_find(c->ns, rq.old[i]);
		if (leaving[i])
			leaving[i]->probation_until = 0;
	}
	int err = cell_swap(&rq, &tm, why);
	if (err) {
		for (size_t i = 0; i < rq.nold; i++)
			if (leaving[i])
				leaving[i]->probation_until = c->info.probation_until;
		return err;
	}
	c->nkept = 0; /* reinstated: in the namespace again */
	c->info.outcome = COMMIT_ROLLED_BACK;
	__atomic_sub_fetch(&on_probation, 1, __ATOMIC_RELAXED);
	c->info.back = tm;
	snprintf(c->info.note, sizeof(c->info.note), "%s", reason ? reason : "rolled back");
	log_warn("commit #%u rolled back in %lu us (pause %lu us): %s", id, tm.total / 1000, tm.pause / 1000,
		 c->info.note);
	if (t)
		*t = tm;
	return E_OK;
}

int
cell_checkout(uint32_t id, struct swap_times *t, struct cell_error *why)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock();
	struct commit *target = commit_by_id(id);
	if (!target)
		return cell_errf(why, E_NOENT, "checkout: commit #%u is not in the history (it keeps the last %d)", id,
				 HIST_MAX);
	struct cell_ns *ns = target->ns;
	/* the cells the commits since then changed */
	static const char *touched[8 * SWAP_MAX];
	bool full;
	size_t nt = touched_between(ns, id, next_id - 1, touched, ARRAY_SIZE(touched), &full);
	if (full)
		return cell_errf(why, E_NOSPC, "checkout: too many cells changed since #%u", id);
	static struct swap_request rq;
	static char names[SWAP_MAX][CELL_NAME_MAX], adopt[SWAP_MAX][CELL_NAME_MAX + 8], label[32];
	struct mapped_pages *maps[SWAP_MAX] = { 0 };
	memset(&rq, 0, sizeof(rq));
	rq.ns = ns;
	int err = E_OK;
	for (size_t i = 0; i < nt && !err; i++) {
		struct cell *cur = cell_find(ns, touched[i]);
		struct commit_cell wanted = { .hash = state_at(ns, id, touched[i]) };
		strlcpy(wanted.name, touched[i], sizeof(wanted.name));
		const struct commit_cell *want = wanted.hash ? &wanted : NULL;
		if (cur && want && cur->obj_hash == want->hash)
			continue;
		if (!cur && !want)
			continue;
		if (cur) {
			if (rq.nold == SWAP_MAX)
				err = cell_errf(why, E_NOSPC, "checkout: more than %d cells to swap", SWAP_MAX);
			else
				rq.old[rq.nold++] = cur->name;
		}
		if (want && !err) {
			struct object *o = store_get(want->hash);
			if (!o) {
				err = cell_errf(why, E_NOENT, "checkout: the object of %s (%016lx) is not kept", want->name,
						want->hash);
			} else if (rq.nnew == SWAP_MAX) {
				err = cell_errf(why, E_NOSPC, "checkout: more than %d cells to swap", SWAP_MAX);
			} else {
				size_t k = rq.nnew++;
				strlcpy(names[k], want->name, sizeof(names[k]));
				rq.new_names[k] = names[k];
				rq.new_sizes[k] = o->size;
				if (o->copy) {
					rq.new_images[k] = o->copy;
				} else if ((rq.new_images[k] = modules_boot_bytes(o->phys, o->size))) {
					/* a boot module: its kept mapping */
				} else {
					int e = E_OK;
					maps[k] = mp_map_phys(o->phys, o->size, MP_READ, &e);
					rq.new_images[k] = maps[k] ? mp_as(maps[k], 0, o->size, &e) : NULL;
					if (!rq.new_images[k])
						err = cell_errf(why, e, "checkout: cannot map the object of %s", want->name);
				}
			}
		}
	}
	if (!err && !rq.nold && !rq.nnew)
		err = cell_errf(why, E_EXIST, "checkout: namespace %s already runs what #%u ran", cell_ns_name(ns), id);
	else if (!err && (!rq.nold || !rq.nnew))
		err = cell_errf(why, E_NOTSUP, "checkout: #%u would only %s cells (a swap replaces some by others)",
				id, rq.nold ? "remove" : "add");
	if (!err) {
		if (pinned_any(ns, rq.old, rq.nold))
			for (size_t k = 0; k < rq.nnew; k++) {
				snprintf(adopt[k], sizeof(adopt[k]), "%s_adopt", rq.new_names[k]);
				rq.transfer[rq.ntransfer++] = adopt[k];
			}
		snprintf(label, sizeof(label), "checkout #%u", id);
		rq.label = label;
		err = cell_swap(&rq, t, why);
	}
	for (size_t k = 0; k < SWAP_MAX; k++)
		if (maps[k])
			mp_drop(maps[k]);
	return err;
}

EXPORT_APP(commit_outcome_str);
EXPORT_APP(cell_commits);
EXPORT_APP(cell_commit_get);
EXPORT_APP(cell_commit_diff);
EXPORT_APP(cell_ns_manifest);
EXPORT_APP(cell_rollback);
EXPORT_APP(cell_checkout);
EXPORT_APP(cell_probation_tick);
