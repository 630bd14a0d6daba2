/*
 * exceptions.c: dispatch and report. A fault with no catcher is fatal for
 * this CPU until unwinding exists: report, call the fatal hook (the test
 * harness exits QEMU with a failure), halt.
 */
#define LOG_TAG "exc"
#include "cell_mgr.h"
#include "exceptions.h"
#include "cpu.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "stack.h"
#include "symtab.h"
#include "unwind.h"

extern const uint64_t exc_stub_table[256];

/* handlers and hooks: guarded pointers (base's guarded.h), checked where
 * read - a corrupted one is called from every interrupt otherwise */
static struct guarded_ptr irq_handlers[256];   /* irq_handler_fn */
static struct guarded_ptr fault_handlers[32];  /* fault_handler_fn */
static struct guarded_ptr fatal_hook;          /* void (*)(const struct fault_info *) */
static struct guarded_ptr irq_exit_hook;       /* void (*)(struct trap_frame *) */
static struct guarded_ptr fault_hook;          /* void (*)(const struct trap_frame *, struct fault_info *) */

void
exc_set_fault_hook(void (*hook)(const struct trap_frame *f, struct fault_info *fi))
{
	cell_unpin_addr(guarded_get(&fault_hook));
	guarded_set(&fault_hook, (const void *)hook);
	cell_pin_addr((const void *)hook);
}

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "#HV hypervisor injection", "#VC VMM communication",
	"#SX security", "reserved 31",
};

const char *
exc_name(uint64_t v)
{
	if (v == VEC_PANIC)
		return "panic";
	if (v == VEC_KILL)
		return "killed";
	if (v == VEC_RECOVERY)
		return "recovery";
	return v < 32 ? names[v] : "interrupt";
}

static unsigned
cpu_index(void)
{
	return cpu_id();
}

/* the chain belongs to the running task: the task cell swaps
 * this_cpu()->fault_catchers at every switch */
void
fault_catch_push(struct fault_catch *c)
{
	struct percpu *pc = this_cpu();
	c->prev = pc->fault_catchers;
	pc->fault_catchers = c;
}

void
fault_catch_disarm(struct fault_catch *c)
{
	struct percpu *pc = this_cpu();
	if (pc->fault_catchers == c)
		pc->fault_catchers = c->prev;
}

__noreturn void fault_catch_resume(struct fault_catch *c);

static void
decode_pf(uint64_t err, char *buf, size_t n)
{
	const char *what;
	if ((err & 0x11) == 0x11)
		what = "instruction fetch from a non-executable (NX) page";
	else if (err & 0x10)
		what = "instruction fetch from an unmapped page";
	else if ((err & 0x3) == 0x3)
		what = "write to a read-only page";
	else if (err & 0x2)
		what = "write to an unmapped page";
	else if (err & 0x1)
		what = "read violating protection";
	else
		what = "read from an unmapped page";
	snprintf(buf, n, "%s%s", what, (err & 0x8) ? " (reserved bit set)" : "");
}

/* reports composed at a fault and written out after recovery (a few
 * tasks may be between the two at once; if none is free, it is written
 * at once) */
#define REPORTS 8
#define REPORT_MAX 3072
static char reports[REPORTS][REPORT_MAX];
static bool report_used[REPORTS]; /* atomic */

static char *
report_slot(void)
{
	for (unsigned i = 0; i < REPORTS; i++)
		if (!__atomic_exchange_n(&report_used[i], true, __ATOMIC_ACQUIRE))
			return reports[i];
	return NULL;
}

void
exc_report_flush(const struct fault_info *fi)
{
	char *r = fi->report;
	if (!r || r < reports[0] || r >= reports[REPORTS])
		return;
	kprintf("%s", r);
	__atomic_store_n(&report_used[(r - reports[0]) / REPORT_MAX], false, __ATOMIC_RELEASE);
}

static bool reporting[MAX_CPUS]; /* this CPU is inside report() */

