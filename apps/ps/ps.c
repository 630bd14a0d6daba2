/*
 * ps: every task - id, name, runstate, CPU, pin, entry cell, run time.
 */
#include "args.h"
#include "fmt.h"
#include "heap.h"
#include "logger.h"
#include "task.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	size_t n = task_count() + 16;
	_cleanup_(kfreep) struct task_info *info = kmalloc(n * sizeof(*info));
	if (!info)
		return 1;
	size_t total = task_list(info, n);
	kprintf("%5s %-16s %-9s %3s %3s %-12s %10s\n", "ID", "NAME", "STATE", "CPU", "PIN", "CELL", "RUN ms");
	for (size_t i = 0; i < total && i < n; i++) {
		const struct task_info *t = &info[i];
		char pin[8] = "-";
		if (t->pin >= 0)
			snprintf(pin, sizeof(pin), "%d", t->pin);
		kprintf("%5u %-16s %-9s %3d %3s %-12s %10lu\n", t->id, t->name,
			t->idle ? "idle" : runstate_str(t->state), t->cpu, pin, t->cell, t->runtime_ns / 1000000);
	}
	kprintf("%zu tasks\n", total);
	return 0;
}
