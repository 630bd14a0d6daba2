/*
 * rchan.c: the rendezvous channel. Waiting senders form a FIFO of nodes
 * that live in their frames; a receiver copies the first node's message
 * and marks it taken, under the channel lock.
 *
 * Unwinding through it leaves the channel consistent: the lock is held by
 * an owned guard; a receiver copies before it commits (unlink, taken), and
 * a receiver that dies in the copy (a bad pointer) hands the node back to
 * its sender, which keeps its message and hears E_FAULT; a sender that
 * dies with its node queued takes the node out of the queue. The
 * CHAN_FAULT points are the deterministic faults of test_chanfault.
 */
#include "chan_rendezvous.h"
#include "chan_fault.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

struct rnode {
	const void *msg;
	struct rnode *next;
	bool queued, taken;
	bool failed; /* a receiver died copying it: back to the sender */
};

struct rchan {
	struct spinlock lock;
	size_t elem;
	uint32_t senders, receivers, refs, waiting_receivers; /* guarded by lock */
	struct rnode *head, *tail;
	struct waitq for_sender;   /* receivers wait for a sender */
	struct waitq for_receiver; /* senders wait for their node to be taken */
};

struct rchan_tx {
	struct rchan *c;
};

struct rchan_rx {
	struct rchan *c;
};

static void
put_ref(struct rchan *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(c);
}

static struct rchan *
get_ref(struct rchan *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	return c;
}

int
rchan_new_raw(size_t elem, struct rchan_tx **tx, struct rchan_rx **rx)
{
	if (!elem || elem > 4096)
		return E_INVAL;
	_cleanup_(kfreep) struct rchan *c = KNEW(struct rchan);
	_cleanup_(kfreep) struct rchan_tx *t = KNEW(struct rchan_tx);
	_cleanup_(kfreep) struct rchan_rx *r = KNEW(struct rchan_rx);
	if (!c || !t || !r)
		return E_NOMEM;
	/* commit: nothing below fails */
	c->lock = (struct spinlock)SPINLOCK_INIT;
	c->elem = elem;
	c->senders = c->receivers = 1;
	c->refs = 2;
	waitq_init(&c->for_sender);
	waitq_init(&c->for_receiver);
	t->c = c;
	r->c = TAKE_PTR(c);
	*tx = TAKE_PTR(t);
	*rx = TAKE_PTR(r);
	return E_OK;
}

static struct rchan_tx *
new_tx(struct rchan *c, int *err)
{
	struct rchan_tx *t = KNEW(struct rchan_tx);
	if (!t) {
		err_set(err, E_NOMEM);
		return NULL;
	}
	bool irq = spin_lock_irq(&c->lock);
	bool ok = c->receivers > 0;
	if (ok)
		c->senders++;
	spin_unlock_irq(&c->lock, irq);
	if (!ok) {
		kfree(t);
		err_set(err, E_DISCONNECTED);
		return NULL;
	}
	t->c = get_ref(c);
	return t;
}

struct rchan_tx *rchan_tx_clone(const struct rchan_tx *tx, int *err) { return new_tx(tx->c, err); }
struct rchan_tx *rchan_connect_tx(struct rchan *c, int *err) { return new_tx(c, err); }
struct rchan *rchan_of_rx(const struct rchan_rx *rx) { return get_ref(rx->c); }

struct rchan_rx *
rchan_rx_clone(const struct rchan_rx *rx, int *err)
{
	struct rchan_rx *r = KNEW(struct rchan_rx);
	if (!r) {
		err_set(err, E_NOMEM);
		return NULL;
	}
	bool irq = spin_lock_irq(&rx->c->lock);
	rx->c->receivers++;
	spin_unlock_irq(&rx->c->lock, irq);
	r->c = get_ref(rx->c);
	return r;
}

void
rchan_drop(struct rchan *c)
{
	if (c)
		put_ref(c);
}

void
rchan_tx_drop(struct rchan_tx *tx)
{
	if (!tx)
		return;
	struct rchan *c = tx->c;
	bool irq = spin_lock_irq(&c->lock);
	bool last = --c->senders == 0;
	spin_unlock_irq(&c->lock, irq);
	if (last)
		waitq_wake_all(&c->for_sender);
	kfree(tx);
	put_ref(c);
}

void
rchan_rx_drop(struct rchan_rx *rx)
{
	if (!rx)
		return;
	struct rchan *c = rx->c;
	bool irq = spin_lock_irq(&c->lock);
	bool last = --c->receivers == 0;
	spin_unlock_irq(&c->lock, irq);
	if (last)
		waitq_wake_all(&c->for_receiver);
	kfree(rx);
	put_ref(c);
}

struct send_wait {
	struct rchan *c;
	struct rnode *n;
};

static bool
taken_or_gone(void *ctx)
{
	struct send_wait *w = ctx;
	return w->n->taken || w->n->failed || w->c->receivers == 0;
}