static void
report(const struct trap_frame *f, struct fault_info *fi)
{
	kprintf("\n!!! EXCEPTION %s (vector %lu) on CPU %u, error code %#lx\n",
		exc_name(f->vector), f->vector, cpu_index(), f->error);
	if (log_get_level() < LOG_INFO) { /* quiet: the one line above only */
		kprintf("    at %#lx, cr2 %#lx: %s\n", f->rip, fi->cr2, fi->msg);
		return;
	}
	if (f->vector == 14)
		kprintf("    %s\n", fi->msg);
	if (fi->stack_overflow)
		kprintf("    STACK OVERFLOW: %#lx is in the guard page of stack '%s'\n",
			fi->cr2, stack_guard_owner(fi->cr2));
	if (fi->stack_lost)
		kprintf("    STACK UNUSABLE: rsp %#lx is outside the task's stack: it ends without unwinding\n",
			f->rsp);
	uint64_t off = 0;
	const char *cell = "?";
	const char *sym = exc_symbolize(f->rip, &off, &cell);
	kprintf("    RIP %016lx <%s+%#lx> in cell %s\n", f->rip, sym ? sym : "?", sym ? off : 0, cell);
	kprintf("    RSP %016lx RFLAGS %016lx CS %04lx SS %04lx\n", f->rsp, f->rflags, f->cs, f->ss);
	kprintf("    CR2 %016lx CR3 %016lx\n", read_cr2(), read_cr3());
	kprintf("    RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("    RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("    R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("    R13 %016lx R14 %016lx R15 %016lx\n", f->r13, f->r14, f->r15);
	/* the DWARF unwinder when it can walk; frame pointers otherwise */
	struct unwind_regs r = { .r = {
		f->rax, f->rdx, f->rcx, f->rbx, f->rsi, f->rdi, f->rbp, f->rsp,
		f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, f->rip } };
	uint64_t pcs[2];
	if (unwind_backtrace(&r, true, pcs, 2) == 2)
		unwind_print_backtrace(&r, true);
	else
		backtrace_print_frame(f);
}

static __noreturn void
deliver(struct fault_info *fi)
{
	unsigned cpu = cpu_index();
	struct percpu *pc = this_cpu();
	struct fault_catch *c = pc->fault_catchers;
	if (c) {
		pc->fault_catchers = c->prev;
		c->info = *fi;
		kprintf("    -> caught by the fault catcher armed at %#lx\n", c->regs[7]);
		fault_catch_resume(c);
	}
	void (*fatal)(const struct fault_info *) = guarded_get(&fatal_hook);
	if (fatal)
		fatal(fi);
	kprintf("!!! CPU %u halted\n", cpu);
	cpu_halt_forever();
}

static __noreturn void
stop_cpu(const char *why, struct fault_info *fi)
{
	kprintf("!!! %s: CPU %u stops; the others go on\n", why, cpu_index());
	struct fault_record rec = { .cpu = cpu_index(), .vector = fi->vector, .error = fi->error,
				    .rip = fi->rip, .cr2 = fi->cr2 };
	strlcpy(rec.msg, fi->msg, sizeof(rec.msg));
	strlcpy(rec.action, why, sizeof(rec.action));
	const char *cell = "?";
	uint64_t off;
	const char *sym = exc_symbolize(fi->rip, &off, &cell);
	strlcpy(rec.cell, cell, sizeof(rec.cell));
	strlcpy(rec.section, sym ? sym : "?", sizeof(rec.section));
	fault_log_add(&rec);
	void (*fatal)(const struct fault_info *) = guarded_get(&fatal_hook);
	if (fatal)
		fatal(fi);
	cpu_halt_forever();
}

/* what a fault and a panic do before unwinding the current task: a
 * catcher (a test's) takes fi; else the CPU stops where no unwind can run.
 * what: "fault" or "panic"; task_depth: irq_depth in a task's context (a
 * fault's own entry counts one) */
static struct guarded_ptr irq_abort_hook; /* void (*)(void) */

void
exc_set_irq_abort_hook(void (*hook)(void))
{
	cell_unpin_addr(guarded_get(&irq_abort_hook));
	guarded_set(&irq_abort_hook, (const void *)hook);
	cell_pin_addr((const void *)hook);
}

static void
stop_unless_unwindable(struct percpu *pc, struct fault_info *fi, const char *what, int task_depth)
{
	if (pc->fault_catchers) {
		pc->irq_depth -= task_depth;
		deliver(fi);
	}
	/* a fault in an interrupt handler: the handler's frames are on the
	 * interrupted task's stack, below its own; unwinding the task runs
	 * the handler's cleanups too (its guards release their locks). The
	 * interrupts in service are ended here, as the handler never returns
	 * to end them. */
	void (*abort_hook)(void) = guarded_get(&irq_abort_hook);
	if (!pc->in_unwinder && pc->irq_depth > task_depth && abort_hook && unwind_available() &&
	    pc->current) {
		kprintf("    in an interrupt handler: the interrupted task unwinds through it\n");
		abort_hook();
		pc->irq_depth = task_depth;
		fi->in_irq = true;
	}
	/* a fault in the unwinder's own code (a corrupted frame or table it
	 * read): the task it was unwinding ends where it is, its remaining
	 * cleanups not run, rather than the CPU stopping */
	if (pc->in_unwinder && pc->current && unwind_available() && pc->irq_depth <= task_depth + 1) {
		kprintf("    inside the unwinder: the task ends without further unwinding\n");
		pc->in_unwinder = false;
		fi->in_unwinder = true;
		unwind_abandon(fi);
	}
	const char *where = pc->in_unwinder ? "inside the unwinder"
		: pc->irq_depth > task_depth ? "in an interrupt handler"
		: !unwind_available() || !pc->current ? "before tasks exist"
		: NULL;
	if (where) {
		char why[48];
		snprintf(why, sizeof(why), "%s %s", what, where);
		stop_cpu(why, fi);
	}
}

/* the interrupted stack pointer lies in the current task's stack (its
 * guard page included: an overflow's unwind maps it); true when the task
 * layer knows no bounds (the boot task) */
static bool
stack_usable(const struct trap_frame *f)
{
	uint64_t lo, hi;
	if (!unwind_stack_bounds(&lo, &hi))
		return true;
	return f->rsp >= lo && f->rsp <= hi;
}

void exc_dispatch(struct trap_frame *f);

void
exc_dispatch(struct trap_frame *f)
{
	struct percpu *pc = this_cpu();
	pc->irq_depth++;
	if (f->vector >= 32) {
		irq_handler_fn h = guarded_get(&irq_handlers[f->vector]);
		if (h)
			h(f);
		else
			log_warn("unexpected interrupt, vector %lu", f->vector);
		/* back to task code (not a nested interrupt): deliver kills */
		void (*exit_hook)(struct trap_frame *) = guarded_get(&irq_exit_hook);
		if (pc->irq_depth == 1 && exit_hook && !pc->in_unwinder)
			exit_hook(f);
		pc->irq_depth--;
		return;
	}
	fault_handler_fn fh = guarded_get(&fault_handlers[f->vector]);
	if (fh && fh(f)) {
		pc->irq_depth--;
		return;
	}
	struct fault_info fi = {
		.vector = f->vector, .error = f->error, .rip = f->rip, .rsp = f->rsp,
		.cr2 = read_cr2(),
	};
	if (f->vector == 14)
		decode_pf(f->error, fi.msg, sizeof(fi.msg));
	else
		strlcpy(fi.msg, exc_name(f->vector), sizeof(fi.msg));
	if ((f->vector == 8 || f->vector == 14) && stack_guard_owner(fi.cr2))
		fi.stack_overflow = true;
	fi.stack_lost = pc->current && !pc->fault_catchers && !stack_usable(f); /* (a catcher resumes on its own stack) */
	void (*first_look)(const struct trap_frame *, struct fault_info *) = guarded_get(&fault_hook);
	if (first_look && !pc->in_unwinder)
		first_look(f, &fi);
	/* an NMI taken as a fault (recovery's lockup detector sends them)
	 * unwinds and never irets: end the CPU's NMI block now */
	if (f->vector == 2)
		cpu_nmi_unblock();
	/* a task that will simply unwind: its report is composed now and
	 * written out once recovery has restarted it (exc_report_flush) */
	if (!pc->in_unwinder && !pc->fault_catchers && pc->irq_depth == 1 && pc->current &&
	    unwind_available() && !fi.stack_overflow)
		fi.report = report_slot();
	if (reporting[pc->id]) {
		/* a fault while this CPU was reporting one (the report itself
		 * faulted: its frame was on a stack someone else was using, or
		 * corrupted): not reported again - that faulted again and again,
		 * printing the first words of the header each time - and the
		 * outer report is abandoned with its task */
		reporting[pc->id] = false;
		log_capture_end();
		kprintf("\n!!! a fault while reporting a fault (vector %lu at %#lx): not reported\n", f->vector,
			f->rip);
	} else if (fi.report) {
		/* on this CPU throughout: the capture is this CPU's */
		bool irq = irq_save();
		reporting[pc->id] = true;
		log_capture_begin(fi.report, REPORT_MAX);
		report(f, &fi);
		log_capture_end();
		reporting[pc->id] = false;
		irq_restore(irq);
	} else {
		reporting[pc->id] = true;
		report(f, &fi);
		reporting[pc->id] = false;
	}
	stop_unless_unwindable(pc, &fi, "fault", 1);
	/* a fault in a task whose stack pointer left its stack (a corrupted
	 * saved rbp or return address loaded into rsp: the CPU could not push
	 * the fault's frame there and raised a double fault on its IST stack,
	 * or pushed it wherever rsp pointed): its frames cannot be walked */
	if (fi.stack_lost)
		unwind_abandon(&fi);
	/* a fault in a task: unwind it (the stack overflow's guard page was
	 * given a frame by the stack cell, so cleanups have room to run) */
	if (fi.stack_overflow && stack_guard_extend(fi.cr2))
		kprintf("    guard page mapped for the unwind\n");
	unwind_from_frame(f, &fi);
}

void
exc_set_irq_exit_hook(void (*hook)(struct trap_frame *f))
{
	cell_unpin_addr(guarded_get(&irq_exit_hook));
	guarded_set(&irq_exit_hook, (const void *)hook);
	cell_pin_addr((const void *)hook);
}

void
panic(const char *fmt, ...)
{
	struct fault_info fi = { .vector = VEC_PANIC };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fi.msg, sizeof(fi.msg), fmt, ap);
	va_end(ap);
	fi.rip = (uint64_t)__builtin_return_address(0);
	kprintf("\n!!! PANIC on CPU %u: %s\n", cpu_index(), fi.msg);
	struct unwind_regs r;
	unwind_capture(&r);
	unwind_print_backtrace(&r, false);
	struct percpu *pc = this_cpu();
	stop_unless_unwindable(pc, &fi, "panic", 0);
	unwind_current(&fi);
}

/* a spin lock that stayed taken for 2^32 TSC cycles (libs/base/spinlock.c).
 * No holder keeps a spin lock that long here: its word is corrupt, or its
 * holder is gone (corrupted code skipped the unlock, or died without
 * releasing it), or its holder is stuck inside with interrupts off. The
 * lock is reset. If every other CPU's timer still ticks, no CPU is stuck
 * holding it: the lock is broken and the spinner takes it and goes on
 * (its work - often a drop, whose object would otherwise leak - gets
 * done; the fault log and the recovery task's seal sweep learn of it).
 * Otherwise (a CPU stalled, maybe inside, which the lockup detector
 * will reach) the spinning task fails like a faulting one, with the
 * lock's address. Not re-entered: should the report itself get stuck,
 * this task only spins on. */
static void *stuck_task[MAX_CPUS];
static bool in_report[MAX_CPUS];
static uint64_t locks_broken;

uint64_t
exc_locks_broken(void)
{
	return __atomic_load_n(&locks_broken, __ATOMIC_RELAXED);
}

/* every other online CPU's timer ticked within the next 2^29 TSC cycles
 * (a quarter of a second at 2 GHz; a tick is 10 ms, but under emulation
 * on a loaded host a virtual CPU can wait for its thread that long): none
 * is stalled with interrupts off, as a holder stuck inside would be */
static bool
others_ticking(unsigned me)
{
	uint64_t before[MAX_CPUS];
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct percpu *pc = percpu_of(c);
		before[c] = pc ? __atomic_load_n(&pc->ticks, __ATOMIC_RELAXED) : 0;
	}
	uint64_t t0 = rdtsc();
	for (unsigned n = 1;; n++) {
		bool all = true;
		for (unsigned c = 0; c < MAX_CPUS && all; c++) {
			struct percpu *pc = percpu_of(c);
			if (c != me && pc && __atomic_load_n(&pc->online, __ATOMIC_ACQUIRE) &&
			    __atomic_load_n(&pc->ticks, __ATOMIC_RELAXED) == before[c])
				all = false;
		}
		if (all)
			return true;
		if (rdtsc() - t0 > (1ULL << 29))
			return false;
		__asm__ volatile("pause");
		if (!(n % 256) && spin_wait_hook)
			spin_wait_hook(); /* (other CPUs' shootdowns meanwhile) */
	}
}

