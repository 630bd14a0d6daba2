/*
 * trap_frame.h: the register frame every interrupt and exception entry
 * builds on the stack (entry.S pushes it; exc_dispatch receives it). The
 * unwinder will start from this frame, so its layout is pinned here.
 */
#ifndef TRAP_FRAME_H
#define TRAP_FRAME_H

#include "base.h"

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};
compile_assert(trap_frame_size, sizeof(struct trap_frame) == 22 * 8);
compile_assert(trap_frame_vector, offsetof(struct trap_frame, vector) == 15 * 8);
compile_assert(trap_frame_rip, offsetof(struct trap_frame, rip) == 17 * 8);

#endif
