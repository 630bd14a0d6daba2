/*
 * kill ID|NAME...: kill tasks; each unwinds from where it is, releasing
 * everything it holds, and its joiners learn why.
 */
#include "base.h"
#include "logger.h"
#include "task.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc < 2) {
		kprintf("usage: kill ID|NAME...\n");
		return 2;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		_cleanup_(task_unref_p) struct task *t = task_find(argv[i]);
		if (!t) {
			kprintf("kill: no task %s\n", argv[i]);
			status = 1;
			continue;
		}
		int err = task_kill(t, "killed from the shell");
		if (err) {
			kprintf("kill: %s (#%u): %s\n", t->name, t->id, err_str(err));
			status = 1;
		} else {
			kprintf("killed task #%u (%s)\n", t->id, t->name);
		}
	}
	return status;
}
