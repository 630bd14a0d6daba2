/*
 * file.c: open files (owned handles carrying their own state) and the
 * operations by path. Each request resolves its mount and its type's ops
 * anew (vfs_call_*), so it reaches the filesystem cell registered now.
 */
#define LOG_TAG "vfs"
#include "vfs_int.h"
#include "cell_mgr.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"

#define FILE_MAGIC 0xf11e09e7u

struct vfs_file {
	uint32_t magic;
	uint32_t mount;                  /* the mount record's id (never reused) */
	char fstype[VFS_FSTYPE_MAX];     /* the type it was opened on */
	struct fs_node node;
	uint32_t kind;
	unsigned mode;
	uint64_t pos, cookie;            /* a directory's next entry */
};

static bool
valid(const struct vfs_file *f)
{
	return f && f->magic == FILE_MAGIC;
}

/* resolve `path` to (call, root, rest) */
#define BEGIN_PATH(path, c, root, rest)                                   \
	char abs_[VFS_PATH_MAX];                                          \
	int err = vfs_resolve((path), abs_, sizeof(abs_));                \
	if (!err)                                                         \
		err = vfs_call_path(abs_, (c), (root), (rest));           \
	if (err)                                                          \
		return err

static int
file_call(const struct vfs_file *f, struct call *c)
{
	if (!valid(f))
		return E_INVAL;
	int err = vfs_call_id(f->mount, c);
	if (!err && strcmp(c->ops->name, f->fstype)) {
		vfs_call_end(c);
		err = E_NOENT;
	}
	return err;
}

static int
open_in(struct call *c, const struct fs_node *root, const char *rest, unsigned mode, struct fs_node *n,
	struct fs_stat *st)
{
	int err = vfs_walk(c, root, rest, n, st);
	if (err == E_NOENT && (mode & VFS_CREATE)) {
		struct fs_node dir;
		char name[FS_NAME_MAX + 1];
		err = vfs_walk_parent(c, root, rest, &dir, name);
		if (!err)
			err = c->ops->create(c->mnt, &dir, name, FS_FILE, n);
		if (!err)
			err = c->ops->stat(c->mnt, n, st);
		return err;
	}
	if (err)
		return err;
	if ((mode & VFS_CREATE) && (mode & VFS_EXCL))
		return E_EXIST;
	if (st->kind == FS_DIR && (mode & (VFS_WRITE | VFS_TRUNC | VFS_APPEND)))
		return E_ISDIR;
	if ((mode & VFS_TRUNC) && st->size) {
		err = c->ops->truncate(c->mnt, n, 0);
		st->size = 0;
	}
	return err;
}

struct vfs_file *
vfs_open(const char *path, unsigned mode, int *errp)
{
	if (!(mode & (VFS_READ | VFS_WRITE)) || ((mode & (VFS_CREATE | VFS_TRUNC | VFS_APPEND)) && !(mode & VFS_WRITE)))
		return err_null(errp, E_INVAL);
	_cleanup_(kfreep) struct vfs_file *f = KNEW(struct vfs_file);
	if (!f)
		return err_null(errp, E_NOMEM);
	_cleanup_(vfs_call_end) struct call c = { 0 };
	struct fs_node root;
	const char *rest;
	char abs[VFS_PATH_MAX];
	int err = vfs_resolve(path, abs, sizeof(abs));
	if (!err)
		err = vfs_call_path(abs, &c, &root, &rest);
	if (err)
		return err_null(errp, err);
	struct fs_stat st;
	err = open_in(&c, &root, rest, mode, &f->node, &st);
	if (!err) {
		f->magic = FILE_MAGIC;
		f->mount = c.mount;
		strlcpy(f->fstype, c.ops->name, sizeof(f->fstype));
		f->kind = st.kind;
		f->mode = mode;
		vfs_mount_open(f->mount, 1);
	}
	vfs_call_end(&c);
	if (err)
		return err_null(errp, err);
	return TAKE_PTR(f);
}

void
vfs_close(struct vfs_file *f)
{
	if (!valid(f)) {
		if (f)
			log_err("vfs_close: not an open file (%p): dropped twice?", (void *)f);
		return;
	}
	vfs_mount_open(f->mount, -1);
	f->magic = 0;
	kfree(f);
}

