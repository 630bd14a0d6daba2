/*
 * nc: TCP and UDP from the shell, over sockets (kernel/net/sock).
 *   nc [-u] [-w S] IP PORT [TEXT...]   connect; send TEXT and a newline;
 *                                      print what arrives until the peer
 *                                      closes or S seconds (5) are quiet
 *   nc [-u] [-w S] [-e] -l PORT        listen: one TCP connection (or UDP
 *                                      datagrams); print what arrives, -e
 *                                      sends it back (an echo server)
 *   nc -l PORT -c                      count a TCP stream to its end:
 *                                      bytes, time, throughput, and how
 *                                      many bytes break the sequence
 *                                      0, 1, ..., 255, 0, ... (what
 *                                      tools/net-host.py send sends)
 *   nc IP PORT -n BYTES                send BYTES of generated data, close
 *   nc -l PORT -n BYTES                the same to the first who connects
 * Starts the network (DHCP) first if it is not up. Exit 0 on success.
 */
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "netif.h"
#include "sock.h"
#include "tsc.h"

int main(int argc, char **argv);

#define SEC 1000000000ull

struct opts {
	bool udp, listen, echo, count;
	uint64_t wait_s, gen;
	uint32_t ip;
	uint16_t port;
	char text[256];
	size_t text_len;
};

static void
show(const uint8_t *b, size_t n)
{
	char line[200];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = (char)b[i];
		line[k++] = c == '\n' || (c >= 32 && c < 127) ? c : '.';
		if (k == sizeof(line) - 1 || i + 1 == n) {
			line[k] = 0;
			kprintf("%s", line);
			k = 0;
		}
	}
}

static void
rate(const char *what, uint64_t bytes, uint64_t ns)
{
	uint64_t kbs = ns ? bytes * 1000000ull / ns : 0; /* bytes per ms = KB/s */
	kprintf("nc: %s %lu bytes in %lu ms: %lu KB/s\n", what, bytes, ns / 1000000, kbs);
}

/* print (and echo) a stream until its end or a quiet spell */
static int
pump(struct sock *s, const struct opts *o)
{
	static uint8_t buf[4096];
	uint64_t total = 0, t0 = tsc_ns(), last = t0, wrong = 0;
	for (;;) {
		size_t got = 0;
		int err = sock_recv(s, buf, sizeof(buf), &got, o->count ? 60 * SEC : o->wait_s * SEC);
		if (err == E_TIMEDOUT && !o->count)
			return 0;
		if (err) {
			kprintf("nc: receive: %s\n", err_str(err));
			return 1;
		}
		if (!got)
			break;
		if (o->count)
			for (size_t i = 0; i < got; i++)
				wrong += buf[i] != (uint8_t)(total + i);
		total += got;
		last = tsc_ns();
		if (!o->count)
			show(buf, got);
		if (o->echo && (err = sock_send(s, buf, got, NULL, 10 * SEC))) {
			kprintf("nc: send: %s\n", err_str(err));
			return 1;
		}
	}
	if (o->count) {
		rate("received", total, last - t0);
		kprintf("nc: %lu bytes out of sequence\n", wrong);
	}
	return 0;
}

static int
generate(struct sock *s, uint64_t n)
{
	static uint8_t buf[8192];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('a' + i % 26);
	uint64_t t0 = tsc_ns(), done = 0;
	while (done < n) {
		size_t k = n - done < sizeof(buf) ? (size_t)(n - done) : sizeof(buf);
		int err = sock_send(s, buf, k, NULL, 30 * SEC);
		if (err) {
			kprintf("nc: send after %lu bytes: %s\n", done, err_str(err));
			return 1;
		}
		done += k;
	}
	int err = sock_shutdown_send(s);
	if (err)
		kprintf("nc: shutdown: %s\n", err_str(err));
	rate("sent", done, tsc_ns() - t0);
	/* the peer closes its side once it has read everything */
	size_t got;
	while (!sock_recv(s, buf, sizeof(buf), &got, 30 * SEC) && got)
		;
	return err ? 1 : 0;
}

static int
udp_listen(const struct opts *o)
{
	int err = 0;
	_cleanup_(sock_close_p) struct sock *s = sock_listen(SOCK_UDP, o->port, 0, &err);
	if (!s) {
		kprintf("nc: bind UDP %u: %s\n", o->port, err_str(err));
		return 1;
	}
	kprintf("nc: UDP port %u\n", o->port);
	static uint8_t buf[2048];
	for (;;) {
		size_t got = 0;
		uint32_t ip;
		uint16_t port;
		err = sock_recv_from(s, buf, sizeof(buf), &got, &ip, &port, o->wait_s * SEC);
		if (err == E_TIMEDOUT)
			return 0;
		if (err) {
			kprintf("nc: receive: %s\n", err_str(err));
			return 1;
		}
		show(buf, got);
		if (o->echo && (err = sock_send_to(s, buf, got, ip, port)))
			kprintf("nc: send: %s\n", err_str(err));
	}
}

