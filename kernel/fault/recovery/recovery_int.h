/* recovery_int.h: between cascade.c, reload.c and watchdog.c */
#ifndef RECOVERY_INT_H
#define RECOVERY_INT_H

#include "recovery.h"
#include "task.h"

struct cell_ns;

/* a stage the recovery task carries out */
struct recovery_job {
	struct recovery_job *next;
	unsigned stage;
	char cell[32];             /* the suspect ("" if none) */
	struct cell_ns *ns;
	bool fresh_data;           /* the fault touched its data */
	bool restartable;
	struct task_builder builder; /* to restart with (history updated) */
	char task[32];
	uint32_t task_id;
	uint64_t rip;
};

extern struct recovery_stats recovery_counters;
void recovery_queue(struct recovery_job *j);
int recovery_task_start(void) __must_check;
uint64_t recovery_watchdog_period(void);

#endif
