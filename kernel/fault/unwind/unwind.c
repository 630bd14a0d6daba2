/*
 * unwind.c: the unwinder's main loop. For each frame, from the faulting
 * (or calling) one outwards: if the frame's LSDA has a landing pad at its
 * pc, enter it with the frame's registers; the pad runs the frame's
 * cleanups and calls _Unwind_Resume, which brings us back here for the
 * same frame at the pad's own call site (no pad there), and we step to the
 * caller. No allocation happens on this path except the exception object
 * (with a per-CPU fallback when the heap cannot give one).
 */
#define LOG_TAG "unwind"
#include "unwind.h"
#include "base.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "page_table.h"
#include "tsc.h"

extern const uint8_t __eh_frame_start[], __eh_frame_end[];
int __gcc_personality_v0(int version, int actions, uint64_t exc_class, void *exc, void *ctx);

#define EXC_CLASS 0x5448534353000000ULL /* "THSCS" */
#define MAX_FRAMES 256

struct unwind_exc {
	uint64_t exception_class;
	struct unwind_report rep;
	uint64_t lo, hi;
	bool bounds, irq_on, heap;
	uint64_t last_pad, last_cfa;
};

static struct unwind_hooks hooks;
static bool have_hooks;
static struct unwind_exc emergency[MAX_CPUS];
/* the exception object run() is walking on each CPU (while in_unwinder):
 * a fault in the unwinder abandons it, and it is freed then */
static struct unwind_exc *walking[MAX_CPUS];
static struct unwind_stats stats;

__noreturn void unwind_enter(const struct unwind_regs *r, bool irq_on);
__noreturn void unwind_resume_c(void *exc, const struct unwind_regs *r);

void
unwind_set_hooks(const struct unwind_hooks *h)
{
	cell_pin_addr((const void *)h->finish);
	hooks = *h;
	have_hooks = true;
}

bool
unwind_available(void)
{
	return have_hooks;
}

void
unwind_stats(struct unwind_stats *out)
{
	*out = stats;
}

/* the .eh_frame that describes code at pc */
static bool
eh_frame_for(uint64_t pc, const uint8_t **eh, size_t *len)
{
	bool found = false;
	cell_read_begin(); /* the cell's metadata may be unloading on another CPU */
	struct cell *c = cell_at(pc);
	if (c && c->nano_core) {
		*eh = __eh_frame_start;
		*len = (size_t)(__eh_frame_end - __eh_frame_start);
		found = true;
	}
	for (size_t i = 0; c && !found && i < c->nsections; i++)
		if (c->sections[i].kind == SEC_EH_FRAME) {
			*eh = (const uint8_t *)(uintptr_t)c->sections[i].addr;
			*len = c->sections[i].size;
			found = true;
		}
	cell_read_end();
	return found;
}

static bool
in_text(uint64_t pc)
{
	struct section *s = cell_section_at(pc);
	return s && s->kind == SEC_TEXT;
}

static bool
readable(const struct unwind_exc *x, uint64_t a)
{
	if (!IS_ALIGNED(a, 8))
		return false;
	if (x && x->bounds && (a < x->lo || a + 8 > x->hi))
		return false;
	return pt_translate(a, NULL, NULL);
}

enum step { STEP_OK, STEP_END, STEP_BAD };

static enum step
step(struct unwind_regs *r, bool *signal, const struct unwind_exc *x)
{
	uint64_t pc = r->r[DW_RA];
	uint64_t lookup = *signal ? pc : pc - 1;
	const uint8_t *eh;
	size_t len;
	struct dw_fde f;
	struct dw_state st;
	if (!in_text(lookup) || !eh_frame_for(lookup, &eh, &len) || !dw_find_fde(eh, len, lookup, &f) ||
	    !dw_run_cfa(&f, lookup, &st) || st.cfa_reg >= DW_REGS)
		return STEP_BAD;
	uint64_t cfa = r->r[st.cfa_reg] + (uint64_t)st.cfa_off;
	struct unwind_regs n = *r;
	for (unsigned i = 0; i < DW_REGS; i++) {
		switch (st.rule[i]) {
		case RULE_OFFSET: {
			uint64_t a = cfa + (uint64_t)st.val[i];
			if (!readable(x, a))
				return STEP_BAD;
			n.r[i] = *(const uint64_t *)(uintptr_t)a;
			break;
		}
		case RULE_VAL_OFFSET:
			n.r[i] = cfa + (uint64_t)st.val[i];
			break;
		case RULE_REGISTER:
			n.r[i] = r->r[st.val[i]];
			break;
		case RULE_UNDEF:
			if (i == f.ra_reg)
				return STEP_END; /* the outermost frame of a task */
			break;
		case RULE_SAME:
			break;
		}
	}
	if (st.rule[DW_RSP] == RULE_SAME)
		n.r[DW_RSP] = cfa; /* the CFA is the caller's stack pointer */
	n.r[DW_RA] = n.r[f.ra_reg];
	if (n.r[DW_RA] == 0)
		return STEP_END;
	if (x && x->bounds && (n.r[DW_RSP] < x->lo || n.r[DW_RSP] > x->hi))
		return STEP_BAD;
	*signal = f.signal_frame;
	*r = n;
	return STEP_OK;
}

