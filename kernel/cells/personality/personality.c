/*
 * personality.c: the "simd" personality (see personality.h).
 */
#define LOG_TAG "personality"
#include "personality.h"
#include "cell_mgr.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"

#define SUFFIX "@simd"

/* its own build of `cell` (module cell@simd, which takes the name `cell`
 * in the namespace), and the kernel's build in the kernel namespace (the
 * shared side) */
static int
own_copy(struct cell_ns *ns, const char *cell)
{
	char mod[CELL_NAME_MAX];
	snprintf(mod, sizeof(mod), "%s%s", cell, SUFFIX);
	struct cell_error why;
	const char *own[] = { mod };
	int err = cell_load(ns, own, 1, &why);
	if (err) {
		log_warn("simd: %s", why.msg);
		return err;
	}
	const char *names[] = { cell };
	err = cell_find(cell_ns_kernel(), cell) ? E_OK : cell_load(cell_ns_kernel(), names, 1, &why);
	if (err)
		log_warn("simd: the kernel's %s: %s", cell, why.msg);
	return err;
}

void
personality_start(const char *cmdline)
{
	struct cell_ns *ns = cell_ns_create("simd", cell_ns_kernel(), false);
	if (!ns) {
		log_err("no simd personality: out of memory");
		return;
	}
	static const char *const own[] = { "vecsum" };
	size_t loaded = 0;
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		loaded += own_copy(ns, own[i]) == E_OK;
	int err = cell_ns_publish(ns);
	if (err) {
		struct cell_error why;
		log_err("no simd personality: %s", err_str(err));
		if (cell_ns_destroy(ns, &why))
			log_warn("simd: %s", why.msg);
		return;
	}
	log_info("personality simd: %zu cell(s) of its own (SSE2 builds), the rest shared with kernel", loaded);
}