static void
lock_stuck(struct spinlock *l)
{
	struct percpu *pc = this_cpu();
	if (!pc->current || stuck_task[pc->id] == pc->current || in_report[pc->id])
		return;
	in_report[pc->id] = true;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	struct fault_info fi = { .vector = VEC_LOCK, .cr2 = (uint64_t)(uintptr_t)l,
				 .rip = (uint64_t)__builtin_return_address(0) };
	snprintf(fi.msg, sizeof(fi.msg), "spin lock at %#lx still taken after 2^32 TSC cycles", fi.cr2);
	if (others_ticking(pc->id)) {
		__atomic_add_fetch(&locks_broken, 1, __ATOMIC_RELAXED);
		kprintf("\n!!! STUCK LOCK on CPU %u: %s; broken: no CPU is stalled holding it, the spinner goes on\n",
			cpu_index(), fi.msg);
		struct unwind_regs r;
		unwind_capture(&r);
		unwind_print_backtrace(&r, false);
		struct fault_record rec = { .cpu = pc->id, .vector = VEC_LOCK, .rip = fi.rip, .cr2 = fi.cr2 };
		strlcpy(rec.task, "(the spinner)", sizeof(rec.task));
		strlcpy(rec.msg, fi.msg, sizeof(rec.msg));
		strlcpy(rec.action, "lock broken (its holder is gone); the spinner went on", sizeof(rec.action));
		fault_log_add(&rec);
		in_report[pc->id] = false;
		return; /* spin_lock_slow takes it now */
	}
	stuck_task[pc->id] = pc->current;
	in_report[pc->id] = false;
	kprintf("\n!!! STUCK LOCK on CPU %u: %s\n", cpu_index(), fi.msg);
	struct unwind_regs r;
	unwind_capture(&r);
	unwind_print_backtrace(&r, false);
	stop_unless_unwindable(pc, &fi, "stuck lock", 0);
	unwind_current(&fi);
}

