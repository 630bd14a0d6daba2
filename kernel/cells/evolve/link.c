/*
 * link.c: the host links. COM2 is polled (the UART's interrupt is not
 * routed): while idle the task looks every few milliseconds; while bytes
 * flow it reads them as fast as the UART delivers them. A TCP link reads
 * through a small buffer from its socket (kernel/net/sock), which blocks.
 */
#include "evolve.h"
#include "fmt.h"
#include "serial.h"
#include "sock.h"
#include "task.h"
#include "tsc.h"

bool
link_com2_init(void)
{
	if (!serial_present(COM2))
		return false;
	serial_init(COM2);
	return true;
}

/* next byte from COM2, or -1 once the deadline passes (UINT64_MAX: never) */
static int
com2_byte(uint64_t deadline)
{
	for (unsigned idle = 0;; idle++) {
		int c = serial_getc_nowait(COM2);
		if (c >= 0)
			return c;
		if (tsc_ns() > deadline)
			return -1;
		if (idle < 2000) {
			__asm__ volatile("pause");
		} else {
			task_progress(); /* waiting for the host is progress */
			task_sleep_ns(idle < 4000 ? 100000 : 5000000);
		}
	}
}

/* next byte from the socket; -1 at the deadline, at the end of the stream
 * or on an error (the last two close the link) */
static int
sock_byte(struct link *l, uint64_t deadline)
{
	if (l->off < l->len)
		return l->buf[l->off++];
	if (l->closed)
		return -1;
	size_t got = 0;
	int err;
	do {
		/* each wait bounded, so that waiting is progress (the promise) */
		uint64_t now = tsc_ns();
		if (deadline != UINT64_MAX && now >= deadline)
			return -1;
		uint64_t wait = deadline - now;
		if (wait > TASK_SYSTEM_PROMISE_NS / 4)
			wait = TASK_SYSTEM_PROMISE_NS / 4;
		err = sock_recv(l->s, l->buf, sizeof(l->buf), &got, wait);
		task_progress();
	} while (err == E_TIMEDOUT);
	if (err || !got) {
		l->closed = true;
		return -1;
	}
	l->off = 1;
	l->len = got;
	return l->buf[0];
}

static int
next_byte(struct link *l, uint64_t deadline)
{
	task_progress(); /* a byte read is progress: a cell can take seconds */
	return l->s ? sock_byte(l, deadline) : com2_byte(deadline);
}

static uint64_t
deadline_of(uint64_t timeout_ns)
{
	return timeout_ns ? tsc_ns() + timeout_ns : UINT64_MAX;
}

bool
link_read_line(struct link *l, char *buf, size_t size, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_of(timeout_ns);
	size_t n = 0;
	for (;;) {
		int c = next_byte(l, deadline);
		if (c < 0)
			return false;
		if (c == '\n')
			break;
		if (c != '\r' && n + 1 < size)
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return true;
}

bool
link_read_bytes(struct link *l, void *buf, size_t n, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_of(timeout_ns);
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i++) {
		int c = next_byte(l, deadline);
		if (c < 0)
			return false;
		p[i] = (uint8_t)c;
	}
	return true;
}

void
link_printf(struct link *l, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	size_t n = (size_t)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (!l->s) {
		serial_write(COM2, line, n);
		return;
	}
	if (!l->closed && sock_send(l->s, line, n, NULL, 10 * 1000000000ull))
		l->closed = true; /* the host went away: the rest is only logged */
}
