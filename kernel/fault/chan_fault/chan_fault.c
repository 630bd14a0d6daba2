/*
 * chan_fault.c: the fault plan behind CHAN_FAULT (chan_fault.h). One plan
 * for all channel cells: arming is for tests, which run one at a time.
 * A plan armed by a task in an accounting domain (a running test, mm_acct)
 * fires only in that domain's tasks: channels other tasks use meanwhile
 * (a `chan-bench &` job in the shell) count down nothing and never fault.
 */
#include "chan_fault.h"
#include "base.h"
#include "mm_acct.h"
#include "page_table.h"

volatile uint32_t chan_fault_armed;
uintptr_t chan_fault_bad;
uint32_t chan_fault_site;
static uint8_t armed_acct; /* MM_ACCT_NONE: fires in any task */
static uint32_t countdown;
static uint32_t fired;

static const char *const names[CF_COUNT] = {
	[CF_NONE] = "none",
	[CF_S1_SEND_PAGE_FAULT] = "s1_send_page_fault",
	[CF_S2_SEND_MSG_NULL] = "s2_send_msg_null",
	[CF_S3_SEND_MSG_BAD] = "s3_send_msg_bad",
	[CF_S4_SEND_END_BAD] = "s4_send_end_bad",
	[CF_S5_SEND_WAITQ_BAD] = "s5_send_waitq_bad",
	[CF_S6_SEND_STATE_TAKEN] = "s6_send_state_taken",
	[CF_S7_STATE_NOT_RESET] = "s7_state_not_reset",
	[CF_R1_RECV_END_BAD] = "r1_recv_end_bad",
	[CF_R2_RECV_STATE_TAKEN] = "r2_recv_state_taken",
	[CF_R3_RECV_PAGE_FAULT] = "r3_recv_page_fault",
	[CF_R4_RECV_BUF_NULL] = "r4_recv_buf_null",
	[CF_R5_RECV_WAITQ_BAD] = "r5_recv_waitq_bad",
	[CF_R6_RECV_EMPTY_TAKEN] = "r6_recv_empty_taken",
};

const char *
chan_fault_name(enum chan_fault_kind kind)
{
	return (unsigned)kind < CF_COUNT ? names[kind] : "?";
}

int
chan_fault_arm(const struct chan_fault_plan *p)
{
	if ((unsigned)p->kind >= CF_COUNT || p->site >= CF_SITES)
		return E_INVAL;
	/* commit: nothing below fails */
	__atomic_store_n(&chan_fault_armed, CF_NONE, __ATOMIC_SEQ_CST);
	__atomic_store_n(&armed_acct, mm_acct_current(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&countdown, p->after, __ATOMIC_SEQ_CST);
	__atomic_store_n(&chan_fault_bad, p->bad, __ATOMIC_SEQ_CST);
	__atomic_store_n(&chan_fault_site, p->site, __ATOMIC_SEQ_CST);
	__atomic_store_n(&chan_fault_armed, p->kind, __ATOMIC_SEQ_CST);
	return E_OK;
}

bool
chan_fault_fire(enum chan_fault_kind kind)
{
	uint8_t d = __atomic_load_n(&armed_acct, __ATOMIC_ACQUIRE);
	if (d != MM_ACCT_NONE && mm_acct_current() != d)
		return false; /* not one of the arming test's tasks */
	uint32_t left = __atomic_load_n(&countdown, __ATOMIC_ACQUIRE);
	for (;;) {
		if (__atomic_load_n(&chan_fault_armed, __ATOMIC_ACQUIRE) != kind)
			return false;
		if (left == 0) {
			/* the one firing: whoever disarms it */
			uint32_t k = kind;
			if (!__atomic_compare_exchange_n(&chan_fault_armed, &k, CF_NONE, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return false;
			__atomic_add_fetch(&fired, 1, __ATOMIC_RELAXED);
			return true;
		}
		if (__atomic_compare_exchange_n(&countdown, &left, left - 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return false;
	}
}

uint32_t
chan_fault_fired(void)
{
	return __atomic_load_n(&fired, __ATOMIC_RELAXED);
}

uint64_t
chan_fault_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* bits 63..47 all equal: an address the CPU translates */
static bool
canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1ffff;
}

static bool
mapped(uint64_t a)
{
	uint64_t phys, flags;
	return canonical(a) && pt_translate(a & ~0xfffULL, &phys, &flags);
}

/* a corrupted pointer is read or written at small offsets (struct fields,
 * an 8-byte message): no address within a page of it may be mapped */
static bool
faults_nearby(uint64_t a)
{
	return !mapped(a) && !mapped(a + 4096) && !mapped(a - 4096);
}

uintptr_t
chan_fault_draw_bad(uint64_t *state)
{
	for (;;) {
		uint64_t r = chan_fault_rand(state);
		uint64_t a = chan_fault_rand(state);
		if (r & 1) { /* a random canonical address: low or high half */
			a &= (1ULL << 47) - 1;
			if (r & 2)
				a |= 0xffff800000000000ULL;
		}
		if (a >= 4096 && faults_nearby(a))
			return (uintptr_t)a;
	}
}
