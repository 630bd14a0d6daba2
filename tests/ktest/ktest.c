/*
 * ktest.c: the runner. Each test runs under a fault catcher, so an
 * unexpected CPU exception fails that test and the next one still runs.
 * Memory is compared after heap_trim(), which returns cached empty slabs.
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

struct snapshot {
	size_t tasks;
	struct mm_usage mm;
	uint64_t heap_bytes, heap_objects;
};

static void
snap(struct snapshot *s)
{
	struct heap_stats h;
	s->tasks = task_count();
	heap_trim();
	mm_usage(&s->mm);
	heap_stats(&h);
	s->heap_bytes = h.bytes_in_use;
	s->heap_objects = h.objects;
}

static void
compare(struct ktest_ctx *t, const struct snapshot *a, const struct snapshot *b, uint32_t flags)
{
	char msg[160] = "";
	size_t n = 0;
#define CMP(field, what)                                                          \
	if (a->field != b->field && n < sizeof(msg))                              \
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s %ld lost",      \
				      n ? ", " : "", what, (long)(a->field - b->field));
	CMP(tasks, "tasks");
	if (!(flags & KTEST_NO_FRAMECHECK)) {
		CMP(mm.frames, "frames");
		CMP(mm.pages, "pages");
		CMP(mm.frame_objs, "frame objects");
		CMP(mm.page_objs, "page objects");
		CMP(mm.mapped, "mappings");
	}
	CMP(heap_objects, "heap objects");
	CMP(heap_bytes, "heap bytes");
#undef CMP
	if (n)
		ktest_fail(t, "memcheck", 0, "%s", msg);
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

static void
run_one(const struct ktest *k, unsigned *pass, unsigned *fail)
{
	struct ktest_ctx t = { .name = k->name };
	struct snapshot before, after;
	struct fault_catch c;

	snap(&before);
	uint64_t t0 = tsc_ns();
	if (fault_catch_arm(&c) == 0) {
		k->fn(&t);
		fault_catch_disarm(&c);
	} else {
		ktest_fail(&t, "fault", 0, "unexpected %s at %#lx (cr2 %#lx)", exc_name(c.info.vector),
			   c.info.rip, c.info.cr2);
	}
	uint64_t us = (tsc_ns() - t0) / 1000;
	if (!t.failed && !(k->flags & KTEST_NO_MEMCHECK)) {
		/* joined tasks drop their own reference once they have switched
		 * away on their CPU: give them a moment before counting */
		for (int i = 0; i < 200 && task_count() != before.tasks; i++)
			task_sleep_ns(1000000);
		task_sleep_ns(1000000); /* the last kfree follows the count */
		snap(&after);
		compare(&t, &before, &after, k->flags);
	}
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
