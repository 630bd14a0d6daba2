/*
 * evolve: live evolution from the host (thesis 8.1, "evolving a running
 * instance can be as easy as committing to a repository"). A task polls
 * COM2 for the host's tools/evolve, and in make run's image a second one
 * serves the same protocol on TCP port 7070 (net.c; tools/evolve --tcp):
 * it reports what the running system
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
 *   COMMIT (apply) or ABORT        -> report lines ("swapped in ...", "stages: load N
 *                                     verify N ... total N us", "commit #N"), DONE ...
 *   STATUS N|last                  -> COMMIT N probation|committed|rolled-back note
 *                                     [ROLLBACK stage times], DONE ...
 * State: the manifest being received (owned by the task serving the
 * request; the two links may serve requests at once); net.c's listening
 * socket and current connection, carried static data (CELL_CARRY) that outlive a swap of
 * this cell (the task restarts into the new copy and goes on serving the
 * same connection: the evolution that swapped it gets its answer).
 */
#ifndef EVOLVE_H
#define EVOLVE_H

#include "base.h"

/* the TCP port of the network link */
#define EVOLVE_TCP_PORT 7070

/* spawn the evolution task (the captain calls it at boot); with
 * "evolve-tcp" on the command line (make run's image) also the network
 * link's task, which brings the network up and listens on EVOLVE_TCP_PORT */
void evolve_start(const char *cmdline);

/* the tasks' entries (global: a swap of this cell restarts them into the
 * namesake entry of the new copy) */
uint64_t evolve_task(uint64_t unused);
uint64_t evolve_net_task(uint64_t unused);
/* net.c: spawn the network link's task */
void evolve_net_start(void);
/* net.c: spawn the network link's task */
void evolve_net_start(void);

struct link;
/* one request line from a link (HELLO, BEGIN..., STATUS), answered on it */
void evolve_serve(struct link *l, char *line);

/* link.c: a host link - COM2 (s == NULL), polled, or a TCP connection */
struct sock;
struct link {
	struct sock *s;   /* NULL: COM2 */
	bool closed;      /* the peer closed the connection or it failed */
	size_t off, len;  /* buf[off..len) read but not yet handed out */
	uint8_t buf[1024];
	char scratch[700]; /* a manifest line */
};
/* false if there is no UART on COM2 */
bool link_com2_init(void);
/* a line without its \n (\r dropped) into buf; false on timeout (0: wait
 * forever) or when a TCP link closed */
/* the evolve tasks' progress promise: the system tasks' 5 s four times
 * over, since a swap they run (between two reads) can take seconds on a
 * loaded machine */
#define EVOLVE_PROMISE_NS (4 * TASK_SYSTEM_PROMISE_NS)

bool link_read_line(struct link *l, char *buf, size_t size, uint64_t timeout_ns);
bool link_read_bytes(struct link *l, void *buf, size_t n, uint64_t timeout_ns);
/* to the host; on a TCP link that failed, nothing (l->closed) */
void link_printf(struct link *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
