/*
 * guard.c: a device cell's interrupt work under a fault catcher. A fault
 * in it unwinds to here (the exceptions cell's recovery point): the fault
 * goes to the fault log and the console under the device cell's name,
 * the port's interrupt is masked, and the ps2 task recovers the device
 * (service.c). The keyboard's and the mouse's handlers share it.
 */
#include "ps2_int.h"
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"

static void
record(const struct fault_info *fi, const char *cell, unsigned port)
{
	struct fault_record r = { .cpu = cpu_id(), .vector = fi->vector, .error = fi->error,
				  .rip = fi->rip, .cr2 = fi->cr2 };
	snprintf(r.task, sizeof(r.task), "(%s interrupt)", cell);
	strlcpy(r.msg, fi->msg, sizeof(r.msg));
	uint64_t off;
	const char *in = "?";
	const char *sym = exc_symbolize(fi->rip, &off, &in);
	strlcpy(r.cell, in, sizeof(r.cell));
	strlcpy(r.section, sym ? sym : "?", sizeof(r.section));
	if (ps2_device_failed(cell, port))
		strlcpy(r.action, "interrupt handler unwound; a recovery was already pending", sizeof(r.action));
	else
		snprintf(r.action, sizeof(r.action),
			 "interrupt handler unwound; %s masked; ps2 reloads %s and resets the devices",
			 port == PS2_PORT_AUX ? "mouse" : "keyboard", cell);
	fault_log_add(&r);
	log_write(LOG_ERROR, cell, "interrupt handler faulted (%s at %#lx): %s", fi->msg, fi->rip, r.action);
}

bool
ps2_guarded(void (*work)(void), const char *cell, unsigned port)
{
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		work();
		fault_catch_disarm(&c);
		return false;
	}
	record(&c.info, cell, port);
	return true;
}
