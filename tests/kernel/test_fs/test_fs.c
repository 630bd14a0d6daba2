/*
 * test_fs: the vfs, memfs and sysview (issue 19). Paths, files,
 * directories and every error a bad request gets (the system unchanged
 * after it); then the test that matters most: tasks with files open go on
 * reading and writing while each filesystem cell - vfs, memfs, sysview -
 * is reloaded as recovery reloads a faulted cell (fresh .data/.bss, its
 * <cell>_adopt transfer) and swapped as evolution does (cell_swap_one),
 * and every open file goes on with correct data.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "exceptions.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"
#include "vfs.h"

#define MS 1000000ull

/* a scratch memfs of the test's own, at /kt */
static int
scratch_mount(void)
{
	int err = vfs_mkdir("/kt");
	if (err && err != E_EXIST)
		return err;
	return vfs_mount("memfs", "", "", "/kt");
}

static void
scratch_unmount(void)
{
	int err = vfs_umount("/kt");
	if (!err)
		err = vfs_remove("/kt");
	if (err)
		kprintf("test_fs: cleaning /kt: %s\n", err_str(err));
}

/* write all of buf at the file's position */
static int
put(struct vfs_file *f, const void *buf, size_t n)
{
	size_t done;
	int err = vfs_write(f, buf, n, &done);
	return err ? err : done == n ? E_OK : E_IO;
}

static int
get(struct vfs_file *f, void *buf, size_t n, size_t *got)
{
	return vfs_read(f, buf, n, got);
}

static int
slurp(const char *path, char *buf, size_t cap, size_t *len)
{
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(path, VFS_READ, &err);
	if (!f)
		return err;
	*len = 0;
	for (;;) {
		size_t got;
		err = vfs_read(f, buf + *len, cap - 1 - *len, &got);
		if (err || !got)
			break;
		*len += got;
	}
	buf[*len] = '\0';
	return err;
}

/* what opening path with mode says (a file that does open is closed at once) */
static int
open_err(const char *path, unsigned mode)
{
	int err = E_OK;
	struct vfs_file *f = vfs_open(path, mode, &err);
	if (f)
		vfs_close(f);
	return err;
}

KTEST(vfs_paths_resolve_against_the_task_cwd)
{
	char out[VFS_PATH_MAX], was[VFS_PATH_MAX];
	KT_OK(vfs_resolve("/a/./b/../c/", out, sizeof(out)));
	KT_ASSERT(!strcmp(out, "/a/c"));
	KT_OK(vfs_resolve("//..//.", out, sizeof(out)));
	KT_ASSERT(!strcmp(out, "/"));
	KT_EQ(vfs_resolve("", out, sizeof(out)), E_INVAL);
	char longname[FS_NAME_MAX + 3];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	KT_EQ(vfs_resolve(longname, out, sizeof(out)), E_NAMETOOLONG);
	KT_EQ(vfs_mkdir(longname), E_NAMETOOLONG);
	KT_OK(vfs_getcwd(was, sizeof(was)));
	KT_OK(scratch_mount());
	KT_OK(vfs_mkdir("/kt/d"));
	KT_OK(vfs_chdir("/kt/d"));
	KT_OK(vfs_resolve("x/../y", out, sizeof(out)));
	KT_ASSERT(!strcmp(out, "/kt/d/y"));
	KT_OK(vfs_resolve("../../..", out, sizeof(out)));
	KT_ASSERT(!strcmp(out, "/"));
	/* a bad cd leaves the cwd where it was */
	KT_EQ(vfs_chdir("nosuch"), E_NOENT);
	KT_OK(vfs_getcwd(out, sizeof(out)));
	KT_ASSERT(!strcmp(out, "/kt/d"));
	/* a task spawned from here starts here */
	int err;
	{
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open("rel", VFS_WRITE | VFS_CREATE, &err);
		KT_ASSERT(f);
	}
	struct fs_stat st;
	KT_OK(vfs_stat("/kt/d/rel", &st));
	KT_EQ(st.kind, FS_FILE);
	KT_OK(vfs_chdir(was));
	KT_OK(vfs_remove("/kt/d/rel"));
	KT_OK(vfs_remove("/kt/d"));
	scratch_unmount();
}

