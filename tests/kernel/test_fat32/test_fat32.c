/*
 * test_fat32: the fat32 cell through its own functions on the FAT32 disk
 * every boot with devices has (hdb, made by mkfs.fat: tools/qemu-devices.sh):
 * files with long names written across cluster boundaries and read back,
 * truncated, renamed, moved and removed, directories listed; refused
 * requests; and a fault in the cell in the middle of an extending write:
 * the cell is reloaded, the next request rolls the write back from its
 * intent record, no cluster is lost, and another task reading a file of
 * the same mount the whole time goes on. Every test removes what it made
 * (tools/test-fat32.sh runs fsck.fat on the image afterwards).
 */
#include "blk.h"
#include "exceptions.h"
#include "fat32.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "task.h"

#define DISK "hdb"

static void
unmount(void **m)
{
	if (*m)
		(void)fat32_unmount(*m);
}

static int
pattern(void *m, struct fs_node *n, uint64_t off, uint64_t len, uint8_t seed, bool write)
{
	_cleanup_(kfreep) uint8_t *b = kmalloc(4099);
	if (!b)
		return E_NOMEM;
	for (uint64_t o = off; o < off + len;) {
		size_t k = (size_t)MIN(4099ull, off + len - o), done;
		if (write)
			for (size_t i = 0; i < k; i++)
				b[i] = fat32_pattern(o + i, seed);
		int err = write ? fat32_write(m, n, o, b, k, &done) : fat32_read(m, n, o, b, k, &done);
		if (err)
			return err;
		if (done != k)
			return E_RANGE;
		if (!write)
			for (size_t i = 0; i < k; i++)
				if (b[i] != fat32_pattern(o + i, seed))
					return E_CORRUPT;
		o += k;
	}
	return E_OK;
}

static uint64_t
size_of(void *m, const struct fs_node *n)
{
	struct fs_stat st = { 0 };
	return fat32_stat(m, n, &st) ? ~0ull : st.size;
}

/* the boot sector's bytes per cluster */
static uint32_t
cluster_bytes(void)
{
	_cleanup_(kfreep) uint8_t *s = kmalloc(512);
	if (!s || blk_rw(DISK, false, 0, 1, s, 5000000000ull))
		return 0;
	return (uint32_t)s[13] * (uint32_t)(s[11] | s[12] << 8);
}

/* FSInfo's free-cluster count on the disk */
static uint32_t
fsinfo_free(void)
{
	_cleanup_(kfreep) uint8_t *s = kmalloc(512);
	if (!s || blk_rw(DISK, false, 0, 1, s, 5000000000ull))
		return 0;
	uint32_t sec = s[48] | s[49] << 8;
	if (blk_rw(DISK, false, sec, 1, s, 5000000000ull))
		return 0;
	return (uint32_t)s[488] | (uint32_t)s[489] << 8 | (uint32_t)s[490] << 16 | (uint32_t)s[491] << 24;
}

