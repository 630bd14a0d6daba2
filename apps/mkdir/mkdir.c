/*
 * mkdir: make directories.
 */
#include "args.h"
#include "logger.h"
#include "vfs.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (argc < 2)
		return args_usage(argv, "mkdir DIR...");
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			return args_bad(argv, i, "mkdir DIR...");
		int err = vfs_mkdir(argv[i]);
		if (err) {
			kprintf("mkdir: %s: %s\n", argv[i], err_str(err));
			rc = 1;
		}
	}
	return rc;
}
