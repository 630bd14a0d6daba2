/*
 * crash panic|null|div: crash on purpose, holding heap memory, to watch
 * the task unwind (the memory comes back) and the shell go on.
 */
/* crashing on purpose with memory held is the point: the analyzer (which
 * does not model unwinding) sees a leak and a NULL dereference */
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#pragma GCC diagnostic ignored "-Wanalyzer-null-dereference"

#include "args.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "exceptions.h"

int main(int argc, char **argv);

static volatile int zero;

int
main(int argc, char **argv)
{
	const char *how = argc == 2 ? argv[1] : "";
	_cleanup_(kfreep) char *held = kmalloc(4096); /* released by the unwinder */
	if (!strcmp(how, "panic"))
		panic("crash: deliberate panic");
	if (!strcmp(how, "null")) {
		volatile int *p = (volatile int *)(uintptr_t)zero;
		return *p + (held ? 1 : 0);
	}
	if (!strcmp(how, "div"))
		return 100 / zero + (held ? 1 : 0);
	if (argc == 2)
		kprintf("crash: no way to crash called '%s' (usage: crash panic|null|div)\n", argv[1]);
	else if (argc > 2)
		return args_bad(argv, 2, "crash panic|null|div");
	else
		kprintf("usage: crash panic|null|div\n");
	return ARGS_USAGE;
}
