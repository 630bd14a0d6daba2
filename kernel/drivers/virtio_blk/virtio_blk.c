/*
 * virtio_blk.c: bring-up and the checks on the used ring (see
 * virtio_blk.h); io.c has requests, the interrupt handler, reset and the
 * transfer function. Legacy virtio-pci registers in
 * I/O space; with MSI-X on, the two vector registers come before the
 * device's configuration (capacity).
 * State: the disk table, carried across swaps and reloads (CELL_CARRY:
 * pointers to heap objects only).
 */
#define LOG_TAG "virtio_blk"
#include "vblk_int.h"
#include "blk.h"
#include "cpu.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "pci.h"
#include "task.h"
#include "tsc.h"

static struct vblk *disks[VIRTIO_BLK_MAX] CELL_CARRY(disks);
static size_t ndisks CELL_CARRY(ndisks);

struct vblk *
virtio_blk_disk(unsigned i)
{
	return i < ndisks ? disks[i] : NULL;
}

size_t
virtio_blk_count(void)
{
	return ndisks;
}

static size_t
ring_bytes(uint16_t q)
{
	return ALIGN_UP(16u * q + 6u + 2u * q, PAGE_SIZE) + ALIGN_UP(6u + 8u * q, PAGE_SIZE);
}

/* ---- checking what the device wrote ---- */

static bool
refuse(struct virtio_blk_queue *q, const char *fmt, uint32_t a, uint32_t b)
{
	q->malformed++;
	char why[64];
	snprintf(why, sizeof(why), fmt, a, b);
	snprintf(q->last_error, sizeof(q->last_error), "used element %u: %s", q->used_last, why);
	log_warn("%s: refused (%lu so far)", q->last_error, q->malformed);
	return false;
}

static bool
take_one(struct virtio_blk_queue *q, uint32_t id, uint32_t len)
{
	if (id >= q->qsize || id % 3)
		return refuse(q, "descriptor %u is not a request's head (queue of %u)", id, q->qsize);
	unsigned s = id / 3;
	if (s >= VIRTIO_BLK_SLOTS || (q->state[s] != VSLOT_BUSY && q->state[s] != VSLOT_ABANDONED))
		return refuse(q, "descriptor %u names no request in flight (slot %u)", id, s);
	if (len > q->want_len[s])
		return refuse(q, "impossible length %u (the request has %u bytes)", len, q->want_len[s]);
	uint8_t st = *q->status[s];
	if (st > 2)
		return refuse(q, "unknown status byte %#x (slot %u)", st, s);
	if (q->state[s] == VSLOT_ABANDONED) { /* its caller timed out: the slot is free again */
		q->state[s] = VSLOT_FREE;
		q->late++;
		return true;
	}
	q->result[s] = st == 0 ? E_OK : st == 2 ? E_NOTSUP : E_IO;
	q->state[s] = VSLOT_DONE;
	q->completed++;
	return true;
}

unsigned
virtio_blk_harvest(struct virtio_blk_queue *q)
{
	unsigned seen = 0;
	uint16_t idx = q->used->idx;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	/* more than a queue's worth new: the index itself is bad */
	if ((uint16_t)(idx - q->used_last) > q->qsize) {
		refuse(q, "used index %u jumps past the queue (%u)", idx, q->qsize);
		q->used_last = idx;
		return 1;
	}
	while (q->used_last != idx) {
		struct virtq_used_elem e = q->used->ring[q->used_last % q->qsize];
		take_one(q, e.id, e.len);
		q->used_last++;
		seen++;
	}
	return seen;
}

/* ---- the device ---- */

