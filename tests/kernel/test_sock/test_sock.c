/*
 * test_sock: the network stack (lwIP over the e1000, DHCP from QEMU's
 * user-mode network) and sockets for cells. Traffic goes only to the
 * guest's own address (lwIP's loopback) and QEMU's gateway 10.0.2.2.
 */
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "netif.h"
#include "sock.h"
#include "task.h"
#include "tsc.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* closed connections finish their closing handshake over the loopback in
 * tcpip_thread, later: their last segments were allocated by this test's
 * task, so the memory check waits for them */
static bool
tcp_settled(void)
{
	uint64_t deadline = tsc_ns() + 30 * SEC; /* a retransmission takes seconds */
	while (sock_tcp_active() && tsc_ns() < deadline)
		task_sleep_ns(10 * MS);
	return sock_tcp_active() == 0;
}

/* the stack up (the first test brought it up by DHCP), our address */
static int
my_ip(uint32_t *ip)
{
	struct net_info i;
	int err = net_up(60 * SEC);
	if (!err)
		err = net_info(&i);
	if (!err)
		*ip = i.ip;
	return err;
}

/* defined first, so it runs last in this cell (a cell's tests run from
 * the last defined): the tests of other cells that exchange frames with
 * e1000_recv themselves (test_e1000, test_drvswap) get NIC 0 back */
KTEST(net_release_nic_leaves_the_frames_to_others)
{
	uint32_t ip = 0;
	KT_ASSERT(my_ip(&ip) == E_OK);
	KT_ASSERT(net_is_up());
	KT_ASSERT(net_release_nic() == E_OK);
	KT_ASSERT(!net_is_up());
	uint64_t rtt;
	KT_ASSERT(net_ping(IP4(10, 0, 2, 2), 1, 8, 100 * MS, &rtt) == E_NOTCONN);
	KT_ASSERT(net_release_nic() == E_OK);
}

KTEST(net_up_by_dhcp_and_ping_the_gateway)
{
	struct net_info i;
	KT_ASSERT(net_up(60 * SEC) == E_OK);
	KT_ASSERT(net_info(&i) == E_OK);
	KT_ASSERT((i.ip >> 8) == IP4(10, 0, 2, 0) >> 8 && (i.ip & 255) >= 15);
	KT_ASSERT(i.mask == IP4(255, 255, 255, 0));
	KT_ASSERT(i.up && i.link && i.dhcp);
	uint64_t rtt = 0;
	unsigned ok = 0;
	for (uint16_t k = 1; k <= 3; k++)
		ok += net_ping(IP4(10, 0, 2, 2), k, 56, 2 * SEC, &rtt) == E_OK;
	KT_ASSERT(ok == 3);
	KT_ASSERT(rtt > 0 && rtt < 2 * SEC);
	KT_ASSERT(net_ping(IP4(10, 0, 2, 2), 9, 5000, SEC, &rtt) == E_INVAL);
	struct net_info j;
	KT_ASSERT(net_info(&j) == E_OK);
	KT_ASSERT(j.input_frames >= i.input_frames + 3 && j.output_frames >= i.output_frames + 3);
	KT_ASSERT(net_up_static(IP4(10, 0, 2, 99), IP4(255, 255, 255, 0), 0) == E_BUSY);
	KT_ASSERT(net_up_static(0, 0, 0) == E_INVAL);
	uint32_t ip;
	KT_ASSERT(net_parse_ip("10.0.2.15", &ip) == E_OK && ip == IP4(10, 0, 2, 15));
	KT_ASSERT(net_parse_ip("10.0.2.256", &ip) == E_INVAL);
	KT_ASSERT(net_parse_ip("10.0.2", &ip) == E_INVAL);
	KT_ASSERT(net_parse_ip("10.0.2.1x", &ip) == E_INVAL);
}

#define STREAM (200 * 1024)

struct client {
	uint32_t ip;
	uint16_t port;
	int err;          /* the first error the client saw */
	char reply[8];
};

static uint8_t
pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

