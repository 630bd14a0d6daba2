/*
 * itc.c: channel objects, endpoints, the registry and the blocking loops.
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

struct itc_tx {
	struct itc *c;
};

struct itc_rx {
	struct itc *c;
};

static struct spinlock reg_lock = SPINLOCK_INIT;
static struct itc *reg_head;
static size_t reg_count;

static void
reg_add(struct itc *c)
{
	bool irq = spin_lock_irq(&reg_lock);
	c->reg_next = reg_head;
	if (reg_head)
		reg_head->reg_prev = c;
	reg_head = c;
	reg_count++;
	spin_unlock_irq(&reg_lock, irq);
}

static void
reg_del(struct itc *c)
{
	bool irq = spin_lock_irq(&reg_lock);
	if (c->reg_prev)
		c->reg_prev->reg_next = c->reg_next;
	else
		reg_head = c->reg_next;
	if (c->reg_next)
		c->reg_next->reg_prev = c->reg_prev;
	reg_count--;
	spin_unlock_irq(&reg_lock, irq);
}

int
itc_for_each(int (*fn)(struct itc *c, void *ctx), void *ctx)
{
	int err = E_OK;
	bool irq = spin_lock_irq(&reg_lock);
	for (struct itc *c = reg_head; c && !err; c = c->reg_next)
		err = fn(c, ctx);
	spin_unlock_irq(&reg_lock, irq);
	return err;
}

size_t itc_count(void) { return __atomic_load_n(&reg_count, __ATOMIC_RELAXED); }
const char *itc_policy(void) { return itc_policy_name(); }

static void
put_ref(struct itc *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL))
		return;
	reg_del(c);
	kfree(c->ring);
	kfree(c);
}

static struct itc *
get_ref(struct itc *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	return c;
}

int
itc_new_raw(size_t elem, struct itc_tx **tx, struct itc_rx **rx)
{
	if (!elem || elem > 4096)
		return E_INVAL;
	_cleanup_(kfreep) struct itc *c = KNEW(struct itc);
	_cleanup_(kfreep) struct itc_tx *t = KNEW(struct itc_tx);
	_cleanup_(kfreep) struct itc_rx *r = KNEW(struct itc_rx);
	if (!c || !t || !r)
		return E_NOMEM;
	c->lock = (struct spinlock)SPINLOCK_INIT;
	c->elem = elem;
	c->senders = c->receivers = 1;
	c->refs = 2;
	waitq_init(&c->for_sender);
	waitq_init(&c->for_receiver);
	int err = itc_policy_init(c);
	if (err)
		return err;
	/* commit: nothing below fails */
	reg_add(c);
	t->c = c;
	r->c = TAKE_PTR(c);
	*tx = TAKE_PTR(t);
	*rx = TAKE_PTR(r);
	return E_OK;
}

struct itc_tx *
itc_tx_clone(const struct itc_tx *tx, int *err)
{
	struct itc *c = tx->c;
	struct itc_tx *t = KNEW(struct itc_tx);
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

struct itc_rx *
itc_rx_clone(const struct itc_rx *rx, int *err)
{
	struct itc_rx *r = KNEW(struct itc_rx);
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
itc_tx_drop(struct itc_tx *tx)
{
	if (!tx)
		return;
	struct itc *c = tx->c;
	bool irq = spin_lock_irq(&c->lock);
	bool last = --c->senders == 0;
	spin_unlock_irq(&c->lock, irq);
	if (last)
		waitq_wake_all(&c->for_sender);
	kfree(tx);
	put_ref(c);
}

void
itc_rx_drop(struct itc_rx *rx)
{
	if (!rx)
		return;
	struct itc *c = rx->c;
	bool irq = spin_lock_irq(&c->lock);
	bool last = --c->receivers == 0;
	spin_unlock_irq(&c->lock, irq);
	if (last)
		waitq_wake_all(&c->for_receiver);
	kfree(rx);
	put_ref(c);
}

void
itc_node_push(struct itc *c, struct itc_node *n)
{
	n->queued = true;
	n->next = NULL;
	if (c->tail)
		c->tail->next = n;
	else
		c->head = n;
	c->tail = n;
}

void
itc_node_unlink(struct itc *c, struct itc_node *n)
{
	struct itc_node **pp = &c->head, *prev = NULL;
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

void
itc_ring_put(struct itc *c, const void *msg)
{
	memcpy(c->ring + ((c->rd + c->count) % c->cap) * c->elem, msg, c->elem);
	c->count++;
}

void
itc_ring_get(struct itc *c, void *msg)
{
	memcpy(msg, c->ring + c->rd * c->elem, c->elem);
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
	return w->n->taken || w->c->receivers == 0;
}

int
itc_send_raw(struct itc_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	struct itc *c = tx->c;
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = timeout == ITC_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
	struct itc_node n = { msg, NULL, false, false };
	bool irq = spin_lock_irq(&c->lock);
	int result = c->receivers == 0 ? E_DISCONNECTED
		     : itc_policy_offer(c, &n, timeout == ITC_NOWAIT);
	spin_unlock_irq(&c->lock, irq);
	if (result)
		return result;
	waitq_wake_one(&c->for_sender); /* a receiver has something now */
	if (n.taken)
		return E_OK;
	struct send_wait w = { c, &n };
	/* adaptive: a receiver on another CPU usually takes it within
	 * microseconds; spin a little before sleeping */
	for (int i = 0; i < 3000 && !taken_or_gone(&w); i++)
		__asm__ volatile("pause");
	/* a try_send queued because a receiver was waiting: give it a moment */
	if (timeout == ITC_NOWAIT)
		deadline = tsc_ns() + 10000000;
	int e = waitq_wait_deadline(&c->for_receiver, taken_or_gone, &w, deadline);
	if (e == E_TIMEDOUT && timeout == ITC_NOWAIT)
		e = E_WOULDBLOCK;
	irq = spin_lock_irq(&c->lock);
	if (n.taken)
		result = E_OK; /* delivered, whatever else happened meanwhile */
	else {
		itc_node_unlink(c, &n);
		result = c->receivers == 0 ? E_DISCONNECTED : e ? e : E_DISCONNECTED;
	}
	spin_unlock_irq(&c->lock, irq);
	return result;
}

static bool
message_or_gone(void *ctx)
{
	struct itc *c = ctx;
	return c->head || c->count || c->senders == 0;
}

int
itc_recv_raw(struct itc_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	struct itc *c = rx->c;
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = timeout == ITC_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
	for (;;) {
		bool woke = false;
		bool irq = spin_lock_irq(&c->lock);
		if (itc_policy_take(c, msg, &woke)) {
			spin_unlock_irq(&c->lock, irq);
			if (woke)
				waitq_wake_all(&c->for_receiver); /* a sender sees its node taken */
			return E_OK;
		}
		bool gone = c->senders == 0;
		if (!gone && timeout != ITC_NOWAIT)
			c->waiting_receivers++;
		spin_unlock_irq(&c->lock, irq);
		if (gone)
			return E_DISCONNECTED;
		if (timeout == ITC_NOWAIT)
			return E_WOULDBLOCK;
		int e = E_OK;
		bool spun = false;
		for (int i = 0; i < 3000 && !(spun = message_or_gone(c)); i++)
			__asm__ volatile("pause");
		if (!spun)
			e = waitq_wait_deadline(&c->for_sender, message_or_gone, c, deadline);
		irq = spin_lock_irq(&c->lock);
		c->waiting_receivers--;
		spin_unlock_irq(&c->lock, irq);
		if (e) {
			waitq_wake_one(&c->for_sender); /* pass a consumed wake-up on */
			return e;
		}
	}
}
