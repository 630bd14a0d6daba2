/*
 * start.c: pci_start, called by the captain: enumerate, log every
 * function, start the pci-recover task, then load the driver cell of each
 * known device and call its probe function (by name, as the captain
 * enters cells: nothing links to a driver that is not wanted).
 * State: none.
 */
#define LOG_TAG "pci"
#include "pci.h"
#include "cell_mgr.h"
#include "logger.h"
#include "pci_int.h"

static const struct {
	uint16_t vendor, device;   /* 0: match the class */
	uint8_t class, subclass;
	const char *cell, *probe;
} drivers[] = {
	{ 0x8086, 0x100E, 0, 0, "e1000", "e1000_probe" },           /* QEMU -device e1000 (82540EM) */
	{ 0x1AF4, 0x1001, 0, 0, "virtio_blk", "virtio_blk_probe" }, /* virtio-blk, transitional */
	{ 0, 0, 0x01, 0x01, "ata", "ata_probe" },                    /* IDE (QEMU: PIIX3) */
};

static bool
matches(const struct pci_dev *d, size_t k)
{
	if (drivers[k].vendor)
		return d->vendor == drivers[k].vendor && d->device == drivers[k].device;
	return d->class == drivers[k].class && d->subclass == drivers[k].subclass;
}

static void
probe(size_t k)
{
	struct cell_error why;
	const char *names[] = { drivers[k].cell };
	int err = cell_load(cell_ns_kernel(), names, 1, &why);
	if (err && err != E_EXIST) {
		log_err("driver %s: %s", drivers[k].cell, why.msg);
		return;
	}
	uint64_t fn = cell_sym_addr(cell_ns_kernel(), drivers[k].probe);
	if (!fn) {
		log_err("driver %s has no %s", drivers[k].cell, drivers[k].probe);
		return;
	}
	err = ((int (*)(void))(uintptr_t)fn)();
	if (err)
		log_err("driver %s: %s failed: %s", drivers[k].cell, drivers[k].probe, err_str(err));
}

void
pci_start(const char *cmdline)
{
	(void)cmdline;
	int err = pci_init();
	if (err) {
		log_warn("no PCI devices found: %s", err_str(err));
		return;
	}
	log_info("%zu functions, configuration space through %s", pci_count(), pci_access_method());
	err = pci_irq_start_worker();
	if (err)
		log_err("no pci-recover task: %s; a faulting interrupt handler leaves its line masked", err_str(err));
	for (size_t k = 0; k < ARRAY_SIZE(drivers); k++) {
		bool any = false;
		for (size_t i = 0; i < pci_count(); i++)
			any |= matches(pci_get(i), k);
		if (any)
			probe(k);
	}
}
