/*
 * rchan.c: the rendezvous channel. Waiting senders form a FIFO of nodes
 * that live in their frames; a receiver copies the first node's message
 * and marks it taken, under the channel lock.
 *
 * Unwinding through it leaves the channel consistent: the lock is held by
 * an owned guard; a receiver copies before it commits (unlink, taken), and
 * a receiver that dies in the copy (a bad pointer) hands the node back to
 * its sender, which keeps its message and hears E_FAULT; one that dies
 * after the commit still wakes the sender (an owned obligation); a sender
 * takes its node out of the queue whatever ends its send (a result, a
 * fault, a kill); a node already taken is never taken again; the
 * sender's endpoint counts what was taken from it. The
 * CHAN_FAULT points are the thesis's 13 channel faults (chan_fault.h,
 * test_chanfault, docs/chanfaults.md); inert unless a test arms one.
 */
#include "chan_rendezvous.h"
#include "chan_core.h"
#include "chan_fault.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

struct rnode {
	const void *msg;
	uint64_t *delivered;         /* the sender endpoint's count (chan_core.h) */
	struct qlink link;
	bool queued, taken;
	bool failed; /* a receiver died copying it: back to the sender */
};

/* the core's recv_waiters wait for a sender, its send_waiters for their
 * node to be taken */
struct rchan {
	struct chan_core k;          /* first: a struct rchan * is its core's address */
	uint32_t waiting_receivers;  /* guarded by k.lock */
	struct qlist queue;          /* waiting senders: struct rnode, FIFO; guarded by k.lock */
};

compile_assert(rchan_core_first, offsetof(struct rchan, k) == 0);

/* struct rchan_tx and struct rchan_rx are chan_ends (chan_core.h) */
#define END(e) ((struct chan_end *)(e))
#define CHAN(e) container_of(END(e)->k, struct rchan, k)

static void
free_if_last(struct chan_core *k)
{
	if (k)
		kfree(container_of(k, struct rchan, k));
}

int
rchan_new_raw(size_t elem, struct rchan_tx **tx, struct rchan_rx **rx)
{
	if (!elem || elem > 4096)
		return E_INVAL;
	_cleanup_(chan_core_ends_drop) struct chan_ends ends = { NULL, NULL };
	_cleanup_(kfreep) struct rchan *c = KNEW(struct rchan);
	if (!c || chan_core_ends_alloc(&ends))
		return E_NOMEM;
	/* commit: nothing below fails */
	/* the channel's own address (its core is first): gcc 12's analyzer does
	 * not see a pointer to a member carry its object away */
	chan_core_open((struct chan_core *)(void *)TAKE_PTR(c), elem, &ends);
	*tx = (struct rchan_tx *)TAKE_PTR(ends.tx);
	*rx = (struct rchan_rx *)TAKE_PTR(ends.rx);
	return E_OK;
}

struct rchan_tx *rchan_tx_clone(const struct rchan_tx *tx, int *err) { return (struct rchan_tx *)chan_core_add_tx(END(tx)->k, err); }
struct rchan_tx *rchan_connect_tx(struct rchan *c, int *err) { return (struct rchan_tx *)chan_core_add_tx(&c->k, err); }
struct rchan_rx *rchan_rx_clone(const struct rchan_rx *rx, int *err) { return (struct rchan_rx *)chan_core_add_rx(END(rx)->k, err); }
struct rchan *rchan_of_rx(const struct rchan_rx *rx) { return container_of(chan_core_ref(END(rx)->k), struct rchan, k); }
uint64_t rchan_tx_delivered(const struct rchan_tx *tx)
{
	struct rchan *c = CHAN(tx);
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
	return END(tx)->delivered;
}
void rchan_drop(struct rchan *c) { free_if_last(chan_core_unref(c ? &c->k : NULL)); }
void rchan_tx_drop(struct rchan_tx *tx) { free_if_last(chan_core_drop_tx(END(tx))); }
void rchan_rx_drop(struct rchan_rx *rx) { free_if_last(chan_core_drop_rx(END(rx))); }

