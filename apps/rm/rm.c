/*
 * rm: remove files and empty directories.
 */
#include "args.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc < 2)
		return args_usage(argv, "rm PATH...");
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			return args_bad(argv, i, "rm PATH...");
		int err = vfs_remove(argv[i]);
		if (err) {
			kprintf("rm: %s: %s%s\n", argv[i], err_str(err), err == E_BUSY ? " (a mount point)" : "");
			rc = 1;
		}
	}
	return rc;
}
