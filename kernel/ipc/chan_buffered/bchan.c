/*
 * bchan.c: the buffered channel. One lock per channel guards the ring and
 * the endpoint counts; senders wait on not_full, receivers on not_empty.
 * A message is copied in or out entirely under the lock, so it is either
 * in the ring or not - never half sent, never received twice.
 *
 * Unwinding through it leaves the channel consistent: the lock is held by
 * an owned guard and each side copies before it commits (count, head), so
 * a task that dies in a copy (a bad pointer) leaves the ring as it was.
 */
#include "chan_buffered.h"
#include "chan_core.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "sync.h"
#include "task.h"

/* the core's send_waiters wait for room (not full), its recv_waiters for
 * a message (not empty) */
struct bchan {
	struct chan_core k;              /* first: a struct bchan * is its core's address */
	size_t cap, head, count;         /* guarded by k.lock */
	uint8_t *ring;
};

compile_assert(bchan_core_first, offsetof(struct bchan, k) == 0);

/* struct bchan_tx and struct bchan_rx are chan_ends (chan_core.h) */
#define END(e) ((struct chan_end *)(e))
#define CHAN(e) container_of(END(e)->k, struct bchan, k)

/* the last reference gone: free the channel */
static void
free_if_last(struct chan_core *k)
{
	if (!k)
		return;
	struct bchan *c = container_of(k, struct bchan, k);
	kfree(c->ring);
	kfree(c);
}

int
bchan_new_raw(size_t elem, size_t cap, struct bchan_tx **tx, struct bchan_rx **rx)
{
	if (!elem || !cap || elem > 4096 || cap > (1 << 20))
		return E_INVAL;
	_cleanup_(chan_core_ends_drop) struct chan_ends ends = { NULL, NULL };
	_cleanup_(kfreep) struct bchan *c = KNEW(struct bchan);
	_cleanup_(kfreep) uint8_t *ring = kmalloc(elem * cap);
	if (!c || !ring || chan_core_ends_alloc(&ends))
		return E_NOMEM;
	/* commit: nothing below fails */
	c->cap = cap;
	c->ring = TAKE_PTR(ring);
	/* the channel's own address (its core is first): gcc 12's analyzer does
	 * not see a pointer to a member carry its object away */
	chan_core_open((struct chan_core *)(void *)TAKE_PTR(c), elem, &ends);
	*tx = (struct bchan_tx *)TAKE_PTR(ends.tx);
	*rx = (struct bchan_rx *)TAKE_PTR(ends.rx);
	return E_OK;
}

struct bchan_tx *bchan_tx_clone(const struct bchan_tx *tx, int *err) { return (struct bchan_tx *)chan_core_add_tx(END(tx)->k, err); }
struct bchan_tx *bchan_connect_tx(struct bchan *c, int *err) { return (struct bchan_tx *)chan_core_add_tx(&c->k, err); }
struct bchan_rx *bchan_rx_clone(const struct bchan_rx *rx, int *err) { return (struct bchan_rx *)chan_core_add_rx(END(rx)->k, err); }
struct bchan *bchan_of_rx(const struct bchan_rx *rx) { return container_of(chan_core_ref(END(rx)->k), struct bchan, k); }
void bchan_drop(struct bchan *c) { free_if_last(chan_core_unref(c ? &c->k : NULL)); }
void bchan_tx_drop(struct bchan_tx *tx) { free_if_last(chan_core_drop_tx(END(tx))); }
void bchan_rx_drop(struct bchan_rx *rx) { free_if_last(chan_core_drop_rx(END(rx))); }

static bool
can_send(void *ctx)
{
	struct bchan *c = ctx;
	return c->count < c->cap || c->k.receivers == 0;
}

static bool
can_recv(void *ctx)
{
	struct bchan *c = ctx;
	return c->count > 0 || c->k.senders == 0;
}

/* one attempt under the lock: E_OK (in the ring), E_DISCONNECTED or E_FULL */
static int
send_once(struct bchan *c, const void *msg, size_t size)
{
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
	if (c->k.receivers == 0)
		return E_DISCONNECTED;
	if (c->count == c->cap)
		return E_FULL;
	uint8_t *slot = c->ring + ((c->head + c->count) % c->cap) * c->k.elem;
	memcpy(slot, msg, size);
	/* commit: nothing below fails */
	c->count++;
	return E_OK;
}

int
bchan_send_raw(struct bchan_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	struct bchan *c = CHAN(tx);
	if (size != c->k.elem)
		return E_INVAL;
	uint64_t deadline = chan_core_deadline(timeout);
	for (;;) {
		int r = send_once(c, msg, size);
		if (r == E_OK) {
			waitq_wake_one(&c->k.recv_waiters);
			return E_OK;
		}
		if (r == E_DISCONNECTED || timeout == BCHAN_NOWAIT)
			return r;
		int e = chan_core_wait(&c->k.send_waiters, can_send, c, deadline);
		if (e)
			return e; /* E_TIMEDOUT or E_INTR: nothing was sent */
	}
}

/* one attempt under the lock: E_OK (copied out), E_DISCONNECTED or E_WOULDBLOCK */
static int
recv_once(struct bchan *c, void *msg, size_t size)
{
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
	if (c->count == 0)
		return c->k.senders == 0 ? E_DISCONNECTED : E_WOULDBLOCK;
	const uint8_t *slot = c->ring + c->head * c->k.elem;
	memcpy(msg, slot, size);
	/* commit: nothing below fails */
	c->head = (c->head + 1) % c->cap;
	c->count--;
	return E_OK;
}

int
bchan_recv_raw(struct bchan_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	struct bchan *c = CHAN(rx);
	if (size != c->k.elem)
		return E_INVAL;
	uint64_t deadline = chan_core_deadline(timeout);
	for (;;) {
		int r = recv_once(c, msg, size);
		if (r == E_OK) {
			waitq_wake_one(&c->k.send_waiters);
			return E_OK;
		}
		if (r == E_DISCONNECTED || timeout == BCHAN_NOWAIT)
			return r;
		int e = chan_core_wait(&c->k.recv_waiters, can_recv, c, deadline);
		if (e)
			return e; /* nothing was received */
	}
}

size_t
bchan_len(const struct bchan_rx *rx)
{
	return __atomic_load_n(&CHAN(rx)->count, __ATOMIC_RELAXED);
}
