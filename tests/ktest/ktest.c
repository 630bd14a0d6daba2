/*
 * ktest.c: the runner. Each test runs under a fault catcher, so an
 * unexpected CPU exception fails that test and the next one still runs.
 * Memory is checked per test in an accounting domain (check_domain).
 */
#define LOG_TAG "ktest"
#include "ktest.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "mm_acct.h"
#include "tsc.h"
#include "task.h"


#define QEMU_EXIT_PORT 0xf4

void
ktest_qemu_exit(bool success)
{
	/* QEMU exits with (value << 1) | 1: 33 for success, 35 for failure */
	outl(QEMU_EXIT_PORT, success ? 0x10 : 0x11);
	cpu_halt_forever();
}

void
ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(t->msg, sizeof(t->msg), "%s:%d: ", file, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(t->msg))
		vsnprintf(t->msg + n, sizeof(t->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	t->failed = true;
}

/*
 * The memory check: each test runs in an accounting domain of its own
 * (mm_acct), which its task and every task it spawns (transitively) carry.
 * The allocators charge frames, pages, frame/page/mapping objects, heap
 * bytes and objects and tasks to the domain of the task allocating, and
 * debit the domain recorded in the object when it is freed, by whoever.
 * So what is left in the domain after the test is what the test allocated
 * and did not give back, whatever other tasks did meanwhile.
 */
static void
check_domain(struct ktest_ctx *t, uint8_t d, uint32_t flags)
{
	int64_t c[ACCT_KINDS];
	char msg[160] = "";
	size_t n = 0;

	mm_acct_read(d, c);
	for (int k = 0; k < ACCT_KINDS; k++) {
		if ((flags & KTEST_NO_FRAMECHECK) && k != ACCT_TASKS)
			continue;
		if (c[k] && n < sizeof(msg))
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s %ld lost", n ? ", " : "",
					      mm_acct_kind_name[k], (long)c[k]);
	}
	if (n)
		ktest_fail(t, "memcheck", 0, "%s", msg);
}

static int64_t
domain_tasks(uint8_t d)
{
	int64_t c[ACCT_KINDS];
	mm_acct_read(d, c);
	return c[ACCT_TASKS];
}

size_t
ktest_tasks(void)
{
	int64_t n = domain_tasks(mm_acct_current());
	return n > 0 ? (size_t)n : 0;
}

static uint64_t
reap_here(uint64_t cpu)
{
	task_reap();
	return cpu;
}

/*
 * An exited task is freed by its CPU's reaper, which runs at voluntary
 * switches and in the idle loop; a CPU kept busy by a task that never
 * blocks (a shell's `spin &`) and only preempted may hold its exited tasks
 * a long time. Run a short task on each CPU that reaps there. Spawned in
 * no domain: it is the runner's, not the test's (its own exit is reaped
 * by the next one).
 */
static void
kick_reapers(void)
{
	uint8_t outer = task_set_acct(MM_ACCT_NONE);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!percpu_of(i)->online)
			continue;
		int err;
		struct task_builder b = TASK_BUILDER(reap_here, (uint64_t)i);
		b.name = "ktest-reap";
		b.pin = (int)i;
		b.stack_pages = 2;
		struct task *t = task_spawn(&b, &err);
		if (t) {
			uint64_t v;
			if (task_join(t, &v))
				log_warn("reaper on CPU %u did not finish", i);
			task_unref(t);
		}
	}
	task_set_acct(outer);
}

bool
ktest_wait_tasks(size_t n, uint64_t timeout_ns)
{
	uint64_t t0 = tsc_ns(), kicked = t0;
	while (ktest_tasks() > n) {
		uint64_t now = tsc_ns();
		if (now - t0 >= timeout_ns)
			return false;
		if (now - kicked >= 20000000) {
			kick_reapers();
			kicked = tsc_ns();
		}
		task_sleep_ns(1000000);
	}
	return true;
}

static bool
selected(const char *list, const char *name)
{
	if (!list || !*list)
		return true;
	size_t n = strlen(name);
	for (const char *s = list; *s;) {
		const char *e = s;
		while (*e && *e != ',' && *e != ' ')
			e++;
		if ((size_t)(e - s) == n && !strncmp(s, name, n))
			return true;
		if (*e != ',')
			break;
		s = e + 1;
	}
	return false;
}

/* a name selects a test by its name, or every test of a cell by the
 * cell's name with or without its "test_" prefix ("chan": test_chan) */
