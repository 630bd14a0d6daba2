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

volatile uint32_t chan_fault_armed;
static uint8_t armed_acct; /* MM_ACCT_NONE: fires in any task */
static uint32_t countdown;
static uint32_t fired;

static const char *const names[CF_COUNT] = {
	[CF_NONE] = "none",
	[CF_RV_RECV_SRC_PTR] = "rv_recv_src_ptr",
	[CF_RV_RECV_DST_PTR] = "rv_recv_dst_ptr",
	[CF_RV_SEND_MSG_PTR] = "rv_send_msg_ptr",
	[CF_RV_SEND_CHAN_PTR] = "rv_send_chan_ptr",
	[CF_RV_RECV_CHAN_PTR] = "rv_recv_chan_ptr",
	[CF_RV_SEND_SKIP_WAKE] = "rv_send_skip_wake",
	[CF_RV_RECV_SKIP_WAKE] = "rv_recv_skip_wake",
	[CF_RV_RECV_WAKE_QUEUE] = "rv_recv_wake_queue",
	[CF_BUF_RECV_DST_PTR] = "buf_recv_dst_ptr",
	[CF_BUF_RECV_SLOT_PTR] = "buf_recv_slot_ptr",
	[CF_BUF_SEND_MSG_PTR] = "buf_send_msg_ptr",
	[CF_BUF_SEND_SLOT_PTR] = "buf_send_slot_ptr",
	[CF_BUF_SEND_CHAN_PTR] = "buf_send_chan_ptr",
	[CF_BUF_SEND_SKIP_WAKE] = "buf_send_skip_wake",
	[CF_BUF_RECV_SKIP_WAKE] = "buf_recv_skip_wake",
	[CF_BUF_RECV_WAKE_QUEUE] = "buf_recv_wake_queue",
};

const char *
chan_fault_name(enum chan_fault_kind kind)
{
	return (unsigned)kind < CF_COUNT ? names[kind] : "?";
}

int
chan_fault_arm(enum chan_fault_kind kind, uint32_t after)
{
	if ((unsigned)kind >= CF_COUNT)
		return E_INVAL;
	__atomic_store_n(&chan_fault_armed, CF_NONE, __ATOMIC_SEQ_CST);
	__atomic_store_n(&armed_acct, mm_acct_current(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&countdown, after, __ATOMIC_SEQ_CST);
	__atomic_store_n(&chan_fault_armed, kind, __ATOMIC_SEQ_CST);
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
