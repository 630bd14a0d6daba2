/*
 * sysview: a read-only filesystem generated from the live system's
 * metadata, mounted at /sys at boot (docs/files.md):
 *   /sys/cells/<namespace>/<cell>  a cell: regions, sections, the cells it
 *                                  depends on and that depend on it, its
 *                                  declared dependencies
 *   /sys/tasks                     every task (as `ps`)
 *   /sys/faults                    the fault log with what recovery did
 *   /sys/namespaces                the namespaces and their counts
 *   /sys/mounts                    the vfs's mount table
 * Each read generates the file's text anew from the metadata, so it is
 * as current as the read (a file's size is that of its text now).
 * State: none (a mount's `mnt` is only a tag); its registration is
 * rebuilt by sysview_adopt after a swap or reload.
 */
#ifndef SYSVIEW_H
#define SYSVIEW_H

#include "vfs.h"

int sysview_mount(const char *dev, const char *opts, void **mnt, struct fs_node *root) __must_check;
int sysview_unmount(void *mnt) __must_check;
int sysview_lookup(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out,
		   struct fs_stat *st) __must_check;
int sysview_readdir(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out) __must_check;
int sysview_read(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done) __must_check;
int sysview_write(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len,
		  size_t *done) __must_check;
int sysview_create(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind,
		   struct fs_node *out) __must_check;
int sysview_remove(void *mnt, const struct fs_node *dir, const char *name) __must_check;
int sysview_rename(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir,
		   const char *to) __must_check;
int sysview_truncate(void *mnt, struct fs_node *n, uint64_t size) __must_check;
int sysview_stat(void *mnt, const struct fs_node *n, struct fs_stat *st) __must_check;
int sysview_sync(void *mnt) __must_check;

/* the most text one file generates; beyond it the text ends with "...\n" */
#define SYSVIEW_TEXT_MAX (128 * 1024)

void sysview_start(const char *cmdline);
int sysview_adopt(void) __must_check;

#endif
