/*
 * watchdog.c: tasks that promised progress (task_progress_period) and
 * broke the promise are killed by unwinding; the cascade then treats the
 * hang like a fault (restart, reload, ...). The promises are kept in
 * recovery's per-task records (records.c), not in the tasks.
 */
#define LOG_TAG "recovery"
#include "recovery_int.h"
#include "base.h"
#include "fmt.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

static uint64_t period = 10000000; /* 10 ms */

uint64_t recovery_watchdog_period(void) { return period; }

void
recovery_set_watchdog_period(uint64_t ns)
{
	if (ns >= 1000000)
		period = ns;
}

void
recovery_watchdog_scan(void)
{
	struct recovery_overdue late[16];
	uint64_t now = tsc_ns();
	size_t n = recovery_records_overdue(late, ARRAY_SIZE(late), now);
	if (n)
		recovery_repair_all(0); /* a hang may be corrupted code that faults nowhere */
	for (size_t i = 0; i < n; i++) {
		/* by id, or else by the pointer it promised from: a task whose
		 * id word was corrupted is found (and its id put right) */
		struct task *t = task_find_id(late[i].id);
		if (!t)
			t = task_find_ptr(late[i].task, late[i].id);
		if (!t)
			continue; /* freed meanwhile */
		char why[96];
		snprintf(why, sizeof(why), "watchdog: no progress for %lu ms (promised every %lu ms)",
			 late[i].late_ns / 1000000, late[i].period_ns / 1000000);
		/* counted first: the kill may be over before task_kill_as returns */
		__atomic_add_fetch(&recovery_counters.watchdog_kills, 1, __ATOMIC_RELAXED);
		int e = task_kill_as(t, why, TASK_KILL_RECOVER);
		if (e)
			__atomic_sub_fetch(&recovery_counters.watchdog_kills, 1, __ATOMIC_RELAXED);
		else
			log_warn("task %s (#%u): %s", t->name, t->id, why);
		task_unref(t);
	}
}
