/*
 * chan_core.c: endpoints, counts and references of a channel (see
 * chan_core.h). The counts change under the channel's lock, held by an
 * owned guard; the reference count is atomic, so a channel reference
 * (e.g. kept in the state_db) needs no lock. Wake-ups happen after the
 * lock is dropped.
 */
#include "chan_core.h"
#include "base.h"
#include "heap.h"
#include "sync.h"
#include "tsc.h"

void
chan_core_end_free(struct chan_end *e)
{
	kfree(e);
}

int
chan_core_ends_alloc(struct chan_ends *ends)
{
	_cleanup_(kfreep) struct chan_end *tx = KNEW(struct chan_end);
	_cleanup_(kfreep) struct chan_end *rx = KNEW(struct chan_end);
	if (!tx || !rx)
		return E_NOMEM;
	/* commit: nothing below fails */
	ends->tx = TAKE_PTR(tx);
	ends->rx = TAKE_PTR(rx);
	return E_OK;
}

void
chan_core_ends_drop(struct chan_ends *ends)
{
	chan_core_end_free(ends->tx);
	chan_core_end_free(ends->rx);
}

void
chan_core_open(struct chan_core *k, size_t elem, struct chan_ends *ends)
{
	k->lock = (struct spinlock)SPINLOCK_INIT;
	k->senders = k->receivers = 1;
	k->refs = 2;
	k->elem = elem;
	waitq_init(&k->recv_waiters);
	waitq_init(&k->send_waiters);
	ends->tx->k = k;
	ends->rx->k = k;
}

struct chan_core *
chan_core_ref(struct chan_core *k)
{
	__atomic_add_fetch(&k->refs, 1, __ATOMIC_ACQ_REL);
	return k;
}

struct chan_core *
chan_core_unref(struct chan_core *k)
{
	if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0)
		return k;
	return NULL;
}

/* one more endpoint on a side; a sender only while a receiver remains */
static struct chan_end *
add_end(struct chan_core *k, bool sender, int *err)
{
	_cleanup_(kfreep) struct chan_end *e = KNEW(struct chan_end);
	if (!e)
		return err_null(err, E_NOMEM);
	{
		_cleanup_(guard_drop) struct guard g = spin_irq_lock(&k->lock);
		if (sender && k->receivers == 0)
			return err_null(err, E_DISCONNECTED);
		/* commit: nothing below fails */
		if (sender)
			k->senders++;
		else
			k->receivers++;
	}
	e->k = chan_core_ref(k);
	return TAKE_PTR(e);
}

struct chan_end *
chan_core_add_tx(struct chan_core *k, int *err)
{
	return add_end(k, true, err);
}

struct chan_end *
chan_core_add_rx(struct chan_core *k, int *err)
{
	return add_end(k, false, err);
}

/* one endpoint less on a side; the last one wakes the other side's waiters */
static struct chan_core *
drop_end(struct chan_end *e, bool sender)
{
	if (!e)
		return NULL;
	struct chan_core *k = e->k;
	bool last;
	{
		_cleanup_(guard_drop) struct guard g = spin_irq_lock(&k->lock);
		last = (sender ? --k->senders : --k->receivers) == 0;
	}
	if (last) /* no one left to send to the receivers, resp. receive from the senders */
		waitq_wake_all(sender ? &k->recv_waiters : &k->send_waiters);
	kfree(e);
	return chan_core_unref(k);
}

struct chan_core *
chan_core_drop_tx(struct chan_end *e)
{
	return drop_end(e, true);
}

struct chan_core *
chan_core_drop_rx(struct chan_end *e)
{
	return drop_end(e, false);
}

uint64_t
chan_core_deadline(uint64_t timeout)
{
	return timeout == UINT64_MAX ? UINT64_MAX : tsc_ns() + timeout;
}

#define SPIN_BEFORE_BLOCK 3000

bool
chan_core_spin_until(bool (*cond)(void *ctx), void *ctx)
{
	for (int i = 0; i < SPIN_BEFORE_BLOCK; i++) {
		if (cond(ctx))
			return true;
		__asm__ volatile("pause");
	}
	return false;
}

int
chan_core_wait(struct waitq *q, bool (*cond)(void *ctx), void *ctx, uint64_t deadline)
{
	if (chan_core_spin_until(cond, ctx))
		return E_OK;
	int e = waitq_wait_deadline(q, cond, ctx, deadline);
	if (e)
		waitq_wake_one(q);
	return e;
}
