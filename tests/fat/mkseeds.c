/*
 * mkseeds IMAGE OUTDIR: the fat32 fuzz target's seed corpus (tools/fuzz.sh)
 * from IMAGE, a 1 MiB image fresh from mkfs.fat: the empty file system,
 * one with directories, long names and files crossing cluster boundaries
 * written by the core, and hand-corrupted copies of it (a looping chain, a
 * link out of range, a directory naming the root, a bad LFN checksum, a
 * size beyond its chain, a bad boot sector); each without its trailing
 * zeros (the target pads to 1 MiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include "fat_host.h"

static uint8_t img[1 << 20];
static struct fat_mnt M;
static struct fs_node root;

static void
emit(const char *dir, const char *name, const uint8_t *im)
{
	size_t n = sizeof(img);
	while (n && !im[n - 1])
		n--;
	char path[512];
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(im, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static void
check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "mkseeds: %s: %s\n", what, err_str(err));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (!f || fread(img, 1, sizeof(img), f) != sizeof(img))
		return 1;
	fclose(f);
	fat_host.img = img;
	fat_host.sectors = sizeof(img) / FAT_SECTOR;
	check(fat_mount_core(&M, fat_host.sectors, &root), "mount");
	emit(argv[2], "empty", img);
	struct fs_node d, sub, a, b;
	uint8_t data[2000];
	size_t done;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	check(fat_op_create(&M, &root, "Documents and Settings", FS_DIR, &d), "mkdir");
	check(fat_op_create(&M, &d, "sub", FS_DIR, &sub), "mkdir sub");
	check(fat_op_create(&M, &d, "a long file name.text", FS_FILE, &a), "create");
	check(fat_file_write(&M, &a, 0, data, sizeof(data), &done), "write");
	check(fat_op_create(&M, &sub, "SHORT.TXT", FS_FILE, &b), "create short");
	check(fat_file_write(&M, &b, 0, data, 513, &done), "write short");
	check(fat_op_sync(&M), "sync");
	emit(argv[2], "files", img);
	static uint8_t c[sizeof(img)];
	uint32_t fa = (uint32_t)a.id;
	struct fat_found ff;
	check(fat_dir_find(&M, (uint32_t)d.id, "a long file name.text", &ff), "find");
#define VARIANT(name, stmt)                                                   \
	do {                                                                  \
		uint8_t *save = malloc(sizeof(img));                          \
		memcpy(save, img, sizeof(img));                               \
		fat_caches_drop(&M);                                          \
		stmt;                                                         \
		memcpy(c, img, sizeof(img));                                  \
		emit(argv[2], name, c);                                       \
		memcpy(img, save, sizeof(img));                               \
		free(save);                                                   \
		fat_caches_drop(&M);                                          \
	} while (0)
	VARIANT("loop", check(fat_set(&M, fa + 1, fa), "loop"));
	VARIANT("out-of-range", check(fat_set(&M, fa + 1, 0x0FFFFF00), "range"));
	VARIANT("size-beyond-chain", check(fat_set(&M, fa + 1, FAT_MASK), "short chain"));
	VARIANT("dir-names-root", {
		fat_ent_set_first(ff.ent, M.g.root);
		check(fat_dir_entry(&M, (uint32_t)d.id, ff.idx, true, ff.ent), "cycle");
	});
	VARIANT("lfn-checksum", {
		uint8_t e[32];
		check(fat_dir_entry(&M, (uint32_t)d.id, ff.idx - 1, false, e), "lfn");
		e[13] ^= 1;
		check(fat_dir_entry(&M, (uint32_t)d.id, ff.idx - 1, true, e), "lfn");
	});
	VARIANT("bad-bpb", img[13] = 3);
	return 0;
}
