/*
 * log.c: the console multiplexer. Lines are formatted straight into the
 * sinks under the console lock so concurrent CPUs do not interleave
 * characters. The lock gives up after a bounded spin: a CPU that faulted
 * while holding it must still be able to report why (garbled beats silent).
 */
#include "logger.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "serial.h"
#include "tsc.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "heap.h"

#define MAX_SINKS 4
#define LOCK_SPINS 10000000

static struct spinlock console_lock = SPINLOCK_INIT;
static log_sink_fn sinks[MAX_SINKS];
static char sink_names[MAX_SINKS][16]; /* "" for an anonymous sink */
static unsigned nsinks;
static enum log_level threshold = LOG_INFO;

/* the edit line (guarded by the console lock): prompt and text in one
 * buffer, the cursor's column in it, whether it is on the screen */
static struct {
	char buf[LOG_EDIT_MAX];
	size_t plen, len, cursor; /* bytes: prompt, prompt + text, prompt + cursor */
	bool active, shown;
} edit;
static char last_out = '\n'; /* the last byte written: is the cursor at column 0? */

/* per CPU: output kept in a buffer instead of written (log_capture_begin) */
static struct cpu_capture {
	char *buf;
	size_t n, len;
} cpu_captures[MAX_CPUS];

static struct cpu_capture *
cpu_capturing(void)
{
	struct cpu_capture *c = &cpu_captures[cpu_id()];
	return c->buf ? c : NULL;
}

static void
cpu_capture_emit(void *ctx, const char *s, size_t n)
{
	struct cpu_capture *c = ctx;
	size_t room = c->n - 1 - c->len;
	if (n > room)
		n = room;
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

void
log_capture_begin(char *buf, size_t n)
{
	struct cpu_capture *c = &cpu_captures[cpu_id()];
	if (!buf || n == 0)
		return;
	buf[0] = '\0';
	*c = (struct cpu_capture){ buf, n, 0 };
}

size_t
log_capture_end(void)
{
	struct cpu_capture *c = &cpu_captures[cpu_id()];
	size_t len = c->len;
	*c = (struct cpu_capture){ 0 };
	return len;
}

static void
emit(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (!n)
		return;
	serial_write(COM1, s, n);
	for (unsigned i = 0; i < nsinks; i++)
		if (sinks[i])
			sinks[i](s, n);
	last_out = s[n - 1];
}

static size_t
columns(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((uint8_t)s[i] & 0xc0) != 0x80;
	return c;
}

static void
emit_repeat(char ch, size_t n)
{
	char chunk[32];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = ch;
	for (; n; n -= n < sizeof(chunk) ? n : sizeof(chunk))
		emit(NULL, chunk, n < sizeof(chunk) ? n : sizeof(chunk));
}

/* before other output: take the edit line off the screen */
static void
edit_hide(void)
{
	if (!edit.active || !edit.shown)
		return;
	emit(NULL, "\r", 1);
	emit_repeat(' ', columns(edit.buf, edit.len));
	emit(NULL, "\r", 1);
	edit.shown = false;
}

/* after other output: draw it again once that output ended its line (the
 * \r first: a redraw is not a fresh prompt to tools reading the console) */
static void
edit_show(void)
{
	if (!edit.active || edit.shown || last_out != '\n')
		return;
	emit(NULL, "\r", 1);
	emit(NULL, edit.buf, edit.len);
	emit_repeat('\b', columns(edit.buf + edit.cursor, edit.len - edit.cursor));
	edit.shown = true;
}

static bool
console_enter(bool *irq_on)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	*irq_on = f & (1UL << 9);
	for (long i = 0; i < LOCK_SPINS; i++)
		if (spin_trylock_raw(&console_lock))
			return true;
	return false;
}

static void
console_leave(bool locked, bool irq_on)
{
	if (locked)
		spin_unlock_raw(&console_lock);
	if (irq_on)
		__asm__ volatile("sti" ::: "memory");
}

static void
out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(emit, NULL, fmt, ap);
	va_end(ap);
}

void
log_write(enum log_level lvl, const char *tag, const char *fmt, ...)
{
	static const char letters[] = "EWIDT";
	va_list ap;
	bool irq_on;

	if (lvl > threshold)
		return;
	uint64_t ns = tsc_ns();
	struct cpu_capture *c = cpu_capturing();
	if (c) {
		char pre[48];
		int k = snprintf(pre, sizeof(pre), "[%5lu.%06lu] %c %s: ", ns / 1000000000UL,
				 (ns / 1000UL) % 1000000UL, letters[lvl], tag);
		cpu_capture_emit(c, pre, k < 0 ? 0 : (size_t)k < sizeof(pre) ? (size_t)k : sizeof(pre) - 1);
		va_start(ap, fmt);
		fmt_vformat(cpu_capture_emit, c, fmt, ap);
		va_end(ap);
		cpu_capture_emit(c, "\n", 1);
		return;
	}
	bool locked = console_enter(&irq_on);
	edit_hide();
	out("[%5lu.%06lu] %c %s: ", ns / 1000000000UL, (ns / 1000UL) % 1000000UL,
	    letters[lvl], tag);
	va_start(ap, fmt);
	fmt_vformat(emit, NULL, fmt, ap);
	va_end(ap);
	emit(NULL, "\n", 1);
	edit_show();
	console_leave(locked, irq_on);
}

/* ---- output captures ---- */

static struct log_capture *captures[LOG_CAPTURES];
static bool any_capture; /* none before the first add (early boot has no per-CPU area yet) */

int
log_capture_add(struct log_capture *c)
{
	for (unsigned i = 0; i < LOG_CAPTURES; i++) {
		struct log_capture *none = NULL;
		if (__atomic_compare_exchange_n(&captures[i], &none, c, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&any_capture, true, __ATOMIC_RELEASE);
			return E_OK;
		}
	}
	return E_NOSPC;
}

