/*
 * e1000.c: bring-up, reset, the interrupt handler, the transfer function.
 * A NIC's DMA memory is two buffers: receive descriptors then receive
 * buffers, transmit descriptors then transmit buffers (E1000_RING each).
 * State: the NIC table, carried across swaps and reloads (CELL_CARRY: it
 * holds pointers to heap objects, none into this cell).
 */
#define LOG_TAG "e1000"
#include "e1000_int.h"
#include "cpu.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "tsc.h"

static struct nic *nics[E1000_MAX_NICS] CELL_CARRY(nics);
static size_t nnics CELL_CARRY(nnics);

#define IRQ_CAUSES (ICR_LSC | ICR_RXT0 | ICR_RXO | ICR_RXDMT)
#define RING_BYTES (E1000_RING * 16)
#define DMA_BYTES (RING_BYTES + E1000_RING * E1000_BUF)

struct nic *
e1000_nic(unsigned i)
{
	return i < nnics ? nics[i] : NULL;
}

size_t
e1000_count(void)
{
	return nnics;
}

static void irq_handler(void *ctx);
static void recover(void *ctx);

/* the rings as after power-up: every receive descriptor given to the
 * device but one, no transmit descriptor pending */
static void
arm_rings(struct nic *n)
{
	struct e1000_rx_desc *rxd = n->rx.desc;
	for (unsigned i = 0; i < E1000_RING; i++) {
		rxd[i] = (struct e1000_rx_desc){ .addr = n->rx_phys + RING_BYTES + (uint64_t)i * E1000_BUF };
		n->txd[i] = (struct e1000_tx_desc){ .addr = n->tx_phys + RING_BYTES + (uint64_t)i * E1000_BUF,
						     .status = TXD_DD };
	}
	n->rx.next = 0;
	n->tx_tail = n->tx_clean = 0;
	wr(n, R_RDBAL, (uint32_t)n->rx_phys);
	wr(n, R_RDBAH, (uint32_t)(n->rx_phys >> 32));
	wr(n, R_RDLEN, RING_BYTES);
	wr(n, R_RDH, 0);
	wr(n, R_RDT, E1000_RING - 1);
	wr(n, R_TDBAL, (uint32_t)n->tx_phys);
	wr(n, R_TDBAH, (uint32_t)(n->tx_phys >> 32));
	wr(n, R_TDLEN, RING_BYTES);
	wr(n, R_TDH, 0);
	wr(n, R_TDT, 0);
	wr(n, R_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC); /* 2048-byte buffers */
	wr(n, R_TCTL, TCTL_EN | TCTL_PSP | (0x0F << 4) | (0x40 << 12));
	wr(n, R_TIPG, 10 | (8 << 10) | (6 << 20));
}

/* reset the device and bring it up again; interrupts enabled at the end */
static int
reset(struct nic *n)
{
	wr(n, R_IMC, 0xFFFFFFFF);
	wr(n, R_CTRL, rd(n, R_CTRL) | CTRL_RST);
	uint64_t deadline = tsc_ns() + 20000000;
	while (rd(n, R_CTRL) & CTRL_RST)
		if (tsc_ns() > deadline)
			return E_TIMEDOUT;
	wr(n, R_IMC, 0xFFFFFFFF);
	(void)rd(n, R_ICR);
	wr(n, R_CTRL, rd(n, R_CTRL) | CTRL_SLU | CTRL_ASDE);
	uint32_t ral = rd(n, R_RAL), rah = rd(n, R_RAH);
	for (int i = 0; i < 4; i++)
		n->mac[i] = (uint8_t)(ral >> (8 * i));
	n->mac[4] = (uint8_t)rah;
	n->mac[5] = (uint8_t)(rah >> 8);
	wr(n, R_RAH, rah | (1u << 31)); /* address valid */
	for (unsigned i = 0; i < 128; i++)
		wr(n, R_MTA + 4 * i, 0);
	arm_rings(n);
	n->link = rd(n, R_STATUS) & STATUS_LU;
	wr(n, R_IMS, IRQ_CAUSES);
	return E_OK;
}