int
vfs_read(struct vfs_file *f, void *buf, size_t len, size_t *done)
{
	*done = 0;
	if (valid(f) && !(f->mode & VFS_READ))
		return E_PERM;
	if (valid(f) && f->kind == FS_DIR)
		return E_ISDIR;
	_cleanup_(vfs_call_end) struct call c = { 0 };
	int err = file_call(f, &c);
	if (err)
		return err;
	err = c.ops->read(c.mnt, &f->node, f->pos, buf, len, done);
	vfs_call_end(&c);
	f->pos += *done;
	return err;
}

int
vfs_write(struct vfs_file *f, const void *buf, size_t len, size_t *done)
{
	*done = 0;
	if (valid(f) && !(f->mode & VFS_WRITE))
		return E_PERM;
	_cleanup_(vfs_call_end) struct call c = { 0 };
	int err = file_call(f, &c);
	if (err)
		return err;
	if (f->mode & VFS_APPEND) {
		struct fs_stat st;
		err = c.ops->stat(c.mnt, &f->node, &st);
		f->pos = st.size;
	}
	if (!err)
		err = c.ops->write(c.mnt, &f->node, f->pos, buf, len, done);
	vfs_call_end(&c);
	f->pos += *done;
	return err;
}

int
vfs_fstat(struct vfs_file *f, struct fs_stat *st)
{
	_cleanup_(vfs_call_end) struct call c = { 0 };
	int err = file_call(f, &c);
	if (err)
		return err;
	err = c.ops->stat(c.mnt, &f->node, st);
	vfs_call_end(&c);
	return err;
}

int
vfs_seek(struct vfs_file *f, int64_t off, int whence, uint64_t *pos)
{
	if (!valid(f))
		return E_INVAL;
	int64_t base = 0;
	if (whence == VFS_SEEK_CUR) {
		base = (int64_t)f->pos;
	} else if (whence == VFS_SEEK_END) {
		struct fs_stat st;
		int err = vfs_fstat(f, &st);
		if (err)
			return err;
		base = (int64_t)st.size;
	} else if (whence != VFS_SEEK_SET) {
		return E_INVAL;
	}
	int64_t np;
	if (__builtin_add_overflow(base, off, &np) || np < 0)
		return E_INVAL;
	f->pos = (uint64_t)np;
	if (pos)
		*pos = f->pos;
	return E_OK;
}

int
vfs_ftruncate(struct vfs_file *f, uint64_t size)
{
	if (valid(f) && !(f->mode & VFS_WRITE))
		return E_PERM;
	_cleanup_(vfs_call_end) struct call c = { 0 };
	int err = file_call(f, &c);
	if (err)
		return err;
	err = c.ops->truncate(c.mnt, &f->node, size);
	vfs_call_end(&c);
	return err;
}

int
vfs_readdir(struct vfs_file *dir, struct fs_dirent *out)
{
	if (valid(dir) && dir->kind != FS_DIR)
		return E_NOTDIR;
	_cleanup_(vfs_call_end) struct call c = { 0 };
	int err = file_call(dir, &c);
	if (err)
		return err;
	err = c.ops->readdir(c.mnt, &dir->node, &dir->cookie, out);
	vfs_call_end(&c);
	return err;
}

int
vfs_file_info(const struct vfs_file *f, struct vfs_file_info *out)
{
	if (!valid(f))
		return E_INVAL;
	out->mount = f->mount;
	strlcpy(out->fstype, f->fstype, sizeof(out->fstype));
	out->node = f->node;
	out->pos = f->pos;
	out->mode = f->mode;
	return E_OK;
}

/* ---- by path ---- */

int
vfs_stat(const char *path, struct fs_stat *st)
{
	_cleanup_(vfs_call_end) struct call c = { 0 };
	struct fs_node root, n;
	const char *rest;
	BEGIN_PATH(path, &c, &root, &rest);
	err = vfs_walk(&c, &root, rest, &n, st);
	vfs_call_end(&c);
	return err;
}

int
vfs_mkdir(const char *path)
{
	_cleanup_(vfs_call_end) struct call c = { 0 };
	struct fs_node root, dir, n;
	const char *rest;
	char name[FS_NAME_MAX + 1];
	BEGIN_PATH(path, &c, &root, &rest);
	err = vfs_walk_parent(&c, &root, rest, &dir, name);
	if (err == E_BUSY)
		err = E_EXIST; /* a mount's root */
	if (!err)
		err = c.ops->create(c.mnt, &dir, name, FS_DIR, &n);
	vfs_call_end(&c);
	return err;
}

