/*
 * blk.c: see blk.h.
 */
#define LOG_TAG "blk"
#include "blk.h"
#include "cell_mgr.h"
#include "klibc.h"
#include "logger.h"

struct disk {
	struct blk_info info;
	blk_rw_fn rw;
	void *ctx;
};

static struct disk disks[BLK_MAX];
static size_t ndisks;
static struct spinlock lock = SPINLOCK_INIT;

int
blk_register(const char *name, const char *driver, uint64_t sectors, blk_rw_fn rw, void *ctx)
{
	if (!name || !rw || strlen(name) >= sizeof(disks[0].info.name))
		return E_INVAL;
	bool irq = spin_lock_irq(&lock);
	struct disk *d = NULL;
	for (size_t i = 0; i < ndisks && !d; i++)
		if (!strcmp(disks[i].info.name, name))
			d = &disks[i];
	bool added = !d;
	if (!d && ndisks < BLK_MAX)
		d = &disks[ndisks++];
	if (!d) {
		spin_unlock_irq(&lock, irq);
		return E_NOSPC;
	}
	cell_unpin_addr((const void *)d->rw);
	strlcpy(d->info.name, name, sizeof(d->info.name));
	strlcpy(d->info.driver, driver, sizeof(d->info.driver));
	d->info.sectors = sectors;
	d->ctx = ctx;
	d->rw = rw;
	cell_pin_addr((const void *)rw);
	spin_unlock_irq(&lock, irq);
	if (added)
		log_info("%s: %s, %lu sectors (%lu KiB)", name, driver, sectors, sectors / 2);
	return E_OK;
}

size_t
blk_count(void)
{
	return ndisks;
}

int
blk_info(size_t i, struct blk_info *out)
{
	if (i >= ndisks)
		return E_NOENT;
	*out = disks[i].info;
	return E_OK;
}

int
blk_rw(const char *name, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns)
{
	bool irq = spin_lock_irq(&lock);
	struct disk d = { 0 };
	for (size_t i = 0; i < ndisks; i++)
		if (!strcmp(disks[i].info.name, name))
			d = disks[i];
	/* the driver's cell stays while this call may be in it, even if a
	 * swap moves the registration meanwhile (cell_use_addr says why) */
	struct cell *use = d.rw ? cell_use_addr((const void *)d.rw) : NULL;
	spin_unlock_irq(&lock, irq);
	if (!d.rw)
		return E_NOENT;
	int err;
	if (!buf || count == 0)
		err = E_INVAL;
	else if (lba >= d.info.sectors || count > d.info.sectors - lba)
		err = E_RANGE;
	else
		err = d.rw(d.ctx, write, lba, count, buf, timeout_ns);
	cell_unuse(use);
	return err;
}

/* what applications may call (the blk app; see export.h) */
EXPORT_APP(blk_count);
EXPORT_APP(blk_info);
EXPORT_APP(blk_rw);
