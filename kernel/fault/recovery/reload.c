/*
 * reload.c: the recovery task. It carries out stages 3-5 queued by the
 * cascade - a cell (and, at stage 4, the cells depending on it) swapped
 * for fresh copies from the image, the task restarted on the new code -
 * and scans for broken progress promises between jobs (watchdog.c).
 */
#define LOG_TAG "recovery"
#include "recovery_int.h"
#include "cell_mgr.h"
#include "exceptions.h"
#include "base.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "power.h"
#include "tsc.h"

static struct spinlock qlock = SPINLOCK_INIT;
static struct recovery_job *qhead, *qtail;
static struct waitq qwait;
static void (*last_resort)(const char *why);

void
recovery_set_last_resort(void (*fn)(const char *why))
{
	last_resort = fn;
}

void
recovery_queue(struct recovery_job *j)
{
	j->queued_at = tsc_ns();
	j->next = NULL;
	bool irq = spin_lock_irq(&qlock);
	if (qtail)
		qtail->next = j;
	else
		qhead = j;
	qtail = j;
	spin_unlock_irq(&qlock, irq);
	waitq_wake_one(&qwait);
}

static struct recovery_job *
pop(void)
{
	bool irq = spin_lock_irq(&qlock);
	struct recovery_job *j = qhead;
	if (j) {
		qhead = j->next;
		if (!qhead)
			qtail = NULL;
	}
	spin_unlock_irq(&qlock, irq);
	return j;
}

/* an address inside a cell that is about to be reloaded, as (section, offset) */
struct addr_ref {
	char cell[32], section[64];
	uint64_t off;
	bool valid;
};

static bool
in_set(const char *name, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(set[i], name))
			return true;
	return false;
}

static struct addr_ref
ref_of(uint64_t addr, const char *const *set, size_t n)
{
	struct addr_ref r = { 0 };
	struct section *s = addr ? cell_section_at(addr) : NULL;
	if (s && in_set(s->cell->name, set, n)) {
		strlcpy(r.cell, s->cell->name, sizeof(r.cell));
		strlcpy(r.section, s->name, sizeof(r.section));
		r.off = addr - s->addr;
		r.valid = true;
	}
	return r;
}

static uint64_t
addr_of(const struct addr_ref *r, struct cell_ns *ns, uint64_t old)
{
	if (!r->valid)
		return old;
	struct cell *c = cell_find(ns, r->cell);
	for (size_t i = 0; c && i < c->nsections; i++)
		if (!strcmp(c->sections[i].name, r->section))
			return c->sections[i].addr + r->off;
	return old;
}

/* the cell and (stage 4) the cells of its namespace that depend on it */
static size_t
reload_set(struct cell *c, bool dependents, const char **set)
{
	size_t n = 0;
	set[n++] = c->name;
	for (size_t i = 0; dependents && i < c->nsections; i++)
		for (struct cell_dep *d = c->sections[i].deps_in; d; d = d->next_in) {
			struct cell *u = d->from->cell;
			if (u->nano_core || u->ns != c->ns || in_set(u->name, set, n) || n == SWAP_MAX)
				continue;
			set[n++] = u->name;
		}
	return n;
}

/* The dead task is still in its death path (writing its fault report,
 * milliseconds under emulation) until it ends. A swap of the cell its
 * entry is in would find it there and restart it (the swap hook restarts
 * the tasks whose entry is in an old cell), and recovery would restart it
 * a second time: such a swap waits for its end first (bounded). */
static void
wait_until_ended(uint32_t id)
{
	uint64_t t0 = tsc_ns();
	while (!recovery_record_ended(id) && tsc_ns() - t0 < 1000000000ULL)
		task_sleep_ns(100000);
}

/* a reload under way: what its restart needs once the swap is committed */
struct reload_ctx {
	struct recovery_job *j;
	const char *set[SWAP_MAX];
	size_t n;
	struct addr_ref entry, arg;  /* the task's entry and argument, if in the set */
	char held[32];               /* its entry cell, if in the set */
};

/* the swap's committed hook (writer lock held; the old copies are cleaned
 * up after it): the task restarted on the fresh code at once, its restart
 * put in the fault log, then woken */
