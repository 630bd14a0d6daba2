/*
 * tty.c: COM1 receive interrupt -> ring buffer -> readers. A full ring
 * masks the UART's receive interrupt and leaves the bytes in the UART (and
 * behind it, in the sender): a reader that takes bytes unmasks it and
 * drains what waited.
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
#define COM1_BASE 0x3F8
#define UART_IER (COM1_BASE + 1)
#define UART_LSR (COM1_BASE + 5)
#define LSR_DATA 0x01
#define LSR_OVERRUN 0x02
#define RESUME_ROOM (TTY_RING / 2) /* a paused ring takes bytes again once half empty */

static uint8_t ring[TTY_RING];
static uint32_t head, tail;  /* guarded by lock */
static uint32_t nintr;       /* Ctrl-C bytes in the ring; guarded by lock */
static bool paused;          /* the ring was full: receive interrupt masked */
static struct spinlock lock = SPINLOCK_INIT;
static struct waitq readers = WAITQ_INIT;
static void (*intr_hook)(void);
static uint64_t fulls, overruns, dropped;

/* one input byte into the ring (any input source), with the lock held;
 * false if the ring is full. Sets *intr for a Ctrl-C */
static bool
ring_put_locked(uint8_t c, bool *intr)
{
	if (head - tail == TTY_RING)
		return false;
	if (c == 0x03) {
		*intr = true;
		nintr++;
	}
	ring[head++ % TTY_RING] = c;
	return true;
}

/* move what the UART holds into the ring, with the lock held; stops (and
 * masks the receive interrupt) when the ring is full. Returns whether a
 * byte came, and sets *intr for a Ctrl-C */
static bool
drain_locked(bool *intr)
{
	bool got = false;
	while (!paused) {
		uint8_t lsr = inb(UART_LSR);
		if (lsr & LSR_OVERRUN)
			overruns++;
		if (!(lsr & LSR_DATA))
			break;
		if (head - tail == TTY_RING) { /* leave it in the UART */
			paused = true;
			fulls++;
			outb(UART_IER, 0x00);
			break;
		}
		got |= ring_put_locked(inb(COM1_BASE), intr);
	}
	return got;
}

static void
rx_irq(struct trap_frame *f)
{
	(void)f;
	bool intr = false;
	spin_lock_raw(&lock);
	bool got = drain_locked(&intr);
	bool full = paused;
	spin_unlock_raw(&lock);
	apic_eoi();
	if (intr && intr_hook)
		intr_hook();
	if (got || full)
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
	outb(UART_IER, 0x01); /* interrupt on received data */
	log_info("console input on COM1 (IRQ %u -> vector %#x), %u bytes of type-ahead", acpi_info()->isa_irq_gsi[4],
		 VEC_COM1, TTY_RING);
	return E_OK;
}

static bool
available(void *ctx)
{
	(void)ctx;
	return head != tail;
}

/* after a read, with the lock held: a paused ring with room again takes
 * what waited in the UART; returns whether bytes came */
static bool
resume_locked(void)
{
	if (!paused || TTY_RING - (head - tail) < RESUME_ROOM)
		return false;
	paused = false;
	outb(UART_IER, 0x01);
	bool intr = false;
	return drain_locked(&intr);
}

/* the byte at ring position i, the oldest first; with the lock held */
static uint8_t
take_locked(void)
{
	uint8_t c = ring[tail++ % TTY_RING];
	if (c == 0x03)
		nintr--;
	return c;
}

int
tty_getc(uint64_t timeout_ns)
{
	uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX : tsc_ns() + timeout_ns;
	for (;;) {
		bool irq = spin_lock_irq(&lock);
		if (head != tail) {
			int c = take_locked();
			resume_locked();
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
		/* E_INTR (being killed) comes back here, and the kill with it */
		int e = waitq_wait_deadline(&readers, available, NULL, deadline);
		(void)e; /* a byte, the deadline or a kill: the loop looks */
	}
}

/* take the first Ctrl-C out of the ring (the bytes after it move up one);
 * with the lock held */
static bool
take_intr_locked(void)
{
	if (!nintr)
		return false;
	uint32_t i = tail;
	while (i != head && ring[i % TTY_RING] != 0x03)
		i++;
	if (i == head) { /* cannot happen: nintr counts the 0x03 in the ring */
		log_warn("counted %u Ctrl-C the input ring does not hold (a bug): count reset", nintr);
		nintr = 0;
		return false;
	}
	for (; i + 1 != head; i++)
		ring[i % TTY_RING] = ring[(i + 1) % TTY_RING];
	head--;
	nintr--;
	resume_locked();
	return true;
}

bool
tty_take_intr(uint64_t timeout_ns)
{
	uint64_t deadline = tsc_ns() + timeout_ns;
	for (;;) {
		bool irq = spin_lock_irq(&lock);
		bool got = take_intr_locked();
		spin_unlock_irq(&lock, irq);
		if (got)
			return true;
		if (tsc_ns() >= deadline)
			return false;
		task_sleep_ns(2000000);
	}
}

void
tty_set_intr_hook(void (*hook)(void))
{
	cell_unpin_addr((const void *)intr_hook);
	intr_hook = hook;
	cell_pin_addr((const void *)hook);
}

uint64_t
tty_full_count(void)
{
	return fulls;
}

uint64_t
tty_overruns(void)
{
	return overruns;
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
		if (ring_put_locked((uint8_t)s[i], &intr))
			taken++;
		else
			dropped++; /* (a keyboard cannot be made to wait, as the UART is) */
	}
	spin_unlock_irq(&lock, irq);
	if (intr && intr_hook)
		intr_hook();
	if (taken)
		waitq_wake_all(&readers);
	return taken;
}

uint64_t
tty_dropped(void)
{
	return dropped;
}
