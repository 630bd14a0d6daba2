/*
 * httpd: the status server (docs/network.md). Over sockets (kernel/net/sock)
 * it serves, to GET requests:
 *   /          one HTML page: the cell dependency graph drawn as SVG by its
 *              script from /cells, and the tables below
 *   /cells     JSON: every loaded cell (namespace, sizes, sections), the
 *              cells its deps file declares and the cells it links to
 *              (with the number of dependency edges)
 *   /tasks     JSON: the tasks (id, name, state, CPU, pin, cell, run time)
 *   /faults    JSON: the fault log (what, where, what recovery did)
 *   /memory    JSON: frames, pages, mappings, heap
 *   /net       JSON: the interface and its counters
 * Each connection is served by a task of its own (at most HTTPD_CONNS at
 * once; more wait in the listen backlog), one request per connection.
 * State: the listener task and the counters below.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include "base.h"

#define HTTPD_CONNS 8

struct httpd_stats {
	uint16_t port;          /* 0: not running */
	uint64_t connections, requests, not_found, bad_requests, errors;
	unsigned active;
};

/* start serving on port (the network must be up, net_up): E_OK, E_BUSY
 * (already running), E_ADDRINUSE, E_NOENT (network down), E_INVAL */
int httpd_start(uint16_t port) __must_check;
void httpd_get_stats(struct httpd_stats *out);
/* the captain calls it for a boot with "httpd" on the command line (make
 * run): a task brings the network up by DHCP, then serves on port 80 */
void httpd_boot(const char *cmdline);

/* the JSON of one path into a heap buffer (tests, and the server): E_OK
 * and *body, *len (the caller kfrees *body); E_NOENT for an unknown path */
int httpd_render(const char *path, char **body, size_t *len, const char **type) __must_check;

#endif
