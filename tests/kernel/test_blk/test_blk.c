/*
 * test_blk: sector I/O on the virtio-blk (vda) and IDE (hda) disks
 * tools/qemu-devices.sh attaches (far from the sectors the host-side
 * check in tools/test-devices.sh uses), refused requests, the checks on
 * what a virtio device writes in its used ring, spurious interrupts, and
 * a device that stops answering.
 */
#include "ata.h"
#include "blk.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "pci.h"
#include "task.h"
#include "tsc.h"
#include "virtio_blk.h"

#define LBA 6000
#define N 80 /* more than one virtio slot's worth: the request is split */

static int
write_check(const char *disk, uint64_t lba, uint32_t n, uint8_t seed)
{
	_cleanup_(kfreep) uint8_t *buf = kmalloc((size_t)n * BLK_SECTOR);
	if (!buf)
		return E_NOMEM;
	for (size_t i = 0; i < (size_t)n * BLK_SECTOR; i++)
		buf[i] = blk_pattern(lba * BLK_SECTOR + i, seed);
	int err = blk_rw(disk, true, lba, n, buf, 5000000000ull);
	if (err)
		return err;
	memset(buf, 0, (size_t)n * BLK_SECTOR);
	err = blk_rw(disk, false, lba, n, buf, 5000000000ull);
	if (err)
		return err;
	for (size_t i = 0; i < (size_t)n * BLK_SECTOR; i++)
		if (buf[i] != blk_pattern(lba * BLK_SECTOR + i, seed))
			return E_IO;
	return E_OK;
}

KTEST(virtio_blk_writes_and_reads_back)
{
	struct virtio_blk_counters a, b;
	KT_OK(virtio_blk_counters(0, &a));
	KT_OK(write_check("vda", LBA, N, 0x31));
	KT_OK(write_check("vda", LBA + 1, 1, 0x32)); /* overlapping, shifted */
	KT_OK(virtio_blk_counters(0, &b));
	KT_EQ(b.requests - a.requests, 3 + 3 + 2);   /* 80 sectors = 3 slots' worth, each way */
	KT_EQ(b.completed - a.completed, 8);
	KT_EQ(b.malformed, a.malformed);
}

KTEST(ata_writes_and_reads_back)
{
	KT_ASSERT(ata_count() >= 1);
	struct ata_counters a, b;
	KT_OK(ata_counters(0, &a));
	KT_OK(write_check("hda", LBA, N, 0x41));
	KT_OK(ata_counters(0, &b));
	KT_EQ(b.sectors - a.sectors, 2 * N);
	KT_EQ(b.errors, a.errors);
	KT_ASSERT(b.irqs - a.irqs >= 2 * N); /* one per sector, and the flush */
}

KTEST(blk_refuses_impossible_requests)
{
	struct blk_info in;
	KT_OK(blk_info(0, &in));
	uint8_t buf[BLK_SECTOR];
	KT_EQ(blk_rw(in.name, false, in.sectors, 1, buf, 1000000000), E_RANGE);
	KT_EQ(blk_rw(in.name, false, in.sectors - 1, 2, buf, 1000000000), E_RANGE);
	KT_EQ(blk_rw(in.name, false, 0, 0, buf, 1000000000), E_INVAL);
	KT_EQ(blk_rw("nosuch", false, 0, 1, buf, 1000000000), E_NOENT);
	KT_EQ(blk_info(BLK_MAX, &in), E_NOENT);
}

