/*
 * boot.S: multiboot2 header and the 32-to-64-bit entry.
 *
 * GRUB enters _start in 32-bit protected mode, paging off, with the
 * multiboot2 magic in eax and the boot information's physical address in
 * ebx. We check for long mode and NX, build temporary page tables (the
 * first GiB identity-mapped and again at KERNEL_VMA, in 2 MiB pages, plus
 * the recursive P4 slot), enable PAE, long mode, NX and write protection,
 * and jump to the higher half, where nano_core_start(info, magic) takes
 * over. mm_init replaces these tables with precise ones.
 *
 * Also defines the static boot stacks (boot CPU stack and its IST stacks),
 * each with a guard page below it that mm_init leaves unmapped.
 */
	.set KERNEL_VMA, 0xFFFFFFFF80000000
	.set MB2_MAGIC, 0xE85250D6
	.set BOOT_STACK_SIZE, 32768
	.set IST_STACK_SIZE, 16384

	.section .multiboot2, "a"
	.align 8
mb2_header:
	.long MB2_MAGIC
	.long 0                                  /* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	/* module alignment tag: page-aligned modules */
	.align 8
	.short 6, 0
	.long 8
	/* framebuffer tag (optional): a linear framebuffer if GRUB can set
	 * one; no preferred geometry here: grub.cfg's gfxpayload chooses
	 * (tools/mkiso.sh), the fbterm cell draws on it */
	.align 8
	.short 5, 1
	.long 20
	.long 0, 0, 0
	/* end tag */
	.align 8
	.short 0, 0
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %esi                 /* magic -> second argument */
	movl %ebx, %edi                 /* info  -> first argument */

	/* long mode and NX? */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode
	testl $(1 << 20), %edx
	jz no_long_mode

	/* P2: 512 x 2 MiB, present + writable + huge */
	movl $boot_p2, %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	movl $boot_p2, %eax
	orl $3, %eax
	movl %eax, boot_p3_low
	movl %eax, boot_p3_high + 510 * 8
	movl $boot_p3_low, %eax
	orl $3, %eax
	movl %eax, boot_p4
	movl $boot_p3_high, %eax
	orl $3, %eax
	movl %eax, boot_p4 + 511 * 8
	movl $boot_p4, %eax
	orl $3, %eax
	movl %eax, boot_p4 + 510 * 8    /* recursive */

	movl %cr4, %eax
	orl $(1 << 5), %eax             /* PAE */
	movl %eax, %cr4
	movl $boot_p4, %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx          /* EFER */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax /* LME, NXE */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

no_long_mode:
	movl $msg_no_lm, %esi
2:	lodsb
	testb %al, %al
	jz 3f
	movw $0x3F8, %dx
	outb %al, %dx
	jmp 2b
3:	hlt
	jmp 3b

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $higher_half, %rax
	jmp *%rax

	.section .boot.data, "a"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF        /* 64-bit code */
	.quad 0x00CF92000000FFFF        /* data */
boot_gdt_ptr:
	.short boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt
msg_no_lm:
	.asciz "Theseus/C: this CPU lacks long mode or NX; halting.\r\n"

	.section .boot.bss, "aw", @nobits
	.align 4096
boot_p4:	.skip 4096
boot_p3_low:	.skip 4096
boot_p3_high:	.skip 4096
boot_p2:	.skip 4096

	.section .text.nano_core_entry, "ax"
	.code64
higher_half:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl %edi, %edi
	movl %esi, %esi
	call nano_core_start
4:	cli
	hlt
	jmp 4b

	/* boot stacks: [guard][stack] each; the guard pages stay unmapped */
	.section .stacks, "aw", @nobits
	.align 4096
guard_boot:	.skip 4096
	.skip BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:
guard_df:	.skip 4096
	.skip IST_STACK_SIZE
	.globl ist_df_top
ist_df_top:
guard_nmi:	.skip 4096
	.skip IST_STACK_SIZE
	.globl ist_nmi_top
ist_nmi_top:
guard_mc:	.skip 4096
	.skip IST_STACK_SIZE
	.globl ist_mc_top
ist_mc_top:

	.section .rodata.boot_guards, "a"
	.align 8
	.globl boot_guard_pages, boot_guard_count, boot_guard_names
boot_guard_pages:
	.quad guard_boot, guard_df, guard_nmi, guard_mc
boot_guard_count:
	.quad 4
boot_guard_names:
	.quad name_boot, name_df, name_nmi, name_mc
name_boot:	.asciz "boot CPU stack"
name_df:	.asciz "double-fault IST"
name_nmi:	.asciz "NMI IST"
name_mc:	.asciz "machine-check IST"

	.section .note.GNU-stack, "", @progbits
