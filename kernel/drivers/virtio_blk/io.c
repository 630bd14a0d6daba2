/*
 * io.c: requests, the interrupt handler, reset, the transfer function.
 * A request takes a free slot, fills its header, bounce buffer and three
 * descriptors, publishes the head in the available ring and notifies the
 * device; the interrupt handler harvests the used ring and wakes the
 * waiters; the request then copies its data out and frees the slot.
 * State: none of its own (the disk objects, virtio_blk.c).
 */
#define LOG_TAG "virtio_blk"
#include "vblk_int.h"
#include "blk.h"
#include "cpu.h"
#include "klibc.h"
#include "logger.h"
#include "tsc.h"

struct slot_ref {
	struct vblk *v;
	unsigned s;
};

static bool
slot_free(void *ctx)
{
	struct vblk *v = ctx;
	for (unsigned s = 0; s < VIRTIO_BLK_SLOTS; s++)
		if (v->q.state[s] == VSLOT_FREE)
			return true;
	return false;
}

static bool
slot_done(void *ctx)
{
	struct slot_ref *r = ctx;
	return r->v->q.state[r->s] == VSLOT_DONE;
}

/* wait on v->wait until done(ctx) or the deadline, looking every 10 ms
 * (a line masked after a fault delivers no wake-up until the reset) */
static int
wait_for(struct vblk *v, bool (*done)(void *), void *ctx, uint64_t deadline)
{
	for (;;) {
		uint64_t now = tsc_ns();
		if (done(ctx))
			return E_OK;
		if (now >= deadline)
			return E_TIMEDOUT;
		int err = waitq_wait_deadline(&v->wait, done, ctx, MIN(deadline, now + 10000000));
		if (err == E_OK || err == E_INTR)
			return err;
	}
}

static int
one(struct vblk *v, bool write, uint64_t lba, uint32_t n, uint8_t *p, uint64_t deadline)
{
	struct slot_ref r = { v, VIRTIO_BLK_SLOTS };
	for (;;) {
		bool irq = spin_lock_irq(&v->lock);
		for (unsigned s = 0; s < VIRTIO_BLK_SLOTS && r.s == VIRTIO_BLK_SLOTS; s++)
			if (v->q.state[s] == VSLOT_FREE) {
				v->q.state[s] = VSLOT_BUSY;
				r.s = s;
			}
		spin_unlock_irq(&v->lock, irq);
		if (r.s < VIRTIO_BLK_SLOTS)
			break;
		int err = wait_for(v, slot_free, v, deadline);
		if (err == E_TIMEDOUT) {
			v->c.timeouts++;
			log_warn("%s: no free request slot before the deadline (%u held by requests the device has not answered)",
				 v->name, VIRTIO_BLK_SLOTS);
		}
		if (err)
			return err;
	}
	unsigned s = r.s, d0 = 3 * s;
	uint8_t *data = v->data + (size_t)s * SLOT_DATA;
	v->hdr[s] = (struct req_hdr){ .type = write ? 1 : 0, .sector = lba, .status = 0xFF };
	if (write)
		memcpy(data, p, (size_t)n * BLK_SECTOR);
	uint64_t hdr_phys = v->slot_phys + (uint64_t)s * sizeof(struct req_hdr);
	v->desc[d0] = (struct vdesc){ hdr_phys, 16, DESC_NEXT, (uint16_t)(d0 + 1) };
	v->desc[d0 + 1] = (struct vdesc){ v->slot_phys + PAGE_SIZE + (uint64_t)s * SLOT_DATA, n * BLK_SECTOR,
					  (uint16_t)(DESC_NEXT | (write ? 0 : DESC_WRITE)), (uint16_t)(d0 + 2) };
	v->desc[d0 + 2] = (struct vdesc){ hdr_phys + offsetof(struct req_hdr, status), 1, DESC_WRITE, 0 };
	bool irq = spin_lock_irq(&v->lock);
	v->q.want_len[s] = n * BLK_SECTOR + 1;
	v->avail->ring[v->avail->idx % v->qsize] = (uint16_t)d0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	v->avail->idx++;
	v->c.requests++;
	spin_unlock_irq(&v->lock, irq);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!v->mute)
		outw(v->io + REG_QUEUE_NOTIFY, 0);
	int err = wait_for(v, slot_done, &r, deadline);
	irq = spin_lock_irq(&v->lock);
	if (v->q.state[s] == VSLOT_DONE) {
		err = v->q.result[s];
		if (!err && !write)
			memcpy(p, data, (size_t)n * BLK_SECTOR);
		v->q.state[s] = VSLOT_FREE;
		if (err)
			v->c.errors++;
		else
			v->c.completed++;
	} else {
		v->q.state[s] = VSLOT_ABANDONED; /* the device may still write its buffers */
		v->c.timeouts++;
		err = err ? err : E_TIMEDOUT;
	}
	spin_unlock_irq(&v->lock, irq);
	waitq_wake_all(&v->wait);
	if (err == E_TIMEDOUT)
		log_warn("%s: %s of %u sectors at %lu: no answer from the device before the deadline; slot %u held until it answers or is reset",
			 v->name, write ? "write" : "read", n, lba, s);
	else if (err)
		log_warn("%s: %s of %u sectors at %lu: %s", v->name, write ? "write" : "read", n, lba, err_str(err));
	return err;
}

