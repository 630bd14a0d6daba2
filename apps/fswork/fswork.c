/*
 * fswork: keep files open and use them for a while - a load to reload or
 * swap the filesystem cells under. FILE is created (emptied) and kept open:
 * numbered 64-byte records are appended, and every 8th an earlier one is
 * read back and compared; /sys/namespaces is kept open too and read from
 * its start each round. At the end the whole FILE is read back through the
 * same handle. Prints what it did; exit status 1 at the first wrong byte
 * or error (saying which).
 */
#include "args.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"
#include "vfs.h"

int main(int argc, char **argv);

#define USAGE "fswork FILE SECONDS"
#define REC 64

static void
record(uint8_t *r, uint64_t k)
{
	for (unsigned j = 0; j < REC; j++)
		r[j] = (uint8_t)(k * 31 + j * 7 + (k >> 8));
}

static int
check_at(struct vfs_file *f, uint64_t k)
{
	uint8_t want[REC], got[REC];
	size_t n;
	int err = vfs_seek(f, (int64_t)(k * REC), VFS_SEEK_SET, NULL);
	if (!err)
		err = vfs_read(f, got, REC, &n);
	if (err)
		return err;
	record(want, k);
	return n == REC && !memcmp(want, got, REC) ? E_OK : E_CORRUPT;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return args_usage(argv, USAGE);
	uint64_t secs;
	if (args_number("fswork", "SECONDS", argv[2], 1, 3600, &secs))
		return ARGS_USAGE;
	int err = E_OK;
	_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(argv[1], VFS_READ | VFS_WRITE | VFS_CREATE | VFS_TRUNC, &err);
	if (!f) {
		kprintf("fswork: %s: %s\n", argv[1], err_str(err));
		return 1;
	}
	_cleanup_(vfs_close_p) struct vfs_file *sys = vfs_open("/sys/namespaces", VFS_READ, &err);
	if (!sys) {
		kprintf("fswork: /sys/namespaces: %s\n", err_str(err));
		return 1;
	}
	err = E_OK; /* the opens set it only when they fail */
	uint64_t end = tsc_ns() + secs * 1000000000ull, k = 0, sysreads = 0;
	const char *what = NULL;
	while (!err && tsc_ns() < end) {
		uint8_t r[REC];
		size_t n;
		record(r, k);
		what = "write";
		err = vfs_seek(f, 0, VFS_SEEK_END, NULL);
		if (!err)
			err = vfs_write(f, r, REC, &n);
		if (err)
			break;
		k++;
		if (k % 8 == 0) {
			what = "read back";
			err = check_at(f, (k * 2654435761u) % k);
		}
		char s[8];
		what = "/sys/namespaces";
		if (!err)
			err = vfs_seek(sys, 0, VFS_SEEK_SET, NULL);
		if (!err)
			err = vfs_read(sys, s, sizeof(s), &n);
		if (!err && (n != sizeof(s) || memcmp(s, "kernel ", 7)))
			err = E_CORRUPT;
		sysreads += !err;
		task_sleep_ns(2000000);
	}
	for (uint64_t i = 0; !err && i < k; i++) {
		what = "final read back";
		err = check_at(f, i);
	}
	if (err) {
		kprintf("fswork: %s: %s after %lu records: %s\n", argv[1], what, k,
			err == E_CORRUPT ? "wrong bytes" : err_str(err));
		return 1;
	}
	kprintf("fswork: %s: %lu records written and read back, all correct; /sys/namespaces read %lu times\n",
		argv[1], k, sysreads);
	return 0;
}
