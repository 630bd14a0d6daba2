/*
 * ata.c: see ata.h. Register offsets from the command block base:
 * 0 data, 1 error, 2 sector count, 3-5 LBA, 6 drive/head, 7 status or
 * command; the control block's one register: interrupt enable (nIEN)
 * and software reset (SRST).
 * State: the channel and disk tables, carried (heap objects).
 */
#define LOG_TAG "ata"
#include "ata.h"
#include "blk.h"
#include "cpu.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "pci.h"
#include "task.h"
#include "tsc.h"

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DF   0x20
#define ST_BSY  0x80
#define CTL_NIEN 0x02
#define CTL_SRST 0x04

struct chan {
	uint16_t io, ctl;
	uint8_t vector, irq;
	struct spinlock lock;          /* guards busy, expecting */
	bool busy, expecting;          /* a request holds the channel; it awaits an interrupt */
	struct waitq wait;             /* requests queue here, and wait for interrupts */
	volatile uint32_t irq_seq, reset_gen;
	volatile uint8_t irq_status;
	struct ata_counters c;
	volatile bool inject_fault;
};

struct disk {
	struct chan *ch;
	uint8_t drive;
	bool lba48;
	uint64_t sectors;
	char name[8], model[41];
};

static struct chan *chans[2] CELL_CARRY(chans);
static struct disk *disks[ATA_MAX_DISKS] CELL_CARRY(disks);
static size_t ndisks CELL_CARRY(ndisks);

static void irq_handler(void *ctx);
static void recover(void *ctx);
static int rw(void *ctx, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns);

/* ---- low level ---- */

static bool
wait_not_busy(struct chan *ch, uint64_t deadline, uint8_t *st)
{
	do {
		*st = inb(ch->io + 7);
		if (!(*st & ST_BSY))
			return true;
	} while (tsc_ns() < deadline);
	return false;
}

static void
soft_reset(struct chan *ch)
{
	outb(ch->ctl, CTL_SRST | CTL_NIEN);
	tsc_delay_us(10);
	outb(ch->ctl, 0);
	uint8_t st;
	(void)wait_not_busy(ch, tsc_ns() + 50000000, &st);
	ch->c.resets++;
	ch->reset_gen++;
}