KTEST(vfs_files_directories_and_errors)
{
	int err;
	char buf[64];
	size_t got;
	KT_OK(scratch_mount());
	KT_OK(vfs_mkdir("/kt/dir"));
	KT_EQ(vfs_mkdir("/kt/dir"), E_EXIST);
	{
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open("/kt/dir/a", VFS_READ | VFS_WRITE | VFS_CREATE, &err);
		KT_ASSERT(f);
		KT_OK(put(f, "hello, world", 12));
		uint64_t pos;
		KT_OK(vfs_seek(f, 7, VFS_SEEK_SET, &pos));
		KT_OK(get(f, buf, sizeof(buf), &got));
		KT_EQ(got, 5);
		KT_ASSERT(!memcmp(buf, "world", 5));
		KT_OK(vfs_seek(f, -5, VFS_SEEK_END, &pos));
		KT_EQ(pos, 7);
		KT_EQ(vfs_seek(f, -8, VFS_SEEK_CUR, &pos), E_INVAL);
		KT_EQ(pos, 7); /* unchanged */
		KT_OK(vfs_ftruncate(f, 5));
		struct fs_stat st;
		KT_OK(vfs_fstat(f, &st));
		KT_EQ(st.size, 5);
		/* umount refuses while a file is open in the mount */
		KT_EQ(vfs_umount("/kt"), E_BUSY);
	}
	{
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open("/kt/dir/a", VFS_WRITE | VFS_APPEND, &err);
		KT_ASSERT(f);
		KT_OK(put(f, "!", 1));
		KT_EQ(vfs_read(f, buf, 1, &got), E_PERM); /* opened for writing only */
	}
	KT_OK(slurp("/kt/dir/a", buf, sizeof(buf), &got));
	KT_ASSERT(!strcmp(buf, "hello!"));
	/* errors, each leaving things as they were */
	KT_EQ(open_err("/kt/dir/a", VFS_WRITE | VFS_CREATE | VFS_EXCL), E_EXIST);
	KT_EQ(open_err("/kt/dir/a/x", VFS_READ), E_NOTDIR);
	KT_EQ(open_err("/kt/dir", VFS_WRITE), E_ISDIR);
	KT_EQ(open_err("/kt/nosuch", VFS_READ), E_NOENT);
	KT_EQ(open_err("/kt/dir/a", VFS_READ | VFS_TRUNC), E_INVAL);
	KT_EQ(vfs_remove("/kt/dir"), E_NOTEMPTY);
	KT_EQ(vfs_remove("/kt"), E_BUSY);          /* a mount point */
	KT_EQ(vfs_rename("/kt/dir", "/kt/dir/sub"), E_INVAL); /* into itself */
	KT_EQ(vfs_rename("/kt/dir/a", "/sys/a"), E_NOTSUP);   /* across mounts */
	KT_EQ(vfs_truncate("/kt/dir", 0), E_ISDIR);
	KT_EQ(vfs_mount("nosuchfs", "", "", "/kt/dir"), E_NOENT);
	KT_EQ(vfs_mount("memfs", "", "", "/kt/dir/a"), E_NOTDIR);
	KT_EQ(vfs_mount("memfs", "", "", "/kt"), E_BUSY);
	KT_EQ(vfs_mount("memfs", "vda", "", "/kt/dir"), E_INVAL); /* memfs takes no device */
	KT_OK(slurp("/kt/dir/a", buf, sizeof(buf), &got));
	KT_ASSERT(!strcmp(buf, "hello!"));
	/* the read-only system view */
	KT_EQ(open_err("/sys/x", VFS_WRITE | VFS_CREATE), E_ROFS);
	KT_EQ(vfs_mkdir("/sys/d"), E_ROFS);
	KT_EQ(vfs_remove("/sys/tasks"), E_ROFS);
	/* rename: a file replaces a file; a directory moves with its files */
	KT_OK(vfs_mkdir("/kt/other"));
	KT_OK(vfs_rename("/kt/dir", "/kt/other/moved"));
	KT_OK(slurp("/kt/other/moved/a", buf, sizeof(buf), &got));
	KT_ASSERT(!strcmp(buf, "hello!"));
	KT_EQ(vfs_rename("/kt/other/moved", "/kt/other/moved/a"), E_INVAL);
	/* a handle to a removed file gets E_NOENT, never another file's bytes */
	_cleanup_(vfs_close_p) struct vfs_file *stale = vfs_open("/kt/other/moved/a", VFS_READ, &err);
	KT_ASSERT(stale);
	KT_OK(vfs_remove("/kt/other/moved/a"));
	{
		_cleanup_(vfs_close_p) struct vfs_file *n = vfs_open("/kt/other/b", VFS_WRITE | VFS_CREATE, &err);
		KT_ASSERT(n);
		KT_OK(put(n, "other", 5));
	}
	KT_EQ(vfs_read(stale, buf, sizeof(buf), &got), E_NOENT);
	vfs_close(TAKE_PTR(stale));
	/* readdir through a directory handle */
	{
		_cleanup_(vfs_close_p) struct vfs_file *d = vfs_open("/kt/other", VFS_READ, &err);
		KT_ASSERT(d);
		struct fs_dirent e;
		size_t n = 0;
		while (!(err = vfs_readdir(d, &e)))
			n++;
		KT_EQ(err, E_NOENT);
		KT_EQ(n, 2); /* moved/, b */
		KT_EQ(vfs_read(d, buf, 1, &got), E_ISDIR);
	}
	KT_OK(vfs_remove("/kt/other/moved"));
	KT_OK(vfs_remove("/kt/other/b"));
	KT_OK(vfs_remove("/kt/other"));
	scratch_unmount();
	struct fs_stat st;
	KT_EQ(vfs_stat("/kt", &st), E_NOENT);
}

