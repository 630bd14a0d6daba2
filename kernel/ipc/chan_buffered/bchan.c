/*
 * bchan.c: the buffered channel. One lock per channel guards the ring and
 * the endpoint counts; senders wait on not_full, receivers on not_empty.
 * A message is copied in or out entirely under the lock, so it is either
 * in the ring or not - never half sent, never received twice.
 *
 * Unwinding through it leaves the channel consistent: the lock is held by
 * an owned guard and each side copies before it commits (count, head), so
 * a task that dies in a copy (a bad pointer) leaves the ring as it was.
 * The CHAN_FAULT points are the deterministic faults of test_chanfault.
 */
#include "chan_buffered.h"
#include "chan_fault.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "sync.h"
#include "task.h"
#include "tsc.h"

struct bchan {
	struct spinlock lock;
	size_t elem, cap, head, count;  /* guarded by lock */
	uint32_t senders, receivers;     /* live endpoints */
	uint32_t refs;                   /* endpoints + bchan references */
	struct waitq not_empty, not_full;
	uint8_t *ring;
};

struct bchan_tx {
	struct bchan *c;
};

struct bchan_rx {
	struct bchan *c;
};

static void
put_ref(struct bchan *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		kfree(c->ring);
		kfree(c);
	}
}

static struct bchan *
get_ref(struct bchan *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	return c;
}

int
bchan_new_raw(size_t elem, size_t cap, struct bchan_tx **tx, struct bchan_rx **rx)
{
	if (!elem || !cap || elem > 4096 || cap > (1 << 20))
		return E_INVAL;
	_cleanup_(kfreep) struct bchan *c = KNEW(struct bchan);
	_cleanup_(kfreep) uint8_t *ring = kmalloc(elem * cap);
	_cleanup_(kfreep) struct bchan_tx *t = KNEW(struct bchan_tx);
	_cleanup_(kfreep) struct bchan_rx *r = KNEW(struct bchan_rx);
	if (!c || !ring || !t || !r)
		return E_NOMEM;
	/* commit: nothing below fails */
	c->lock = (struct spinlock)SPINLOCK_INIT;
	c->elem = elem;
	c->cap = cap;
	c->ring = TAKE_PTR(ring);
	c->senders = c->receivers = 1;
	c->refs = 2;
	waitq_init(&c->not_empty);
	waitq_init(&c->not_full);
	t->c = c;
	r->c = TAKE_PTR(c);
	*tx = TAKE_PTR(t);
	*rx = TAKE_PTR(r);
	return E_OK;
}

