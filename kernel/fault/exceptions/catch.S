/*
 * catch.S: fault_catch_arm saves the callee-saved registers, stack pointer,
 * return address and flags (like setjmp) and registers the catcher;
 * fault_catch_resume returns into it with value 1. Used to survive an
 * expected fault (tests that probe protections) until the DWARF unwinder
 * can release the faulting frames instead.
 */
	.section .text.fault_catch, "ax"
	.code64

	.globl fault_catch_arm
	.type fault_catch_arm, @function
/* int fault_catch_arm(struct fault_catch *c) */
fault_catch_arm:
	.cfi_startproc
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)        /* rsp after our return */
	movq (%rsp), %rax
	movq %rax, 56(%rdi)        /* return address */
	pushfq
	.cfi_adjust_cfa_offset 8
	popq %rax
	.cfi_adjust_cfa_offset -8
	movq %rax, 64(%rdi)
	subq $8, %rsp              /* keep the ABI's 16-byte alignment */
	.cfi_adjust_cfa_offset 8
	call fault_catch_push
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
	xorl %eax, %eax
	ret
	.cfi_endproc
	.size fault_catch_arm, . - fault_catch_arm

	.globl fault_catch_resume
	.type fault_catch_resume, @function
/* noreturn void fault_catch_resume(struct fault_catch *c) */
fault_catch_resume:
	.cfi_startproc
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	pushq 64(%rdi)
	popfq
	movl $1, %eax
	jmp *56(%rdi)
	.cfi_endproc
	.size fault_catch_resume, . - fault_catch_resume

	.section .note.GNU-stack, "", @progbits
