/*
 * bench_chan: round trip of a 1-byte message between two tasks on two
 * CPUs, for the rendezvous channel, the buffered channel and the fastpath,
 * in ns and TSC cycles. "bench=chan" (`make bench-chan`) prints BENCH
 * lines and exits QEMU; the shell's `chan-bench` calls bench_chan_run().
 * No state.
 */
#define LOG_TAG "bench"
#include "chan_buffered.h"
#include "cpu.h"
#include "base.h"
#include "chan_fast.h"
#include "ktest.h"
#include "logger.h"
#include "chan_rendezvous.h"
#include "task.h"
#include "tsc.h"

BCHAN_DEFINE(bbyte, uint8_t)
RCHAN_DEFINE(rbyte, uint8_t)

void bench_chan_main(const char *cmdline);
int bench_chan_run(unsigned rounds);

struct echo {
	struct bchan_tx *btx;
	struct bchan_rx *brx;
	struct rchan_tx *rtx;
	struct rchan_rx *rrx;
	struct fchan *fping, *fpong;
	unsigned rounds;
};

static uint64_t
b_echo(struct echo *e)
{
	uint8_t b;
	for (unsigned i = 0; i < e->rounds; i++)
		if (bbyte_recv(e->brx, &b, BCHAN_FOREVER) || bbyte_send(e->btx, (uint8_t)(b + 1), BCHAN_FOREVER))
			return 1;
	return 0;
}

static uint64_t
r_echo(struct echo *e)
{
	uint8_t b;
	for (unsigned i = 0; i < e->rounds; i++)
		if (rbyte_recv(e->rrx, &b, RCHAN_FOREVER) || rbyte_send(e->rtx, (uint8_t)(b + 1), RCHAN_FOREVER))
			return 1;
	return 0;
}

static uint64_t
f_echo(struct echo *e)
{
	uint64_t v;
	for (unsigned i = 0; i < e->rounds; i++)
		if (fchan_recv(e->fping, &v) || fchan_send(e->fpong, v + 1))
			return 1;
	return 0;
}

/* join the echo task, then print the figure, or BENCH ERROR (and an error)
 * if the task did not start, failed, or the loop stopped early */
static int
report(const char *what, struct task *t, int spawn_err, uint64_t cycles, unsigned done, unsigned rounds)
{
	if (!t) {
		kprintf("BENCH ERROR %s: spawn: %s\n", what, err_str(spawn_err));
		return spawn_err ? spawn_err : E_NOMEM;
	}
	uint64_t v = 0;
	int err = task_join(t, &v);
	task_unref(t);
	if (err || v || done != rounds) {
		kprintf("BENCH ERROR %s: %s (%u of %u round trips)\n", what,
			err ? err_str(err) : "a send or receive failed", done, rounds);
		return err ? err : E_DISCONNECTED;
	}
	uint64_t per = cycles / rounds;
	kprintf("BENCH %-22s round trip %6lu ns %7lu cycles (%u round trips, 1-byte messages, 2 CPUs)\n", what,
		tsc_cycles_to_ns(per), per, rounds);
	return E_OK;
}

int
bench_chan_run(unsigned rounds)
{
	unsigned other = (cpu_id() + 1) % cpu_count_online();
	struct echo e = { .rounds = rounds };
	int err;
	/* buffered: two channels, one each way */
	struct bchan_tx *to_tx;
	struct bchan_rx *to_rx;
	struct bchan_tx *back_tx;
	struct bchan_rx *back_rx;
	if (bbyte_new(1, &to_tx, &to_rx) || bbyte_new(1, &back_tx, &back_rx))
		return E_NOMEM;
	e.brx = to_rx;
	e.btx = back_tx;
	struct task_builder b = TASK_BUILDER(b_echo, &e);
	b.pin = (int)other;
	struct task *t = task_spawn(&b, &err);
	uint64_t c0 = rdtsc();
	uint8_t x = 0;
	unsigned i;
	for (i = 0; t && i < rounds; i++) {
		if (bbyte_send(to_tx, x, BCHAN_FOREVER) || bbyte_recv(back_rx, &x, BCHAN_FOREVER))
			break;
	}
	uint64_t cyc = rdtsc() - c0;
	if (!t)
		err = err ? err : E_NOMEM;
	/* a failed loop leaves the echo task blocked: our ends go first */
	if (i != rounds) {
		bchan_tx_drop(to_tx);
		to_tx = NULL;
	}
	int bad = report("buffered channel", t, err, cyc, i, rounds);
	bchan_tx_drop(to_tx);
	bchan_rx_drop(to_rx);
	bchan_tx_drop(back_tx);
	bchan_rx_drop(back_rx);
	if (bad)
		return bad;

	/* rendezvous */
	struct rchan_tx *rto_tx, *rback_tx;
	struct rchan_rx *rto_rx, *rback_rx;
	if (rbyte_new(&rto_tx, &rto_rx) || rbyte_new(&rback_tx, &rback_rx))
		return E_NOMEM;
	e.rrx = rto_rx;
	e.rtx = rback_tx;
	struct task_builder rb = TASK_BUILDER(r_echo, &e);
	rb.pin = (int)other;
	t = task_spawn(&rb, &err);
	c0 = rdtsc();
	for (i = 0; t && i < rounds; i++)
		if (rbyte_send(rto_tx, x, RCHAN_FOREVER) || rbyte_recv(rback_rx, &x, RCHAN_FOREVER))
			break;
	cyc = rdtsc() - c0;
	if (i != rounds) {
		rchan_tx_drop(rto_tx);
		rto_tx = NULL;
	}
	bad = report("rendezvous channel", t, err, cyc, i, rounds);
	rchan_tx_drop(rto_tx);
	rchan_rx_drop(rto_rx);
	rchan_tx_drop(rback_tx);
	rchan_rx_drop(rback_rx);
	if (bad)
		return bad;

	/* fastpath */
	e.fping = fchan_new(&err);
	e.fpong = fchan_new(&err);
	if (!e.fping || !e.fpong) {
		fchan_drop(e.fping);
		fchan_drop(e.fpong);
		return E_NOMEM;
	}
	struct task_builder fb = TASK_BUILDER(f_echo, &e);
	fb.pin = (int)other;
	t = task_spawn(&fb, &err);
	c0 = rdtsc();
	uint64_t v = 0;
	for (i = 0; t && i < rounds; i++)
		if (fchan_send(e.fping, v) || fchan_recv(e.fpong, &v))
			break;
	cyc = rdtsc() - c0;
	if (t && i != rounds) {
		/* cannot happen while we hold both channels (E_DISCONNECTED is
		 * their only error); the echo task may wait on fping for ever, so
		 * it and the channels are left alone rather than joined or freed */
		kprintf("BENCH ERROR fastpath: a send or receive failed (%u of %u round trips)\n", i, rounds);
		task_unref(t);
		return E_DISCONNECTED;
	}
	bad = report("fastpath", t, err, cyc, i, rounds);
	fchan_drop(e.fping);
	fchan_drop(e.fpong);
	return bad;
}

void
bench_chan_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START chan (%u CPUs, TSC %lu MHz)\n", cpu_count_online(), tsc_hz() / 1000000);
	int err = bench_chan_run(20000);
	if (err)
		kprintf("BENCH ERROR chan: %s\n", err_str(err));
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(err == E_OK);
}

EXPORT_APP(bench_chan_run);
