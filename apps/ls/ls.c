/*
 * ls: the entries of directories (kind, size, name; "/" after a
 * directory's name), or a file's own line.
 */
#include "args.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

static void
line(const struct fs_stat *st, const char *name)
{
	kprintf("%s %10lu  %s%s\n", st->kind == FS_DIR ? "d" : "-", st->size, name, st->kind == FS_DIR ? "/" : "");
}

static int
list(const char *path)
{
	int err;
	struct fs_stat st;
	err = vfs_stat(path, &st);
	if (!err && st.kind != FS_DIR) {
		line(&st, path);
		return 0;
	}
	_cleanup_(vfs_close_p) struct vfs_file *d = err ? NULL : vfs_open(path, VFS_READ, &err);
	if (!d) {
		kprintf("ls: %s: %s\n", path, err_str(err));
		return 1;
	}
	struct fs_dirent e;
	while (!(err = vfs_readdir(d, &e)))
		line(&e.st, e.name);
	if (err != E_NOENT) {
		kprintf("ls: %s: %s\n", path, err_str(err));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return args_bad(argv, i, "ls [PATH...]");
	if (argc == 1)
		return list(".");
	for (int i = 1; i < argc; i++) {
		if (argc > 2)
			kprintf("%s:\n", argv[i]);
		rc |= list(argv[i]);
	}
	return rc;
}
