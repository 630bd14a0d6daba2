/*
 * bt ID|NAME: the backtrace of a task, by the DWARF unwinder, symbolized.
 */
#include "args.h"
#include "exceptions.h"
#include "logger.h"
#include "task.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc > 1)
			return args_bad(argv, argv[1][0] == '-' ? 1 : 2, "bt ID|NAME");
		kprintf("usage: bt ID|NAME\n");
		return ARGS_USAGE;
	}
	uint32_t ids[8];
	size_t found = args_tasks("bt", argv[1], ids, ARRAY_SIZE(ids));
	if (!found)
		return 1;
	if (found > 1) {
		kprintf("bt: %zu tasks are named %s:", found, argv[1]);
		for (size_t k = 0; k < found && k < ARRAY_SIZE(ids); k++)
			kprintf(" #%u", ids[k]);
		kprintf("; name one by ID\n");
		return 1;
	}
	_cleanup_(task_unref_p) struct task *t = task_find_id(ids[0]);
	if (!t) {
		kprintf("bt: task #%u has ended\n", ids[0]);
		return 1;
	}
	uint64_t pcs[32];
	size_t n = 0;
	/* a task that is on a CPU right now has no saved frame: wait a little */
	for (int i = 0; i < 100 && !(n = task_backtrace(t, pcs, 32)); i++)
		task_sleep_ns(1000000);
	if (!n) {
		kprintf("bt: task #%u (%s) is running on CPU %d; try again\n", t->id, t->name, t->cpu);
		return 1;
	}
	kprintf("task #%u (%s), %s:\n", t->id, t->name, runstate_str(t->state));
	for (size_t i = 0; i < n; i++) {
		uint64_t off = 0;
		const char *cell = "?";
		const char *sym = exc_symbolize(pcs[i] - 1, &off, &cell);
		kprintf("  #%-2zu %016lx %s+%#lx (%s)\n", i, pcs[i], sym ? sym : "?", sym ? off + 1 : 0, cell);
	}
	return 0;
}