static void
restart_reloaded(void *arg, const struct swap_times *so_far)
{
	struct reload_ctx *x = arg;
	struct recovery_job *j = x->j;
	j->builder.entry = (uint64_t (*)(uint64_t))(uintptr_t)addr_of(&x->entry, j->ns, (uint64_t)(uintptr_t)j->builder.entry);
	j->builder.arg = addr_of(&x->arg, j->ns, j->builder.arg);
	if (x->held[0])
		j->builder.cell = cell_find(j->ns, x->held);
	struct cell *fresh = cell_find(j->ns, j->cell);
	__atomic_add_fetch(&recovery_counters.reloads, 1, __ATOMIC_RELAXED);
	char restarted[80] = "not restartable";
	j->history.stage = j->stage;
	struct task *t = NULL;
	if (j->restartable)
		recovery_restart(j->task_id, &j->builder, &j->history, &t, restarted, sizeof(restarted));
	recovery_counters.last_queued_at = j->queued_at;
	recovery_counters.last_taken_at = j->taken_at;
	recovery_counters.last_load_ns = so_far->load;
	recovery_counters.last_verify_ns = so_far->verify;
	recovery_counters.last_commit_ns = so_far->total;
	recovery_counters.last_quiesce_ns = so_far->quiesce;
	recovery_counters.last_pause_ns = so_far->pause;
	recovery_counters.last_restarted_at = tsc_ns();
	bool woken = t != NULL;
	recovery_log_wake(t, j->task, j->task_id, j->rip,
			  "stage %u: reloaded %s%s (text now at %#lx, %s data) in %lu us; %s", j->stage, j->cell,
			  x->n > 1 ? " and its dependents" : "", fresh ? fresh->start[REGION_TEXT] : 0,
			  j->fresh_data ? "fresh" : "carried", so_far->total / 1000, restarted);
	/* woken onto this CPU, it would wait for the swap's cleanup (or a
	 * tick): let it run first */
	if (woken)
		task_yield();
}

/* swap the set for fresh copies, restarting the task as soon as that is
 * committed; E_OK or the swap's error in why */
static int
reload(struct recovery_job *j, char *note, size_t notesz)
{
	struct cell *c = cell_find(j->ns, j->cell);
	if (!c) {
		snprintf(note, notesz, "cell %s is no longer loaded", j->cell);
		return E_NOENT;
	}
	static struct reload_ctx x; /* one job at a time: the recovery task's */
	memset(&x, 0, sizeof(x));
	x.j = j;
	x.n = reload_set(c, j->stage == STAGE_DEPENDENTS, x.set);
	struct swap_request rq = { .ns = j->ns, .nold = x.n, .nnew = x.n, .fresh_data = j->fresh_data,
				   .urgent = true, .committed = restart_reloaded, .committed_ctx = &x };
	static char adopt[SWAP_MAX][48];
	for (size_t i = 0; i < x.n; i++) {
		rq.old[i] = rq.new_names[i] = x.set[i];
		struct cell *y = cell_find(j->ns, x.set[i]);
		snprintf(adopt[i], sizeof(adopt[i]), "%s_adopt", x.set[i]);
		if (y && y->pins && cell_own_symbol(y, adopt[i]))
			rq.transfer[rq.ntransfer++] = adopt[i];
	}
	x.entry = ref_of((uint64_t)(uintptr_t)j->builder.entry, x.set, x.n);
	x.arg = ref_of(j->builder.arg, x.set, x.n);
	if (j->builder.cell && in_set(j->builder.cell->name, x.set, x.n))
		strlcpy(x.held, j->builder.cell->name, sizeof(x.held));
	if (x.held[0] || x.entry.valid)
		wait_until_ended(j->task_id);
	struct swap_times t;
	struct cell_error why;
	int err = cell_swap(&rq, &t, &why);
	if (err) {
		snprintf(note, notesz, "%s", why.msg);
		return err;
	}
	recovery_counters.last_reload_ns = t.total;
	return E_OK;
}

/* the evolution on probation that brought the faulting cell in, rolled
 * back: the old cells reinstated with the state carried back, the task
 * restarted on them (its entry found by name); false if it could not be
 * (its probation just ended, say: then the cascade goes on) */
static bool
roll_back(struct recovery_job *j)
{
	char entry[64] = "", reason[120];
	{
		_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
		uint64_t off = 1;
		const char *cell = NULL;
		const char *name = cell_symbolize((uint64_t)(uintptr_t)j->builder.entry, &off, &cell);
		if (name && !off && cell && cell_find(j->ns, cell) && cell_probation_of(cell_find(j->ns, cell)))
			strlcpy(entry, name, sizeof(entry));
	}
	snprintf(reason, sizeof(reason), "fault in %s at %#lx (task %s)", j->cell, j->rip, j->task);
	wait_until_ended(j->task_id); /* its entry may be in a cell the rollback swaps out */
	struct swap_times t = { 0 };
	struct cell_error why;
	int err = cell_rollback(j->rollback, reason, &t, &why);
	if (err && err != E_EXIST) {
		recovery_log(j->task, j->task_id, j->rip, "stage %u: rollback of commit #%u failed: %s", j->stage,
			     j->rollback, why.msg);
		return false;
	}
	if (entry[0]) {
		uint64_t addr = cell_sym_addr(j->ns, entry);
		if (addr)
			j->builder.entry = (uint64_t (*)(uint64_t))(uintptr_t)addr;
	}
	if (!err)
		__atomic_add_fetch(&recovery_counters.rollbacks, 1, __ATOMIC_RELAXED);
	char restarted[80] = "not restartable";
	j->history.stage = j->stage;
	struct task *fresh = NULL;
	if (j->restartable)
		recovery_restart(j->task_id, &j->builder, &j->history, &fresh, restarted, sizeof(restarted));
	/* a restarted task goes once its restart is in the fault log: its
	 * own faults are logged after it */
	if (err)
		recovery_log_wake(fresh, j->task, j->task_id, j->rip, "stage %u: commit #%u was rolled back already; %s",
				  j->stage, j->rollback, restarted);
	else
		recovery_log_wake(fresh, j->task, j->task_id, j->rip,
				  "stage %u: rolled back commit #%u in %lu us (pause %lu us, %zu data sections carried back); %s",
				  j->stage, j->rollback, t.total / 1000, t.pause / 1000, t.data_copied, restarted);
	return true;
}

