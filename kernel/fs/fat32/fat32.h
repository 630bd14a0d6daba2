/*
 * fat32: the FAT32 file system on a block device (issue 19), through the
 * filesystem contract every file system cell exports (memfs, sysview,
 * fat32; docs/files-fat32.md). Long names (VFAT LFN entries), 8.3 short
 * names with ~N tails, both FAT copies, the FSInfo free-count hint.
 * State: none in the cell. The per-mount state (`mnt`, allocated by
 * fat32_mount, owned by the caller, freed by fat32_unmount) holds the
 * geometry read from the boot sector and caches, all rebuildable from
 * the disk; a metadata change in progress is described by an intent
 * record in the state_db ("fat32:<dev>"), replayed by the next request
 * after a fault, or by the next mount (the state_db does not outlive a
 * reboot: docs/files-fat32.md, "Power loss"). Requests carry the
 * node and the offset: no per-open-file state.
 */
#ifndef FAT32_H
#define FAT32_H

#include "base.h"

/* The filesystem contract's types, as the VFS (kernel/fs/vfs, vfs.h)
 * declares them: declared here too for the host's builds of the core
 * (tests/fat), which have no vfs.h; whichever header comes first does. */
#ifndef FS_CONTRACT_TYPES
#define FS_CONTRACT_TYPES
struct fs_node { uint64_t id, a, b; };
enum { FS_FILE = 1, FS_DIR = 2 };
struct fs_stat { uint64_t size; uint32_t kind; uint32_t flags; uint64_t mtime_s; };
#define FS_NAME_MAX 255
struct fs_dirent { char name[FS_NAME_MAX + 1]; struct fs_node node; struct fs_stat st; };
#endif

/* FAT32's nodes: id = first cluster (0 for an empty file), a = first
 * cluster of the directory holding the entry, b = the short entry's index
 * there (the root: id = root cluster, a = b = 0). Names are UTF-8 (the
 * BMP), compared without regard to ASCII case, as FAT does. */
int fat32_mount(const char *dev, const char *opts, void **mnt, struct fs_node *root) __must_check;
int fat32_unmount(void *mnt);
int fat32_lookup(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out, struct fs_stat *st) __must_check;
int fat32_readdir(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out) __must_check;
int fat32_read(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done) __must_check;
int fat32_write(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done) __must_check;
int fat32_create(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out) __must_check;
int fat32_remove(void *mnt, const struct fs_node *dir, const char *name) __must_check;
int fat32_rename(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir,
		 const char *to) __must_check;
int fat32_truncate(void *mnt, struct fs_node *n, uint64_t size) __must_check;
int fat32_stat(void *mnt, const struct fs_node *n, struct fs_stat *st) __must_check;
int fat32_sync(void *mnt) __must_check;

/* the test pattern: byte `off` of a file written with `seed` (the fat app,
 * tests/kernel/test_fat32; tools/test-fat32.sh computes it on the host) */
static inline uint8_t
fat32_pattern(uint64_t off, uint8_t seed)
{
	return (uint8_t)(off * 7 + (off >> 9) * 13 + seed);
}

/* registers the type "fat32" with the VFS and mounts the first disk
 * holding a FAT32 file system at /disk (the captain calls it at boot) */
void fat32_start(const char *cmdline);
/* transfer function: a new copy of the cell registers in its place */
int fat32_adopt(void);

/* test hook: the next `after` data writes (a request writes each run of
 * sectors in one) succeed, then the cell faults (a write to its own
 * rodata, so recovery reloads it) before the one after; 0 disarms */
void fat32_inject_write_fault(uint32_t after);

#endif
