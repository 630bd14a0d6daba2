/*
 * bench_fs: file throughput on memfs through the vfs ("bench=fs",
 * `make bench-fs`; docs/files.md). Sequential: a 16 MiB file written,
 * then read, in 64 KiB and in 4 KiB requests through one open handle
 * (MiB/s). Small files: 1000 files of 4 KiB each created and written,
 * then opened and read, then removed (files/s). Each figure is the median
 * of ROUNDS runs, on a memfs of its own mounted at /bench. Prints BENCH
 * lines; BENCH ERROR and failure if a call fails or a byte read back is
 * wrong. State: none.
 */
#include "cpu.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "tsc.h"
#include "vfs.h"

void bench_fs_main(const char *cmdline);

#define ROUNDS 5
#define SEQ_SIZE (16UL << 20)
#define SMALL_FILES 1000
#define SMALL_SIZE 4096

static uint64_t
median(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k && v[k - 1] > v[k]; k--) {
			uint64_t x = v[k];
			v[k] = v[k - 1];
			v[k - 1] = x;
		}
	return v[n / 2];
}

static bool
fail(const char *what, int err)
{
	kprintf("BENCH ERROR fs %s: %s\n", what, err ? err_str(err) : "wrong bytes read back");
	return false;
}

/* a 16 MiB file in `chunk`-byte requests: ns to write it, ns to read it */
static bool
sequential(size_t chunk, uint8_t *buf, uint64_t *wns, uint64_t *rns)
{
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *f =
		vfs_open("/bench/seq", VFS_READ | VFS_WRITE | VFS_CREATE | VFS_TRUNC, &err);
	if (!f)
		return fail("open", err);
	for (size_t i = 0; i < chunk; i++)
		buf[i] = (uint8_t)(i * 7 + chunk);
	uint64_t t0 = tsc_ns();
	for (size_t off = 0; off < SEQ_SIZE; off += chunk) {
		size_t done;
		err = vfs_write(f, buf, chunk, &done);
		if (err || done != chunk)
			return fail("sequential write", err);
	}
	uint64_t t1 = tsc_ns();
	err = vfs_seek(f, 0, VFS_SEEK_SET, NULL);
	if (err)
		return fail("seek", err);
	uint64_t t2 = tsc_ns();
	for (size_t off = 0; off < SEQ_SIZE; off += chunk) {
		size_t done;
		err = vfs_read(f, buf, chunk, &done);
		if (err || done != chunk)
			return fail("sequential read", err);
	}
	uint64_t t3 = tsc_ns();
	for (size_t i = 0; i < chunk; i++)
		if (buf[i] != (uint8_t)(i * 7 + chunk))
			return fail("sequential read", 0);
	*wns = t1 - t0;
	*rns = t3 - t2;
	return true;
}

/* SMALL_FILES files of SMALL_SIZE bytes: ns to create+write, open+read, remove */
static bool
small_files(uint8_t *buf, uint64_t ns[3])
{
	char path[32];
	int err;
	uint64_t t0 = tsc_ns();
	for (unsigned i = 0; i < SMALL_FILES; i++) {
		snprintf(path, sizeof(path), "/bench/s%u", i);
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(path, VFS_WRITE | VFS_CREATE | VFS_EXCL, &err);
		size_t done = 0;
		buf[0] = (uint8_t)i;
		if (f)
			err = vfs_write(f, buf, SMALL_SIZE, &done);
		if (!f || err || done != SMALL_SIZE)
			return fail("small file create+write", err);
	}
	uint64_t t1 = tsc_ns();
	for (unsigned i = 0; i < SMALL_FILES; i++) {
		snprintf(path, sizeof(path), "/bench/s%u", i);
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(path, VFS_READ, &err);
		size_t done = 0;
		if (f)
			err = vfs_read(f, buf, SMALL_SIZE, &done);
		if (!f || err || done != SMALL_SIZE)
			return fail("small file open+read", err);
		if (buf[0] != (uint8_t)i)
			return fail("small file open+read", 0);
	}
	uint64_t t2 = tsc_ns();
	for (unsigned i = 0; i < SMALL_FILES; i++) {
		snprintf(path, sizeof(path), "/bench/s%u", i);
		err = vfs_remove(path);
		if (err)
			return fail("small file remove", err);
	}
	uint64_t t3 = tsc_ns();
	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	ns[2] = t3 - t2;
	return true;
}

static uint64_t
mib_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000000000ull / ns / (1 << 20) : 0;
}

static uint64_t
per_s(uint64_t n, uint64_t ns)
{
	return ns ? n * 1000000000ull / ns : 0;
}

void
bench_fs_main(const char *cmdline)
{
	(void)cmdline;
	kprintf("BENCH START fs (%u CPUs, TSC %lu MHz)\n", cpu_count_online(), tsc_hz() / 1000000);
	int err = vfs_mkdir("/bench");
	if (!err)
		err = vfs_mount("memfs", "", "", "/bench");
	if (err) {
		kprintf("BENCH ERROR fs: mounting a memfs at /bench: %s\n", err_str(err));
		ktest_qemu_exit(false);
	}
	_cleanup_(kfreep) uint8_t *buf = kmalloc(64 * 1024);
	bool ok = buf != NULL;
	static const size_t chunks[] = { 64 * 1024, 4096 };
	static const char *const names[] = { "64KiB", "4KiB" };
	for (size_t c = 0; ok && c < ARRAY_SIZE(chunks); c++) {
		uint64_t w[ROUNDS] = { 0 }, r[ROUNDS] = { 0 };
		for (int i = 0; ok && i < ROUNDS; i++)
			ok = sequential(chunks[c], buf, &w[i], &r[i]);
		if (ok) {
			kprintf("BENCH fs_seq_write_%s %lu MiB/s (16 MiB, median of %d)\n", names[c],
				mib_per_s(SEQ_SIZE, median(w, ROUNDS)), ROUNDS);
			kprintf("BENCH fs_seq_read_%s %lu MiB/s (16 MiB, median of %d)\n", names[c],
				mib_per_s(SEQ_SIZE, median(r, ROUNDS)), ROUNDS);
		}
	}
	if (ok)
		ok = !vfs_remove("/bench/seq") || fail("remove", E_IO);
	uint64_t s[3][ROUNDS] = { { 0 } };
	for (int i = 0; ok && i < ROUNDS; i++) {
		uint64_t ns[3];
		ok = small_files(buf, ns);
		for (int k = 0; ok && k < 3; k++)
			s[k][i] = ns[k];
	}
	if (ok) {
		static const char *const what[3] = { "create_write", "open_read", "remove" };
		for (int k = 0; k < 3; k++)
			kprintf("BENCH fs_small_%s %lu files/s (%d x 4 KiB, median of %d)\n", what[k],
				per_s(SMALL_FILES, median(s[k], ROUNDS)), SMALL_FILES, ROUNDS);
	}
	err = vfs_umount("/bench");
	if (ok && err)
		ok = fail("umount", err);
	kfree(TAKE_PTR(buf));
	kprintf("BENCH DONE\n");
	ktest_qemu_exit(ok);
}
