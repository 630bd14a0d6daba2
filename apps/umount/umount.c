/*
 * umount: unmount the filesystem mounted at a directory.
 */
#include "args.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc != 2)
		return args_usage(argv, "umount DIR");
	if (argv[1][0] == '-')
		return args_bad(argv, 1, "umount DIR");
	int err = vfs_umount(argv[1]);
	if (err) {
		kprintf("umount: %s: %s%s\n", argv[1], err_str(err),
			err == E_BUSY ? " (files open in it, or a mount below it)" : "");
		return 1;
	}
	return 0;
}
