/*
 * enum.c: enumeration. Bus 0 first; every function of every device is
 * read (header, class, interrupt pin and line, BARs sized by writing all
 * ones with decoding off, the capability list); a PCI-to-PCI bridge's
 * secondary bus is scanned in turn. Memory BARs are mapped once, on a
 * driver's first request, and the mapping stays with the device table.
 * State: the device table (written at enumeration, then only BAR
 * mappings are added, under the table lock).
 */
#define LOG_TAG "pci"
#include "pci.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"

static struct pci_dev devs[PCI_MAX_DEVS];
static size_t ndevs;
static bool scanned;
static struct spinlock map_lock = SPINLOCK_INIT;

static void scan_bus(uint8_t bus, unsigned depth);

static void
size_bars(struct pci_dev *d)
{
	unsigned nbars = d->header == 0 ? 6 : d->header == 1 ? 2 : 0;
	uint16_t cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);
	pci_cfg_write(d, 0x04, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < nbars; i++) {
		unsigned off = 0x10 + 4 * i;
		uint32_t lo = pci_cfg_read(d, off, 4);
		pci_cfg_write(d, off, 4, 0xFFFFFFFF);
		uint32_t szlo = pci_cfg_read(d, off, 4);
		pci_cfg_write(d, off, 4, lo);
		struct pci_bar *b = &d->bar[i];
		if (lo & 1) { /* I/O */
			uint32_t mask = szlo & ~3u & 0xFFFF;
			b->io = true;
			b->base = lo & ~3u;
			b->size = mask ? (~mask & 0xFFFF) + 1 : 0;
			continue;
		}
		b->prefetch = lo & 8;
		uint64_t base = lo & ~0xFu, mask = szlo & ~0xFu;
		if (((lo >> 1) & 3) == 2 && i + 1 < nbars) { /* 64-bit: the next BAR is the high half */
			uint32_t hi = pci_cfg_read(d, off + 4, 4);
			pci_cfg_write(d, off + 4, 4, 0xFFFFFFFF);
			uint32_t szhi = pci_cfg_read(d, off + 4, 4);
			pci_cfg_write(d, off + 4, 4, hi);
			b->mem64 = true;
			base |= (uint64_t)hi << 32;
			mask |= (uint64_t)szhi << 32;
			i++;
		} else if (mask) {
			mask |= 0xFFFFFFFF00000000ull;
		}
		b->base = base;
		b->size = mask ? ~mask + 1 : 0;
	}
	pci_cfg_write(d, 0x04, 2, cmd);
}

static void
read_caps(struct pci_dev *d)
{
	if (!(pci_cfg_read(d, 0x06, 2) & (1u << 4)))
		return;
	unsigned off = pci_cfg_read(d, 0x34, 1) & 0xFC;
	/* at most 48 steps: a malformed list that loops ends here */
	for (unsigned steps = 0; off >= 0x40 && steps < 48 && d->ncaps < PCI_MAX_CAPS; steps++) {
		d->cap_id[d->ncaps] = (uint8_t)pci_cfg_read(d, off, 1);
		d->cap_off[d->ncaps++] = (uint8_t)off;
		off = pci_cfg_read(d, off + 1, 1) & 0xFC;
	}
}

static void
add_function(uint8_t bus, uint8_t dev, uint8_t fn, unsigned depth)
{
	struct pci_dev probe = { .bus = bus, .dev = dev, .fn = fn };
	uint32_t id = pci_cfg_read(&probe, 0, 4);
	if ((id & 0xFFFF) == 0xFFFF)
		return;
	if (ndevs == PCI_MAX_DEVS) {
		log_warn("more than %u PCI functions: %02x:%02x.%u and later ignored", PCI_MAX_DEVS, bus, dev, fn);
		return;
	}
	struct pci_dev *d = &devs[ndevs];
	*d = probe;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	uint32_t cls = pci_cfg_read(d, 0x08, 4);
	d->rev = (uint8_t)cls;
	d->progif = (uint8_t)(cls >> 8);
	d->subclass = (uint8_t)(cls >> 16);
	d->class = (uint8_t)(cls >> 24);
	d->header = pci_cfg_read(d, 0x0E, 1) & 0x7F;
	d->irq_line = (uint8_t)pci_cfg_read(d, 0x3C, 1);
	d->irq_pin = (uint8_t)pci_cfg_read(d, 0x3D, 1);
	size_bars(d);
	read_caps(d);
	d->ext_config = pci_cap(d, PCI_CAP_PCIE) && pci_cfg_read(d, 0x100, 4) != 0xFFFFFFFF;
	ndevs++;
	if (d->header == 1 && depth < 8) {
		uint8_t secondary = (uint8_t)pci_cfg_read(d, 0x19, 1);
		if (secondary > bus)
			scan_bus(secondary, depth + 1);
	}
}

static void
scan_bus(uint8_t bus, unsigned depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct pci_dev probe = { .bus = bus, .dev = dev };
		if ((pci_cfg_read(&probe, 0, 2) & 0xFFFF) == 0xFFFF)
			continue;
		bool multi = pci_cfg_read(&probe, 0x0E, 1) & 0x80;
		for (uint8_t fn = 0; fn < (multi ? 8 : 1); fn++)
			add_function(bus, dev, fn, depth);
	}
}