struct send_wait {
	struct rchan *c;
	struct rnode *n;
};

static bool
taken_or_gone(void *ctx)
{
	struct send_wait *w = ctx;
	return w->n->taken || w->n->failed || w->c->k.receivers == 0;
}

static void
unlink_node(struct rchan *c, struct rnode *n)
{
	if (qlist_unlink(&c->queue, &n->link))
		n->queued = false;
}

/* a sender's node while it may be queued: a sender unwound meanwhile takes
 * it out (it lives in the dying frame) */
struct queued {
	struct rchan *c;
	struct rnode *n;
};

static void
queued_drop(struct queued *q)
{
	if (!q->n)
		return;
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&q->c->k.lock);
	if (q->n->queued)
		unlink_node(q->c, q->n);
}

int
rchan_send_raw(struct rchan_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	tx = CHAN_FAULT_PTR(CF_S4_SEND_END_BAD, tx);
	msg = CHAN_FAULT_NULL(CF_S2_SEND_MSG_NULL, msg);
	msg = CHAN_FAULT_PTR(CF_S3_SEND_MSG_BAD, msg);
	CHAN_FAULT_STORE_AT(CF_S1_SEND_PAGE_FAULT, 0);
	struct rchan *c = CHAN(tx);
	if (size != c->k.elem)
		return E_INVAL;
	uint64_t deadline = chan_core_deadline(timeout);
	struct rnode n = { msg, &END(tx)->delivered, { NULL }, false,
			   CHAN_FAULT(CF_S6_SEND_STATE_TAKEN), false };
	int result;
	_cleanup_(queued_drop) struct queued q = { c, NULL };
	{
		_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
		result = c->k.receivers == 0 ? E_DISCONNECTED
			 : (timeout == RCHAN_NOWAIT && !c->waiting_receivers) ? E_WOULDBLOCK : E_OK;
		if (!result) {
			n.queued = true;
			qlist_push(&c->queue, &n.link);
			q.n = &n;
			CHAN_FAULT_STORE_AT(CF_S1_SEND_PAGE_FAULT, 1);
		}
	}
	if (result)
		return result;
	waitq_wake_one(&c->k.recv_waiters);
	CHAN_FAULT_STORE_AT(CF_S1_SEND_PAGE_FAULT, 2);
	struct send_wait w = { c, &n };
	/* adaptive: a receiver on another CPU usually takes it within
	 * microseconds; spin a little before sleeping */
	(void)chan_core_spin_until(taken_or_gone, &w);
	/* try_send: a receiver was waiting; give it a moment to take it */
	if (timeout == RCHAN_NOWAIT)
		deadline = tsc_ns() + 10000000;
	int e = waitq_wait_deadline(CHAN_FAULT_PTR(CF_S5_SEND_WAITQ_BAD, &c->k.send_waiters),
				    taken_or_gone, &w, deadline);
	if (e == E_TIMEDOUT && timeout == RCHAN_NOWAIT)
		e = E_WOULDBLOCK;
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
	CHAN_FAULT_STORE_AT(CF_S1_SEND_PAGE_FAULT, 3);
	/* whatever the outcome, the node leaves the queue with this frame */
	unlink_node(c, &n);
	q.n = NULL;
	if (n.taken)
		return E_OK; /* delivered, whatever else happened meanwhile */
	if (n.failed)
		return E_FAULT; /* the receiver unlinked it: not delivered */
	return c->k.receivers == 0 ? E_DISCONNECTED : e ? e : E_DISCONNECTED;
}

static bool
sender_or_gone(void *ctx)
{
	struct rchan *c = ctx;
	return !qlist_empty(&c->queue) || c->k.senders == 0;
}