int
virtio_blk_rw(void *ctx, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns)
{
	struct vblk *v = ctx;
	uint64_t now = tsc_ns();
	uint64_t deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
	uint8_t *p = buf;
	while (count) {
		uint32_t n = MIN(count, VIRTIO_BLK_SLOT_SECTORS);
		int err = one(v, write, lba, n, p, deadline);
		if (err)
			return err;
		count -= n;
		lba += n;
		p += (size_t)n * BLK_SECTOR;
	}
	return E_OK;
}

void
virtio_blk_irq(void *ctx)
{
	struct vblk *v = ctx;
	if (v->inject_fault) {
		v->inject_fault = false;
		volatile uint32_t *bad = NULL;
		__asm__ volatile("" : "+r"(bad)); /* hidden from the analyzer: the bug is wanted */
		*bad = 0xdead;                    /* the injected bug */
	}
	spin_lock_raw(&v->lock);
	v->c.irqs++;
	unsigned seen = virtio_blk_harvest(&v->q);
	if (!seen)
		v->c.spurious_irqs++;
	spin_unlock_raw(&v->lock);
	if (seen)
		waitq_wake_all(&v->wait);
}

static int
reset(struct vblk *v)
{
	bool irq = spin_lock_irq(&v->lock);
	outb(v->io + REG_STATUS, 0); /* the device stops; no more DMA */
	for (unsigned s = 0; s < VIRTIO_BLK_SLOTS; s++) {
		if (v->q.state[s] == VSLOT_BUSY) {
			v->q.state[s] = VSLOT_DONE;
			v->q.result[s] = E_IO;
			v->c.failed_at_reset++;
		} else if (v->q.state[s] == VSLOT_ABANDONED) {
			v->q.state[s] = VSLOT_FREE;
		}
	}
	memset(v->desc, 0, ALIGN_UP(16u * v->qsize + 6u + 2u * v->qsize, PAGE_SIZE) + 6u + 8u * v->qsize);
	v->q.used_last = 0;
	int err = virtio_blk_setup(v);
	v->c.resets++;
	spin_unlock_irq(&v->lock, irq);
	waitq_wake_all(&v->wait);
	return err;
}

void
virtio_blk_recover(void *ctx)
{
	struct vblk *v = ctx;
	int err = reset(v);
	if (!err)
		err = pci_irq_unmask(v->vector);
	if (err)
		log_err("%s: reset after a fault failed: %s", v->name, err_str(err));
	else
		log_info("%s: device reset after a fault (%lu requests failed at resets so far)", v->name,
			 v->c.failed_at_reset);
}

int
virtio_blk_reset(unsigned i)
{
	struct vblk *v = virtio_blk_disk(i);
	return v ? reset(v) : E_NOENT;
}

int
virtio_blk_adopt(void)
{
	for (unsigned i = 0; i < virtio_blk_count(); i++) {
		struct vblk *v = virtio_blk_disk(i);
		int err = pci_irq_rebind(v->vector, virtio_blk_irq, virtio_blk_recover, v, NULL);
		if (!err)
			err = blk_register(v->name, "virtio-blk", v->sectors, virtio_blk_rw, v);
		if (err)
			return err;
	}
	return E_OK;
}

int
virtio_blk_counters(unsigned i, struct virtio_blk_counters *out)
{
	struct vblk *v = virtio_blk_disk(i);
	if (!v)
		return E_NOENT;
	bool irq = spin_lock_irq(&v->lock);
	v->c.malformed = v->q.malformed;
	v->c.late = v->q.late;
	*out = v->c;
	spin_unlock_irq(&v->lock, irq);
	return E_OK;
}

int
virtio_blk_vector(unsigned i, uint8_t *vector)
{
	struct vblk *v = virtio_blk_disk(i);
	if (!v)
		return E_NOENT;
	*vector = v->vector;
	return E_OK;
}

int
virtio_blk_inject_irq_fault(unsigned i)
{
	struct vblk *v = virtio_blk_disk(i);
	if (!v)
		return E_NOENT;
	v->inject_fault = true;
	return E_OK;
}

int
virtio_blk_mute(unsigned i, bool mute)
{
	struct vblk *v = virtio_blk_disk(i);
	if (!v)
		return E_NOENT;
	v->mute = mute;
	return E_OK;
}
