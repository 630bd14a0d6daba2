/*
 * ps2.c: the i8042 controller. Every command waits for the controller
 * with a deadline (a missing or wedged controller gives E_TIMEDOUT and a
 * log line, never a hang). Command sequences are serialized by cmd_lock;
 * while one expects replies, `owned` tells the interrupt handlers to
 * leave the data port alone.
 */
#define LOG_TAG "ps2"
#include "ps2.h"
#include "ps2_int.h"
#include "base.h"
#include "cpu.h"
#include "logger.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

#define WAIT_NS (1000 * 1000000ULL) /* per byte: wide, for TCG on a loaded host */

enum {
	CMD_READ_CONFIG = 0x20, CMD_WRITE_CONFIG = 0x60, CMD_DISABLE_AUX = 0xA7,
	CMD_ENABLE_AUX = 0xA8, CMD_TEST_AUX = 0xA9, CMD_SELF_TEST = 0xAA,
	CMD_TEST_KBD = 0xAB, CMD_DISABLE_KBD = 0xAD, CMD_ENABLE_KBD = 0xAE,
	CMD_WRITE_KBD_OUT = 0xD2, CMD_WRITE_AUX_OUT = 0xD3, CMD_WRITE_AUX = 0xD4,
	CFG_KBD_IRQ = 0x01, CFG_AUX_IRQ = 0x02, CFG_KBD_CLOCK_OFF = 0x10,
	CFG_AUX_CLOCK_OFF = 0x20, CFG_TRANSLATE = 0x40,
	DEV_RESET = 0xFF, DEV_ENABLE_SCAN = 0xF4, DEV_SCANCODE_SET = 0xF0,
	DEV_ACK = 0xFA, DEV_RESEND = 0xFE, DEV_BAT_OK = 0xAA, MOUSE_ID = 0x00,
};

static struct mutex cmd_lock = MUTEX_INIT;
static volatile bool owned;
struct ps2_stats ps2_counters CELL_CARRY(ps2_counters);
static bool has_mouse CELL_CARRY(has_mouse);
uint8_t ps2_irqs_on CELL_CARRY(ps2_irqs_on); /* CFG_*_IRQ bits the device cells turned on */

bool
ps2_busy(void)
{
	return owned;
}

static int
wait_status(uint8_t mask, bool set)
{
	uint64_t deadline = tsc_ns() + WAIT_NS;
	while (((inb(PS2_STATUS) & mask) != 0) != set)
		if (tsc_ns() > deadline)
			return E_TIMEDOUT;
	return E_OK;
}

static int
put(uint16_t port, uint8_t b)
{
	int err = wait_status(PS2_ST_IN_FULL, false);
	if (!err)
		outb(port, b);
	return err;
}

static int
get(uint8_t *b)
{
	int err = wait_status(PS2_ST_OUT_FULL, true);
	if (!err)
		*b = inb(PS2_DATA);
	return err;
}

static void
flush(void)
{
	for (int i = 0; i < 32 && (inb(PS2_STATUS) & PS2_ST_OUT_FULL); i++)
		(void)inb(PS2_DATA);
}

static int
read_config(uint8_t *cfg)
{
	int err = put(PS2_STATUS, CMD_READ_CONFIG);
	return err ? err : get(cfg);
}

static int
write_config(uint8_t cfg)
{
	int err = put(PS2_STATUS, CMD_WRITE_CONFIG);
	return err ? err : put(PS2_DATA, cfg);
}

/* a byte to a device, answered by ACK (resent on RESEND, 3 tries); port
 * 2's bytes go through command 0xD4 */
static int
dev_cmd(unsigned port, uint8_t b)
{
	for (int tries = 0; tries < 3; tries++) {
		uint8_t r = 0;
		int err = port == PS2_PORT_AUX ? put(PS2_STATUS, CMD_WRITE_AUX) : E_OK;
		if (!err)
			err = put(PS2_DATA, b);
		if (!err)
			err = get(&r);
		if (err)
			return err;
		if (r == DEV_ACK)
			return E_OK;
		if (r != DEV_RESEND)
			return E_FORMAT;
	}
	return E_FORMAT;
}

/* a step of the bring-up that failed: say which */
static int
step_failed(const char *step, int err)
{
	log_err("controller %s failed: %s", step, err_str(err));
	ps2_counters.init_failures++;
	return err;
}

static int
expect(uint8_t cmd, uint8_t want, const char *step)
{
	uint8_t r = 0;
	int err = put(PS2_STATUS, cmd);
	if (!err)
		err = get(&r);
	if (!err && r != want) {
		log_err("controller %s: answered %#x, expected %#x", step, r, want);
		err = E_FORMAT;
	}
	return err ? step_failed(step, err) : E_OK;
}

/* the keyboard: reset (ACK, then its self-test's 0xAA), scancode set 2,
 * scanning on */
static int
kbd_cmd(uint8_t b)
{
	return dev_cmd(PS2_PORT_KBD, b);
}

static int
reset_keyboard(void)
{
	uint8_t r = 0;
	int err = kbd_cmd(DEV_RESET);
	if (!err)
		err = get(&r);
	if (!err && r != DEV_BAT_OK)
		err = E_FORMAT;
	if (err)
		return step_failed("keyboard reset", err);
	if ((err = kbd_cmd(DEV_SCANCODE_SET)) || (err = kbd_cmd(2)) || (err = kbd_cmd(DEV_ENABLE_SCAN)))
		return step_failed("keyboard setup", err);
	ps2_counters.resets++;
	return E_OK;
}

/* port 2: there if enabling it clears its clock-off bit and it passes
 * its test; a mouse if it answers a reset (ACK, 0xAA, its id 0x00), then
 * reporting on. No mouse is no error: the port is turned off again. */
