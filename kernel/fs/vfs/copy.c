/*
 * copy.c: a file's bytes into another file, through two open handles
 * (its own file: the analyzer then models vfs_open/vfs_close by their
 * declarations, as in any client).
 */
#include "vfs.h"
#include "heap.h"
#include "klibc.h"

int
vfs_copy(const char *from, const char *to, uint64_t *bytes)
{
	*bytes = 0;
	char a[VFS_PATH_MAX], b[VFS_PATH_MAX];
	int err = vfs_resolve(from, a, sizeof(a));
	if (!err)
		err = vfs_resolve(to, b, sizeof(b));
	if (!err && !strcmp(a, b))
		err = E_EXIST; /* onto itself: truncating it would lose it */
	if (err)
		return err;
	_cleanup_(vfs_close_p) struct vfs_file *in = vfs_open(a, VFS_READ, &err);
	if (!in)
		return err;
	struct fs_stat st;
	err = vfs_fstat(in, &st);
	if (err)
		return err;
	if (st.kind == FS_DIR)
		return E_ISDIR;
	_cleanup_(vfs_close_p) struct vfs_file *out = vfs_open(b, VFS_WRITE | VFS_CREATE | VFS_TRUNC, &err);
	if (!out)
		return err;
	enum { CHUNK = 16384 };
	_cleanup_(kfreep) char *buf = kmalloc(CHUNK);
	if (!buf)
		return E_NOMEM;
	for (;;) {
		size_t got, put;
		err = vfs_read(in, buf, CHUNK, &got);
		if (err || !got)
			return err;
		err = vfs_write(out, buf, got, &put);
		*bytes += put;
		if (err)
			return err;
	}
}