static uint8_t
pat(uint64_t off, uint32_t seed)
{
	return (uint8_t)(off * 131 + (off >> 9) * 7 + seed);
}

KTEST(memfs_large_and_sparse_files)
{
	int err;
	KT_OK(scratch_mount());
	enum { SIZE = 1 << 20 };
	_cleanup_(kfreep) uint8_t *buf = kmalloc(SIZE);
	KT_ASSERT(buf);
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = pat(i, 3);
	{
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open("/kt/big", VFS_READ | VFS_WRITE | VFS_CREATE, &err);
		KT_ASSERT(f);
		/* odd chunk sizes across page boundaries */
		for (size_t off = 0, k = 1; off < SIZE; k = k * 7 % 6133 + 1) {
			size_t n = k < SIZE - off ? k : SIZE - off;
			KT_OK(put(f, buf + off, n));
			off += n;
		}
		memset(buf, 0, SIZE);
		KT_OK(vfs_seek(f, 0, VFS_SEEK_SET, NULL));
		size_t got, total = 0;
		while (!(err = get(f, buf + total, SIZE - total, &got)) && got)
			total += got;
		KT_OK(err);
		KT_EQ(total, SIZE);
		for (size_t i = 0; i < SIZE; i++)
			if (buf[i] != pat(i, 3))
				KT_FAIL("byte %zu: %#x, not %#x", i, buf[i], pat(i, 3));
		/* a write past the end leaves zeros in the gap */
		KT_OK(vfs_seek(f, SIZE + 10000, VFS_SEEK_SET, NULL));
		KT_OK(put(f, "z", 1));
		KT_OK(vfs_seek(f, SIZE - 2, VFS_SEEK_SET, NULL));
		uint8_t tail[10004];
		KT_OK(get(f, tail, sizeof(tail), &got));
		KT_EQ(got, 10003);
		KT_EQ(tail[0], pat(SIZE - 2, 3));
		for (size_t i = 2; i < 10002; i++)
			KT_EQ(tail[i], 0);
		KT_EQ(tail[10002], 'z');
		/* shrink, then grow: the regrown bytes are zero */
		KT_OK(vfs_ftruncate(f, 100));
		KT_OK(vfs_ftruncate(f, 200));
		KT_OK(vfs_seek(f, 98, VFS_SEEK_SET, NULL));
		KT_OK(get(f, tail, sizeof(tail), &got));
		KT_EQ(got, 102);
		KT_EQ(tail[1], pat(99, 3));
		KT_EQ(tail[2], 0);
		KT_EQ(tail[101], 0);
	}
	KT_OK(vfs_remove("/kt/big"));
	scratch_unmount();
}

