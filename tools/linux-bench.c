/*
 * linux-bench.c: the Linux side of `make bench-compare` (thesis §9.3.4,
 * Table 9.4: LMBench-style microbenchmarks, here in C). Built on the
 * host with `gcc -static` and run as /init's child in a busybox
 * initramfs under Debian's kernel on the same QEMU settings as our
 * benchmarks (tools/bench-linux.sh). Prints "BENCH <key> <value> <unit>"
 * lines, the keys tools/benchtab.py pairs with ours:
 *
 *   null_call       getpid() through syscall() (no libc caching)
 *   context_switch  two threads pinned to one CPU, sched_yield() in turn
 *   create          fork + exec of a static hello (this program, "hello")
 *                   + waitpid
 *   thread_create   pthread_create + pthread_join of an empty thread
 *   map_4k          mmap(MAP_POPULATE) + write + munmap of 4 KiB
 *   pipe_round_trip 1-byte round trip over two pipes between two
 *                   threads pinned to different CPUs
 *   heap_64B ...    glibc malloc/free pairs at 64 B, 1 KiB, 64 KiB
 *   threadtest, shbench  bench/bench_mem/heap_load.h on one pthread per
 *                   CPU, the same sequence the kernel runs
 *   fat32_*         bench/bench_fat32's workload on the FAT32 disk /init
 *                   mounted at /fat (linux-bench-fat.h)
 *
 * Run with "hello" as its only argument it prints the greeting and exits
 * (the exec target). Ends by exiting QEMU through isa-debug-exit (port
 * 0xf4) with the kernel's status: 33 success, 35 failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define HL_ALLOC(n) malloc(n)
#define HL_FREE(p) free(p)
#include "../bench/bench_mem/heap_load.h"

static int failed;

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
fail(const char *what, int err)
{
	printf("BENCH ERROR %s: %s\n", what, strerror(err));
	fflush(stdout);
	failed = 1;
}

static int
pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void
bench_null_call(void)
{
	enum { N = 200000 };
	uint64_t t0 = now_ns();
	for (int i = 0; i < N; i++)
		syscall(SYS_getpid);
	uint64_t dt = now_ns() - t0;
	printf("BENCH null_call %.2f ns (getpid)\n", (double)dt / N);
}

/* ---- context switch: two threads on CPU 1 yielding to each other ---- */
enum { SWITCH_ROUNDS = 20000 };
static pthread_barrier_t bar;

static void *
yielder(void *arg)
{
	int e = pin(1);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < SWITCH_ROUNDS && !e; i++)
		sched_yield();
	return (void *)(intptr_t)e;
}

static void
bench_switch(void)
{
	pthread_t t[2];
	pthread_barrier_init(&bar, NULL, 3);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, yielder, NULL))
			return fail("context_switch", errno);
	pthread_barrier_wait(&bar);
	uint64_t t0 = now_ns();
	void *r0, *r1;
	pthread_join(t[0], &r0);
	pthread_join(t[1], &r1);
	uint64_t dt = now_ns() - t0;
	if (r0 || r1)
		return fail("context_switch: pin", (int)(intptr_t)(r0 ? r0 : r1));
	printf("BENCH context_switch %lu ns (%d switches, 2 threads yielding on CPU 1)\n",
	       (unsigned long)(dt / (2 * SWITCH_ROUNDS)), 2 * SWITCH_ROUNDS);
}

/* ---- create: fork + exec hello + wait ---- */
static void
bench_create(const char *self)
{
	enum { N = 100 };
	uint64_t t0 = now_ns();
	for (int i = 0; i < N; i++) {
		pid_t p = fork();
		if (p < 0)
			return fail("create: fork", errno);
		if (p == 0) {
			execl(self, self, "hello", (char *)NULL);
			_exit(127);
		}
		int st;
		if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return fail("create: hello did not run", ECHILD);
	}
	uint64_t dt = now_ns() - t0;
	printf("BENCH create %lu us (fork + exec + wait of a static hello, %d rounds)\n",
	       (unsigned long)(dt / N / 1000), N);
}

static void *
empty(void *arg)
{
	return arg;
}

static void
bench_thread_create(void)
{
	enum { N = 2000 };
	uint64_t t0 = now_ns();
	for (int i = 0; i < N; i++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, empty, NULL);
		if (e)
			return fail("thread_create", e);
		pthread_join(t, NULL);
	}
	uint64_t dt = now_ns() - t0;
	printf("BENCH thread_create %lu ns (pthread_create + join of an empty thread)\n", (unsigned long)(dt / N));
}

static void
bench_map(void)
{
	enum { N = 5000 };
	uint64_t t0 = now_ns();
	for (int i = 0; i < N; i++) {
		volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
					-1, 0);
		if (p == MAP_FAILED)
			return fail("map_4k", errno);
		*p = 1;
		munmap((void *)p, 4096);
	}
	uint64_t dt = now_ns() - t0;
	printf("BENCH map_4k %lu ns (mmap MAP_POPULATE + write + munmap)\n", (unsigned long)(dt / N));
}

