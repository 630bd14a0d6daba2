/*
 * log.c: the console multiplexer. Lines are formatted straight into the
 * sinks under the console lock so concurrent CPUs do not interleave
 * characters. The lock gives up after a bounded spin: a CPU that faulted
 * while holding it must still be able to report why (garbled beats silent).
 */
#include "logger.h"
#include "base.h"
#include "fmt.h"
#include "serial.h"
#include "tsc.h"
#include "cell_mgr.h"

#define MAX_SINKS 4
#define LOCK_SPINS 10000000

static struct spinlock console_lock = SPINLOCK_INIT;
static log_sink_fn sinks[MAX_SINKS];
static unsigned nsinks;
static enum log_level threshold = LOG_INFO;

static void
emit(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	serial_write(COM1, s, n);
	for (unsigned i = 0; i < nsinks; i++)
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

EXPORT_APP(kprintf);
