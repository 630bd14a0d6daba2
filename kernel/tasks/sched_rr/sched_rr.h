/*
 * sched_rr: the round-robin policy cell (see sched_rr.c).
 */
#ifndef SCHED_RR_H
#define SCHED_RR_H

int sched_rr_install(void);

#endif
