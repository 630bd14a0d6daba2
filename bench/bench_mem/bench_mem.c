/*
 * bench_mem.c: map + write + unmap of one 4 KiB page, and heap
 * alloc/free pairs. Timed with the calibrated TSC; under QEMU TCG the
 * numbers are those of the emulated machine.
 */
#define LOG_TAG "bench"
#include "bench.h"
#include "heap.h"
#include "ktest.h"
#include "logger.h"
#include "memory.h"
#include "tsc.h"
#include "cpu.h"
#include "base.h"

#define MAP_ITERS 5000
#define HEAP_ITERS 200000

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

void
bench_mem_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START (TSC %lu MHz)\n", tsc_hz() / 1000000);
	bool ok = bench_map();
	ok &= bench_heap(64, "heap_alloc_free_64B");
	ok &= bench_heap(1024, "heap_alloc_free_1KiB");
	ok &= bench_heap(64 * 1024, "heap_alloc_free_64KiB");
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
