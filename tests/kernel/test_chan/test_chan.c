/*
 * test_chan: the three channel kinds and the state_db. Exactly-once
 * delivery under many-to-many stress, a sender killed mid-stream and
 * restarted continuing on the same channel, disconnection both ways,
 * timeouts and try_ forms, and the state_db's weak references, soft state
 * and survival across a reload of its own cell.
 */
#include "chan_buffered.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "chan_fast.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "chan_rendezvous.h"
#include "state_db.h"
#include "task.h"
#include "tsc.h"

BCHAN_DEFINE(u32chan, uint32_t)
RCHAN_DEFINE(u32rv, uint32_t)

/* ---- many-to-many, exactly once ---- */

#define SENDERS 4
#define RECEIVERS 4

struct stress {
	struct bchan_tx *tx[SENDERS];
	struct bchan_rx *rx[RECEIVERS];
	struct rchan_tx *rtx[SENDERS];
	struct rchan_rx *rrx[RECEIVERS];
	uint32_t per_sender;
	volatile uint8_t *seen;   /* one byte per message: times received */
	volatile uint32_t dup, bad;
};

static struct stress st;

static uint64_t
b_sender(uint64_t i)
{
	_cleanup_(bchan_tx_drop_p) struct bchan_tx *tx = TAKE_PTR(st.tx[i]);
	for (uint32_t k = 0; k < st.per_sender; k++)
		if (u32chan_send(tx, (uint32_t)i * st.per_sender + k, BCHAN_FOREVER))
			return 1;
	return 0; /* dropping tx: when all are gone, receivers see disconnected */
}

static void
mark(uint32_t v, uint32_t total)
{
	if (v >= total) {
		__atomic_add_fetch(&st.bad, 1, __ATOMIC_RELAXED);
		return;
	}
	if (__atomic_add_fetch(&st.seen[v], 1, __ATOMIC_RELAXED) > 1)
		__atomic_add_fetch(&st.dup, 1, __ATOMIC_RELAXED);
}

static uint64_t
b_receiver(uint64_t i)
{
	_cleanup_(bchan_rx_drop_p) struct bchan_rx *rx = TAKE_PTR(st.rx[i]);
	uint64_t n = 0;
	uint32_t v;
	while (u32chan_recv(rx, &v, BCHAN_FOREVER) == E_OK) {
		mark(v, SENDERS * st.per_sender);
		n++;
	}
	return n;
}

static int
count_missing(uint32_t total)
{
	int missing = 0;
	for (uint32_t v = 0; v < total; v++)
		if (st.seen[v] != 1)
			missing++;
	return missing;
}

KTEST(buffered_many_to_many_million_exactly_once)
{
	const uint32_t total = 1000000;
	memset(&st, 0, sizeof(st));
	st.per_sender = total / SENDERS;
	_cleanup_(kfreep) uint8_t *seen = kzalloc(total);
	KT_ASSERT(seen);
	st.seen = seen;
	struct bchan_tx *tx;
	struct bchan_rx *rx;
	KT_OK(u32chan_new(256, &tx, &rx));
	int err;
	for (int i = 1; i < SENDERS; i++)
		st.tx[i] = bchan_tx_clone(tx, &err);
	for (int i = 1; i < RECEIVERS; i++)
		st.rx[i] = bchan_rx_clone(rx, &err);
	st.tx[0] = tx;
	st.rx[0] = rx;
	uint64_t t0 = tsc_ns();
	uint64_t got[RECEIVERS + SENDERS];
	{
		_cleanup_(task_group_drop) struct task_group g = { 0 };
		for (int i = 0; i < RECEIVERS; i++) {
			struct task_builder b = TASK_BUILDER(b_receiver, (uint64_t)i);
			KT_OK(task_group_spawn(&g, &b));
		}
		for (int i = 0; i < SENDERS; i++) {
			struct task_builder b = TASK_BUILDER(b_sender, (uint64_t)i);
			KT_OK(task_group_spawn(&g, &b));
		}
		KT_OK(task_group_join(&g, got));
	}
	uint64_t ms = (tsc_ns() - t0) / 1000000;
	uint64_t sum = 0;
	for (int i = 0; i < RECEIVERS; i++)
		sum += got[i];
	kprintf("CHAN buffered: %u messages, 4 senders, 4 receivers, %lu ms\n", total, ms);
	KT_EQ(st.bad, 0);
	KT_EQ(st.dup, 0);
	KT_EQ(sum, total);
	KT_EQ(count_missing(total), 0);
}

