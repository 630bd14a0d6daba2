/*
 * kbd: the PS/2 keyboard (port 1 of the i8042, ISA IRQ 1 through the
 * IOAPIC). Its interrupt handler reads the controller's bytes, decodes
 * scancode set 1 (kbd_decode.h) and gives the resulting bytes to the tty,
 * beside COM1: keys typed on the keyboard reach the shell.
 *
 * Faults: the handler runs under a fault catcher; a fault inside it
 * unwinds to the handler's start, is logged (console and fault log), the
 * keyboard's interrupt is masked and the ps2 task reloads this cell
 * (fresh data) and resets the controller and keyboard (ps2.h).
 * Swapping: kbd_adopt, the transfer function, takes the interrupt vector
 * over; the decoder state (modifiers, keys held, a pending prefix) and the
 * counters are carried (CELL_CARRY).
 * State: the decoder and the counters (plain values).
 */
#ifndef KBD_H
#define KBD_H

#include "base.h"
#include "kbd_decode.h"

#define VEC_KBD 0x21 /* ISA IRQ 1 */

struct kbd_stats {
	uint64_t irqs;            /* interrupts taken */
	uint64_t spurious;        /* ... that found no byte of the keyboard's waiting */
	uint64_t aux;             /* mouse-port bytes read and dropped (no mouse driver on) */
	uint64_t busy;            /* interrupts left alone: a command owned the port */
	uint64_t bytes;           /* scancode bytes accepted */
	uint64_t rejected[KBD_NVERDICTS]; /* bytes rejected, by kbd_verdict */
	uint64_t delivered;       /* bytes given to the tty */
	uint64_t dropped;         /* ... that did not fit in its ring */
	uint64_t faults;          /* faults in the handler (this copy of the cell) */
	uint8_t mods;             /* modifiers held now (enum kbd_mod) */
};

/* bring the controller and keyboard up and route IRQ 1 (the captain) */
void kbd_start(const char *cmdline);
/* the transfer function of a swap or reload */
int kbd_adopt(void);
void kbd_stats(struct kbd_stats *out);
/* fault injection (tests): the next interrupt handler run reads through
 * an unmapped pointer, as one with a corrupted pointer would */
void kbd_inject_fault(void);

#endif
