/*
 * trampoline.S: where application processors start. The SMP cell copies
 * smp_tramp_start..smp_tramp_end to physical 0x8000 and fills the data
 * block; each AP starts there in 16-bit real mode (SIPI vector 0x08),
 * goes to protected mode, enables PAE, long mode, NX and paging with a
 * temporary page table (identity for the first 2 MiB, plus the kernel's
 * top-level entries), and jumps to smp_ap_entry64 in the higher half,
 * which loads the kernel's own page table and calls smp_ap_main(cpu).
 * Every address here is TRAMP_BASE + an offset inside the blob, so the
 * blob needs no relocation.
 */
	.set TRAMP_BASE, 0x8000
/* the address a blob label has once copied to TRAMP_BASE */
#define T(x) ((x) - smp_tramp_start + TRAMP_BASE)

	.section .rodata.smp_trampoline, "a"
	.globl smp_tramp_start, smp_tramp_end, smp_tramp_data
	.code16
smp_tramp_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tgdt_ptr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $T(pm32)

	.code32
pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax              /* PAE */
	movl %eax, %cr4
	movl T(d_temp_cr3), %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx           /* EFER: LME, NXE */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax /* PG, WP */
	movl %eax, %cr0
	ljmpl $0x18, $T(lm64)

	.code64
lm64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq T(d_final_cr3), %rax
	movq T(d_stack), %rsp
	movq T(d_cpu), %rdi
	movq T(d_entry), %rbx
	jmp *%rbx

	.align 16
tgdt:
	.quad 0
	.quad 0x00CF9A000000FFFF         /* 0x08: 32-bit code */
	.quad 0x00CF92000000FFFF         /* 0x10: data */
	.quad 0x00AF9A000000FFFF         /* 0x18: 64-bit code */
tgdt_ptr:
	.short tgdt_ptr - tgdt - 1
	.long T(tgdt)

	.align 8
smp_tramp_data:
d_temp_cr3:	.quad 0
d_final_cr3:	.quad 0
d_stack:	.quad 0
d_cpu:		.quad 0
d_entry:	.quad 0
smp_tramp_end:

	.section .text.smp_ap_entry64, "ax"
	.globl smp_ap_entry64
	.type smp_ap_entry64, @function
smp_ap_entry64:
	.cfi_startproc
	.cfi_undefined rip
	movq %rax, %cr3                  /* the kernel's page table */
	xorl %ebp, %ebp
	call smp_ap_main
	ud2
	.cfi_endproc
	.size smp_ap_entry64, . - smp_ap_entry64

	.section .note.GNU-stack, "", @progbits