KTEST(sysview_shows_the_live_system)
{
	enum { CAP = 64 * 1024 };
	_cleanup_(kfreep) char *buf = kmalloc(CAP);
	KT_ASSERT(buf);
	size_t len;
	KT_OK(slurp("/sys/cells/kernel/vfs", buf, CAP, &len));
	KT_ASSERT(str_starts_with(buf, "cell vfs in namespace kernel\n"));
	KT_ASSERT(strstr(buf, "declared dependencies: "));
	KT_ASSERT(strstr(buf, "\n  state_db "));          /* a cell it depends on */
	KT_ASSERT(strstr(buf, " .text.vfs_open\n"));       /* one of its sections */
	KT_OK(slurp("/sys/tasks", buf, CAP, &len));
	KT_ASSERT(strstr(buf, " idle/0 "));
	KT_OK(slurp("/sys/namespaces", buf, CAP, &len));
	KT_ASSERT(str_starts_with(buf, "kernel "));
	KT_OK(slurp("/sys/mounts", buf, CAP, &len));
	KT_ASSERT(strstr(buf, "/sys             sysview"));
	KT_OK(slurp("/sys/faults", buf, CAP, &len));
	KT_ASSERT(len > 0);
	/* the cells directory lists what is loaded, and follows a load */
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *d = vfs_open("/sys/cells/kernel", VFS_READ, &err);
	KT_ASSERT(d);
	struct fs_dirent e;
	bool memfs = false;
	size_t n = 0;
	while (!(err = vfs_readdir(d, &e))) {
		memfs |= !strcmp(e.name, "memfs") && e.st.kind == FS_FILE && e.st.size > 0;
		n++;
	}
	KT_EQ(err, E_NOENT);
	KT_ASSERT(memfs);
	struct cell_stats cs;
	cell_stats(cell_ns_kernel(), &cs);
	KT_EQ(n, cs.cells);
	struct fs_stat st;
	KT_EQ(vfs_stat("/sys/cells/kernel/nosuchcell", &st), E_NOENT);
}

/* ---- reload and swap with files open ---- */

#define REC 64

struct worker {
	int kind;                 /* 0 writer, 1 reader, 2 sysview reader, 3 directory reader */
	unsigned i;
	volatile bool stop, hold, held;  /* hold: pause between steps (held: paused) */
	volatile uint64_t ops;
	uint64_t records;         /* writer: records written */
	int err;
	char why[96];
	struct vfs_file *f;       /* opened by the test, owned by the worker's loop */
};

static void
record(uint8_t *r, unsigned w, uint64_t k)
{
	for (size_t j = 0; j < REC; j++)
		r[j] = pat(k * REC + j, w * 17 + 1);
}

static bool
fail(struct worker *w, int err, const char *what)
{
	if (!w->err) {
		w->err = err ? err : E_IO;
		snprintf(w->why, sizeof(w->why), "%s: %s", what, err ? err_str(err) : "wrong data");
	}
	return false;
}

static bool
writer_step(struct worker *w)
{
	uint8_t r[REC], back[REC];
	record(r, w->i, w->records);
	int err = put(w->f, r, REC);
	if (err)
		return fail(w, err, "write");
	w->records++;
	if (w->records % 8)
		return true;
	/* read an earlier record back, then go on at the end */
	uint64_t k = (w->records * 2654435761u) % w->records;
	size_t got;
	err = vfs_seek(w->f, (int64_t)(k * REC), VFS_SEEK_SET, NULL);
	if (!err)
		err = get(w->f, back, REC, &got);
	if (err || got != REC)
		return fail(w, err, "read back");
	record(r, w->i, k);
	if (memcmp(r, back, REC))
		return fail(w, 0, "read back");
	err = vfs_seek(w->f, 0, VFS_SEEK_END, NULL);
	return err ? fail(w, err, "seek") : true;
}

#define RFILE (16 * 1024)

static bool
reader_step(struct worker *w)
{
	uint8_t buf[1000];
	uint64_t pos;
	int err = vfs_seek(w->f, 0, VFS_SEEK_CUR, &pos);
	size_t got;
	if (!err)
		err = get(w->f, buf, sizeof(buf), &got);
	if (err)
		return fail(w, err, "read");
	for (size_t j = 0; j < got; j++)
		if (buf[j] != pat(pos + j, 99))
			return fail(w, 0, "read");
	if (got < sizeof(buf) && pos + got != RFILE)
		return fail(w, 0, "short read");
	if (!got && (err = vfs_seek(w->f, 0, VFS_SEEK_SET, NULL)))
		return fail(w, err, "seek");
	return true;
}