static uint64_t
client_task(struct client *c)
{
	int err = 0;
	_cleanup_(sock_close_p) struct sock *s = sock_connect(SOCK_TCP, c->ip, c->port, 5 * SEC, &err);
	if (!s) {
		c->err = err;
		return 1;
	}
	static uint8_t buf[4096];
	for (size_t off = 0; off < STREAM; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		size_t n = STREAM - off < sizeof(buf) ? STREAM - off : sizeof(buf);
		err = sock_send(s, buf, n, NULL, 10 * SEC);
		if (err) {
			c->err = err;
			return 1;
		}
	}
	if ((err = sock_shutdown_send(s))) {
		c->err = err;
		return 1;
	}
	size_t got = 0, have = 0;
	while (have < 4 && !(err = sock_recv(s, c->reply + have, 4 - have, &got, 10 * SEC)) && got)
		have += got;
	c->err = err;
	return 0;
}

KTEST(sock_tcp_stream_over_loopback)
{
	uint32_t ip = 0;
	KT_ASSERT(my_ip(&ip) == E_OK);
	size_t before = sock_count();
	int err = 0;
	_cleanup_(sock_close_p) struct sock *l = sock_listen(SOCK_TCP, 7001, 4, &err);
	KT_ASSERT(l && err == E_OK);
	struct client c = { .ip = ip, .port = 7001 };
	struct task_builder b = TASK_BUILDER(client_task, &c);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	_cleanup_(sock_close_p) struct sock *s = sock_accept(l, 10 * SEC, &err);
	KT_ASSERT(s && err == E_OK);
	uint32_t pip;
	uint16_t pport;
	KT_ASSERT(sock_peer(s, &pip, &pport) == E_OK && pip == ip && pport != 7001);
	static uint8_t buf[3000];
	size_t total = 0, got = 0, bad = 0;
	while (!(err = sock_recv(s, buf, sizeof(buf), &got, 10 * SEC)) && got) {
		for (size_t i = 0; i < got; i++)
			bad += buf[i] != pattern(total + i);
		total += got;
	}
	KT_ASSERT(err == E_OK);
	KT_ASSERT(total == STREAM);
	KT_ASSERT(bad == 0);
	KT_ASSERT(sock_recv(s, buf, sizeof(buf), &got, 10 * MS) == E_OK && got == 0); /* still end of stream */
	KT_ASSERT(sock_send(s, "done", 4, NULL, SEC) == E_OK);
	uint64_t rv = 1;
	KT_ASSERT(task_join(t, &rv) == E_OK);
	KT_ASSERT(rv == 0 && c.err == E_OK);
	KT_ASSERT(!memcmp(c.reply, "done", 4));
	sock_close(TAKE_PTR(s));
	sock_close(TAKE_PTR(l));
	KT_ASSERT(sock_count() == before);
	KT_ASSERT(tcp_settled());
}

KTEST(sock_udp_datagrams_over_loopback)
{
	uint32_t ip = 0;
	KT_ASSERT(my_ip(&ip) == E_OK);
	int err = 0;
	_cleanup_(sock_close_p) struct sock *srv = sock_listen(SOCK_UDP, 7002, 0, &err);
	KT_ASSERT(srv && !err);
	_cleanup_(sock_close_p) struct sock *cl = sock_connect(SOCK_UDP, ip, 7002, SEC, &err);
	KT_ASSERT(cl && !err);
	KT_ASSERT(sock_send(cl, "ping 1", 6, NULL, SEC) == E_OK);
	char buf[64];
	size_t got = 0;
	uint32_t from = 0;
	uint16_t port = 0;
	KT_ASSERT(sock_recv_from(srv, buf, sizeof(buf), &got, &from, &port, 2 * SEC) == E_OK);
	KT_ASSERT(got == 6 && !memcmp(buf, "ping 1", 6) && from == ip && port);
	KT_ASSERT(sock_send_to(srv, "pong 1", 6, from, port) == E_OK);
	KT_ASSERT(sock_recv(cl, buf, sizeof(buf), &got, 2 * SEC) == E_OK);
	KT_ASSERT(got == 6 && !memcmp(buf, "pong 1", 6));
	KT_ASSERT(sock_recv(cl, buf, sizeof(buf), &got, 20 * MS) == E_TIMEDOUT);
	KT_ASSERT(sock_send_to(srv, "x", 1, from, 0) == E_INVAL);
	KT_ASSERT(sock_recv_from(cl, NULL, 1, &got, NULL, NULL, 0) == E_INVAL);
}

