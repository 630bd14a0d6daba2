/*
 * chan_fault: fault injection points in the rendezvous channel
 * (chan_rendezvous) for the thesis's comparison with MINIX 3 (9.2.1;
 * tests/kernel/test_chanfault, docs/chanfaults.md). The kinds are the
 * thesis's 13 faults (s1-s7 in the send routine, r1-r6 in the receive
 * routine, as the artifact of [54] lists them), placed where our channel
 * does what the thesis's channel did at that point. A test arms one plan:
 * the kind, which time its point fires (after), for the "page fault at a
 * step of the routine" kinds which step (site), and the bad pointer value
 * the corruption writes - random, drawn by chan_fault_draw_bad from a
 * seed. The point does the corruption once, and the plan disarms itself.
 *
 * Always compiled in, inert unless armed: a point costs one load of
 * chan_fault_armed and a predicted-not-taken branch.
 * State: the armed plan and a count of fired faults - a test-only plan,
 * not state any channel depends on.
 */
#ifndef CHAN_FAULT_H
#define CHAN_FAULT_H

#include "base.h"

enum chan_fault_kind {
	CF_NONE = 0,
	/* send routine (rchan_send_raw) */
	CF_S1_SEND_PAGE_FAULT,   /* a store to the bad address at step `site` (0-3) of send */
	CF_S2_SEND_MSG_NULL,     /* send's message pointer becomes NULL */
	CF_S3_SEND_MSG_BAD,      /* send's message pointer becomes the bad address */
	CF_S4_SEND_END_BAD,      /* the sender endpoint pointer becomes the bad address */
	CF_S5_SEND_WAITQ_BAD,    /* the wait queue the sender waits on becomes the bad address */
	CF_S6_SEND_STATE_TAKEN,  /* send begins with its exchange (node) already marked taken */
	CF_S7_STATE_NOT_RESET,   /* after the transfer the exchange is marked taken but left queued */
	/* receive routine (rchan_recv_raw) */
	CF_R1_RECV_END_BAD,      /* the receiver endpoint pointer becomes the bad address */
	CF_R2_RECV_STATE_TAKEN,  /* receive begins by marking the waiting sender's exchange taken, uncopied */
	CF_R3_RECV_PAGE_FAULT,   /* a store to the bad address at step `site` (0-3) of receive */
	CF_R4_RECV_BUF_NULL,     /* the receiver's message buffer pointer becomes NULL */
	CF_R5_RECV_WAITQ_BAD,    /* the wait queue the receiver waits on becomes the bad address */
	CF_R6_RECV_EMPTY_TAKEN,  /* receive reads an empty queue as holding a sender (the bad address) */
	CF_COUNT
};

#define CF_SITES 4 /* steps of a routine where CF_S1/CF_R3 can fire */

struct chan_fault_plan {
	enum chan_fault_kind kind;
	uint32_t after;   /* fire the (after+1)-th time the point is reached */
	uint32_t site;    /* CF_S1, CF_R3: the step (0..CF_SITES-1) */
	uintptr_t bad;    /* the value a corrupted pointer takes (not for the NULL kinds) */
};

extern volatile uint32_t chan_fault_armed; /* the armed kind, CF_NONE if none */
extern uintptr_t chan_fault_bad;           /* the armed plan's bad value */
extern uint32_t chan_fault_site;           /* the armed plan's site */

/* arm the plan (E_INVAL for an unknown kind or site); arming CF_NONE
 * disarms. Armed in an accounting domain (a test's task), only that
 * domain's tasks reach the point (mm_acct) */
int chan_fault_arm(const struct chan_fault_plan *p) __must_check;
/* the slow path of CHAN_FAULT: true exactly once, when the countdown ends */
bool chan_fault_fire(enum chan_fault_kind kind);
/* how many faults have fired since boot */
uint32_t chan_fault_fired(void);
const char *chan_fault_name(enum chan_fault_kind kind);

/* the deterministic generator the plans are drawn from (splitmix64) */
uint64_t chan_fault_rand(uint64_t *state);
/* a random bad pointer: half the draws any 64-bit value (nearly always
 * non-canonical: #GP), half a random canonical address whose page and
 * the next are unmapped when drawn (#PF); never an address that is mapped
 * (a wild write there would corrupt memory, not fault) */
uintptr_t chan_fault_draw_bad(uint64_t *state);

/* at an injection point: true when the fault fires here */
#define CHAN_FAULT(kind) \
	(__builtin_expect(chan_fault_armed == (kind), 0) && chan_fault_fire(kind))

/* a pointer as the fault corrupts it: the plan's bad value, or NULL for
 * the NULL kinds (laundered so the compiler cannot reason about it) */
#define CHAN_FAULT_PTR_AS(kind, p, v) ({                             \
	__typeof__(p) p_ = (p);                                          \
	if (CHAN_FAULT(kind)) {                                          \
		p_ = (__typeof__(p))(v);                                     \
		__asm__ volatile("" : "+r"(p_));                             \
	}                                                                \
	p_;                                                              \
})
#define CHAN_FAULT_PTR(kind, p) CHAN_FAULT_PTR_AS(kind, p, chan_fault_bad)
#define CHAN_FAULT_NULL(kind, p) CHAN_FAULT_PTR_AS(kind, p, 0)

/* a wild store at step `site` of a routine (the thesis's "random page
 * fault"): the faulting instruction is in the channel's own code. A
 * compiler-generated store, not inline asm: with -fnon-call-exceptions
 * GCC covers a store that may trap in the unwind tables (the cleanups in
 * scope run), as it does for every other memory access; an asm
 * statement it assumes never traps, so a fault there would skip them */
#define CHAN_FAULT_STORE_AT(kind, site_)                                 \
	do {                                                                 \
		if (__builtin_expect(chan_fault_armed == (kind), 0)              \
		    && chan_fault_site == (site_) && chan_fault_fire(kind)) {    \
			uintptr_t a_ = chan_fault_bad;                               \
			*(volatile uintptr_t *)a_ = a_;                              \
		}                                                                \
	} while (0)

#endif
