/*
 * bench_recovery: downtime of fault recovery for a channel workload, as
 * thesis Table 9.2 measures it - from the moment a receiving task fails
 * until it is back, has reconnected and has received another message.
 * The receiver (restartable) clones its endpoint from one the bench
 * keeps; a sender sends numbered messages with short timeouts (so it
 * leaves the channel cell regularly and a reload can find a quiet
 * moment). Two failures: a NULL dereference in the receiver (recovery
 * restarts the task, stage 2) and a write into the channel cell's
 * rodata (recovery reloads the channel cell, stage 3, then restarts).
 * For the rendezvous (rchan) and the buffered (bchan) channel.
 * `make bench-recovery`; lines "BENCH downtime ..."; for reloads also the
 * recovery job's stages (recovery_stats: queued, taken, task restarted,
 * and the swap's load, quiesce and pause until then).
 * State: the probe shared with the receiver.
 */
#include "chan_buffered.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "chan_rendezvous.h"
#include "recovery.h"
#include "task.h"
#include "tsc.h"

#define ROUNDS 20
#define JOB_STAGES 9

enum fail_kind { FAIL_NULL, FAIL_CELL };

struct probe {
	bool buffered;
	struct rchan_rx *rrx;  /* the bench's endpoints the receiver clones */
	struct bchan_rx *brx;
	volatile int fail;     /* -1: none; else the failure to inject at the next message */
	volatile uint64_t fail_at, back_at, received;
	volatile uint64_t start_at; /* the new receiver's first instruction */
	volatile bool quit;    /* the receiver returns (end of a round) */
	volatile int alive;    /* receivers running */
};

static void
gone(struct probe **p)
{
	__atomic_sub_fetch(&(*p)->alive, 1, __ATOMIC_ACQ_REL);
}

static int
recv_one(struct probe *p, void *r, uint64_t *m)
{
	return p->buffered ? bchan_recv_raw(r, m, sizeof(*m), 1000000)
			   : rchan_recv_raw(r, m, sizeof(*m), 1000000);
}

static uint64_t
receiver(struct probe *p)
{
	uint64_t f = p->fail_at;
	if (f && p->start_at < f)
		p->start_at = tsc_ns(); /* (older stamps: as back_at's below) */
	__atomic_add_fetch(&p->alive, 1, __ATOMIC_ACQ_REL);
	_cleanup_(gone) struct probe *alive = p;
	int err;
	_cleanup_(rchan_rx_drop_p) struct rchan_rx *rr = p->buffered ? NULL : rchan_rx_clone(p->rrx, &err);
	_cleanup_(bchan_rx_drop_p) struct bchan_rx *br = p->buffered ? bchan_rx_clone(p->brx, &err) : NULL;
	void *rx = p->buffered ? (void *)br : (void *)rr;
	if (!rx)
		return 1;
	for (;;) {
		uint64_t m;
		int e = recv_one(p, rx, &m);
		if (e == E_DISCONNECTED || p->quit)
			return 0;
		if (e)
			continue;
		/* back, reconnected, a message through (a stamp older than the
		 * failure is stale: made while the bench reset the probe with
		 * the last round's fail_at still set) */
		f = p->fail_at;
		if (f && p->back_at < f)
			p->back_at = tsc_ns();
		p->received++;
		int f = p->fail;
		if (f < 0)
			continue;
		p->fail = -1;
		p->fail_at = tsc_ns();
		if (f == FAIL_NULL) {
			uintptr_t null = 0;
			__asm__("" : "+r"(null));
			p->received += *(volatile uint64_t *)null;
		} else {
			/* a stray write into the channel cell's constants */
			struct cell *c = cell_find(cell_ns_kernel(), p->buffered ? "chan_buffered" : "chan_rendezvous");
			volatile uint64_t *ro = (volatile uint64_t *)(uintptr_t)(c ? c->start[REGION_RODATA] : 0);
			*ro = 0;
		}
	}
}

struct sender_arg {
	struct probe *p;
	struct rchan_tx *rtx;
	struct bchan_tx *btx;
	volatile bool stop;
};

static uint64_t
sender(struct sender_arg *s)
{
	uint64_t i = 0;
	while (!s->stop) {
		int e = s->p->buffered ? bchan_send_raw(s->btx, &i, sizeof(i), 1000000)
				       : rchan_send_raw(s->rtx, &i, sizeof(i), 1000000);
		if (!e)
			i++;
		else
			task_sleep_ns(50000);
	}
	return i;
}

static void
sort(uint64_t *v, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++)
		for (uint64_t k = i; k && v[k - 1] > v[k]; k--) {
			uint64_t x = v[k];
			v[k] = v[k - 1];
			v[k - 1] = x;
		}
}

