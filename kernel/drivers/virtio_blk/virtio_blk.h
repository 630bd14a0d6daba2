/*
 * virtio_blk: the driver of virtio block devices on PCI in the legacy
 * (transitional) interface: an I/O BAR of registers, one virtqueue,
 * interrupts by MSI-X. Disks register with the blk cell as vda, vdb...
 *
 * Requests: each of NSLOTS request slots owns three descriptors (header,
 * data, status) and a DMA bounce buffer, so a request that times out
 * leaves nothing of its caller's for the device to write: its slot stays
 * held until the device completes it or is reset. A request waits for a
 * free slot and for its completion within its own timeout.
 *
 * Everything the device writes is checked (virtio_blk_harvest): a used
 * element naming a descriptor that is not an in-flight request's head, a
 * length larger than the request's buffers, an unknown status byte - each
 * is refused, counted and logged. An interrupt with nothing new is
 * counted as spurious.
 *
 * Live swap and recovery as the e1000's: the disk table is carried
 * (CELL_CARRY), virtio_blk_adopt rebinds the interrupt line and the blk
 * registrations; after a fault in the interrupt handler the reloaded
 * cell resets the device: requests in flight fail with E_IO.
 * State: the disk table (hardware state, no client's).
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include "base.h"

#define VIRTIO_BLK_MAX    2
#define VIRTIO_BLK_SLOTS  8
#define VIRTIO_BLK_SLOT_SECTORS 32    /* a larger request is split */

struct virtq_used_elem { uint32_t id, len; };
struct virtq_used {
	uint16_t flags, idx;
	struct virtq_used_elem ring[];
};

enum vslot_state { VSLOT_FREE, VSLOT_BUSY, VSLOT_DONE, VSLOT_ABANDONED };

/* what the driver reads of a queue (a test can forge one) */
struct virtio_blk_queue {
	volatile struct virtq_used *used;
	uint16_t qsize, used_last;
	enum vslot_state state[VIRTIO_BLK_SLOTS];
	uint32_t want_len[VIRTIO_BLK_SLOTS];  /* data bytes + the status byte */
	int result[VIRTIO_BLK_SLOTS];
	volatile uint8_t *status[VIRTIO_BLK_SLOTS];
	uint64_t completed, malformed, late;
	char last_error[96];
};

struct virtio_blk_counters {
	uint64_t requests, completed, errors, timeouts, malformed, late, irqs, spurious_irqs, resets, failed_at_reset;
};

/* harvest the used ring: completes slots, refuses what cannot be
 * trusted; returns how many elements it looked at */
unsigned virtio_blk_harvest(struct virtio_blk_queue *q);

size_t virtio_blk_count(void);
int virtio_blk_counters(unsigned disk, struct virtio_blk_counters *out) __must_check;
int virtio_blk_vector(unsigned disk, uint8_t *vector) __must_check;
/* reset the device: requests in flight fail with E_IO, held slots free */
int virtio_blk_reset(unsigned disk) __must_check;
/* tests: the next interrupt handler run faults; "mute": the driver stops
 * notifying the device, which then never answers (a device that stopped
 * answering, as its requests see it) */
int virtio_blk_inject_irq_fault(unsigned disk) __must_check;
int virtio_blk_mute(unsigned disk, bool mute) __must_check;

int virtio_blk_probe(void) __must_check;
int virtio_blk_adopt(void);

#endif