KTEST(virtio_blk_refuses_what_the_device_must_not_write)
{
	static struct { uint16_t flags, idx; struct virtq_used_elem ring[24]; } used;
	static uint8_t status[VIRTIO_BLK_SLOTS];
	struct virtio_blk_queue q = { .used = (volatile struct virtq_used *)&used, .qsize = 24 };
	for (int s = 0; s < VIRTIO_BLK_SLOTS; s++) {
		q.status[s] = &status[s];
		q.want_len[s] = 513;
	}
	q.state[0] = q.state[2] = q.state[3] = VSLOT_BUSY;
	q.state[4] = VSLOT_ABANDONED;
	status[2] = 7;
	used.ring[0] = (struct virtq_used_elem){ 4, 1 };    /* not a request's head */
	used.ring[1] = (struct virtq_used_elem){ 3, 1 };    /* slot 1: nothing in flight */
	used.ring[2] = (struct virtq_used_elem){ 0, 9999 }; /* longer than the request */
	used.ring[3] = (struct virtq_used_elem){ 6, 1 };    /* status byte 7 */
	used.ring[4] = (struct virtq_used_elem){ 99, 1 };   /* past the queue */
	used.ring[5] = (struct virtq_used_elem){ 9, 513 };  /* slot 3: fine */
	used.ring[6] = (struct virtq_used_elem){ 12, 1 };   /* slot 4: a late answer */
	used.idx = 7;
	KT_EQ(virtio_blk_harvest(&q), 7);
	KT_EQ(q.malformed, 5);
	KT_EQ(q.completed, 1);
	KT_EQ(q.late, 1);
	KT_EQ(q.state[3], VSLOT_DONE);
	KT_EQ(q.result[3], E_OK);
	KT_EQ(q.state[4], VSLOT_FREE);
	KT_EQ(q.state[0], VSLOT_BUSY); /* not completed by a bad element */
	KT_EQ(q.state[2], VSLOT_BUSY);
	KT_ASSERT(strstr(q.last_error, "descriptor 99 is not a request's head"));
	used.idx = 7 + 25; /* an index that jumps past the queue */
	KT_EQ(virtio_blk_harvest(&q), 1);
	KT_EQ(q.malformed, 6);
	KT_ASSERT(strstr(q.last_error, "jumps past the queue"));
}

static bool
spurious_counted(uint8_t vec, uint64_t (*get)(void))
{
	uint64_t before = get();
	if (pci_irq_self(vec))
		return false;
	uint64_t t0 = tsc_ns();
	while (get() == before && tsc_ns() - t0 < 1000000000)
		task_sleep_ns(1000000);
	return get() == before + 1;
}

static uint64_t
vblk_spurious(void)
{
	struct virtio_blk_counters c = { 0 };
	return virtio_blk_counters(0, &c) ? UINT64_MAX : c.spurious_irqs;
}

static uint64_t
ata_spurious(void)
{
	struct ata_counters c = { 0 };
	return ata_counters(0, &c) ? UINT64_MAX : c.spurious_irqs;
}

KTEST(block_drivers_count_spurious_interrupts)
{
	uint8_t v1, v2;
	KT_OK(virtio_blk_vector(0, &v1));
	KT_OK(ata_vector(0, &v2));
	KT_ASSERT(spurious_counted(v1, vblk_spurious));
	KT_ASSERT(spurious_counted(v2, ata_spurious));
}

KTEST(virtio_blk_device_that_stops_answering_times_out)
{
	uint8_t buf[BLK_SECTOR];
	struct virtio_blk_counters a, b;
	KT_OK(virtio_blk_counters(0, &a));
	KT_OK(virtio_blk_mute(0, true));
	uint64_t t0 = tsc_ns();
	int err = blk_rw("vda", false, LBA, 1, buf, 200000000);
	uint64_t took = tsc_ns() - t0;
	KT_OK(virtio_blk_reset(0)); /* frees the slot the device never answered */
	KT_OK(virtio_blk_mute(0, false));
	KT_EQ(err, E_TIMEDOUT);
	KT_ASSERT(took >= 200000000 && took < 2000000000);
	KT_OK(virtio_blk_counters(0, &b));
	KT_EQ(b.timeouts, a.timeouts + 1);
	KT_EQ(b.resets, a.resets + 1);
	KT_OK(write_check("vda", LBA, 4, 0x51)); /* the device answers again */
}
