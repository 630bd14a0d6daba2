/*
 * itc_async: the buffered policy for itc_core channels. Each channel gets
 * a ring of ITC_ASYNC_SLOTS messages; a send completes as soon as its
 * message is in the ring, and waits (in the sender's frame, as under the
 * rendezvous policy) only while the ring is full. After a swap from the
 * rendezvous policy each channel gets its ring lazily, at its next send
 * or receive (itc_policy_prepare), moving its waiting senders' messages
 * into it: no registry of channels is needed to find them.
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

/* a channel made under the rendezvous policy gets its ring at its first
 * operation under this one, and the senders waiting in it move their
 * messages into the ring and go. Without memory it stays unbuffered
 * (offer queues, take takes from a sender) and tries again next time. */
void
itc_policy_prepare(struct itc *c)
{
	if (__atomic_load_n(&c->ring, __ATOMIC_ACQUIRE))
		return;
	_cleanup_(kfreep) uint8_t *r = kmalloc(ITC_ASYNC_SLOTS * c->k.elem);
	if (!r)
		return;
	bool moved = false;
	{
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&c->k.lock);
		if (!c->ring) {
			c->rd = c->count = 0;
			c->cap = ITC_ASYNC_SLOTS;
			__atomic_store_n(&c->ring, TAKE_PTR(r), __ATOMIC_RELEASE);
			while (refill(c))
				moved = true;
		}
	}
	if (moved)
		waitq_wake_all(&c->k.send_waiters);
}

/* the transfer function for a swap from the rendezvous policy: nothing
 * to do in the pause, since channels convert themselves (above) at their
 * next send or receive; kept so that swap requests naming it work */
int
itc_async_adopt(void)
{
	return E_OK;
}
