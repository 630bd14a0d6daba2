/*
 * power: halt (ACPI power-off as QEMU's PIIX4 implements it, else stop
 * every CPU) and reboot (keyboard controller reset, else a triple fault).
 * No state.
 */
#include "power.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "logger.h"

void
power_off(void)
{
	kprintf("System halted.\n");
	irq_disable();
	outw(0x604, 0x2000); /* PM1a_CNT: SLP_EN with sleep type 0 (S5) */
	outw(0xB004, 0x2000); /* older QEMU/Bochs PM base */
	cpu_halt_forever();
}

void
power_reboot(void)
{
	kprintf("Rebooting.\n");
	irq_disable();
	for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
		cpu_relax();
	outb(0x64, 0xFE); /* pulse the reset line */
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed empty = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(empty)); /* triple fault */
	cpu_halt_forever();
}

EXPORT_APP(power_off);
EXPORT_APP(power_reboot);