static int
run(const struct opts *o)
{
	int err = 0;
	if (o->listen && o->udp)
		return udp_listen(o);
	if (o->listen) {
		_cleanup_(sock_close_p) struct sock *l = sock_listen(SOCK_TCP, o->port, 1, &err);
		if (!l) {
			kprintf("nc: listen %u: %s\n", o->port, err_str(err));
			return 1;
		}
		kprintf("nc: listening on TCP port %u\n", o->port);
		_cleanup_(sock_close_p) struct sock *s = sock_accept(l, SOCK_FOREVER, &err);
		if (!s) {
			kprintf("nc: accept: %s\n", err_str(err));
			return 1;
		}
		uint32_t ip;
		uint16_t port;
		char a[16];
		if (!sock_peer(s, &ip, &port))
			kprintf("nc: connection from %s:%u\n", net_ip_str(ip, a), port);
		return o->gen ? generate(s, o->gen) : pump(s, o);
	}
	_cleanup_(sock_close_p) struct sock *s =
		sock_connect(o->udp ? SOCK_UDP : SOCK_TCP, o->ip, o->port, 10 * SEC, &err);
	if (!s) {
		kprintf("nc: connect: %s\n", err_str(err));
		return 1;
	}
	if (o->gen)
		return generate(s, o->gen);
	if (o->text_len && (err = sock_send(s, o->text, o->text_len, NULL, 10 * SEC))) {
		kprintf("nc: send: %s\n", err_str(err));
		return 1;
	}
	return pump(s, o);
}

static int
usage(void)
{
	kprintf("usage: nc [-u] [-w S] IP PORT [TEXT...] | nc [-u] [-w S] [-e] -l PORT | nc -l PORT -c | nc IP PORT -n BYTES | nc -l PORT -n BYTES\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct opts o = { .wait_s = 5 };
	const char *pos[2] = { NULL, NULL };
	size_t npos = 0;
	uint64_t v;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-u"))
			o.udp = true;
		else if (!strcmp(a, "-e"))
			o.echo = true;
		else if (!strcmp(a, "-c"))
			o.count = true;
		else if (!strcmp(a, "-l"))
			o.listen = true;
		else if (!strcmp(a, "-w") && i + 1 < argc && !str_to_u64(argv[i + 1], 10, 3600, &v) && v)
			o.wait_s = v, i++;
		else if (!strcmp(a, "-n") && i + 1 < argc && !str_to_u64_any(argv[i + 1], &v) && v)
			o.gen = v, i++;
		else if (a[0] == '-')
			return usage();
		else if (npos < (o.listen ? 1u : 2u))
			pos[npos++] = a;
		else
			break;
	}
	for (; i < argc; i++) { /* TEXT... */
		size_t n = strlen(argv[i]);
		if (o.text_len + n + 2 > sizeof(o.text)) {
			kprintf("nc: TEXT longer than %zu bytes\n", sizeof(o.text) - 2);
			return 2;
		}
		if (o.text_len)
			o.text[o.text_len++] = ' ';
		memcpy(o.text + o.text_len, argv[i], n);
		o.text_len += n;
	}
	if (o.text_len)
		o.text[o.text_len++] = '\n';
	const char *port_s = o.listen ? pos[0] : pos[1];
	if ((o.listen ? npos != 1 : npos != 2) || (o.listen && o.text_len) ||
	    (o.count && (!o.listen || o.udp || o.echo)) || (o.gen && (o.udp || o.text_len)))
		return usage();
	if (str_to_u64(port_s, 10, 65535, &v) || !v) {
		kprintf("nc: bad port '%s' (1..65535)\n", port_s);
		return 2;
	}
	o.port = (uint16_t)v;
	if (!o.listen && net_parse_ip(pos[0], &o.ip)) {
		kprintf("nc: bad address '%s' (A.B.C.D)\n", pos[0]);
		return 2;
	}
	if (!net_is_up()) {
		int err = net_up(10 * SEC);
		if (err) {
			kprintf("nc: network not up: %s\n", err_str(err));
			return 1;
		}
	}
	return run(&o);
}