static uint64_t
r_sender(uint64_t i)
{
	_cleanup_(rchan_tx_drop_p) struct rchan_tx *tx = TAKE_PTR(st.rtx[i]);
	for (uint32_t k = 0; k < st.per_sender; k++)
		if (u32rv_send(tx, (uint32_t)i * st.per_sender + k, RCHAN_FOREVER))
			return 1;
	return 0;
}

static uint64_t
r_receiver(uint64_t i)
{
	_cleanup_(rchan_rx_drop_p) struct rchan_rx *rx = TAKE_PTR(st.rrx[i]);
	uint64_t n = 0;
	uint32_t v;
	while (u32rv_recv(rx, &v, RCHAN_FOREVER) == E_OK) {
		mark(v, SENDERS * st.per_sender);
		n++;
	}
	return n;
}

KTEST(rendezvous_many_to_many_exactly_once)
{
	const uint32_t total = 100000;
	memset(&st, 0, sizeof(st));
	st.per_sender = total / SENDERS;
	_cleanup_(kfreep) uint8_t *seen = kzalloc(total);
	KT_ASSERT(seen);
	st.seen = seen;
	struct rchan_tx *tx;
	struct rchan_rx *rx;
	KT_OK(u32rv_new(&tx, &rx));
	int err;
	for (int i = 1; i < SENDERS; i++)
		st.rtx[i] = rchan_tx_clone(tx, &err);
	for (int i = 1; i < RECEIVERS; i++)
		st.rrx[i] = rchan_rx_clone(rx, &err);
	st.rtx[0] = tx;
	st.rrx[0] = rx;
	uint64_t got[RECEIVERS + SENDERS];
	{
		_cleanup_(task_group_drop) struct task_group g = { 0 };
		for (int i = 0; i < RECEIVERS; i++) {
			struct task_builder b = TASK_BUILDER(r_receiver, (uint64_t)i);
			KT_OK(task_group_spawn(&g, &b));
		}
		for (int i = 0; i < SENDERS; i++) {
			struct task_builder b = TASK_BUILDER(r_sender, (uint64_t)i);
			KT_OK(task_group_spawn(&g, &b));
		}
		KT_OK(task_group_join(&g, got));
	}
	uint64_t sum = 0;
	for (int i = 0; i < RECEIVERS; i++)
		sum += got[i];
	KT_EQ(st.dup, 0);
	KT_EQ(sum, total);
	KT_EQ(count_missing(total), 0);
}

/* ---- a sender killed mid-stream and restarted (C.2) ---- */

struct progress {
	uint32_t next;      /* the next sequence number to send */
};

#define STREAM 20000

/* the sender keeps nothing of its own: the channel and its progress are in
 * the state_db, so a new incarnation continues where the old one stopped */
static uint64_t
stream_sender(uint64_t unused)
{
	(void)unused;
	struct state_ref pr, cr;
	if (state_db_obtain("test.stream.progress", sizeof(struct progress), "test_chan", NULL, &pr) ||
	    state_db_obtain("test.stream.chan", sizeof(struct bchan *), "test_chan", NULL, &cr))
		return 1;
	struct progress *p = state_db_get(pr);
	struct bchan **chan = state_db_get(cr);
	int err;
	_cleanup_(bchan_tx_drop_p) struct bchan_tx *tx = bchan_connect_tx(*chan, &err);
	if (!tx)
		return 2;
	while (p->next < STREAM) {
		/* send and record together: a kill waits for the end of the pair */
		task_shield_kills();
		int e = u32chan_send(tx, p->next, BCHAN_FOREVER);
		if (!e)
			p->next++;
		task_unshield_kills();
		if (e)
			return 3;
	}
	return 0;
}

