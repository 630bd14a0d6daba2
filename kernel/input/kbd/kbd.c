/*
 * kbd.c: the keyboard's interrupt handler, bring-up and transfer.
 */
#define LOG_TAG "kbd"
#include "kbd.h"
#include "acpi.h"
#include "apic.h"
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "klibc.h"
#include "logger.h"
#include "ps2.h"
#include "tty.h"

#define LOG_REJECTS 8 /* rejected bytes logged one by one; then only counted */

static struct kbd_decoder dec CELL_CARRY(dec);
static struct kbd_stats st CELL_CARRY(st);
static volatile bool inject;
static volatile uintptr_t unmapped = 8; /* what the injected fault reads through */

static void
reject(uint8_t b, enum kbd_verdict v)
{
	uint64_t all = 0;
	st.rejected[v]++;
	for (unsigned i = 0; i < KBD_NVERDICTS; i++)
		all += st.rejected[i];
	if (all <= LOG_REJECTS)
		log_warn("rejected byte %#x from the keyboard: %s%s", b, kbd_verdict_str(v),
			 all == LOG_REJECTS ? " (further rejections are only counted: `input`)" : "");
}

/* every byte waiting in the controller */
static void
drain(void)
{
	if (ps2_busy()) {
		st.busy++;
		return;
	}
	unsigned got = 0;
	for (; got < 16; got++) {
		uint8_t s = inb(PS2_STATUS);
		if (!(s & PS2_ST_OUT_FULL))
			break;
		if ((s & PS2_ST_AUX) && ps2_aux_irq_on())
			break; /* the mouse's byte: its handler reads it */
		uint8_t b = inb(PS2_DATA);
		if (s & PS2_ST_AUX) { /* port 2 with no mouse driver on: noise */
			st.aux++;
			continue;
		}
		if (inject) {
			inject = false;
			(void)*(volatile uint64_t *)unmapped; /* the injected fault */
		}
		char out[KBD_OUT_MAX];
		size_t n;
		enum kbd_verdict v = kbd_decode(&dec, b, out, &n);
		if (v != KBD_OK) {
			reject(b, v);
			continue;
		}
		size_t took = n ? tty_input(out, n) : 0;
		st.delivered += took;
		st.dropped += n - took;
		/* last: whoever sees the byte counted sees what it did */
		__atomic_store_n(&st.bytes, st.bytes + 1, __ATOMIC_RELEASE);
	}
	if (!got)
		st.spurious++;
}

static void
kbd_irq(struct trap_frame *f)
{
	(void)f;
	st.irqs++;
	if (ps2_guarded(drain, "kbd", PS2_PORT_KBD))
		st.faults++;
	apic_eoi();
}

void
kbd_start(const char *cmdline)
{
	(void)cmdline;
	uint32_t gsi = acpi_info()->isa_irq_gsi[1];
	int err = ps2_init();
	if (err) {
		log_warn("no PS/2 keyboard: %s", err_str(err));
		return;
	}
	if ((err = exc_register_irq(VEC_KBD, kbd_irq)) ||
	    (err = ioapic_route(gsi, VEC_KBD, percpu_of(0)->apic_id, false, false)) ||
	    (err = ps2_irq_enable(PS2_PORT_KBD, true)) || (err = ps2_start())) {
		log_err("PS/2 keyboard not started: %s", err_str(err));
		return;
	}
	log_info("PS/2 keyboard on IRQ 1 (GSI %u -> vector %#x), input to the console beside COM1", gsi, VEC_KBD);
}

int kbd_adopt(void);

int
kbd_adopt(void)
{
	return exc_replace_irq(VEC_KBD, kbd_irq);
}

void
kbd_stats(struct kbd_stats *out)
{
	*out = st;
	out->mods = dec.mods;
}

void
kbd_inject_fault(void)
{
	inject = true;
}

EXPORT_APP(kbd_stats);
EXPORT_APP(kbd_inject_fault);
EXPORT_APP(kbd_verdict_str);
