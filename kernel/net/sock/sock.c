/*
 * sock.c: sockets over lwIP's netconn API (sock.h). Blocking calls use
 * netconn's own timeouts (receive, accept, send); a TCP connect is started
 * non-blocking and waited for here, so it has a deadline too: the netconn
 * event callback (run by tcpip_thread) wakes the waiters.
 */
#include "sock.h"
#include "heap.h"
#include "klibc.h"
#include "lwip.h"
#include "netif.h"
#include "task.h"
#include "tsc.h"

#include "lwip/api.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"

#define SOCK_MAGIC 0x50c4e7u

/* in every call into lwIP: a task that faults or is killed inside it
 * releases lwIP's core lock while unwinding (lwip.h) */
#define LWIP_GUARD _cleanup_(lwip_port_cleanup) int lwip_guard_ = 0; (void)lwip_guard_

struct sock {
	uint32_t magic;
	enum sock_type type;
	bool listening, eof;
	struct netconn *c;
	struct netbuf *rx;      /* a TCP receive partly handed out */
	size_t rx_off;
};

static size_t open_socks;
static struct waitq events = WAITQ_INIT;   /* woken by every netconn event */

static void
sock_event(struct netconn *c, enum netconn_evt e, u16_t len)
{
	waitq_wake_all(&events);
}

static int
map(err_t e)
{
	switch (e) {
	case ERR_OK: return E_OK;
	case ERR_MEM: case ERR_BUF: return E_NOMEM;
	case ERR_TIMEOUT: case ERR_WOULDBLOCK: return E_TIMEDOUT;
	case ERR_RTE: return E_UNREACH;
	case ERR_USE: return E_ADDRINUSE;
	case ERR_ISCONN: case ERR_ALREADY: case ERR_INPROGRESS: return E_BUSY;
	case ERR_CONN: case ERR_CLSD: return E_NOTCONN;
	case ERR_ABRT: case ERR_RST: return E_CONNRESET;
	case ERR_IF: return E_IO;
	default: return E_INVAL;
	}
}

static bool
valid(const struct sock *s)
{
	return s && s->magic == SOCK_MAGIC;
}

/* lwIP's timeouts are in ms; 0 would mean "forever" to it */
static u32_t
ms(uint64_t ns)
{
	if (ns == SOCK_FOREVER)
		return 0;
	uint64_t m = ns / 1000000;
	return m == 0 ? 1 : m > 0x7fffffff ? 0x7fffffff : (u32_t)m;
}

static struct sock *
wrap(enum sock_type type, struct netconn *c, int *err)
{
	struct sock *s = kzalloc(sizeof(*s));
	if (!s) {
		netconn_delete(c);
		*err = E_NOMEM;
		return NULL;
	}
	s->magic = SOCK_MAGIC;
	s->type = type;
	s->c = c;
	__atomic_fetch_add(&open_socks, 1, __ATOMIC_RELAXED);
	*err = E_OK;
	return s;
}

void
sock_close(struct sock *s)
{
	LWIP_GUARD;
	if (!valid(s))
		return;
	s->magic = 0;
	if (s->rx)
		netbuf_delete(s->rx);
	netconn_delete(s->c);
	kfree(s);
	__atomic_fetch_sub(&open_socks, 1, __ATOMIC_RELAXED);
}

size_t
sock_count(void)
{
	return __atomic_load_n(&open_socks, __ATOMIC_RELAXED);
}

static int
check_net(enum sock_type type)
{
	if (type != SOCK_TCP && type != SOCK_UDP)
		return E_INVAL;
	return net_is_up() ? E_OK : E_NOENT;
}

/* lwIP routes everything to the default interface, whose ARP then fails
 * for an address off its subnet when it has no gateway (QEMU's restricted
 * network gives none): say so before any packet is queued */
static bool
routable(const ip_addr_t *a)
{
	LOCK_TCPIP_CORE();
	struct netif *n = ip4_route(ip_2_ip4(a));
	bool ok = n && (ip4_addr_netcmp(ip_2_ip4(a), netif_ip4_addr(n), netif_ip4_netmask(n)) ||
			!ip4_addr_isany_val(*netif_ip4_gw(n)));
	UNLOCK_TCPIP_CORE();
	return ok;
}

static bool
connect_done(void *ctx)
{
	struct netconn *c = ctx;
	return !(__atomic_load_n(&c->flags, __ATOMIC_ACQUIRE) & NETCONN_FLAG_IN_NONBLOCKING_CONNECT);
}

