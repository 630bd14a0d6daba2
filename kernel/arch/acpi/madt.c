/*
 * madt.c: the Multiple APIC Description Table (ACPI 6, 5.2.12). Pure.
 */
#include "acpi.h"
#include "base.h"
#include "klibc.h"

int
acpi_parse_madt(const void *madt, size_t len, struct acpi_info *out)
{
	const uint8_t *p = madt;
	if (len < 44)
		return E_FORMAT;
	uint32_t lapic;
	memcpy(&lapic, p + 36, 4);
	out->lapic_addr = lapic;
	out->ncpus = out->nioapics = 0;
	for (unsigned i = 0; i < 16; i++)
		out->isa_irq_gsi[i] = i;
	for (size_t off = 44; off + 2 <= len;) {
		uint8_t type = p[off], elen = p[off + 1];
		if (elen < 2 || off + elen > len)
			return E_FORMAT;
		const uint8_t *e = p + off;
		switch (type) {
		case 0: /* processor local APIC: acpi id, apic id, flags */
			if (elen >= 8) {
				uint32_t flags;
				memcpy(&flags, e + 4, 4);
				if ((flags & 1) && out->ncpus < ACPI_MAX_CPUS)
					out->cpu_apic_ids[out->ncpus++] = e[3];
			}
			break;
		case 1: /* IOAPIC: id, reserved, address, GSI base */
			if (elen >= 12 && out->nioapics < ACPI_MAX_IOAPICS) {
				out->ioapics[out->nioapics].id = e[2];
				memcpy(&out->ioapics[out->nioapics].addr, e + 4, 4);
				memcpy(&out->ioapics[out->nioapics].gsi_base, e + 8, 4);
				out->nioapics++;
			}
			break;
		case 2: /* interrupt source override: bus, source, GSI, flags */
			if (elen >= 10 && e[3] < 16)
				memcpy(&out->isa_irq_gsi[e[3]], e + 4, 4);
			break;
		case 5: /* 64-bit local APIC address override */
			if (elen >= 12)
				memcpy(&out->lapic_addr, e + 4, 8);
			break;
		default:
			break;
		}
		off += elen;
	}
	return out->ncpus ? E_OK : E_FORMAT;
}
