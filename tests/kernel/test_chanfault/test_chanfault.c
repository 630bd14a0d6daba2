/*
 * test_chanfault: the thesis's comparison with MINIX 3 (9.2.1) - faults
 * injected into the channel layer itself, each deterministic (chan_fault.h
 * arms one kind at one point), with a sender and a receiver task
 * exchanging N numbered messages through it. Each test reports whether
 * the system recovered without losing a message; the last prints the
 * tally (docs/chanfaults.md has the table).
 *
 * The application protocol (how the thesis's restartable tasks keep their
 * progress; here in test-owned memory, the state_db's role):
 *  - The endpoints belong to the conversation's state, not to the tasks:
 *    a task that dies does not disconnect the channel; its restarted self
 *    borrows the same endpoints.
 *  - The sender's progress is `next`, the first sequence number not yet
 *    acknowledged. A send and the update of `next` form one kill-shielded
 *    section, so a kill (the watchdog's) lands after the record. E_OK
 *    advances `next`; E_FAULT (a rendezvous receiver died copying it) and
 *    a death before E_OK leave it, and the message is sent again.
 *  - The receiver receives straight into its state's `inbox` and records
 *    the message (marks its sequence number seen, empties the inbox) in
 *    the same shielded section. A receiver that dies after the channel
 *    committed the copy but before recording it finds the message in the
 *    inbox when it restarts and records it first. No deduplication hides
 *    anything: a message recorded twice counts as a duplicate, and the
 *    test fails on any duplicate, loss or corrupted content.
 *  - Both tasks promise progress (task_progress_period); a task hung by a
 *    lost wake-up is killed by the watchdog and restarted by the cascade.
 * "Recovered" means: the fault fired, the cascade restarted at least one
 * task, both tasks finished, and all N messages were recorded exactly once.
 * State: the conversation (one test at a time) and the tally.
 */
#include "chan_buffered.h"
#include "chan_fault.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "chan_rendezvous.h"
#include "recovery.h"
#include "task.h"
#include "tsc.h"

#define N_MSGS 32
#define PROGRESS_NS 100000000ULL   /* the tasks' promise to the watchdog */
#define LATE_NS 30000000ULL        /* the second task starts this much later */
#define GIVE_UP_NS 8000000000ULL

struct msg {
	uint32_t seq;    /* 1..N_MSGS; 0: the inbox is empty */
	uint32_t check;  /* a function of seq: corrupted content shows */
};
RCHAN_DEFINE(msg_rv, struct msg)
BCHAN_DEFINE(msg_buf, struct msg)

static uint32_t check_of(uint32_t seq) { return seq * 2654435761u ^ 0x5a5a5a5a; }

struct conv {
	bool buffered;
	struct rchan_tx *rtx;
	struct rchan_rx *rrx;
	struct bchan_tx *btx;
	struct bchan_rx *brx;
	/* the sender's state */
	volatile uint32_t next;
	volatile uint32_t send_faults;     /* E_FAULT: sent again */
	/* the receiver's state */
	struct msg inbox;
	volatile uint8_t seen[N_MSGS + 1];
	volatile uint32_t received, dups, bad, errors;
	/* observation */
	volatile uint32_t sender_runs, receiver_runs;
	volatile bool sender_done, receiver_done;
};

static struct conv cv;

static uint64_t
cf_sender(struct conv *v)
{
	__atomic_add_fetch(&v->sender_runs, 1, __ATOMIC_RELAXED);
	task_progress_period(PROGRESS_NS);
	while (v->next <= N_MSGS) {
		struct msg m = { v->next, check_of(v->next) };
		task_shield_kills();
		int e = v->buffered ? msg_buf_send(v->btx, m, BCHAN_FOREVER)
				    : msg_rv_send(v->rtx, m, RCHAN_FOREVER);
		if (e == E_OK)
			v->next++;
		else if (e == E_FAULT)
			v->send_faults++;
		else if (e != E_INTR)
			v->errors++;
		task_unshield_kills(); /* a pending kill lands here, after the record */
		if (e && e != E_FAULT && e != E_INTR)
			return 1;
		task_progress();
	}
	v->sender_done = true;
	return 0;
}

static void
record(struct conv *v)
{
	struct msg m = v->inbox;
	v->inbox.seq = 0;
	if (!m.seq || m.seq > N_MSGS || m.check != check_of(m.seq)) {
		v->bad++;
		return;
	}
	if (v->seen[m.seq]++)
		v->dups++;
	else
		v->received++;
}