/* the landing pad for this frame's pc (lsda.c): 0 with *covered false if
 * no call-site entry covers ip */
uint64_t lsda_landing_pad(uint64_t lsda, uint64_t func_start, uint64_t ip, bool *covered);

/*
 * A frame whose function has a call-site table but no entry for this pc
 * may hold owned objects whose cleanups cannot be reached from here: GCC
 * gives no entry to instructions and calls it proves cannot fault or
 * throw (__builtin_trap, calls to same-cell functions it proved nothrow).
 * Such frames are counted (report.no_pad) so the fault log says so.
 */
static uint64_t
find_pad(const struct unwind_regs *r, bool signal, unsigned *no_pad)
{
	uint64_t ip = signal ? r->r[DW_RA] : r->r[DW_RA] - 1;
	const uint8_t *eh;
	size_t len;
	struct dw_fde f;
	/* the FDE and LSDA are in the cell's rodata: keep it until done */
	_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
	if (!eh_frame_for(ip, &eh, &len) || !dw_find_fde(eh, len, ip, &f) || !f.lsda)
		return 0;
	if (f.personality != (uint64_t)(uintptr_t)__gcc_personality_v0)
		return 0;
	bool covered = false;
	uint64_t pad = lsda_landing_pad(f.lsda, f.pc_begin, ip, &covered);
	if (!covered && no_pad)
		(*no_pad)++;
	return pad;
}

bool
unwind_stack_bounds(uint64_t *lo, uint64_t *hi)
{
	return have_hooks && hooks.stack_bounds && hooks.stack_bounds(lo, hi);
}

/* call the task layer's finish with rep copied to the top of the task's
 * own stack, and the stack pointer just below it */
static __noreturn void
finish_on(uint64_t top, const struct unwind_report *rep)
{
	uint64_t at = (top - sizeof(*rep) - 64) & ~15ULL;
	struct unwind_report *copy = (struct unwind_report *)(uintptr_t)at;
	*copy = *rep;
	__asm__ volatile("mov %0, %%rsp\n\txor %%ebp, %%ebp\n\tcall *%2\n\tud2"
			 : : "r"(at), "D"(copy), "r"(hooks.finish) : "memory");
	__builtin_unreachable();
}

static __noreturn void
finish(struct unwind_exc *x)
{
	struct unwind_report rep = x->rep;
	rep.t_end = tsc_ns();
	bool bounds = x->bounds;
	uint64_t lo = x->lo, hi = x->hi;
	walking[cpu_id()] = NULL;
	if (x->heap)
		kfree(x);
	stats.unwinds++;
	stats.pads += rep.pads;
	stats.frames += rep.frames;
	this_cpu()->in_unwinder = false;
	if (!have_hooks) {
		kprintf("!!! unwinding finished without a task layer; CPU %u halted\n", cpu_id());
		cpu_halt_forever();
	}
	/* not on the task's own stack (a double fault's IST stack, or where a
	 * corrupted stack pointer pointed): the death goes on at the top of
	 * the task's stack, whose frames are all done with now. On the IST
	 * stack it could be preempted, and another double fault on this CPU
	 * would reuse that stack under it. */
	uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	if (bounds && (sp < lo || sp >= hi))
		finish_on(hi, &rep);
	hooks.finish(&rep);
}

/* a landing pad runs on the frame's stack: it must be the task's, and
 * mapped (a pad entered on a garbage stack pointer would fault again) */
static bool
pad_stack_ok(const struct unwind_exc *x, uint64_t rsp)
{
	if (!x->bounds)
		return true;
	return rsp > x->lo && rsp <= x->hi && IS_ALIGNED(rsp, 8) && pt_translate(rsp - 8, NULL, NULL);
}

