/*
 * tty.c: COM1 receive interrupt -> ring buffer -> readers.
 */
#define LOG_TAG "tty"
#include "cell_mgr.h"
#include "tty.h"
#include "acpi.h"
#include "apic.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

#define VEC_COM1 0x24
#define RING 1024
#define COM1_BASE 0x3F8
#define LINE_PUSHBACK 256

static uint8_t ring[RING];
static volatile uint32_t head, tail; /* guarded by lock */
static struct spinlock lock = SPINLOCK_INIT;
static struct waitq readers = WAITQ_INIT;
static void (*intr_hook)(void);
static uint64_t dropped;
static uint8_t pushback[LINE_PUSHBACK];
static unsigned npushback; /* owned by the reading task */

static void
rx_irq(struct trap_frame *f)
{
	(void)f;
	bool got = false, intr = false;
	spin_lock_raw(&lock);
	while (inb(COM1_BASE + 5) & 1) {
		uint8_t c = inb(COM1_BASE);
		if (c == 0x03)
			intr = true;
		if (head - tail < RING) {
			ring[head++ % RING] = c;
			got = true;
		} else {
			dropped++;
		}
	}
	spin_unlock_raw(&lock);
	apic_eoi();
	if (intr && intr_hook)
		intr_hook();
	if (got)
		waitq_wake_all(&readers);
}

int
tty_init(void)
{
	int err = exc_register_irq(VEC_COM1, rx_irq);
	if (err)
		return err;
	err = ioapic_route(acpi_info()->isa_irq_gsi[4], VEC_COM1, percpu_of(0)->apic_id, false, false);
	if (err)
		return err;
	outb(COM1_BASE + 1, 0x01); /* interrupt on received data */
	log_info("console input on COM1 (IRQ %u -> vector %#x)", acpi_info()->isa_irq_gsi[4], VEC_COM1);
	return E_OK;
}

static int tty_getc_from(uint64_t timeout_ns, bool pushed);

static bool
available(void *ctx)
{
	(void)ctx;
	return head != tail;
}

int
tty_getc(uint64_t timeout_ns)
{
	return tty_getc_from(timeout_ns, true);
}

int
tty_getc_typed(uint64_t timeout_ns)
{
	return tty_getc_from(timeout_ns, false);
}

static int
tty_getc_from(uint64_t timeout_ns, bool pushed)
{
	if (pushed && npushback) {
		int c = pushback[0];
		for (unsigned i = 1; i < npushback; i++)
			pushback[i - 1] = pushback[i];
		npushback--;
		return c;
	}
	uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX : tsc_ns() + timeout_ns;
	for (;;) {
		bool irq = spin_lock_irq(&lock);
		if (head != tail) {
			int c = ring[tail++ % RING];
			spin_unlock_irq(&lock, irq);
			return c;
		}
		spin_unlock_irq(&lock, irq);
		if (deadline == UINT64_MAX) {
			waitq_wait_until(&readers, available, NULL);
			continue;
		}
		if (tsc_ns() >= deadline)
			return -1;
		task_sleep_ns(2000000); /* with a deadline: poll every 2 ms */
	}
}

void
tty_unget(int c)
{
	if (c >= 0 && npushback < LINE_PUSHBACK)
		pushback[npushback++] = (uint8_t)c;
}

void
tty_set_intr_hook(void (*hook)(void))
{
	cell_unpin_addr((const void *)intr_hook);
	intr_hook = hook;
	cell_pin_addr((const void *)hook);
}

uint64_t
tty_dropped(void)
{
	return dropped;
}

/* a second input source (the PS/2 keyboard): bytes go into the same ring
 * as COM1's, in order, with the same Ctrl-C hook; callable from an
 * interrupt handler or a task */
size_t
tty_input(const char *s, size_t n)
{
	bool intr = false;
	size_t taken = 0;
	bool irq = spin_lock_irq(&lock);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == 0x03)
			intr = true;
		if (head - tail < RING) {
			ring[head++ % RING] = (uint8_t)s[i];
			taken++;
		} else {
			dropped++;
		}
	}
	spin_unlock_irq(&lock, irq);
	if (intr && intr_hook)
		intr_hook();
	if (taken)
		waitq_wake_all(&readers);
	return taken;
}
