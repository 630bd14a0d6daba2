/*
 * evolve: live evolution from the host (thesis 8.1, "evolving a running
 * instance can be as easy as committing to a repository"). A task polls
 * COM2 for the host's tools/evolve: it reports what the running system
 * has (each module's and loaded cell's content hash), then receives an
 * evolution manifest and the changed objects, and applies it - one
 * all-or-nothing cell_swap per namespace for the changed cells that are
 * loaded, the new objects staged as modules for later loads, added and
 * removed modules - reporting each step back and on the console.
 * Protocol (lines end in \n; replies end with "DONE OK" or "DONE ERR why"):
 *   HELLO                          -> MODULE name hash app / CELL ns name hash nano ... END
 *   BEGIN, then any of
 *     OBJECT name size hash app    followed by size bytes of ELF object
 *     SWAP ns old,old new,new transfer,transfer|-
 *     REMOVE name
 *     PROBATION ms                 the swapped-in cells on probation (a
 *                                  fault in one rolls its swap back)
 *   COMMIT (apply) or ABORT        -> report lines ("commit #N"), DONE ...
 *   STATUS N|last                  -> COMMIT N probation|committed|rolled-back note
 *                                     [ROLLBACK stage times], DONE ...
 * State: the manifest being received (owned by the evolution task).
 */
#ifndef EVOLVE_H
#define EVOLVE_H

#include "base.h"

/* spawn the evolution task (the captain calls it at boot) */
void evolve_start(const char *cmdline);

/* link.c: COM2, polled */
/* false if there is no UART on COM2 */
bool link_init(void);
/* a line without its \n (\r dropped) into buf; false on timeout (0: wait forever) */
bool link_read_line(char *buf, size_t size, uint64_t timeout_ns);
bool link_read_bytes(void *buf, size_t n, uint64_t timeout_ns);
void link_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
