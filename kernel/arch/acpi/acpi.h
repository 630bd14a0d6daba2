/*
 * acpi: the ACPI tables the kernel needs - RSDP (copied by the loader into
 * the boot information), RSDT/XSDT, MADT (CPUs, IOAPICs, interrupt source
 * overrides), HPET and MCFG (PCI Express ECAM). Tables are copied into the heap through short-lived
 * MappedPages (tables often share pages, and a frame is mapped at most
 * once), checksummed, and parsed from the copies.
 * State: the parsed facts (struct acpi_info), written once at boot.
 */
#ifndef ACPI_H
#define ACPI_H

#include "base.h"

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8

struct acpi_info {
	uint32_t cpu_apic_ids[ACPI_MAX_CPUS];
	size_t ncpus;                  /* enabled processors, BSP included */
	uint64_t lapic_addr;
	struct { uint32_t id, addr, gsi_base; } ioapics[ACPI_MAX_IOAPICS];
	size_t nioapics;
	uint32_t isa_irq_gsi[16];      /* after interrupt source overrides */
	uint64_t hpet_addr;            /* 0 if no HPET */
	/* PCI Express configuration space (MCFG's first entry; ecam_base 0 if
	 * there is no MCFG, as on QEMU's pc machine; q35 has one) */
	uint64_t ecam_base;
	uint16_t ecam_segment;
	uint8_t ecam_bus_start, ecam_bus_end;
	char oem[7];
};

int acpi_init(void) __must_check;
const struct acpi_info *acpi_info(void);

/* pure parsers (host-testable): validate and read a table copy */
bool acpi_checksum_ok(const void *table, size_t len);
int acpi_parse_madt(const void *madt, size_t len, struct acpi_info *out) __must_check;

#endif
