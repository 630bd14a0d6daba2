/*
 * simd [KIB] [ROUNDS]: the same computation (libs/vecsum: a sum and a
 * weighted checksum over KIB KiB, ROUNDS times; defaults 256 and 20) run
 * by one task in the kernel namespace and one in the "simd" personality
 * (docs/evolution.md, "Personalities"), each spawned in its namespace,
 * where `vecsum` is a different build; prints each one's build, results
 * and time, and fails if the results differ.
 */
#include "args.h"
#include "base.h"
#include "cell_mgr.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "vecsum.h"

int main(int argc, char **argv);

#define USAGE "simd [KIB] [ROUNDS]"

static int
run_in(const char *nsname, struct vecsum_job *j)
{
	struct cell_ns *ns = cell_ns_find(nsname);
	if (!ns) {
		kprintf("simd: no namespace %s\n", nsname);
		return E_NOENT;
	}
	int err;
	struct task *t = task_spawn_in(ns, "vecsum_task", (uint64_t)(uintptr_t)j, nsname, &err);
	if (!t) {
		kprintf("simd: cannot spawn a task in %s: %s\n", nsname, err_str(err));
		return err;
	}
	uint64_t v;
	err = task_join(t, &v);
	task_unref(t);
	if (err)
		kprintf("simd: the task in %s failed: %s\n", nsname, err_str(err));
	return err;
}

int
main(int argc, char **argv)
{
	uint64_t kib = 256, rounds = 20;
	if (argc > 3)
		return args_bad(argv, 3, USAGE);
	if (argc > 1 && str_to_u64(argv[1], 10, 65536, &kib))
		return args_bad(argv, 1, USAGE);
	if (argc > 2 && str_to_u64(argv[2], 10, 100000, &rounds))
		return args_bad(argv, 2, USAGE);
	if (!kib || !rounds)
		return args_bad(argv, kib ? 2 : 1, USAGE);
	size_t n = kib * 1024 / sizeof(uint32_t);
	uint32_t *a = kmalloc(n * sizeof(*a));
	if (!a) {
		kprintf("simd: out of memory for %lu KiB\n", kib);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)(i * 2654435761u) ^ (uint32_t)(i >> 3);
	struct vecsum_job k = { a, n, (uint32_t)rounds, 0, 0, NULL, 0 }, s = k;
	int err = run_in("kernel", &k);
	if (!err)
		err = run_in("simd", &s);
	kfree(a);
	if (err)
		return 1;
	kprintf("kernel: vecsum built for %s: sum %#lx, weighted %#x, %lu rounds over %lu KiB in %lu us\n", k.isa,
		k.sum, k.weighted, rounds, kib, k.ns / 1000);
	kprintf("simd:   vecsum built for %s: sum %#lx, weighted %#x, %lu rounds over %lu KiB in %lu us (%lu.%02lux)\n",
		s.isa, s.sum, s.weighted, rounds, kib, s.ns / 1000, s.ns ? k.ns / s.ns : 0,
		s.ns ? k.ns * 100 / s.ns % 100 : 0);
	if (k.sum != s.sum || k.weighted != s.weighted) {
		kprintf("simd: the two personalities disagree\n");
		return 1;
	}
	kprintf("simd: both personalities agree\n");
	return 0;
}
