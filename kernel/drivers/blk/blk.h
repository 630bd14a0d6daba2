/*
 * blk: block devices by name ("vda", "hda"): the drivers register each
 * disk with its sector count and read/write function; clients name the
 * disk in every request, which carries the operation, first sector,
 * count, buffer and a timeout (no per-client state). Sectors are 512
 * bytes.
 * State: the table of disks (name, driver, size, ops). A registration
 * pins the driver's cell; the driver's transfer function registers again
 * (same name), which moves the pin to the new copy.
 */
#ifndef BLK_H
#define BLK_H

#include "base.h"

#define BLK_SECTOR 512
#define BLK_MAX 8

/* a driver's request: E_OK, E_IO (the device reported an error or was
 * reset with the request in flight), E_TIMEDOUT, E_RANGE, E_INVAL */
typedef int (*blk_rw_fn)(void *ctx, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns);

struct blk_info {
	char name[8], driver[16];
	uint64_t sectors;
};

/* add a disk, or (same name) point it at a new copy of its driver */
int blk_register(const char *name, const char *driver, uint64_t sectors, blk_rw_fn rw, void *ctx) __must_check;
size_t blk_count(void);
int blk_info(size_t i, struct blk_info *out) __must_check;
/* read or write `count` sectors at `lba`; E_NOENT for an unknown disk,
 * E_RANGE past its end */
int blk_rw(const char *name, bool write, uint64_t lba, uint32_t count, void *buf, uint64_t timeout_ns) __must_check;

/* the test pattern: the byte at `offset` (from the disk's start) for
 * `seed`; tools/test-devices.sh computes the same on the host */
static inline uint8_t
blk_pattern(uint64_t offset, uint8_t seed)
{
	return (uint8_t)((offset / 512) * 7 + (offset % 512) * 3 + seed);
}

#endif