KTEST(fat32_files_with_long_names_round_trip)
{
	_cleanup_(unmount) void *m = NULL;
	struct fs_node root, d, f, g, x;
	struct fs_stat st;
	KT_OK(fat32_mount(DISK, "", &m, &root));
	(void)!fat32_remove(m, &root, "ktest directory");      /* a run that died before */
	KT_OK(fat32_create(m, &root, "ktest directory", FS_DIR, &d));
	KT_OK(fat32_create(m, &d, "A file whose name is long, with spaces.data", FS_FILE, &f));
	KT_OK(pattern(m, &f, 0, 10000, 7, true));
	KT_OK(pattern(m, &f, 10000, 777, 7, true));            /* appended */
	KT_EQ(size_of(m, &f), 10777);
	KT_OK(pattern(m, &f, 0, 10777, 7, false));
	KT_OK(fat32_lookup(m, &d, "a FILE whose name is long, with spaces.DATA", &g, &st));
	KT_EQ(st.size, 10777);
	KT_EQ(st.kind, FS_FILE);
	KT_OK(fat32_truncate(m, &g, 513));
	KT_OK(pattern(m, &f, 0, 513, 7, false));
	KT_OK(fat32_truncate(m, &g, 2000));                    /* extended with zeros */
	uint8_t z[16];
	size_t done;
	KT_OK(fat32_read(m, &g, 1000, z, sizeof(z), &done));
	KT_EQ(done, sizeof(z));
	for (size_t i = 0; i < sizeof(z); i++)
		KT_EQ(z[i], 0);
	KT_OK(fat32_create(m, &d, "sub", FS_DIR, &x));
	KT_OK(fat32_rename(m, &d, "A file whose name is long, with spaces.data", &x, "moved.bin"));
	KT_EQ(fat32_lookup(m, &d, "A file whose name is long, with spaces.data", &g, &st), E_NOENT);
	KT_OK(fat32_lookup(m, &x, "moved.bin", &g, &st));
	KT_EQ(st.size, 2000);
	KT_OK(pattern(m, &g, 0, 513, 7, false));
	uint64_t cookie = 0;
	struct fs_dirent de;
	KT_OK(fat32_readdir(m, &d, &cookie, &de));
	KT_EQ(strcmp(de.name, "sub"), 0);
	KT_EQ(fat32_readdir(m, &d, &cookie, &de), E_NOENT);
	KT_OK(fat32_lookup(m, &x, "..", &g, &st));
	KT_EQ(g.id, d.id);
	KT_EQ(fat32_remove(m, &root, "ktest directory"), E_NOTEMPTY);
	KT_OK(fat32_remove(m, &x, "moved.bin"));
	KT_OK(fat32_remove(m, &d, "sub"));
	KT_OK(fat32_remove(m, &root, "ktest directory"));
	KT_OK(fat32_sync(m));
}

