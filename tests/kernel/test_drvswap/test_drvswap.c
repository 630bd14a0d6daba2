/*
 * test_drvswap: the drivers as cells that change under load (issue 17,
 * item 6). Each driver is swapped live for a fresh copy of itself (its
 * transfer function, <cell>_adopt, takes the device's rings, registers
 * and interrupt line over) while a task keeps its device busy, and
 * nothing may be lost; then a fault is injected into its interrupt
 * handler: the line is masked, the cell reloaded, the device reset, and
 * the request in flight completes or fails with E_IO, after which the
 * device works again.
 */
#include "arp.h"
#include "ata.h"
#include "blk.h"
#include "cell_mgr.h"
#include "e1000.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "pci.h"
#include "task.h"
#include "tsc.h"
#include "virtio_blk.h"

static uint64_t
text_of(const char *cell)
{
	cell_read_begin();
	struct cell *c = cell_find(cell_ns_kernel(), cell);
	uint64_t t = c ? c->start[REGION_TEXT] : 0;
	cell_read_end();
	return t;
}

/* swap `cell` for a fresh copy (carried data, its adopt function) */
static int
reload(const char *cell, uint64_t *text)
{
	struct swap_times t;
	char note[CELL_ERR_MAX];
	int err = pci_driver_reload(cell, &t, note, sizeof(note));
	kprintf("SWAP driver %s: %s\n", cell, note);
	*text = text_of(cell);
	return err;
}

/* ---- e1000 ---- */

static uint8_t rxbuf[E1000_BUF];

/* one ARP request to the gateway and its reply: E_OK, or why not */
static int
arp_once(uint8_t *buf)
{
	uint8_t mac[6], gw[6], req[ARP_FRAME_LEN];
	int err = e1000_mac(0, mac);
	if (err)
		return err;
	arp_request(req, mac, IPV4(10, 0, 2, 15), IPV4(10, 0, 2, 2));
	while ((err = e1000_send(0, req, sizeof(req))) == E_FULL)
		task_sleep_ns(1000000);
	if (err)
		return err;
	uint64_t deadline = tsc_ns() + 2000000000;
	while (tsc_ns() < deadline) {
		size_t len;
		err = e1000_recv(0, buf, E1000_BUF, &len, 200000000);
		if (!err && arp_is_reply(buf, len, IPV4(10, 0, 2, 2), mac, gw))
			return E_OK;
	}
	return E_TIMEDOUT;
}

/* rounds of ARP; returns how many were answered */
static uint64_t
arp_worker(uint64_t rounds)
{
	uint64_t ok = 0;
	for (uint64_t i = 0; i < rounds; i++)
		ok += arp_once(rxbuf) == E_OK;
	return ok;
}

KTEST_FLAGS(e1000_swapped_live_under_traffic, KTEST_NO_FRAMECHECK)
{
	struct e1000_counters a, b;
	KT_OK(e1000_counters(0, &a));
	int err;
	struct task_builder tb = TASK_BUILDER(arp_worker, (uint64_t)30);
	_cleanup_(task_unref_p) struct task *w = task_spawn(&tb, &err);
	KT_ASSERT(w);
	uint64_t t0 = text_of("e1000"), t = 0;
	for (int i = 0; i < 3; i++) {
		task_sleep_ns(20000000);
		KT_OK(reload("e1000", &t));
		KT_ASSERT(t && t != t0);
		t0 = t;
	}
	uint64_t answered = 0;
	KT_OK(task_join(w, &answered));
	KT_OK(e1000_counters(0, &b));
	KT_EQ(answered, 30);                  /* every request answered: nothing lost */
	KT_EQ(b.tx_frames - a.tx_frames, 30);
	KT_EQ(b.resets, a.resets);            /* the swaps reset nothing */
	KT_EQ(b.rx_malformed, a.rx_malformed);
}

static bool
wait_fault(uint8_t vec, uint64_t faults_before)
{
	struct pci_irq_info in;
	uint64_t t0 = tsc_ns();
	while (tsc_ns() - t0 < 3000000000ull) {
		if (!pci_irq_get(vec, &in) && in.faults > faults_before)
			return pci_irq_wait_recovered(vec, 5000000000ull) == E_OK;
		task_sleep_ns(1000000);
	}
	return false;
}

KTEST_FLAGS(e1000_interrupt_handler_fault_reloads_and_resets, KTEST_NO_FRAMECHECK)
{
	uint8_t vec;
	KT_OK(e1000_vector(0, &vec));
	struct pci_irq_info a, b;
	KT_OK(pci_irq_get(vec, &a));
	struct e1000_counters ca, cb;
	KT_OK(e1000_counters(0, &ca));
	uint64_t text = text_of("e1000");
	KT_OK(e1000_inject_irq_fault(0));
	/* the reply's receive interrupt runs the handler, which faults; the
	 * frame in flight is dropped by the reset (or taken first) */
	int err = arp_once(rxbuf);
	KT_ASSERT(err == E_OK || err == E_TIMEDOUT);
	KT_ASSERT(wait_fault(vec, a.faults));
	KT_OK(pci_irq_get(vec, &b));
	KT_EQ(b.faults, a.faults + 1);
	KT_EQ(b.recoveries, a.recoveries + 1);
	KT_ASSERT(!b.faulted);
	KT_ASSERT(text_of("e1000") != text); /* reloaded */
	KT_OK(e1000_counters(0, &cb));
	KT_EQ(cb.resets, ca.resets + 1);
	for (int i = 0; i < 3; i++) /* and the device works again */
		KT_OK(arp_once(rxbuf));
}

