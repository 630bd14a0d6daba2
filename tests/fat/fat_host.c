/*
 * fat_host.c: the fat32 core's platform on the host (the cmocka tests
 * and the libFuzzer target): an image in memory, the intent record in a
 * static, and a crash simulated by a longjmp after a given number of
 * sector writes (or cluster-data writes), as a fault mid-request would
 * leave the disk.
 */
#include "fat_host.h"
#include <stdlib.h>

struct fat_host fat_host;
static struct fat_intent host_intent;

int
fat_dev_rw(struct fat_mnt *m, bool write, uint64_t lba, uint32_t n, void *buf)
{
	(void)m;
	if (lba + n > fat_host.sectors)
		return E_RANGE;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *sec = fat_host.img + (lba + i) * FAT_SECTOR, *b = (uint8_t *)buf + (size_t)i * FAT_SECTOR;
		if (write) {
			if (fat_host.crash_in && --fat_host.crash_in == 0)
				longjmp(fat_host.crash, 1);
			memcpy(sec, b, FAT_SECTOR);
			fat_host.writes++;
		} else
			memcpy(b, sec, FAT_SECTOR);
	}
	return E_OK;
}

struct fat_intent *fat_intent_slot(struct fat_mnt *m) { (void)m; return &host_intent; }
void fat_intent_forget(void) { memset(&host_intent, 0, sizeof(host_intent)); }
void fat_fault_point(void) {}
void *fat_zalloc(size_t n) { return calloc(1, n); }
void fat_free(void *p) { free(p); }
