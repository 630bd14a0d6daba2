/*
 * task_int.h: private declarations of the task cell.
 */
#ifndef TASK_INT_H
#define TASK_INT_H

#include "task.h"

void task_switch_asm(struct task *prev, struct task *next);
void task_entry_trampoline(void);
void task_register(struct task *t);
void task_check_kill(void);
void task_kick(struct task *t);
int task_unwind_init(void) __must_check;
void task_ended(struct task *t);    /* death.c: the recovery hook's `ended` */

/* sched.c */
void sched_schedule(void);          /* call with interrupts disabled */
void sched_finish_switch(void);
void sched_make_runnable(struct task *t);
void sched_ready_remove(struct task *t);
__noreturn void task_finish(struct task *t, enum runstate state);
/* t described for introspection (caller keeps t alive) */
void task_info_of(const struct task *t, struct task_info *i);

/* check.c: the fields the scheduler, kills and the watchdog rely on */
bool task_check_magic(const struct task *t, const char *where);
bool task_check_ids(struct task *t, uint32_t id); /* false: t is not id's task */
void task_check_state(struct task *t);

/* timer.c: wake the tasks whose deadline has passed (the tick) */
void task_timers_expire(uint64_t now);

/* reap.c: exited tasks that have switched away for the last time */
void task_zombie_add(struct task *t);     /* interrupts off */
bool task_zombies_waiting(void);
int task_reaper_start(void) __must_check;

/* fpu.c / tls.c */
void task_fpu_free(struct task *t);
void task_fpu_switch(struct task *prev, struct task *next);
void task_tls_free(struct task *t);
int task_tls_alloc(struct task *t) __must_check;
void task_tls_publish(size_t off, const void *image, size_t len);
int task_fpu_init_cpu(void) __must_check;
/* call fn on every task, under the task-list lock */
void task_for_each(void (*fn)(struct task *t, void *ctx), void *ctx);
void task_tls_switch(struct task *next);

/* a reference to t unless its last one is already gone (inside a
 * task_for_each walk: the list lock keeps it from being freed meanwhile) */
struct task *task_ref_live(struct task *t);

#endif
