/*
 * rchan.c: the rendezvous channel. Waiting senders form a FIFO of nodes
 * that live in their frames; a receiver copies the first node's message
 * and marks it taken, under the channel lock.
 */
#include "rchan.h"
#include "err.h"
#include "heap.h"
#include "klibc.h"
#include "spinlock.h"
#include "task.h"
#include "tsc.h"

struct rnode {
	const void *msg;
	struct rnode *next;
	bool queued, taken;
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
	return w->n->taken || w->c->receivers == 0;
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

int
rchan_send_raw(struct rchan_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	struct rchan *c = tx->c;
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = timeout == RCHAN_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
	struct rnode n = { msg, NULL, false, false };
	bool irq = spin_lock_irq(&c->lock);
	int result = c->receivers == 0 ? E_DISCONNECTED
		     : (timeout == RCHAN_NOWAIT && !c->waiting_receivers) ? E_WOULDBLOCK : E_OK;
	if (!result) {
		n.queued = true;
		if (c->tail)
			c->tail->next = &n;
		else
			c->head = &n;
		c->tail = &n;
	}
	spin_unlock_irq(&c->lock, irq);
	if (result)
		return result;
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
	irq = spin_lock_irq(&c->lock);
	if (n.taken)
		result = E_OK; /* delivered, whatever else happened meanwhile */
	else {
		unlink_node(c, &n);
		result = c->receivers == 0 ? E_DISCONNECTED : e ? e : E_DISCONNECTED;
	}
	spin_unlock_irq(&c->lock, irq);
	return result;
}

static bool
sender_or_gone(void *ctx)
{
	struct rchan *c = ctx;
	return c->head || c->senders == 0;
}

int
rchan_recv_raw(struct rchan_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	struct rchan *c = rx->c;
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = timeout == RCHAN_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
	for (;;) {
		bool irq = spin_lock_irq(&c->lock);
		struct rnode *n = c->head;
		if (n) {
			unlink_node(c, n);
			memcpy(msg, n->msg, size);
			n->taken = true;
			spin_unlock_irq(&c->lock, irq);
			waitq_wake_all(&c->for_receiver); /* the sender sees its node taken */
			return E_OK;
		}
		bool gone = c->senders == 0;
		if (!gone && timeout != RCHAN_NOWAIT)
			c->waiting_receivers++;
		spin_unlock_irq(&c->lock, irq);
		if (gone)
			return E_DISCONNECTED;
		if (timeout == RCHAN_NOWAIT)
			return E_WOULDBLOCK;
		int e = E_OK;
		bool spun = false;
		for (int i = 0; i < 3000 && !(spun = sender_or_gone(c)); i++)
			__asm__ volatile("pause");
		if (!spun)
			e = waitq_wait_deadline(&c->for_sender, sender_or_gone, c, deadline);
		irq = spin_lock_irq(&c->lock);
		c->waiting_receivers--;
		spin_unlock_irq(&c->lock, irq);
		if (e) {
			waitq_wake_one(&c->for_sender); /* pass a consumed wake-up on */
			return e;
		}
	}
}