/* ---- IPC: 1-byte round trips over two pipes, threads on CPUs 0 and 1 ---- */
enum { RT_ROUNDS = 20000 };
static int to[2], back[2];

static void *
echo(void *arg)
{
	if (pin(1))
		return (void *)1;
	char c;
	for (int i = 0; i < RT_ROUNDS; i++)
		if (read(to[0], &c, 1) != 1 || write(back[1], &c, 1) != 1)
			return (void *)1;
	return NULL;
}

static void
bench_pipe(void)
{
	if (pipe(to) || pipe(back))
		return fail("pipe_round_trip", errno);
	pthread_t t;
	pin(0);
	if (pthread_create(&t, NULL, echo, NULL))
		return fail("pipe_round_trip", errno);
	char c = 0;
	uint64_t t0 = now_ns();
	for (int i = 0; i < RT_ROUNDS; i++)
		if (write(to[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			return fail("pipe_round_trip", errno);
	uint64_t dt = now_ns() - t0;
	void *r;
	pthread_join(t, &r);
	if (r)
		return fail("pipe_round_trip: echo thread", EIO);
	printf("BENCH pipe_round_trip %lu ns (1-byte messages, threads on CPUs 0 and 1)\n",
	       (unsigned long)(dt / RT_ROUNDS));
	close(to[0]), close(to[1]), close(back[0]), close(back[1]);
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
}

static void
bench_heap(size_t size, const char *key)
{
	enum { N = 200000 };
	uint64_t t0 = now_ns();
	for (int i = 0; i < N; i++) {
		volatile char *p = malloc(size);
		if (!p)
			return fail(key, ENOMEM);
		*p = 1;
		free((void *)p);
	}
	uint64_t dt = now_ns() - t0;
	printf("BENCH %s %lu pairs/s (glibc malloc/free)\n", key, (unsigned long)((uint64_t)N * 1000000000u / dt));
}

struct worker {
	int shbench, idx;
	pthread_t t;
	unsigned long failed;
};

static void *
heap_worker(void *arg)
{
	struct worker *w = arg;
	pin(w->idx);
	size_t n = w->shbench ? HL_SH_SLOTS : HL_TT_BATCH;
	void **slots = malloc(n * sizeof(void *));
	pthread_barrier_wait(&bar);
	if (!slots)
		w->failed = 1;
	else if (w->shbench)
		w->failed = hl_shbench(slots, HL_SH_SLOTS, HL_SH_OPS, 0x9e3779b97f4a7c15UL * (unsigned long)(w->idx + 1));
	else
		w->failed = hl_threadtest(slots, HL_TT_ROUNDS, HL_TT_BATCH, HL_TT_SIZE);
	free(slots);
	return NULL;
}

static void
bench_heap_load(int shbench, const char *key)
{
	struct worker w[HL_THREADS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = ncpu < HL_THREADS ? (int)ncpu : HL_THREADS;
	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){ shbench, i, 0, 0 };
		if (pthread_create(&w[i].t, NULL, heap_worker, &w[i]))
			return fail(key, errno);
	}
	pthread_barrier_wait(&bar);
	uint64_t t0 = now_ns();
	unsigned long bad = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].t, NULL);
		bad += w[i].failed;
	}
	uint64_t dt = now_ns() - t0;
	if (bad)
		return fail(key, ENOMEM);
	unsigned long objs = shbench ? (unsigned long)n * HL_SH_OPS : (unsigned long)n * HL_TT_ROUNDS * HL_TT_BATCH;
	printf("BENCH %s %lu ms (%lu objects, %d threads on %d CPUs, %lu k pairs/s)\n", key,
	       (unsigned long)(dt / 1000000), objs, n, n, (unsigned long)(objs * 1000000UL / dt));
}

#include "linux-bench-fat.h"

static void
qemu_exit(int ok)
{
	fflush(stdout);
	tcdrain(STDOUT_FILENO); /* every line out of the UART before QEMU goes */
	usleep(100000);
	/* isa-debug-exit: QEMU exits with (value << 1) | 1 */
	if (ioperm(0xf4, 4, 1) == 0)
		outl(ok ? 0x10 : 0x11, 0xf4);
	perror("isa-debug-exit");
	exit(ok ? 0 : 1);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "hello")) {
		printf("Hello, World!\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("BENCH START linux (%ld CPUs)\n", sysconf(_SC_NPROCESSORS_ONLN));
	bench_null_call();
	bench_switch();
	bench_create(argv[0]);
	bench_thread_create();
	bench_map();
	bench_pipe();
	bench_heap(64, "heap_64B");
	bench_heap(1024, "heap_1KiB");
	bench_heap(64 * 1024, "heap_64KiB");
	bench_heap_load(0, "threadtest");
	bench_heap_load(1, "shbench");
	bench_fat32();
	printf("BENCH DONE\n");
	if (argc > 1 && !strcmp(argv[1], "--no-exit"))
		return failed;
	qemu_exit(!failed);
	return 1;
}