/* every IDT gate to this copy's entry stubs */
static void
set_gates(void)
{
	for (int v = 0; v < 256; v++) {
		uint8_t ist = v == 8 ? IST_DOUBLE_FAULT : v == 2 ? IST_NMI : v == 18 ? IST_MACHINE_CHECK : 0;
		idt_set_gate((uint8_t)v, exc_stub_table[v], ist);
	}
}

void
exc_init(void)
{
	spin_stuck_hook = lock_stuck;
	set_gates();
	idt_load();
}

/* the transfer function when a loaded copy of this cell replaces the one
 * in the nano_core (docs/evolution.md): its data stays in place, so only
 * the IDT's gates (one table, shared by every CPU) and the spin-lock hook
 * move to the new code; run in the swap's pause */
int exceptions_adopt(void);

int
exceptions_adopt(void)
{
	spin_stuck_hook = lock_stuck;
	set_gates();
	return E_OK;
}

int
exc_register_irq(uint8_t vec, irq_handler_fn h)
{
	if (vec < 32)
		return E_INVAL;
	if (guarded_get(&irq_handlers[vec]))
		return E_BUSY;
	guarded_set(&irq_handlers[vec], (const void *)h);
	cell_pin_addr((const void *)h);
	return E_OK;
}

/* a driver's transfer function takes its vector over from the cell it
 * replaces (swap or reload): one store, so an interrupt runs either the
 * old handler or the new one, never none */
