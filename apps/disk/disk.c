/*
 * disk: the disks the block drivers registered, and sector I/O on them:
 *   disk                         list disks
 *   disk read DISK LBA           the first 64 bytes of a sector, in hex
 *   disk write DISK LBA N SEED   write N sectors of the test pattern
 *   disk check DISK LBA N SEED   read them back and compare
 * (the pattern is blk_pattern: tools/test-devices.sh checks on the host
 * that a disk image the OS wrote holds it)
 */
#include "base.h"
#include "blk.h"
#include "klibc.h"
#include "logger.h"
#include "tsc.h"

int main(int argc, char **argv);

#define CHUNK 32
#define TIMEOUT_NS 5000000000ull
static uint8_t buf[CHUNK * BLK_SECTOR];

static int
list(void)
{
	if (!blk_count())
		kprintf("no disks\n");
	for (size_t i = 0; i < blk_count(); i++) {
		struct blk_info in;
		if (!blk_info(i, &in))
			kprintf("%-4s %-12s %8lu sectors (%lu KiB)\n", in.name, in.driver, in.sectors, in.sectors / 2);
	}
	return 0;
}

static int
pattern(const char *disk, bool write, uint64_t lba, uint64_t n, uint8_t seed)
{
	uint64_t t0 = tsc_ns();
	for (uint64_t done = 0; done < n;) {
		uint32_t k = (uint32_t)MIN(n - done, (uint64_t)CHUNK);
		uint64_t base = (lba + done) * BLK_SECTOR;
		if (write)
			for (size_t i = 0; i < (size_t)k * BLK_SECTOR; i++)
				buf[i] = blk_pattern(base + i, seed);
		int err = blk_rw(disk, write, lba + done, k, buf, TIMEOUT_NS);
		if (err) {
			kprintf("disk: %s of %u sectors at %lu on %s: %s\n", write ? "write" : "read", k, lba + done, disk,
				err_str(err));
			return 1;
		}
		if (!write)
			for (size_t i = 0; i < (size_t)k * BLK_SECTOR; i++)
				if (buf[i] != blk_pattern(base + i, seed)) {
					kprintf("disk: %s: byte %lu is %#x, expected %#x\n", disk, base + i, buf[i],
						blk_pattern(base + i, seed));
					return 1;
				}
		done += k;
	}
	uint64_t us = (tsc_ns() - t0) / 1000;
	kprintf("disk: %s %lu sectors at %lu on %s (seed %u) in %lu us\n", write ? "wrote" : "checked", n, lba, disk,
		seed, us);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return list();
	uint64_t lba, n = 1, seed = 0;
	if (argc == 4 && !strcmp(argv[1], "read") && !str_to_u64_any(argv[3], &lba)) {
		int err = blk_rw(argv[2], false, lba, 1, buf, TIMEOUT_NS);
		if (err) {
			kprintf("disk: read %s sector %lu: %s\n", argv[2], lba, err_str(err));
			return 1;
		}
		for (int i = 0; i < 64; i++)
			kprintf("%02x%s", buf[i], i % 16 == 15 ? "\n" : " ");
		return 0;
	}
	if (argc == 6 && (!strcmp(argv[1], "write") || !strcmp(argv[1], "check")) && !str_to_u64_any(argv[3], &lba) &&
	    !str_to_u64_any(argv[4], &n) && !str_to_u64_any(argv[5], &seed) && n > 0 && seed < 256)
		return pattern(argv[2], argv[1][0] == 'w', lba, n, (uint8_t)seed);
	kprintf("usage: disk | disk read DISK LBA | disk write|check DISK LBA N SEED (SEED 0-255)\n");
	return 2;
}
