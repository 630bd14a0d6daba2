/*
 * mount: the mount table, or mount a filesystem type on a device ("-" for
 * none) at a directory.
 */
#include "args.h"
#include "heap.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

#define USAGE "mount | mount TYPE DEVICE|- DIR"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return args_bad(argv, i, USAGE);
	if (argc == 1) {
		_cleanup_(kfreep) struct vfs_mount_info *mi = kmalloc(VFS_MOUNTS * sizeof(*mi));
		if (!mi)
			return 1;
		size_t n = vfs_mounts(mi, VFS_MOUNTS);
		for (size_t i = 0; i < n && i < VFS_MOUNTS; i++)
			kprintf("%s on %s type %s (%u open%s)\n", *mi[i].dev ? mi[i].dev : "none", mi[i].path,
				mi[i].fstype, mi[i].open, mi[i].registered ? "" : ", type not registered now");
		return 0;
	}
	if (argc != 4)
		return args_usage(argv, USAGE);
	const char *dev = argv[2][0] == '-' ? "" : argv[2];
	int err = vfs_mount(argv[1], dev, "", argv[3]);
	if (err) {
		kprintf("mount: %s on %s at %s: %s%s\n", argv[1], argv[2], argv[3], err_str(err),
			err == E_NOENT ? " (no such type, or no such directory)" : "");
		return 1;
	}
	return 0;
}
