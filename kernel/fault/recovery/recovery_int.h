/* recovery_int.h: between cascade.c, reload.c and watchdog.c */
#ifndef RECOVERY_INT_H
#define RECOVERY_INT_H

#include "recovery.h"
#include "task.h"

struct cell_ns;

/* what a restart lineage carries from its earlier lives (records.c): the
 * cascade escalates on faults that recur at the same place */
struct recovery_history {
	uint32_t restarts;            /* lives before this one */
	uint32_t same_place;          /* consecutive faults at last_place */
	uint32_t stage;               /* recovery stage taken after the last fault */
	uint64_t last_place;          /* the last fault's cell+section+offset, hashed */
	uint64_t burst_start;         /* restart intensity: deaths since then (tsc_ns) */
	uint32_t burst;
};

/* a stage the recovery task carries out */
struct recovery_job {
	struct recovery_job *next;
	unsigned stage;
	char cell[32];             /* the suspect ("" if none) */
	struct cell_ns *ns;
	bool fresh_data;           /* the fault touched its data */
	bool restartable;
	struct task_builder builder; /* to restart with */
	struct recovery_history history; /* the replacement's (records.c) */
	char task[32];
	uint32_t task_id;
	uint64_t rip;
	uint32_t rollback;         /* the commit on probation to roll back (0: none) */
	uint64_t queued_at, taken_at; /* tsc_ns (recovery_stats' last_*) */
};

extern struct recovery_stats recovery_counters;
void recovery_queue(struct recovery_job *j);
int recovery_task_start(void) __must_check;
int recovery_watchdog_start(void) __must_check;
/* an NMI on cpu is the lockup detector's: true, and msg says so (watchdog.c) */
bool recovery_lockup_nmi(unsigned cpu, char *msg, size_t n);
/* t runs the queue of reloads (a job queued by its own death would wait
 * for nobody: it is restarted instead) */
struct task;
bool recovery_is_queue_task(const struct task *t);
uint64_t recovery_watchdog_period(void);

/* cascade.c: spawn b (blocked), record h and the replacement of task
 * `from`, then wake it - or, with `defer`, leave it blocked and put a
 * reference in *defer for the caller to wake; the new id, or 0 (note
 * says why) */
uint32_t recovery_restart(uint32_t from, const struct task_builder *b, const struct recovery_history *h,
			  struct task **defer, char *note, size_t n);

/* cascade.c: recovery_log, and wake (if not NULL; its reference is
 * dropped) once the record is in the fault log, before the console line */
void recovery_log_wake(struct task *wake, const char *task, uint32_t task_id, uint64_t rip, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* records.c: the per-task table, keyed by task id */
struct recovery_history recovery_history_of(uint32_t id);
bool recovery_record_task(uint32_t id);   /* make sure it has a record */
bool recovery_record_ended(uint32_t id);  /* it ended (or has no record left) */
void recovery_record_restart(uint32_t from, uint32_t to, const struct recovery_history *h);
void recovery_on_progress_period(uint32_t id, uint64_t period_ns);
void recovery_on_progress(uint32_t id);
void recovery_on_ended(uint32_t id);
struct recovery_overdue {
	uint32_t id;
	uint64_t period_ns, late_ns;  /* promised period; time since the last progress */
	const void *task;             /* the task as it promised (task_find_ptr) */
	uint32_t kills;               /* kills already sent for this broken promise */
};
/* up to max tasks whose promise is broken at `now` (one kill per broken
 * promise, sent again after a grace if the task has not ended, at most
 * three times); frees records of tasks that ended
 * long enough ago */
size_t recovery_records_overdue(struct recovery_overdue *out, size_t max, uint64_t now);

/* put back in place every cell that is off its seal (cascade.c): on a
 * fault outside every cell, and before the watchdog kills a hung task
 * (corrupted code may be why it hangs) */
void recovery_repair_all(uint64_t rip);

#endif
