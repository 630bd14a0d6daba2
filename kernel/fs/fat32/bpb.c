/*
 * bpb.c: the boot sector (BIOS parameter block) and the FSInfo sector.
 * Every field the rest of the cell relies on is checked here, so a
 * malformed image is refused at mount with E_CORRUPT (or E_NOTSUP for a
 * valid FAT32 this cell does not handle).
 */
#include "fat_int.h"

int
fat_bpb_parse(const uint8_t *s, uint64_t dev_sectors, struct fat_geom *g)
{
	if (s[510] != 0x55 || s[511] != 0xAA || (s[0] != 0xEB && s[0] != 0xE9))
		return E_CORRUPT;                       /* no boot sector signature */
	uint32_t bps = le16(s + 11), spc = s[13], reserved = le16(s + 14), nfats = s[16];
	uint32_t root_ents = le16(s + 17), tot16 = le16(s + 19), fat16 = le16(s + 22);
	uint32_t tot32 = le32(s + 32), fat32 = le32(s + 36), ext = le16(s + 40), root = le32(s + 44);
	uint32_t fsinfo = le16(s + 48);
	if (bps != FAT_SECTOR)
		return bps == 1024 || bps == 2048 || bps == 4096 ? E_NOTSUP : E_CORRUPT;
	if (!spc || (spc & (spc - 1)) || !reserved || !nfats || nfats > 4)
		return E_CORRUPT;
	if (fat16 || root_ents || !fat32)
		return E_CORRUPT;                       /* FAT12/16, or no FAT32 FAT size */
	if (ext & 0x80)
		return E_NOTSUP;                        /* FAT mirroring disabled */
	uint64_t total = tot16 ? tot16 : tot32;
	if (dev_sectors && total > dev_sectors)
		return E_CORRUPT;                       /* larger than the disk */
	uint64_t data = (uint64_t)reserved + (uint64_t)nfats * fat32;
	if (data >= total)
		return E_CORRUPT;
	uint64_t ncl = (total - data) / spc;
	if (!ncl || ncl > 0x0FFFFFF5 || (uint64_t)fat32 * (FAT_SECTOR / 4) < ncl + 2)
		return E_CORRUPT;                       /* no cluster, or a FAT too small for them */
	if (root < 2 || root > ncl + 1)
		return E_CORRUPT;
	*g = (struct fat_geom){
		.spc = spc, .cluster_bytes = spc * FAT_SECTOR, .reserved = reserved, .nfats = nfats,
		.fat_sz = fat32, .root = root, .fsinfo = (fsinfo && fsinfo < reserved) ? fsinfo : 0,
		.total = total, .data_start = data, .nclusters = (uint32_t)ncl,
		.fsinfo_free = 0xFFFFFFFF, .fsinfo_next = 0xFFFFFFFF,
	};
	return E_OK;
}

/* FSInfo: "RRaA" at 0, "rrAa" at 484, free count at 488, next free at
 * 492, 0xAA550000 at 508. One with bad signatures is ignored (no hints). */
static bool
fsinfo_ok(const uint8_t *s)
{
	return le32(s) == 0x41615252 && le32(s + 484) == 0x61417272 && le32(s + 508) == 0xAA550000;
}

/* the FSInfo sector into s: E_NOENT when there is none or it is not one */
static int
fsinfo_load(struct fat_mnt *m, uint8_t *s)
{
	if (!m->g.fsinfo)
		return E_NOENT;
	int err = fat_dev_rw(m, false, m->g.fsinfo, 1, s);
	return err ? err : fsinfo_ok(s) ? E_OK : E_NOENT;
}

int
fat_fsinfo_read(struct fat_mnt *m)
{
	uint8_t s[FAT_SECTOR] __aligned(8);
	int err = fsinfo_load(m, s);
	if (err == E_NOENT)
		m->g.fsinfo = 0;        /* no hints */
	if (err)
		return err == E_NOENT ? E_OK : err;
	m->g.fsinfo_free = le32(s + 488);
	m->g.fsinfo_next = le32(s + 492);
	return E_OK;
}

int
fat_fsinfo_write(struct fat_mnt *m, uint32_t free, uint32_t next)
{
	uint8_t s[FAT_SECTOR] __aligned(8);
	int err = fsinfo_load(m, s);
	if (err)
		return err == E_NOENT ? E_OK : err;
	put32(s + 488, free);
	put32(s + 492, next);
	err = fat_write(m, m->g.fsinfo, 1, s);
	if (!err) {
		m->g.fsinfo_free = free;
		m->g.fsinfo_next = next;
	}
	return err;
}
