/*
 * test_pci: enumeration of the devices tools/qemu-devices.sh attaches,
 * configuration space access, an MSI interrupt and a DMA round trip
 * through QEMU's edu device (BAR0 registers: 0x60 raise an interrupt with
 * these status bits, 0x64 acknowledge them, 0x24 status; DMA: 0x80 source,
 * 0x88 destination, 0x90 count, 0x98 command, its buffer at 0x40000 on the
 * device's side; it reaches 28 bits of physical address; QEMU 7.2 refuses -
 * by stopping the machine - a transfer that ends at the buffer's last
 * byte, so the test moves 2 KiB).
 */
#include "cpu.h"
#include "klibc.h"
#include "ktest.h"
#include "memory.h"
#include "pci.h"
#include "task.h"
#include "tsc.h"

KTEST(pci_enumerates_the_attached_devices)
{
	KT_ASSERT(pci_count() >= 6);
	const struct pci_dev *host = pci_get(0);
	KT_ASSERT(host && host->bus == 0 && host->dev == 0 && host->class == 0x06 && host->subclass == 0x00);
	struct pci_dev *nic = pci_find(0x8086, 0x100E, 0);
	KT_ASSERT(nic && nic->class == 0x02);
	KT_ASSERT(!nic->bar[0].io && nic->bar[0].size == 128 * 1024 && nic->bar[0].base);
	KT_ASSERT(nic->irq_pin == 1);
	struct pci_dev *vb = pci_find(0x1AF4, 0x1001, 0);
	KT_ASSERT(vb && vb->bar[0].io && vb->bar[0].size >= 0x20);
	KT_ASSERT(pci_cap(vb, PCI_CAP_MSIX) >= 0x40);
	struct pci_dev *edu = pci_find(0x1234, 0x11E8, 0);
	KT_ASSERT(edu && pci_cap(edu, PCI_CAP_MSI) >= 0x40);
	KT_ASSERT(pci_find_class(0x01, 0x01, 0));
	KT_ASSERT(!pci_find(0x1234, 0x5678, 0));
}

KTEST(pci_config_space_reads_and_writes)
{
	struct pci_dev *edu = pci_find(0x1234, 0x11E8, 0);
	KT_ASSERT(edu);
	uint32_t id = pci_cfg_read(edu, 0, 4);
	KT_EQ(id, 0x11E81234);
	KT_EQ(pci_cfg_read(edu, 0, 2), 0x1234);
	KT_EQ(pci_cfg_read(edu, 2, 2), 0x11E8);
	KT_EQ(pci_cfg_read(edu, 1, 1), 0x12);
	KT_EQ(pci_cfg_read(edu, 1, 2), 0xFFFFFFFF); /* misaligned: refused */
	KT_EQ(pci_cfg_read(edu, 256, 4), 0xFFFFFFFF); /* past a legacy function's 256 bytes */
	/* the interrupt line register is plain read/write storage */
	uint8_t line = (uint8_t)pci_cfg_read(edu, 0x3C, 1);
	pci_cfg_write(edu, 0x3C, 1, 0x5A);
	uint32_t got = pci_cfg_read(edu, 0x3C, 1);
	uint32_t pin = pci_cfg_read(edu, 0x3D, 1);
	pci_cfg_write(edu, 0x3C, 1, line);
	KT_EQ(got, 0x5A);
	KT_EQ(pin, edu->irq_pin); /* the byte write touched only its byte */
	KT_EQ(pci_cfg_read(edu, 0x3C, 1), line);
}

static volatile uint32_t edu_irqs, edu_status;

static void
edu_irq(void *ctx)
{
	volatile uint32_t *r = ctx;
	uint32_t st = r[0x24 / 4];
	edu_status = st;
	r[0x64 / 4] = st; /* acknowledge */
	edu_irqs++;
}

KTEST(msi_interrupt_from_the_edu_device)
{
	struct pci_dev *edu = pci_find(0x1234, 0x11E8, 0);
	KT_ASSERT(edu);
	int err;
	volatile uint32_t *r = pci_bar_map(edu, 0, &err);
	KT_ASSERT(r);
	KT_EQ(r[0] & 0xFF, 0xED); /* identification: 0x010000ed */
	r[1] = 0x12345678;        /* liveness: reads back inverted */
	KT_EQ(r[1], ~0x12345678u);
	pci_enable(edu, PCI_CMD_MEM);
	uint8_t vec;
	KT_OK(pci_irq_attach(edu, edu_irq, NULL, (void *)r, &vec));
	struct pci_irq_info in;
	KT_OK(pci_irq_get(vec, &in));
	KT_EQ(in.kind, PCI_IRQ_MSI);
	uint32_t before = edu_irqs;
	r[0x60 / 4] = 0x4; /* raise, status bit 2 */
	uint64_t t0 = tsc_ns();
	while (edu_irqs == before && tsc_ns() - t0 < 2000000000)
		task_sleep_ns(1000000);
	int derr = pci_irq_detach(vec);
	KT_EQ(edu_irqs, before + 1);
	KT_EQ(edu_status, 0x4);
	KT_OK(derr);
	KT_EQ(r[0x24 / 4], 0); /* acknowledged */
	KT_EQ(pci_irq_get(vec, &in), E_NOENT);
}

KTEST(dma_buffer_round_trip_through_the_edu_device)
{
	struct pci_dev *edu = pci_find(0x1234, 0x11E8, 0);
	KT_ASSERT(edu);
	int err;
	volatile uint32_t *r = pci_bar_map(edu, 0, &err);
	KT_ASSERT(r);
	volatile uint64_t *r64 = (volatile uint64_t *)r;
	pci_enable(edu, PCI_CMD_MEM | PCI_CMD_MASTER);
	_cleanup_(mp_drop_p) struct mapped_pages *a = pci_dma_alloc(4096, 1ull << 28, &err);
	_cleanup_(mp_drop_p) struct mapped_pages *b = pci_dma_alloc(4096, 1ull << 28, &err);
	KT_ASSERT(a && b);
	KT_ASSERT(mp_phys(a) + 4096 <= (1ull << 28) && mp_phys(b) + 4096 <= (1ull << 28));
	KT_EQ(pci_dma_alloc(0, 1ull << 28, &err), NULL);
	KT_EQ(err, E_INVAL);
	uint8_t *pa = mp_as_mut(a, 0, 4096, &err), *pb = mp_as_mut(b, 0, 4096, &err);
	KT_ASSERT(pa && pb);
	for (int i = 0; i < 4096; i++)
		pa[i] = (uint8_t)(i * 13 + 5);
	/* RAM -> device buffer, then device buffer -> another RAM page */
	const uint64_t cmds[2][3] = { { mp_phys(a), 0x40000, 1 }, { 0x40000, mp_phys(b), 1 | 2 } };
	for (int k = 0; k < 2; k++) {
		r64[0x80 / 8] = cmds[k][0];
		r64[0x88 / 8] = cmds[k][1];
		r64[0x90 / 8] = 2048;
		r64[0x98 / 8] = cmds[k][2];
		uint64_t t0 = tsc_ns();
		while ((r64[0x98 / 8] & 1) && tsc_ns() - t0 < 2000000000)
			task_sleep_ns(1000000);
		KT_EQ(r64[0x98 / 8] & 1, 0);
	}
	KT_EQ(memcmp(pa, pb, 2048), 0);
	KT_EQ(pb[2048], 0); /* nothing past the count */
}
