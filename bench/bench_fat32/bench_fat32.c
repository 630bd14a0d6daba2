/*
 * bench_fat32.c: the fat32 cell's throughput on the IDE disk hdb (PIO,
 * 512-byte clusters, as tools/qemu-devices.sh makes it): a 1 MiB file
 * written then read sequentially in 64 KiB requests, and 64 files of
 * 2 KiB each created+written, read, removed. Everything it makes it
 * removes. Under QEMU TCG the figures are those of the emulated machine
 * and its emulated disk.
 */
#define LOG_TAG "bench"
#include "bench.h"
#include "fat32.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "tsc.h"

#define DISK "hdb"
#define SEQ (1u << 20)
#define REQ (64u << 10)
#define NSMALL 64
#define SMALL 2048

static bool
fail(const char *what, int err)
{
	kprintf("BENCH ERROR fat32 %s: %s\n", what, err_str(err));
	return false;
}

static uint64_t kib_s(uint64_t bytes, uint64_t ns) { return ns ? bytes * 1000000000ull / 1024 / ns : 0; }
static uint64_t per_s(uint64_t n, uint64_t ns) { return ns ? n * 1000000000ull / ns : 0; }

static bool
sequential(void *m, const struct fs_node *root, uint8_t *buf)
{
	struct fs_node f;
	size_t done;
	int err = fat32_create(m, root, "bench sequential file", FS_FILE, &f);
	if (err)
		return fail("create", err);
	for (size_t i = 0; i < REQ; i++)
		buf[i] = fat32_pattern(i, 1);
	uint64_t t0 = tsc_ns();
	for (uint64_t o = 0; o < SEQ; o += REQ)
		if ((err = fat32_write(m, &f, o, buf, REQ, &done)))
			return fail("write", err);
	if ((err = fat32_sync(m)))
		return fail("sync", err);
	uint64_t tw = tsc_ns() - t0;
	t0 = tsc_ns();
	for (uint64_t o = 0; o < SEQ; o += REQ)
		if ((err = fat32_read(m, &f, o, buf, REQ, &done)) || done != REQ)
			return fail("read", err ? err : E_RANGE);
	uint64_t tr = tsc_ns() - t0;
	if ((err = fat32_remove(m, root, "bench sequential file")))
		return fail("remove", err);
	kprintf("BENCH fat32_seq_write %lu KiB/s (1 MiB in 64 KiB writes, %lu ms)\n", kib_s(SEQ, tw), tw / 1000000);
	kprintf("BENCH fat32_seq_read %lu KiB/s (1 MiB in 64 KiB reads, %lu ms)\n", kib_s(SEQ, tr), tr / 1000000);
	return true;
}

static bool
small_files(void *m, const struct fs_node *root, uint8_t *buf)
{
	struct fs_node d, f;
	size_t done;
	char name[32];
	int err = fat32_create(m, root, "bench small files", FS_DIR, &d);
	if (err)
		return fail("mkdir", err);
	uint64_t t0 = tsc_ns();
	for (int i = 0; i < NSMALL; i++) {
		snprintf(name, sizeof(name), "small file %03d.dat", i);
		if ((err = fat32_create(m, &d, name, FS_FILE, &f)) || (err = fat32_write(m, &f, 0, buf, SMALL, &done)))
			return fail("create+write", err);
	}
	uint64_t tc = tsc_ns() - t0;
	t0 = tsc_ns();
	for (int i = 0; i < NSMALL; i++) {
		snprintf(name, sizeof(name), "small file %03d.dat", i);
		if ((err = fat32_lookup(m, &d, name, &f, NULL)) || (err = fat32_read(m, &f, 0, buf, SMALL, &done)))
			return fail("lookup+read", err);
	}
	uint64_t tr = tsc_ns() - t0;
	t0 = tsc_ns();
	for (int i = 0; i < NSMALL; i++) {
		snprintf(name, sizeof(name), "small file %03d.dat", i);
		if ((err = fat32_remove(m, &d, name)))
			return fail("remove", err);
	}
	uint64_t td = tsc_ns() - t0;
	if ((err = fat32_remove(m, root, "bench small files")))
		return fail("rmdir", err);
	kprintf("BENCH fat32_small_create_write %lu files/s (%d x 2 KiB)\n", per_s(NSMALL, tc), NSMALL);
	kprintf("BENCH fat32_small_lookup_read %lu files/s\n", per_s(NSMALL, tr));
	kprintf("BENCH fat32_small_remove %lu files/s\n", per_s(NSMALL, td));
	return true;
}

void
bench_fat32_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START (TSC %lu MHz)\n", tsc_hz() / 1000000);
	void *m = NULL;
	struct fs_node root;
	bool ok = false;
	uint8_t *buf = kmalloc(REQ);
	int err = buf ? fat32_mount(DISK, "", &m, &root) : E_NOMEM;
	if (err)
		fail("mount " DISK, err);
	else {
		(void)!fat32_remove(m, &root, "bench sequential file"); /* a run that died before */
		ok = sequential(m, &root, buf) && small_files(m, &root, buf);
		if ((err = fat32_unmount(m)))
			ok = fail("unmount", err);
	}
	kfree(buf);
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