static void
unlink_node(struct rchan *c, struct rnode *n)
{
	struct rnode **pp = &c->head, *prev = NULL;
	while (*pp && *pp != n) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = n->next;
	if (c->tail == n)
		c->tail = prev;
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
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&q->c->lock);
	if (q->n->queued)
		unlink_node(q->c, q->n);
}

int
rchan_send_raw(struct rchan_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	struct rchan *c = CHAN_FAULT_PTR(CF_RV_SEND_CHAN_PTR, tx->c);
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = timeout == RCHAN_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
	struct rnode n = { CHAN_FAULT_PTR(CF_RV_SEND_MSG_PTR, msg), NULL, false, false, false };
	int result;
	_cleanup_(queued_drop) struct queued q = { c, NULL };
	{
		_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->lock);
		result = c->receivers == 0 ? E_DISCONNECTED
			 : (timeout == RCHAN_NOWAIT && !c->waiting_receivers) ? E_WOULDBLOCK : E_OK;
		if (!result) {
			n.queued = true;
			if (c->tail)
				c->tail->next = &n;
			else
				c->head = &n;
			c->tail = &n;
			q.n = &n;
		}
	}
	if (result)
		return result;
	if (!CHAN_FAULT(CF_RV_SEND_SKIP_WAKE))
		waitq_wake_one(&c->for_sender);
	struct send_wait w = { c, &n };
	/* adaptive: a receiver on another CPU usually takes it within
	 * microseconds; spin a little before sleeping */
	for (int i = 0; i < 3000 && !taken_or_gone(&w); i++)
		__asm__ volatile("pause");
	/* try_send: a receiver was waiting; give it a moment to take it */
	if (timeout == RCHAN_NOWAIT)
		deadline = tsc_ns() + 10000000;
	int e = waitq_wait_deadline(&c->for_receiver, taken_or_gone, &w, deadline);
	if (e == E_TIMEDOUT && timeout == RCHAN_NOWAIT)
		e = E_WOULDBLOCK;
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->lock);
	q.n = NULL; /* the node leaves the queue below, under the lock */
	if (n.taken)
		return E_OK; /* delivered, whatever else happened meanwhile */
	if (n.failed)
		return E_FAULT; /* the receiver unlinked it: not delivered */
	unlink_node(c, &n);
	return c->receivers == 0 ? E_DISCONNECTED : e ? e : E_DISCONNECTED;
}

static bool
sender_or_gone(void *ctx)
{
	struct rchan *c = ctx;
	return c->head || c->senders == 0;
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
	unlink_node(cp->c, cp->n);
	cp->n->failed = true;
	waitq_wake_all(&cp->c->for_receiver);
}

/* one attempt under the lock: E_OK (copied and taken), E_DISCONNECTED, or
 * E_WOULDBLOCK (counted as a waiting receiver if `waiting`) */
static int
recv_once(struct rchan *c, void *msg, size_t size, bool waiting)
{
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->lock);
	struct rnode *n = c->head;
	if (!n) {
		if (c->senders == 0)
			return E_DISCONNECTED;
		if (waiting)
			c->waiting_receivers++;
		return E_WOULDBLOCK;
	}
	_cleanup_(copying_drop) struct copying cp = { c, n };
	memcpy(CHAN_FAULT_PTR(CF_RV_RECV_DST_PTR, msg), CHAN_FAULT_PTR(CF_RV_RECV_SRC_PTR, n->msg), size);
	/* commit: nothing below fails */
	cp.n = NULL;
	unlink_node(c, n);
	n->taken = true;
	return E_OK;
}

int
rchan_recv_raw(struct rchan_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	struct rchan *c = CHAN_FAULT_PTR(CF_RV_RECV_CHAN_PTR, rx->c);
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = timeout == RCHAN_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
	for (;;) {
		int r = recv_once(c, msg, size, timeout != RCHAN_NOWAIT);
		if (r == E_OK) {
			/* the sender sees its node taken */
			if (!CHAN_FAULT(CF_RV_RECV_SKIP_WAKE))
				waitq_wake_all(CHAN_FAULT_PTR(CF_RV_RECV_WAKE_QUEUE, &c->for_receiver));
			return E_OK;
		}
		if (r == E_DISCONNECTED || timeout == RCHAN_NOWAIT)
			return r;
		int e = E_OK;
		bool spun = false;
		for (int i = 0; i < 3000 && !(spun = sender_or_gone(c)); i++)
			__asm__ volatile("pause");
		if (!spun)
			e = waitq_wait_deadline(&c->for_sender, sender_or_gone, c, deadline);
		{
			_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->lock);
			c->waiting_receivers--;
		}
		if (e) {
			waitq_wake_one(&c->for_sender); /* pass a consumed wake-up on */
			return e;
		}
	}
}
