/*
 * spin [SECONDS]: hold some heap memory and run until killed (or for
 * SECONDS): a target for jobs, kill, Ctrl-C and bt.
 */
#include "args.h"
#include "heap.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	uint64_t secs = 0;
	if (args_opt_number(argc, argv, "spin [SECONDS]", "SECONDS", 1, 1000000000, &secs))
		return ARGS_USAGE;
	_cleanup_(kfreep) char *held = kmalloc(10000); /* released when killed */
	uint64_t end = secs ? tsc_ns() + secs * 1000000000ULL : UINT64_MAX;
	while (tsc_ns() < end)
		task_sleep_ns(10000000);
	return held ? 0 : 1;
}