static uint64_t
cf_receiver(struct conv *v)
{
	__atomic_add_fetch(&v->receiver_runs, 1, __ATOMIC_RELAXED);
	task_progress_period(PROGRESS_NS);
	for (;;) {
		task_shield_kills();
		if (v->inbox.seq)
			record(v); /* received by an earlier life, not yet recorded */
		bool all = v->received == N_MSGS;
		int e = E_OK;
		if (!all) {
			e = v->buffered ? msg_buf_recv(v->brx, &v->inbox, BCHAN_FOREVER)
					: msg_rv_recv(v->rrx, &v->inbox, RCHAN_FOREVER);
			if (e == E_OK)
				record(v);
			else if (e != E_INTR)
				v->errors++;
		}
		task_unshield_kills();
		if (all)
			break;
		if (e && e != E_INTR)
			return 1;
		task_progress();
	}
	v->receiver_done = true;
	return 0;
}

/* ---- one experiment ---- */

struct fault_case {
	enum chan_fault_kind kind;
	bool buffered;
	size_t cap;            /* ring slots (buffered) */
	uint32_t after;        /* the fault fires the (after+1)-th time its point is reached */
	bool receiver_first;   /* else the sender starts first */
	bool hang;             /* the fault hangs a task: the watchdog must act */
};

static unsigned tally_recovered, tally_run;

static volatile int last_resorts;
static void fake_last_resort(const char *why) { last_resorts++; }

static void
end_case(struct conv **vp)
{
	struct conv *v = *vp;
	if (chan_fault_arm(CF_NONE, 0))
		log_err("test_chanfault: cannot disarm");
	recovery_set_last_resort(NULL);
	/* tasks still running after a failure: kill them (a plain kill is
	 * not restarted) */
	for (int i = 0; i < 100; i++) {
		struct task *s = task_find("cf_sender");
		struct task *r = task_find("cf_receiver");
		if (!s && !r)
			break;
		if (s) {
			if (task_kill(s, "test_chanfault: giving up"))
				log_warn("test_chanfault: sender already gone");
			task_unref(s);
		}
		if (r) {
			if (task_kill(r, "test_chanfault: giving up"))
				log_warn("test_chanfault: receiver already gone");
			task_unref(r);
		}
		task_sleep_ns(10000000);
	}
	rchan_tx_drop(v->rtx);
	rchan_rx_drop(v->rrx);
	bchan_tx_drop(v->btx);
	bchan_rx_drop(v->brx);
	v->rtx = NULL;
	v->rrx = NULL;
	v->btx = NULL;
	v->brx = NULL;
}

static int
spawn(bool receiver)
{
	int err = E_OK;
	struct task_builder b = receiver ? TASK_BUILDER(cf_receiver, &cv) : TASK_BUILDER(cf_sender, &cv);
	b.restartable = true;
	struct task *t = task_spawn(&b, &err);
	if (t)
		task_unref(t);
	return err;
}

/* runs the case; fills *d (recovery counters moved) and *fired; returns E_OK when the run ended (both tasks
 * done), E_TIMEDOUT if not */
static int
run_case(const struct fault_case *fc, struct recovery_stats *d, uint32_t *fired)
{
	memset(&cv, 0, sizeof(cv));
	cv.buffered = fc->buffered;
	cv.next = 1;
	int e = fc->buffered ? msg_buf_new(fc->cap, &cv.btx, &cv.brx) : msg_rv_new(&cv.rtx, &cv.rrx);
	if (e)
		return e;
	struct recovery_stats s0, s1;
	recovery_stats(&s0);
	uint32_t f0 = chan_fault_fired();
	size_t tasks_before = ktest_tasks();
	if ((e = chan_fault_arm(fc->kind, fc->after)))
		return e;
	if ((e = spawn(fc->receiver_first)))
		return e;
	task_sleep_ns(LATE_NS); /* the first is waiting (asleep) by now */
	if ((e = spawn(!fc->receiver_first)))
		return e;
	uint64_t until = tsc_ns() + GIVE_UP_NS;
	while (!(cv.sender_done && cv.receiver_done) && tsc_ns() < until)
		task_sleep_ns(2000000);
	recovery_stats(&s1);
	d->restarts = s1.restarts - s0.restarts;
	d->watchdog_kills = s1.watchdog_kills - s0.watchdog_kills;
	d->reloads = s1.reloads - s0.reloads;
	*fired = chan_fault_fired() - f0;
	/* the finished tasks leave (the task count is compared after the test) */
	(void)ktest_wait_tasks(tasks_before, 500000000); /* else the runner reports them */
	return cv.sender_done && cv.receiver_done ? E_OK : E_TIMEDOUT;
}

