/*
 * exceptions: the IDT's 256 entry stubs, the CPU exception reporter
 * (vector, error code decoded, registers, CR2, symbolized backtrace), IRQ
 * handler registration, panic(), and fault catchers.
 *
 * A fault catcher is a setjmp-like recovery point for code that expects a
 * fault (tests probing protections). It is the stopgap until the DWARF
 * unwinder (issue "Unwinding") unwinds the faulting task instead; the entry
 * path already hands a full struct trap_frame to exc_dispatch, which is
 * where that unwinder will start.
 *
 * State: per-CPU catcher chains, the IRQ handler table, the fatal hook.
 */
#ifndef EXCEPTIONS_H
#define EXCEPTIONS_H

#include "base.h"
#include "trap_frame.h"

#define VEC_PANIC 256 /* pseudo-vector reported for panic() */
#define VEC_KILL  257 /* pseudo-vector: killed by task_kill() */
#define VEC_RECOVERY 258 /* pseudo-vector: a recovery stage's outcome (fault log) */
#define VEC_LOCK  259 /* pseudo-vector: a spin lock held too long (cr2: its address) */

struct fault_info {
	uint64_t vector, error, rip, rsp, cr2;
	bool stack_overflow;
	bool repaired;  /* the faulting code's cell was repaired in place (fault hook) */
	bool in_irq;    /* it happened in an interrupt handler (the interrupted task unwinds) */
	bool stack_lost; /* its stack pointer had left the task's stack: not unwound */
	bool in_unwinder; /* it happened in the unwinder: the unwind was abandoned */
	char msg[96]; /* panic message, or the exception's decoded name */
	/* the console report, composed at the fault but not yet written: a
	 * task that unwinds has it written after its recovery (restart), as
	 * writing takes milliseconds under emulation; NULL once written */
	char *report;
};
/* write out fi's deferred report, if any (once: the task cell, after the
 * recovery hook has run) */
void exc_report_flush(const struct fault_info *fi);

struct fault_catch {
	uint64_t regs[9]; /* rbx rbp r12 r13 r14 r15 rsp rip rflags (catch.S) */
	struct fault_catch *prev;
	struct fault_info info;
};

/* 0 when armed; 1 when a fault was caught (c->info says which) */
int fault_catch_arm(struct fault_catch *c) __attribute__((returns_twice));
void fault_catch_disarm(struct fault_catch *c);

typedef void (*irq_handler_fn)(struct trap_frame *f);

void exc_init(void);
/* a handler that may resolve a CPU exception (e.g. #NM for lazy FPU
 * state); returning true resumes the interrupted code */
typedef bool (*fault_handler_fn)(struct trap_frame *f);
int exc_register_fault_handler(uint8_t vec, fault_handler_fn h) __must_check;
int exc_register_irq(uint8_t vec, irq_handler_fn h) __must_check;
/* E_NOENT unless h is vec's handler */
int exc_unregister_irq(uint8_t vec, irq_handler_fn h);
/* replace the handler registered for vec (E_NOENT if none): a driver
 * cell's transfer function takes its interrupt over this way */
int exc_replace_irq(uint8_t vec, irq_handler_fn h) __must_check;
/* called after an interrupt handler, when returning to task code: the task
 * cell delivers pending kills from here (may not return) */
void exc_set_irq_exit_hook(void (*hook)(struct trap_frame *f));
/* what ends the interrupts in service when a fault in an interrupt
 * handler unwinds the interrupted task through it (the APIC's EOIs) */
void exc_set_irq_abort_hook(void (*hook)(void));

/* stuck spin locks broken so far (the spinner went on: exceptions.c) */
uint64_t exc_locks_broken(void);

/* ---- the fault log: every fault, its place and what recovery did ---- */
struct fault_record {
	uint64_t seq, time_ns;
	unsigned cpu;
	uint32_t task_id;
	char task[32];
	uint64_t vector, error, rip, cr2;
	char cell[32], section[48];
	char msg[96];
	char action[160];
	unsigned frames, pads;
	uint64_t unwind_ns;
};
void fault_log_add(struct fault_record *r); /* assigns seq and time */
/* records with seq > since, oldest first; returns how many were copied */
size_t fault_log_read(struct fault_record *out, size_t max, uint64_t since);
uint64_t fault_log_last_seq(void);

/* the first look at every CPU exception, before it is reported and
 * unwound (recovery repairs corrupted code here, before anything else can
 * run it again) */
void exc_set_fault_hook(void (*hook)(const struct trap_frame *f, struct fault_info *fi));

/* called with the frame when an exception has no catcher, before halting */
void exc_set_fatal_hook(void (*hook)(const struct fault_info *fi));
const char *exc_name(uint64_t vector);

__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* print a frame-pointer backtrace starting at (rip, rbp) */
void backtrace_print(uint64_t rip, uint64_t rbp);
/* function name, offset and cell of a code address (NULL if unknown) */
const char *exc_symbolize(uint64_t addr, uint64_t *off, const char **cell);
/* the same from an exception's register frame */
void backtrace_print_frame(const struct trap_frame *f);
/* collect up to max return addresses; returns how many */
size_t backtrace_collect(uint64_t rip, uint64_t rbp, uint64_t *out, size_t max);

#endif