KTEST(killed_sender_restarts_on_same_channel)
{
	struct bchan_tx *tx0;
	_cleanup_(bchan_rx_drop_p) struct bchan_rx *rx = NULL;
	KT_OK(u32chan_new(16, &tx0, &rx));
	bchan_tx_drop(tx0); /* senders connect from the state_db */
	struct state_ref pr, cr;
	KT_OK(state_db_obtain("test.stream.progress", sizeof(struct progress), "test_chan", NULL, &pr));
	KT_OK(state_db_obtain("test.stream.chan", sizeof(struct bchan *), "test_chan", NULL, &cr));
	*(struct bchan **)state_db_get(cr) = bchan_of_rx(rx);
	((struct progress *)state_db_get(pr))->next = 0;

	int err;
	struct task_builder b = TASK_BUILDER(stream_sender, (uint64_t)0);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	_cleanup_(task_unref_p) struct task *first = task_spawn(&b, &err);
	KT_ASSERT(first);
	uint32_t expect = 0, v;
	int killed_at = -1, restarts = 0;
	_cleanup_(task_unref_p) struct task *again = NULL;
	uint64_t t_start = tsc_ns();
	while (expect < STREAM) {
		int e = u32chan_recv(rx, &v, 2000000000ULL);
		if (e == E_DISCONNECTED && tsc_ns() - t_start < 10000000000ULL) {
			/* no sender connected right now: before the first one
			 * connected, or after it was killed - then start a new one */
			if (killed_at >= 0 && !again) {
				again = task_spawn(&b, &err);
				KT_ASSERT(again);
				restarts++;
			}
			task_sleep_ns(1000000);
			continue;
		}
		if (e)
			KT_FAIL("recv: %s after %u messages", err_str(e), expect);
		KT_EQ(v, expect); /* in order, nothing lost, nothing twice */
		expect++;
		if (expect == STREAM / 2) {
			KT_OK(task_kill(first, "test: kill the sender mid-stream"));
			killed_at = (int)expect;
		}
	}
	KT_EQ(task_join(first, NULL), E_FAULT);
	KT_ASSERT(again);
	uint64_t r;
	KT_OK(task_join(again, &r));
	KT_EQ(r, 0);
	KT_EQ(restarts, 1);
	bchan_drop(*(struct bchan **)state_db_get(cr));
	KT_OK(state_db_remove("test.stream.chan"));
	KT_OK(state_db_remove("test.stream.progress"));
}

/* ---- disconnection, timeouts, try_ ---- */

static uint64_t
blocked_sender(struct bchan_tx *tx)
{
	int e;
	/* fill the ring, then block until the receiver goes away */
	while ((e = u32chan_send(tx, 7, BCHAN_FOREVER)) == E_OK)
		;
	bchan_tx_drop(tx);
	return (uint64_t)(int64_t)e;
}

KTEST(receivers_death_disconnects_senders)
{
	struct bchan_tx *tx;
	struct bchan_rx *rx;
	KT_OK(u32chan_new(4, &tx, &rx));
	int err;
	struct task_builder b = TASK_BUILDER(blocked_sender, tx);
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	while (bchan_len(rx) < 4)
		task_sleep_ns(1000000);
	task_sleep_ns(5000000); /* it is blocked on the full ring now */
	bchan_rx_drop(rx);
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_EQ((int64_t)v, E_DISCONNECTED);

	/* and the other way round: the last sender gone, receivers drain then see it */
	KT_OK(u32chan_new(4, &tx, &rx));
	KT_OK(u32chan_send(tx, 1, BCHAN_FOREVER));
	bchan_tx_drop(tx);
	uint32_t x;
	KT_OK(u32chan_recv(rx, &x, BCHAN_FOREVER));
	KT_EQ(x, 1);
	KT_EQ(u32chan_recv(rx, &x, BCHAN_FOREVER), E_DISCONNECTED);
	bchan_rx_drop(rx);
}

