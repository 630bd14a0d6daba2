/*
 * test_mouse: the PS/2 mouse cells through the real interrupt path: the
 * controller presents bytes as if the mouse sent them (ps2_inject_aux,
 * command 0xD3), raising IRQ 12.
 */
#include "ktest.h"
#include "base.h"
#include "cell_mgr.h"
#include "exceptions.h"
#include "klibc.h"
#include "logger.h"
#include "mouse.h"
#include "ps2.h"
#include "task.h"
#include "tsc.h"

#define WAIT_NS (5 * 1000000000ULL)

static int
packet(uint8_t b0, uint8_t dx, uint8_t dy)
{
	int err = ps2_inject_aux(b0);
	if (!err)
		err = ps2_inject_aux(dx);
	if (!err)
		err = ps2_inject_aux(dy);
	return err;
}

/* wait until the mouse has taken `bytes` bytes and rejected `rejects` */
static bool
wait_for(uint64_t bytes, uint64_t rejects)
{
	uint64_t end = tsc_ns() + WAIT_NS;
	struct mouse_stats s;
	do {
		mouse_stats(&s);
		if (s.bytes >= bytes && s.rejected[MOUSE_R_SYNC] + s.rejected[MOUSE_R_OVERFLOW] >= rejects)
			return s.bytes == bytes;
		task_sleep_ns(1000000);
	} while (tsc_ns() < end);
	return false;
}

static uint64_t
rejects(const struct mouse_stats *s)
{
	return s->rejected[MOUSE_R_SYNC] + s->rejected[MOUSE_R_OVERFLOW];
}

KTEST(mouse_moves_the_pointer_and_rejects_garbage)
{
	KT_ASSERT(ps2_has_mouse());
	struct mouse_stats a, b;
	mouse_stats(&a);
	KT_ASSERT(a.width && a.height);
	/* right 10, up 5 (the mouse's y is up), left button held */
	KT_OK(packet(0x09, 10, 5));
	KT_ASSERT(wait_for(a.bytes + 3, rejects(&a)));
	mouse_stats(&b);
	int32_t x = a.x + 10 < (int32_t)a.width ? a.x + 10 : (int32_t)a.width - 1;
	int32_t y = a.y - 5 >= 0 ? a.y - 5 : 0;
	KT_EQ(b.x, x);
	KT_EQ(b.y, y);
	KT_EQ(b.buttons, 1);
	KT_EQ(b.packets, a.packets + 1);
	/* a byte out of step, an overflowing packet: rejected, nothing moves */
	KT_OK(ps2_inject_aux(0x00));
	KT_OK(packet(0x08 | 0x40, 100, 100));
	/* (the overflowing packet's first two bytes were taken before its
	 * third showed the overflow) */
	KT_ASSERT(wait_for(b.bytes + 2, rejects(&b) + 2));
	struct mouse_stats c;
	mouse_stats(&c);
	KT_EQ(c.rejected[MOUSE_R_SYNC], b.rejected[MOUSE_R_SYNC] + 1);
	KT_EQ(c.rejected[MOUSE_R_OVERFLOW], b.rejected[MOUSE_R_OVERFLOW] + 1);
	KT_EQ(c.x, b.x);
	KT_EQ(c.y, b.y);
	/* and back: left 10, down 5, no button */
	KT_OK(packet(0x08 | 0x10 | 0x20, (uint8_t)-10, (uint8_t)-5));
	KT_ASSERT(wait_for(c.bytes + 3, rejects(&c)));
	/* nothing draws the pointer; it only moves within the screen */
	mouse_stats(&c);
	KT_EQ(c.buttons, 0);
	KT_EQ(c.packets, a.packets + 2);
}

/* the copies this test swapped out are freed before it ends (a later
 * test's frame balance must not see them go) */
static bool
reclaim_retired(void)
{
	for (int i = 0; i < 300 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(10000000);
	}
	return cell_retired() == 0;
}

static int
swap_mouse(void)
{
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1, .ntransfer = 1 };
	rq.old[0] = rq.new_names[0] = "mouse";
	rq.transfer[0] = "mouse_adopt";
	struct swap_times t;
	struct cell_error why;
	int err = cell_swap(&rq, &t, &why);
	if (err)
		kprintf("swap mouse: %s\n", why.msg);
	return err;
}

#define PACKETS 60

static uint64_t
injector(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int err = packet(0x08, 0, 0);
		if (err)
			return (uint64_t)(int64_t)err;
	}
	return 0;
}

KTEST_FLAGS(mouse_swapped_while_packets_arrive, KTEST_NO_FRAMECHECK)
{
	KT_ASSERT(ps2_has_mouse());
	struct mouse_stats a, b;
	mouse_stats(&a);
	int err;
	struct task_builder tb = TASK_BUILDER(injector, (uint64_t)PACKETS);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&tb, &err);
	KT_ASSERT(t);
	for (unsigned i = 0; i < 3; i++) {
		task_sleep_ns(15 * 1000000ULL);
		KT_OK(swap_mouse());
	}
	uint64_t ret = 1;
	KT_OK(task_join(t, &ret));
	KT_EQ(ret, 0);
	KT_ASSERT(wait_for(a.bytes + 3 * PACKETS, rejects(&a)));
	mouse_stats(&b);
	KT_EQ(b.packets, a.packets + PACKETS);
	KT_EQ(rejects(&b), rejects(&a));
	KT_EQ(b.x, a.x);
	KT_EQ(b.y, a.y);
	KT_ASSERT(reclaim_retired());
}

KTEST_FLAGS(mouse_handler_fault_reloads_the_cell_and_resets_the_devices, KTEST_NO_FRAMECHECK)
{
	KT_ASSERT(ps2_has_mouse());
	struct ps2_stats p0, p1;
	ps2_stats(&p0);
	struct cell *c = cell_find(cell_ns_kernel(), "mouse");
	KT_ASSERT(c);
	uint64_t text = c->start[REGION_TEXT];
	uint64_t seq = fault_log_last_seq();
	mouse_inject_fault();
	KT_OK(ps2_inject_aux(0x08));
	uint64_t end = tsc_ns() + WAIT_NS;
	do {
		task_sleep_ns(2000000);
		ps2_stats(&p1);
	} while (p1.recoveries + p1.recovery_failures == p0.recoveries + p0.recovery_failures && tsc_ns() < end);
	KT_EQ(p1.recovery_failures, p0.recovery_failures);
	KT_EQ(p1.recoveries, p0.recoveries + 1);
	struct fault_record r[8];
	size_t n = fault_log_read(r, ARRAY_SIZE(r), seq);
	bool logged = false;
	for (size_t i = 0; i < n; i++)
		logged |= !strcmp(r[i].cell, "mouse") && strstr(r[i].action, "reloads mouse") != NULL;
	KT_ASSERT(logged);
	c = cell_find(cell_ns_kernel(), "mouse");
	KT_ASSERT(c && c->start[REGION_TEXT] != text);
	KT_ASSERT(ps2_has_mouse());
	struct mouse_stats s;
	mouse_stats(&s);
	KT_EQ(s.faults, 0);
	KT_ASSERT(s.width && s.height); /* the fresh copy centred its pointer */
	KT_OK(packet(0x08, 1, 1));
	KT_ASSERT(wait_for(s.bytes + 3, rejects(&s)));
	KT_ASSERT(reclaim_retired());
}
