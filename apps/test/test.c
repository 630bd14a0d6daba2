/*
 * test [NAME...]: load the test cells (test_*) and run every test, or the
 * named tests or test cells (a test cell also by its name without "test_":
 * `test chan` runs test_chan); prints "N passed, N failed". A name that
 * selects no test is an error (exit status 2) and nothing runs.
 */
#include "cell_mgr.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	const char *mods[256], *tests[256];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods)), nt = 0;
	for (size_t i = 0; i < n; i++)
		if (str_starts_with(mods[i], "test_") && !cell_find(cell_ns_kernel(), mods[i]))
			tests[nt++] = mods[i];
	struct cell_error why;
	if (nt && cell_load(cell_ns_kernel(), tests, nt, &why)) {
		kprintf("test: %s\n", why.msg);
		return 1;
	}
	/* check, then run: every name must select something */
	int unknown = 0;
	for (int i = 1; i < argc; i++)
		if (!ktest_known(argv[i])) {
			kprintf("test: no test or test cell named '%s'\n", argv[i]);
			unknown++;
		}
	if (unknown)
		return 2;
	char list[256] = "";
	size_t used = 0;
	for (int i = 1; i < argc && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i > 1 ? "," : "", argv[i]);
	unsigned pass = 0, fail = 0;
	ktest_run(list, &pass, &fail);
	kprintf("%u passed, %u failed\n", pass, fail);
	return fail ? 1 : (pass ? 0 : 1);
}
