/*
 * vfs: paths, directories, the mount table and open files (docs/files.md).
 *
 * A filesystem cell (memfs, sysview, fat32) registers a table of
 * functions under its type name (vfs_fstype_register), from its start
 * function and again from its transfer function <cell>_adopt after a swap
 * or reload (as blk drivers do), which moves the registration to the new
 * code. Every request looks the table up by name, so the next request of
 * every open file goes to whichever copy is registered now.
 *
 * An open file is an owned handle (struct vfs_file, dropped by vfs_close,
 * _cleanup_(vfs_close_p) releases it when its task unwinds) that carries
 * all of its state: the mount id and type name, the node as its
 * filesystem names it, the position, the mode, a directory's cookie.
 * Filesystem cells keep no per-open-file tables; a request carries the
 * node and the offset (the contract below, shared with the FAT32 cell).
 *
 * State: the fs type registry and the mount table (mount point -> type,
 * device, the filesystem's `mnt` state, root node, counts), kept in the
 * state_db ("vfs.table"), so a reloaded vfs cell finds them. The cwd of a
 * task is the task's (task_cwd); the vfs keeps nothing per task.
 */
#ifndef VFS_H
#define VFS_H

#include "base.h"

/* ---- the filesystem contract (docs/files.md) ---- */

/* A node as its filesystem names it. The VFS and clients store it and hand
 * it back; only the filesystem looks inside. */
/* the filesystem contract's types (fat32.h declares the same for its host
 * builds: whichever header comes first does) */
#ifndef FS_CONTRACT_TYPES
#define FS_CONTRACT_TYPES
struct fs_node { uint64_t id, a, b; };
enum { FS_FILE = 1, FS_DIR = 2 };
struct fs_stat { uint64_t size; uint32_t kind; uint32_t flags; uint64_t mtime_s; };
#define FS_NAME_MAX 255
struct fs_dirent { char name[FS_NAME_MAX + 1]; struct fs_node node; struct fs_stat st; };
#endif

/* mnt: the filesystem's per-mount state, allocated by its mount, owned by
 * the VFS's mount record, freed by unmount; only what can be rebuilt from
 * the medium. No per-open-file state in a filesystem cell. */
struct vfs_fs_ops {
	const char *name;
	int (*mount)(const char *dev, const char *opts, void **mnt, struct fs_node *root);
	int (*unmount)(void *mnt);
	int (*lookup)(void *mnt, const struct fs_node *dir, const char *name, struct fs_node *out,
		      struct fs_stat *st);
	int (*readdir)(void *mnt, const struct fs_node *dir, uint64_t *cookie, struct fs_dirent *out);
	int (*read)(void *mnt, const struct fs_node *n, uint64_t off, void *buf, size_t len, size_t *done);
	int (*write)(void *mnt, struct fs_node *n, uint64_t off, const void *buf, size_t len, size_t *done);
	int (*create)(void *mnt, const struct fs_node *dir, const char *name, uint32_t kind, struct fs_node *out);
	int (*remove)(void *mnt, const struct fs_node *dir, const char *name);
	int (*rename)(void *mnt, const struct fs_node *from_dir, const char *from, const struct fs_node *to_dir,
		      const char *to);
	int (*truncate)(void *mnt, struct fs_node *n, uint64_t size);
	int (*stat)(void *mnt, const struct fs_node *n, struct fs_stat *st);
	int (*sync)(void *mnt);
};

#define VFS_FSTYPE_MAX 16   /* type name bytes with the NUL */
#define VFS_FSTYPES 8
#define VFS_MOUNTS 16
#define VFS_PATH_MAX 256    /* a path's bytes with the NUL */
#define VFS_DEV_MAX 16

/* add a type, or (same name) point it at a new copy of its cell: pins the
 * table's cell, moving the pin from the previous table */
int vfs_fstype_register(const struct vfs_fs_ops *ops) __must_check;
/* E_BUSY while a mount uses it */
int vfs_fstype_unregister(const char *name) __must_check;

