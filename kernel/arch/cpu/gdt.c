/*
 * gdt.c: per-CPU GDT and TSS. In a single-privilege system the GDT only
 * needs a 64-bit code and data segment and the TSS, whose sole job is to
 * name the IST stacks the CPU switches to for #DF, NMI and #MC - so that a
 * kernel stack overflow still reaches a handler.
 * State: gdts[] and tss[] per CPU slot; each is written once by its CPU.
 */
#include "cpu.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;
compile_assert(tss_size, sizeof(struct tss) == 104);

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __packed;

/* null, kcode, kdata, tss (two slots) */
static uint64_t gdts[MAX_CPUS][5] __aligned(16);
static struct tss tss[MAX_CPUS] __aligned(16);

void
gdt_init_cpu(unsigned cpu, const uintptr_t ist_tops[IST_COUNT])
{
	uint64_t *g = gdts[cpu];
	struct tss *t = &tss[cpu];

	for (int i = 0; i < IST_COUNT; i++)
		t->ist[i] = ist_tops[i];
	t->iomap_base = sizeof(*t);

	g[0] = 0;
	g[1] = 0x00AF9A000000FFFFULL; /* 64-bit code, present, ring 0 */
	g[2] = 0x00CF92000000FFFFULL; /* data, present, writable */
	uint64_t base = (uint64_t)(uintptr_t)t;
	uint64_t limit = sizeof(*t) - 1;
	g[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
	       (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	g[4] = base >> 32;

	struct gdtr r = { sizeof(gdts[cpu]) - 1, (uint64_t)(uintptr_t)g };
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"mov %2, %%ax\n\t"
		"mov %%ax, %%ds\n\t"
		"mov %%ax, %%es\n\t"
		"mov %%ax, %%ss\n\t"
		"xor %%eax, %%eax\n\t"
		"mov %%ax, %%fs\n\t"
		"ltr %w3\n\t"
		:
		: "m"(r), "i"((uint64_t)SEL_KCODE), "i"(SEL_KDATA), "r"((uint16_t)SEL_TSS)
		: "rax", "memory");
}
