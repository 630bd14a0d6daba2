/*
 * test_swap_itc: case study (b) - the channel policy swapped from
 * rendezvous (itc_sync) to buffered (itc_async) and back while three
 * tasks send and one receives throughout. Each sender numbers its
 * messages; the receiver checks that every sender's numbers arrive in
 * order with none missing or repeated, and at the end that every send
 * that returned E_OK was received exactly once. The itc cells are loaded
 * by the test (both policies provide the same symbols, so on-demand
 * loading would pick one) and reached through their symbols.
 */
#include "cell_mgr.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

struct itc_tx;
struct itc_rx;

static struct {
	int (*new_raw)(size_t, struct itc_tx **, struct itc_rx **);
	struct itc_tx *(*tx_clone)(const struct itc_tx *, int *);
	void (*tx_drop)(struct itc_tx *);
	void (*rx_drop)(struct itc_rx *);
	int (*send)(struct itc_tx *, const void *, size_t, uint64_t);
	int (*recv)(struct itc_rx *, void *, size_t, uint64_t);
	const char *(*policy)(void);
} itc;

#define SENDERS 3

struct sender {
	struct itc_tx *tx; /* owned by the task */
	uint64_t id;
	volatile uint64_t ok;
	volatile int err;
};

static volatile bool senders_stop;
static volatile uint64_t received, out_of_order;
static uint64_t next_seq[SENDERS];

static uint64_t
send_loop(struct sender *s)
{
	while (!senders_stop) {
		uint64_t m = s->id << 32 | s->ok;
		int e = itc.send(s->tx, &m, sizeof(m), UINT64_MAX);
		if (e) {
			s->err = e;
			break;
		}
		s->ok++;
	}
	itc.tx_drop(s->tx);
	return s->ok;
}

static uint64_t
recv_loop(struct itc_rx *rx)
{
	uint64_t m;
	int e;
	while (!(e = itc.recv(rx, &m, sizeof(m), UINT64_MAX))) {
		uint64_t id = m >> 32, seq = m & 0xffffffffu;
		if (id >= SENDERS || seq != next_seq[id])
			out_of_order++;
		else
			next_seq[id]++;
		received++;
	}
	itc.rx_drop(rx);
	return e == E_DISCONNECTED ? 0 : 1;
}

static void
stop_senders(volatile bool **p)
{
	if (*p)
		**p = true;
}

static void
wait_received(uint64_t more)
{
	uint64_t target = received + more;
	for (int i = 0; i < 5000 && received < target; i++)
		task_sleep_ns(1000000);
}

static int
swap1(const char *old, const char *new, const char *transfer, struct swap_times *st, struct cell_error *why)
{
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1 };
	rq.old[0] = old;
	rq.new_names[0] = new;
	if (transfer) {
		rq.transfer[0] = transfer;
		rq.ntransfer = 1;
	}
	return cell_swap(&rq, st, why);
}

static void
print_times(const char *what, const struct swap_times *st)
{
	kprintf("SWAP %s: load %lu us, verify %lu us, quiesce %lu us, rewrite %lu us, deps %lu us, transfer %lu us, cleanup %lu us, pause %lu us, total %lu us\n",
		what, st->load / 1000, st->verify / 1000, st->quiesce / 1000, st->rewrite / 1000,
		st->deps / 1000, st->transfer / 1000, st->cleanup / 1000, st->pause / 1000, st->total / 1000);
}

#define SYM(field, name) do {                                                     \
	itc.field = (__typeof__(itc.field))(uintptr_t)cell_sym_addr(cell_ns_kernel(), name); \
	KT_ASSERT(itc.field);                                                         \
} while (0)

