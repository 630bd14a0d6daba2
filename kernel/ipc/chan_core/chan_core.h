/*
 * chan_core: the endpoint bookkeeping every channel cell shares
 * (chan_buffered, chan_rendezvous, itc_core). A channel embeds a struct
 * chan_core as its first member: the lock that guards the whole channel,
 * the counts of live senders and receivers, the reference count, the
 * message size, and the two wait queues. An endpoint (struct chan_end) is
 * one counted reference to a core and one sender or receiver; the
 * channels' typed endpoints (struct bchan_tx, ...) are chan_ends under
 * another name, never defined.
 *
 * The rules the channels share: the last sender gone wakes the receivers
 * (recv_waiters), the last receiver gone wakes the senders (send_waiters);
 * a sender may be added (clone or reconnect) only while a receiver
 * remains (C.2: the two sides disconnect separately); the last reference
 * gone hands the core back to its channel, which frees what it owns.
 * State: none of its own (it lives in the channels).
 */
#ifndef CHAN_CORE_H
#define CHAN_CORE_H

#include "base.h"
#include "base.h"
#include "task.h"

struct chan_core {
	struct spinlock lock;        /* guards the counts below and the channel's own state */
	uint32_t senders, receivers; /* live endpoints; guarded by lock */
	uint32_t refs;               /* endpoints + channel references (atomic) */
	size_t elem;                 /* the message size */
	struct waitq recv_waiters;   /* receivers wait: for a message, or for the last sender to go */
	struct waitq send_waiters;   /* senders wait: for room or a taker, or for the last receiver to go */
};

/* an endpoint: allocated and dropped here only; the channels read k.
 * delivered: the messages sent through this endpoint that a receiver
 * took, counted under the core's lock in the take's commit (the
 * rendezvous channel keeps it; 0 in the others) - the endpoint outlives
 * a sender that dies in a send, so its restarted self can learn whether
 * its last message got through */
struct chan_end {
	struct chan_core *k;
	uint64_t delivered;
};

void chan_core_end_free(struct chan_end *e);
DEFINE_DROP(struct chan_end, chan_core_end_free)

/* a new channel's two endpoints, before the channel exists */
struct chan_ends {
	struct chan_end *tx, *rx;
};
/* check: allocate both endpoints (E_NOMEM: neither) */
int chan_core_ends_alloc(struct chan_ends *ends) __must_check;
/* drops the endpoints a failed creation did not hand out */
void chan_core_ends_drop(struct chan_ends *ends);
/* commit: set up k (one sender, one receiver, two references) and attach
 * the two endpoints to it; cannot fail */
void chan_core_open(struct chan_core *k, size_t elem, struct chan_ends *ends);

/* a new sender (E_DISCONNECTED if no receiver remains) or receiver on k */
struct chan_end *chan_core_add_tx(struct chan_core *k, int *err) OWNED_BY(chan_core_end_free);
struct chan_end *chan_core_add_rx(struct chan_core *k, int *err) OWNED_BY(chan_core_end_free);

/* a counted reference to the core, and its release: the release returns
 * k if it was the last reference - the caller then frees its channel -
 * and NULL otherwise (also for k NULL) */
struct chan_core *chan_core_ref(struct chan_core *k);
struct chan_core *chan_core_unref(struct chan_core *k) __must_check;
/* drop a sender (resp. receiver) endpoint: the last one wakes the other
 * side; returns as chan_core_unref (NULL for e NULL) */
struct chan_core *chan_core_drop_tx(struct chan_end *e) __must_check;
struct chan_core *chan_core_drop_rx(struct chan_end *e) __must_check;

/* the blocking loops' helpers: a timeout in ns (0: try, UINT64_MAX:
 * forever) as a tsc_ns deadline, and the adaptive wait's spin - a partner
 * on another CPU usually answers within microseconds, much sooner than a
 * sleep and an IPI wake-up; true if cond(ctx) became true */
uint64_t chan_core_deadline(uint64_t timeout);
bool chan_core_spin_until(bool (*cond)(void *ctx), void *ctx);
/* a blocking loop's wait: spin, then sleep on q until cond(ctx) or the
 * deadline. E_OK: try again. E_TIMEDOUT or E_INTR: give up - and a
 * wake-up this wait may have consumed is passed on to the next waiter */
int chan_core_wait(struct waitq *q, bool (*cond)(void *ctx), void *ctx, uint64_t deadline) __must_check;

#endif
