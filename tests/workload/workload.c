/*
 * workload.c: the four units and the reporter. A unit's round spawns
 * helper tasks (not restartable) and checks what they return; a helper
 * that dies (an injected fault, unwound) makes the round a retry, not a
 * failure - the unit is the helper's supervisor and runs the work again
 * with a new helper. A unit that dies is restarted by recovery; its
 * helpers are linked to it (task_builder.linked) and die with it.
 *
 * For the injector, every unit publishes the kernel objects it uses at
 * this moment (objs[]: its own task, the round's channel endpoints or
 * helper tasks, its mapping) - heap objects the running code reads - and
 * where its task's saved stack pointer is (the used part of its stack).
 *
 * For the injector's leak check, the units park between rounds while
 * `wl_pause` is set (the injector writes it through QEMU's gdb stub; its
 * address is in the "WL objects" line): each says "WL parked UNIT N" for
 * each new value N and waits, holding nothing but its own buffer, until
 * it is cleared.
 */
#define LOG_TAG "workload"
#include "workload.h"
#include "chan_buffered.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "chan_rendezvous.h"
#include "stack.h"
#include "task.h"

enum { WL_RCHAN, WL_BCHAN, WL_SPAWN, WL_MM, WL_UNITS };
static const char *const unit_names[WL_UNITS] = { "rchan", "bchan", "spawn", "mm" };
static volatile uint64_t rounds[WL_UNITS] CELL_CARRY(rounds);
static volatile uint64_t retries[WL_UNITS] CELL_CARRY(retries);
static volatile uint64_t fails[WL_UNITS] CELL_CARRY(fails);

/* per unit: its task, and two objects of the current round */
#define OBJS_PER_UNIT 3
struct wl_obj {
	volatile uint64_t addr, size;
};
static struct wl_obj objs[WL_UNITS * OBJS_PER_UNIT];

static volatile uint64_t wl_pause CELL_CARRY(wl_pause);

/* between rounds: park while the injector asks (announced below) */
static void
park(unsigned unit)
{
	uint64_t said = 0, want;
	while ((want = __atomic_load_n(&wl_pause, __ATOMIC_ACQUIRE))) {
		if (want != said) /* each request (a new value) is answered */
			kprintf("WL parked %s %lu\n", unit_names[unit], said = want);
		task_progress();
		task_sleep_ns(5000000);
	}
}

static void
publish(unsigned unit, unsigned k, const void *p)
{
	struct wl_obj *o = &objs[unit * OBJS_PER_UNIT + k];
	o->addr = 0; /* (the injector reads addr, then size) */
	o->size = p ? kmalloc_usable_size(p) : 0;
	o->addr = (uint64_t)(uintptr_t)p;
}

#define MSGS 50
#define SUM ((uint64_t)MSGS * (MSGS + 1) / 2)

static void
announce(unsigned unit, const void *buf, size_t size)
{
	struct task *t = task_current();
	publish(unit, 0, t);
	publish(unit, 1, NULL); /* (a unit that died left its round's) */
	publish(unit, 2, NULL);
	kprintf("WL region %s stack %#lx %#lx heap %#lx %#zx task %#lx\n", unit_names[unit],
		t->stack ? stack_guard(t->stack) + 4096 : 0, t->stack ? stack_top(t->stack) : 0,
		(uint64_t)(uintptr_t)buf, size, (uint64_t)(uintptr_t)t);
	kprintf("WL objects %#lx %u per unit %u saved_rsp at +%zu pause %#lx\n", (uint64_t)(uintptr_t)objs,
		(unsigned)ARRAY_SIZE(objs), OBJS_PER_UNIT, offsetof(struct task, saved_rsp),
		(uint64_t)(uintptr_t)&wl_pause);
	/* the harness's instruments - what it reads to judge (the counters),
	 * the table it aims by, the word it parks the units with - are not
	 * what is under test: the injector does not aim at them */
	kprintf("WL instruments %#lx %#zx %#lx %#zx %#lx %#zx %#lx %#zx %#lx %#zx\n",
		(uint64_t)(uintptr_t)rounds, sizeof(rounds), (uint64_t)(uintptr_t)retries, sizeof(retries),
		(uint64_t)(uintptr_t)fails, sizeof(fails), (uint64_t)(uintptr_t)objs, sizeof(objs),
		(uint64_t)(uintptr_t)&wl_pause, sizeof(wl_pause));
}

/* what the consumer must have summed: the messages as the sender
 * recorded them (read back from its heap buffer, so a fault there is
 * read, not only overwritten) */