KTEST(sock_errors_are_distinct)
{
	uint32_t ip = 0;
	KT_ASSERT(my_ip(&ip) == E_OK);
	size_t before = sock_count();
	int err = 0;
	_cleanup_(sock_close_p) struct sock *s = sock_connect(SOCK_TCP, ip, 7009, 5 * SEC, &err);
	KT_ASSERT(!s && err == E_CONNREFUSED);
	s = sock_connect(SOCK_TCP, IP4(192, 168, 77, 1), 80, SEC, &err);
	KT_ASSERT(!s && err == E_UNREACH);
	s = sock_connect(7, ip, 80, SEC, &err);
	KT_ASSERT(!s && err == E_INVAL);
	s = sock_connect(SOCK_TCP, ip, 0, SEC, &err);
	KT_ASSERT(!s && err == E_INVAL);
	s = sock_listen(SOCK_TCP, 7004, 0, &err);
	KT_ASSERT(!s && err == E_INVAL);
	_cleanup_(sock_close_p) struct sock *l = sock_listen(SOCK_TCP, 7004, 2, &err);
	KT_ASSERT(l && !err);
	s = sock_listen(SOCK_TCP, 7004, 2, &err);
	KT_ASSERT(!s && err == E_ADDRINUSE);
	uint64_t t0 = tsc_ns();
	s = sock_accept(l, 50 * MS, &err);
	KT_ASSERT(!s && err == E_TIMEDOUT);
	KT_ASSERT(tsc_ns() - t0 >= 40 * MS);
	KT_ASSERT(sock_send(l, "x", 1, NULL, SEC) == E_INVAL);
	size_t got;
	char b[4];
	KT_ASSERT(sock_recv(l, b, sizeof(b), &got, SEC) == E_INVAL);
	s = sock_accept(NULL, SEC, &err);
	KT_ASSERT(!s && err == E_INVAL);
	_cleanup_(sock_close_p) struct sock *c = sock_connect(SOCK_TCP, ip, 7004, 5 * SEC, &err);
	KT_ASSERT(c && !err);
	_cleanup_(sock_close_p) struct sock *a = sock_accept(l, 5 * SEC, &err);
	KT_ASSERT(a && !err);
	KT_ASSERT(sock_recv(a, b, sizeof(b), &got, 30 * MS) == E_TIMEDOUT);
	KT_ASSERT(sock_shutdown_send(c) == E_OK);
	KT_ASSERT(sock_send(c, "x", 1, NULL, SEC) == E_NOTCONN);
	s = sock_accept(a, SEC, &err);
	KT_ASSERT(!s && err == E_INVAL);
	sock_close(TAKE_PTR(a));
	sock_close(TAKE_PTR(c));
	sock_close(TAKE_PTR(l));
	KT_ASSERT(sock_count() == before);
	KT_ASSERT(tcp_settled());
}

static uint64_t
holder_task(uint16_t port)
{
	int err = 0;
	_cleanup_(sock_close_p) struct sock *l = sock_listen(SOCK_TCP, port, 2, &err);
	if (!l)
		return 1;
	for (;;) {
		_cleanup_(sock_close_p) struct sock *s = sock_accept(l, SOCK_FOREVER, &err);
	}
	return 0;
}

KTEST(sock_released_when_its_task_is_killed)
{
	uint32_t ip = 0;
	KT_ASSERT(my_ip(&ip) == E_OK);
	size_t before = sock_count();
	int err = 0;
	struct task_builder b = TASK_BUILDER(holder_task, (uint16_t)7005);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t deadline = tsc_ns() + 5 * SEC;
	while (sock_count() == before && tsc_ns() < deadline)
		task_sleep_ns(5 * MS);
	KT_ASSERT(sock_count() == before + 1);
	_cleanup_(sock_close_p) struct sock *s = sock_listen(SOCK_TCP, 7005, 2, &err);
	KT_ASSERT(!s && err == E_ADDRINUSE);
	KT_ASSERT(task_kill(t, "test: kill the socket's owner") == E_OK);
	uint64_t rv;
	KT_ASSERT(task_join(t, &rv) != E_INVAL); /* it was killed: no value */
	KT_ASSERT(sock_count() == before);
	_cleanup_(sock_close_p) struct sock *again = sock_listen(SOCK_TCP, 7005, 2, &err);
	KT_ASSERT(again && !err);
}
