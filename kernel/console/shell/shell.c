/*
 * shell.c: the read-run loop.
 */
#define LOG_TAG "shell"
#include "shell_int.h"
#include "task.h"
#include "logger.h"
#include "tty.h"

static uint64_t fulls CELL_CARRY(fulls), overruns CELL_CARRY(overruns);

/* what the console's input reported since the last prompt */
static void
input_notes(void)
{
	uint64_t f = tty_full_count(), o = tty_overruns();
	if (f != fulls)
		kprintf("shell: type-ahead filled the console's %u-byte buffer; the rest waited in the sender (nothing "
			"was lost)\n", TTY_RING);
	if (o != overruns)
		kprintf("shell: the serial port lost %lu byte(s) of input (UART overrun): a line may be garbled\n",
			o - overruns);
	fulls = f;
	overruns = o;
}

uint64_t
shell_main(uint64_t unused)
{
	(void)unused;
	static char line[LINE_MAX];
	kprintf("\nTheseus/C shell. Commands are cells: type `help`; Tab completes.\n");
	/* a long-lived system task promises progress; its waits (a key, a
	 * foreground job) are bounded and count as progress, so a shell that
	 * hangs anywhere else is killed by the watchdog and restarted */
	task_progress_period(TASK_SYSTEM_PROMISE_NS);
	session_restore();
	for (;;) {
		jobs_report_done();
		input_notes();
		if (!line_read(line, sizeof(line)))
			return 0;
		jobs_run(line);
	}
}
