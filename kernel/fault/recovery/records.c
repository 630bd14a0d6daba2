/*
 * records.c: what recovery keeps per task, in its own table keyed by task
 * id (the task cell keeps none of it; thesis 7.2.1, no state spill):
 *
 *   - the cascade's history of a restart lineage (lives before this one,
 *     consecutive faults at the same place, the last stage taken), which
 *     the replacement's record gets before it first runs;
 *   - the id of the task that replaced a dead one (restarted_as);
 *   - the watchdog's promise (period, last task_progress()).
 *
 * A record lives while its task does and RECORD_KEEP_NS after its end
 * (so restarted_as can still be read); then the watchdog's scan frees it.
 *
 * The table is fixed (no allocation in a dying task or a fault path) and
 * lookups take no lock: a record lives in one of PROBE slots from its
 * id's home slot, and a reader compares ids over all PROBE slots (a freed
 * slot does not end the search, so freeing needs no tombstones).
 * Inserting, freeing and multi-field updates hold `lock`; the last
 * progress time is stored by its own task without it.
 *
 * State: the table, plain values (ids, counters, times), carried into a
 * new version of this cell (CELL_CARRY). If it were lost - a reload of
 * recovery that did not carry it - a lineage's history would start over
 * (its next fault is treated as a first one: a restart, so at worst one
 * stage more before a reload), promises would be forgotten until each
 * task declares its period again (the workload and tests declare it at
 * the start of each life: no watchdog for a live hung task meanwhile),
 * and restarted_as of earlier deaths would read 0. None of it affects
 * what a running task computes.
 */
#define LOG_TAG "recovery"
#include "recovery.h"
#include "recovery_int.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

#define RECORDS 1024          /* a power of two */
#define PROBE 32
#define RECORD_KEEP_NS 5000000000ULL
#define KILL_GRACE_NS 1000000000ULL   /* for a watchdog's kill to end the task */
#define KILLS_MAX 3

struct record {
	uint32_t id;                   /* 0: free; published last (release) */
	uint32_t restarted_as;         /* its replacement's id, 0: none (yet) */
	struct recovery_history h;     /* its lineage's history, up to this life */
	uint64_t period_ns;            /* its progress promise, 0: none */
	uint64_t progress_at;          /* last task_progress (stored by the task itself) */
	uint64_t ended_at;             /* when it ended, 0: alive */
	uint64_t kill_at;              /* the watchdog's last kill of this life, 0: none */
	uint32_t kills;                /* how many (a kill that did not take is sent again) */
	const void *task;              /* the task that promised (never read here: the
					* watchdog's way to it should its id word be
					* corrupted, task_find_ptr) */
};

static struct record records[RECORDS] CELL_CARRY(records);
static struct spinlock lock = SPINLOCK_INIT;
static bool full_logged;

static struct record *
find(uint32_t id)
{
	if (!id)
		return NULL;
	for (unsigned i = 0; i < PROBE; i++) {
		struct record *r = &records[(id + i) & (RECORDS - 1)];
		if (__atomic_load_n(&r->id, __ATOMIC_ACQUIRE) == id)
			return r;
	}
	return NULL;
}

/* under lock: id's record, made (empty) if it has none; NULL if every
 * slot it may use is taken */
static struct record *
obtain(uint32_t id)
{
	struct record *r = find(id);
	if (r || !id)
		return r;
	for (unsigned i = 0; i < PROBE; i++) {
		r = &records[(id + i) & (RECORDS - 1)];
		if (r->id)
			continue;
		*r = (struct record){ 0 };
		__atomic_store_n(&r->id, id, __ATOMIC_RELEASE);
		return r;
	}
	if (!full_logged) {
		full_logged = true;
		log_warn("per-task records full around task #%u: its history or promise is not kept", id);
	}
	return NULL;
}

struct recovery_history
recovery_history_of(uint32_t id)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	struct record *r = find(id);
	return r ? r->h : (struct recovery_history){ 0 };
}

bool
recovery_record_task(uint32_t id)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	return obtain(id) != NULL;
}

bool
recovery_record_ended(uint32_t id)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	struct record *r = find(id);
	return !r || r->ended_at;
}

void
recovery_record_restart(uint32_t from, uint32_t to, const struct recovery_history *h)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	struct record *old = find(from);
	if (old)
		old->restarted_as = to;
	struct record *r = obtain(to);
	if (r)
		r->h = *h;
}

uint32_t
recovery_restarted_as(uint32_t id)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	struct record *r = find(id);
	return r ? r->restarted_as : 0;
}

/* ---- the task cell's hooks ---- */
void
recovery_on_progress_period(uint32_t id, uint64_t period_ns)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	struct record *r = period_ns ? obtain(id) : find(id);
	if (!r)
		return;
	r->task = task_current(); /* the hook runs in the promising task */
	r->kill_at = 0;
	r->kills = 0;
	__atomic_store_n(&r->progress_at, tsc_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&r->period_ns, period_ns, __ATOMIC_RELEASE);
}

/* the hot path: no lock, no allocation (the task's own record) */
void
recovery_on_progress(uint32_t id)
{
	struct record *r = find(id);
	if (r)
		__atomic_store_n(&r->progress_at, tsc_ns(), __ATOMIC_RELAXED);
}

void
recovery_on_ended(uint32_t id)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	struct record *r = find(id);
	if (r) {
		r->period_ns = 0;
		r->ended_at = tsc_ns();
	}
}

/* ---- the watchdog's scan (watchdog.c) ---- */
size_t
recovery_records_overdue(struct recovery_overdue *out, size_t max, uint64_t now)
{
	size_t n = 0;
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&lock);
	for (size_t i = 0; i < RECORDS; i++) {
		struct record *r = &records[i];
		if (!r->id)
			continue;
		if (r->ended_at) {
			if (now - r->ended_at > RECORD_KEEP_NS)
				__atomic_store_n(&r->id, 0, __ATOMIC_RELEASE); /* nobody reads it any more */
			continue;
		}
		uint64_t at = __atomic_load_n(&r->progress_at, __ATOMIC_RELAXED);
		if (n == max || !r->period_ns || now <= at + r->period_ns)
			continue;
		/* broken: one kill, then a grace for it to take (the task's
		 * end clears the promise); a kill that did not take - a task
		 * whose own struct was corrupted may not be reached by it - is
		 * sent again, up to KILLS_MAX times, then given up (logged) */
		if (r->kill_at && now - r->kill_at < KILL_GRACE_NS)
			continue;
		out[n++] = (struct recovery_overdue){ r->id, r->period_ns, now - at, r->task, r->kills };
		r->kill_at = now;
		if (++r->kills >= KILLS_MAX)
			r->period_ns = 0;
	}
	return n;
}

size_t
recovery_records_in_use(void)
{
	size_t n = 0;
	for (size_t i = 0; i < RECORDS; i++)
		n += __atomic_load_n(&records[i].id, __ATOMIC_RELAXED) != 0;
	return n;
}