void
log_capture_remove(struct log_capture *c)
{
	for (unsigned i = 0; i < LOG_CAPTURES; i++)
		if (__atomic_load_n(&captures[i], __ATOMIC_ACQUIRE) == c)
			__atomic_store_n(&captures[i], NULL, __ATOMIC_RELEASE);
}

/* the capture of the running task, if it has one (in task context only) */
static struct log_capture *
capture_of_current(void)
{
	if (!__atomic_load_n(&any_capture, __ATOMIC_ACQUIRE))
		return NULL;
	struct percpu *p = this_cpu();
	if (!p || p->irq_depth > 0 || !p->current)
		return NULL;
	const void *me = p->current;
	for (unsigned i = 0; i < LOG_CAPTURES; i++) {
		struct log_capture *c = __atomic_load_n(&captures[i], __ATOMIC_ACQUIRE);
		if (c && c->task == me)
			return c;
	}
	return NULL;
}

static void
capture_emit(void *ctx, const char *s, size_t n)
{
	struct log_capture *c = ctx;
	if (c->len + n > c->cap && c->cap < c->max) {
		size_t want = c->cap ? c->cap * 2 : 4096;
		while (want < c->len + n && want < c->max)
			want *= 2;
		if (want > c->max)
			want = c->max;
		char *nb = kmalloc(want);
		if (nb) {
			if (c->len)
				memcpy(nb, c->buf, c->len);
			kfree(c->buf);
			c->buf = nb;
			c->cap = want;
		}
	}
	size_t k = c->cap - c->len < n ? c->cap - c->len : n;
	if (k)
		memcpy(c->buf + c->len, s, k);
	c->len += k;
	c->lost += n - k;
}

void
kvprintf(const char *fmt, va_list ap)
{
	struct cpu_capture *cc = cpu_capturing();
	if (cc) {
		/* a report composed at a fault, written after the restart */
		fmt_vformat(cpu_capture_emit, cc, fmt, ap);
		return;
	}
	struct log_capture *cap = capture_of_current();
	if (cap) {
		/* only this task appends to it: no lock */
		fmt_vformat(capture_emit, cap, fmt, ap);
		return;
	}
	bool irq_on;
	bool locked = console_enter(&irq_on);
	edit_hide();
	fmt_vformat(emit, NULL, fmt, ap);
	edit_show();
	console_leave(locked, irq_on);
}

void
log_edit_begin(const char *prompt)
{
	bool irq_on;
	bool locked = console_enter(&irq_on);
	size_t n = strnlen(prompt, sizeof(edit.buf) / 2);
	memcpy(edit.buf, prompt, n);
	edit.plen = edit.len = edit.cursor = n;
	edit.active = edit.shown = true;
	emit(NULL, prompt, n);
	console_leave(locked, irq_on);
}

void
log_edit_set(const char *text, size_t cursor, const char *echo, size_t echo_len)
{
	bool irq_on;
	bool locked = console_enter(&irq_on);
	size_t n = strnlen(text, sizeof(edit.buf) - edit.plen);
	memcpy(edit.buf + edit.plen, text, n);
	edit.len = edit.plen + n;
	edit.cursor = edit.plen + (cursor < n ? cursor : n);
	if (edit.shown) {
		emit(NULL, echo, echo_len);
	} else {
		/* other output left it off the screen: draw it whole */
		if (last_out != '\n')
			emit(NULL, "\n", 1);
		edit_show();
	}
	console_leave(locked, irq_on);
}

void
log_edit_end(void)
{
	bool irq_on;
	bool locked = console_enter(&irq_on);
	if (edit.active && !edit.shown && last_out != '\n')
		emit(NULL, "\n", 1);
	if (edit.shown) /* the cursor to the end of the line */
		emit(NULL, edit.buf + edit.cursor, edit.len - edit.cursor);
	edit.cursor = edit.len;
	edit_show(); /* the line as entered stays on the screen */
	edit.active = false;
	console_leave(locked, irq_on);
}

void
kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void
log_set_level(enum log_level lvl)
{
	threshold = lvl;
}

enum log_level
log_get_level(void)
{
	return threshold;
}

int
log_add_sink(log_sink_fn sink)
{
	if (nsinks == MAX_SINKS)
		return E_NOSPC;
	sinks[nsinks++] = sink;
	cell_pin_addr((const void *)sink);
	return E_OK;
}

/* the named sink is added, replaced (a new version of the cell that
 * registered it takes over) or, with NULL, removed; under the console lock,
 * so no line is half in the old sink and half in the new one */
int
log_set_sink(const char *name, log_sink_fn sink)
{
	if (!name || !*name || strlen(name) >= sizeof(sink_names[0]))
		return E_INVAL;
	bool irq_on;
	bool locked = console_enter(&irq_on);
	unsigned i = 0;
	while (i < nsinks && strcmp(sink_names[i], name))
		i++;
	int err = E_OK;
	if (i == nsinks && !sink)
		err = E_NOENT;
	else if (i == nsinks && nsinks == MAX_SINKS)
		err = E_NOSPC;
	if (!err) {
		/* commit: nothing below fails */
		cell_pin_addr((const void *)sink);
		log_sink_fn old = i < nsinks ? sinks[i] : NULL;
		sinks[i] = sink; /* a slot emptied by NULL stays, skipped by emit */
		if (i == nsinks) {
			strlcpy(sink_names[i], name, sizeof(sink_names[i]));
			nsinks++;
		}
		cell_unpin_addr((const void *)old);
	}
	console_leave(locked, irq_on);
	return err;
}

EXPORT_APP(kprintf);
