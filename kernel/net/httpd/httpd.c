/*
 * httpd.c: the server loop of the status server (httpd.h): a listener
 * task accepts, a task per connection reads one GET request, answers
 * with httpd_render's document and closes.
 */
#include "httpd.h"
#include "httpd_int.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "netif.h"
#include "sock.h"
#include "task.h"
#include "tsc.h"

#undef LOG_TAG
#define LOG_TAG "httpd"

#define SEC 1000000000ull

static struct httpd_stats stats;

static void
bump(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static int
reply(struct sock *s, int code, const char *what, const char *type, const char *body, size_t len)
{
	struct out h = { 0 };
	out_printf(&h, "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
		       "Connection: close\r\n\r\n", code, what, type, len);
	int err = h.oom ? E_NOMEM : sock_send(s, h.p, h.len, NULL, 10 * SEC);
	out_drop(&h);
	if (!err && len)
		err = sock_send(s, body, len, NULL, 30 * SEC);
	return err;
}

static int
error_reply(struct sock *s, int code, const char *what)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", what);
	return reply(s, code, what, "application/json", body, (size_t)n);
}

static void
serve(struct sock *s)
{
	char req[2048];
	size_t have = 0, got = 0;
	uint64_t deadline = tsc_ns() + 10 * SEC;
	while (have < sizeof(req) - 1) {
		uint64_t now = tsc_ns();
		int err = now < deadline ? sock_recv(s, req + have, sizeof(req) - 1 - have, &got, deadline - now)
					 : E_TIMEDOUT;
		if (err || !got)
			return;
		have += got;
		req[have] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	bump(&stats.requests);
	/* "GET /path HTTP/1.x" */
	char *sp = strchr(req, ' ');
	char *path = sp ? sp + 1 : NULL;
	char *end = path ? strchr(path, ' ') : NULL;
	if (!sp || !end || path[0] != '/') {
		bump(&stats.bad_requests);
		(void)error_reply(s, 400, "Bad Request");
		return;
	}
	*end = 0;
	*sp = 0;
	char *q = strchr(path, '?');
	if (q)
		*q = 0;
	if (strcmp(req, "GET")) {
		bump(&stats.bad_requests);
		(void)error_reply(s, 405, "Method Not Allowed");
		return;
	}
	char *body = NULL;
	size_t len = 0;
	const char *type = NULL;
	int err = httpd_render(path, &body, &len, &type);
	if (err == E_NOENT) {
		bump(&stats.not_found);
		(void)error_reply(s, 404, "Not Found");
		return;
	}
	if (err) {
		bump(&stats.errors);
		(void)error_reply(s, 500, "Internal Server Error");
		return;
	}
	if (reply(s, 200, "OK", type, body, len))
		bump(&stats.errors);
	kfree(body);
}

static uint64_t
conn_task(struct sock *s_in)
{
	_cleanup_(sock_close_p) struct sock *s = s_in;
	serve(s);
	__atomic_fetch_sub(&stats.active, 1, __ATOMIC_RELAXED);
	return 0;
}

static uint64_t
listen_task(struct sock *l_in)
{
	_cleanup_(sock_close_p) struct sock *l = l_in;
	for (;;) {
		int err = 0;
		while (__atomic_load_n(&stats.active, __ATOMIC_RELAXED) >= HTTPD_CONNS)
			task_sleep_ns(10000000);
		struct sock *s = sock_accept(l, SOCK_FOREVER, &err);
		if (!s) {
			if (err != E_TIMEDOUT)
				task_sleep_ns(100000000);
			continue;
		}
		bump(&stats.connections);
		__atomic_fetch_add(&stats.active, 1, __ATOMIC_RELAXED);
		struct task_builder b = TASK_BUILDER(conn_task, s);
		b.name = "httpd-conn";
		if (task_spawn_detached(&b)) {
			__atomic_fetch_sub(&stats.active, 1, __ATOMIC_RELAXED);
			bump(&stats.errors);
			sock_close(s);
		}
	}
	return 0;
}

int
httpd_start(uint16_t port)
{
	if (!port)
		return E_INVAL;
	uint16_t none = 0;
	if (!__atomic_compare_exchange_n(&stats.port, &none, port, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return E_BUSY;
	int err = 0;
	struct sock *l = sock_listen(SOCK_TCP, port, 8, &err);
	if (!l) {
		__atomic_store_n(&stats.port, 0, __ATOMIC_RELEASE);
		return err;
	}
	struct task_builder b = TASK_BUILDER(listen_task, l);
	b.name = "httpd";
	b.system = true;
	uint8_t acct = task_set_acct(0);
	err = task_spawn_detached(&b);
	task_set_acct(acct);
	if (err) {
		sock_close(l);
		__atomic_store_n(&stats.port, 0, __ATOMIC_RELEASE);
		return err;
	}
	log_info("serving the status page on TCP port %u", port);
	return E_OK;
}

void
httpd_get_stats(struct httpd_stats *out)
{
	*out = stats;
}

static uint64_t
boot_task(uint64_t unused)
{
	int err;
	while ((err = net_up(30 * SEC)) == E_TIMEDOUT)
		log_warn("no DHCP answer yet");
	if (!err)
		err = httpd_start(80);
	if (err)
		log_err("cannot serve the status page: %s", err_str(err));
	return 0;
}

void
httpd_boot(const char *cmdline)
{
	struct task_builder b = TASK_BUILDER(boot_task, (uint64_t)0);
	b.name = "httpd-boot";
	if (task_spawn_detached(&b))
		log_err("cannot start the status server");
}

EXPORT_APP(httpd_start);
EXPORT_APP(httpd_get_stats);
EXPORT_APP(httpd_render);
