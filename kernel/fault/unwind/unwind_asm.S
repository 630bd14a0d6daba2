/*
 * unwind_asm.S: register capture, entering a landing pad, and
 * _Unwind_Resume (which GCC's landing pads call after their cleanups).
 * struct unwind_regs: r[0..16] in DWARF order (rax rdx rcx rbx rsi rdi
 * rbp rsp r8..r15 ra).
 */
#define R(n) (8 * (n))

/* the callee-saved registers, stored to or loaded from the struct at base */
#define SAVE_CALLEE(base) \
	movq %rbx, R(3)(base); movq %rbp, R(6)(base); movq %r12, R(12)(base); \
	movq %r13, R(13)(base); movq %r14, R(14)(base); movq %r15, R(15)(base)
#define LOAD_CALLEE(base) \
	movq R(3)(base), %rbx; movq R(6)(base), %rbp; movq R(12)(base), %r12; \
	movq R(13)(base), %r13; movq R(14)(base), %r14; movq R(15)(base), %r15

	.section .text.unwind_capture, "ax"
	.globl unwind_capture
	.type unwind_capture, @function
/* void unwind_capture(struct unwind_regs *r) */
unwind_capture:
	.cfi_startproc
	SAVE_CALLEE(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, R(7)(%rdi)        /* the caller's rsp after we return */
	movq (%rsp), %rax
	movq %rax, R(16)(%rdi)       /* the caller's pc */
	ret
	.cfi_endproc
	.size unwind_capture, . - unwind_capture

	.section .text.unwind_enter, "ax"
	.globl unwind_enter
	.type unwind_enter, @function
/* noreturn void unwind_enter(const struct unwind_regs *r, bool irq_on):
 * load the frame's registers and jump to r->r[16] on its stack */
unwind_enter:
	.cfi_startproc
	.cfi_undefined rip
	movq R(16)(%rdi), %r11
	LOAD_CALLEE(%rdi)
	movq R(0)(%rdi), %rax        /* the exception object, for the pad */
	movq R(1)(%rdi), %rdx        /* selector: 0, a cleanup */
	movq R(7)(%rdi), %rsp
	testb %sil, %sil
	jz 1f
	sti
1:	jmp *%r11
	.cfi_endproc
	.size unwind_enter, . - unwind_enter

	.section .text._Unwind_Resume, "ax"
	.globl _Unwind_Resume
	.type _Unwind_Resume, @function
/* noreturn void _Unwind_Resume(struct _Unwind_Exception *e): called by a
 * landing pad when its cleanups are done; go on from the pad's frame */
_Unwind_Resume:
	.cfi_startproc
	subq $(8 * 18), %rsp          /* struct unwind_regs + 8 to keep alignment */
	.cfi_adjust_cfa_offset 8 * 18
	SAVE_CALLEE(%rsp)
	leaq (8 * 19)(%rsp), %rax
	movq %rax, R(7)(%rsp)        /* the pad frame's rsp after this call */
	movq (8 * 18)(%rsp), %rax
	movq %rax, R(16)(%rsp)       /* pc: the return address into the pad */
	movq %rsp, %rsi
	call unwind_resume_c
	ud2
	.cfi_endproc
	.size _Unwind_Resume, . - _Unwind_Resume

	.section .note.GNU-stack, "", @progbits
