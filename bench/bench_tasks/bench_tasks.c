/*
 * bench_tasks: null call (thesis Table 9.4: the current task's id through
 * task_current(), an exported function of the task cell, where Linux
 * calls getpid), context switch time (two tasks pinned to one CPU yielding
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
#define NULL_CALLS 1000000

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

/* ps with two decimals of ns, e.g. "3.57" */
static void
print_ns2(const char *key, uint64_t ps, const char *note)
{
	kprintf("BENCH %s %lu.%02lu ns%s\n", key, ps / 1000, ps % 1000 / 10, note);
}

static bool
bench_null_call(void)
{
	uint64_t sum = 0;
	uint64_t c0 = rdtsc();
	for (int i = 0; i < NULL_CALLS; i++) {
		struct task *t = task_current();
		__asm__ volatile("" : "+r"(t)); /* one call per iteration, not hoisted */
		sum += t->id;
	}
	uint64_t cycles = rdtsc() - c0;
	if (sum != (uint64_t)task_current()->id * NULL_CALLS) {
		kprintf("BENCH ERROR null_call: the current task's id changed under us\n");
		return false;
	}
	print_ns2("null_call", tsc_cycles_to_ns(cycles * 1000 / NULL_CALLS),
		  " (task_current()->id, a call into the task cell)");
	return true;
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
	bool ok = bench_null_call();
	ok &= bench_switch();
	ok &= bench_spawn();
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
