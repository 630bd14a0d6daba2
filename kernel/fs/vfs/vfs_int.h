/*
 * vfs_int.h: private to the vfs cell.
 */
#ifndef VFS_INT_H
#define VFS_INT_H

#include "vfs.h"

struct cell;

/* a mount record: in the state_db's "vfs.table", so a reloaded vfs finds it */
struct mount {
	uint32_t id;                      /* 0: free; never reused */
	char path[VFS_PATH_MAX], fstype[VFS_FSTYPE_MAX], dev[VFS_DEV_MAX];
	void *mnt;                        /* the filesystem's state: owned here */
	struct fs_node root;
	uint32_t open;                    /* open handles */
	uint32_t inflight;                /* requests in its filesystem now */
};

struct vfs_table {
	struct spinlock lock;
	const struct vfs_fs_ops *types[VFS_FSTYPES];
	uint32_t last_id;
	struct mount m[VFS_MOUNTS];
};

/* one request to one mount's filesystem: begun under the table lock (the
 * ops looked up by name, a use of their cell taken), ended after - by
 * vfs_call_end as the cleanup of the caller's variable, so a request that
 * faults in the filesystem and unwinds ends too (no count or use left) */
struct call {
	bool active;
	const struct vfs_fs_ops *ops;
	void *mnt;
	uint32_t mount;
	struct cell *use;
};

struct vfs_table *vfs_table(void);
/* the mount holding absolute normal `path`, and the path within it
 * ("" for its root) */
int vfs_call_path(const char *abs, struct call *c, struct fs_node *root, const char **rest) __must_check;
int vfs_call_id(uint32_t mount, struct call *c) __must_check;
void vfs_call_end(struct call *c);
/* walk `rest` (components separated by '/') from root */
int vfs_walk(struct call *c, const struct fs_node *root, const char *rest, struct fs_node *out,
	     struct fs_stat *st) __must_check;
/* the directory holding the last component of `rest`, and that name */
int vfs_walk_parent(struct call *c, const struct fs_node *root, const char *rest, struct fs_node *dir,
		    char *name) __must_check;
void vfs_mount_open(uint32_t mount, int delta);

#endif
