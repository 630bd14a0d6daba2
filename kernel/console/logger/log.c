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

#define MAX_SINKS 4
#define LOCK_SPINS 10000000

static struct spinlock console_lock = SPINLOCK_INIT;
static log_sink_fn sinks[MAX_SINKS];
static char sink_names[MAX_SINKS][16]; /* "" for an anonymous sink */
static unsigned nsinks;
static enum log_level threshold = LOG_INFO;

static void
emit(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	serial_write(COM1, s, n);
	for (unsigned i = 0; i < nsinks; i++)
		if (sinks[i])
			sinks[i](s, n);
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
	bool locked = console_enter(&irq_on);
	out("[%5lu.%06lu] %c %s: ", ns / 1000000000UL, (ns / 1000UL) % 1000000UL,
	    letters[lvl], tag);
	va_start(ap, fmt);
	fmt_vformat(emit, NULL, fmt, ap);
	va_end(ap);
	emit(NULL, "\n", 1);
	console_leave(locked, irq_on);
}

void
kvprintf(const char *fmt, va_list ap)
{
	bool irq_on;
	bool locked = console_enter(&irq_on);
	fmt_vformat(emit, NULL, fmt, ap);
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
