/*
 * ps2: the i8042 PS/2 controller (ports 0x60 data, 0x64 status/command):
 * controller init and self-tests, device reset, the interrupt enables in
 * its configuration byte, and the recovery of its device cells. The
 * devices' bytes are decoded by their own cells (kbd on port 1, mouse on
 * port 2); this cell only moves bytes and keeps the controller sane.
 *
 * Recovery: a device cell's interrupt handler runs its work through
 * ps2_guarded (a fault catcher); after a fault there, ps2_device_failed;
 * the ps2 task then reloads that cell from the image (fresh data, its
 * <cell>_adopt transfer function takes the interrupt over), resets the
 * controller and the device, and turns its interrupt back on.
 *
 * State: counters, whether port 2 has a mouse, which ports' interrupts
 * the device cells turned on (put back after a reset) and the pending
 * recovery request (plain values); the configuration byte itself is the
 * controller's, re-read, never mirrored.
 */
#ifndef PS2_H
#define PS2_H

#include "base.h"

#define PS2_DATA   0x60
#define PS2_STATUS 0x64
#define PS2_ST_OUT_FULL 0x01 /* a byte waits in 0x60 */
#define PS2_ST_IN_FULL  0x02 /* the controller has not taken our last byte */
#define PS2_ST_AUX      0x20 /* the waiting byte came from port 2 (mouse) */
#define PS2_PORT_KBD 1
#define PS2_PORT_AUX 2

/* bring the controller up: ports disabled, flushed, self-test, port 1
 * tested and enabled, the keyboard reset and scanning (scancode set 2,
 * translated by the controller to set 1); port 2, if the controller has
 * one and a mouse answers there, tested, enabled, the mouse reset and
 * reporting. Interrupts stay off until ps2_irq_enable (a recovery turns
 * back on those that were on). E_TIMEDOUT or E_FORMAT (an unexpected
 * answer), naming the failing step in the log; a missing mouse is no
 * error. */
int ps2_init(void) __must_check;
/* a port's interrupt (PS2_PORT_KBD: IRQ 1, PS2_PORT_AUX: IRQ 12) on or off */
int ps2_irq_enable(unsigned port, bool on) __must_check;
/* a mouse answered on port 2 at the last init */
bool ps2_has_mouse(void);
/* port 2's interrupt is on: a byte from it is the mouse cell's to read */
bool ps2_aux_irq_on(void);
/* true while a command sequence owns the data port: interrupt handlers
 * must not read it then (they would steal a reply) */
bool ps2_busy(void);
/* the controller presents `byte` as if the keyboard had sent it (command
 * 0xD2), interrupt included: tests feed the real interrupt path this way */
int ps2_inject(uint8_t byte) __must_check;
/* the same for port 2 (command 0xD3): as if the mouse had sent it */
int ps2_inject_aux(uint8_t byte) __must_check;

/* a device cell's interrupt handler runs its work this way: under a
 * fault catcher; true if it faulted (then the fault is in the fault log
 * and on the console, and ps2_device_failed was called) */
bool ps2_guarded(void (*work)(void), const char *cell, unsigned port);
/* from a device cell's interrupt handler: it faulted; its port's
 * interrupt is turned off now, then the ps2 task reloads `cell` and
 * resets the controller and devices (E_BUSY if a recovery is pending) */
int ps2_device_failed(const char *cell, unsigned port);
/* start the ps2 task (kbd_start and mouse_start) */
int ps2_start(void) __must_check;

struct ps2_stats {
	uint64_t inits, init_failures, resets, injected;
	uint64_t recoveries, recovery_failures;
	uint64_t last_recovery_ns; /* failure reported -> input on again */
};
void ps2_stats(struct ps2_stats *out);

#endif
