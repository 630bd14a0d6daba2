/*
 * idt.c: the interrupt descriptor table, shared by all CPUs (every CPU
 * loads the same table; gates differ only by vector). State: idt[].
 */
#include "cpu.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __packed;
compile_assert(idt_gate_size, sizeof(struct idt_gate) == 16);

static struct idt_gate idt[256] __aligned(16);

void
idt_set_gate(uint8_t vec, uintptr_t h, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = (uint16_t)h,
		.sel = SEL_KCODE,
		.ist = ist,
		.type = 0x8E, /* present, DPL 0, 64-bit interrupt gate */
		.off_mid = (uint16_t)(h >> 16),
		.off_hi = (uint32_t)(h >> 32),
	};
}

uintptr_t
idt_gate_addr(uint8_t vec)
{
	const struct idt_gate *g = &idt[vec];
	return (uintptr_t)g->off_lo | (uintptr_t)g->off_mid << 16 | (uintptr_t)g->off_hi << 32;
}

void
idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed r = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(r));
}

void
cpu_halt_forever(void)
{
	/* a stopped CPU takes no more work, no shootdowns are waited for from
	 * it, and the lockup detector does not wake it */
	struct percpu *pc = rdmsr(MSR_GS_BASE) ? this_cpu() : NULL; /* (none this early) */
	if (pc && pc->self == pc)
		__atomic_store_n(&pc->online, false, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("cli; hlt");
}
