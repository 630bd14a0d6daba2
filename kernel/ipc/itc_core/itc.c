/*
 * itc.c: channel objects, endpoints and the blocking loops.
 * Each loop asks the policy cell what to do at every step, under the
 * channel lock, so a task blocked in a send or receive during a policy
 * swap continues under the new policy when it wakes.
 */
#include "itc_core.h"
#include "itc_policy.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "tsc.h"

/* struct itc_tx and struct itc_rx are chan_ends (chan_core.h) */
#define END(e) ((struct chan_end *)(e))
#define CHAN(e) container_of(END(e)->k, struct itc, k)

/* live channels, for introspection only: channels are found through
 * their endpoints, never through a registry (a policy swap reaches each
 * channel lazily, at its next operation: itc_policy_prepare) */
static size_t live;

size_t itc_count(void) { return __atomic_load_n(&live, __ATOMIC_RELAXED); }
const char *itc_policy(void) { return itc_policy_name(); }

/* the last reference gone: free the channel */
static void
free_if_last(struct chan_core *k)
{
	if (!k)
		return;
	struct itc *c = container_of(k, struct itc, k);
	__atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
	kfree(c->ring);
	kfree(c);
}

int
itc_new_raw(size_t elem, struct itc_tx **tx, struct itc_rx **rx)
{
	if (!elem || elem > 4096)
		return E_INVAL;
	_cleanup_(chan_core_ends_drop) struct chan_ends ends = { NULL, NULL };
	_cleanup_(kfreep) struct itc *c = KNEW(struct itc);
	if (!c || chan_core_ends_alloc(&ends))
		return E_NOMEM;
	c->k.elem = elem; /* the policy's ring is sized by it */
	int err = itc_policy_init(c);
	if (err)
		return err;
	/* commit: nothing below fails */
	chan_core_open(&c->k, elem, &ends);
	__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	TAKE_PTR(c);
	*tx = (struct itc_tx *)TAKE_PTR(ends.tx);
	*rx = (struct itc_rx *)TAKE_PTR(ends.rx);
	return E_OK;
}

struct itc_tx *itc_tx_clone(const struct itc_tx *tx, int *err) { return (struct itc_tx *)chan_core_add_tx(END(tx)->k, err); }
struct itc_rx *itc_rx_clone(const struct itc_rx *rx, int *err) { return (struct itc_rx *)chan_core_add_rx(END(rx)->k, err); }
void itc_tx_drop(struct itc_tx *tx) { free_if_last(chan_core_drop_tx(END(tx))); }
void itc_rx_drop(struct itc_rx *rx) { free_if_last(chan_core_drop_rx(END(rx))); }

void
itc_node_push(struct itc *c, struct itc_node *n)
{
	n->queued = true;
	qlist_push(&c->queue, &n->link);
}

void
itc_node_unlink(struct itc *c, struct itc_node *n)
{
	if (qlist_unlink(&c->queue, &n->link))
		n->queued = false;
}

bool
itc_node_take(struct itc *c, void *msg)
{
	struct itc_node *n = itc_node_first(c);
	if (!n)
		return false;
	itc_node_unlink(c, n);
	memcpy(msg, n->msg, c->k.elem);
	n->taken = true;
	return true;
}

bool
itc_take_any(struct itc *c, void *msg, bool *woke_senders)
{
	if (c->count) {
		itc_ring_get(c, msg);
		return true;
	}
	return *woke_senders = itc_node_take(c, msg);
}

void
itc_ring_put(struct itc *c, const void *msg)
{
	memcpy(c->ring + ((c->rd + c->count) % c->cap) * c->k.elem, msg, c->k.elem);
	c->count++;
}

void
itc_ring_get(struct itc *c, void *msg)
{
	memcpy(msg, c->ring + c->rd * c->k.elem, c->k.elem);
	c->rd = (c->rd + 1) % c->cap;
	c->count--;
}

struct send_wait {
	struct itc *c;
	struct itc_node *n;
};

static bool
taken_or_gone(void *ctx)
{
	struct send_wait *w = ctx;
	return w->n->taken || w->c->k.receivers == 0;
}

int
itc_send_raw(struct itc_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	struct itc *c = CHAN(tx);
	if (size != c->k.elem)
		return E_INVAL;
	itc_policy_prepare(c);
	uint64_t deadline = chan_core_deadline(timeout);
	struct itc_node n = { msg, { NULL }, false, false };
	bool irq = spin_lock_irq(&c->k.lock);
	int result = c->k.receivers == 0 ? E_DISCONNECTED
		     : itc_policy_offer(c, &n, timeout == ITC_NOWAIT);
	spin_unlock_irq(&c->k.lock, irq);
	if (result)
		return result;
	waitq_wake_one(&c->k.recv_waiters); /* a receiver has something now */
	if (n.taken)
		return E_OK;
	struct send_wait w = { c, &n };
	/* adaptive: a receiver on another CPU usually takes it within
	 * microseconds; spin a little before sleeping */
	(void)chan_core_spin_until(taken_or_gone, &w);
	/* a try_send queued because a receiver was waiting: give it a moment */
	if (timeout == ITC_NOWAIT)
		deadline = tsc_ns() + 10000000;
	int e = waitq_wait_deadline(&c->k.send_waiters, taken_or_gone, &w, deadline);
	if (e == E_TIMEDOUT && timeout == ITC_NOWAIT)
		e = E_WOULDBLOCK;
	irq = spin_lock_irq(&c->k.lock);
	if (n.taken)
		result = E_OK; /* delivered, whatever else happened meanwhile */
	else {
		itc_node_unlink(c, &n);
		result = c->k.receivers == 0 ? E_DISCONNECTED : e ? e : E_DISCONNECTED;
	}
	spin_unlock_irq(&c->k.lock, irq);
	return result;
}

static bool
message_or_gone(void *ctx)
{
	struct itc *c = ctx;
	return itc_node_first(c) || c->count || c->k.senders == 0;
}

int
itc_recv_raw(struct itc_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	struct itc *c = CHAN(rx);
	if (size != c->k.elem)
		return E_INVAL;
	itc_policy_prepare(c);
	uint64_t deadline = chan_core_deadline(timeout);
	for (;;) {
		bool woke = false;
		bool irq = spin_lock_irq(&c->k.lock);
		if (itc_policy_take(c, msg, &woke)) {
			spin_unlock_irq(&c->k.lock, irq);
			if (woke)
				waitq_wake_all(&c->k.send_waiters); /* a sender sees its node taken */
			return E_OK;
		}
		bool gone = c->k.senders == 0;
		if (!gone && timeout != ITC_NOWAIT)
			c->waiting_receivers++;
		spin_unlock_irq(&c->k.lock, irq);
		if (gone)
			return E_DISCONNECTED;
		if (timeout == ITC_NOWAIT)
			return E_WOULDBLOCK;
		int e = chan_core_wait(&c->k.recv_waiters, message_or_gone, c, deadline);
		irq = spin_lock_irq(&c->k.lock);
		c->waiting_receivers--;
		spin_unlock_irq(&c->k.lock, irq);
		if (e)
			return e;
	}
}