KTEST(timeouts_and_try_forms)
{
	struct bchan_tx *tx;
	struct bchan_rx *rx;
	KT_OK(u32chan_new(1, &tx, &rx));
	uint32_t x;
	KT_EQ(u32chan_try_recv(rx, &x), E_WOULDBLOCK);
	uint64_t t0 = tsc_ns();
	KT_EQ(u32chan_recv(rx, &x, 30000000), E_TIMEDOUT);
	uint64_t dt = tsc_ns() - t0;
	/* Never early. Late by at most a few timeslices plus the host: under
	 * TCG a virtual CPU's thread can lose the host CPU for tens of ms, so
	 * the bound catches a timeout that waits for some later event (a
	 * wake-up, a tick on another CPU), not scheduling jitter. */
	if (dt < 30000000 || dt >= 30000000 + 10 * task_timeslice_ns() + 150000000)
		KT_FAIL("30 ms timeout returned after %lu us", (unsigned long)(dt / 1000));
	KT_OK(u32chan_try_send(tx, 5));
	KT_EQ(u32chan_try_send(tx, 6), E_FULL);
	KT_EQ(u32chan_send(tx, 6, 20000000), E_TIMEDOUT);
	KT_OK(u32chan_try_recv(rx, &x));
	KT_EQ(x, 5);
	bchan_tx_drop(tx);
	bchan_rx_drop(rx);

	struct rchan_tx *rtx;
	struct rchan_rx *rrx;
	KT_OK(u32rv_new(&rtx, &rrx));
	KT_EQ(u32rv_try_send(rtx, 1), E_WOULDBLOCK); /* nobody is receiving */
	KT_EQ(u32rv_recv(rrx, &x, 20000000), E_TIMEDOUT);
	KT_EQ(u32rv_send(rtx, 1, 20000000), E_TIMEDOUT); /* nobody took it */
	rchan_rx_drop(rrx);
	KT_EQ(u32rv_send(rtx, 1, RCHAN_FOREVER), E_DISCONNECTED);
	rchan_tx_drop(rtx);
}

/* ---- the fastpath ---- */

struct pingpong {
	struct fchan *ping, *pong;
	uint32_t rounds;
};

static uint64_t
ponger(struct pingpong *p)
{
	for (uint32_t i = 0; i < p->rounds; i++) {
		uint64_t v;
		if (fchan_recv(p->ping, &v) || fchan_send(p->pong, v + 1))
			return 1;
	}
	return 0;
}

KTEST(fastpath_round_trips)
{
	int err;
	_cleanup_(fchan_drop_p) struct fchan *ping = fchan_new(&err);
	_cleanup_(fchan_drop_p) struct fchan *pong = fchan_new(&err);
	KT_ASSERT(ping && pong);
	struct pingpong p = { ping, pong, 2000 };
	struct task_builder b = TASK_BUILDER(ponger, &p);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	for (uint64_t i = 0; i < p.rounds; i++) {
		uint64_t v;
		KT_OK(fchan_send(ping, i * 10));
		KT_OK(fchan_recv(pong, &v));
		KT_EQ(v, i * 10 + 1);
	}
	uint64_t r;
	KT_OK(task_join(t, &r));
	KT_EQ(r, 0);
	fchan_close_receiver(ping);
	KT_EQ(fchan_send(ping, 1), E_DISCONNECTED);
}

/* ---- the state_db ---- */

static int regen_calls;

static void
regen(void *data, size_t size)
{
	memset(data, 0x5a, size);
	regen_calls++;
}

