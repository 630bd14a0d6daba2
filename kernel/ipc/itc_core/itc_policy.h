/*
 * itc_policy.h: what itc_core shares with its policy cells (itc_sync,
 * itc_async). Every policy cell exports the itc_policy_* functions; they
 * are called with the channel's lock held and interrupts off, never
 * block, and never allocate (itc_policy_init excepted, called unlocked).
 */
#ifndef ITC_POLICY_H
#define ITC_POLICY_H

#include "base.h"
#include "task.h"
#include "chan_core.h"
#include "base.h"

/* a sender's message, in the sender's frame, waiting to be taken */
struct itc_node {
	const void *msg;
	struct qlink link;
	bool queued, taken;
};

/* the core's recv_waiters wait for a message, its send_waiters for their
 * node to be taken */
struct itc {
	struct chan_core k;            /* first: lock, endpoint counts, elem, wait queues */
	uint32_t waiting_receivers;    /* guarded by k.lock, as all below */
	struct qlist queue;            /* waiting senders: struct itc_node, FIFO */
	uint8_t *ring;                 /* buffered slots (owned; NULL if none) */
	size_t cap, rd, count;
};

/* set up a new channel's policy data (unlocked; may fail) */
int itc_policy_init(struct itc *c) __must_check;
/* before every send and receive (unlocked; may allocate, cannot fail): a
 * channel made under another policy gets what this policy needs. This is
 * how a policy swap reaches every channel - through the endpoints its
 * users hold, lazily - so itc_core keeps no registry of channels. */
void itc_policy_prepare(struct itc *c);
/* a send: deliver n now (n->taken), queue it (n->queued), or E_WOULDBLOCK */
int itc_policy_offer(struct itc *c, struct itc_node *n, bool nowait);
/* a receive: copy one message to msg; false if there is none. Sets
 * *woke_senders when a waiting sender's node was taken. */
bool itc_policy_take(struct itc *c, void *msg, bool *woke_senders);
const char *itc_policy_name(void);

/* itc_core: the queue helpers, for the policy cells */
void itc_node_unlink(struct itc *c, struct itc_node *n);
void itc_node_push(struct itc *c, struct itc_node *n);
/* the first waiting sender's message to msg, the sender released
 * (n->taken); false if no sender waits */
bool itc_node_take(struct itc *c, void *msg);
/* the receive both policies share: the ring's oldest message if the ring
 * holds any, else the first waiting sender's (setting *woke_senders) */
bool itc_take_any(struct itc *c, void *msg, bool *woke_senders);
/* the first waiting sender's node, NULL if none */
static inline struct itc_node *
itc_node_first(struct itc *c)
{
	return qlist_entry(c->queue.head, struct itc_node, link);
}
/* the ring's helpers (both policies drain a ring left by the other) */
void itc_ring_put(struct itc *c, const void *msg);
void itc_ring_get(struct itc *c, void *msg);

#endif
