/*
 * bench_mem.c: map + write + unmap of one 4 KiB page, heap alloc/free
 * pairs, and the thesis's heap workloads threadtest and shbench
 * (heap_load.h) on one task per CPU. Timed with the calibrated TSC; under QEMU TCG the
 * numbers are those of the emulated machine.
 */
#define LOG_TAG "bench"
#include "bench.h"
#include "heap.h"
#include "ktest.h"
#include "logger.h"
#include "klibc.h"
#include "memory.h"
#include "task.h"
#include "tsc.h"
#include "cpu.h"
#include "base.h"

#define MAP_ITERS 5000
#define HEAP_ITERS 200000

#define HL_ALLOC(n) kmalloc(n)
#define HL_FREE(p) kfree(p)
/* GCC 12's analyzer loses track of an allocation stored into an array
 * the caller owns (shbench frees each slot before refilling it, and all
 * at the end) and reports a leak that is not one */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#include "heap_load.h"
#pragma GCC diagnostic pop

static bool
bench_map(void)
{
	uint64_t best = UINT64_MAX, total = 0;
	for (int i = 0; i < MAP_ITERS; i++) {
		int err;
		uint64_t t0 = rdtsc();
		struct pages *p = pages_alloc(ZONE_ANY, 1, PAGE_SIZE, &err);
		struct frames *f = frames_alloc(1, &err);
		struct mapped_pages *mp = (p && f) ? mp_map(&p, &f, MP_WRITE, &err) : NULL;
		if (!mp) {
			pages_drop(p);
			frames_drop(f);
			kprintf("BENCH ERROR map_write_unmap_4k: %s\n", err_str(err));
			return false;
		}
		volatile uint64_t *w = MP_AS_MUT(mp, uint64_t, 0, &err);
		*w = 0x1234;
		mp_drop(mp);
		uint64_t dt = rdtsc() - t0;
		total += dt;
		if (dt < best)
			best = dt;
	}
	kprintf("BENCH map_write_unmap_4k_avg %lu ns\n", tsc_cycles_to_ns(total / MAP_ITERS));
	kprintf("BENCH map_write_unmap_4k_min %lu ns\n", tsc_cycles_to_ns(best));
	return true;
}

static bool
bench_heap(size_t size, const char *name)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < HEAP_ITERS; i++) {
		void *p = kmalloc(size);
		if (!p) {
			kprintf("BENCH ERROR %s: kmalloc(%zu) failed\n", name, size);
			return false;
		}
		*(volatile char *)p = 1;
		kfree(p);
	}
	uint64_t ns = tsc_cycles_to_ns(rdtsc() - t0);
	kprintf("BENCH %s %lu pairs/s\n", name, ns ? (uint64_t)(HEAP_ITERS * 1000000000UL / ns) : 0UL);
	return true;
}

struct worker {
	bool shbench;
	unsigned idx;
};

/* one task's share; its slot array is its own (one allocation, against
 * millions timed) */
static uint64_t
heap_worker(struct worker *w)
{
	size_t n = w->shbench ? HL_SH_SLOTS : HL_TT_BATCH;
	_cleanup_(kfreep) void **slots = kmalloc(n * sizeof(void *));
	if (!slots)
		return 1;
	if (w->shbench)
		return hl_shbench(slots, HL_SH_SLOTS, HL_SH_OPS, 0x9e3779b97f4a7c15UL * (w->idx + 1));
	return hl_threadtest(slots, HL_TT_ROUNDS, HL_TT_BATCH, HL_TT_SIZE);
}

/* one task per CPU (HL_THREADS, or fewer CPUs), each pinned; the time
 * from the first wake to the last join */
static bool
bench_heap_load(bool shbench, const char *name)
{
	static struct worker w[HL_THREADS];
	unsigned n = cpu_count_online() < HL_THREADS ? cpu_count_online() : HL_THREADS;
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	bool ok = true;
	for (unsigned i = 0; i < n; i++) {
		w[i] = (struct worker){ shbench, i };
		struct task_builder b = TASK_BUILDER(heap_worker, &w[i]);
		b.pin = (int)i;
		b.blocked = true;
		b.name = name;
		int err = task_group_spawn(&g, &b);
		if (err) {
			kprintf("BENCH ERROR %s: spawn: %s\n", name, err_str(err));
			ok = false;
			break;
		}
	}
	uint64_t c0 = rdtsc();
	for (size_t k = 0; k < g.n; k++)
		task_wake(g.tasks[k]);
	uint64_t res[HL_THREADS] = { 0 };
	int e = task_group_join(&g, res);
	uint64_t ns = tsc_cycles_to_ns(rdtsc() - c0);
	uint64_t failed = 0;
	for (unsigned i = 0; i < n; i++)
		failed += res[i];
	if (ok && (e || failed)) {
		kprintf("BENCH ERROR %s: %s (%lu allocations failed)\n", name, e ? err_str(e) : "out of memory",
			failed);
		ok = false;
	}
	if (ok) {
		uint64_t objs = shbench ? (uint64_t)n * HL_SH_OPS : (uint64_t)n * HL_TT_ROUNDS * HL_TT_BATCH;
		kprintf("BENCH %s %lu ms (%lu objects, %u tasks on %u CPUs, %lu k pairs/s)\n", name,
			ns / 1000000, objs, n, n, ns ? objs * 1000000UL / ns : 0UL);
	}
	return ok;
}

void
bench_mem_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START (TSC %lu MHz)\n", tsc_hz() / 1000000);
	bool ok = bench_map();
	ok &= bench_heap(64, "heap_alloc_free_64B");
	ok &= bench_heap(1024, "heap_alloc_free_1KiB");
	ok &= bench_heap(64 * 1024, "heap_alloc_free_64KiB");
	ok &= bench_heap_load(false, "threadtest");
	ok &= bench_heap_load(true, "shbench");
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