static __noreturn void
run(struct unwind_exc *x, struct unwind_regs r, bool signal)
{
	walking[cpu_id()] = x;
	this_cpu()->in_unwinder = true;
	for (;;) {
		if (++x->rep.frames > MAX_FRAMES) {
			x->rep.corrupt = true;
			finish(x);
		}
		uint64_t pad = find_pad(&r, signal, &x->rep.no_pad);
		/* a pad that leads back to itself would loop: take it once */
		if (pad && !pad_stack_ok(x, r.r[DW_RSP])) {
			x->rep.corrupt = true;
			finish(x);
		}
		if (pad && !(pad == x->last_pad && r.r[DW_RSP] == x->last_cfa)) {
			x->rep.pads++;
			x->last_pad = pad;
			x->last_cfa = r.r[DW_RSP];
			r.r[0] = (uint64_t)(uintptr_t)x; /* __builtin_eh_return_data_regno(0) */
			r.r[1] = 0;                       /* selector: cleanup */
			r.r[DW_RA] = pad;
			this_cpu()->in_unwinder = false;
			unwind_enter(&r, x->irq_on);
		}
		switch (step(&r, &signal, x)) {
		case STEP_OK:
			break;
		case STEP_END:
			finish(x);
		case STEP_BAD:
			x->rep.corrupt = true;
			finish(x);
		}
	}
}

static struct unwind_exc *
new_exc(const struct fault_info *fi, bool irq_on)
{
	struct unwind_exc *x = kzalloc(sizeof(*x));
	if (x) {
		x->heap = true;
	} else {
		x = &emergency[cpu_id()];
		memset(x, 0, sizeof(*x));
	}
	x->exception_class = EXC_CLASS;
	x->rep.fi = *fi;
	x->rep.t_start = tsc_ns();
	x->irq_on = irq_on;
	if (have_hooks && hooks.stack_bounds)
		x->bounds = hooks.stack_bounds(&x->lo, &x->hi);
	return x;
}

void
unwind_from_frame(const struct trap_frame *f, const struct fault_info *fi)
{
	this_cpu()->irq_depth = 0; /* we leave the exception for good */
	struct unwind_regs r = { .r = {
		f->rax, f->rdx, f->rcx, f->rbx, f->rsi, f->rdi, f->rbp, f->rsp,
		f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, f->rip } };
	struct unwind_exc *x = new_exc(fi, f->rflags & (1UL << 9));
	run(x, r, true);
}

void
unwind_current(const struct fault_info *fi)
{
	struct unwind_regs r;
	unwind_capture(&r);
	struct unwind_exc *x = new_exc(fi, irq_enabled());
	run(x, r, false);
}

void
unwind_abandon(const struct fault_info *fi)
{
	this_cpu()->irq_depth = 0; /* we leave the exception for good */
	struct unwind_exc *old = walking[cpu_id()];
	if (fi->in_unwinder && old && old->exception_class == EXC_CLASS && old->heap)
		kfree(old); /* the walk that faulted: not resumed */
	walking[cpu_id()] = NULL;
	struct unwind_exc *x = new_exc(fi, false);
	x->rep.corrupt = true;
	x->rep.stack_lost = fi->stack_lost;
	finish(x);
}

void
unwind_resume_c(void *exc, const struct unwind_regs *r)
{
	struct unwind_exc *x = exc;
	if (!x || x->exception_class != EXC_CLASS) {
		kprintf("!!! _Unwind_Resume with a bad exception object %p; CPU %u halted\n", exc, cpu_id());
		cpu_halt_forever();
	}
	run(x, *r, false);
}

size_t
unwind_backtrace(const struct unwind_regs *start, bool signal, uint64_t *pcs, size_t max)
{
	struct unwind_regs r = *start;
	size_t n = 0;
	while (n < max) {
		pcs[n++] = r.r[DW_RA];
		if (step(&r, &signal, NULL) != STEP_OK)
			break;
	}
	return n;
}

void
unwind_print_backtrace(const struct unwind_regs *start, bool signal)
{
	uint64_t pcs[32];
	size_t n = unwind_backtrace(start, signal, pcs, ARRAY_SIZE(pcs));
	kprintf("    backtrace (DWARF):\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t off = 0;
		const char *cell = "?";
		uint64_t pc = (i || !signal) ? pcs[i] - 1 : pcs[i];
		const char *sym = exc_symbolize(pc, &off, &cell);
		kprintf("      #%-2zu %016lx %s+%#lx (%s)\n", i, pcs[i], sym ? sym : "?",
			sym ? off + (pc != pcs[i] ? 1 : 0) : 0, cell);
	}
}

void
unwind_regs_from_switch(uint64_t saved_rsp, struct unwind_regs *r)
{
	/* switch.S pushed rbp, rbx, r12, r13, r14, r15, then saved rsp */
	const uint64_t *s = (const uint64_t *)(uintptr_t)saved_rsp;
	memset(r, 0, sizeof(*r));
	r->r[15] = s[0];
	r->r[14] = s[1];
	r->r[13] = s[2];
	r->r[12] = s[3];
	r->r[3] = s[4];
	r->r[DW_RBP] = s[5];
	r->r[DW_RA] = s[6];
	r->r[DW_RSP] = saved_rsp + 7 * 8;
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(unwind_stats);

/* application cells have landing pads too */
EXPORT_APP(_Unwind_Resume);
EXPORT_APP(__gcc_personality_v0);
