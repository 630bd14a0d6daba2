/*
 * ktest: the in-kernel test framework. A test is a named function
 * registered in the ".ktest" section of its cell (KTEST(name) {...});
 * the runner executes each under a fault catcher and checks that the
 * frames, pages, mapping objects, heap bytes and tasks the test allocated
 * (counted in an accounting domain of its own, mm_acct) were given back. Output lines the host harness parses:
 *   KTEST PASS <name> (<us> us)
 *   KTEST FAIL <name>: <file>:<line>: <reason>
 *   KTEST SUMMARY <n> passed, <m> failed
 * State: none between runs; per-run counters on the runner's stack.
 */
#ifndef KTEST_H
#define KTEST_H

#include "base.h"

struct ktest_ctx {
	const char *name;
	bool failed;
	char msg[192];
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *t);
	uint32_t flags;
};

#define KTEST_NO_MEMCHECK 1 /* the test deliberately keeps memory */
/* the test replaces cells loaded before it (outside its accounting
 * domain) by cells it loads, which stay: their memory stays charged to the
 * test's domain, though nothing leaked, so only the task count is checked */
#define KTEST_NO_FRAMECHECK 2
/* a long test (minutes under TCG): run only when named (by its own or its
 * cell's name), never as part of "every test" */
#define KTEST_EXPLICIT 4

#define KTEST_FLAGS(tname, fl)                                                \
	static void ktest_fn_##tname(struct ktest_ctx *kt_ctx_);                     \
	static const struct ktest ktest_rec_##tname                           \
		__attribute__((used, section(".ktest"), aligned(8))) = {       \
			#tname, ktest_fn_##tname, fl };                          \
	static void ktest_fn_##tname(struct ktest_ctx *kt_ctx_)
#define KTEST(tname) KTEST_FLAGS(tname, 0)

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
	__printf(4, 5);

#define KT_FAIL(...) do { ktest_fail(kt_ctx_, __FILE__, __LINE__, __VA_ARGS__); return; } while (0)
#define KT_ASSERT(cond) do { if (!(cond)) KT_FAIL("assertion failed: %s", #cond); } while (0)
#define KT_EQ(a, b) do {                                                          \
	uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                          \
	if (_a != _b)                                                             \
		KT_FAIL("%s == %s: %#lx != %#lx", #a, #b, _a, _b);                    \
} while (0)
#define KT_OK(expr) do {                                                          \
	int _e = (expr);                                                          \
	if (_e)                                                                   \
		KT_FAIL("%s: %s", #expr, err_str(_e));                                \
} while (0)

/* run the tests (or test cells) named in the comma-separated list, all if
 * empty; prints KTEST lines; counts into *pass and *fail. A name is a
 * test's, a test cell's, or a test cell's without "test_" ("chan") */
void ktest_run(const char *list, unsigned *pass, unsigned *fail);
/* run one test as the runner does (its own accounting domain, a fault
 * catcher, the memory check); the result in *t; returns microseconds.
 * The runner's self-tests use it to check that leaks are reported */
uint64_t ktest_run_one(const struct ktest *k, struct ktest_ctx *t);
/* tasks the running test spawned (itself or through the tasks it spawned)
 * that are not freed yet: its accounting domain's count. Unlike
 * task_count() it does not move when other tasks (shell jobs) come and go */
size_t ktest_tasks(void);
/* wait until at most n of the running test's tasks are left (ktest_tasks),
 * making every CPU reap its exited tasks meanwhile; false on timeout */
bool ktest_wait_tasks(size_t n, uint64_t timeout_ns);
/* true if `name` selects at least one test of the loaded kernel cells */
bool ktest_known(const char *name);
/* run the tests named in "ktest=a,b" (all if no list); exits QEMU */
__noreturn void ktest_main(const char *cmdline);
/* exit QEMU through isa-debug-exit: status 0 -> exit code 1? see .c */
__noreturn void ktest_qemu_exit(bool success);

#endif