struct sock *
sock_connect(enum sock_type type, uint32_t ip, uint16_t port, uint64_t timeout_ns, int *err)
{
	LWIP_GUARD;
	*err = check_net(type);
	if (*err)
		return NULL;
	if (!port || !ip || ip == 0xffffffffu) {
		*err = E_INVAL;
		return NULL;
	}
	struct netconn *c = netconn_new_with_callback(type == SOCK_TCP ? NETCONN_TCP : NETCONN_UDP, sock_event);
	if (!c) {
		*err = E_NOMEM;
		return NULL;
	}
	ip_addr_t a;
	ip_addr_set_ip4_u32_val(a, lwip_htonl(ip));
	if (!routable(&a)) {
		netconn_delete(c);
		*err = E_UNREACH;
		return NULL;
	}
	if (type == SOCK_UDP) {
		err_t e = netconn_connect(c, &a, port);
		if (e != ERR_OK) {
			netconn_delete(c);
			*err = map(e);
			return NULL;
		}
		return wrap(type, c, err);
	}
	netconn_set_nonblocking(c, 1);
	err_t e = netconn_connect(c, &a, port);
	if (e != ERR_OK && e != ERR_INPROGRESS) {
		netconn_delete(c);
		*err = map(e);
		return NULL;
	}
	uint64_t deadline = timeout_ns == SOCK_FOREVER ? UINT64_MAX : tsc_ns() + timeout_ns;
	int w = waitq_wait_deadline(&events, connect_done, c, deadline);
	if (!connect_done(c)) {
		netconn_delete(c);
		*err = w == E_INTR ? E_INTR : E_TIMEDOUT;
		return NULL;
	}
	if (c->pcb.tcp == NULL) {
		e = netconn_err(c);
		netconn_delete(c);
		*err = e == ERR_RST ? E_CONNREFUSED : e == ERR_OK ? E_CONNRESET : map(e);
		return NULL;
	}
	netconn_set_nonblocking(c, 0);
	return wrap(type, c, err);
}

struct sock *
sock_listen(enum sock_type type, uint16_t port, int backlog, int *err)
{
	LWIP_GUARD;
	*err = check_net(type);
	if (*err)
		return NULL;
	if (!port || (type == SOCK_TCP && (backlog < 1 || backlog > 64))) {
		*err = E_INVAL;
		return NULL;
	}
	struct netconn *c = netconn_new_with_callback(type == SOCK_TCP ? NETCONN_TCP : NETCONN_UDP, sock_event);
	if (!c) {
		*err = E_NOMEM;
		return NULL;
	}
	err_t e = netconn_bind(c, IP4_ADDR_ANY, port);
	if (e == ERR_OK && type == SOCK_TCP)
		e = netconn_listen_with_backlog(c, (u8_t)backlog);
	if (e != ERR_OK) {
		netconn_delete(c);
		*err = map(e);
		return NULL;
	}
	struct sock *s = wrap(type, c, err);
	if (s)
		s->listening = type == SOCK_TCP;
	return s;
}

struct sock *
sock_accept(struct sock *l, uint64_t timeout_ns, int *err)
{
	LWIP_GUARD;
	if (!valid(l) || !l->listening) {
		*err = E_INVAL;
		return NULL;
	}
	netconn_set_recvtimeout(l->c, ms(timeout_ns));
	struct netconn *n = NULL;
	err_t e = netconn_accept(l->c, &n);
	if (e != ERR_OK) {
		*err = map(e);
		return NULL;
	}
	return wrap(SOCK_TCP, n, err);
}

int
sock_send(struct sock *s, const void *buf, size_t len, size_t *sent, uint64_t timeout_ns)
{
	LWIP_GUARD;
	size_t done = 0;
	if (sent)
		*sent = 0;
	if (!valid(s) || s->listening || (!buf && len))
		return E_INVAL;
	if (s->type == SOCK_UDP) {
		if (len > 65507)
			return E_INVAL;
		struct netbuf *nb = netbuf_new();
		if (!nb)
			return E_NOMEM;
		err_t e = netbuf_ref(nb, buf, (u16_t)len);
		if (e == ERR_OK)
			e = netconn_send(s->c, nb);
		netbuf_delete(nb);
		if (e == ERR_OK && sent)
			*sent = len;
		return map(e);
	}
	uint64_t deadline = timeout_ns == SOCK_FOREVER ? UINT64_MAX : tsc_ns() + timeout_ns;
	while (done < len) {
		uint64_t now = tsc_ns();
		if (deadline != UINT64_MAX && now >= deadline && done)
			return E_TIMEDOUT;
		netconn_set_sendtimeout(s->c, deadline == UINT64_MAX ? 0 : (s32_t)ms(deadline > now ? deadline - now : 0));
		size_t w = 0;
		err_t e = netconn_write_partly(s->c, (const uint8_t *)buf + done, len - done, NETCONN_COPY, &w);
		done += w;
		if (sent)
			*sent = done;
		if (e != ERR_OK && !(e == ERR_WOULDBLOCK && w))
			return map(e);
	}
	return E_OK;
}

