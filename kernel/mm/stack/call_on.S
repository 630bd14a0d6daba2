/*
 * call_on.S: uint64_t stack_call_on(top, fn, arg) - run fn(arg) on the
 * stack ending at `top`, then come back to the caller's stack.
 */
	.section .text.stack_call_on, "ax"
	.globl stack_call_on
	.type stack_call_on, @function
stack_call_on:
	.cfi_startproc
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register rbp
	movq %rdi, %rsp        /* switch */
	andq $-16, %rsp
	movq %rsi, %rax
	movq %rdx, %rdi
	call *%rax
	movq %rbp, %rsp        /* back */
	popq %rbp
	.cfi_def_cfa rsp, 8
	ret
	.cfi_endproc
	.size stack_call_on, . - stack_call_on

	.section .note.GNU-stack, "", @progbits
