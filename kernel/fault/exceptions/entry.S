/*
 * entry.S: one stub per IDT vector. Each pushes a dummy error code where
 * the CPU does not, then the vector, then falls into a common path that
 * saves every general register (struct trap_frame) and calls
 * exc_dispatch(frame). The CFI marks this as a signal frame and describes
 * where the interrupted context lives, so the DWARF unwinder can walk
 * from a handler back into the code that was interrupted.
 */
	.section .text.exc_entry, "ax"
	.code64

/* vectors whose exception pushes an error code */
#define HAS_ERR(v) ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || \
		    (v) == 13 || (v) == 14 || (v) == 17 || (v) == 21 || \
		    (v) == 29 || (v) == 30)

/* push a register and tell the unwinder the frame grew by it */
#define PUSH(reg) pushq %reg; .cfi_adjust_cfa_offset 8
/* the same for a register the unwinder restores: the interrupted value
 * lies at CFA - slot * 8 */
#define PUSH_SAVED(reg, slot) PUSH(reg); .cfi_offset reg, -slot * 8

	.altmacro
	.macro STUB v
	.align 16
exc_stub_\v:
	.if HAS_ERR(\v)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp exc_common
	.endm

	.set i, 0
	.rept 256
	STUB %i
	.set i, i + 1
	.endr

	.align 16
	.globl exc_common
	.type exc_common, @function
exc_common:
	.cfi_startproc simple
	.cfi_signal_frame
	/* at entry: rsp -> vector, error, rip, cs, rflags, rsp, ss */
	.cfi_def_cfa rsp, 7 * 8
	.cfi_offset rip, -5 * 8
	.cfi_offset rsp, -2 * 8
	PUSH(rax)
	PUSH(rbx)
	PUSH(rcx)
	PUSH(rdx)
	PUSH(rsi)
	PUSH(rdi)
	PUSH_SAVED(rbp, 14)
	PUSH(r8)
	PUSH(r9)
	PUSH(r10)
	PUSH(r11)
	PUSH_SAVED(r12, 19)
	PUSH_SAVED(r13, 20)
	PUSH_SAVED(r14, 21)
	PUSH_SAVED(r15, 22)
	.cfi_offset rbx, -9 * 8
	mov %rsp, %rdi
	cld
	call exc_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq
	.cfi_endproc
	.size exc_common, . - exc_common

	/* table of stub addresses for idt setup */
	.section .rodata.exc_stubs, "a"
	.align 8
	.globl exc_stub_table
exc_stub_table:
	.macro ADDR v
	.quad exc_stub_\v
	.endm
	.set i, 0
	.rept 256
	ADDR %i
	.set i, i + 1
	.endr

	.section .note.GNU-stack, "", @progbits
