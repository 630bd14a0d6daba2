/*
 * bench_unwind: recovery latency ("bench=unwind", `make bench-unwind`):
 * from a fault (a NULL dereference in a frame holding owned objects) to
 * the task fully unwound, and to a restartable task running again.
 * Prints BENCH lines and exits QEMU. No state.
 */
#define LOG_TAG "bench"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "heap.h"
#include "ktest.h"
#include "logger.h"
#include "memory.h"
#include "task.h"
#include "tsc.h"

void bench_unwind_main(const char *cmdline);

#define ROUNDS 50

struct probe {
	volatile uint64_t fault_at;   /* tsc_ns just before the fault */
	volatile uint64_t back_at;    /* tsc_ns when the restarted run starts */
	volatile int runs;
};

static uint64_t
faulter(struct probe *p)
{
	int err;
	_cleanup_(kfreep) char *buf = kmalloc(512);
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	if (__atomic_add_fetch(&p->runs, 1, __ATOMIC_ACQ_REL) == 1) {
		uintptr_t null = 0;
		__asm__("" : "+r"(null)); /* a deliberate NULL dereference */
		volatile uint64_t *bad = (volatile uint64_t *)null;
		p->fault_at = tsc_ns();
		return *bad + (buf ? 1 : 0) + (mp ? 1 : 0);
	}
	p->back_at = tsc_ns();
	return 0;
}

void
bench_unwind_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START unwind (%u CPUs)\n", cpu_count_online());
	log_set_level(LOG_ERROR); /* fault reports are printed by kprintf; quiet the rest */
	uint64_t unwind_total = 0, restart_total = 0, unwind_min = UINT64_MAX, restart_min = UINT64_MAX;
	int done = 0;
	for (int i = 0; i < ROUNDS; i++) {
		static struct probe p;
		p = (struct probe){ 0 };
		uint64_t seq = fault_log_last_seq();
		struct task_builder b = TASK_BUILDER(faulter, &p);
		b.restartable = true;
		b.pin = (int)((cpu_id() + 1) % cpu_count_online());
		int err;
		struct task *t = task_spawn(&b, &err);
		if (!t) {
			kprintf("BENCH ERROR unwind: spawn: %s\n", err_str(err));
			break;
		}
		int e = task_join(t, NULL);
		(void)e;
		task_unref(t);
		uint64_t t0 = tsc_ns();
		while (!p.back_at && tsc_ns() - t0 < 1000000000ULL)
			task_sleep_ns(100000);
		struct fault_record rec;
		if (!p.back_at || fault_log_read(&rec, 1, seq) != 1) {
			kprintf("BENCH ERROR unwind: round %d: %s\n", i,
				!p.back_at ? "the task did not restart within 1 s" : "no fault log entry");
			continue;
		}
		uint64_t restart = p.back_at - p.fault_at;
		unwind_total += rec.unwind_ns;
		restart_total += restart;
		if (rec.unwind_ns < unwind_min)
			unwind_min = rec.unwind_ns;
		if (restart < restart_min)
			restart_min = restart;
		done++;
	}
	log_set_level(LOG_INFO);
	if (done == ROUNDS) {
		kprintf("BENCH fault_to_unwound_avg %lu us (min %lu us, %d faults)\n", unwind_total / done / 1000,
			unwind_min / 1000, done);
		kprintf("BENCH fault_to_restarted_avg %lu us (min %lu us)\n", restart_total / done / 1000,
			restart_min / 1000);
	}
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(done == ROUNDS);
}
