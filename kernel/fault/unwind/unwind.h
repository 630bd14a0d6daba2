/*
 * unwind: our own DWARF unwinder (thesis 6.2, 8.2.1). When a task panics,
 * takes a CPU exception or is killed, it walks the task's frames with the
 * .eh_frame of each cell, and for every frame whose call-site table
 * (.gcc_except_table) has a landing pad at that pc it enters the pad: GCC's
 * cleanups run (the drops of every _cleanup_ variable live there), and the
 * pad calls _Unwind_Resume to go on. Cells are built with
 * -fnon-call-exceptions, so the faulting instruction's own frame has pads
 * too. When no frame is left, the task cell's finish hook marks the task
 * dead. Every step is checked against the cell metadata (pc inside a cell's
 * text) and the task's stack bounds, so a corrupted stack ends the unwind
 * instead of faulting again.
 * State: the hooks, per-CPU "unwinding" flags, statistics.
 */
#ifndef UNWIND_H
#define UNWIND_H

#include "base.h"
#include "dwarf.h"
#include "exceptions.h"

struct unwind_regs {
	uint64_t r[DW_REGS];   /* DWARF numbering; r[DW_RA] is the pc */
};

struct unwind_report {
	struct fault_info fi;  /* why */
	unsigned frames;       /* frames walked */
	unsigned pads;         /* landing pads entered (cleanups run) */
	unsigned no_pad;       /* frames with cleanups not reachable at their pc */
	bool corrupt;          /* the walk stopped at a bad frame */
	bool stack_lost;       /* not walked at all: the interrupted stack pointer
				* was outside the task's stack (unwind_abandon) */
	uint64_t t_start, t_end; /* tsc_ns */
};

struct unwind_hooks {
	/* the unwind of the current task is over: never returns */
	__noreturn void (*finish)(const struct unwind_report *r);
	/* [lo, hi) of the current task's stack; false if unknown */
	bool (*stack_bounds)(uint64_t *lo, uint64_t *hi);
};
void unwind_set_hooks(const struct unwind_hooks *h);
bool unwind_available(void);

/* unwind the current task from an exception/interrupt frame */
__noreturn void unwind_from_frame(const struct trap_frame *f, const struct fault_info *fi);
/* unwind the current task from the caller of this function (panic, kill self) */
__noreturn void unwind_current(const struct fault_info *fi);
/* the current task's frames cannot be walked (its stack pointer left its
 * stack: fi->stack_lost, or the unwinder itself faulted): end it without
 * unwinding further, on a fresh stack at the top of its own (the cleanups
 * of the frames not walked never run) */
__noreturn void unwind_abandon(const struct fault_info *fi);
/* [lo, hi) of the current task's stack, its guard page included; false
 * if unknown (no task layer, the boot task) */
bool unwind_stack_bounds(uint64_t *lo, uint64_t *hi);

/* capture the caller's callee-saved registers, stack pointer and pc */
void unwind_capture(struct unwind_regs *r);
/* pcs of the frames from `start` (exact pc if `signal`), up to max */
size_t unwind_backtrace(const struct unwind_regs *start, bool signal, uint64_t *pcs, size_t max);
void unwind_print_backtrace(const struct unwind_regs *start, bool signal);
/* registers of a switched-out task from its saved stack pointer */
void unwind_regs_from_switch(uint64_t saved_rsp, struct unwind_regs *r);

struct unwind_stats {
	uint64_t unwinds, pads, frames;
};
void unwind_stats(struct unwind_stats *out);

#endif
