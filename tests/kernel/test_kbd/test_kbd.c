/*
 * test_kbd: the PS/2 keyboard cells through the real interrupt path. The
 * controller is told to present bytes as if the keyboard sent them
 * (ps2_inject, command 0xD2), so they raise IRQ 1 and go through kbd's
 * handler. Only Shift presses and releases are injected where bytes must
 * be accepted: they change the decoder's state but put nothing into the
 * console's input, so a shell running beside the test is not typed into.
 */
#include "ktest.h"
#include "base.h"
#include "cell_mgr.h"
#include "exceptions.h"
#include "kbd.h"
#include "klibc.h"
#include "logger.h"
#include "ps2.h"
#include "task.h"
#include "tsc.h"

#define LSHIFT_MAKE 0x2a
#define LSHIFT_BREAK 0xaa
#define WAIT_NS (5 * 1000000000ULL)

static uint64_t
rejected(const struct kbd_stats *s)
{
	uint64_t n = 0;
	for (unsigned v = 0; v < KBD_NVERDICTS; v++)
		n += s->rejected[v];
	return n;
}

/* wait until kbd has accepted `bytes` bytes (ps2_inject returns once the
 * handler has read a byte; decoding it follows in the same handler) */
static bool
wait_bytes(uint64_t bytes)
{
	uint64_t end = tsc_ns() + WAIT_NS;
	struct kbd_stats s;
	do {
		kbd_stats(&s);
		if (s.bytes >= bytes)
			return s.bytes == bytes;
		task_sleep_ns(1000000);
	} while (tsc_ns() < end);
	return false;
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
swap_kbd(void)
{
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1, .ntransfer = 1 };
	rq.old[0] = rq.new_names[0] = "kbd";
	rq.transfer[0] = "kbd_adopt";
	struct swap_times t;
	struct cell_error why;
	int err = cell_swap(&rq, &t, &why);
	if (err)
		kprintf("swap kbd: %s\n", why.msg);
	return err;
}

#define PAIRS 150

static uint64_t
injector(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int err = ps2_inject(LSHIFT_MAKE);
		if (!err)
			err = ps2_inject(LSHIFT_BREAK);
		if (err)
			return (uint64_t)(int64_t)err;
	}
	return 0;
}

KTEST_FLAGS(kbd_swapped_while_keys_arrive, KTEST_NO_FRAMECHECK)
{
	struct kbd_stats a, b;
	kbd_stats(&a);
	/* a key held across a swap stays held: the decoder state is carried */
	KT_OK(ps2_inject(LSHIFT_MAKE));
	KT_ASSERT(wait_bytes(a.bytes + 1));
	KT_OK(swap_kbd());
	kbd_stats(&b);
	KT_EQ(b.mods & KBD_LSHIFT, KBD_LSHIFT);
	KT_OK(ps2_inject(LSHIFT_BREAK));
	KT_ASSERT(wait_bytes(a.bytes + 2));
	/* swaps while another task keeps the keyboard busy: no byte lost */
	int err;
	struct task_builder tb = TASK_BUILDER(injector, (uint64_t)PAIRS);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&tb, &err);
	KT_ASSERT(t);
	unsigned swaps = 0;
	for (; swaps < 4; swaps++) {
		task_sleep_ns(15 * 1000000ULL);
		KT_OK(swap_kbd());
	}
	uint64_t ret = 1;
	KT_OK(task_join(t, &ret));
	KT_EQ(ret, 0);
	KT_ASSERT(wait_bytes(a.bytes + 2 + 2 * PAIRS));
	kbd_stats(&b);
	KT_EQ(rejected(&b), rejected(&a));
	KT_EQ(b.mods, a.mods);
	KT_EQ(b.delivered, a.delivered); /* Shift types nothing */
	KT_EQ(b.faults, a.faults);
	KT_ASSERT(reclaim_retired());
	kprintf("kbd: %u swaps while %u bytes arrived: all accepted\n", swaps + 1, 2 + 2 * PAIRS);
}