static struct bchan_tx *
new_tx(struct bchan *c, int *err)
{
	struct bchan_tx *t = KNEW(struct bchan_tx);
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

struct bchan_tx *
bchan_tx_clone(const struct bchan_tx *tx, int *err)
{
	return new_tx(tx->c, err);
}

struct bchan_tx *
bchan_connect_tx(struct bchan *c, int *err)
{
	return new_tx(c, err);
}

struct bchan_rx *
bchan_rx_clone(const struct bchan_rx *rx, int *err)
{
	struct bchan_rx *r = KNEW(struct bchan_rx);
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

struct bchan *
bchan_of_rx(const struct bchan_rx *rx)
{
	return get_ref(rx->c);
}

void
bchan_drop(struct bchan *c)
{
	if (c)
		put_ref(c);
}

void
bchan_tx_drop(struct bchan_tx *tx)
{
	if (!tx)
		return;
	struct bchan *c = tx->c;
	bool irq = spin_lock_irq(&c->lock);
	bool last = --c->senders == 0;
	spin_unlock_irq(&c->lock, irq);
	if (last)
		waitq_wake_all(&c->not_empty); /* receivers: no one left to send */
	kfree(tx);
	put_ref(c);
}

void
bchan_rx_drop(struct bchan_rx *rx)
{
	if (!rx)
		return;
	struct bchan *c = rx->c;
	bool irq = spin_lock_irq(&c->lock);
	bool last = --c->receivers == 0;
	spin_unlock_irq(&c->lock, irq);
	if (last)
		waitq_wake_all(&c->not_full); /* senders: no one left to receive */
	kfree(rx);
	put_ref(c);
}

static bool
can_send(void *ctx)
{
	struct bchan *c = ctx;
	return c->count < c->cap || c->receivers == 0;
}

static bool
can_recv(void *ctx)
{
	struct bchan *c = ctx;
	return c->count > 0 || c->senders == 0;
}

/* adaptive waiting: a partner on another CPU usually answers within
 * microseconds, much sooner than a sleep and an IPI wake-up */
#define SPIN_BEFORE_BLOCK 3000

static bool
spin_until(bool (*cond)(void *), void *ctx)
{
	for (int i = 0; i < SPIN_BEFORE_BLOCK; i++) {
		if (cond(ctx))
			return true;
		__asm__ volatile("pause");
	}
	return false;
}

static uint64_t
deadline_of(uint64_t timeout)
{
	return timeout == BCHAN_FOREVER ? UINT64_MAX : tsc_ns() + timeout;
}

/* one attempt under the lock: E_OK (in the ring), E_DISCONNECTED or E_FULL */
static int
send_once(struct bchan *c, const void *msg, size_t size)
{
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->lock);
	if (c->receivers == 0)
		return E_DISCONNECTED;
	if (c->count == c->cap)
		return E_FULL;
	uint8_t *slot = CHAN_FAULT_PTR(CF_BUF_SEND_SLOT_PTR,
				       c->ring + ((c->head + c->count) % c->cap) * c->elem);
	memcpy(slot, CHAN_FAULT_PTR(CF_BUF_SEND_MSG_PTR, msg), size);
	/* commit: nothing below fails */
	c->count++;
	return E_OK;
}

int
bchan_send_raw(struct bchan_tx *tx, const void *msg, size_t size, uint64_t timeout)
{
	struct bchan *c = CHAN_FAULT_PTR(CF_BUF_SEND_CHAN_PTR, tx->c);
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = deadline_of(timeout);
	for (;;) {
		int r = send_once(c, msg, size);
		if (r == E_OK) {
			if (!CHAN_FAULT(CF_BUF_SEND_SKIP_WAKE))
				waitq_wake_one(&c->not_empty);
			return E_OK;
		}
		if (r == E_DISCONNECTED || timeout == BCHAN_NOWAIT)
			return r;
		if (spin_until(can_send, c))
			continue;
		int e = waitq_wait_deadline(&c->not_full, can_send, c, deadline);
		if (e) {
			/* we may have taken a wake-up meant for another sender */
			waitq_wake_one(&c->not_full);
			return e; /* E_TIMEDOUT or E_INTR: nothing was sent */
		}
	}
}

/* one attempt under the lock: E_OK (copied out), E_DISCONNECTED or E_WOULDBLOCK */
static int
recv_once(struct bchan *c, void *msg, size_t size)
{
	_cleanup_(guard_drop) struct guard g = spin_irq_lock(&c->lock);
	if (c->count == 0)
		return c->senders == 0 ? E_DISCONNECTED : E_WOULDBLOCK;
	const uint8_t *slot = CHAN_FAULT_PTR(CF_BUF_RECV_SLOT_PTR, c->ring + c->head * c->elem);
	memcpy(CHAN_FAULT_PTR(CF_BUF_RECV_DST_PTR, msg), slot, size);
	/* commit: nothing below fails */
	c->head = (c->head + 1) % c->cap;
	c->count--;
	return E_OK;
}

int
bchan_recv_raw(struct bchan_rx *rx, void *msg, size_t size, uint64_t timeout)
{
	struct bchan *c = rx->c;
	if (size != c->elem)
		return E_INVAL;
	uint64_t deadline = deadline_of(timeout);
	for (;;) {
		int r = recv_once(c, msg, size);
		if (r == E_OK) {
			if (!CHAN_FAULT(CF_BUF_RECV_SKIP_WAKE))
				waitq_wake_one(CHAN_FAULT_PTR(CF_BUF_RECV_WAKE_QUEUE, &c->not_full));
			return E_OK;
		}
		if (r == E_DISCONNECTED || timeout == BCHAN_NOWAIT)
			return r;
		if (spin_until(can_recv, c))
			continue;
		int e = waitq_wait_deadline(&c->not_empty, can_recv, c, deadline);
		if (e) {
			waitq_wake_one(&c->not_empty); /* pass a consumed wake-up on */
			return e;
		}
	}
}

size_t
bchan_len(const struct bchan_rx *rx)
{
	return __atomic_load_n(&rx->c->count, __ATOMIC_RELAXED);
}
