/*
 * config.c: configuration space access. With an ACPI MCFG table, ECAM:
 * each bus's 1 MiB window is mapped (device memory) when first touched and
 * kept; every function then has 4 KiB of config space. Without one, the
 * legacy mechanism #1: an address written to 0xCF8, data at 0xCFC, 256
 * bytes per function, serialized by a lock (the two ports are one shared
 * register pair).
 * State: the ECAM bus windows, the port lock.
 */
#define LOG_TAG "pci"
#include "pci.h"
#include "acpi.h"
#include "cpu.h"
#include "fmt.h"
#include "logger.h"
#include "memory.h"

static struct spinlock port_lock = SPINLOCK_INIT;
static struct spinlock ecam_lock = SPINLOCK_INIT;
static struct mapped_pages *ecam_bus[256]; /* owned for the system's lifetime */
static char method[64];

static bool
ecam_covers(uint8_t bus)
{
	const struct acpi_info *ai = acpi_info();
	return ai->ecam_base && ai->ecam_segment == 0 && bus >= ai->ecam_bus_start && bus <= ai->ecam_bus_end;
}

/* the bus's window, mapped on first use; NULL if it cannot be mapped */
static volatile uint8_t *
ecam_window(uint8_t bus)
{
	struct mapped_pages *mp = __atomic_load_n(&ecam_bus[bus], __ATOMIC_ACQUIRE);
	if (!mp) {
		const struct acpi_info *ai = acpi_info();
		int err;
		uint64_t phys = ai->ecam_base + ((uint64_t)(bus - ai->ecam_bus_start) << 20);
		bool irq = spin_lock_irq(&ecam_lock);
		mp = ecam_bus[bus];
		spin_unlock_irq(&ecam_lock, irq);
		if (!mp) {
			struct mapped_pages *fresh = mp_map_phys(phys, 1 << 20, MP_WRITE | MP_NOCACHE, &err);
			if (!fresh) {
				log_err("ECAM window of bus %u at %#lx: %s", bus, phys, err_str(err));
				return NULL;
			}
			mp_set_acct(fresh, 0);
			irq = spin_lock_irq(&ecam_lock);
			if (!ecam_bus[bus]) {
				__atomic_store_n(&ecam_bus[bus], fresh, __ATOMIC_RELEASE);
				fresh = NULL;
			}
			mp = ecam_bus[bus];
			spin_unlock_irq(&ecam_lock, irq);
			mp_drop(fresh); /* another task mapped it first */
		}
	}
	int err;
	return mp_as_mut(mp, 0, 1 << 20, &err);
}

static volatile uint8_t *
ecam_addr(const struct pci_dev *d, unsigned off)
{
	if (!ecam_covers(d->bus))
		return NULL;
	volatile uint8_t *w = ecam_window(d->bus);
	return w ? w + ((unsigned)d->dev << 15 | (unsigned)d->fn << 12 | off) : NULL;
}

static uint32_t
port_addr(const struct pci_dev *d, unsigned off)
{
	return 1u << 31 | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8 | (off & 0xFC);
}

uint32_t
pci_cfg_read(const struct pci_dev *d, unsigned off, unsigned width)
{
	if (off + width > (ecam_covers(d->bus) ? 4096u : 256u) || (off & (width - 1)))
		return 0xFFFFFFFF;
	volatile uint8_t *p = ecam_addr(d, off);
	if (p) {
		switch (width) {
		case 1: return *p;
		case 2: return *(volatile uint16_t *)p;
		default: return *(volatile uint32_t *)p;
		}
	}
	bool irq = spin_lock_irq(&port_lock);
	outl(0xCF8, port_addr(d, off));
	uint32_t v = inl(0xCFC);
	spin_unlock_irq(&port_lock, irq);
	v >>= (off & 3) * 8;
	return width == 4 ? v : v & ((1u << (width * 8)) - 1);
}

void
pci_cfg_write(const struct pci_dev *d, unsigned off, unsigned width, uint32_t v)
{
	if (off + width > (ecam_covers(d->bus) ? 4096u : 256u) || (off & (width - 1)))
		return;
	volatile uint8_t *p = ecam_addr(d, off);
	if (p) {
		switch (width) {
		case 1: *p = (uint8_t)v; break;
		case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
		default: *(volatile uint32_t *)p = v; break;
		}
		return;
	}
	bool irq = spin_lock_irq(&port_lock);
	outl(0xCF8, port_addr(d, off));
	/* byte and word writes at 0xCFC + offset touch only that register
	 * (a dword read-modify-write would also write the status register,
	 * whose bits clear when written with 1) */
	if (width == 4)
		outl(0xCFC, v);
	else if (width == 2)
		outw((uint16_t)(0xCFC + (off & 2)), (uint16_t)v);
	else
		outb((uint16_t)(0xCFC + (off & 3)), (uint8_t)v);
	spin_unlock_irq(&port_lock, irq);
}

const char *
pci_access_method(void)
{
	const struct acpi_info *ai = acpi_info();
	if (!method[0]) {
		if (ai->ecam_base && ai->ecam_segment == 0)
			snprintf(method, sizeof(method), "ECAM at %#lx (buses %u-%u, from ACPI MCFG)", ai->ecam_base,
				 ai->ecam_bus_start, ai->ecam_bus_end);
		else
			snprintf(method, sizeof(method), "legacy ports 0xcf8/0xcfc (no ACPI MCFG)");
	}
	return method;
}

/* what applications may call (lspci; see export.h) */
EXPORT_APP(pci_access_method);
