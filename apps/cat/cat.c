/*
 * cat: print files.
 */
#include "args.h"
#include "heap.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

static int
show(const char *path, char *buf, size_t cap)
{
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(path, VFS_READ, &err);
	size_t got = 0;
	do {
		if (f)
			err = vfs_read(f, buf, cap, &got);
		if (!err && got)
			kprintf("%.*s", (int)got, buf);
	} while (f && !err && got);
	if (err) {
		kprintf("cat: %s: %s\n", path, err_str(err));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return args_usage(argv, "cat FILE...");
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return args_bad(argv, i, "cat FILE...");
	enum { CHUNK = 4096 };
	_cleanup_(kfreep) char *buf = kmalloc(CHUNK);
	if (!buf)
		return 1;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= show(argv[i], buf, CHUNK);
	return rc;
}