/* ---- paths ---- */
/* `path` made absolute (relative to the task's cwd) and normal: no ".",
 * "..", "//" or trailing "/"; E_NAMETOOLONG, E_INVAL (empty) */
int vfs_resolve(const char *path, char *out, size_t cap) __must_check;
/* where `cp FROM TO` / `mv` put a file: TO, or TO/<last component of FROM>
 * if TO is a directory */
int vfs_target(const char *from, const char *to, char *out, size_t cap) __must_check;
/* the calling task's working directory (tasks inherit their spawner's) */
int vfs_getcwd(char *out, size_t cap) __must_check;
/* E_NOENT, E_NOTDIR: the cwd is unchanged */
int vfs_chdir(const char *path) __must_check;

/* ---- open files ---- */
enum {
	VFS_READ = 1, VFS_WRITE = 2,
	VFS_CREATE = 4,  /* create the file if absent */
	VFS_TRUNC = 8,   /* empty it on open */
	VFS_APPEND = 16, /* every write goes to the end */
	VFS_EXCL = 32,   /* with CREATE: E_EXIST if present */
};
enum { VFS_SEEK_SET, VFS_SEEK_CUR, VFS_SEEK_END };

struct vfs_file;
void vfs_close(struct vfs_file *f);
DEFINE_DROP(struct vfs_file, vfs_close)
/* a file or (VFS_READ only) a directory, for vfs_readdir */
struct vfs_file *vfs_open(const char *path, unsigned mode, int *err) OWNED_BY(vfs_close);
int vfs_read(struct vfs_file *f, void *buf, size_t len, size_t *done) __must_check;
int vfs_write(struct vfs_file *f, const void *buf, size_t len, size_t *done) __must_check;
int vfs_seek(struct vfs_file *f, int64_t off, int whence, uint64_t *pos) __must_check;
int vfs_fstat(struct vfs_file *f, struct fs_stat *st) __must_check;
int vfs_ftruncate(struct vfs_file *f, uint64_t size) __must_check;
/* next entry of an open directory; E_NOENT at the end */
int vfs_readdir(struct vfs_file *dir, struct fs_dirent *out) __must_check;
/* where the handle points (tests: the reload of a filesystem cell must
 * leave these as they were) */
struct vfs_file_info {
	uint32_t mount;
	char fstype[VFS_FSTYPE_MAX];
	struct fs_node node;
	uint64_t pos;
	unsigned mode;
};
int vfs_file_info(const struct vfs_file *f, struct vfs_file_info *out) __must_check;

/* ---- by path ---- */
int vfs_stat(const char *path, struct fs_stat *st) __must_check;
int vfs_mkdir(const char *path) __must_check;
/* a file or an empty directory; E_BUSY for a mount point */
int vfs_remove(const char *path) __must_check;
/* within one mount (E_NOTSUP across mounts: copy, then remove; E_INVAL
 * into itself) */
int vfs_rename(const char *from, const char *to) __must_check;
int vfs_truncate(const char *path, uint64_t size) __must_check;

/* the bytes of file `from` into file `to` (created or emptied first; may
 * be on another mount); *bytes: how many were written */
int vfs_copy(const char *from, const char *to, uint64_t *bytes) __must_check;

/* ---- mounts ---- */
/* mount a filesystem of type `fstype` on `dev` ("" for none) at `path`,
 * an existing directory ("/" only while nothing is mounted there) */
int vfs_mount(const char *fstype, const char *dev, const char *opts, const char *path) __must_check;
/* E_BUSY while files are open in it or a mount lies below it */
int vfs_umount(const char *path) __must_check;
struct vfs_mount_info {
	uint32_t id;
	char path[VFS_PATH_MAX], fstype[VFS_FSTYPE_MAX], dev[VFS_DEV_MAX];
	uint32_t open;      /* open files */
	bool registered;    /* its type is registered now */
};
size_t vfs_mounts(struct vfs_mount_info *out, size_t max);
/* flush every mount (fs_sync) */
int vfs_sync(void) __must_check;

/* boot: mount memfs at / and sysview at /sys (their cells registered) */
void vfs_start(const char *cmdline);

#endif
