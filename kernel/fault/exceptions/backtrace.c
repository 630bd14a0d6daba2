/*
 * backtrace.c: frame-pointer walk (cells are built with
 * -fno-omit-frame-pointer). Every word is checked to be mapped before it is
 * read and frames must move up the stack, so a corrupted stack ends the
 * walk instead of faulting inside the fault handler. The DWARF unwinder
 * will give exact frames; this one is for reports.
 */
#include "exceptions.h"
#include "logger.h"
#include "page_table.h"
#include "symtab.h"
#include "cell_mgr.h"

#define MAX_FRAMES 32

static bool
readable(uint64_t addr)
{
	return IS_ALIGNED(addr, 8) && pt_translate(addr, NULL, NULL) &&
	       pt_translate(addr + 8, NULL, NULL);
}

/* return addresses along the rbp chain */
static size_t
walk_chain(uint64_t rbp, uint64_t *out, size_t max)
{
	size_t n = 0;

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

size_t
backtrace_collect(uint64_t rip, uint64_t rbp, uint64_t *out, size_t max)
{
	if (max == 0)
		return 0;
	out[0] = rip;
	return 1 + walk_chain(rbp, out + 1, max - 1);
}

static void
print_pcs(const uint64_t *pcs, size_t n);

const char *
exc_symbolize(uint64_t addr, uint64_t *off, const char **cell)
{
	const char *unused;
	if (!cell)
		cell = &unused;
	/* the cell manager knows every loaded cell; before it runs, or for an
	 * address it does not know, fall back to the nano_core's symbols */
	const char *cname = NULL;
	const char *s = cell_symbolize(addr, off, &cname);
	if (s) {
		*cell = cname;
		return s;
	}
	*cell = cname ? cname : symtab_cell_of(addr);
	return symtab_lookup(addr, off);
}

void
backtrace_print(uint64_t rip, uint64_t rbp)
{
	uint64_t pcs[MAX_FRAMES];
	print_pcs(pcs, backtrace_collect(rip, rbp, pcs, MAX_FRAMES));
}

/*
 * From a trap frame: a fault in a function's prologue (before `push %rbp;
 * mov %rsp,%rbp` completes) leaves rbp pointing at the caller's frame, so
 * the caller's return address is still on the stack at rsp or rsp+8.
 */
void
backtrace_print_frame(const struct trap_frame *f)
{
	uint64_t pcs[MAX_FRAMES], off;
	size_t n = 0;

	pcs[n++] = f->rip;
	if (exc_symbolize(f->rip, &off, NULL) && off <= 1 && readable(f->rsp)) {
		uint64_t start = f->rip - off;
		bool push_rbp = pt_translate(start, NULL, NULL) && *(const uint8_t *)start == 0x55;
		if (push_rbp || off == 0)
			pcs[n++] = ((const uint64_t *)f->rsp)[off];
	}
	n += walk_chain(f->rbp, pcs + n, MAX_FRAMES - n);
	print_pcs(pcs, n);
}

static void
print_pcs(const uint64_t *pcs, size_t n)
{

	kprintf("    backtrace:\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t off = 0;
		const char *cell = "?";
		/* return addresses point after the call: look up pc-1 */
		uint64_t pc = i ? pcs[i] - 1 : pcs[i];
		cell_read_begin(); /* the names stay valid while printed */
		const char *sym = exc_symbolize(pc, &off, &cell);
		kprintf("      #%-2zu %016lx %s+%#lx (%s)\n", i, pcs[i], sym ? sym : "?",
			sym ? off + (i ? 1 : 0) : 0, cell);
		cell_read_end();
	}
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(exc_symbolize);
