/*
 * fchan.c: spin, then yield, on one shared word.
 */
#include "chan_fast.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "task.h"

struct fchan {
	volatile uint64_t word;
	volatile uint32_t full;
	volatile bool sender_gone, receiver_gone;
} __aligned(64);

#define SPINS_BEFORE_YIELD 2000

struct fchan *
fchan_new(int *err)
{
	struct fchan *c = kzalloc(sizeof(*c));
	if (!c)
		err_set(err, E_NOMEM);
	return c;
}

void
fchan_drop(struct fchan *c)
{
	kfree(c);
}

int
fchan_send(struct fchan *c, uint64_t v)
{
	for (unsigned spins = 0; __atomic_load_n(&c->full, __ATOMIC_ACQUIRE); spins++) {
		if (c->receiver_gone)
			return E_DISCONNECTED;
		if (spins > SPINS_BEFORE_YIELD)
			task_yield();
		else
			cpu_relax();
	}
	if (c->receiver_gone)
		return E_DISCONNECTED;
	c->word = v;
	__atomic_store_n(&c->full, 1, __ATOMIC_RELEASE);
	return E_OK;
}

int
fchan_try_recv(struct fchan *c, uint64_t *v)
{
	if (!__atomic_load_n(&c->full, __ATOMIC_ACQUIRE))
		return c->sender_gone ? E_DISCONNECTED : E_WOULDBLOCK;
	*v = c->word;
	__atomic_store_n(&c->full, 0, __ATOMIC_RELEASE);
	return E_OK;
}

int
fchan_recv(struct fchan *c, uint64_t *v)
{
	for (unsigned spins = 0;; spins++) {
		int e = fchan_try_recv(c, v);
		if (e != E_WOULDBLOCK)
			return e;
		if (spins > SPINS_BEFORE_YIELD)
			task_yield();
		else
			cpu_relax();
	}
}

void fchan_close_sender(struct fchan *c) { c->sender_gone = true; }
void fchan_close_receiver(struct fchan *c) { c->receiver_gone = true; }