/* reset, then feature negotiation (none wanted), the queue, DRIVER_OK */
int
virtio_blk_setup(struct vblk *v)
{
	outb(v->io + REG_STATUS, 0);
	outb(v->io + REG_STATUS, ST_ACK);
	outb(v->io + REG_STATUS, ST_ACK | ST_DRIVER);
	outl(v->io + REG_GUEST_FEATURES, 0);
	outw(v->io + REG_QUEUE_SEL, 0);
	uint16_t qs = inw(v->io + REG_QUEUE_NUM);
	if (qs == 0 || (v->qsize && qs != v->qsize) || qs > 1024)
		return E_NOTSUP;
	v->qsize = qs;
	outw(v->io + REG_QUEUE_VECTOR, 0);
	outw(v->io + REG_CONFIG_VECTOR, NO_VECTOR);
	if (inw(v->io + REG_QUEUE_VECTOR) != 0)
		return E_NOTSUP; /* the device could not take MSI-X entry 0 */
	outl(v->io + REG_QUEUE_PFN, (uint32_t)(v->ring_phys >> 12));
	outb(v->io + REG_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	return E_OK;
}

/* the queue as after a reset: nothing in flight */
void
virtio_blk_clear_queue(struct vblk *v)
{
	memset(v->desc, 0, ring_bytes(v->qsize));
	v->q.used_last = 0;
	for (unsigned s = 0; s < VIRTIO_BLK_SLOTS; s++)
		v->q.state[s] = VSLOT_FREE;
}

static int
bring_up(struct pci_dev *d)
{
	if (!d->bar[0].io || d->bar[0].size < 0x20)
		return E_NOTSUP;
	_cleanup_(kfreep) struct vblk *v = kzalloc(sizeof(*v));
	if (!v)
		return E_NOMEM;
	v->pci = d;
	v->io = (uint16_t)d->bar[0].base;
	pci_enable(d, PCI_CMD_IO | PCI_CMD_MASTER);
	outb(v->io + REG_STATUS, 0);
	outw(v->io + REG_QUEUE_SEL, 0);
	uint16_t qs = inw(v->io + REG_QUEUE_NUM);
	if (qs < 3 * VIRTIO_BLK_SLOTS || qs > 1024)
		return E_NOTSUP;
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *ring = pci_dma_alloc(ring_bytes(qs), 1ull << 44, &err);
	if (!ring)
		return err;
	_cleanup_(mp_drop_p) struct mapped_pages *slots =
		pci_dma_alloc(PAGE_SIZE + VIRTIO_BLK_SLOTS * SLOT_DATA, 1ull << 32, &err);
	if (!slots)
		return err;
	v->ring_phys = mp_phys(ring);
	v->slot_phys = mp_phys(slots);
	v->desc = mp_as_mut(ring, 0, ring_bytes(qs), &err);
	v->hdr = mp_as_mut(slots, 0, HDR_BYTES, &err);
	v->data = mp_as_mut(slots, PAGE_SIZE, VIRTIO_BLK_SLOTS * SLOT_DATA, &err);
	if (!v->desc || !v->hdr || !v->data)
		return err;
	v->avail = (volatile struct vavail *)((uint8_t *)v->desc + 16u * qs);
	v->q.used = (volatile struct virtq_used *)((uint8_t *)v->desc + ALIGN_UP(16u * qs + 6u + 2u * qs, PAGE_SIZE));
	v->q.qsize = qs;
	for (unsigned s = 0; s < VIRTIO_BLK_SLOTS; s++)
		v->q.status[s] = &v->hdr[s].status;
	v->lock = (struct spinlock)SPINLOCK_INIT;
	waitq_init(&v->wait);
	/* MSI-X on before the registers are read: it moves the device's
	 * configuration */
	err = pci_irq_attach(d, virtio_blk_irq, virtio_blk_recover, v, &v->vector);
	if (err)
		return err;
	virtio_blk_clear_queue(v);
	err = virtio_blk_setup(v);
	if (err) {
		outb(v->io + REG_STATUS, 0);
		log_err("%02x:%02x.%u: setup failed: %s (vector %#x stays unused)", d->bus, d->dev, d->fn, err_str(err),
			v->vector);
		return err;
	}
	v->sectors = (uint64_t)inl(v->io + REG_CONFIG_MSIX) | (uint64_t)inl(v->io + REG_CONFIG_MSIX + 4) << 32;
	snprintf(v->name, sizeof(v->name), "vd%c", (char)('a' + ndisks));
	/* commit: nothing below fails but the registration */
	v->ring_mem = TAKE_PTR(ring);
	v->slot_mem = TAKE_PTR(slots);
	log_info("%s at %02x:%02x.%u: %lu sectors, queue of %u, vector %#x (MSI-X)", v->name, d->bus, d->dev, d->fn,
		 v->sectors, qs, v->vector);
	struct vblk *keep = TAKE_PTR(v);
	disks[ndisks++] = keep;
	return blk_register(keep->name, "virtio-blk", keep->sectors, virtio_blk_rw, keep);
}

int
virtio_blk_probe(void)
{
	int first = E_OK;
	for (unsigned k = 0; ndisks < VIRTIO_BLK_MAX; k++) {
		struct pci_dev *d = pci_find(0x1AF4, 0x1001, k);
		if (!d)
			break;
		int err = bring_up(d);
		if (err) {
			log_err("%02x:%02x.%u: %s", d->bus, d->dev, d->fn, err_str(err));
			first = first ? first : err;
		}
	}
	return first;
}
