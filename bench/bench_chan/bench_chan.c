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

enum kind { BUFFERED, RENDEZVOUS, FASTPATH };
enum dir { TO, BACK }; /* to the echoing task, back from it */

struct echo {
	enum kind kind;
	struct bchan_tx *btx[2];
	struct bchan_rx *brx[2];
	struct rchan_tx *rtx[2];
	struct rchan_rx *rrx[2];
	struct fchan *f[2];
	unsigned rounds;
	bool stuck; /* the echo task could not be stopped: it keeps the channels */
};

static int
xsend(struct echo *e, enum dir d, uint64_t v)
{
	switch (e->kind) {
	case BUFFERED: return bbyte_send(e->btx[d], (uint8_t)v, BCHAN_FOREVER);
	case RENDEZVOUS: return rbyte_send(e->rtx[d], (uint8_t)v, RCHAN_FOREVER);
	default: return fchan_send(e->f[d], v);
	}
}

static int
xrecv(struct echo *e, enum dir d, uint64_t *v)
{
	uint8_t b = 0;
	int err;
	switch (e->kind) {
	case BUFFERED: err = bbyte_recv(e->brx[d], &b, BCHAN_FOREVER); break;
	case RENDEZVOUS: err = rbyte_recv(e->rrx[d], &b, RCHAN_FOREVER); break;
	default: return fchan_recv(e->f[d], v);
	}
	*v = b;
	return err;
}

/* the other CPU's side: every message back, plus one */
static uint64_t
echo(struct echo *e)
{
	uint64_t v;
	for (unsigned i = 0; i < e->rounds; i++)
		if (xrecv(e, TO, &v) || xsend(e, BACK, v + 1))
			return 1;
	return 0;
}

/* the echo task while it may run: leaving early (a Ctrl-C on chan-bench
 * unwinds us) kills it and waits for it, so it never stays blocked on
 * channels we then drop; if it does not end within a second its channels
 * are left to it (e->stuck) */
struct echo_task {
	struct task *t;
	struct echo *e;
};

static bool
ended(struct task *t)
{
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	return s == TASK_EXITED || s == TASK_KILLED;
}

static void
echo_task_end(struct echo_task *g)
{
	if (!g->t)
		return;
	if (!ended(g->t)) {
		int err = task_kill(g->t, "its chan-bench ended first");
		(void)err; /* it may have ended meanwhile */
		for (uint64_t end = tsc_ns() + 1000000000ull; !ended(g->t) && tsc_ns() < end;)
			task_yield();
		g->e->stuck = !ended(g->t);
	}
	task_unref(g->t);
	g->t = NULL;
}

/* print the figure, or BENCH ERROR (and an error) if the echo task did
 * not start, failed, or the loop stopped early */
static int
report(const char *what, int err, uint64_t v, uint64_t cycles, unsigned done, unsigned rounds)
{
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

/* e->rounds round trips with an echoing task on CPU other; BENCH line or
 * BENCH ERROR */
static int
measure(struct echo *e, unsigned other, const char *what)
{
	int err = E_OK;
	struct task_builder b = TASK_BUILDER(echo, e);
	b.pin = (int)other;
	b.name = "chan-echo";
	_cleanup_(echo_task_end) struct echo_task g = { task_spawn(&b, &err), e };
	if (!g.t) {
		kprintf("BENCH ERROR %s: spawn: %s\n", what, err_str(err));
		return err ? err : E_NOMEM;
	}
	uint64_t c0 = rdtsc();
	uint64_t x = 0;
	unsigned i;
	for (i = 0; i < e->rounds; i++)
		if (xsend(e, TO, x) || xrecv(e, BACK, &x))
			break;
	uint64_t cyc = rdtsc() - c0;
	if (i != e->rounds) {
		if (e->kind == FASTPATH) {
			/* cannot happen while we hold both channels (E_DISCONNECTED is
			 * their only error); the echo task may wait on f[TO] for ever:
			 * echo_task_end kills it */
			kprintf("BENCH ERROR %s: a send or receive failed (%u of %u round trips)\n", what, i,
				e->rounds);
			return E_DISCONNECTED;
		}
		/* the echo task may be blocked on us: our sending end goes first */
		if (e->kind == BUFFERED) {
			bchan_tx_drop(e->btx[TO]);
			e->btx[TO] = NULL;
		} else {
			rchan_tx_drop(e->rtx[TO]);
			e->rtx[TO] = NULL;
		}
	}
	uint64_t v = 0;
	int jerr = task_join(g.t, &v);
	return report(what, jerr, v, cyc, i, e->rounds);
}

/* every channel end still held (by a run cut short too), unless the echo
 * task could not be stopped and may still use them */
static void
echo_drop(struct echo *e)
{
	if (e->stuck)
		return;
	for (int d = TO; d <= BACK; d++) {
		bchan_tx_drop(e->btx[d]);
		bchan_rx_drop(e->brx[d]);
		rchan_tx_drop(e->rtx[d]);
		rchan_rx_drop(e->rrx[d]);
		fchan_drop(e->f[d]);
		e->btx[d] = NULL, e->brx[d] = NULL, e->rtx[d] = NULL, e->rrx[d] = NULL, e->f[d] = NULL;
	}
}

int
bench_chan_run(unsigned rounds)
{
	unsigned other = (cpu_id() + 1) % cpu_count_online();
	_cleanup_(echo_drop) struct echo e = { .rounds = rounds };
	int err;
	/* buffered: two channels, one each way */
	if (bbyte_new(1, &e.btx[TO], &e.brx[TO]) || bbyte_new(1, &e.btx[BACK], &e.brx[BACK]))
		return E_NOMEM;
	e.kind = BUFFERED;
	int bad = measure(&e, other, "buffered channel");
	echo_drop(&e);
	if (bad)
		return bad;

	/* rendezvous */
	if (rbyte_new(&e.rtx[TO], &e.rrx[TO]) || rbyte_new(&e.rtx[BACK], &e.rrx[BACK]))
		return E_NOMEM;
	e.kind = RENDEZVOUS;
	bad = measure(&e, other, "rendezvous channel");
	echo_drop(&e);
	if (bad)
		return bad;

	/* fastpath */
	e.f[TO] = fchan_new(&err);
	e.f[BACK] = fchan_new(&err);
	if (!e.f[TO] || !e.f[BACK]) {
		kprintf("BENCH ERROR fastpath: %s\n", err_str(err));
		return err;
	}
	e.kind = FASTPATH;
	return measure(&e, other, "fastpath");
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
