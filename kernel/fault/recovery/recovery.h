/*
 * recovery: fault recovery by default (thesis 8.2). After the unwinder
 * has released everything a failed task held, the cascade decides:
 *
 *   1 unwound     always (the unwinder did it)
 *   2 restart     a restartable task is spawned again
 *   3 reload      the suspect cell is swapped for a fresh copy of itself
 *                 (a new address; fresh .data/.bss if the fault touched its
 *                 data), then the task restarts
 *   4 dependents  the suspect cell and the cells that depend on it
 *   5 reboot      the last resort
 *
 * A first fault restarts (stage 2), unless it touched a cell's memory (the
 * address accessed lies in a cell's text, rodata or data, or the faulting
 * instruction is an invalid opcode in a cell's text other than ud2, which
 * compilers emit on purpose, or the faulting instruction's cell no longer
 * matches its seal - its text or rodata changed since it was linked, see
 * cell_intact): then it starts at stage 3, and a cell that fails its seal
 * is first repaired in place from its pristine copy (cell_repair), since
 * the tasks that run before the reload may need it. Each
 * recurrence at the same instruction climbs one stage. A reload that
 * fails climbs at once. The suspect is the cell whose memory was touched,
 * else the cell of the faulting instruction; nano_core cells cannot be
 * reloaded (their stages reduce to restarting). Each stage and its
 * outcome goes to the fault log (`faults`).
 *
 * The watchdog: a task that promised progress (task_progress_period) and
 * broke the promise is killed by unwinding, and the cascade follows.
 * State: the queue of reloads for the recovery task, counters, and what it
 * keeps per task - a lineage's history, progress promises, replacements -
 * in its own table keyed by task id (records.c; the task cell calls its
 * hooks, struct task_recovery_hooks, and keeps none of it).
 */
#ifndef RECOVERY_H
#define RECOVERY_H

#include "base.h"

enum recovery_stage {
	STAGE_UNWOUND = 1, STAGE_RESTART, STAGE_RELOAD, STAGE_DEPENDENTS, STAGE_REBOOT,
};
const char *recovery_stage_str(unsigned stage);

/* install the cascade and start the recovery task (the captain, at boot) */
void recovery_start(const char *cmdline);

struct recovery_stats {
	uint64_t events, restarts, reloads, reload_failures, dependents, reboots, watchdog_kills, repairs;
	uint64_t rollbacks;      /* evolutions on probation rolled back by a fault in a new cell */
	uint64_t lockups;        /* CPUs found with interrupts off too long and sent an NMI */
	uint64_t last_reload_ns; /* duration of the last reload (swap) */
	/* the last reload job, stage by stage (tsc_ns): queued by the dying
	 * task, taken by the recovery task, its task restarted (woken); and
	 * the swap's stages until then */
	uint64_t last_queued_at, last_taken_at, last_restarted_at;
	uint64_t last_load_ns, last_verify_ns, last_quiesce_ns, last_pause_ns, last_commit_ns;
};
void recovery_stats(struct recovery_stats *out);

/* the last resort (default: reboot); tests replace it */
void recovery_set_last_resort(void (*fn)(const char *why));

/* the watchdog's scan period (default 10 ms) */
void recovery_set_watchdog_period(uint64_t ns);

/* the id of the task that replaced the dead task `id` after a fault or a
 * watchdog kill, 0 if none (or if it ended more than a few seconds ago:
 * records of ended tasks are let go) */
uint32_t recovery_restarted_as(uint32_t id);
/* how many per-task records (history, promise, replacement) are kept */
size_t recovery_records_in_use(void);

/* internal: cascade.c <-> reload.c, watchdog.c */
void recovery_watchdog_scan(void);
void recovery_log(const char *task, uint32_t task_id, uint64_t rip, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
