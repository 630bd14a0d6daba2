/*
 * bt ID|NAME: the backtrace of a task, by the DWARF unwinder, symbolized.
 */
#include "exceptions.h"
#include "logger.h"
#include "task.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc != 2) {
		kprintf("usage: bt ID|NAME\n");
		return 2;
	}
	_cleanup_(task_unref_p) struct task *t = task_find(argv[1]);
	if (!t) {
		kprintf("bt: no task %s\n", argv[1]);
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
