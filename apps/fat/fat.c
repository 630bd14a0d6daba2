/*
 * fat: the fat32 cell driven through its own functions (until the VFS
 * mounts it), on a disk holding a FAT32 file system; paths are from the
 * root, '/'-separated. Each command mounts, acts, and unmounts (which
 * writes the free-cluster count back):
 *   fat DISK ls [PATH]              list a directory
 *   fat DISK mkdir PATH             make a directory
 *   fat DISK write PATH SIZE SEED   (re)write a file: SIZE bytes of the test pattern
 *   fat DISK append PATH SIZE SEED  SIZE more bytes of the pattern at its end
 *   fat DISK check PATH SIZE SEED   the file is exactly SIZE bytes of the pattern
 *   fat DISK trunc PATH SIZE        cut or extend (zeros) to SIZE bytes
 *   fat DISK rm PATH                remove a file or an empty directory
 *   fat DISK mv FROM TO             rename or move
 *   fat DISK cat PATH               print a file
 * (the pattern is fat32_pattern: tools/test-fat32.sh checks on the host
 * what the OS wrote, and writes what the OS checks)
 */
#include "base.h"
#include "fat32.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "tsc.h"

int main(int argc, char **argv);

#define CHUNK 4000 /* not a multiple of a sector or cluster: writes straddle them */

static void
unmount(void **mnt)
{
	if (*mnt) {
		int err = fat32_unmount(*mnt);
		if (err)
			kprintf("fat: unmount: %s\n", err_str(err));
	}
}

/* the node at path; *parent and *leaf for the last component */
static int
walk(void *mnt, const struct fs_node *root, const char *path, struct fs_node *parent, char *leaf, struct fs_node *out)
{
	char buf[512];
	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return E_NAMETOOLONG;
	*parent = *root;
	*out = *root;
	leaf[0] = 0;
	int err = E_OK;
	const char *parts[64];
	size_t n = str_split(buf, '/', parts, 64);
	for (size_t i = 0; i < n; i++) {
		if (!parts[i][0])
			continue;
		if (err)
			return err;             /* a missing directory before the last part */
		*parent = *out;
		strlcpy(leaf, parts[i], FS_NAME_MAX + 1);
		err = fat32_lookup(mnt, parent, parts[i], out, NULL);
	}
	return err;
}

static int
fail(const char *what, const char *path, int err)
{
	kprintf("fat: %s %s: %s\n", what, path, err_str(err));
	return 1;
}

static int
pattern_io(void *mnt, struct fs_node *n, uint64_t off, uint64_t size, uint8_t seed, bool write, const char *path)
{
	_cleanup_(kfreep) uint8_t *buf = kmalloc(CHUNK);
	if (!buf)
		return fail("memory for", path, E_NOMEM);
	for (uint64_t o = off; o < off + size;) {
		size_t k = (size_t)MIN((uint64_t)CHUNK, off + size - o), done;
		if (write) {
			for (size_t i = 0; i < k; i++)
				buf[i] = fat32_pattern(o + i, seed);
			int err = fat32_write(mnt, n, o, buf, k, &done);
			if (err)
				return fail("write", path, err);
		} else {
			int err = fat32_read(mnt, n, o, buf, k, &done);
			if (err)
				return fail("read", path, err);
			if (done != k) {
				kprintf("fat: %s: %lu bytes, expected %lu\n", path, o + done, off + size);
				return 1;
			}
			for (size_t i = 0; i < k; i++)
				if (buf[i] != fat32_pattern(o + i, seed)) {
					kprintf("fat: %s: byte %lu is %#x, expected %#x\n", path, o + i, buf[i],
						fat32_pattern(o + i, seed));
					return 1;
				}
		}
		o += done;
	}
	return 0;
}

static int
list(void *mnt, const struct fs_node *dir, const char *path)
{
	uint64_t cookie = 0;
	struct fs_dirent de;
	int err, n = 0;
	while (!(err = fat32_readdir(mnt, dir, &cookie, &de))) {
		kprintf("%s %10lu  %s\n", de.st.kind == FS_DIR ? "d" : "-", de.st.size, de.name);
		n++;
	}
	if (err != E_NOENT)
		return fail("list", path, err);
	kprintf("fat: %d entries in /%s\n", n, path);
	return 0;
}

