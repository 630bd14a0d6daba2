/*
 * e1000: the driver of Intel's 82540EM (QEMU's -device e1000). Legacy
 * receive and transmit descriptor rings in DMA buffers, interrupts through
 * the pci cell (the 82540EM has no MSI capability, so INTx through the
 * IOAPIC), link state, software and hardware counters.
 *
 * The API keeps no per-client state: a request names the NIC and carries
 * the frame (send) or the buffer (receive). Frames are Ethernet frames
 * without the FCS (the device appends and strips it).
 *
 * Live swap and recovery: the device state (registers, rings, indices,
 * counters) is a heap object the cell carries (CELL_CARRY of the table
 * pointing to it); e1000_adopt, the transfer function, points the
 * interrupt line at the new code. After a fault in the interrupt handler
 * the pci cell reloads this cell and calls the recover function, which
 * resets the device and re-arms the rings: frames received but not yet
 * taken and frames queued but not yet sent are dropped (counted).
 * State: the NIC table (hardware state, no client's).
 */
#ifndef E1000_H
#define E1000_H

#include "base.h"

#define E1000_MAX_NICS  2
#define E1000_FRAME_MIN 14
#define E1000_FRAME_MAX 1514
#define E1000_BUF       2048  /* receive buffer per descriptor: e1000_recv's minimum capacity */
#define E1000_RING      32    /* descriptors per ring */

struct e1000_rx_desc {
	uint64_t addr;
	uint16_t length, csum;
	uint8_t status, errors;
	uint16_t special;
} __packed;
struct e1000_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso, cmd, status, css;
	uint16_t special;
} __packed;
compile_assert(e1000_rx_desc_size, sizeof(struct e1000_rx_desc) == 16);
compile_assert(e1000_tx_desc_size, sizeof(struct e1000_tx_desc) == 16);

#define E1000_RXD_DD  0x01
#define E1000_RXD_EOP 0x02

struct e1000_counters {
	uint64_t tx_frames, tx_bytes, tx_ring_full, tx_dropped_reset;
	uint64_t rx_frames, rx_bytes, rx_malformed, rx_dropped_reset, rx_overruns;
	uint64_t irqs, spurious_irqs, link_changes, resets;
	uint64_t hw_rx_good, hw_tx_good, hw_missed, hw_crc_errors; /* the device's statistics registers */
};

/* A receive ring as the driver reads it (e1000_rx_take's view), so the
 * checks on what the device wrote can be run on a ring a test forged */
struct e1000_rx_ring {
	struct e1000_rx_desc *desc;
	uint8_t *bufs;              /* E1000_BUF bytes per descriptor */
	unsigned n, next;
	volatile uint32_t *rdt;     /* the tail register (NULL: a test's ring) */
	uint64_t frames, bytes, malformed;
	char last_error[80];        /* why the last malformed descriptor was refused */
};

size_t e1000_count(void);
int e1000_mac(unsigned nic, uint8_t mac[6]) __must_check;
/* E_OK and *up */
int e1000_link(unsigned nic, bool *up) __must_check;
/* queue one frame: E_INVAL for a length outside 14..1514, E_FULL if the
 * ring is full (retry later), E_IO if the link is down */
int e1000_send(unsigned nic, const void *frame, size_t len) __must_check;
/* the next received frame, waiting up to timeout_ns: E_OK and *len,
 * E_TIMEDOUT, E_INVAL if cap < E1000_BUF */
int e1000_recv(unsigned nic, void *buf, size_t cap, size_t *len, uint64_t timeout_ns) __must_check;
int e1000_counters(unsigned nic, struct e1000_counters *out) __must_check;
int e1000_vector(unsigned nic, uint8_t *vector) __must_check;

/* take the next frame from a ring: E_OK (copied, *len), E_WOULDBLOCK
 * (nothing there yet), or - for each descriptor the device marked done
 * that cannot be trusted (no end-of-packet, error bits, a length outside
 * 14..E1000_BUF) - the descriptor is given back, counted in
 * r->malformed, its reason in r->last_error and the log, and the next one
 * is looked at */
int e1000_rx_take(struct e1000_rx_ring *r, void *buf, size_t cap, size_t *len) __must_check;

/* tests: the next run of the interrupt handler of `nic` faults (a write
 * through a null pointer), as a bug would */
int e1000_inject_irq_fault(unsigned nic) __must_check;

/* pci_start calls it: find and bring up every 82540EM */
int e1000_probe(void) __must_check;
/* the transfer function of a swap or reload */
int e1000_adopt(void);

#endif
