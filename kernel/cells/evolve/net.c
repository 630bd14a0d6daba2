/*
 * net.c: the evolution link over TCP (port EVOLVE_TCP_PORT): the same
 * protocol as on COM2, one connection at a time. The listening socket and
 * the connection being served are carried static data, not owned by the
 * task's stack: when an evolution swaps this cell, cell_swap carries them into
 * the new copy and restarts this task there (after its answer is sent,
 * evolve_serve), and the new code goes on with the same connection - the
 * host's tools/evolve reads the rest of its answer, and can send more.
 */
#define LOG_TAG "evolve"
#include "evolve.h"
#include "logger.h"
#include "netif.h"
#include "sock.h"
#include "task.h"

#define SEC 1000000000ull

/* carried into the new copy by a swap of this cell (CELL_CARRY) */
static struct sock *listener CELL_CARRY(listener);
static struct link conn CELL_CARRY(conn); /* conn.s: the connection being served, or NULL */

uint64_t
evolve_net_task(uint64_t unused)
{
	int err = E_OK;
	if (conn.s)
		log_info("network link: going on with the connection in the new code");
	while (!listener) {
		while ((err = net_up(30 * SEC)) == E_TIMEDOUT)
			log_warn("network link: no DHCP answer yet");
		if (!err)
			listener = sock_listen(SOCK_TCP, EVOLVE_TCP_PORT, 2, &err);
		if (!listener) {
			log_err("no evolution link on TCP port %u: %s", EVOLVE_TCP_PORT, err_str(err));
			return 0;
		}
		log_info("evolution link on TCP port %u: tools/evolve --tcp sends changed cells here",
			 EVOLVE_TCP_PORT);
	}
	task_progress_period(EVOLVE_PROMISE_NS); /* as the COM2 task (evolve.c) */
	for (;;) {
		if (!conn.s) {
			struct sock *s = sock_accept(listener, TASK_SYSTEM_PROMISE_NS / 4, &err);
			task_progress();
			if (!s && err == E_TIMEDOUT)
				continue;
			if (!s) {
				log_warn("network link: accept: %s", err_str(err));
				task_sleep_ns(SEC / 10);
				continue;
			}
			conn = (struct link){ .s = s };
		}
		while (!conn.closed)
			if (link_read_line(&conn, conn.scratch, sizeof(conn.scratch), 0))
				evolve_serve(&conn, conn.scratch);
		struct sock *s = conn.s;
		conn.s = NULL;
		sock_close(s);
	}
	return 0;
}

void
evolve_net_start(void)
{
	struct task_builder b = TASK_BUILDER(evolve_net_task, (uint64_t)0);
	b.name = "evolve-net";
	b.restartable = true;
	b.system = true;
	if (task_spawn_detached(&b))
		log_err("no network evolution task");
}
