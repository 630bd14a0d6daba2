/*
 * mouse: the PS/2 mouse (port 2 of the i8042, ISA IRQ 12 through the
 * IOAPIC). Its interrupt handler reads port 2's bytes, assembles the
 * 3-byte movement packets (mouse_decode.h) and keeps the pointer: a
 * position (clamped to the screen's size when there is a framebuffer,
 * else to 0..65535) and the buttons held. Nothing draws the pointer yet;
 * `mouse` in the shell prints it.
 *
 * Faults and swaps as the keyboard's (kbd.h): the handler runs under a
 * fault catcher and a fault has the ps2 task reload this cell and reset
 * the controller and devices; mouse_adopt takes the vector over and the
 * decoder, pointer and counters are carried.
 * State: the decoder, the pointer and the counters (plain values).
 */
#ifndef MOUSE_H
#define MOUSE_H

#include "base.h"
#include "mouse_decode.h"

#define VEC_MOUSE 0x2C /* ISA IRQ 12 */

struct mouse_stats {
	uint64_t irqs, spurious;    /* interrupts; those that found no mouse byte */
	uint64_t bytes, packets;    /* bytes accepted (a dropped packet's first two too), packets completed */
	uint64_t rejected[MOUSE_NVERDICTS]; /* bytes (SYNC) and packets (OVERFLOW) rejected */
	uint64_t faults;            /* faults in the handler (this copy of the cell) */
	int32_t x, y;               /* the pointer, y down from the top */
	uint32_t width, height;     /* what it is clamped to */
	uint8_t buttons;            /* held now: bit 0 left, 1 right, 2 middle */
};

/* route IRQ 12 and turn the mouse's interrupt on, if ps2 found a mouse
 * (the captain, after kbd_start) */
void mouse_start(const char *cmdline);
int mouse_adopt(void);
void mouse_stats(struct mouse_stats *out);
/* fault injection (tests): the next handler run reads through an
 * unmapped pointer */
void mouse_inject_fault(void);

#endif
