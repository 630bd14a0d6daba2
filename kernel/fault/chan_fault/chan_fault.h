/*
 * chan_fault: deterministic fault injection points in the channel cells
 * (chan_rendezvous, chan_buffered), for the thesis's comparison with
 * MINIX 3 (9.2.1; kernel/tests/test_chanfault, docs/chanfaults.md). A
 * test arms one fault kind to fire at the n-th time its point is reached;
 * the point then does the corruption the kind names (a bad pointer, a
 * skipped wake-up) once, and the plan disarms itself.
 *
 * Always compiled in, inert unless armed: a point costs one load of
 * chan_fault_armed and a predicted-not-taken branch.
 * State: the armed kind, its countdown and a count of fired faults - a
 * test-only plan, not state any channel depends on.
 */
#ifndef CHAN_FAULT_H
#define CHAN_FAULT_H

#include "base.h"

enum chan_fault_kind {
	CF_NONE = 0,
	/* rendezvous (rchan.c) */
	CF_RV_RECV_SRC_PTR,      /* receive: the queued message's pointer, as read for the copy */
	CF_RV_RECV_DST_PTR,      /* receive: the receiver's destination pointer */
	CF_RV_SEND_MSG_PTR,      /* send: the message pointer stored in the queued node */
	CF_RV_SEND_CHAN_PTR,     /* send: the channel reference read from the endpoint */
	CF_RV_RECV_CHAN_PTR,     /* receive: the channel reference read from the endpoint */
	CF_RV_SEND_SKIP_WAKE,    /* send: the wake-up of a waiting receiver is skipped */
	CF_RV_RECV_SKIP_WAKE,    /* receive: the wake-up of the sender whose message it took is skipped */
	CF_RV_RECV_WAKE_QUEUE,   /* receive: the wait queue pointer of that wake-up (after the take) */
	/* buffered (bchan.c) */
	CF_BUF_RECV_DST_PTR,     /* receive: the receiver's destination pointer */
	CF_BUF_RECV_SLOT_PTR,    /* receive: the ring slot pointer */
	CF_BUF_SEND_MSG_PTR,     /* send: the sender's message pointer */
	CF_BUF_SEND_SLOT_PTR,    /* send: the ring slot pointer */
	CF_BUF_SEND_CHAN_PTR,    /* send: the channel reference read from the endpoint */
	CF_BUF_SEND_SKIP_WAKE,   /* send: the wake-up of a waiting receiver is skipped */
	CF_BUF_RECV_SKIP_WAKE,   /* receive: the wake-up of a sender waiting for room is skipped */
	CF_BUF_RECV_WAKE_QUEUE,  /* receive: the wait queue pointer of that wake-up (after the take) */
	CF_COUNT
};

/* what a corrupted pointer becomes: an unmapped address in the first
 * page, outside every cell, so the fault is a plain #PF (stage 2) */
#define CHAN_FAULT_BAD_PTR ((void *)(uintptr_t)0x48)

extern volatile uint32_t chan_fault_armed; /* the armed kind, CF_NONE if none */

/* arm kind to fire the (after+1)-th time its point is reached (E_INVAL for
 * an unknown kind); arming CF_NONE disarms. Armed in an accounting domain
 * (a test's task), only that domain's tasks reach the point (mm_acct) */
int chan_fault_arm(enum chan_fault_kind kind, uint32_t after) __must_check;
/* the slow path of CHAN_FAULT: true exactly once, when the countdown ends */
bool chan_fault_fire(enum chan_fault_kind kind);
/* how many faults have fired since boot */
uint32_t chan_fault_fired(void);
const char *chan_fault_name(enum chan_fault_kind kind);

/* at an injection point: true when the fault fires here */
#define CHAN_FAULT(kind) \
	(__builtin_expect(chan_fault_armed == (kind), 0) && chan_fault_fire(kind))

/* a pointer as the fault corrupts it (laundered so the compiler cannot
 * reason about the constant) */
#define CHAN_FAULT_PTR(kind, p) ({                                  \
	__typeof__(p) p_ = (p);                                          \
	if (CHAN_FAULT(kind)) {                                          \
		p_ = (__typeof__(p))CHAN_FAULT_BAD_PTR;                      \
		__asm__ volatile("" : "+r"(p_));                             \
	}                                                                \
	p_;                                                              \
})

#endif
