/*
 * bench_cells: how long loading and linking takes ("bench=cells" on the
 * command line, `make bench-cells` on the host). Loads every boot module
 * that is not loaded yet (except test cells and app cells) as one batch
 * into a scratch namespace, several times, and a small cell (hello, into
 * a scratch apps namespace) many times; unloads after each round.
 * Prints BENCH lines and exits QEMU. No state.
 */
#define LOG_TAG "bench"
#include "cell_mgr.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "tsc.h"

void bench_cells_main(const char *cmdline);

static uint64_t
load_round(const char *const *names, size_t n, bool apps)
{
	struct cell_error why;
	struct cell_ns *ns = cell_ns_create("bench", apps ? cell_ns_apps() : cell_ns_kernel(), apps);
	if (!ns)
		return 0;
	uint64_t t0 = tsc_ns();
	int err = cell_load(ns, names, n, &why);
	uint64_t dt = tsc_ns() - t0;
	if (err)
		log_err("bench load: %s", why.msg);
	if (cell_ns_destroy(ns, &why))
		log_err("bench unload: %s", why.msg);
	return err ? 0 : dt;
}

void
bench_cells_main(const char *cmdline)
{
	(void)cmdline;
	const char *mods[128], *pick[128];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods)), np = 0;
	for (size_t i = 0; i < n; i++)
		if (!str_starts_with(mods[i], "test_") && !str_starts_with(mods[i], "cellfix_") &&
		    strcmp(mods[i], "hello") && strcmp(mods[i], "bench_cells"))
			pick[np++] = mods[i];
	kprintf("BENCH START cells: %zu boot cells per batch (logging quieted while timing)\n", np);
	log_set_level(LOG_WARN); /* a log line costs more than a small load */
	uint64_t best = UINT64_MAX, total = 0;
	const int rounds = 20;
	for (int r = 0; r < rounds; r++) {
		uint64_t dt = load_round(pick, np, false);
		total += dt;
		if (dt && dt < best)
			best = dt;
	}
	kprintf("BENCH load_link_boot_cells_avg %lu us (%zu cells)\n", total / rounds / 1000, np);
	kprintf("BENCH load_link_boot_cells_min %lu us\n", best / 1000);
	static const char *const hello[] = { "hello" };
	best = UINT64_MAX;
	total = 0;
	const int small = 200;
	for (int r = 0; r < small; r++) {
		uint64_t dt = load_round(hello, 1, true);
		total += dt;
		if (dt && dt < best)
			best = dt;
	}
	kprintf("BENCH load_link_hello_avg %lu us\n", total / small / 1000);
	kprintf("BENCH load_link_hello_min %lu us\n", best / 1000);
	log_set_level(LOG_INFO);
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(true);
}
