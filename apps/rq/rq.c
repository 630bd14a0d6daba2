/*
 * rq: each online CPU's running task and runqueue, as the active
 * scheduling policy cell reports them.
 */
#include "args.h"
#include "cpu.h"
#include "logger.h"
#include "task.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	const struct sched_policy *p = sched_policy();
	kprintf("policy: %s\n", p ? p->name : "none");
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct percpu *pc = percpu_of(c);
		if (!pc || !pc->online)
			continue;
		struct task_info cur, q[32];
		size_t n = sched_runqueue_info(c, &cur, q, ARRAY_SIZE(q));
		kprintf("CPU %u: running %s", c, cur.name[0] ? cur.name : "-");
		kprintf("; %zu queued:", n);
		for (size_t i = 0; i < n && i < ARRAY_SIZE(q); i++)
			kprintf(" %s(#%u)", q[i].name, q[i].id);
		kprintf("\n");
	}
	return 0;
}
