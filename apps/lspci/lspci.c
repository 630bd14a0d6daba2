/*
 * lspci: the PCI functions the pci cell enumerated (bus:dev.fn,
 * vendor:device, class), with -v their BARs and capabilities; then the
 * device interrupt lines and who serves them.
 */
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "pci.h"

int main(int argc, char **argv);

static const char *
cap_name(uint8_t id)
{
	switch (id) {
	case PCI_CAP_PM: return "power-management";
	case PCI_CAP_MSI: return "MSI";
	case PCI_CAP_VNDR: return "vendor";
	case PCI_CAP_PCIE: return "PCI-Express";
	case PCI_CAP_MSIX: return "MSI-X";
	default: return "other";
	}
}

static void
print_verbose(const struct pci_dev *d)
{
	for (unsigned i = 0; i < 6; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (!b->size)
			continue;
		kprintf("    BAR%u: %s at %#lx, %lu bytes%s%s\n", i, b->io ? "I/O" : "memory", b->base, b->size,
			b->mem64 ? ", 64-bit" : "", b->prefetch ? ", prefetchable" : "");
	}
	if (d->irq_pin)
		kprintf("    INTx: pin %c, line %u\n", 'A' + d->irq_pin - 1, d->irq_line);
	for (size_t i = 0; i < d->ncaps; i++)
		kprintf("    capability %#04x (%s) at %#x\n", d->cap_id[i], cap_name(d->cap_id[i]), d->cap_off[i]);
	if (d->ext_config)
		kprintf("    extended configuration space (4 KiB)\n");
}

int
main(int argc, char **argv)
{
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	if (argc > 2 || (argc == 2 && !verbose)) {
		kprintf("usage: lspci [-v]\n");
		return 2;
	}
	kprintf("PCI configuration space: %s\n", pci_access_method());
	for (size_t i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		const char *name = pci_device_name(d->vendor, d->device);
		kprintf("%02x:%02x.%u %04x:%04x %s (class %02x%02x%02x)%s%s\n", d->bus, d->dev, d->fn, d->vendor,
			d->device, pci_class_name(d->class, d->subclass), d->class, d->subclass, d->progif,
			name ? ": " : "", name ? name : "");
		if (verbose)
			print_verbose(d);
	}
	uint8_t vecs[32];
	size_t n = pci_irq_lines(vecs, ARRAY_SIZE(vecs));
	static const char *const kinds[] = { "none", "MSI-X", "MSI", "INTx", "ISA" };
	for (size_t i = 0; i < n; i++) {
		struct pci_irq_info in;
		if (pci_irq_get(vecs[i], &in))
			continue;
		kprintf("interrupt vector %#x: %s%s, cell %s, %lu interrupts, %lu while masked, %lu faults, %lu recoveries\n",
			in.vector, kinds[in.kind], in.faulted ? " (masked after a fault)" : "", in.owner, in.count,
			in.spurious_masked, in.faults, in.recoveries);
	}
	return 0;
}