KTEST(fat32_refuses_what_it_must)
{
	_cleanup_(unmount) void *m = NULL;
	struct fs_node root, d, f;
	struct fs_stat st;
	void *v = NULL;
	KT_EQ(fat32_mount("nosuch", "", &v, &root), E_NOENT);
	KT_EQ(fat32_mount("vda", "", &v, &root), E_CORRUPT);  /* no FAT32 there */
	KT_EQ(fat32_mount(DISK, "sideways", &v, &root), E_INVAL);
	KT_OK(fat32_mount(DISK, "", &m, &root));
	(void)!fat32_remove(m, &root, "ktest refusals");
	KT_OK(fat32_create(m, &root, "ktest refusals", FS_DIR, &d));
	KT_EQ(fat32_create(m, &root, "KTEST REFUSALS", FS_DIR, &f), E_EXIST);
	KT_EQ(fat32_lookup(m, &d, "missing", &f, &st), E_NOENT);
	static const char *const bad[] = { "a/b", "star*", "dot.", "", "q?" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		KT_EQ(fat32_create(m, &d, bad[i], FS_FILE, &f), E_INVAL);
	char lng[260];
	memset(lng, 'n', 256);
	lng[256] = 0;
	KT_EQ(fat32_create(m, &d, lng, FS_FILE, &f), E_NAMETOOLONG);
	KT_EQ(fat32_create(m, &d, "x", 3, &f), E_INVAL);
	size_t done;
	char b[4];
	KT_EQ(fat32_read(m, &d, 0, b, 4, &done), E_ISDIR);
	KT_OK(fat32_create(m, &d, "file", FS_FILE, &f));
	KT_EQ(fat32_lookup(m, &f, "x", &f, &st), E_NOTDIR);
	KT_EQ(fat32_rename(m, &root, "ktest refusals", &d, "inside itself"), E_INVAL);
	KT_OK(fat32_remove(m, &d, "file"));
	KT_EQ(fat32_read(m, &f, 0, b, 4, &done), E_NOENT);     /* a removed node */
	KT_OK(fat32_remove(m, &root, "ktest refusals"));
	KT_EQ(fat32_unmount(NULL), E_INVAL);
}

struct reader {
	void *m;
	struct fs_node n;
	volatile bool stop;
	volatile int rounds, errors;
};

static uint64_t
reader_main(struct reader *r)
{
	while (!r->stop) {
		if (pattern(r->m, &r->n, 0, 6000, 2, false))
			r->errors++;
		else
			r->rounds++;
		task_sleep_ns(2000000);
	}
	return 0;
}

struct writer {
	void *m;
	struct fs_node n;
	volatile int err;
	volatile bool returned;
};

/* one request appending 20000 bytes: its first data write (the end of
 * the last old cluster) goes through, the second (the new clusters,
 * allocated and recorded by then) faults */
static uint64_t
writer_main(struct writer *w)
{
	_cleanup_(kfreep) uint8_t *b = kmalloc(20000);
	if (!b)
		return 1;
	for (size_t i = 0; i < 20000; i++)
		b[i] = fat32_pattern(3000 + i, 1);
	size_t done;
	fat32_inject_write_fault(1);
	w->err = fat32_write(w->m, &w->n, 3000, b, 20000, &done);
	w->returned = true;              /* (it does not: the task dies) */
	return 0;
}

static bool
log_has(uint64_t seq, const char *what)
{
	static struct fault_record r[64];
	size_t got = fault_log_read(r, 64, seq);
	for (size_t i = 0; i < got; i++)
		if (strstr(r[i].action, what))
			return true;
	return false;
}

KTEST_FLAGS(fat32_fault_mid_write_is_rolled_back_and_others_go_on, KTEST_NO_FRAMECHECK)
{
	_cleanup_(unmount) void *m = NULL;
	struct fs_node root, victim;
	KT_OK(fat32_mount(DISK, "", &m, &root));
	(void)!fat32_remove(m, &root, "ktest fault victim");
	(void)!fat32_remove(m, &root, "ktest bystander");
	struct reader r = { .m = m };
	KT_OK(fat32_create(m, &root, "ktest fault victim", FS_FILE, &victim));
	KT_OK(pattern(m, &victim, 0, 3000, 1, true));
	KT_OK(fat32_create(m, &root, "ktest bystander", FS_FILE, &r.n));
	KT_OK(pattern(m, &r.n, 0, 6000, 2, true));
	KT_OK(fat32_sync(m));
	uint32_t free0 = fsinfo_free();
	int err;
	struct task_builder rb = TASK_BUILDER(reader_main, &r);
	rb.name = "fat-reader";
	_cleanup_(task_unref_p) struct task *rt = task_spawn(&rb, &err);
	KT_ASSERT(rt);
	while (r.rounds < 2)
		task_sleep_ns(1000000);
	uint64_t seq = fault_log_last_seq();
	struct writer w = { .m = m, .n = victim };
	struct task_builder wb = TASK_BUILDER(writer_main, &w);
	wb.name = "fat-writer";
	_cleanup_(task_unref_p) struct task *wt = task_spawn(&wb, &err);
	KT_ASSERT(wt);
	uint64_t ret;
	(void)!task_join(wt, &ret);
	KT_ASSERT(!w.returned);          /* it faulted in the write */
	int i;
	for (i = 0; i < 5000 && !log_has(seq, "reloaded fat32"); i++)
		task_sleep_ns(1000000);
	KT_ASSERT(log_has(seq, "reload cell fat32 queued"));
	KT_ASSERT(i < 5000);
	int at_reload = r.rounds;
	for (i = 0; i < 5000 && r.rounds < at_reload + 3; i++)
		task_sleep_ns(1000000);
	r.stop = true;
	(void)!task_join(rt, &ret);
	KT_EQ(r.errors, 0);
	KT_ASSERT(r.rounds >= at_reload + 3);   /* the other task's reads went on */
	/* the write was rolled back: the old size and bytes, no cluster lost */
	KT_EQ(size_of(m, &victim), 3000);
	KT_OK(pattern(m, &victim, 0, 3000, 1, false));
	KT_OK(fat32_sync(m));
	KT_EQ(fsinfo_free(), free0);
	/* and the reloaded cell writes */
	KT_OK(pattern(m, &victim, 3000, 20000, 1, true));
	KT_OK(pattern(m, &victim, 0, 23000, 1, false));
	KT_OK(fat32_remove(m, &root, "ktest fault victim"));
	KT_OK(fat32_remove(m, &root, "ktest bystander"));
	KT_OK(fat32_sync(m));
	uint32_t cb = cluster_bytes();
	KT_ASSERT(cb);
	KT_EQ(fsinfo_free(), free0 + DIV_ROUND_UP(3000, cb) + DIV_ROUND_UP(6000, cb));
}