static bool
sys_step(struct worker *w)
{
	char buf[256];
	size_t got;
	int err = vfs_seek(w->f, 0, VFS_SEEK_SET, NULL);
	if (!err)
		err = get(w->f, buf, sizeof(buf) - 1, &got);
	if (err)
		return fail(w, err, "sysview read");
	buf[got] = '\0';
	return str_starts_with(buf, "kernel ") && strstr(buf, "\napps ") ? true : fail(w, 0, "sysview read");
}

static bool
dir_step(struct worker *w)
{
	struct fs_dirent e;
	int err = vfs_readdir(w->f, &e);
	if (err == E_NOENT) {
		/* a new pass: reopen (a directory handle's cookie only goes on) */
		vfs_close(TAKE_PTR(w->f));
		w->f = vfs_open("/kt", VFS_READ, &err);
		return w->f ? true : fail(w, err, "reopen dir");
	}
	if (err)
		return fail(w, err, "readdir");
	/* the workers' files, the readers' and the fault test's victim */
	return strchr("wrv", e.name[0]) ? true : fail(w, 0, "readdir");
}

static void
worker_close(struct worker **wp)
{
	vfs_close_p(&(*wp)->f);
}

static uint64_t
work(struct worker *w)
{
	_cleanup_(worker_close) struct worker *owner = w; /* its handle, however it ends */
	bool (*step)(struct worker *) = w->kind == 0 ? writer_step : w->kind == 1 ? reader_step
					 : w->kind == 2 ? sys_step : dir_step;
	while (!w->stop && !w->err) {
		w->held = w->hold;
		if (w->held) {
			task_sleep_ns(MS);
			continue;
		}
		if (!step(w))
			break;
		w->ops++;
		task_sleep_ns(MS / 2);
	}
	if (w->kind != 0)
		return 0;
	/* the writer checks its whole file through its handle at the end */
	uint8_t r[REC], back[REC];
	int err = vfs_seek(w->f, 0, VFS_SEEK_SET, NULL);
	for (uint64_t k = 0; !err && k < w->records; k++) {
		size_t got;
		err = get(w->f, back, REC, &got);
		record(r, w->i, k);
		if (!err && (got != REC || memcmp(r, back, REC)))
			fail(w, 0, "final check");
	}
	if (err)
		fail(w, err, "final check");
	return 0;
}

enum { NW = 6 };
static const int kinds[NW] = { 0, 0, 1, 1, 2, 3 };

/* the readers' file, the workers' files open, their tasks running. The
 * workers own their handles and the caller the task references
 * (workers_stop drops both); GCC 12's analyzer does not follow a pointer
 * stored into an array reached through a parameter and reports leaks
 * that are not ones (as in task/group.c) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int
workers_start(struct worker *w, struct task **tasks)
{
	int err;
	memset(w, 0, NW * sizeof(*w));
	{
		_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open("/kt/r", VFS_WRITE | VFS_CREATE, &err);
		if (!f)
			return err;
		_cleanup_(kfreep) uint8_t *b = kmalloc(RFILE);
		if (!b)
			return E_NOMEM;
		for (size_t j = 0; j < RFILE; j++)
			b[j] = pat(j, 99);
		err = put(f, b, RFILE);
		if (err)
			return err;
	}
	for (unsigned i = 0; i < NW; i++) {
		w[i].kind = kinds[i];
		w[i].i = i;
		char path[32];
		snprintf(path, sizeof(path), "/kt/w%u", i);
		w[i].f = kinds[i] == 0 ? vfs_open(path, VFS_READ | VFS_WRITE | VFS_CREATE | VFS_TRUNC, &err)
		       : kinds[i] == 1 ? vfs_open("/kt/r", VFS_READ, &err)
		       : kinds[i] == 2 ? vfs_open("/sys/namespaces", VFS_READ, &err)
				       : vfs_open("/kt", VFS_READ, &err);
		if (!w[i].f)
			return err;
	}
	for (unsigned i = 0; i < NW; i++) {
		struct task_builder b = TASK_BUILDER(work, &w[i]);
		b.name = "fs-worker";
		tasks[i] = task_spawn(&b, &err);
		if (!tasks[i])
			return err;
	}
	return E_OK;
}
#pragma GCC diagnostic pop

static void
workers_stop(struct worker *w, struct task **tasks)
{
	for (unsigned i = 0; i < NW; i++)
		w[i].stop = true;
	for (unsigned i = 0; i < NW; i++) {
		uint64_t v;
		if (tasks[i] && task_join(tasks[i], &v))
			kprintf("FS worker %u did not end normally\n", i);
		if (tasks[i])
			task_unref(tasks[i]);
		vfs_close_p(&w[i].f); /* (a worker that never started) */
	}
}

