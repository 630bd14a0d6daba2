/*
 * bench_swap: the stage times of live swaps (docs/evolution.md), as the
 * swap command's -v prints them, while two tasks on two CPUs exchange
 * messages over the rendezvous channel ("bench=swap", `make bench-swap`).
 * Three kinds, ROUNDS swaps each: the scheduling policy swapped for the
 * other one (sched_rr <-> sched_prio, with the new policy's _adopt
 * transfer function), and fresh copies of chan_rendezvous (the channel
 * the workload is using) and of sched_rr/sched_prio reloaded into
 * themselves. Prints, per kind, the median of each stage and the
 * longest pause; BENCH ERROR and failure if a swap fails or the
 * workload stops. State: the workload's endpoints and counters.
 */
#define LOG_TAG "bench"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "chan_rendezvous.h"
#include "task.h"
#include "tsc.h"

void bench_swap_main(const char *cmdline);

#define ROUNDS 11
#define TIMEOUT_NS 1000000 /* the workload leaves the channel cell this often */

static struct rchan_tx *wtx;
static struct rchan_rx *wrx;
static volatile bool stop;
static volatile uint64_t sent, received;

static uint64_t
sender(uint64_t unused)
{
	uint64_t i = 0;
	while (!stop)
		if (!rchan_send_raw(wtx, &i, sizeof(i), TIMEOUT_NS))
			sent = ++i;
	return 0;
}

static uint64_t
receiver(uint64_t unused)
{
	uint64_t m;
	while (!stop)
		if (!rchan_recv_raw(wrx, &m, sizeof(m), TIMEOUT_NS))
			received++;
	return 0;
}

/* one swap of old for new (with new's _adopt transfer function when old
 * is registered somewhere); E_OK and *t, or BENCH ERROR */
static int
swap_once(const char *old, const char *new, struct swap_times *t)
{
	struct cell_error why;
	int err = cell_swap_one(cell_ns_kernel(), old, new, t, &why);
	if (err)
		kprintf("BENCH ERROR swap %s -> %s: %s\n", old, new, why.msg);
	return err;
}

static uint64_t
median(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k && v[k - 1] > v[k]; k--) {
			uint64_t x = v[k];
			v[k] = v[k - 1];
			v[k - 1] = x;
		}
	return v[n / 2];
}

enum kind { POLICY, RELOAD_CHAN, RELOAD_POLICY };

/* ROUNDS swaps of one kind; prints one line per stage */
static bool
measure(enum kind kind, const char *key)
{
	static uint64_t st[9][ROUNDS];
	static const char *const stage[9] = { "load", "verify", "quiesce", "rewrite", "deps",
					      "transfer", "cleanup", "pause", "total" };
	uint64_t longest_pause = 0;
	for (int r = 0; r < ROUNDS; r++) {
		bool rr = !strcmp(sched_policy()->name, "round-robin");
		const char *cur = rr ? "sched_rr" : "sched_prio", *other = rr ? "sched_prio" : "sched_rr";
		const char *old = kind == RELOAD_CHAN ? "chan_rendezvous" : cur;
		const char *new = kind == RELOAD_CHAN ? "chan_rendezvous" : kind == POLICY ? other : cur;
		struct swap_times t;
		uint64_t before = received;
		if (swap_once(old, new, &t))
			return false;
		/* the workload goes on through the new code */
		for (int w = 0; w < 1000 && received < before + 5; w++)
			task_sleep_ns(1000000);
		if (received < before + 5) {
			kprintf("BENCH ERROR swap_%s: the channel workload stopped after swap %d\n", key, r);
			return false;
		}
		uint64_t v[9] = { t.load, t.verify, t.quiesce, t.rewrite, t.deps, t.transfer, t.cleanup, t.pause, t.total };
		for (int s = 0; s < 9; s++)
			st[s][r] = v[s];
		if (t.pause > longest_pause)
			longest_pause = t.pause;
	}
	for (int s = 0; s < 9; s++)
		kprintf("BENCH swap_%s_%s %lu us (median of %d)\n", key, stage[s], median(st[s], ROUNDS) / 1000,
			ROUNDS);
	kprintf("BENCH swap_%s_pause_max %lu us\n", key, longest_pause / 1000);
	return true;
}

void
bench_swap_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START swap (%u CPUs, TSC %lu MHz)\n", cpu_count_online(), tsc_hz() / 1000000);
	int err = rchan_new_raw(sizeof(uint64_t), &wtx, &wrx);
	if (err) {
		kprintf("BENCH ERROR swap: no channel: %s\n", err_str(err));
		ktest_qemu_exit(false);
	}
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	unsigned n = cpu_count_online();
	struct task_builder sb = TASK_BUILDER(sender, (uint64_t)0), rb = TASK_BUILDER(receiver, (uint64_t)0);
	sb.pin = (int)((cpu_id() + 1) % n);
	rb.pin = (int)((cpu_id() + 2) % n);
	sb.name = "swap-sender";
	rb.name = "swap-receiver";
	err = task_group_spawn(&g, &sb);
	err = err ? err : task_group_spawn(&g, &rb);
	log_set_level(LOG_WARN);
	bool ok = !err;
	if (err)
		kprintf("BENCH ERROR swap: spawn: %s\n", err_str(err));
	ok = ok && measure(POLICY, "policy");
	ok = ok && measure(RELOAD_POLICY, "policy_reload");
	ok = ok && measure(RELOAD_CHAN, "chan_reload");
	stop = true;
	int je = task_group_join(&g, NULL);
	log_set_level(LOG_INFO);
	if (ok && je)
		kprintf("BENCH ERROR swap: workload: %s\n", err_str(je));
	kprintf("BENCH swap_workload %lu messages\n", (uint64_t)received);
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok && !je);
}
