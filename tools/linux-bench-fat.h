/*
 * linux-bench-fat.h: the FAT32 part of tools/linux-bench.c, the Linux
 * side of bench/bench_fat32 (included by linux-bench.c, which gives
 * now_ns and fail). The same workload on the same kind of disk: /init
 * (tools/bench-linux.sh) has mounted the IDE disk hdb, a FAT32 image
 * mkfs.fat made (40 MiB, 512-byte clusters), at /fat with Debian's vfat
 * module. A 1 MiB file written then read sequentially in 64 KiB
 * requests; 64 files of 2 KiB each created+written, looked up+read,
 * removed. Everything it makes it removes.
 *
 * Ours writes through to the disk (no data cache) and its sequential
 * write ends with fat32_sync; so here every timed phase that writes ends
 * with fsync (sequential) or sync() (small files: create+write, remove)
 * inside the timing, so the data and metadata are on the disk when the
 * clock stops. Linux's page cache still coalesces the writes before
 * that (ours cannot: that is the difference measured). Before each
 * read phase the page, dentry and inode caches are dropped
 * (/proc/sys/vm/drop_caches), so reads and lookups go to the disk as
 * ours do.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define FAT_DIR "/fat"
#define FAT_SEQ (1u << 20)
#define FAT_REQ (64u << 10)
#define FAT_NSMALL 64
#define FAT_SMALL 2048

static unsigned long fat_kib_s(uint64_t bytes, uint64_t ns) { return ns ? (unsigned long)(bytes * 1000000000ull / 1024 / ns) : 0; }
static unsigned long fat_per_s(uint64_t n, uint64_t ns) { return ns ? (unsigned long)(n * 1000000000ull / ns) : 0; }

static int
fat_drop_caches(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "3", 1) != 1) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		fail("fat32: drop_caches", e);
		return -1;
	}
	close(fd);
	return 0;
}

static int
fat_sequential(char *buf)
{
	const char *path = FAT_DIR "/bench sequential file";
	for (size_t i = 0; i < FAT_REQ; i++)
		buf[i] = (char)(i * 7 + 1);
	unlink(path); /* a run that died before */
	uint64_t t0 = now_ns();
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return fail("fat32: create", errno), -1;
	for (uint64_t o = 0; o < FAT_SEQ; o += FAT_REQ)
		if (write(fd, buf, FAT_REQ) != FAT_REQ)
			return fail("fat32: write", errno), close(fd), -1;
	if (fsync(fd))
		return fail("fat32: fsync", errno), close(fd), -1;
	uint64_t tw = now_ns() - t0;
	close(fd);
	if (fat_drop_caches())
		return -1;
	t0 = now_ns();
	if ((fd = open(path, O_RDONLY)) < 0)
		return fail("fat32: open", errno), -1;
	for (uint64_t o = 0; o < FAT_SEQ; o += FAT_REQ)
		if (read(fd, buf, FAT_REQ) != FAT_REQ)
			return fail("fat32: read", errno ? errno : EIO), close(fd), -1;
	uint64_t tr = now_ns() - t0;
	close(fd);
	if (unlink(path))
		return fail("fat32: remove", errno), -1;
	sync();
	printf("BENCH fat32_seq_write %lu KiB/s (1 MiB in 64 KiB writes + fsync, %lu ms)\n", fat_kib_s(FAT_SEQ, tw),
	       (unsigned long)(tw / 1000000));
	printf("BENCH fat32_seq_read %lu KiB/s (1 MiB in 64 KiB reads after drop_caches, %lu ms)\n",
	       fat_kib_s(FAT_SEQ, tr), (unsigned long)(tr / 1000000));
	return 0;
}

static int
fat_small_files(char *buf)
{
	const char *dir = FAT_DIR "/bench small files";
	char name[96];
	if (mkdir(dir, 0755))
		return fail("fat32: mkdir", errno), -1;
	uint64_t t0 = now_ns();
	for (int i = 0; i < FAT_NSMALL; i++) {
		snprintf(name, sizeof(name), "%s/small file %03d.dat", dir, i);
		int fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || write(fd, buf, FAT_SMALL) != FAT_SMALL)
			return fail("fat32: create+write", errno), -1;
		close(fd);
	}
	sync();
	uint64_t tc = now_ns() - t0;
	if (fat_drop_caches())
		return -1;
	t0 = now_ns();
	for (int i = 0; i < FAT_NSMALL; i++) {
		snprintf(name, sizeof(name), "%s/small file %03d.dat", dir, i);
		int fd = open(name, O_RDONLY);
		if (fd < 0 || read(fd, buf, FAT_SMALL) != FAT_SMALL)
			return fail("fat32: lookup+read", errno ? errno : EIO), -1;
		close(fd);
	}
	uint64_t tr = now_ns() - t0;
	t0 = now_ns();
	for (int i = 0; i < FAT_NSMALL; i++) {
		snprintf(name, sizeof(name), "%s/small file %03d.dat", dir, i);
		if (unlink(name))
			return fail("fat32: remove", errno), -1;
	}
	sync();
	uint64_t td = now_ns() - t0;
	if (rmdir(dir))
		return fail("fat32: rmdir", errno), -1;
	sync();
	printf("BENCH fat32_small_create_write %lu files/s (%d x 2 KiB, then sync)\n", fat_per_s(FAT_NSMALL, tc),
	       FAT_NSMALL);
	printf("BENCH fat32_small_lookup_read %lu files/s (open+read+close after drop_caches)\n",
	       fat_per_s(FAT_NSMALL, tr));
	printf("BENCH fat32_small_remove %lu files/s (unlink, then sync)\n", fat_per_s(FAT_NSMALL, td));
	return 0;
}

static void
bench_fat32(void)
{
	struct statfs s;
	if (statfs(FAT_DIR, &s) || s.f_type != 0x4d44 /* MSDOS_SUPER_MAGIC */) {
		printf("BENCH ERROR fat32: %s is not a mounted vfat file system (see /init's lines above)\n", FAT_DIR);
		failed = 1;
		return;
	}
	char *buf = malloc(FAT_REQ);
	if (!buf)
		return fail("fat32: buffer", ENOMEM);
	if (fat_sequential(buf) == 0)
		fat_small_files(buf);
	free(buf);
}
