/*
 * personality: namespaces that share most cells with `kernel` but have
 * their own versions of some (thesis 8.3; docs/evolution.md,
 * "Personalities"). "simd" is the one built today: its parent is the
 * kernel namespace, and it holds its own copies of the cells simd.cells
 * names, built with SSE2 (the boot modules "<cell>@simd.o simd"), loaded
 * under the cells' own names. A task spawned in it (task_spawn_in) links
 * to those; everything else it reaches is the kernel's. Each personality
 * evolves on its own: a swap names its namespace.
 * State: none of its own (the namespace is the cell manager's).
 */
#ifndef PERSONALITY_H
#define PERSONALITY_H

#include "base.h"

/* create and publish the personalities, each with its own cells (the
 * captain calls it at boot; a failure is logged, the kernel goes on) */
void personality_start(const char *cmdline);

#endif