static uint64_t
expected(const uint64_t *sent)
{
	if (!sent)
		return SUM;
	uint64_t sum = 0;
	for (unsigned i = 0; i < MSGS; i++)
		sum += sent[i];
	return sum;
}

static void
round_done(unsigned unit, int e, bool ok, uint64_t got)
{
	if (e)
		retries[unit]++;
	else if (!ok) {
		fails[unit]++;
		kprintf("WL FAIL %s: got %lu\n", unit_names[unit], got);
	} else
		rounds[unit]++;
	task_progress();
}

static uint64_t
rconsumer(struct rchan_rx *arg)
{
	_cleanup_(rchan_rx_drop_p) struct rchan_rx *rx = arg;
	uint64_t sum = 0, m;
	while (!rchan_recv_raw(rx, &m, sizeof(m), RCHAN_FOREVER))
		sum += m;
	return sum;
}

static uint64_t
bconsumer(struct bchan_rx *arg)
{
	_cleanup_(bchan_rx_drop_p) struct bchan_rx *rx = arg;
	uint64_t sum = 0, m;
	while (!bchan_recv_raw(rx, &m, sizeof(m), BCHAN_FOREVER))
		sum += m;
	return sum;
}

static uint64_t
unit_rchan(uint64_t unit)
{
	task_progress_period(2000000000);
	_cleanup_(kfreep) uint64_t *sent = kmalloc(MSGS * sizeof(uint64_t));
	announce(WL_RCHAN, sent, MSGS * sizeof(uint64_t));
	for (;;) {
		park(WL_RCHAN);
		struct rchan_tx *tx0;
		struct rchan_rx *rx;
		if (rchan_new_raw(sizeof(uint64_t), &tx0, &rx)) {
			task_sleep_ns(1000000);
			continue;
		}
		_cleanup_(rchan_tx_drop_p) struct rchan_tx *tx = tx0;
		struct rchan *ch = rchan_of_rx(rx); /* (a reference, for its address) */
		publish(WL_RCHAN, 1, ch);
		rchan_drop(ch); /* the endpoints keep it */
		int err;
		struct task_builder b = TASK_BUILDER(rconsumer, rx);
		b.linked = true; /* dies with the unit (its unwinding releases its end) */
		_cleanup_(task_unref_p) struct task *c = task_spawn(&b, &err);
		if (!c) {
			publish(WL_RCHAN, 1, NULL);
			rchan_rx_drop(rx);
			continue;
		}
		publish(WL_RCHAN, 2, c);
		int e = E_OK;
		for (uint64_t i = 1; i <= MSGS && !e; i++) {
			if (sent)
				sent[i - 1] = i;
			e = rchan_send_raw(tx, &i, sizeof(i), 1000000000);
		}
		publish(WL_RCHAN, 1, NULL);
		rchan_tx_drop(TAKE_PTR(tx));
		uint64_t sum = 0;
		int je = task_join(c, &sum);
		publish(WL_RCHAN, 2, NULL);
		round_done(WL_RCHAN, e || je, sum == expected(sent), sum);
	}
	return unit;
}

static uint64_t
unit_bchan(uint64_t unit)
{
	task_progress_period(2000000000);
	_cleanup_(kfreep) uint64_t *sent = kmalloc(MSGS * sizeof(uint64_t));
	announce(WL_BCHAN, sent, MSGS * sizeof(uint64_t));
	for (;;) {
		park(WL_BCHAN);
		struct bchan_tx *tx0;
		struct bchan_rx *rx;
		if (bchan_new_raw(sizeof(uint64_t), 8, &tx0, &rx)) {
			task_sleep_ns(1000000);
			continue;
		}
		_cleanup_(bchan_tx_drop_p) struct bchan_tx *tx = tx0;
		struct bchan *ch = bchan_of_rx(rx);
		publish(WL_BCHAN, 1, ch);
		bchan_drop(ch);
		int err;
		struct task_builder b = TASK_BUILDER(bconsumer, rx);
		b.linked = true; /* dies with the unit (its unwinding releases its end) */
		_cleanup_(task_unref_p) struct task *c = task_spawn(&b, &err);
		if (!c) {
			publish(WL_BCHAN, 1, NULL);
			bchan_rx_drop(rx);
			continue;
		}
		publish(WL_BCHAN, 2, c);
		int e = E_OK;
		for (uint64_t i = 1; i <= MSGS && !e; i++) {
			if (sent)
				sent[i - 1] = i;
			e = bchan_send_raw(tx, &i, sizeof(i), 1000000000);
		}
		publish(WL_BCHAN, 1, NULL);
		bchan_tx_drop(TAKE_PTR(tx));
		uint64_t sum = 0;
		int je = task_join(c, &sum);
		publish(WL_BCHAN, 2, NULL);
		round_done(WL_BCHAN, e || je, sum == expected(sent), sum);
	}
	return unit;
}

