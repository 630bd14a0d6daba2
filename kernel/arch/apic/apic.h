/*
 * apic: the local APIC (xAPIC, memory-mapped through MappedPages as
 * device memory): enable, EOI, the periodic timer that drives preemption
 * (calibrated against the TSC), and inter-processor interrupts.
 * State: the one mapping of the LAPIC page (every CPU sees its own APIC at
 * the same address), the calibrated tick rate, the tick handler.
 */
#ifndef APIC_H
#define APIC_H

#include "base.h"

#define VEC_TIMER     0x20
#define VEC_KICK      0xF0  /* "you have new work": reschedule */
#define VEC_TLB       0xF1  /* TLB shootdown */
#define VEC_SPURIOUS  0xFF

int apic_init_cpu(void) __must_check;   /* map (first call) and enable */
uint32_t apic_id(void);
void apic_eoi(void);
/* periodic timer on this CPU at `hz`, calling tick() from the interrupt */
int apic_timer_start(unsigned hz, void (*tick)(void)) __must_check;
uint64_t apic_timer_hz(void);
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
/* an NMI to one CPU (delivered even with its interrupts off; wakes hlt) */
void apic_send_nmi(uint32_t id);
void apic_send_init(uint32_t apic_id);
void apic_send_sipi(uint32_t apic_id, uint8_t page);

/* I/O APICs (ioapic.c) */
int ioapic_add(uint64_t phys, uint32_t gsi_base) __must_check;
/* route a global system interrupt to `vector` on the CPU with `apic` id
 * (ISA interrupts: edge, active high) */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic, bool level, bool active_low) __must_check;
int ioapic_mask(uint32_t gsi) __must_check;
/* a GSI's raw redirection entry, to save and put back (a test that borrows
 * a device's interrupt restores its owner's routing) */
int ioapic_entry_get(uint32_t gsi, uint64_t *entry) __must_check;
int ioapic_entry_set(uint32_t gsi, uint64_t entry) __must_check;

#endif
