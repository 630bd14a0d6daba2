/*
 * captain: the first cell loaded at run time. The nano_core finds
 * captain_main by symbol and hands over; the captain brings up the rest of
 * the system (today: the VGA mirror, then tests, benchmarks or idle; later
 * SMP, tasks and the shell). Optional cells are loaded by name and entered
 * by symbol, so nothing links to them unless they are wanted.
 * State: none.
 */
#define LOG_TAG "captain"
#include "captain.h"
#include "cell_mgr.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "cpu.h"
#include "logger.h"
#include "multiboot2.h"
#include "tsc.h"
#include "vga.h"
#include "apic.h"
#include "task.h"
#include "smp.h"
#include "shell.h"
#include "tty.h"

typedef void (*entry_fn)(const char *cmdline);

/* load `cell` (and what it needs) and call its `entry` */
static void
run_cell(const char *cell, const char *entry, const char *cmdline)
{
	struct cell_error why;
	const char *names[] = { cell };
	int err = cell_load(cell_ns_kernel(), names, 1, &why);
	if (err && err != E_EXIST) {
		log_err("%s", why.msg);
		return;
	}
	uint64_t fn = cell_sym_addr(cell_ns_kernel(), entry);
	if (!fn) {
		log_err("cell %s has no entry point %s", cell, entry);
		return;
	}
	((entry_fn)(uintptr_t)fn)(cmdline);
}

/* "bench=NAME": run the benchmark cell bench_NAME's bench_NAME_main, which
 * prints BENCH lines and exits QEMU. If it cannot run, say so and exit QEMU
 * with failure (isa-debug-exit, as ktest_qemu_exit does) rather than boot
 * on: `make bench-NAME` must fail, not wait for its timeout. */
static void
run_bench(const char *cmdline)
{
	const char *b = strstr(cmdline, "bench=");
	if (!b || (b != cmdline && b[-1] != ' '))
		return;
	b += 6;
	size_t n = 0;
	while (b[n] && b[n] != ' ')
		n++;
	char cell[32], entry[48];
	if (n == 0 || n + 6 >= sizeof(cell)) {
		kprintf("BENCH ERROR bench=%.*s: no such benchmark\n", (int)n, b);
	} else {
		snprintf(cell, sizeof(cell), "bench_%.*s", (int)n, b);
		snprintf(entry, sizeof(entry), "%s_main", cell);
		run_cell(cell, entry, cmdline);
		kprintf("BENCH ERROR %s: could not run (see the log above)\n", cell);
	}
	outl(0xf4, 0x11); /* QEMU exit status 35: failure (see ktest_qemu_exit) */
	cpu_halt_forever();
}

static int
install_policy(const char *cell, const char *entry)
{
	struct cell_error why;
	const char *names[] = { cell };
	if (cell_load(cell_ns_kernel(), names, 1, &why)) {
		log_err("%s", why.msg);
		return E_NOENT;
	}
	uint64_t fn = cell_sym_addr(cell_ns_kernel(), entry);
	return fn ? ((int (*)(void))(uintptr_t)fn)() : E_NOENT;
}

/* load every test_* module as one batch, then run the test cell */
static void
run_tests(const char *cmdline)
{
	const char *mods[256], *tests[256];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods)), nt = 0;
	for (size_t i = 0; i < n; i++)
		if (str_starts_with(mods[i], "test_"))
			tests[nt++] = mods[i];
	struct cell_error why;
	if (nt && cell_load(cell_ns_kernel(), tests, nt, &why))
		log_err("loading test cells: %s", why.msg);
	run_cell("ktest", "ktest_main", cmdline);
}

void
captain_main(const struct boot_info *bi)
{
	int err = vga_init();
	if (err)
		log_warn("no VGA text mirror: %s", err_str(err));
	/* tasks: a policy cell (by name: only the chosen one is loaded), then
	 * this code becomes the first task */
	bool prio = mb2_cmdline_has(bi->cmdline, "sched=prio");
	err = install_policy(prio ? "sched_prio" : "sched_rr", prio ? "sched_prio_install" : "sched_rr_install");
	if (!err)
		err = task_init_cpu("captain");
	if (!err)
		err = apic_init_cpu();
	if (!err)
		err = apic_timer_start(100, task_tick);
	if (err) {
		log_err("task bring-up failed: %s", err_str(err));
		cpu_halt_forever();
	}
	irq_enable();
	unsigned ncpus = 1;
	err = smp_init(&ncpus);
	if (err)
		log_warn("SMP: %s; running on %u CPU(s)", err_str(err), ncpus);
	log_info("tasks up on %u CPUs: timer %lu Hz, timeslice %lu ms", ncpus, apic_timer_hz(),
		 task_timeslice_ns() / 1000000);
	run_cell("recovery", "recovery_start", bi->cmdline);
	run_cell("pci", "pci_start", bi->cmdline); /* devices: PCI, then their drivers */
	run_cell("fbterm", "fbterm_start", bi->cmdline); /* the console on the framebuffer */
	run_cell("kbd", "kbd_start", bi->cmdline);       /* a second console input (tty_input) */
	run_cell("mouse", "mouse_start", bi->cmdline);   /* the pointer (port 2 of the same controller) */
	run_cell("personality", "personality_start", bi->cmdline); /* namespaces beside kernel: simd */
	run_cell("memfs", "memfs_start", bi->cmdline);   /* files: the filesystem types, then */
	run_cell("sysview", "sysview_start", bi->cmdline);
	run_cell("vfs", "vfs_start", bi->cmdline);       /* memfs at /, sysview at /sys */
	run_cell("fat32", "fat32_start", bi->cmdline);   /* a FAT32 disk at /disk */
	if (mb2_cmdline_has(bi->cmdline, "ktest"))
		run_tests(bi->cmdline);
	run_bench(bi->cmdline);
	run_cell("evolve", "evolve_start", bi->cmdline);
	if (mb2_cmdline_has(bi->cmdline, "httpd")) /* make run: the status server */
		run_cell("httpd", "httpd_boot", bi->cmdline);
	if (mb2_cmdline_has(bi->cmdline, "workload"))
		run_cell("workload", "workload_start", bi->cmdline);
	struct cell_stats st;
	cell_stats(cell_ns_kernel(), &st);
	log_info("boot complete in %lu ms: %zu cells, %zu sections, %zu symbols, %zu cross-cell dependencies",
		 tsc_ns() / 1000000, st.cells, st.sections, st.symbols, st.deps);
	/* the shell: console input, then its task (the captain's work ends) */
	err = tty_init();
	struct task_builder sb = TASK_BUILDER(shell_main, (uint64_t)0);
	sb.name = "shell";
	sb.restartable = true; /* a shell that crashes comes back */
	sb.system = true;
	struct task *sh = err ? NULL : task_spawn(&sb, &err);
	if (!sh)
		log_err("no shell: %s", err_str(err));
	task_unref(sh);
	/* the captain's work is done: let the idle task have the CPU */
	task_exit(0);
}
