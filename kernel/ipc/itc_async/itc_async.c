/*
 * itc_async: the buffered policy for itc_core channels. Each channel gets
 * a ring of ITC_ASYNC_SLOTS messages; a send completes as soon as its
 * message is in the ring, and waits (in the sender's frame, as under the
 * rendezvous policy) only while the ring is full. itc_async_adopt is the
 * transfer function for a swap from the rendezvous policy: it gives every
 * live channel its ring and moves the waiting senders' messages into it,
 * releasing those senders.
 * State: none (it lives in the channels).
 */
#include "itc_core.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"

#define ITC_ASYNC_SLOTS 16

int itc_async_adopt(void);

const char *itc_policy_name(void) { return "buffered"; }

int
itc_policy_init(struct itc *c)
{
	c->ring = kmalloc(ITC_ASYNC_SLOTS * c->k.elem);
	if (!c->ring)
		return E_NOMEM;
	c->cap = ITC_ASYNC_SLOTS;
	return E_OK;
}

int
itc_policy_offer(struct itc *c, struct itc_node *n, bool nowait)
{
	if (!itc_node_first(c) && c->count < c->cap) { /* FIFO: nobody queued before us */
		itc_ring_put(c, n->msg);
		n->taken = true;
		return E_OK;
	}
	if (nowait)
		return E_WOULDBLOCK;
	itc_node_push(c, n);
	return E_OK;
}

/* the first waiting sender's message into the ring, releasing it */
static bool
refill(struct itc *c)
{
	struct itc_node *n = itc_node_first(c);
	if (!n || c->count >= c->cap)
		return false;
	itc_node_unlink(c, n);
	itc_ring_put(c, n->msg);
	n->taken = true;
	return true;
}

bool
itc_policy_take(struct itc *c, void *msg, bool *woke_senders)
{
	/* (with no ring, which cannot happen once adopted: from a sender) */
	bool from_ring = c->count;
	bool got = itc_take_any(c, msg, woke_senders);
	if (from_ring)
		*woke_senders = refill(c);
	return got;
}

/* ---- transfer from the rendezvous policy (runs in the swap's pause) ---- */

static int
alloc_ring(struct itc *c, void *ctx)
{
	if (c->ring)
		return E_OK;
	c->pending_ring = kmalloc(ITC_ASYNC_SLOTS * c->k.elem);
	return c->pending_ring ? E_OK : E_NOMEM;
}

static int
undo_ring(struct itc *c, void *ctx)
{
	kfree(c->pending_ring);
	c->pending_ring = NULL;
	return E_OK;
}

static int
commit_ring(struct itc *c, void *ctx)
{
	bool irq = spin_lock_irq(&c->k.lock);
	if (c->pending_ring) {
		c->ring = c->pending_ring;
		c->pending_ring = NULL;
		c->cap = ITC_ASYNC_SLOTS;
		c->rd = c->count = 0;
	}
	bool moved = false;
	while (refill(c))
		moved = true;
	spin_unlock_irq(&c->k.lock, irq);
	if (moved)
		waitq_wake_all(&c->k.send_waiters);
	return E_OK;
}

int
itc_async_adopt(void)
{
	/* check: a ring for every channel, or none at all */
	int err = itc_for_each(alloc_ring, NULL);
	if (err) {
		(void)itc_for_each(undo_ring, NULL);
		return err;
	}
	return itc_for_each(commit_ring, NULL); /* commit: nothing fails */
}
