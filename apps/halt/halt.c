/*
 * halt: sync the file systems, then power off.
 */
#include "args.h"
#include "klibc.h"
#include "logger.h"
#include "power.h"
#include "vfs.h"

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	if (args_none(argc, argv))
		return ARGS_USAGE;
	/* what the file systems hold back (a FAT32 disk's free count) to disk */
	int err = vfs_sync();
	if (err)
		kprintf("halt: syncing the file systems: %s\n", err_str(err));
	power_off();
}