KTEST(state_db_weak_refs_and_soft_state)
{
	struct state_ref r, r2;
	KT_OK(state_db_obtain("test.counter", sizeof(uint64_t), "test_chan", NULL, &r));
	uint64_t *c = state_db_get(r);
	KT_ASSERT(c && *c == 0);
	*c = 41;
	KT_OK(state_db_obtain("test.counter", sizeof(uint64_t), "test_chan", NULL, &r2));
	KT_EQ(r2.slot, r.slot);
	KT_EQ(*(uint64_t *)state_db_get(r2), 41); /* re-obtained by name */
	KT_EQ(state_db_obtain("test.counter", 16, "test_chan", NULL, &r2), E_INVAL);
	KT_OK(state_db_remove("test.counter"));
	KT_ASSERT(state_db_get(r) == NULL); /* weak: gone with the state */
	KT_OK(state_db_obtain("test.counter", sizeof(uint64_t), "test_chan", NULL, &r2));
	KT_ASSERT(state_db_get(r) == NULL); /* a new state is not the old one */
	KT_OK(state_db_remove("test.counter"));

	regen_calls = 0;
	KT_OK(state_db_obtain_soft("test.cache", 64, "test_chan", regen, &r));
	KT_EQ(regen_calls, 1);
	uint8_t *cache = state_db_get(r);
	KT_ASSERT(cache && cache[63] == 0x5a);
	KT_OK(state_db_drop_soft("test.cache"));
	cache = state_db_get(r); /* regenerated on use */
	KT_ASSERT(cache && cache[0] == 0x5a);
	KT_EQ(regen_calls, 2);
	KT_EQ(state_db_drop_soft("no.such.state"), E_NOENT);
	KT_OK(state_db_remove("test.cache"));
}

/* the state_db keeps its states across a reload of its own cell: a copy in
 * a scratch namespace is used, serialized, unloaded; a fresh copy is loaded
 * and restored; the states and weak references are all still there */
KTEST(state_db_survives_its_own_reload)
{
	struct cell_error why;
	struct cell_ns *ns = cell_ns_create("statedb-a", cell_ns_kernel(), false);
	KT_ASSERT(ns);
	static const char *const sdb[] = { "state_db" };
	if (cell_load(ns, sdb, 1, &why)) {
		int e = cell_ns_destroy(ns, &why);
		(void)e;
		KT_FAIL("%s", why.msg);
	}
	int (*obtain)(const char *, size_t, const char *, state_init_fn, struct state_ref *) =
		(void *)(uintptr_t)cell_sym_addr(ns, "state_db_obtain");
	void *(*get)(struct state_ref) = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_get");
	int (*ser)(void *, size_t) = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_serialize");
	size_t (*ser_size)(void) = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_serialized_size");
	int (*remove)(const char *) = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_remove");
	KT_ASSERT(obtain && get && ser && ser_size && remove);
	KT_ASSERT((uint64_t)(uintptr_t)obtain != cell_sym_addr(cell_ns_kernel(), "state_db_obtain"));
	struct state_ref r;
	KT_OK(obtain("kept.across.swap", 32, "test_chan", NULL, &r));
	strlcpy(get(r), "hello from before the reload", 32);
	size_t n = ser_size();
	_cleanup_(kfreep) void *image = kmalloc(n);
	KT_ASSERT(image);
	KT_OK(ser(image, n));
	KT_OK(cell_ns_destroy(ns, &why)); /* the old copy is gone */

	ns = cell_ns_create("statedb-b", cell_ns_kernel(), false);
	KT_ASSERT(ns);
	if (cell_load(ns, sdb, 1, &why)) {
		int e = cell_ns_destroy(ns, &why);
		(void)e;
		KT_FAIL("%s", why.msg);
	}
	int (*restore)(const void *, size_t) = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_restore");
	get = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_get");
	remove = (void *)(uintptr_t)cell_sym_addr(ns, "state_db_remove");
	KT_OK(restore(image, n));
	const char *kept = get(r); /* the same weak reference resolves */
	bool same = kept && !strcmp(kept, "hello from before the reload");
	KT_OK(remove("kept.across.swap"));
	KT_OK(cell_ns_destroy(ns, &why));
	KT_ASSERT(same);
}
