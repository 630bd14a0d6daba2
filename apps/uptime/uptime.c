/*
 * uptime: time since boot, tasks and CPUs.
 */
#include "args.h"
#include "cpu.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	uint64_t ns = tsc_ns();
	kprintf("up %lu.%03lu s, %zu tasks, %u CPUs\n", ns / 1000000000, ns / 1000000 % 1000, task_count(),
		cpu_count_online());
	return 0;
}
