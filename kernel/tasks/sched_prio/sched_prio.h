/*
 * sched_prio: the priority (stride) policy cell (see sched_prio.c).
 */
#ifndef SCHED_PRIO_H
#define SCHED_PRIO_H

int sched_prio_install(void);

#endif
