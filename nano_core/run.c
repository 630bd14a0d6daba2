/*
 * run.c: what the nano_core does once memory, heap, symbols and console
 * are up: run the in-kernel tests ("ktest" on the command line), a
 * benchmark ("bench=mem"), or idle. The cell loader's captain cell takes
 * this role over in the next stage.
 */
#define LOG_TAG "nano_core"
#include "nano_core.h"
#include "bench.h"
#include "cpu.h"
#include "ktest.h"
#include "log.h"
#include "mb2.h"
#include "tsc.h"

void
nano_core_run(const struct boot_info *bi)
{
	if (mb2_cmdline_has(bi->cmdline, "ktest"))
		ktest_main(bi->cmdline);
	if (mb2_cmdline_has(bi->cmdline, "bench"))
		bench_main(bi->cmdline);
	log_info("boot complete in %lu ms; nothing more to run yet (the shell arrives with the cell loader)",
		 tsc_ns() / 1000000);
	log_info("exit QEMU with Ctrl-A X");
	for (;;)
		__asm__ volatile("sti; hlt");
}
