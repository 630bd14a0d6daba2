/*
 * bench_tasks: context switch time (two tasks pinned to one CPU yielding
 * to each other) and spawn + join of an empty task, in ns and TSC cycles
 * ("bench=tasks"; `make bench-tasks`). Prints BENCH lines, exits QEMU.
 * No state.
 */
#define LOG_TAG "bench"
#include "cpu.h"
#include "base.h"
#include "ktest.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

void bench_tasks_main(const char *cmdline);

#define SWITCH_ROUNDS 20000
#define SPAWN_ROUNDS 2000

static uint64_t
yielder(uint64_t rounds)
{
	for (uint64_t i = 0; i < rounds; i++)
		task_yield();
	return 0;
}

static uint64_t
empty(uint64_t x)
{
	return x;
}

static bool
bench_switch(void)
{
	/* a CPU other than ours, so only the two yielders share it */
	unsigned cpu = (cpu_id() + 1) % cpu_count_online();
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	for (int i = 0; i < 2; i++) {
		struct task_builder b = TASK_BUILDER(yielder, (uint64_t)SWITCH_ROUNDS);
		b.pin = (int)cpu;
		b.blocked = true;
		int err = task_group_spawn(&g, &b);
		if (err) {
			kprintf("BENCH ERROR context_switch: spawn: %s\n", err_str(err));
			for (size_t k = 0; k < g.n; k++)
				task_wake(g.tasks[k]);
			return false;
		}
	}
	uint64_t c0 = rdtsc();
	task_wake(g.tasks[0]);
	task_wake(g.tasks[1]);
	int e = task_group_join(&g, NULL);
	uint64_t cycles = rdtsc() - c0;
	if (e) {
		kprintf("BENCH ERROR context_switch: join: %s\n", err_str(e));
		return false;
	}
	uint64_t switches = 2ULL * SWITCH_ROUNDS;
	kprintf("BENCH context_switch %lu ns %lu cycles (%lu switches, 2 tasks yielding on CPU %u)\n",
		tsc_cycles_to_ns(cycles) / switches, cycles / switches, switches, cpu);
	return true;
}

static bool
bench_spawn(void)
{
	uint64_t c0 = rdtsc();
	for (int i = 0; i < SPAWN_ROUNDS; i++) {
		int err;
		struct task_builder b = TASK_BUILDER(empty, (uint64_t)i);
		struct task *t = task_spawn(&b, &err);
		if (!t) {
			kprintf("BENCH ERROR spawn_join_empty: spawn: %s\n", err_str(err));
			return false;
		}
		int e = task_join(t, NULL);
		task_unref(t);
		if (e) {
			kprintf("BENCH ERROR spawn_join_empty: join: %s\n", err_str(e));
			return false;
		}
	}
	uint64_t cycles = (rdtsc() - c0) / SPAWN_ROUNDS;
	kprintf("BENCH spawn_join_empty %lu ns %lu cycles\n", tsc_cycles_to_ns(cycles), cycles);
	return true;
}

void
bench_tasks_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START tasks (%u CPUs, TSC %lu MHz)\n", cpu_count_online(), tsc_hz() / 1000000);
	bool ok = bench_switch();
	ok &= bench_spawn();
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
