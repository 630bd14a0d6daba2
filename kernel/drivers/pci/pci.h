/*
 * pci: the PCI bus as a cell. Configuration space through the legacy
 * ports 0xCF8/0xCFC, or ECAM when ACPI has an MCFG table (config.c);
 * enumeration of buses (following bridges), functions, BARs and
 * capabilities into a device table (enum.c); memory BARs mapped once, as
 * device memory, and lent to drivers (enum.c); interrupts - MSI-X, MSI,
 * legacy INTx and ISA lines through the IOAPIC - delivered to a driver's
 * handler under a fault catcher, so a fault in a handler masks that line
 * and has the driver reloaded instead of stopping the CPU (irq.c); DMA
 * buffers (dma.c); and the start-up probe that loads the driver cell of
 * each known device (start.c).
 *
 * State: the device table, BAR mappings, the interrupt lines. They
 * describe the hardware and who serves it, not any client's requests.
 */
#ifndef PCI_H
#define PCI_H

#include "base.h"
#include "memory.h"

#define PCI_MAX_DEVS 48
#define PCI_MAX_CAPS 12

struct pci_bar {
	uint64_t base, size;   /* size 0: no BAR */
	bool io, mem64, prefetch;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif, rev, header;
	uint8_t irq_line, irq_pin;    /* pin 0: no INTx */
	struct pci_bar bar[6];
	uint8_t cap_id[PCI_MAX_CAPS], cap_off[PCI_MAX_CAPS];
	size_t ncaps;
	bool ext_config;              /* 4 KiB of config space (ECAM) */
	struct mapped_pages *bar_map[6]; /* owned by the pci cell */
};

/* PCI capability ids */
#define PCI_CAP_PM    0x01
#define PCI_CAP_MSI   0x05
#define PCI_CAP_VNDR  0x09
#define PCI_CAP_PCIE  0x10
#define PCI_CAP_MSIX  0x11

/* command register bits */
#define PCI_CMD_IO       (1u << 0)
#define PCI_CMD_MEM      (1u << 1)
#define PCI_CMD_MASTER   (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)

/* ---- configuration space ---- */
uint32_t pci_cfg_read(const struct pci_dev *d, unsigned off, unsigned width);
void pci_cfg_write(const struct pci_dev *d, unsigned off, unsigned width, uint32_t v);
/* "ECAM at 0x... (buses a-b)" or "legacy ports 0xcf8/0xcfc" */
const char *pci_access_method(void);

/* ---- devices ---- */
int pci_init(void) __must_check;            /* enumerate (once) */
size_t pci_count(void);
const struct pci_dev *pci_get(size_t i);     /* NULL past the end */
/* the n-th function with this vendor and device id (n from 0) */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned n);
struct pci_dev *pci_find_class(uint8_t class, uint8_t subclass, unsigned n);
/* offset of the first capability `id`, 0 if none */
unsigned pci_cap(const struct pci_dev *d, uint8_t id);
/* set command bits (PCI_CMD_*) */
void pci_enable(struct pci_dev *d, uint16_t cmd_bits);
/* a memory BAR, mapped as device memory (uncached) on first use; the
 * mapping belongs to the pci cell and lives as long as the system */
volatile void *pci_bar_map(struct pci_dev *d, unsigned bar, int *err);
const char *pci_class_name(uint8_t class, uint8_t subclass);
/* the device's name, NULL if the table does not know it */
const char *pci_device_name(uint16_t vendor, uint16_t device);

/* ---- interrupts (irq.c) ----
 * A handler runs in interrupt context, under a fault catcher: if it
 * faults, its line is masked, the fault logged and counted, and the
 * pci-recover task reloads the handler's cell (cell_swap with
 * "<cell>_adopt") and then calls the recover function the driver names,
 * in task context: the driver resets its device there. The pci cell sends
 * the EOI. */
typedef void (*pci_irq_fn)(void *ctx);
typedef void (*pci_recover_fn)(void *ctx);
enum pci_irq_kind { PCI_IRQ_NONE, PCI_IRQ_MSIX, PCI_IRQ_MSI, PCI_IRQ_INTX, PCI_IRQ_ISA };
struct pci_irq_info {
	uint8_t vector;
	enum pci_irq_kind kind;
	uint32_t gsi;                 /* INTx/ISA */
	uint64_t count, spurious_masked, faults, recoveries;
	bool faulted;
	char owner[24];               /* cell of the handler */
};
/* MSI-X (table entry 0), else MSI, else INTx through the IOAPIC;
 * *vector gets the vector */
int pci_irq_attach(struct pci_dev *d, pci_irq_fn fn, pci_recover_fn rec, void *ctx,
		   uint8_t *vector) __must_check;
/* an ISA interrupt line (compatibility-mode IDE: 14, 15), edge-triggered */
int pci_irq_attach_isa(unsigned isa_irq, pci_irq_fn fn, pci_recover_fn rec, void *ctx,
		       uint8_t *vector) __must_check;
/* a driver's transfer function points its line at its new cell's code;
 * *was_faulted says whether the line faulted (the device needs a reset) */
int pci_irq_rebind(uint8_t vector, pci_irq_fn fn, pci_recover_fn rec, void *ctx,
		   bool *was_faulted) __must_check;
/* mask the line at its source and let its vector go (the registration's
 * pin on the handler's cell with it) */
int pci_irq_detach(uint8_t vector) __must_check;
/* unmask a line a fault masked (the driver's recover function, after the
 * reset) */
int pci_irq_unmask(uint8_t vector) __must_check;
int pci_irq_get(uint8_t vector, struct pci_irq_info *out) __must_check;
/* deliver the line's interrupt by IPI to this CPU (tests: a spurious
 * interrupt, nothing from the device) and wait until it was dispatched;
 * a level-triggered line is masked meanwhile (irq.c says why) */
int pci_irq_self(uint8_t vector) __must_check;
/* the number of lines attached; their vectors in out */
size_t pci_irq_lines(uint8_t *out, size_t max);
/* swap a driver cell in the kernel namespace for a fresh copy of itself,
 * carrying its data, with its transfer function "<cell>_adopt" (what
 * pci-recover does after a handler fault; tests swap drivers with it);
 * note says what happened or why not */
struct swap_times;
int pci_driver_reload(const char *cell, struct swap_times *t, char *note, size_t n) __must_check;
/* wait until the recovery of a faulted line is done (tests); E_TIMEDOUT */
int pci_irq_wait_recovered(uint8_t vector, uint64_t timeout_ns) __must_check;

/* ---- DMA (dma.c) ----
 * A DMA buffer is a MappedPages on physically contiguous frames below
 * `limit` (a device's addressing limit): mp_phys() is the address to give
 * the device. Its frames are pinned while it lives (nothing moves or
 * reuses a mapped frame); the owner must stop the device from using it
 * before dropping it. */
struct mapped_pages *pci_dma_alloc(size_t bytes, uint64_t limit, int *err) OWNED_BY(mp_drop);

/* ---- start-up (start.c): enumerate, log, load the drivers ---- */
void pci_start(const char *cmdline);

#endif