/* every writer's file has every record it wrote; then the files go */
static int
workers_clean(struct worker *w)
{
	for (unsigned i = 0; i < NW; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/kt/w%u", i);
		struct fs_stat st;
		int err = kinds[i] == 0 ? vfs_stat(path, &st) : E_OK;
		if (!err && kinds[i] == 0 && st.size != w[i].records * REC)
			err = E_IO;
		if (!err && kinds[i] == 0)
			err = vfs_remove(path);
		if (err)
			return err;
	}
	return vfs_remove("/kt/r");
}

static uint64_t
text_of(const char *cell)
{
	cell_read_begin();
	struct cell *c = cell_find(cell_ns_kernel(), cell);
	uint64_t t = c ? c->start[REGION_TEXT] : 0;
	cell_read_end();
	return t;
}

/* recovery's reload of a faulted cell: the same request (fresh data, and
 * the <cell>_adopt transfer if its code is registered) */
static int
reload_as_recovery(const char *name, char *msg, size_t cap)
{
	char adopt[48];
	snprintf(adopt, sizeof(adopt), "%s_adopt", name);
	struct swap_request rq = { .ns = cell_ns_kernel(), .nold = 1, .nnew = 1, .fresh_data = true };
	rq.old[0] = rq.new_names[0] = name;
	cell_read_begin();
	struct cell *c = cell_find(cell_ns_kernel(), name);
	bool pinned = c && c->pins && cell_own_symbol(c, adopt);
	cell_read_end();
	if (pinned)
		rq.transfer[rq.ntransfer++] = adopt;
	struct swap_times t;
	struct cell_error why;
	int err = cell_swap(&rq, &t, &why);
	snprintf(msg, cap, "%s", err ? why.msg : "ok");
	return err;
}

/* the old copies of the cells swapped or reloaded here are freed now (their
 * log lines here, not in a later test's output) */
static void
reclaim_retired(void)
{
	if (!ktest_wait_tasks(0, 5000 * MS))
		kprintf("test_fs: tasks of the test still not reaped after 5 s\n");
	size_t n = cell_reclaim();
	kprintf("FS %zu retired cell(s) freed, %zu left\n", n, cell_retired());
}

static bool
all_moved(struct worker *w, size_t n, const uint64_t *before, uint64_t by)
{
	for (size_t i = 0; i < n; i++)
		if (w[i].ops < before[i] + by && !w[i].err)
			return false;
	return true;
}

