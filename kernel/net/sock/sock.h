/*
 * sock: sockets for cells, over lwIP's netconn API (docs/network.md).
 *
 * A socket is an owned object: the one who opened it drops it with
 * sock_close, and a holder declared
 *     _cleanup_(sock_close_p) struct sock *s = sock_connect(...);
 * closes it on every exit path, including unwinding when its task faults
 * or is killed. One task uses a socket at a time (the owner; lend it, do
 * not share it).
 *
 * Timeouts are in ns: SOCK_NOWAIT (0: try once), SOCK_FOREVER, or a
 * duration. Errors: E_INVAL (bad argument: type, port 0, NULL, a
 * listening socket where a connected one is needed, ...), E_CONNREFUSED
 * (nobody listens there: the peer answered with a reset), E_CONNRESET
 * (the peer reset or the stack aborted the connection), E_NOTCONN (not
 * connected, or already shut down for sending), E_ADDRINUSE (the port is
 * bound), E_UNREACH (no route), E_TIMEDOUT, E_NOMEM, E_NOENT (the network
 * is not up: net_up first).
 * State: none of its own beyond the count of open sockets; each socket's
 * state is its netconn and protocol control block in the lwip cell.
 */
#ifndef SOCK_H
#define SOCK_H

#include "base.h"

enum sock_type { SOCK_TCP = 1, SOCK_UDP = 2 };

#define SOCK_NOWAIT  0
#define SOCK_FOREVER UINT64_MAX

struct sock;
void sock_close(struct sock *s);
DEFINE_DROP(struct sock, sock_close)

/* TCP: connect within timeout_ns. UDP: fix the peer (no packet sent) */
struct sock *sock_connect(enum sock_type type, uint32_t ip, uint16_t port, uint64_t timeout_ns, int *err)
	OWNED_BY(sock_close);
/* TCP: listen on port (all addresses) with a backlog (1..64). UDP: bind
 * port, then sock_recv_from/sock_send_to */
struct sock *sock_listen(enum sock_type type, uint16_t port, int backlog, int *err) OWNED_BY(sock_close);
/* the next connection on a listening TCP socket */
struct sock *sock_accept(struct sock *l, uint64_t timeout_ns, int *err) OWNED_BY(sock_close);

/* send all len bytes (TCP) or one datagram (UDP, connected): E_OK, or an
 * error with *sent (may be NULL) the bytes that went into the stack */
int sock_send(struct sock *s, const void *buf, size_t len, size_t *sent, uint64_t timeout_ns) __must_check;
/* receive up to cap bytes: E_OK and *got; for TCP *got == 0 means the peer
 * closed its side (end of stream) */
int sock_recv(struct sock *s, void *buf, size_t cap, size_t *got, uint64_t timeout_ns) __must_check;
/* UDP on a bound socket: one datagram with its sender; one to ip:port */
int sock_recv_from(struct sock *s, void *buf, size_t cap, size_t *got, uint32_t *ip, uint16_t *port,
		   uint64_t timeout_ns) __must_check;
int sock_send_to(struct sock *s, const void *buf, size_t len, uint32_t ip, uint16_t port) __must_check;
/* TCP: no more sending (the peer reads end of stream); receiving goes on */
int sock_shutdown_send(struct sock *s) __must_check;

/* the addresses (host byte order), E_NOTCONN where there is none */
int sock_peer(const struct sock *s, uint32_t *ip, uint16_t *port) __must_check;
int sock_local(const struct sock *s, uint32_t *ip, uint16_t *port) __must_check;

/* sockets open now (tests: nothing leaks) */
size_t sock_count(void);
/* TCP connections the stack still drives (closed sockets whose FIN is
 * not yet acknowledged included; TIME_WAIT not): the segments they hold
 * were allocated by the tasks that sent them (tests wait for 0) */
size_t sock_tcp_active(void);

#endif