/* the node a receiver is copying: unwinding out of the copy hands it back
 * to its sender (the lock is still held: the guard is dropped after) */
struct copying {
	struct rchan *c;
	struct rnode *n;
};

static void
copying_drop(struct copying *cp)
{
	if (!cp->n)
		return;
	/* only a node found in the queue is a sender's: a wrong pointer
	 * (read from a corrupted or misread head) is not touched */
	if (!qlist_unlink(&cp->c->queue, &cp->n->link))
		return;
	cp->n->queued = false;
	cp->n->failed = true;
	waitq_wake_all(&cp->c->k.send_waiters);
}

/* one attempt under the lock: E_OK (copied and taken), E_DISCONNECTED, or
 * E_WOULDBLOCK (counted as a waiting receiver if `waiting`) */
static int
recv_once(struct rchan *c, void *msg, size_t size, bool waiting)
{
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
	struct qlink *head = c->queue.head;
	if (!head)
		head = CHAN_FAULT_PTR(CF_R6_RECV_EMPTY_TAKEN, head);
	struct rnode *n = qlist_entry(head, struct rnode, link);
	/* a node is taken once: one left queued after its exchange ended
	 * (taken) leaves the queue, and the next one is the candidate */
	while (n && n->taken) {
		unlink_node(c, n);
		n = qlist_entry(c->queue.head, struct rnode, link);
	}
	if (!n) {
		if (c->k.senders == 0)
			return E_DISCONNECTED;
		if (waiting)
			c->waiting_receivers++;
		return E_WOULDBLOCK;
	}
	CHAN_FAULT_STORE_AT(CF_R3_RECV_PAGE_FAULT, 1);
	_cleanup_(copying_drop) struct copying cp = { c, n };
	if (!CHAN_FAULT(CF_R2_RECV_STATE_TAKEN))
		memcpy(msg, n->msg, size);
	/* commit: nothing below fails */
	cp.n = NULL;
	if (!CHAN_FAULT(CF_S7_STATE_NOT_RESET))
		unlink_node(c, n);
	n->taken = true;
	(*n->delivered)++;
	return E_OK;
}

/* a taken node's sender must hear of it: the wake-up is an obligation
 * held from the commit on, so a receiver unwound before it wakes the
 * sender (a fault, a kill) still does - else the sender sleeps forever */
static void
wake_senders_drop(struct rchan **cp)
{
	if (*cp)
		waitq_wake_all(&(*cp)->k.send_waiters);
}

int
rchan_recv_raw(struct rchan_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	rx = CHAN_FAULT_PTR(CF_R1_RECV_END_BAD, rx);
	msg = CHAN_FAULT_NULL(CF_R4_RECV_BUF_NULL, msg);
	CHAN_FAULT_STORE_AT(CF_R3_RECV_PAGE_FAULT, 0);
	struct rchan *c = CHAN(rx);
	if (size != c->k.elem)
		return E_INVAL;
	uint64_t deadline = chan_core_deadline(timeout);
	for (;;) {
		_cleanup_(wake_senders_drop) struct rchan *wake = NULL;
		int r = recv_once(c, msg, size, timeout != RCHAN_NOWAIT);
		if (r == E_OK) {
			wake = c; /* the sender sees its node taken (on the way out) */
			CHAN_FAULT_STORE_AT(CF_R3_RECV_PAGE_FAULT, 2);
			return E_OK;
		}
		if (r == E_DISCONNECTED || timeout == RCHAN_NOWAIT)
			return r;
		CHAN_FAULT_STORE_AT(CF_R3_RECV_PAGE_FAULT, 3);
		int e = chan_core_wait(CHAN_FAULT_PTR(CF_R5_RECV_WAITQ_BAD, &c->k.recv_waiters),
				       sender_or_gone, c, deadline);
		{
			_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->k.lock);
			c->waiting_receivers--;
		}
		if (e)
			return e;
	}
}