KTEST_FLAGS(swap_channel_policy_while_messages_flow, KTEST_NO_FRAMECHECK)
{
	struct cell_error why;
	static const char *const cells[] = { "itc_core", "itc_sync" };
	KT_OK(cell_load(cell_ns_kernel(), cells, 2, &why));
	SYM(new_raw, "itc_new_raw");
	SYM(tx_clone, "itc_tx_clone");
	SYM(tx_drop, "itc_tx_drop");
	SYM(rx_drop, "itc_rx_drop");
	SYM(send, "itc_send_raw");
	SYM(recv, "itc_recv_raw");
	SYM(policy, "itc_policy");
	KT_ASSERT(!strcmp(itc.policy(), "rendezvous"));

	/* a probe channel shows the semantics in force */
	struct itc_tx *ptx;
	struct itc_rx *prx;
	KT_OK(itc.new_raw(sizeof(uint64_t), &ptx, &prx));
	uint64_t x = 7;
	KT_EQ(itc.send(ptx, &x, sizeof(x), 0), E_WOULDBLOCK); /* nobody waiting */

	/* the flowing channel: three senders, one receiver, each owning its end */
	struct itc_tx *tx;
	struct itc_rx *rx;
	KT_OK(itc.new_raw(sizeof(uint64_t), &tx, &rx));
	static struct sender s[SENDERS];
	senders_stop = false;
	received = out_of_order = 0;
	memset(next_seq, 0, sizeof(next_seq));
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	_cleanup_(stop_senders) volatile bool *stopper = &senders_stop;
	int err = E_OK;
	for (uint64_t i = 0; i < SENDERS; i++) {
		s[i] = (struct sender){ .id = i };
		s[i].tx = i ? itc.tx_clone(tx, &err) : tx;
		KT_ASSERT(s[i].tx);
		struct task_builder b = TASK_BUILDER(send_loop, &s[i]);
		KT_OK(task_group_spawn(&g, &b));
	}
	struct task_builder rb = TASK_BUILDER(recv_loop, rx);
	KT_OK(task_group_spawn(&g, &rb));
	wait_received(2000);

	/* (b) rendezvous -> buffered, messages flowing */
	struct swap_times st;
	uint64_t before = received;
	KT_OK(swap1("itc_sync", "itc_async", "itc_async_adopt", &st, &why));
	print_times("channel rendezvous -> buffered", &st);
	KT_ASSERT(!strcmp(itc.policy(), "buffered"));
	KT_ASSERT(!cell_find(cell_ns_kernel(), "itc_sync"));
	/* the existing probe channel now buffers: try-sends succeed unheard */
	for (uint64_t i = 0; i < 3; i++)
		KT_OK(itc.send(ptx, &i, sizeof(i), 0));
	wait_received(2000);
	KT_ASSERT(received > before);

	/* (e) and back, with three messages still in the probe's ring */
	before = received;
	KT_OK(swap1("itc_async", "itc_sync", NULL, &st, &why));
	print_times("channel buffered -> rendezvous", &st);
	KT_ASSERT(!strcmp(itc.policy(), "rendezvous"));
	wait_received(2000);
	KT_ASSERT(received > before);
	uint64_t y;
	for (uint64_t i = 0; i < 3; i++) {
		KT_OK(itc.recv(prx, &y, sizeof(y), 0)); /* what the ring held, in order */
		KT_EQ(y, i);
	}
	KT_EQ(itc.send(ptx, &x, sizeof(x), 0), E_WOULDBLOCK); /* rendezvous again */

	senders_stop = true;
	uint64_t v[SENDERS + 1];
	KT_OK(task_group_join(&g, v));
	uint64_t sent = 0;
	for (int i = 0; i < SENDERS; i++) {
		KT_EQ(s[i].err, E_OK);
		KT_EQ(v[i], s[i].ok);
		KT_EQ(next_seq[i], s[i].ok); /* every E_OK send arrived, once */
		sent += s[i].ok;
	}
	KT_EQ(v[SENDERS], 0); /* the receiver saw the senders leave */
	KT_EQ(out_of_order, 0);
	KT_EQ(received, sent);
	kprintf("ITC swap: %lu messages from %d senders, none lost, duplicated or reordered\n",
		(unsigned long)sent, SENDERS);
	itc.tx_drop(ptx);
	itc.rx_drop(prx);
	for (int i = 0; i < 200 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
	KT_EQ(cell_retired(), 0);
	struct cell *set[] = { cell_find(cell_ns_kernel(), "itc_core"), cell_find(cell_ns_kernel(), "itc_sync") };
	KT_ASSERT(set[0] && set[1]);
	KT_OK(cell_unload(set, 2, &why));
}