static uint64_t
doubler(uint64_t i)
{
	return i * 2;
}

/* the round's helpers, owned: a unit that dies mid-round drops them */
static void
helpers_unref(struct task *(*ts)[8])
{
	for (size_t i = 0; i < 8; i++)
		if ((*ts)[i])
			task_unref(TAKE_PTR((*ts)[i]));
}

static uint64_t
unit_spawn(uint64_t unit)
{
	task_progress_period(2000000000);
	_cleanup_(kfreep) uint64_t *vals = kmalloc(8 * sizeof(uint64_t));
	announce(WL_SPAWN, vals, 8 * sizeof(uint64_t));
	if (!vals)
		return 0;
	for (;;) {
		park(WL_SPAWN);
		_cleanup_(helpers_unref) struct task *ts[8] = { NULL };
		int e = E_OK;
		bool ok = true;
		uint64_t bad = 0;
		for (uint64_t i = 0; i < 8; i++) {
			struct task_builder b = TASK_BUILDER(doubler, i);
			b.linked = true; /* dies with the unit (its unwinding releases its end) */
			ts[i] = task_spawn(&b, &e);
		}
		publish(WL_SPAWN, 1, ts[0]);
		publish(WL_SPAWN, 2, ts[7]);
		for (uint64_t i = 0; i < 8; i++) {
			uint64_t v = 0;
			if (!ts[i]) {
				e = E_NOMEM;
				continue;
			}
			int je = task_join(ts[i], &v);
			if (i == 0 || i == 7)
				publish(WL_SPAWN, i ? 2 : 1, NULL);
			task_unref(ts[i]);
			ts[i] = NULL;
			vals[i] = v;
			if (je)
				e = je;
			else if (vals[i] != i * 2) {
				ok = false;
				bad = vals[i];
			}
		}
		round_done(WL_SPAWN, e, ok, bad);
	}
	return unit;
}

static uint64_t
unit_mm(uint64_t unit)
{
	task_progress_period(2000000000);
	announce(WL_MM, NULL, 0);
	for (;;) {
		park(WL_MM);
		int err;
		_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 4, MP_WRITE, &err);
		uint64_t *p = mp ? mp_as_mut(mp, 0, 4 * 4096, &err) : NULL;
		if (!p) {
			round_done(WL_MM, E_NOMEM, true, 0);
			task_sleep_ns(1000000);
			continue;
		}
		for (size_t i = 0; i < 4 * 512; i++)
			p[i] = i * 0x9E3779B97F4A7C15ull;
		uint64_t bad = 0;
		for (size_t i = 0; i < 4 * 512; i++)
			if (p[i] != i * 0x9E3779B97F4A7C15ull)
				bad++;
		round_done(WL_MM, E_OK, bad == 0, bad);
		task_sleep_ns(200000);
	}
	return unit;
}

static uint64_t
reporter(uint64_t unused)
{
	for (;;) {
		task_sleep_ns(250000000);
		kprintf("WL rounds %lu %lu %lu %lu retries %lu %lu %lu %lu fails %lu\n", rounds[0], rounds[1],
			rounds[2], rounds[3], retries[0], retries[1], retries[2], retries[3],
			fails[0] + fails[1] + fails[2] + fails[3]);
	}
	return 0;
}

void
workload_start(const char *cmdline)
{
	static uint64_t (*const units[WL_UNITS])(uint64_t) = { unit_rchan, unit_bchan, unit_spawn, unit_mm };
	for (unsigned u = 0; u < WL_UNITS; u++) {
		int err;
		struct task_builder b = TASK_BUILDER(unit_rchan, (uint64_t)u);
		b.entry = units[u];
		b.name = unit_names[u];
		b.restartable = true;
		struct task *t = task_spawn(&b, &err);
		if (!t)
			log_err("workload %s: %s", unit_names[u], err_str(err));
		task_unref(t);
	}
	int err;
	struct task_builder b = TASK_BUILDER(reporter, (uint64_t)0);
	b.name = "wl-report";
	b.restartable = true;
	task_unref(task_spawn(&b, &err));
	log_info("workload running: rchan, bchan, spawn, mm units");
}