static bool
selected_in(const char *list, const char *name, const char *cell)
{
	if (selected(list, name))
		return true;
	return list && *list &&
	       (selected(list, cell) || (str_starts_with(cell, "test_") && selected(list, cell + 5)));
}

bool
ktest_known(const char *name)
{
	for (struct cell *c = cell_ns_first(cell_ns_kernel()); c; c = c->next)
		for (size_t i = 0; i < c->nsections; i++) {
			const struct section *s = &c->sections[i];
			if (s->kind != SEC_KTEST)
				continue;
			const struct ktest *t = (const struct ktest *)(uintptr_t)s->addr;
			for (size_t k = 0; k < s->size / sizeof(*t); k++)
				if (selected_in(name, t[k].name, c->name))
					return true;
		}
	return false;
}

uint64_t
ktest_run_one(const struct ktest *k, struct ktest_ctx *tp)
{
	struct ktest_ctx t = { .name = k->name };
	struct fault_catch c;
	uint8_t d;

	if (mm_acct_open(&d)) {
		ktest_fail(tp, "memcheck", 0, "no accounting domain free");
		return 0;
	}
	uint8_t outer = task_set_acct(d);
	uint64_t t0 = tsc_ns();
	if (fault_catch_arm(&c) == 0) {
		k->fn(&t);
		fault_catch_disarm(&c);
	} else {
		ktest_fail(&t, "fault", 0, "unexpected %s at %#lx (cr2 %#lx)", exc_name(c.info.vector),
			   c.info.rip, c.info.cr2);
	}
	task_set_acct(outer);
	uint64_t us = (tsc_ns() - t0) / 1000;
	if (!t.failed && !(k->flags & KTEST_NO_MEMCHECK)) {
		/* joined tasks drop their own reference once they have switched
		 * away on their CPU, and are freed by their CPU's reaper: give
		 * them a moment before counting (in the test's domain) */
		outer = task_set_acct(d);
		bool gone = ktest_wait_tasks(0, 2000000000);
		task_set_acct(outer);
		(void)gone; /* what is left is reported below */
		task_sleep_ns(1000000); /* the last kfree follows the count */
		check_domain(&t, d, k->flags);
	}
	mm_acct_close(d);
	*tp = t;
	return us;
}

static void
run_one(const struct ktest *k, unsigned *pass, unsigned *fail)
{
	struct ktest_ctx t = { .name = k->name };
	uint64_t us = ktest_run_one(k, &t);
	if (t.failed) {
		kprintf("KTEST FAIL %s: %s\n", k->name, t.msg);
		(*fail)++;
	} else {
		kprintf("KTEST PASS %s (%lu us)\n", k->name, us);
		(*pass)++;
	}
}

void
ktest_run(const char *list, unsigned *pass_out, unsigned *fail_out)
{
	unsigned pass = 0, fail = 0, total = 0, explicit_only = 0;
	/* every loaded kernel cell's .ktest section holds its tests */
	for (int run = 0; run < 2; run++) {
		for (struct cell *c = cell_ns_first(cell_ns_kernel()); c; c = c->next) {
			for (size_t i = 0; i < c->nsections; i++) {
				const struct section *s = &c->sections[i];
				if (s->kind != SEC_KTEST)
					continue;
				const struct ktest *t = (const struct ktest *)(uintptr_t)s->addr;
				for (size_t k = 0; k < s->size / sizeof(*t); k++) {
					if (!run && (t[k].flags & KTEST_EXPLICIT) && !(list && *list))
						explicit_only++;
					else if (!run)
						total++;
					else if (selected_in(list, t[k].name, c->name) &&
						 (!(t[k].flags & KTEST_EXPLICIT) || (list && *list)))
						run_one(&t[k], &pass, &fail);
				}
			}
		}
		if (!run)
			kprintf("KTEST START %u tests registered (and %u run only when named)\n", total,
				explicit_only);
	}
	*pass_out = pass;
	*fail_out = fail;
}

void
ktest_main(const char *cmdline)
{
	char list[256] = "";
	const char *k = cmdline;
	/* find "ktest=..." */
	while ((k = strchr(k, 'k'))) {
		if (str_starts_with(k, "ktest=") && (k == cmdline || k[-1] == ' ')) {
			strlcpy(list, k + 6, sizeof(list));
			break;
		}
		k++;
	}
	unsigned pass, fail;
	ktest_run(list, &pass, &fail);
	kprintf("KTEST SUMMARY %u passed, %u failed\n", pass, fail);
	ktest_qemu_exit(fail == 0 && pass > 0);
}

EXPORT_APP(ktest_run);
EXPORT_APP(ktest_known);