KTEST(kbd_rejects_and_counts_garbage)
{
	/* one byte of each kind a keyboard must not send (bytes that are
	 * prefixes are followed by one that cannot follow them) */
	static const struct { uint8_t b[2]; unsigned n; enum kbd_verdict v; } bad[] = {
		{ { 0x00 }, 1, KBD_R_ERROR },      /* key detection error */
		{ { 0xff }, 1, KBD_R_ERROR },      /* overrun */
		{ { 0xfa }, 1, KBD_R_REPLY },      /* ACK with no command */
		{ { 0xee }, 1, KBD_R_REPLY },      /* ECHO with no command */
		{ { 0xa3 }, 1, KBD_R_BREAK },      /* 'h' released, never pressed */
		{ { 0x7f }, 1, KBD_R_UNMAPPED },   /* no such key */
		{ { 0xe0, 0xe0 }, 2, KBD_R_PREFIX }, /* E0 E0 */
		{ { 0xe1, 0x45 }, 2, KBD_R_PREFIX }, /* a Pause sequence out of order */
	};
	struct kbd_stats a, b;
	kbd_stats(&a);
	uint64_t accepted = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		for (unsigned k = 0; k < bad[i].n; k++)
			KT_OK(ps2_inject(bad[i].b[k]));
		accepted += bad[i].n - 1; /* the prefix before the bad byte */
	}
	KT_ASSERT(wait_bytes(a.bytes + accepted));
	/* the handler reads a byte before decoding it: give the last one time */
	uint64_t end = tsc_ns() + WAIT_NS;
	do {
		kbd_stats(&b);
		task_sleep_ns(1000000);
	} while (rejected(&b) < rejected(&a) + ARRAY_SIZE(bad) && tsc_ns() < end);
	unsigned want[KBD_NVERDICTS] = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		want[bad[i].v]++;
	for (unsigned v = 1; v < KBD_NVERDICTS; v++)
		if (b.rejected[v] - a.rejected[v] != want[v])
			KT_FAIL("%s: %lu rejected, expected %u", kbd_verdict_str((enum kbd_verdict)v),
				b.rejected[v] - a.rejected[v], want[v]);
	KT_EQ(b.delivered, a.delivered);
	KT_EQ(b.mods, a.mods);
	/* and the stream goes on: a Shift press and release are accepted */
	KT_OK(ps2_inject(LSHIFT_MAKE));
	KT_OK(ps2_inject(LSHIFT_BREAK));
	KT_ASSERT(wait_bytes(a.bytes + accepted + 2));
}

static bool
recovered(uint64_t n)
{
	struct ps2_stats p;
	ps2_stats(&p);
	return p.recoveries + p.recovery_failures >= n;
}

KTEST_FLAGS(kbd_handler_fault_reloads_the_cell_and_resets_the_keyboard, KTEST_NO_FRAMECHECK)
{
	struct ps2_stats p0, p1;
	ps2_stats(&p0);
	uint64_t seq = fault_log_last_seq();
	struct cell *c = cell_find(cell_ns_kernel(), "kbd");
	KT_ASSERT(c);
	uint64_t text = c->start[REGION_TEXT];
	kbd_inject_fault();
	/* the handler reads this byte, then faults on the injected pointer */
	KT_OK(ps2_inject(LSHIFT_MAKE));
	uint64_t end = tsc_ns() + WAIT_NS;
	while (!recovered(p0.recoveries + p0.recovery_failures + 1) && tsc_ns() < end)
		task_sleep_ns(2000000);
	ps2_stats(&p1);
	KT_EQ(p1.recovery_failures, p0.recovery_failures);
	KT_EQ(p1.recoveries, p0.recoveries + 1);
	KT_EQ(p1.resets, p0.resets + 1);
	/* the fault log names the handler's cell and what was done */
	struct fault_record r[8];
	size_t n = fault_log_read(r, ARRAY_SIZE(r), seq);
	bool logged = false;
	for (size_t i = 0; i < n; i++)
		logged |= !strcmp(r[i].cell, "kbd") && strstr(r[i].action, "reloads kbd") != NULL;
	KT_ASSERT(logged);
	/* a fresh copy of the cell, at a new address, with fresh state */
	c = cell_find(cell_ns_kernel(), "kbd");
	KT_ASSERT(c && c->start[REGION_TEXT] != text);
	struct kbd_stats s;
	kbd_stats(&s);
	KT_EQ(s.faults, 0);
	KT_EQ(s.mods, 0);
	/* and the keyboard works again */
	uint64_t before = s.bytes;
	KT_OK(ps2_inject(LSHIFT_MAKE));
	KT_OK(ps2_inject(LSHIFT_BREAK));
	KT_ASSERT(wait_bytes(before + 2));
	kbd_stats(&s);
	KT_EQ(s.mods, 0);
	KT_ASSERT(reclaim_retired());
	kprintf("kbd: handler fault -> reloaded, keyboard reset, input on again in %lu us\n",
		p1.last_recovery_ns / 1000);
}