static void
init_mouse(uint8_t cfg)
{
	uint8_t c = 0, r = 0, id = 0xff;
	has_mouse = false;
	int err = put(PS2_STATUS, CMD_ENABLE_AUX);
	if (!err)
		err = read_config(&c);
	if (err || (c & CFG_AUX_CLOCK_OFF))
		goto none;
	if ((err = put(PS2_STATUS, CMD_TEST_AUX)) || (err = get(&r)) || r != 0)
		goto none;
	if ((err = dev_cmd(PS2_PORT_AUX, DEV_RESET)) || (err = get(&r)) || (err = get(&id)) || r != DEV_BAT_OK ||
	    id != MOUSE_ID || (err = dev_cmd(PS2_PORT_AUX, DEV_ENABLE_SCAN)))
		goto none;
	has_mouse = true;
	err = write_config((uint8_t)(cfg & ~CFG_AUX_CLOCK_OFF));
	if (!err)
		return;
none:
	has_mouse = false;
	(void)put(PS2_STATUS, CMD_DISABLE_AUX);
	(void)write_config(cfg);
}

static int
init_locked(void)
{
	uint8_t cfg = 0;
	int err;
	if ((err = put(PS2_STATUS, CMD_DISABLE_KBD)) || (err = put(PS2_STATUS, CMD_DISABLE_AUX)))
		return step_failed("disable ports", err);
	flush();
	if ((err = read_config(&cfg)))
		return step_failed("read config", err);
	/* interrupts off, translation to set 1 on, the mouse port clock off
	 * (no mouse driver: its bytes would only be noise) */
	cfg = (uint8_t)((cfg & ~(CFG_KBD_IRQ | CFG_AUX_IRQ | CFG_KBD_CLOCK_OFF)) | CFG_TRANSLATE | CFG_AUX_CLOCK_OFF);
	if ((err = write_config(cfg)))
		return step_failed("write config", err);
	if ((err = expect(CMD_SELF_TEST, 0x55, "self-test")))
		return err;
	/* some controllers reset their configuration in the self-test */
	if ((err = write_config(cfg)))
		return step_failed("write config", err);
	if ((err = expect(CMD_TEST_KBD, 0x00, "keyboard port test")))
		return err;
	if ((err = put(PS2_STATUS, CMD_ENABLE_KBD)))
		return step_failed("enable keyboard port", err);
	if ((err = reset_keyboard()))
		return err;
	init_mouse(cfg);
	flush();
	ps2_counters.inits++;
	return E_OK;
}

int
ps2_init(void)
{
	_cleanup_(guard_drop) struct guard g = mutex_lock(&cmd_lock);
	owned = true;
	int err = init_locked();
	owned = false;
	return err;
}

static uint8_t
irq_bit(unsigned port)
{
	return port == PS2_PORT_AUX ? CFG_AUX_IRQ : CFG_KBD_IRQ;
}

/* the configuration byte with `bits` set and `clear` cleared */
static int
update_config(uint8_t bits, uint8_t clear)
{
	uint8_t cfg = 0;
	owned = true;
	int err = read_config(&cfg);
	owned = false;
	return err ? err : write_config((uint8_t)((cfg | bits) & ~clear));
}

int
ps2_irq_enable(unsigned port, bool on)
{
	if (port != PS2_PORT_KBD && port != PS2_PORT_AUX)
		return E_INVAL;
	if (port == PS2_PORT_AUX && !has_mouse)
		return E_NOENT;
	_cleanup_(guard_drop) struct guard g = mutex_lock(&cmd_lock);
	int err = on ? update_config(irq_bit(port), 0) : update_config(0, irq_bit(port));
	if (!err)
		ps2_irqs_on = on ? (uint8_t)(ps2_irqs_on | irq_bit(port)) : (uint8_t)(ps2_irqs_on & ~irq_bit(port));
	return err;
}

/* the interrupts the device cells had on, after a reset turned them off */
int
ps2_irqs_restore(void)
{
	_cleanup_(guard_drop) struct guard g = mutex_lock(&cmd_lock);
	return update_config(ps2_irqs_on & (has_mouse ? 0xff : (uint8_t)~CFG_AUX_IRQ), 0);
}

/* from an interrupt handler (no mutex there): the port's interrupt off,
 * so a handler that just faulted is not entered again before its reload */
void
ps2_irq_off_now(unsigned port)
{
	int err = update_config(0, irq_bit(port));
	if (err)
		log_warn("could not mask port %u's interrupt: %s", port, err_str(err));
}

bool
ps2_has_mouse(void)
{
	return has_mouse;
}

bool
ps2_aux_irq_on(void)
{
	return has_mouse && (ps2_irqs_on & CFG_AUX_IRQ);
}

static int
inject(uint8_t cmd, uint8_t byte)
{
	_cleanup_(guard_drop) struct guard g = mutex_lock(&cmd_lock);
	int err = put(PS2_STATUS, cmd);
	if (!err)
		err = put(PS2_DATA, byte);
	/* the byte waits in the output buffer until the handler reads it:
	 * the next injection waits for that (the controller holds one byte) */
	if (!err)
		err = wait_status(PS2_ST_OUT_FULL, false);
	if (!err)
		ps2_counters.injected++;
	return err;
}

int
ps2_inject(uint8_t byte)
{
	return inject(CMD_WRITE_KBD_OUT, byte);
}

int
ps2_inject_aux(uint8_t byte)
{
	return inject(CMD_WRITE_AUX_OUT, byte);
}

void
ps2_stats(struct ps2_stats *out)
{
	*out = ps2_counters;
}

EXPORT_APP(ps2_inject);
EXPORT_APP(ps2_inject_aux);
EXPORT_APP(ps2_has_mouse);
EXPORT_APP(ps2_stats);
