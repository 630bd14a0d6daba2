/*
 * backtrace.c: frame-pointer walk (cells are built with
 * -fno-omit-frame-pointer). Every word is checked to be mapped before it is
 * read and frames must move up the stack, so a corrupted stack ends the
 * walk instead of faulting inside the fault handler. The DWARF unwinder
 * will give exact frames; this one is for reports.
 */
#include "exceptions.h"
#include "log.h"
#include "page_table.h"
#include "symtab.h"

#define MAX_FRAMES 32

static bool
readable(uint64_t addr)
{
	return IS_ALIGNED(addr, 8) && pt_translate(addr, NULL, NULL) &&
	       pt_translate(addr + 8, NULL, NULL);
}

size_t
backtrace_collect(uint64_t rip, uint64_t rbp, uint64_t *out, size_t max)
{
	size_t n = 0;

	if (n < max)
		out[n++] = rip;
	while (n < max && rbp && readable(rbp)) {
		uint64_t next = ((uint64_t *)rbp)[0];
		uint64_t ret = ((uint64_t *)rbp)[1];
		if (!ret)
			break;
		out[n++] = ret;
		if (next <= rbp)
			break; /* frames must move up the stack */
		rbp = next;
	}
	return n;
}

void
backtrace_print(uint64_t rip, uint64_t rbp)
{
	uint64_t pcs[MAX_FRAMES];
	size_t n = backtrace_collect(rip, rbp, pcs, MAX_FRAMES);

	kprintf("    backtrace:\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t off;
		/* return addresses point after the call: look up pc-1 */
		uint64_t pc = i ? pcs[i] - 1 : pcs[i];
		const char *sym = symtab_lookup(pc, &off);
		kprintf("      #%-2zu %016lx %s+%#lx (%s)\n", i, pcs[i], sym ? sym : "?",
			sym ? off + (i ? 1 : 0) : 0, symtab_cell_of(pc));
	}
}
