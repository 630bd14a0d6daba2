/*
 * e1000_int.h: the device object and registers, between the cell's files.
 */
#ifndef E1000_INT_H
#define E1000_INT_H

#include "e1000.h"
#include "memory.h"
#include "pci.h"
#include "task.h"

/* registers (82540EM; offsets in bytes) */
#define R_CTRL   0x0000
#define R_STATUS 0x0008
#define R_ICR    0x00C0
#define R_IMS    0x00D0
#define R_IMC    0x00D8
#define R_RCTL   0x0100
#define R_TCTL   0x0400
#define R_TIPG   0x0410
#define R_RDBAL  0x2800
#define R_RDBAH  0x2804
#define R_RDLEN  0x2808
#define R_RDH    0x2810
#define R_RDT    0x2818
#define R_TDBAL  0x3800
#define R_TDBAH  0x3804
#define R_TDLEN  0x3808
#define R_TDH    0x3810
#define R_TDT    0x3818
#define R_CRCERRS 0x4000
#define R_MPC    0x4010
#define R_GPRC   0x4074
#define R_GPTC   0x4080
#define R_MTA    0x5200
#define R_RAL    0x5400
#define R_RAH    0x5404

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU  (1u << 6)
#define CTRL_RST  (1u << 26)
#define STATUS_LU (1u << 1)
#define ICR_TXDW  (1u << 0)
#define ICR_LSC   (1u << 2)
#define ICR_RXDMT (1u << 4)
#define ICR_RXO   (1u << 6)
#define ICR_RXT0  (1u << 7)
#define RCTL_EN   (1u << 1)
#define RCTL_BAM  (1u << 15)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN   (1u << 1)
#define TCTL_PSP  (1u << 3)
#define TXD_EOP   0x01
#define TXD_IFCS  0x02
#define TXD_RS    0x08
#define TXD_DD    0x01

/* one NIC. Lock order: tx then rx. */
struct nic {
	struct pci_dev *pci;
	volatile uint32_t *regs;
	uint8_t vector, mac[6];
	volatile bool link;
	struct mapped_pages *rx_mem, *tx_mem;   /* DMA: descriptors, then buffers; owned */
	uint64_t rx_phys, tx_phys;
	struct spinlock rx_lock;                /* guards rx (the ring's next index) */
	struct e1000_rx_ring rx;
	struct spinlock tx_lock;                /* guards txd, tx_tail, tx_clean */
	struct e1000_tx_desc *txd;
	uint8_t *txb;
	unsigned tx_tail, tx_clean;
	struct waitq rx_wait;                   /* receivers wait for a frame */
	struct e1000_counters c;                /* rx_* mirrored from rx */
	volatile bool inject_fault;
};

/* the NIC, NULL if none (e1000.c) */
struct nic *e1000_nic(unsigned i);
static inline uint32_t rd(struct nic *n, unsigned reg) { return n->regs[reg / 4]; }
static inline void wr(struct nic *n, unsigned reg, uint32_t v) { n->regs[reg / 4] = v; }

#endif