static int
run(void *mnt, const struct fs_node *root, int argc, char **argv)
{
	const char *cmd = argv[2], *path = argc > 3 ? argv[3] : "";
	struct fs_node parent, n;
	struct fs_stat st;
	char leaf[FS_NAME_MAX + 1];
	uint64_t size = 0, seed = 0;
	int found = walk(mnt, root, path, &parent, leaf, &n);
	bool sized = argc > 4 && !str_to_u64_any(argv[4], &size);
	bool seeded = argc > 5 && !str_to_u64_any(argv[5], &seed) && seed < 256;
	if (!strcmp(cmd, "ls") && argc <= 4)
		return found ? fail("ls", path, found) : list(mnt, &n, path);
	if (argc < 4)
		return 2;
	if (!strcmp(cmd, "mkdir") && argc == 4) {
		int err = found == E_NOENT ? fat32_create(mnt, &parent, leaf, FS_DIR, &n) : found ? found : E_EXIST;
		return err ? fail("mkdir", path, err) : 0;
	}
	if ((!strcmp(cmd, "write") || !strcmp(cmd, "append")) && argc == 6 && sized && seeded) {
		int err = found == E_NOENT ? fat32_create(mnt, &parent, leaf, FS_FILE, &n) : found;
		uint64_t off = 0;
		if (!err && cmd[0] == 'w')
			err = fat32_truncate(mnt, &n, 0);
		else if (!err && !(err = fat32_stat(mnt, &n, &st)))
			off = st.size;
		if (err)
			return fail(cmd, path, err);
		uint64_t t0 = tsc_ns();
		if (pattern_io(mnt, &n, off, size, (uint8_t)seed, true, path))
			return 1;
		kprintf("fat: wrote %lu bytes at %lu of %s (seed %lu) in %lu us\n", size, off, path, seed,
			(tsc_ns() - t0) / 1000);
		return 0;
	}
	if (!strcmp(cmd, "check") && argc == 6 && sized && seeded) {
		if (found || (found = fat32_stat(mnt, &n, &st)))
			return fail("check", path, found);
		if (st.size != size) {
			kprintf("fat: %s is %lu bytes, expected %lu\n", path, st.size, size);
			return 1;
		}
		if (pattern_io(mnt, &n, 0, size, (uint8_t)seed, false, path))
			return 1;
		kprintf("fat: checked %lu bytes of %s (seed %lu)\n", size, path, seed);
		return 0;
	}
	if (!strcmp(cmd, "trunc") && argc == 5 && sized) {
		int err = found ? found : fat32_truncate(mnt, &n, size);
		return err ? fail("trunc", path, err) : 0;
	}
	if (!strcmp(cmd, "rm") && argc == 4) {
		int err = found ? found : fat32_remove(mnt, &parent, leaf);
		return err ? fail("rm", path, err) : 0;
	}
	if (!strcmp(cmd, "mv") && argc == 5) {
		struct fs_node to_parent, m;
		char to_leaf[FS_NAME_MAX + 1];
		int e2 = walk(mnt, root, argv[4], &to_parent, to_leaf, &m);
		int err = found ? found : e2 == E_OK ? E_EXIST : e2 != E_NOENT ? e2 : !to_leaf[0] ? E_INVAL :
			fat32_rename(mnt, &parent, leaf, &to_parent, to_leaf);
		return err ? fail("mv", path, err) : 0;
	}
	if (!strcmp(cmd, "cat") && argc == 4) {
		char buf[257];
		size_t done;
		for (uint64_t off = 0;; off += done) {
			int err = found ? found : fat32_read(mnt, &n, off, buf, 256, &done);
			if (err)
				return fail("cat", path, err);
			if (!done)
				return 0;
			buf[done] = 0;
			kprintf("%s", buf);
		}
	}
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		kprintf("usage: fat DISK ls|mkdir|write|append|check|trunc|rm|mv|cat ... (see apps/fat/fat.c)\n");
		return 2;
	}
	_cleanup_(unmount) void *mnt = NULL;
	struct fs_node root;
	int err = fat32_mount(argv[1], "", &mnt, &root);
	if (err) {
		kprintf("fat: mount %s: %s\n", argv[1], err_str(err));
		return 1;
	}
	int rc = run(mnt, &root, argc, argv);
	if (rc == 2)
		kprintf("usage: fat DISK ls [PATH] | mkdir PATH | write|append|check PATH SIZE SEED | trunc PATH SIZE | "
			"rm PATH | mv FROM TO | cat PATH\n");
	return rc;
}
