/*
 * switch.S: the context switch. Saves the callee-saved registers on the
 * old task's stack, records its stack pointer, loads the new task's, and
 * only then marks the old task as off-CPU (another CPU may now resume it:
 * we are no longer on its stack). FPU state is handled in C (task_fpu_*).
 *
 * void task_switch_asm(struct task *prev, struct task *next)
 *   prev->saved_rsp at offset 0, prev->on_cpu at offset 8
 */
	.section .text.task_switch_asm, "ax"
	.globl task_switch_asm
	.type task_switch_asm, @function
task_switch_asm:
	.cfi_startproc
	pushq %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset rbp, 0
	pushq %rbx
	.cfi_adjust_cfa_offset 8
	pushq %r12
	.cfi_adjust_cfa_offset 8
	pushq %r13
	.cfi_adjust_cfa_offset 8
	pushq %r14
	.cfi_adjust_cfa_offset 8
	pushq %r15
	.cfi_adjust_cfa_offset 8
	movq %rsp, 0(%rdi)
	movq 0(%rsi), %rsp
	movl $0, 8(%rdi)          /* x86 stores are release: context is saved */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.cfi_endproc
	.size task_switch_asm, . - task_switch_asm

/*
 * First entry of a new task: task_switch_asm "returns" here with the task
 * in r12 (placed by task_spawn on its initial stack).
 */
	.section .text.task_entry_trampoline, "ax"
	.globl task_entry_trampoline
	.type task_entry_trampoline, @function
task_entry_trampoline:
	.cfi_startproc
	.cfi_undefined rip        /* the outermost frame: unwinding stops here */
	xorl %ebp, %ebp
	movq %r12, %rdi
	call task_start
	ud2
	.cfi_endproc
	.size task_entry_trampoline, . - task_entry_trampoline

	.section .note.GNU-stack, "", @progbits