int
sock_recv(struct sock *s, void *buf, size_t cap, size_t *got, uint64_t timeout_ns)
{
	LWIP_GUARD;
	*got = 0;
	if (!valid(s) || s->listening || !buf || !cap)
		return E_INVAL;
	if (s->eof)
		return E_OK;
	if (!s->rx) {
		netconn_set_recvtimeout(s->c, ms(timeout_ns));
		struct netbuf *nb = NULL;
		err_t e = netconn_recv(s->c, &nb);
		if (e == ERR_CLSD && s->type == SOCK_TCP) {
			s->eof = true; /* end of stream */
			return E_OK;
		}
		if (e != ERR_OK)
			return map(e);
		s->rx = nb;
		s->rx_off = 0;
	}
	size_t avail = netbuf_len(s->rx) - s->rx_off;
	size_t n = avail < cap ? avail : cap;
	netbuf_copy_partial(s->rx, buf, (u16_t)n, (u16_t)s->rx_off);
	*got = n;
	s->rx_off += n;
	if (s->type == SOCK_UDP || s->rx_off == netbuf_len(s->rx)) {
		netbuf_delete(s->rx);
		s->rx = NULL;
	}
	return E_OK;
}

int
sock_recv_from(struct sock *s, void *buf, size_t cap, size_t *got, uint32_t *ip, uint16_t *port,
	       uint64_t timeout_ns)
{
	LWIP_GUARD;
	*got = 0;
	if (!valid(s) || s->type != SOCK_UDP || !buf || !cap)
		return E_INVAL;
	netconn_set_recvtimeout(s->c, ms(timeout_ns));
	struct netbuf *nb = NULL;
	err_t e = netconn_recv(s->c, &nb);
	if (e != ERR_OK)
		return map(e);
	size_t n = netbuf_len(nb) < cap ? netbuf_len(nb) : cap;
	netbuf_copy(nb, buf, (u16_t)n);
	*got = n;
	if (ip)
		*ip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(netbuf_fromaddr(nb))));
	if (port)
		*port = netbuf_fromport(nb);
	netbuf_delete(nb);
	return E_OK;
}

int
sock_send_to(struct sock *s, const void *buf, size_t len, uint32_t ip, uint16_t port)
{
	LWIP_GUARD;
	if (!valid(s) || s->type != SOCK_UDP || (!buf && len) || len > 65507 || !port || !ip)
		return E_INVAL;
	struct netbuf *nb = netbuf_new();
	if (!nb)
		return E_NOMEM;
	ip_addr_t a;
	ip_addr_set_ip4_u32_val(a, lwip_htonl(ip));
	err_t e = netbuf_ref(nb, buf, (u16_t)len);
	if (e == ERR_OK)
		e = netconn_sendto(s->c, nb, &a, port);
	netbuf_delete(nb);
	return map(e);
}

int
sock_shutdown_send(struct sock *s)
{
	LWIP_GUARD;
	if (!valid(s) || s->type != SOCK_TCP || s->listening)
		return E_INVAL;
	return map(netconn_shutdown(s->c, 0, 1));
}

static int
addr(const struct sock *s, bool local, uint32_t *ip, uint16_t *port)
{
	LWIP_GUARD;
	if (!valid(s) || !ip || !port)
		return E_INVAL;
	ip_addr_t a;
	err_t e = netconn_getaddr(s->c, &a, port, local);
	if (e != ERR_OK)
		return E_NOTCONN;
	*ip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&a)));
	return E_OK;
}

int
sock_peer(const struct sock *s, uint32_t *ip, uint16_t *port)
{
	return addr(s, false, ip, port);
}

int
sock_local(const struct sock *s, uint32_t *ip, uint16_t *port)
{
	return addr(s, true, ip, port);
}

size_t
sock_tcp_active(void)
{
	LWIP_GUARD;
	size_t n = 0;
	LOCK_TCPIP_CORE();
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		n++;
	UNLOCK_TCPIP_CORE();
	return n;
}

EXPORT_APP(sock_connect);
EXPORT_APP(sock_listen);
EXPORT_APP(sock_accept);
EXPORT_APP(sock_send);
EXPORT_APP(sock_recv);
EXPORT_APP(sock_recv_from);
EXPORT_APP(sock_send_to);
EXPORT_APP(sock_shutdown_send);
EXPORT_APP(sock_peer);
EXPORT_APP(sock_local);
EXPORT_APP(sock_close);
EXPORT_APP(sock_count);