int
exc_replace_irq(uint8_t vec, irq_handler_fn h)
{
	if (vec < 32 || !h)
		return E_INVAL;
	irq_handler_fn old = guarded_get(&irq_handlers[vec]);
	if (!old)
		return E_NOENT;
	cell_pin_addr((const void *)h);
	guarded_set(&irq_handlers[vec], (const void *)h);
	cell_unpin_addr((const void *)old);
	return E_OK;
}

int
exc_unregister_irq(uint8_t vec, irq_handler_fn h)
{
	if (vec < 32 || guarded_get(&irq_handlers[vec]) != (void *)h)
		return E_NOENT;
	guarded_set(&irq_handlers[vec], NULL);
	cell_unpin_addr((const void *)h);
	return E_OK;
}

int
exc_register_fault_handler(uint8_t vec, fault_handler_fn h)
{
	if (vec >= 32)
		return E_INVAL;
	cell_unpin_addr(guarded_get(&fault_handlers[vec]));
	guarded_set(&fault_handlers[vec], (const void *)h);
	cell_pin_addr((const void *)h);
	return E_OK;
}

void
exc_set_fatal_hook(void (*hook)(const struct fault_info *fi))
{
	cell_unpin_addr(guarded_get(&fatal_hook));
	guarded_set(&fatal_hook, (const void *)hook);
	cell_pin_addr((const void *)hook);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(panic);
EXPORT_APP(exc_name);
