/*
 * args.c: see args.h.
 */
#include "args.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"

int
args_bad(char **argv, int i, const char *usage)
{
	if (argv[i][0] == '-' && argv[i][1])
		kprintf("%s: unknown option %s (usage: %s)\n", argv[0], argv[i], usage);
	else
		kprintf("%s: unexpected argument '%s' (usage: %s)\n", argv[0], argv[i], usage);
	return ARGS_USAGE;
}

int
args_usage(char **argv, const char *usage)
{
	kprintf("%s: wrong number of arguments (usage: %s)\n", argv[0], usage);
	return ARGS_USAGE;
}

int
args_none(int argc, char **argv)
{
	return argc > 1 ? args_bad(argv, 1, argv[0]) : 0;
}

int
args_number(const char *cmd, const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (str_to_u64(s, 10, max, &v) || v < min) {
		kprintf("%s: %s must be a whole number from %lu to %lu, not '%s'\n", cmd, what, min, max, s);
		return ARGS_USAGE;
	}
	*out = v;
	return 0;
}

int
args_opt_number(int argc, char **argv, const char *usage, const char *what, uint64_t min, uint64_t max,
		uint64_t *out)
{
	if (argc > 2)
		return args_bad(argv, 2, usage);
	if (argc == 2 && argv[1][0] == '-')
		return args_bad(argv, 1, usage);
	if (argc == 2)
		return args_number(argv[0], what, argv[1], min, max, out);
	return 0;
}

static bool
all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

size_t
args_tasks(const char *cmd, const char *key, uint32_t *ids, size_t max)
{
	if (all_digits(key)) {
		uint64_t id;
		if (str_to_u64(key, 10, UINT32_MAX, &id) || !id) {
			kprintf("%s: no task #%s (task ids go from 1 to %u)\n", cmd, key, UINT32_MAX);
			return 0;
		}
		_cleanup_(task_unref_p) struct task *t = task_find_id((uint32_t)id);
		if (!t) {
			kprintf("%s: no task #%lu (see `ps`)\n", cmd, id);
			return 0;
		}
		if (max)
			ids[0] = t->id;
		return 1;
	}
	size_t cap = task_count() + 16, n = 0;
	_cleanup_(kfreep) struct task_info *info = kmalloc(cap * sizeof(*info));
	if (!info) {
		kprintf("%s: out of memory\n", cmd);
		return 0;
	}
	size_t total = task_list(info, cap);
	for (size_t i = 0; i < total && i < cap; i++) {
		if (strcmp(info[i].name, key) || info[i].state == TASK_EXITED || info[i].state == TASK_KILLED)
			continue;
		if (n < max)
			ids[n] = info[i].id;
		n++;
	}
	if (!n)
		kprintf("%s: no task named %s (see `ps`)\n", cmd, key);
	return n;
}

EXPORT_APP(args_bad);
EXPORT_APP(args_usage);
EXPORT_APP(args_none);
EXPORT_APP(args_number);
EXPORT_APP(args_opt_number);
EXPORT_APP(args_tasks);