static int
bring_up(struct pci_dev *d)
{
	int err;
	_cleanup_(kfreep) struct nic *n = kzalloc(sizeof(*n));
	if (!n)
		return E_NOMEM;
	pci_enable(d, PCI_CMD_MEM | PCI_CMD_MASTER);
	n->pci = d;
	n->regs = (volatile uint32_t *)pci_bar_map(d, 0, &err);
	if (!n->regs)
		return err;
	_cleanup_(mp_drop_p) struct mapped_pages *rx = pci_dma_alloc(DMA_BYTES, 1ull << 32, &err);
	if (!rx)
		return err;
	_cleanup_(mp_drop_p) struct mapped_pages *tx = pci_dma_alloc(DMA_BYTES, 1ull << 32, &err);
	if (!tx)
		return err;
	n->rx.desc = mp_as_mut(rx, 0, RING_BYTES, &err);
	n->rx.bufs = mp_as_mut(rx, RING_BYTES, E1000_RING * E1000_BUF, &err);
	n->txd = mp_as_mut(tx, 0, RING_BYTES, &err);
	n->txb = mp_as_mut(tx, RING_BYTES, E1000_RING * E1000_BUF, &err);
	if (!n->rx.desc || !n->rx.bufs || !n->txd || !n->txb)
		return err;
	n->rx.n = E1000_RING;
	n->rx.rdt = &n->regs[R_RDT / 4];
	n->rx_phys = mp_phys(rx);
	n->tx_phys = mp_phys(tx);
	n->rx_lock = (struct spinlock)SPINLOCK_INIT;
	n->tx_lock = (struct spinlock)SPINLOCK_INIT;
	waitq_init(&n->rx_wait);
	err = reset(n);
	if (err)
		return err;
	err = pci_irq_attach(d, irq_handler, recover, n, &n->vector);
	if (err) {
		wr(n, R_IMC, 0xFFFFFFFF);
		wr(n, R_CTRL, rd(n, R_CTRL) | CTRL_RST); /* stop DMA before the buffers go */
		return err;
	}
	/* commit: nothing below fails */
	n->rx_mem = TAKE_PTR(rx);
	n->tx_mem = TAKE_PTR(tx);
	log_info("NIC %zu at %02x:%02x.%u: MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, vector %#x, %u-descriptor rings",
		 nnics, d->bus, d->dev, d->fn, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
		 n->link ? "up" : "down", n->vector, E1000_RING);
	nics[nnics++] = TAKE_PTR(n);
	return E_OK;
}

int
e1000_probe(void)
{
	int first = E_OK;
	for (unsigned k = 0; nnics < E1000_MAX_NICS; k++) {
		struct pci_dev *d = pci_find(0x8086, 0x100E, k);
		if (!d)
			break;
		int err = bring_up(d);
		if (err) {
			log_err("NIC at %02x:%02x.%u: %s", d->bus, d->dev, d->fn, err_str(err));
			first = first ? first : err;
		}
	}
	return first;
}

/* interrupt context: the cause register (reading it acknowledges), link
 * state, wake receivers; nothing on the rings */
static void
irq_handler(void *ctx)
{
	struct nic *n = ctx;
	if (n->inject_fault) {
		n->inject_fault = false;
		volatile uint32_t *bad = NULL;
		__asm__ volatile("" : "+r"(bad)); /* hidden from the analyzer: the bug is wanted */
		*bad = 0xdead;                    /* the injected bug */
	}
	/* the cause register also latches causes not enabled (transmit done,
	 * queue empty): only the enabled ones make the interrupt ours */
	uint32_t icr = rd(n, R_ICR) & IRQ_CAUSES;
	n->c.irqs++;
	if (!icr) {
		n->c.spurious_irqs++;
		return;
	}
	if (icr & ICR_LSC) {
		bool up = rd(n, R_STATUS) & STATUS_LU;
		if (up != n->link) {
			n->link = up;
			n->c.link_changes++;
		}
	}
	if (icr & ICR_RXO)
		n->c.rx_overruns++;
	if (icr & (ICR_RXT0 | ICR_RXO | ICR_RXDMT))
		waitq_wake_all(&n->rx_wait);
}

/* task context, after a fault in the handler (the pci cell reloaded this
 * cell first): reset the device, drop what was in the rings, unmask */
static void
recover(void *ctx)
{
	struct nic *n = ctx;
	bool i1 = spin_lock_irq(&n->tx_lock);
	spin_lock_raw(&n->rx_lock);
	unsigned queued = (n->tx_tail + E1000_RING - n->tx_clean) % E1000_RING;
	unsigned ready = 0;
	for (unsigned i = 0; i < E1000_RING; i++)
		ready += (n->rx.desc[i].status & E1000_RXD_DD) != 0;
	int err = reset(n);
	n->c.tx_dropped_reset += queued;
	n->c.rx_dropped_reset += ready;
	n->c.resets++;
	spin_unlock_raw(&n->rx_lock);
	spin_unlock_irq(&n->tx_lock, i1);
	if (err)
		log_err("vector %#x: reset failed: %s; the NIC stays masked", n->vector, err_str(err));
	else if (pci_irq_unmask(n->vector))
		log_err("vector %#x: cannot unmask", n->vector);
	else
		log_info("NIC reset after a fault: %u queued frames and %u received frames dropped, link %s", queued,
			 ready, n->link ? "up" : "down");
	waitq_wake_all(&n->rx_wait);
}


int
e1000_adopt(void)
{
	for (size_t i = 0; i < nnics; i++) {
		int err = pci_irq_rebind(nics[i]->vector, irq_handler, recover, nics[i], NULL);
		if (err)
			return err;
	}
	return E_OK;
}

int
e1000_inject_irq_fault(unsigned i)
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	n->inject_fault = true;
	return E_OK;
}

int
e1000_vector(unsigned i, uint8_t *vector)
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	*vector = n->vector;
	return E_OK;
}