int
vfs_remove(const char *path)
{
	_cleanup_(vfs_call_end) struct call c = { 0 };
	struct fs_node root, dir;
	const char *rest;
	char name[FS_NAME_MAX + 1];
	BEGIN_PATH(path, &c, &root, &rest);
	/* a mount point's own directory in the parent is found by its path:
	 * vfs_call_path returned the mount itself, whose root cannot go */
	err = vfs_walk_parent(&c, &root, rest, &dir, name);
	if (!err)
		err = c.ops->remove(c.mnt, &dir, name);
	vfs_call_end(&c);
	return err;
}

int
vfs_rename(const char *from, const char *to)
{
	char abs_to[VFS_PATH_MAX];
	int err = vfs_resolve(to, abs_to, sizeof(abs_to));
	if (err)
		return err;
	_cleanup_(vfs_call_end) struct call c = { 0 }, c2 = { 0 };
	struct fs_node root, root2, fdir, tdir;
	const char *rest, *rest2;
	char fname[FS_NAME_MAX + 1], tname[FS_NAME_MAX + 1];
	char abs_[VFS_PATH_MAX];
	err = vfs_resolve(from, abs_, sizeof(abs_));
	if (!err && (!strcmp(abs_, abs_to) || (str_starts_with(abs_to, abs_) && abs_to[strlen(abs_)] == '/')))
		err = strcmp(abs_, abs_to) ? E_INVAL : E_OK; /* into itself; or onto itself: nothing to do */
	if (err || !strcmp(abs_, abs_to))
		return err;
	err = vfs_call_path(abs_, &c, &root, &rest);
	if (err)
		return err;
	err = vfs_call_path(abs_to, &c2, &root2, &rest2);
	if (err) {
		vfs_call_end(&c);
		return err;
	}
	if (c.mount != c2.mount)
		err = E_NOTSUP; /* across mounts: copy, then remove */
	if (!err)
		err = vfs_walk_parent(&c, &root, rest, &fdir, fname);
	if (!err)
		err = vfs_walk_parent(&c, &root, rest2, &tdir, tname);
	if (!err)
		err = c.ops->rename(c.mnt, &fdir, fname, &tdir, tname);
	vfs_call_end(&c2);
	vfs_call_end(&c);
	return err;
}

int
vfs_truncate(const char *path, uint64_t size)
{
	_cleanup_(vfs_call_end) struct call c = { 0 };
	struct fs_node root, n;
	struct fs_stat st;
	const char *rest;
	BEGIN_PATH(path, &c, &root, &rest);
	err = vfs_walk(&c, &root, rest, &n, &st);
	if (!err && st.kind == FS_DIR)
		err = E_ISDIR;
	if (!err)
		err = c.ops->truncate(c.mnt, &n, size);
	vfs_call_end(&c);
	return err;
}

/* ---- boot ---- */

void
vfs_start(const char *cmdline)
{
	(void)cmdline;
	int err = vfs_mount("memfs", "", "", "/");
	if (err)
		log_err("cannot mount memfs at /: %s", err_str(err));
	err = err ? err : vfs_mkdir("/sys");
	if (!err)
		err = vfs_mount("sysview", "", "", "/sys");
	if (err)
		log_err("cannot mount sysview at /sys: %s", err_str(err));
}

/* what applications may call (see export.h) */
EXPORT_APP(vfs_open);
EXPORT_APP(vfs_close);
EXPORT_APP(vfs_read);
EXPORT_APP(vfs_write);
EXPORT_APP(vfs_seek);
EXPORT_APP(vfs_fstat);
EXPORT_APP(vfs_ftruncate);
EXPORT_APP(vfs_readdir);
EXPORT_APP(vfs_stat);
EXPORT_APP(vfs_mkdir);
EXPORT_APP(vfs_remove);
EXPORT_APP(vfs_rename);
EXPORT_APP(vfs_truncate);
EXPORT_APP(vfs_mount);
EXPORT_APP(vfs_umount);
EXPORT_APP(vfs_mounts);
EXPORT_APP(vfs_resolve);
EXPORT_APP(vfs_getcwd);
EXPORT_APP(vfs_chdir);
EXPORT_APP(vfs_sync);
EXPORT_APP(vfs_copy);
EXPORT_APP(vfs_target);

EXPORT_APP(vfs_file_info);
