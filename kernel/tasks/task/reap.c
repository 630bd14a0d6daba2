/*
 * reap.c: freeing exited tasks. A task that has exited switches away for
 * the last time with interrupts off, where it cannot be freed (freeing
 * unmaps its stack, which waits for other CPUs' TLB flushes), so it goes
 * on one system-wide list of zombies. Whatever its CPU does next, the
 * list is drained by the first of: any CPU's voluntary switch or idle
 * loop (task_reap), or the reaper task, which the first zombie wakes and
 * which preemption runs within a few timeslices even when every CPU is
 * busy.
 * State: the zombie list (each entry holds its task's last reference)
 * and the reaper's wait queue.
 */
#define LOG_TAG "reap"
#include "task.h"
#include "cpu.h"
#include "task_int.h"
#include "base.h"

/* guarded by zombie_lock (taken with interrupts off by switches) */
static struct spinlock zombie_lock = SPINLOCK_INIT;
static struct task *zombies;
static struct waitq reaper_q = WAITQ_INIT;

void
task_zombie_add(struct task *t)
{
	bool first;
	{
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&zombie_lock);
		first = zombies == NULL;
		t->all_zombie_next = zombies;
		zombies = t;
	}
	if (first)
		waitq_wake_one(&reaper_q);
}

bool
task_zombies_waiting(void)
{
	return __atomic_load_n(&zombies, __ATOMIC_ACQUIRE) != NULL;
}

void
task_reap(void)
{
	struct task *z;
	{
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&zombie_lock);
		z = zombies;
		zombies = NULL;
	}
	while (z) {
		struct task *next = z->all_zombie_next;
		task_unref(z); /* the task's reference to itself */
		z = next;
	}
}

static bool
zombies_exist(void *ctx)
{
	(void)ctx;
	return task_zombies_waiting();
}

static uint64_t
reaper(uint64_t unused)
{
	(void)unused;
	for (;;) {
		waitq_wait_until(&reaper_q, zombies_exist, NULL);
		task_reap();
	}
	return 0;
}

int
task_reaper_start(void)
{
	struct task_builder b = TASK_BUILDER(reaper, (uint64_t)0);
	b.name = "reaper";
	b.stack_pages = 4;
	b.restartable = true;
	b.system = true;
	return task_spawn_detached(&b);
}