KTEST_FLAGS(fs_cells_reloaded_and_swapped_with_files_open, KTEST_NO_FRAMECHECK)
{
	int err;
	KT_OK(scratch_mount());
	static struct worker w[NW];
	struct task *tasks[NW] = { 0 };
	KT_OK(workers_start(w, tasks));
	/* a handle the test holds itself across everything: its state must
	 * be the same after, and it must read the same bytes */
	_cleanup_(vfs_close_p) struct vfs_file *held = vfs_open("/kt/r", VFS_READ, &err);
	KT_ASSERT(held);
	KT_OK(vfs_seek(held, 1234, VFS_SEEK_SET, NULL));
	struct vfs_file_info before_info, after_info;
	KT_OK(vfs_file_info(held, &before_info));
	uint64_t base[NW] = { 0 };
	static const char *const cells[] = { "memfs", "vfs", "sysview" };
	unsigned done = 0;
	const char *failed = NULL;
	char msg[CELL_ERR_MAX];
	for (size_t c = 0; c < ARRAY_SIZE(cells) && !failed; c++)
		for (int how = 0; how < 2 && !failed; how++) {
			/* the workers are busy first */
			for (unsigned i = 0; i < NW; i++)
				base[i] = w[i].ops;
			uint64_t until = tsc_ns() + 20000 * MS;
			while (!all_moved(w, NW, base, 5) && tsc_ns() < until)
				task_sleep_ns(5 * MS);
			uint64_t old = text_of(cells[c]);
			struct swap_times t;
			struct cell_error why;
			err = how == 0 ? reload_as_recovery(cells[c], msg, sizeof(msg))
				       : cell_swap_one(cell_ns_kernel(), cells[c], cells[c], &t, &why);
			if (how == 1)
				snprintf(msg, sizeof(msg), "%s", err ? why.msg : "ok");
			kprintf("FS %s %s with %u files open: %s (text %#lx -> %#lx)\n",
				how == 0 ? "reload (as recovery)" : "swap", cells[c], NW + 1, msg, old, text_of(cells[c]));
			if (err || text_of(cells[c]) == old) {
				failed = cells[c];
				break;
			}
			/* and every open file goes on */
			for (unsigned i = 0; i < NW; i++)
				base[i] = w[i].ops;
			until = tsc_ns() + 20000 * MS;
			while (!all_moved(w, NW, base, 5) && tsc_ns() < until)
				task_sleep_ns(5 * MS);
			if (!all_moved(w, NW, base, 5))
				failed = cells[c];
			done++;
		}
	workers_stop(w, tasks);
	KT_OK(vfs_file_info(held, &after_info));
	uint8_t b[16];
	size_t got;
	KT_OK(get(held, b, sizeof(b), &got));
	vfs_close(TAKE_PTR(held));
	KT_OK(workers_clean(w));
	scratch_unmount();
	reclaim_retired();
	if (failed)
		KT_FAIL("%s: %s (after %u of 6 reloads/swaps; ops %lu %lu %lu %lu %lu %lu)", failed, msg, done, w[0].ops,
			w[1].ops, w[2].ops, w[3].ops, w[4].ops, w[5].ops);
	for (unsigned i = 0; i < NW; i++)
		if (w[i].err)
			KT_FAIL("worker %u (kind %d) after %lu ops: %s", i, w[i].kind, w[i].ops, w[i].why);
	KT_EQ(after_info.mount, before_info.mount);
	KT_EQ(after_info.node.id, before_info.node.id);
	KT_EQ(after_info.pos, before_info.pos);
	KT_ASSERT(!strcmp(after_info.fstype, before_info.fstype));
	KT_EQ(got, sizeof(b));
	for (size_t j = 0; j < sizeof(b); j++)
		KT_EQ(b[j], pat(1234 + j, 99));
	for (unsigned i = 0; i < NW; i++)
		kprintf("FS worker %u (%s): %lu operations%s\n", i,
			(const char *[]){ "writer", "reader", "sysview reader", "directory reader" }[w[i].kind], w[i].ops,
			w[i].kind == 0 ? ", every record read back" : "");
}

/* ---- a real fault in a filesystem cell, recovered ---- */

struct victim {
	int op;             /* 0: a write, 1: a sysview read */
	volatile bool go, done;
};

static uint64_t
victim_run(struct victim *v)
{
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *f = v->op == 0 ? vfs_open("/kt/victim", VFS_WRITE | VFS_CREATE, &err)
							   : vfs_open("/sys/tasks", VFS_READ, &err);
	while (!v->go)
		task_sleep_ns(MS);
	char b[32] = "victim";
	size_t done;
	err = v->op == 0 ? vfs_write(f, b, sizeof(b), &done) : vfs_read(f, b, sizeof(b), &done);
	v->done = true; /* not reached: the call faults in the corrupted cell */
	return (uint64_t)(int64_t)err;
}

/* the fault log has a record after seq whose action contains `want` */
static bool
log_has(uint64_t seq, const char *want)
{
	enum { MAX = 16 };
	_cleanup_(kfreep) struct fault_record *r = kmalloc(MAX * sizeof(*r));
	size_t n = r ? fault_log_read(r, MAX, seq) : 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(r[i].action, want))
			return true;
	return false;
}

/* corrupt the first instruction of `fn` in `cell` with an invalid opcode
 * (FF /7), as a memory error would: written through the read-only mapping
 * on this CPU with CR0.WP off for the moment (as recovery's repair does),
 * so the text stays executable for the tasks running it on other CPUs */
static int
corrupt(const char *cell, const char *fn)
{
	cell_read_begin();
	struct cell *c = cell_find(cell_ns_kernel(), cell);
	uint64_t at = c ? cell_own_symbol(c, fn) : 0;
	cell_read_end();
	if (!at)
		return E_NOENT;
	bool irq = irq_save();
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 & ~(1ull << 16)) : "memory");
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)at;
	p[0] = 0xff;
	p[1] = 0xff;
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
	irq_restore(irq);
	return E_OK;
}

