/*
 * itc_sync: the rendezvous policy for itc_core channels. A send completes
 * when a receiver has taken the message out of the sender's frame; a
 * try-send succeeds only if a receiver is waiting. Messages a buffered
 * policy left in a channel's ring (after a swap back) are received first.
 * State: none (it lives in the channels).
 */
#include "itc_core.h"
#include "base.h"
#include "klibc.h"

int itc_policy_init(struct itc *c) { return E_OK; }
/* nothing to add: a ring left by the buffered policy is drained by take */
void itc_policy_prepare(struct itc *c) { (void)c; }
const char *itc_policy_name(void) { return "rendezvous"; }

int
itc_policy_offer(struct itc *c, struct itc_node *n, bool nowait)
{
	if (nowait && !c->waiting_receivers)
		return E_WOULDBLOCK;
	itc_node_push(c, n);
	return E_OK;
}

bool
itc_policy_take(struct itc *c, void *msg, bool *woke_senders)
{
	return itc_take_any(c, msg, woke_senders);
}