/* IDENTIFY by polling (interrupts off): E_OK and the disk's facts */
static int
identify(struct chan *ch, uint8_t drive, struct disk *d)
{
	outb(ch->ctl, CTL_NIEN);
	outb(ch->io + 6, (uint8_t)(0xA0 | drive << 4));
	tsc_delay_us(5);
	if (inb(ch->io + 7) == 0xFF) /* floating bus: no controller */
		return E_NOENT;
	outb(ch->io + 2, 0);
	outb(ch->io + 3, 0);
	outb(ch->io + 4, 0);
	outb(ch->io + 5, 0);
	outb(ch->io + 7, 0xEC);
	uint8_t st = inb(ch->io + 7);
	if (st == 0)
		return E_NOENT;
	uint64_t deadline = tsc_ns() + 100000000;
	if (!wait_not_busy(ch, deadline, &st))
		return E_TIMEDOUT;
	if (inb(ch->io + 4) || inb(ch->io + 5)) /* ATAPI (the CD-ROM) or SATA: not an ATA disk */
		return E_NOTSUP;
	while (!(st & (ST_DRQ | ST_ERR)) && tsc_ns() < deadline)
		st = inb(ch->io + 7);
	if (!(st & ST_DRQ))
		return E_NOENT;
	uint16_t id[256];
	for (int i = 0; i < 256; i++)
		id[i] = inw(ch->io);
	d->lba48 = id[83] & (1u << 10);
	d->sectors = d->lba48 ? (uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
					(uint64_t)id[103] << 48
			      : (uint64_t)id[60] | (uint64_t)id[61] << 16;
	for (int i = 0; i < 20; i++) {
		d->model[2 * i] = (char)(id[27 + i] >> 8);
		d->model[2 * i + 1] = (char)id[27 + i];
	}
	d->model[40] = 0;
	for (int i = 39; i >= 0 && d->model[i] == ' '; i--)
		d->model[i] = 0;
	return d->sectors ? E_OK : E_NOTSUP;
}

/* ---- requests ---- */

struct irq_wait {
	struct chan *ch;
	uint32_t seq, gen;
};

static bool
irq_came(void *ctx)
{
	struct irq_wait *w = ctx;
	return w->ch->irq_seq != w->seq || w->ch->reset_gen != w->gen;
}

static bool
chan_free(void *ctx)
{
	return !((struct chan *)ctx)->busy;
}

/* wait for the interrupt after w->seq; E_OK with its status */
static int
await_irq(struct irq_wait *w, uint64_t deadline, uint8_t *st)
{
	for (;;) {
		if (w->ch->reset_gen != w->gen)
			return E_IO; /* the channel was reset under us (recovery) */
		if (w->ch->irq_seq != w->seq) {
			w->seq = w->ch->irq_seq;
			*st = w->ch->irq_status;
			return E_OK;
		}
		uint64_t now = tsc_ns();
		if (now >= deadline)
			return E_TIMEDOUT;
		int err = waitq_wait_deadline(&w->ch->wait, irq_came, w, MIN(deadline, now + 10000000));
		if (err == E_INTR)
			return err;
	}
}

static int
refuse(struct chan *ch, const struct disk *d, const char *what, uint8_t st)
{
	if (st & (ST_ERR | ST_DF)) {
		ch->c.errors++;
		log_warn("%s: %s: device error (status %#x, error %#x)", d->name, what, st, inb(ch->io + 1));
	} else {
		ch->c.malformed++;
		log_warn("%s: %s: status %#x makes no sense here (no data ready): refused", d->name, what, st);
	}
	return E_IO;
}

static int
transfer(struct disk *d, bool write, uint64_t lba, uint32_t n, uint16_t *p, uint64_t deadline)
{
	struct chan *ch = d->ch;
	bool ext = d->lba48 && (lba + n > (1u << 28) || n > 256);
	struct irq_wait w = { ch, ch->irq_seq, ch->reset_gen };
	uint8_t st;
	if (!wait_not_busy(ch, deadline, &st))
		return E_TIMEDOUT;
	ch->expecting = true;
	outb(ch->ctl, 0); /* interrupts on */
	outb(ch->io + 6, (uint8_t)(0xE0 | d->drive << 4 | (ext ? 0 : (lba >> 24) & 0xF)));
	if (ext) {
		outb(ch->io + 2, (uint8_t)(n >> 8));
		outb(ch->io + 3, (uint8_t)(lba >> 24));
		outb(ch->io + 4, (uint8_t)(lba >> 32));
		outb(ch->io + 5, (uint8_t)(lba >> 40));
	}
	outb(ch->io + 2, (uint8_t)n);
	outb(ch->io + 3, (uint8_t)lba);
	outb(ch->io + 4, (uint8_t)(lba >> 8));
	outb(ch->io + 5, (uint8_t)(lba >> 16));
	outb(ch->io + 7, write ? (ext ? 0x34 : 0x30) : (ext ? 0x24 : 0x20));
	const char *what = write ? "write" : "read";
	for (uint32_t s = 0; s < n; s++, p += 256) {
		int err;
		if (write) {
			/* the first sector is asked for by DRQ, the next by the previous one's interrupt */
			if (s == 0) {
				if (!wait_not_busy(ch, deadline, &st))
					return E_TIMEDOUT;
			} else if ((err = await_irq(&w, deadline, &st))) {
				return err;
			}
			if ((st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
				return refuse(ch, d, what, st);
			for (int i = 0; i < 256; i++)
				outw(ch->io, p[i]);
		} else {
			if ((err = await_irq(&w, deadline, &st)))
				return err;
			if ((st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
				return refuse(ch, d, what, st);
			for (int i = 0; i < 256; i++)
				p[i] = inw(ch->io);
		}
	}
	if (write) { /* the last sector's interrupt, then flush the cache */
		int err = await_irq(&w, deadline, &st);
		if (err)
			return err;
		if (st & (ST_ERR | ST_DF))
			return refuse(ch, d, what, st);
		outb(ch->io + 7, 0xE7);
		if ((err = await_irq(&w, deadline, &st)))
			return err;
		if (st & (ST_ERR | ST_DF))
			return refuse(ch, d, "cache flush", st);
	}
	return E_OK;
}

static int
rw(void *ctx, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns)
{
	struct disk *d = ctx;
	struct chan *ch = d->ch;
	if (((uintptr_t)buf & 1) || (!d->lba48 && lba + count > (1u << 28)))
		return E_INVAL;
	uint64_t now = tsc_ns();
	uint64_t deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
	/* the queue: wait for the channel */
	for (;;) {
		bool irq = spin_lock_irq(&ch->lock);
		bool mine = !ch->busy;
		ch->busy = true;
		spin_unlock_irq(&ch->lock, irq);
		if (mine)
			break;
		now = tsc_ns();
		int err = now >= deadline ? E_TIMEDOUT
					  : waitq_wait_deadline(&ch->wait, chan_free, ch, MIN(deadline, now + 10000000));
		if (err == E_TIMEDOUT && tsc_ns() >= deadline) {
			ch->c.timeouts++;
			log_warn("%s: channel busy until the deadline: request not started", d->name);
			return E_TIMEDOUT;
		}
		if (err == E_INTR)
			return err;
	}
	int err = E_OK;
	uint16_t *p = buf;
	for (uint32_t done = 0; done < count && !err;) {
		uint32_t n = MIN(count - done, d->lba48 ? 256u : 255u);
		err = transfer(d, write, lba + done, n, p, deadline);
		ch->c.requests++;
		done += n;
		p += (size_t)n * 256;
	}
	if (err == E_OK) {
		ch->c.sectors += count;
	} else if (err == E_TIMEDOUT) {
		ch->c.timeouts++;
		log_warn("%s: %s of %u sectors at %lu: no answer before the deadline; channel reset", d->name,
			 write ? "write" : "read", count, lba);
		soft_reset(ch);
	}
	bool irq = spin_lock_irq(&ch->lock);
	ch->expecting = false;
	ch->busy = false;
	spin_unlock_irq(&ch->lock, irq);
	waitq_wake_all(&ch->wait);
	return err;
}

/* ---- interrupts, recovery, transfer ---- */

static void
irq_handler(void *ctx)
{
	struct chan *ch = ctx;
	if (ch->inject_fault) {
		ch->inject_fault = false;
		volatile uint32_t *bad = NULL;
		__asm__ volatile("" : "+r"(bad)); /* hidden from the analyzer: the bug is wanted */
		*bad = 0xdead;                    /* the injected bug */
	}
	uint8_t st = inb(ch->io + 7); /* reading the status acknowledges */
	ch->c.irqs++;
	if (!ch->expecting) {
		ch->c.spurious_irqs++;
		return;
	}
	ch->irq_status = st;
	ch->irq_seq++;
	waitq_wake_all(&ch->wait);
}

static void
recover(void *ctx)
{
	struct chan *ch = ctx;
	bool busy = ch->busy;
	soft_reset(ch); /* a request in flight sees reset_gen move: E_IO */
	if (busy)
		ch->c.failed_at_reset++;
	waitq_wake_all(&ch->wait);
	if (pci_irq_unmask(ch->vector))
		log_err("channel %#x: cannot unmask vector %#x", ch->io, ch->vector);
	else
		log_info("channel %#x reset after a fault%s", ch->io, busy ? ": the command in flight fails" : "");
}

static int
add_channel(unsigned k, uint16_t io, uint16_t ctl, uint8_t isa_irq)
{
	_cleanup_(kfreep) struct chan *ch = kzalloc(sizeof(*ch));
	if (!ch)
		return E_NOMEM;
	ch->io = io;
	ch->ctl = ctl;
	ch->irq = isa_irq;
	ch->lock = (struct spinlock)SPINLOCK_INIT;
	waitq_init(&ch->wait);
	size_t first = ndisks;
	for (uint8_t drive = 0; drive < 2 && ndisks < ATA_MAX_DISKS; drive++) {
		_cleanup_(kfreep) struct disk *d = kzalloc(sizeof(*d));
		if (!d)
			return E_NOMEM;
		if (identify(ch, drive, d))
			continue;
		d->ch = ch;
		d->drive = drive;
		snprintf(d->name, sizeof(d->name), "hd%c", (char)('a' + k * 2 + drive));
		disks[ndisks++] = TAKE_PTR(d);
	}
	if (ndisks == first)
		return E_NOENT;
	int err = pci_irq_attach_isa(isa_irq, irq_handler, recover, ch, &ch->vector);
	if (err) {
		for (size_t i = first; i < ndisks; i++)
			kfree(disks[i]);
		ndisks = first;
		return err;
	}
	outb(ch->ctl, 0);
	chans[k] = TAKE_PTR(ch);
	for (size_t i = first; i < ndisks; i++) {
		struct disk *d = disks[i];
		log_info("%s: \"%s\", %lu sectors, LBA%s, PIO, vector %#x", d->name, d->model, d->sectors,
			 d->lba48 ? "48" : "28", chans[k]->vector);
		err = blk_register(d->name, "ata", d->sectors, rw, d);
		if (err)
			return err;
	}
	return E_OK;
}

int
ata_probe(void)
{
	struct pci_dev *ide = pci_find_class(0x01, 0x01, 0);
	if (!ide)
		return E_NOENT;
	if ((ide->progif & 0x05) != 0) { /* native-mode channels: BARs, not served */
		log_warn("IDE controller in native mode (prog-if %#x): not supported", ide->progif);
		return E_NOTSUP;
	}
	pci_enable(ide, PCI_CMD_IO);
	int e0 = add_channel(0, 0x1F0, 0x3F6, 14);
	int e1 = add_channel(1, 0x170, 0x376, 15);
	if (e0 && e0 != E_NOENT)
		return e0;
	if (e1 && e1 != E_NOENT)
		return e1;
	return ndisks ? E_OK : E_NOENT;
}

int
ata_adopt(void)
{
	for (size_t k = 0; k < ARRAY_SIZE(chans); k++)
		if (chans[k]) {
			int err = pci_irq_rebind(chans[k]->vector, irq_handler, recover, chans[k], NULL);
			if (err)
				return err;
		}
	for (size_t i = 0; i < ndisks; i++) {
		if (!disks[i]->ch->vector)
			continue;
		int err = blk_register(disks[i]->name, "ata", disks[i]->sectors, rw, disks[i]);
		if (err)
			return err;
	}
	return E_OK;
}

size_t
ata_count(void)
{
	return ndisks;
}

int
ata_counters(unsigned i, struct ata_counters *out)
{
	if (i >= ndisks)
		return E_NOENT;
	*out = disks[i]->ch->c;
	return E_OK;
}

int
ata_vector(unsigned i, uint8_t *vector)
{
	if (i >= ndisks)
		return E_NOENT;
	*vector = disks[i]->ch->vector;
	return E_OK;
}

int
ata_inject_irq_fault(unsigned i)
{
	if (i >= ndisks)
		return E_NOENT;
	disks[i]->ch->inject_fault = true;
	return E_OK;
}
