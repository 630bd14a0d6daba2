/*
 * pic.c: the legacy 8259 PICs. We never use them (the APIC cells take
 * interrupts), but out of reset they deliver IRQ 0-7 on vectors 8-15,
 * on top of CPU exceptions. Remap them to 0x20-0x2F and mask every line.
 */
#include "cpu.h"

void
pic_disable(void)
{
	outb(0x20, 0x11); /* ICW1: init, expect ICW4 */
	outb(0xA0, 0x11);
	outb(0x21, 0x20); /* ICW2: vector offsets */
	outb(0xA1, 0x28);
	outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
	outb(0xA1, 0x02);
	outb(0x21, 0x01); /* ICW4: 8086 mode */
	outb(0xA1, 0x01);
	outb(0x21, 0xFF); /* mask all */
	outb(0xA1, 0xFF);
}
