/*
 * mouse.c: the mouse's interrupt handler, bring-up and transfer.
 */
#define LOG_TAG "mouse"
#include "mouse.h"
#include "acpi.h"
#include "apic.h"
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "nano_core.h"
#include "ps2.h"

#define LOG_REJECTS 8

static struct mouse_decoder dec CELL_CARRY(dec);
static struct mouse_stats st CELL_CARRY(st);
static volatile bool inject;
static volatile uintptr_t unmapped = 8; /* what the injected fault reads through */

static int32_t
clamp(int32_t v, uint32_t max)
{
	return v < 0 ? 0 : v >= (int32_t)max ? (int32_t)max - 1 : v;
}

static void
reject(uint8_t b, enum mouse_verdict v)
{
	uint64_t all = 0;
	st.rejected[v]++;
	for (unsigned i = 0; i < MOUSE_NVERDICTS; i++)
		all += st.rejected[i];
	if (all <= LOG_REJECTS)
		log_warn("rejected %s from the mouse (byte %#x): %s", v == MOUSE_R_OVERFLOW ? "a packet" : "a byte", b,
			 mouse_verdict_str(v));
}

static void
drain(void)
{
	if (ps2_busy())
		return;
	unsigned got = 0;
	for (; got < 16; got++) {
		uint8_t s = inb(PS2_STATUS);
		if ((s & (PS2_ST_OUT_FULL | PS2_ST_AUX)) != (PS2_ST_OUT_FULL | PS2_ST_AUX))
			break; /* nothing, or the keyboard's byte (its handler reads it) */
		uint8_t b = inb(PS2_DATA);
		if (inject) {
			inject = false;
			(void)*(volatile uint64_t *)unmapped; /* the injected fault */
		}
		struct mouse_packet p;
		enum mouse_verdict v = mouse_decode(&dec, b, &p);
		if (v == MOUSE_R_SYNC || v == MOUSE_R_OVERFLOW) {
			reject(b, v);
			continue;
		}
		if (v == MOUSE_PACKET) {
			st.packets++;
			st.x = clamp(st.x + p.dx, st.width);
			st.y = clamp(st.y - p.dy, st.height); /* the mouse's y is up */
			st.buttons = p.buttons;
		}
		/* last: whoever sees the byte counted sees what it did */
		__atomic_store_n(&st.bytes, st.bytes + 1, __ATOMIC_RELEASE);
	}
	if (!got)
		st.spurious++;
}

static void
mouse_irq(struct trap_frame *f)
{
	(void)f;
	st.irqs++;
	if (ps2_guarded(drain, "mouse", PS2_PORT_AUX))
		st.faults++;
	apic_eoi();
}

/* the pointer in the middle of the screen (or of 65536 x 65536) */
static void
center(void)
{
	const struct mb2_framebuffer *fb = &nano_core_boot_info()->fb;
	bool screen = fb->type == MB2_FB_RGB;
	st.width = screen ? fb->width : 65536;
	st.height = screen ? fb->height : 65536;
	st.x = (int32_t)st.width / 2;
	st.y = (int32_t)st.height / 2;
}

void
mouse_start(const char *cmdline)
{
	(void)cmdline;
	if (!ps2_has_mouse()) {
		log_info("no PS/2 mouse answered on port 2");
		return;
	}
	center();
	uint32_t gsi = acpi_info()->isa_irq_gsi[12];
	int err;
	if ((err = exc_register_irq(VEC_MOUSE, mouse_irq)) ||
	    (err = ioapic_route(gsi, VEC_MOUSE, percpu_of(0)->apic_id, false, false)) ||
	    (err = ps2_irq_enable(PS2_PORT_AUX, true)) || (err = ps2_start())) {
		log_err("PS/2 mouse not started: %s", err_str(err));
		return;
	}
	log_info("PS/2 mouse on IRQ 12 (GSI %u -> vector %#x), pointer within %ux%u", gsi, VEC_MOUSE, st.width,
		 st.height);
}

int mouse_adopt(void);

int
mouse_adopt(void)
{
	int err = exc_replace_irq(VEC_MOUSE, mouse_irq);
	if (!err && !st.width) /* a reload with fresh data */
		center();
	return err;
}

void
mouse_stats(struct mouse_stats *out)
{
	*out = st;
}

void
mouse_inject_fault(void)
{
	inject = true;
}

EXPORT_APP(mouse_stats);
EXPORT_APP(mouse_inject_fault);
EXPORT_APP(mouse_verdict_str);
