/*
 * mv: move or rename a file or directory (into a directory: under its own
 * name there); a file moves to another mount by copy, then remove.
 */
#include "args.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc != 3)
		return args_usage(argv, "mv FROM TO");
	char to[VFS_PATH_MAX];
	int err = vfs_target(argv[1], argv[2], to, sizeof(to));
	if (!err)
		err = vfs_rename(argv[1], to);
	if (err == E_NOTSUP) {
		uint64_t bytes;
		err = vfs_copy(argv[1], to, &bytes);
		if (!err)
			err = vfs_remove(argv[1]);
	}
	if (err) {
		kprintf("mv: %s -> %s: %s\n", argv[1], argv[2], err_str(err));
		return 1;
	}
	return 0;
}
