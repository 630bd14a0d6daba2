/*
 * link.c: the host link on COM2. Polled (the UART's interrupt is not
 * routed): while idle the task looks every few milliseconds; while bytes
 * flow it reads them as fast as the UART delivers them.
 */
#include "evolve.h"
#include "fmt.h"
#include "serial.h"
#include "task.h"
#include "tsc.h"

bool
link_init(void)
{
	if (!serial_present(COM2))
		return false;
	serial_init(COM2);
	return true;
}

/* next byte, or -1 once the deadline passes (UINT64_MAX: never) */
static int
next_byte(uint64_t deadline)
{
	for (unsigned idle = 0;; idle++) {
		int c = serial_getc_nowait(COM2);
		if (c >= 0)
			return c;
		if (tsc_ns() > deadline)
			return -1;
		if (idle < 2000)
			__asm__ volatile("pause");
		else
			task_sleep_ns(idle < 4000 ? 100000 : 5000000);
	}
}

static uint64_t
deadline_of(uint64_t timeout_ns)
{
	return timeout_ns ? tsc_ns() + timeout_ns : UINT64_MAX;
}

bool
link_read_line(char *buf, size_t size, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_of(timeout_ns);
	size_t n = 0;
	for (;;) {
		int c = next_byte(deadline);
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
link_read_bytes(void *buf, size_t n, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_of(timeout_ns);
	uint8_t *p = buf;
	for (size_t i = 0; i < n; i++) {
		int c = next_byte(deadline);
		if (c < 0)
			return false;
		p[i] = (uint8_t)c;
	}
	return true;
}

void
link_printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	size_t n = (size_t)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	serial_write(COM2, line, n);
}
