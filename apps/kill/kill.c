/*
 * kill [-a] ID|NAME...: kill tasks; each unwinds from where it is,
 * releasing everything it holds, and its joiners learn why. A name that
 * several tasks share kills none of them unless -a says all. Idle tasks
 * and system tasks (the shell, recovery, evolve, the reaper) are refused.
 */
#include "args.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"

int main(int argc, char **argv);

#define USAGE "kill [-a] ID|NAME... (-a: every task of that name)"

/* 0 if killed, 1 if refused or gone */
static int
kill_one(uint32_t id)
{
	_cleanup_(task_unref_p) struct task *t = task_find_id(id);
	if (!t) {
		kprintf("kill: task #%u has ended already\n", id);
		return 1;
	}
	if (t->idle) {
		kprintf("kill: task #%u (%s) is CPU %d's idle task: it cannot be killed\n", t->id, t->name, t->pin);
		return 1;
	}
	if (t->builder.system) {
		kprintf("kill: task #%u (%s) is a system task: it cannot be killed\n", t->id, t->name);
		return 1;
	}
	int err = task_kill(t, "killed from the shell");
	if (err == E_NOENT) {
		kprintf("kill: task #%u (%s) has ended already\n", t->id, t->name);
		return 1;
	}
	if (err) {
		kprintf("kill: task #%u (%s): %s\n", t->id, t->name, err_str(err));
		return 1;
	}
	kprintf("killed task #%u (%s)\n", t->id, t->name);
	return 0;
}

int
main(int argc, char **argv)
{
	bool all = false;
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-a"))
			return args_bad(argv, first, USAGE);
		all = true;
	}
	if (first == argc) {
		kprintf("usage: " USAGE "\n");
		return ARGS_USAGE;
	}
	int status = 0;
	for (int i = first; i < argc; i++) {
		uint32_t ids[64];
		size_t n = args_tasks("kill", argv[i], ids, ARRAY_SIZE(ids));
		if (!n) {
			status = 1;
			continue;
		}
		if (n > 1 && !all) {
			kprintf("kill: %zu tasks are named %s:", n, argv[i]);
			for (size_t k = 0; k < n && k < ARRAY_SIZE(ids); k++)
				kprintf(" #%u", ids[k]);
			kprintf("; none killed: name one by ID, or all with `kill -a %s`\n", argv[i]);
			status = 1;
			continue;
		}
		if (n > ARRAY_SIZE(ids)) {
			kprintf("kill: %zu tasks are named %s: killing the first %zu; run it again for the rest\n", n,
				argv[i], ARRAY_SIZE(ids));
			n = ARRAY_SIZE(ids);
			status = 1;
		}
		for (size_t k = 0; k < n; k++)
			status |= kill_one(ids[k]);
	}
	return status;
}
