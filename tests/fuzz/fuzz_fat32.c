/*
 * libFuzzer target for the fat32 cell's core (kernel/fs/fat32): the input
 * is the start of a disk image (the rest of 1 MiB reads as zeros; seeds
 * are small mkfs.fat images with files, tools/fuzz.sh). Mount, walk every
 * directory (depth-bounded: the image may hold cycles), read every file,
 * then create, write, truncate, rename and remove; an input ending in
 * 0xA5 also hands its last bytes to the replay as a pending intent.
 * Everything must end with an error or success, never a crash, a sanitizer
 * report or a hang (libFuzzer's -timeout).
 */
#include <stdlib.h>
#include "../fat/fat_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMG (1u << 20)

static struct fat_mnt M;

static void
walk(const struct fs_node *dir, int depth)
{
	uint64_t cookie = 0;
	struct fs_dirent de;
	for (int n = 0; n < 64 && fat_op_readdir(&M, dir, &cookie, &de) == E_OK; n++) {
		struct fs_node x;
		struct fs_stat st;
		if (fat_op_lookup(&M, dir, de.name, &x, &st) != E_OK)
			continue;
		if (st.kind == FS_DIR && depth < 6) {
			walk(&x, depth + 1);
			(void)!fat_op_lookup(&M, &x, "..", &x, &st);
		} else if (st.kind == FS_FILE) {
			uint8_t buf[4096];
			size_t done;
			for (uint64_t off = 0; off < 65536; off += sizeof(buf))
				if (fat_file_rw(&M, &de.node, off, buf, sizeof(buf), &done) || done < sizeof(buf))
					break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *img;
	if (!img)
		img = malloc(IMG);
	size_t k = size < IMG ? size : IMG;
	memcpy(img, data, k);
	memset(img + k, 0, IMG - k);
	fat_host.img = img;
	fat_host.sectors = IMG / FAT_SECTOR;
	fat_host.crash_in = 0;
	fat_intent_forget();
	memset(&M, 0, sizeof(M));
	struct fs_node root, f, d;
	if (fat_mount_core(&M, fat_host.sectors, &root))
		return 0;
	if (size > sizeof(struct fat_intent) && data[size - 1] == 0xA5) {
		struct fat_intent in;
		memcpy(&in, data + size - 1 - sizeof(in), sizeof(in));
		in.magic = FAT_INTENT_MAGIC;
		(void)!fat_intent_set(&M, &in);
		(void)!fat_replay(&M);
	}
	walk(&root, 0);
	static uint8_t buf[3000];
	size_t done;
	if (!fat_op_create(&M, &root, "a fuzzed file name.txt", FS_FILE, &f)) {
		(void)!fat_file_write(&M, &f, 100, buf, sizeof(buf), &done);
		(void)!fat_file_truncate(&M, &f, 700);
		(void)!fat_op_rename(&M, &root, "a fuzzed file name.txt", &root, "RENAMED.TXT");
	}
	if (!fat_op_create(&M, &root, "dir", FS_DIR, &d)) {
		(void)!fat_op_rename(&M, &root, "RENAMED.TXT", &d, "in a directory");
		(void)!fat_op_remove(&M, &d, "in a directory");
		(void)!fat_op_remove(&M, &root, "dir");
	}
	uint64_t cookie = 0;
	struct fs_dirent de;
	if (!fat_op_readdir(&M, &root, &cookie, &de)) {
		(void)!fat_file_write(&M, &de.node, 5000, buf, 100, &done);
		(void)!fat_op_remove(&M, &root, de.name);
	}
	(void)!fat_op_sync(&M);
	return 0;
}
