/*
 * shell.c: the read-run loop.
 */
#define LOG_TAG "shell"
#include "shell_int.h"
#include "logger.h"

uint64_t
shell_main(uint64_t unused)
{
	(void)unused;
	static char line[LINE_MAX];
	kprintf("\nTheseus/C shell. Commands are cells: type `help`; Tab completes.\n");
	for (;;) {
		jobs_report_done();
		if (!line_read(line, sizeof(line)))
			return 0;
		jobs_run(line);
	}
}
