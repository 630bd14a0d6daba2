/*
 * register.c: the fat32 cell as a file system type of the VFS, and the
 * boot's mount of the first FAT32 disk at /disk.
 */
#define LOG_TAG "fat32"
#include "vfs.h"
#include "fat32.h"
#include "blk.h"
#include "klibc.h"
#include "logger.h"

static const struct vfs_fs_ops ops = {
	.name = "fat32",
	.mount = fat32_mount,
	.unmount = fat32_unmount,
	.lookup = fat32_lookup,
	.readdir = fat32_readdir,
	.read = fat32_read,
	.write = fat32_write,
	.create = fat32_create,
	.remove = fat32_remove,
	.rename = fat32_rename,
	.truncate = fat32_truncate,
	.stat = fat32_stat,
	.sync = fat32_sync,
};

int
fat32_adopt(void)
{
	return vfs_fstype_register(&ops);
}

/* a disk whose boot sector is a FAT32 file system's (a trial mount) */
static bool
holds_fat32(const char *dev)
{
	void *mnt = NULL;
	struct fs_node root;
	if (fat32_mount(dev, "", &mnt, &root))
		return false;
	(void)fat32_unmount(mnt);
	return true;
}

void
fat32_start(const char *cmdline)
{
	(void)cmdline;
	int err = vfs_fstype_register(&ops);
	if (err) {
		log_err("cannot register the type fat32: %s", err_str(err));
		return;
	}
	for (size_t i = 0; i < blk_count(); i++) {
		struct blk_info bi;
		if (blk_info(i, &bi) || !holds_fat32(bi.name))
			continue;
		err = vfs_mkdir("/disk");
		if (err && err != E_EXIST) {
			log_warn("cannot make /disk: %s", err_str(err));
			return;
		}
		err = vfs_mount("fat32", bi.name, "", "/disk");
		if (err)
			log_warn("cannot mount %s at /disk: %s", bi.name, err_str(err));
		else
			log_info("%s (FAT32) mounted at /disk", bi.name);
		return;
	}
	log_info("no FAT32 disk: nothing mounted at /disk");
}