#define CHANFAULT_CASE(tname, ...)                                                    \
	KTEST(chanfault_##tname)                                                          \
	{                                                                                 \
		static const struct fault_case fc = { __VA_ARGS__ };                          \
		_cleanup_(end_case) struct conv *v = &cv;                                     \
		recovery_set_last_resort(fake_last_resort);                                   \
		struct recovery_stats d = { 0 };                                              \
		uint32_t fired = 0;                                                           \
		int e = run_case(&fc, &d, &fired);                                            \
		uint32_t lost = N_MSGS - v->received;                                         \
		bool ok = !e && fired == 1 && d.restarts >= 1 && !lost && !v->dups && !v->bad \
			  && !v->errors && (!fc.hang || d.watchdog_kills >= 1);                   \
		tally_run++;                                                                  \
		tally_recovered += ok;                                                        \
		kprintf("CHANFAULT %s: %s, %u lost, %u duplicated, %u corrupted; fired %u, "  \
			"%lu restarts (%lu by the watchdog), %lu reloads, sender lives %u, "      \
			"receiver lives %u, resent after E_FAULT %u\n",                           \
			chan_fault_name(fc.kind), ok ? "recovered" : "NOT recovered", lost,        \
			v->dups, v->bad, fired, d.restarts, d.watchdog_kills, d.reloads,          \
			v->sender_runs, v->receiver_runs, v->send_faults);                        \
		KT_OK(e);                                                                     \
		KT_EQ(fired, 1);                                                              \
		KT_EQ(lost, 0);                                                               \
		KT_EQ(v->dups, 0);                                                            \
		KT_EQ(v->bad, 0);                                                             \
		KT_EQ(v->errors, 0);                                                          \
		KT_ASSERT(d.restarts >= 1);                                                   \
		KT_ASSERT(!fc.hang || d.watchdog_kills >= 1);                                 \
		KT_EQ(last_resorts, 0);                                                       \
	}

/* the tally over the cases run before it. GCC emits a file's .ktest
 * records in the reverse order of their definitions, and the runner runs
 * them in section order: defined first, this runs last */
KTEST(chanfault_total)
{
	kprintf("CHANFAULT total: %u of %u recovered without losing a message "
		"(thesis: Theseus 11 of 13, MINIX 3 0 of 13)\n", tally_recovered, tally_run);
	KT_EQ(tally_recovered, tally_run);
}

/* rendezvous (chan_rendezvous) */
CHANFAULT_CASE(rv_recv_src_ptr, .kind = CF_RV_RECV_SRC_PTR, .after = 5)
CHANFAULT_CASE(rv_recv_dst_ptr, .kind = CF_RV_RECV_DST_PTR, .after = 5)
CHANFAULT_CASE(rv_send_msg_ptr, .kind = CF_RV_SEND_MSG_PTR, .after = 5)
CHANFAULT_CASE(rv_send_chan_ptr, .kind = CF_RV_SEND_CHAN_PTR, .after = 5)
CHANFAULT_CASE(rv_recv_chan_ptr, .kind = CF_RV_RECV_CHAN_PTR, .after = 5)
CHANFAULT_CASE(rv_send_skip_wake, .kind = CF_RV_SEND_SKIP_WAKE, .receiver_first = true, .hang = true)
CHANFAULT_CASE(rv_recv_skip_wake, .kind = CF_RV_RECV_SKIP_WAKE, .hang = true)
CHANFAULT_CASE(rv_recv_wake_queue, .kind = CF_RV_RECV_WAKE_QUEUE, .after = 5)
/* buffered (chan_buffered) */
CHANFAULT_CASE(buf_recv_dst_ptr, .kind = CF_BUF_RECV_DST_PTR, .buffered = true, .cap = 4, .after = 5)
CHANFAULT_CASE(buf_recv_slot_ptr, .kind = CF_BUF_RECV_SLOT_PTR, .buffered = true, .cap = 4, .after = 5)
CHANFAULT_CASE(buf_send_msg_ptr, .kind = CF_BUF_SEND_MSG_PTR, .buffered = true, .cap = 4, .after = 5)
CHANFAULT_CASE(buf_send_slot_ptr, .kind = CF_BUF_SEND_SLOT_PTR, .buffered = true, .cap = 4, .after = 5)
CHANFAULT_CASE(buf_send_chan_ptr, .kind = CF_BUF_SEND_CHAN_PTR, .buffered = true, .cap = 4, .after = 5)
CHANFAULT_CASE(buf_send_skip_wake, .kind = CF_BUF_SEND_SKIP_WAKE, .buffered = true, .cap = 1,
	       .receiver_first = true, .hang = true)
CHANFAULT_CASE(buf_recv_skip_wake, .kind = CF_BUF_RECV_SKIP_WAKE, .buffered = true, .cap = 1, .hang = true)
CHANFAULT_CASE(buf_recv_wake_queue, .kind = CF_BUF_RECV_WAKE_QUEUE, .buffered = true, .cap = 4, .after = 5)
