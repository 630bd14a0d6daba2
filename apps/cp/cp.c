/*
 * cp: copy a file (into a directory: under its own name there).
 */
#include "args.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc != 3)
		return args_usage(argv, "cp FROM TO");
	char to[VFS_PATH_MAX];
	int err = vfs_target(argv[1], argv[2], to, sizeof(to));
	uint64_t bytes = 0;
	if (!err)
		err = vfs_copy(argv[1], to, &bytes);
	if (err) {
		kprintf("cp: %s -> %s: %s\n", argv[1], argv[2], err_str(err));
		return 1;
	}
	return 0;
}
