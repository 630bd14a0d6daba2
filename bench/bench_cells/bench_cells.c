/*
 * bench_cells: how long loading and linking takes ("bench=cells" on the
 * command line, `make bench-cells` on the host). Loads the boot modules
 * the kernel has loaded (see picked()) again as one batch into a scratch
 * namespace, several times, and a small cell (hello, into
 * a scratch apps namespace) many times; unloads after each round.
 * "create" is thesis Table 9.4's create process: load and link hello
 * from its object file, spawn a task entering its main(), join it,
 * unload (Linux: fork + exec + wait of a static hello).
 * Prints BENCH lines and exits QEMU. No state.
 */
#define LOG_TAG "bench"
#include "cell_mgr.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

void bench_cells_main(const char *cmdline);

/* one load of the batch into a scratch namespace, then its unload; the
 * time to load and link in ns, or 0 after printing a BENCH ERROR line */
static uint64_t
load_round(const char *what, const char *const *names, size_t n, bool apps)
{
	struct cell_error why;
	struct cell_ns *ns = cell_ns_create("bench", apps ? cell_ns_apps() : cell_ns_kernel(), apps);
	if (!ns) {
		kprintf("BENCH ERROR %s: no scratch namespace\n", what);
		return 0;
	}
	uint64_t t0 = tsc_ns();
	int err = cell_load(ns, names, n, &why);
	uint64_t dt = tsc_ns() - t0;
	if (err)
		kprintf("BENCH ERROR %s: load: %s\n", what, why.msg);
	if (cell_ns_destroy(ns, &why)) {
		kprintf("BENCH ERROR %s: unload: %s\n", what, why.msg);
		err = E_BUSY;
	}
	return err ? 0 : (dt ? dt : 1);
}

/* the task's entry: hello's main(argc, argv) */
static uint64_t
run_main(uint64_t main_addr)
{
	static char arg0[] = "hello";
	char *argv[] = { arg0, NULL };
	return (uint64_t)((int (*)(int, char **))(uintptr_t)main_addr)(1, argv);
}

/* one create: load + link hello into a scratch apps namespace, spawn a
 * task at its main(), join it, unload; ns taken, or 0 after a BENCH ERROR */
static uint64_t
create_round(void)
{
	struct cell_error why;
	static const char *const hello[] = { "hello" };
	uint64_t t0 = tsc_ns();
	struct cell_ns *ns = cell_ns_create("bench", cell_ns_apps(), true);
	if (!ns) {
		kprintf("BENCH ERROR create_hello: no scratch namespace\n");
		return 0;
	}
	int err = cell_load(ns, hello, 1, &why);
	const char *what = err ? why.msg : NULL;
	struct cell *c = err ? NULL : cell_find(ns, "hello");
	uint64_t m = c ? cell_own_symbol(c, "main") : 0;
	if (!err && !m)
		what = "hello has no main()";
	uint64_t value = 1;
	if (m) {
		struct task_builder b = TASK_BUILDER(run_main, m);
		b.name = "hello";
		b.ns = ns;
		b.cell = c;
		struct task *t = task_spawn(&b, &err);
		err = t ? task_join(t, &value) : err;
		task_unref(t);
		what = err ? err_str(err) : value ? "main() returned nonzero" : NULL;
	}
	/* the joined task lets go of hello's cell when it is freed (the
	 * reaper, at once or a moment later): like waitpid's reaping, part of
	 * the round */
	int busy = 1;
	for (int i = 0; busy && i < 2000; i++) {
		busy = cell_ns_destroy(ns, &why);
		if (busy)
			task_yield();
	}
	if (busy && !what)
		what = why.msg;
	uint64_t dt = tsc_ns() - t0;
	if (what) {
		kprintf("BENCH ERROR create_hello: %s\n", what);
		return 0;
	}
	return dt ? dt : 1;
}

static bool
time_creates(int rounds)
{
	uint64_t best = UINT64_MAX, total = 0;
	for (int r = 0; r < rounds; r++) {
		uint64_t dt = create_round();
		if (!dt)
			return false;
		total += dt;
		best = dt < best ? dt : best;
	}
	kprintf("BENCH create_hello_avg %lu us (load + link + spawn + join + unload, %d rounds)\n",
		total / (uint64_t)rounds / 1000, rounds);
	kprintf("BENCH create_hello_min %lu us\n", best / 1000);
	return true;
}

/* the batch: the boot modules the kernel has loaded (they are known to
 * link together, unlike all modules: alternative policies such as itc_sync
 * and itc_async define the same symbols, apps all define `main`, test
 * fixtures are broken on purpose), but for this benchmark */
static bool
picked(const char *m)
{
	return cell_find(cell_ns_kernel(), m) && !cell_module_is_app(m) && strcmp(m, "bench_cells");
}

/* `rounds` loads of the batch; prints the average and the minimum, or
 * false at the first failed round */
static bool
time_loads(const char *what, const char *const *names, size_t n, bool apps, int rounds, const char *note)
{
	uint64_t best = UINT64_MAX, total = 0;
	for (int r = 0; r < rounds; r++) {
		uint64_t dt = load_round(what, names, n, apps);
		if (!dt)
			return false;
		total += dt;
		if (dt < best)
			best = dt;
	}
	kprintf("BENCH %s_avg %lu us%s\n", what, total / (uint64_t)rounds / 1000, note);
	kprintf("BENCH %s_min %lu us\n", what, best / 1000);
	return true;
}

void
bench_cells_main(const char *cmdline)
{
	(void)cmdline;
	const char *mods[128], *pick[128];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods)), np = 0;
	for (size_t i = 0; i < n; i++)
		if (picked(mods[i]))
			pick[np++] = mods[i];
	kprintf("BENCH START cells: %zu loaded boot cells per batch (logging quieted while timing)\n", np);
	log_set_level(LOG_WARN); /* a log line costs more than a small load */
	char note[32];
	snprintf(note, sizeof(note), " (%zu cells)", np);
	bool ok = time_loads("load_link_boot_cells", pick, np, false, 20, note);
	static const char *const hello[] = { "hello" };
	ok = ok && time_loads("load_link_hello", hello, 1, true, 200, "");
	ok = ok && time_creates(100);
	log_set_level(LOG_INFO);
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