/* ---- block ---- */

struct io_job {
	const char *disk;
	uint64_t lba;
	uint8_t seed;
};

/* rounds of write-then-check of 16 sectors; returns the failures */
static uint64_t
io_worker(struct io_job *j)
{
	uint64_t bad = 0;
	_cleanup_(kfreep) uint8_t *buf = kmalloc(16 * BLK_SECTOR);
	if (!buf)
		return 1000;
	for (unsigned r = 0; r < 24; r++) {
		uint8_t seed = (uint8_t)(j->seed + r);
		for (size_t i = 0; i < 16 * BLK_SECTOR; i++)
			buf[i] = blk_pattern(j->lba * BLK_SECTOR + i, seed);
		int err = blk_rw(j->disk, true, j->lba, 16, buf, 5000000000ull);
		memset(buf, 0, 16 * BLK_SECTOR);
		if (!err)
			err = blk_rw(j->disk, false, j->lba, 16, buf, 5000000000ull);
		for (size_t i = 0; !err && i < 16 * BLK_SECTOR; i++)
			if (buf[i] != blk_pattern(j->lba * BLK_SECTOR + i, seed))
				err = E_IO;
		if (err) {
			kprintf("io_worker %s round %u: %s\n", j->disk, r, err_str(err));
			bad++;
		}
	}
	return bad;
}

static void
swap_under_io(struct ktest_ctx *kt_ctx_, const char *cell, const char *disk)
{
	struct io_job j1 = { disk, 7000, 1 }, j2 = { disk, 7100, 100 };
	int err;
	struct task_builder b1 = TASK_BUILDER(io_worker, &j1), b2 = TASK_BUILDER(io_worker, &j2);
	_cleanup_(task_unref_p) struct task *w1 = task_spawn(&b1, &err);
	_cleanup_(task_unref_p) struct task *w2 = task_spawn(&b2, &err);
	KT_ASSERT(w1 && w2);
	uint64_t t0 = text_of(cell), t = 0;
	for (int i = 0; i < 3; i++) {
		task_sleep_ns(15000000);
		KT_OK(reload(cell, &t));
		KT_ASSERT(t && t != t0);
		t0 = t;
	}
	uint64_t bad1 = 1, bad2 = 1;
	KT_OK(task_join(w1, &bad1));
	KT_OK(task_join(w2, &bad2));
	KT_EQ(bad1, 0);
	KT_EQ(bad2, 0);
}

KTEST_FLAGS(virtio_blk_swapped_live_under_io, KTEST_NO_FRAMECHECK)
{
	struct virtio_blk_counters a, b;
	KT_OK(virtio_blk_counters(0, &a));
	swap_under_io(kt_ctx_, "virtio_blk", "vda");
	KT_OK(virtio_blk_counters(0, &b));
	KT_EQ(b.resets, a.resets);
	KT_EQ(b.errors, a.errors);
	KT_EQ(b.completed - a.completed, 2 * 24 * 2);
}

KTEST_FLAGS(ata_swapped_live_under_io, KTEST_NO_FRAMECHECK)
{
	struct ata_counters a, b;
	KT_OK(ata_counters(0, &a));
	swap_under_io(kt_ctx_, "ata", "hda");
	KT_OK(ata_counters(0, &b));
	KT_EQ(b.resets, a.resets);
	KT_EQ(b.errors, a.errors);
	KT_EQ(b.sectors - a.sectors, 2 * 24 * 2 * 16);
}

/* one read while the handler faults: E_OK (done before) or E_IO (failed
 * at the reset), then the device works */
static void
fault_during_io(struct ktest_ctx *kt_ctx_, const char *cell, const char *disk, uint8_t vec,
		int (*inject)(unsigned))
{
	struct pci_irq_info a, b;
	KT_OK(pci_irq_get(vec, &a));
	uint64_t text = text_of(cell);
	uint8_t buf[4 * BLK_SECTOR];
	KT_OK(inject(0));
	int err = blk_rw(disk, false, 7200, 4, buf, 5000000000ull);
	kprintf("read during the handler's fault: %s\n", err_str(err));
	KT_ASSERT(err == E_OK || err == E_IO);
	KT_ASSERT(wait_fault(vec, a.faults));
	KT_OK(pci_irq_get(vec, &b));
	KT_EQ(b.faults, a.faults + 1);
	KT_EQ(b.recoveries, a.recoveries + 1);
	KT_ASSERT(text_of(cell) != text);
	struct io_job j = { disk, 7300, 50 };
	KT_EQ(io_worker(&j), 0);
}

KTEST_FLAGS(virtio_blk_interrupt_handler_fault_reloads_and_resets, KTEST_NO_FRAMECHECK)
{
	uint8_t vec;
	KT_OK(virtio_blk_vector(0, &vec));
	struct virtio_blk_counters a, b;
	KT_OK(virtio_blk_counters(0, &a));
	fault_during_io(kt_ctx_, "virtio_blk", "vda", vec, virtio_blk_inject_irq_fault);
	KT_OK(virtio_blk_counters(0, &b));
	KT_EQ(b.resets, a.resets + 1);
}

KTEST_FLAGS(ata_interrupt_handler_fault_reloads_and_resets, KTEST_NO_FRAMECHECK)
{
	uint8_t vec;
	KT_OK(ata_vector(0, &vec));
	struct ata_counters a, b;
	KT_OK(ata_counters(0, &a));
	fault_during_io(kt_ctx_, "ata", "hda", vec, ata_inject_irq_fault);
	KT_OK(ata_counters(0, &b));
	KT_EQ(b.resets, a.resets + 1);
}
