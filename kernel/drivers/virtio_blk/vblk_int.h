/*
 * vblk_int.h: the disk object and registers, between the cell's files.
 */
#ifndef VBLK_INT_H
#define VBLK_INT_H

#include "virtio_blk.h"
#include "memory.h"
#include "pci.h"
#include "task.h"

#define REG_GUEST_FEATURES 0x04
#define REG_QUEUE_PFN      0x08
#define REG_QUEUE_NUM      0x0C
#define REG_QUEUE_SEL      0x0E
#define REG_QUEUE_NOTIFY   0x10
#define REG_STATUS         0x12
#define REG_CONFIG_VECTOR  0x14
#define REG_QUEUE_VECTOR   0x16
#define REG_CONFIG_MSIX    0x18
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define NO_VECTOR 0xFFFF
#define DESC_NEXT 1
#define DESC_WRITE 2
#define SLOT_DATA (VIRTIO_BLK_SLOT_SECTORS * 512)

struct vdesc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vavail { uint16_t flags, idx, ring[]; };
struct req_hdr { uint32_t type, reserved; uint64_t sector; uint8_t status, pad[15]; };
compile_assert(req_hdr_size, sizeof(struct req_hdr) == 32);

struct vblk {
	struct pci_dev *pci;
	uint16_t io;
	uint8_t vector;
	uint16_t qsize;
	uint64_t sectors;
	char name[8];
	struct mapped_pages *ring_mem, *slot_mem;   /* DMA; owned */
	uint64_t ring_phys, slot_phys;
	struct vdesc *desc;
	volatile struct vavail *avail;
	struct req_hdr *hdr;                        /* one per slot, in slot_mem */
	uint8_t *data;                              /* SLOT_DATA per slot, in slot_mem */
	struct spinlock lock;                       /* guards q, avail, counters */
	struct virtio_blk_queue q;
	struct waitq wait;                          /* completions and free slots */
	struct virtio_blk_counters c;
	volatile bool inject_fault, mute;
};

#define HDR_BYTES (VIRTIO_BLK_SLOTS * sizeof(struct req_hdr))


/* virtio_blk.c */
struct vblk *virtio_blk_disk(unsigned i);
int virtio_blk_setup(struct vblk *v) __must_check;
void virtio_blk_clear_queue(struct vblk *v);
/* io.c */
void virtio_blk_irq(void *ctx);
void virtio_blk_recover(void *ctx);
int virtio_blk_rw(void *ctx, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns);

#endif