static void
run_job(struct recovery_job *j)
{
	if (j->rollback && j->ns && roll_back(j))
		return;
	while (j->stage == STAGE_RELOAD || j->stage == STAGE_DEPENDENTS) {
		char note[120];
		if (j->stage == STAGE_DEPENDENTS)
			__atomic_add_fetch(&recovery_counters.dependents, 1, __ATOMIC_RELAXED);
		int err = reload(j, note, sizeof(note));
		if (err == E_BUSY || err == E_PERM) {
			/* the cell cannot be swapped at all (registered without a
			 * transfer function, or in the nano_core): restart instead;
			 * only a recurrence climbs further */
			__atomic_add_fetch(&recovery_counters.reload_failures, 1, __ATOMIC_RELAXED);
			char restarted[80] = "not restartable";
			struct task *t = NULL;
			if (j->restartable)
				recovery_restart(j->task_id, &j->builder, &j->history, &t, restarted, sizeof(restarted));
			recovery_log_wake(t, j->task, j->task_id, j->rip, "stage %u: cannot %s (%s); %s", j->stage,
					  recovery_stage_str(j->stage), note, restarted);
			return;
		}
		if (err) {
			__atomic_add_fetch(&recovery_counters.reload_failures, 1, __ATOMIC_RELAXED);
			recovery_log(j->task, j->task_id, j->rip, "stage %u: %s failed: %s", j->stage,
				     recovery_stage_str(j->stage), note);
			j->stage++;
			continue;
		}
		/* restarted and logged in the swap (restart_reloaded); the old
		 * copies go now that the task is back */
		cell_reclaim();
		return;
	}
	__atomic_add_fetch(&recovery_counters.reboots, 1, __ATOMIC_RELAXED);
	char why[120];
	snprintf(why, sizeof(why), "task %s keeps failing at %#lx after every other stage", j->task, j->rip);
	recovery_log(j->task, j->task_id, j->rip, "stage 5: last resort: reboot (%s)", why);
	if (last_resort) {
		last_resort(why);
		return;
	}
	log_err("recovery: rebooting: %s", why);
	power_reboot();
}

static bool
has_job(void *ctx)
{
	return __atomic_load_n(&qhead, __ATOMIC_ACQUIRE) != NULL;
}

/* after any death the cascade saw, every cell's seal is checked: the
 * corrupted code may be a caller of the faulting function (a stuck lock's
 * spinner runs in the nano_core, the bad lock code in `sync`), which the
 * exception's first look (cascade.c, on_fault) does not see. Off the
 * critical path: the dead task has already been restarted. */
static void
sweep_after_deaths(void)
{
	static uint64_t swept;
	/* (a broken stuck lock too: the code that left it taken may be off
	 * its seal) */
	uint64_t events = __atomic_load_n(&recovery_counters.events, __ATOMIC_RELAXED) + exc_locks_broken();
	if (events == swept)
		return;
	swept = events;
	recovery_repair_all(0); /* 1.4-4 ms under TCG (test boot) */
}

/* old copies a reload or swap left retired (a task was still inside them
 * when it ended) are freed once nothing holds them: looked at twice a
 * second while there are any, not only at the next swap */
static void
reclaim_retired(void)
{
	static uint64_t last;
	uint64_t now = tsc_ns();
	if (!cell_retired() || now - last < 500000000)
		return;
	last = now;
	size_t freed = cell_reclaim();
	(void)freed;
}

static uint64_t
recovery_task(uint64_t unused)
{
	for (;;) {
		/* a system task's promise, renewed each round (the hooks that
		 * keep it may be installed after this task started); a job that
		 * hangs breaks it, and the watchdog task kills this one */
		task_progress_period(TASK_SYSTEM_PROMISE_NS);
		int e = waitq_wait_deadline(&qwait, has_job, NULL, tsc_ns() + recovery_watchdog_period());
		(void)e; /* a job or the watchdog's period */
		recovery_watchdog_scan(); /* also here: the watchdog task may be the one hung */
		cell_probation_tick(); /* probations whose time is up are committed */
		sweep_after_deaths();
		reclaim_retired();
		struct recovery_job *j;
		while ((j = pop())) {
			j->taken_at = tsc_ns();
			run_job(j);
			kfree(j);
		}
	}
	return 0;
}

bool
recovery_is_queue_task(const struct task *t)
{
	return t->builder.entry == recovery_task;
}

int
recovery_task_start(void)
{
	waitq_init(&qwait);
	struct task_builder b = TASK_BUILDER(recovery_task, (uint64_t)0);
	b.name = "recovery";
	b.restartable = true;
	b.system = true;
	return task_spawn_detached(&b);
}
