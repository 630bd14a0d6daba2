/*
 * ioapic.c: I/O APICs (from the MADT): every redirection entry masked at
 * start; ioapic_route() sends a global system interrupt to a vector on one
 * CPU. State: the mappings and their GSI ranges.
 */
#define LOG_TAG "ioapic"
#include "apic.h"
#include "base.h"
#include "logger.h"
#include "memory.h"

#define MAX_IOAPICS 8

struct ioapic {
	struct mapped_pages *mp; /* owned for the system's lifetime */
	volatile uint32_t *regs; /* [0] select, [4] window */
	uint32_t gsi_base, count;
};

static struct ioapic ioapics[MAX_IOAPICS];
static size_t n_ioapics;

static uint32_t
rd(struct ioapic *io, uint32_t reg)
{
	io->regs[0] = reg;
	return io->regs[4];
}

static void
wr(struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[0] = reg;
	io->regs[4] = v;
}

int
ioapic_add(uint64_t phys, uint32_t gsi_base)
{
	if (n_ioapics == MAX_IOAPICS)
		return E_NOSPC;
	int err;
	struct mapped_pages *mp = mp_map_phys(phys, PAGE_SIZE, MP_WRITE | MP_NOCACHE, &err);
	if (!mp)
		return err;
	struct ioapic *io = &ioapics[n_ioapics];
	io->regs = MP_AS_ARRAY_MUT(mp, uint32_t, 0, 5, &err);
	io->mp = mp;
	io->gsi_base = gsi_base;
	io->count = ((rd(io, 1) >> 16) & 0xFF) + 1;
	for (uint32_t i = 0; i < io->count; i++) {
		wr(io, 0x10 + 2 * i, 1u << 16); /* masked */
		wr(io, 0x11 + 2 * i, 0);
	}
	n_ioapics++;
	log_info("IOAPIC at %#lx: GSIs %u-%u, all masked", phys, gsi_base, gsi_base + io->count - 1);
	return E_OK;
}

static struct ioapic *
find(uint32_t gsi, uint32_t *pin)
{
	for (size_t i = 0; i < n_ioapics; i++)
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].count) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	return NULL;
}

int
ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic, bool level, bool active_low)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return E_NOENT;
	if (vector < 0x20)
		return E_INVAL;
	wr(io, 0x11 + 2 * pin, apic << 24);
	wr(io, 0x10 + 2 * pin, vector | (level ? 1u << 15 : 0) | (active_low ? 1u << 13 : 0));
	return E_OK;
}

int
ioapic_entry_get(uint32_t gsi, uint64_t *entry)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return E_NOENT;
	*entry = (uint64_t)rd(io, 0x11 + 2 * pin) << 32 | rd(io, 0x10 + 2 * pin);
	return E_OK;
}

int
ioapic_entry_set(uint32_t gsi, uint64_t entry)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return E_NOENT;
	/* masked while the halves disagree, then the low half (and mask bit) */
	wr(io, 0x10 + 2 * pin, rd(io, 0x10 + 2 * pin) | (1u << 16));
	wr(io, 0x11 + 2 * pin, (uint32_t)(entry >> 32));
	wr(io, 0x10 + 2 * pin, (uint32_t)entry);
	return E_OK;
}

int
ioapic_mask(uint32_t gsi)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return E_NOENT;
	wr(io, 0x10 + 2 * pin, rd(io, 0x10 + 2 * pin) | (1u << 16));
	return E_OK;
}
