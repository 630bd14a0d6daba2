/*
 * memfs: a filesystem in memory (files and directories), mounted at / at
 * boot. A file's bytes are in MappedPages it owns, grown by remapping; a
 * directory is a list of (name, node) entries.
 * State: none outside a mount. Everything lives in the mount's `mnt`,
 * which the vfs's mount record owns: the node table (index + generation
 * name a node, so a handle to a removed file gets E_NOENT, never another
 * file's bytes), the nodes and their data. Its registration is rebuilt by
 * memfs_adopt after a swap or reload. No per-open-file state.
 */
#ifndef MEMFS_H
#define MEMFS_H

#include "vfs.h"

int memfs_mount(const char *dev, const char *opts, void **mnt, struct fs_node *root) __must_check;
int memfs_unmount(void *mnt) __must_check;
int memfs_lookup(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out,
		 struct fs_stat *st) __must_check;
int memfs_readdir(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out) __must_check;
int memfs_read(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done) __must_check;
int memfs_write(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done) __must_check;
int memfs_create(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind,
		 struct fs_node *out) __must_check;
int memfs_remove(void *mnt, const struct fs_node *dir, const char *name) __must_check;
int memfs_rename(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir,
		 const char *to) __must_check;
int memfs_truncate(void *mnt, struct fs_node *n, uint64_t size) __must_check;
int memfs_stat(void *mnt, const struct fs_node *n, struct fs_stat *st) __must_check;
int memfs_sync(void *mnt) __must_check;

/* largest file (bytes) */
#define MEMFS_FILE_MAX (64UL << 20)

/* boot: register the type; after a swap or reload: register again */
void memfs_start(const char *cmdline);
int memfs_adopt(void) __must_check;

#endif