KTEST_FLAGS(fault_in_each_fs_cell_is_recovered_and_open_files_go_on, KTEST_NO_FRAMECHECK)
{
	static const struct {
		const char *cell, *fn;
		int op;          /* the victim's */
		int held_kind;   /* the workers whose steps call fn wait meanwhile */
	} cases[] = {
		{ "memfs", "memfs_write", 0, 0 },
		{ "vfs", "vfs_write", 0, 0 },
		{ "sysview", "sysview_read", 1, 2 },
	};
	KT_OK(scratch_mount());
	static struct worker w[NW];
	struct task *tasks[NW] = { 0 };
	KT_OK(workers_start(w, tasks));
	const char *failed = NULL;
	char why[160] = "";
	for (size_t c = 0; c < ARRAY_SIZE(cases) && !failed; c++) {
		uint64_t base[NW];
		for (unsigned i = 0; i < NW; i++)
			base[i] = w[i].ops;
		uint64_t until = tsc_ns() + 20000 * MS;
		while (!all_moved(w, NW, base, 5) && tsc_ns() < until)
			task_sleep_ns(5 * MS);
		/* the workers that would call the corrupted function pause
		 * between two of their steps (their files open, mid-stream) */
		for (unsigned i = 0; i < NW; i++)
			w[i].hold = w[i].kind == cases[c].held_kind;
		until = tsc_ns() + 20000 * MS;
		for (unsigned i = 0; i < NW; i++)
			while (w[i].hold && !w[i].held && !w[i].err && tsc_ns() < until)
				task_sleep_ns(MS);
		static struct victim v;
		v = (struct victim){ .op = cases[c].op };
		int err;
		struct task_builder b = TASK_BUILDER(victim_run, &v);
		b.name = "fs-victim";
		_cleanup_(task_unref_p) struct task *vt = task_spawn(&b, &err);
		KT_ASSERT(vt);
		uint64_t seq = fault_log_last_seq(), old = text_of(cases[c].cell);
		task_sleep_ns(20 * MS); /* it opened its file */
		KT_OK(corrupt(cases[c].cell, cases[c].fn));
		v.go = true;
		uint64_t val;
		err = task_join(vt, &val);
		char want[48];
		snprintf(want, sizeof(want), "stage 3: reloaded %s", cases[c].cell);
		until = tsc_ns() + 20000 * MS;
		while (!log_has(seq, want) && tsc_ns() < until)
			task_sleep_ns(5 * MS);
		kprintf("FS fault in %s (%s) while %u files were open: victim %s; %s; text %#lx -> %#lx\n",
			cases[c].fn, cases[c].cell, NW, err == E_FAULT ? "unwound" : "not killed",
			log_has(seq, want) ? want : "no reload", old, text_of(cases[c].cell));
		if (err != E_FAULT || v.done || !log_has(seq, want) || text_of(cases[c].cell) == old) {
			failed = cases[c].cell;
			snprintf(why, sizeof(why), "victim %s, %s", err == E_FAULT ? "faulted" : "did not fault",
				 log_has(seq, want) ? "reloaded" : "no reload in the fault log");
		}
		for (unsigned i = 0; i < NW; i++)
			w[i].hold = false;
		/* and every open file goes on */
		for (unsigned i = 0; i < NW; i++)
			base[i] = w[i].ops;
		until = tsc_ns() + 20000 * MS;
		while (!all_moved(w, NW, base, 5) && tsc_ns() < until)
			task_sleep_ns(5 * MS);
		if (!failed && !all_moved(w, NW, base, 5)) {
			failed = cases[c].cell;
			snprintf(why, sizeof(why), "a worker stopped after the reload");
		}
	}
	workers_stop(w, tasks);
	int err = vfs_remove("/kt/victim");
	KT_ASSERT(err == E_OK || err == E_NOENT);
	KT_OK(workers_clean(w));
	scratch_unmount();
	reclaim_retired();
	if (failed)
		KT_FAIL("%s: %s", failed, why);
	for (unsigned i = 0; i < NW; i++)
		if (w[i].err)
			KT_FAIL("worker %u (kind %d) after %lu ops: %s", i, w[i].kind, w[i].ops, w[i].why);
}