static bool
measure(bool buffered, enum fail_kind kind, const char *label)
{
	static struct probe p;
	static struct sender_arg s;
	p = (struct probe){ .buffered = buffered, .fail = -1 };
	s = (struct sender_arg){ .p = &p };
	int e = buffered ? bchan_new_raw(sizeof(uint64_t), 16, &s.btx, &p.brx)
			 : rchan_new_raw(sizeof(uint64_t), &s.rtx, &p.rrx);
	if (e) {
		kprintf("BENCH ERROR downtime %s: no channel: %s\n", label, err_str(e));
		return false;
	}
	int err;
	struct task_builder sb = TASK_BUILDER(sender, &s);
	sb.name = "dt-sender";
	struct task *st = task_spawn(&sb, &err);
	uint64_t sum = 0, sq = 0, n = 0, nj = 0;
	static uint64_t us[ROUNDS], up[ROUNDS], on[ROUNDS], js[JOB_STAGES][ROUNDS];
	for (int r = 0; r < ROUNDS && st; r++) {
		/* a new receiver each round: recovery escalates on faults that
		 * recur in one task's lineage, and each round is a first fault */
		p.quit = false;
		struct task_builder rb = TASK_BUILDER(receiver, &p);
		rb.name = "dt-receiver";
		rb.restartable = true;
		task_unref(task_spawn(&rb, &err));
		uint64_t seen = p.received;
		for (int w = 0; w < 2000 && p.received < seen + 50; w++)
			task_sleep_ns(100000);
		p.back_at = 0;
		p.start_at = 0;
		p.fail = (int)kind;
		for (int w = 0; w < 3000 && !(p.fail_at && p.back_at > p.fail_at); w++)
			task_sleep_ns(100000);
		p.quit = true;
		for (int w = 0; w < 3000 && __atomic_load_n(&p.alive, __ATOMIC_ACQUIRE); w++)
			task_sleep_ns(100000);
		if (!p.fail_at || p.back_at <= p.fail_at) {
			kprintf("BENCH ERROR downtime %s: round %d: %s\n", label, r,
				!p.fail_at ? "the failure was never injected" : "not back within 300 ms");
			continue;
		}
		uint64_t d = (p.back_at - p.fail_at) / 1000;
		/* the two stages: until the new receiver runs, then until it
		 * has reconnected and received */
		uint64_t st = p.start_at > p.fail_at && p.start_at < p.back_at ? p.start_at : p.back_at;
		up[n] = (st - p.fail_at) / 1000;
		on[n] = (p.back_at - st) / 1000;
		/* a reload, stage by stage: the recovery job's own stamps */
		struct recovery_stats rs;
		recovery_stats(&rs);
		bool job = kind == FAIL_CELL && rs.last_queued_at > p.fail_at && rs.last_taken_at >= rs.last_queued_at &&
			   rs.last_restarted_at >= rs.last_taken_at && st >= rs.last_restarted_at;
		uint64_t v[JOB_STAGES] = { 0 };
		if (job) {
			v[0] = rs.last_queued_at - p.fail_at;
			v[1] = rs.last_taken_at - rs.last_queued_at;
			v[2] = rs.last_load_ns;
			v[3] = rs.last_quiesce_ns;
			v[4] = rs.last_pause_ns;
			v[5] = rs.last_restarted_at - rs.last_taken_at;
			v[6] = st - rs.last_restarted_at;
			v[7] = rs.last_verify_ns;
			v[8] = rs.last_commit_ns;
			for (int k = 0; k < JOB_STAGES; k++)
				js[k][nj] = v[k] / 1000;
			nj++;
		}
		us[n++] = d;
		sum += d;
		sq += d * d;
	}
	if (st) {
		s.stop = true;
		int je = task_join(st, NULL);
		(void)je;
		task_unref(st);
	}
	if (buffered) {
		bchan_tx_drop(s.btx);
		bchan_rx_drop(p.brx);
	} else {
		rchan_tx_drop(s.rtx);
		rchan_rx_drop(p.rrx);
	}
	if (!st) {
		kprintf("BENCH ERROR downtime %s: sender spawn: %s\n", label, err_str(err));
		return false;
	}
	if (n != ROUNDS)
		return false; /* each failed round said why */
	sort(us, n);
	sort(up, n);
	sort(on, n);
	uint64_t mean = sum / n, msq = mean * mean, ex2 = sq / n;
	uint64_t var = ex2 > msq ? ex2 - msq : 0, sd = 0;
	while ((sd + 1) * (sd + 1) <= var)
		sd++;
	kprintf("BENCH downtime %-28s mean %6lu us +- %lu us, median %lu us, min %lu us (%lu rounds)\n", label,
		mean, sd, us[n / 2], us[0], n);
	kprintf("BENCH downtime stages %-21s fault to new receiver running %lu us, then back %lu us (medians)\n",
		label, up[n / 2], on[n / 2]);
	if (nj) {
		for (int k = 0; k < JOB_STAGES; k++)
			sort(js[k], nj);
		kprintf("BENCH downtime reload %-21s fault to job queued %lu us, to job taken %lu us, to task restarted %lu us (swap until committed %lu: load %lu, verify %lu, quiesce %lu, pause %lu), to new receiver running %lu us (medians of %lu)\n",
			label, js[0][nj / 2], js[1][nj / 2], js[5][nj / 2], js[8][nj / 2], js[2][nj / 2], js[7][nj / 2],
			js[3][nj / 2], js[4][nj / 2], js[6][nj / 2], nj);
	}
	return true;
}

void bench_recovery_main(const char *cmdline);

void
bench_recovery_main(const char *cmdline)
{
	kprintf("BENCH START recovery downtime (%u CPUs)\n", cpu_count_online());
	log_set_level(LOG_ERROR);
	bool ok = measure(false, FAIL_NULL, "rendezvous, restart task");
	ok &= measure(false, FAIL_CELL, "rendezvous, reload cell");
	ok &= measure(true, FAIL_NULL, "buffered, restart task");
	ok &= measure(true, FAIL_CELL, "buffered, reload cell");
	log_set_level(LOG_INFO);
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