int
pci_init(void)
{
	if (scanned)
		return E_OK;
	scan_bus(0, 0);
	scanned = true;
	return ndevs ? E_OK : E_NOENT;
}

size_t
pci_count(void)
{
	return ndevs;
}

const struct pci_dev *
pci_get(size_t i)
{
	return i < ndevs ? &devs[i] : NULL;
}

struct pci_dev *
pci_find(uint16_t vendor, uint16_t device, unsigned n)
{
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i].vendor == vendor && devs[i].device == device && n-- == 0)
			return &devs[i];
	return NULL;
}

struct pci_dev *
pci_find_class(uint8_t class, uint8_t subclass, unsigned n)
{
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i].class == class && devs[i].subclass == subclass && n-- == 0)
			return &devs[i];
	return NULL;
}

unsigned
pci_cap(const struct pci_dev *d, uint8_t id)
{
	for (size_t i = 0; i < d->ncaps; i++)
		if (d->cap_id[i] == id)
			return d->cap_off[i];
	return 0;
}

void
pci_enable(struct pci_dev *d, uint16_t bits)
{
	uint16_t cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);
	pci_cfg_write(d, 0x04, 2, cmd | bits);
}

volatile void *
pci_bar_map(struct pci_dev *d, unsigned i, int *err)
{
	if (i >= 6 || !d->bar[i].size)
		return err_null(err, E_NOENT);
	if (d->bar[i].io)
		return err_null(err, E_INVAL);
	if (!IS_ALIGNED(d->bar[i].base, PAGE_SIZE) || d->bar[i].size > (64u << 20))
		return err_null(err, E_ALIGN);
	bool irq = spin_lock_irq(&map_lock);
	struct mapped_pages *mp = d->bar_map[i];
	spin_unlock_irq(&map_lock, irq);
	if (!mp) {
		struct mapped_pages *fresh = mp_map_phys(d->bar[i].base, ALIGN_UP(d->bar[i].size, PAGE_SIZE),
							 MP_WRITE | MP_NOCACHE, err);
		if (!fresh)
			return NULL;
		mp_set_acct(fresh, 0); /* the device table's, not a test's */
		irq = spin_lock_irq(&map_lock);
		if (!d->bar_map[i]) {
			d->bar_map[i] = fresh;
			fresh = NULL;
		}
		mp = d->bar_map[i];
		spin_unlock_irq(&map_lock, irq);
		mp_drop(fresh);
	}
	return mp_as_mut(mp, 0, d->bar[i].size, err);
}

const char *
pci_device_name(uint16_t vendor, uint16_t device)
{
	static const struct { uint16_t v, d; const char *name; } names[] = {
		{ 0x8086, 0x1237, "Intel 440FX host bridge" }, { 0x8086, 0x7000, "Intel PIIX3 ISA bridge" },
		{ 0x8086, 0x7010, "Intel PIIX3 IDE" }, { 0x8086, 0x7113, "Intel PIIX4 ACPI" },
		{ 0x8086, 0x100E, "Intel 82540EM Gigabit Ethernet (e1000)" }, { 0x8086, 0x10D3, "Intel 82574L (e1000e)" },
		{ 0x8086, 0x29C0, "Intel Q35 host bridge" }, { 0x8086, 0x2918, "Intel ICH9 LPC bridge" },
		{ 0x8086, 0x2922, "Intel ICH9 AHCI" }, { 0x8086, 0x2930, "Intel ICH9 SMBus" },
		{ 0x1AF4, 0x1001, "virtio block device (transitional)" }, { 0x1AF4, 0x1042, "virtio block device" },
		{ 0x1234, 0x1111, "QEMU standard VGA" }, { 0x1234, 0x11E8, "QEMU edu (teaching device)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].v == vendor && names[i].d == device)
			return names[i].name;
	return NULL;
}

const char *
pci_class_name(uint8_t class, uint8_t subclass)
{
	static const struct { uint8_t c, s; const char *name; } names[] = {
		{ 0x01, 0x01, "IDE controller" }, { 0x01, 0x00, "SCSI controller" },
		{ 0x01, 0x06, "SATA controller" }, { 0x01, 0x80, "storage controller" },
		{ 0x02, 0x00, "Ethernet controller" }, { 0x03, 0x00, "VGA controller" },
		{ 0x06, 0x00, "host bridge" }, { 0x06, 0x01, "ISA bridge" },
		{ 0x06, 0x04, "PCI bridge" }, { 0x06, 0x80, "bridge" },
		{ 0x00, 0xFF, "unclassified device" }, { 0xFF, 0x00, "unassigned class" },
		{ 0x0C, 0x03, "USB controller" }, { 0x0C, 0x05, "SMBus" }, { 0x04, 0x03, "audio device" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].c == class && names[i].s == subclass)
			return names[i].name;
	switch (class) {
	case 0x00: return "unclassified device";
	case 0x01: return "storage controller";
	case 0x02: return "network controller";
	case 0x03: return "display controller";
	case 0x06: return "bridge";
	default: return "device";
	}
}

/* what applications may call (lspci; see export.h) */
EXPORT_APP(pci_count);
EXPORT_APP(pci_get);
EXPORT_APP(pci_class_name);
EXPORT_APP(pci_device_name);
EXPORT_APP(pci_cap);
