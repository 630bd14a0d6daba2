/*
 * service.c: the ps2 task. It sleeps until a device cell reports that its
 * interrupt handler faulted (ps2_device_failed, from the handler, which
 * has already unwound through its fault catcher; the port's interrupt is
 * masked there and then), then: reloads that cell from the image with
 * fresh data (the new copy's <cell>_adopt takes the interrupt vector
 * over), resets the controller and its devices, and turns the interrupts
 * that were on back on. Input typed meanwhile waits in the device (QEMU's
 * queue) or is lost with the reset; what was already delivered stays.
 * State: the one pending request (a cell name) and when it was made.
 */
#define LOG_TAG "ps2"
#include "ps2_int.h"
#include "base.h"
#include "cell_mgr.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

static struct spinlock req_lock = SPINLOCK_INIT;
static char req_cell[32];      /* guarded by req_lock; "" when none */
static uint64_t req_at;
static struct waitq req_wait = WAITQ_INIT;
static bool started;

int
ps2_device_failed(const char *cell, unsigned port)
{
	if (!cell || strlen(cell) >= sizeof(req_cell) || (port != PS2_PORT_KBD && port != PS2_PORT_AUX))
		return E_INVAL;
	bool irq = spin_lock_irq(&req_lock);
	int err = req_cell[0] ? E_BUSY : E_OK;
	if (!err) {
		strlcpy(req_cell, cell, sizeof(req_cell));
		req_at = tsc_ns();
	}
	spin_unlock_irq(&req_lock, irq);
	if (!err)
		ps2_irq_off_now(port);
	waitq_wake_all(&req_wait);
	return err;
}

static bool
pending(void *ctx)
{
	(void)ctx;
	return req_cell[0] != 0;
}

/* reload the cell (fresh data: whatever it held may be what faulted) */
static int
reload(const char *cell)
{
	char adopt[48];
	snprintf(adopt, sizeof(adopt), "%s_adopt", cell);
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1, .fresh_data = true };
	rq.old[0] = rq.new_names[0] = cell;
	rq.transfer[rq.ntransfer++] = adopt;
	struct swap_times t;
	struct cell_error why;
	int err = cell_swap(&rq, &t, &why);
	if (err)
		log_err("reloading %s failed: %s", cell, why.msg);
	else
		log_info("reloaded %s (fresh data) in %lu us", cell, t.total / 1000);
	return err;
}

/* global, so a swap of this cell restarts the task into the new copy */
uint64_t ps2_service(uint64_t arg);

uint64_t
ps2_service(uint64_t arg)
{
	(void)arg;
	for (;;) {
		waitq_wait_until(&req_wait, pending, NULL);
		char cell[32];
		bool irq = spin_lock_irq(&req_lock);
		strlcpy(cell, req_cell, sizeof(cell));
		uint64_t at = req_at;
		spin_unlock_irq(&req_lock, irq);
		int err = reload(cell);
		if (!err)
			err = ps2_init();
		if (!err)
			err = ps2_irqs_restore();
		if (err) {
			ps2_counters.recovery_failures++;
			log_err("%s: recovery failed (%s); its device stays off", cell, err_str(err));
		} else {
			ps2_counters.recoveries++;
			ps2_counters.last_recovery_ns = tsc_ns() - at;
			log_info("%s: recovered: cell reloaded, controller and devices reset, input on again (%lu us)",
				 cell, ps2_counters.last_recovery_ns / 1000);
		}
		irq = spin_lock_irq(&req_lock);
		req_cell[0] = 0;
		spin_unlock_irq(&req_lock, irq);
	}
	return 0;
}

int
ps2_start(void)
{
	if (started)
		return E_OK;
	struct task_builder b = TASK_BUILDER(ps2_service, (uint64_t)0);
	b.name = "ps2";
	b.restartable = true;
	int err = task_spawn_detached(&b);
	if (!err)
		started = true;
	return err;
}
