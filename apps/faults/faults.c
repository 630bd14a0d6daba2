/*
 * faults: the fault log - when, where (CPU, task, cell, section,
 * instruction, address accessed) and what recovery did.
 */
#include "args.h"
#include "exceptions.h"
#include "heap.h"
#include "logger.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	enum { MAX = 64 };
	_cleanup_(kfreep) struct fault_record *r = kmalloc(MAX * sizeof(*r));
	if (!r)
		return 1;
	size_t n = fault_log_read(r, MAX, 0);
	if (!n) {
		kprintf("no faults\n");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		kprintf("#%lu %5lu.%03lus CPU %u task %s (#%u): %s at %#lx in %s:%s", r[i].seq,
			r[i].time_ns / 1000000000, r[i].time_ns / 1000000 % 1000, r[i].cpu, r[i].task,
			r[i].task_id, exc_name(r[i].vector), r[i].rip, r[i].cell, r[i].section);
		if (r[i].vector == 14)
			kprintf(", address %#lx", r[i].cr2);
		if (r[i].vector == VEC_RECOVERY) {
			kprintf("\n    -> %s\n", r[i].action);
			continue;
		}
		kprintf("\n    %s -> %s (%u frames, %u cleanups, %lu us)\n", r[i].msg, r[i].action, r[i].frames,
			r[i].pads, r[i].unwind_ns / 1000);
	}
	return 0;
}
