/*
 * workload: what fault-injection campaigns run while they inject
 * (tools/inject): restartable tasks that exercise rendezvous and buffered
 * channels, task spawning and memory mapping in rounds, each round
 * checking its own result, each task promising progress to the watchdog.
 * A reporter prints the round counters ("WL rounds ...") four times a
 * second; a check that fails prints "WL FAIL ..." (silent corruption);
 * every (re)start prints where the task's stack and its heap buffer are
 * ("WL region ..."), for the injector to aim at.
 * State: the round/retry/failure counters (for the report only).
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include "base.h"

/* start the workload tasks and the reporter (captain: cmdline "workload") */
void workload_start(const char *cmdline);

#endif
