/*
 * test_fat32: the fat32 cell's core (kernel/fs/fat32) on images made by
 * mkfs.fat and mtools: what the core writes passes fsck.fat -n and mtools
 * reads it back byte for byte; what mcopy puts in, the core reads; a
 * crash at every sector write of each kind of change, then the replay of
 * its intent, leaves an image fsck.fat -n finds nothing wrong with; and
 * hand-corrupted images get E_CORRUPT (or their short names), never a
 * crash or a hang.
 * HOST_TEST_SOURCES: kernel/fs/fat32/bpb.c kernel/fs/fat32/fat.c kernel/fs/fat32/dir.c kernel/fs/fat32/file.c kernel/fs/fat32/ops.c tests/fat/fat_host.c libs/base/err.c
 * HOST_TEST_SOURCE_CFLAGS: -Ikernel/fs/fat32
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "../fat/fat_host.h"

#define DIR "build/host/fat32"
static struct fat_mnt M;
static struct fs_node root;

#define pat fat32_pattern

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* a fresh image of mb MiB (spc sectors a cluster) loaded into memory */
static void
image(unsigned mb, unsigned spc)
{
	assert_int_equal(sh("mkdir -p " DIR " && rm -f " DIR "/t.img && truncate -s %uM " DIR "/t.img && "
			    "mkfs.fat -F 32 -s %u " DIR "/t.img >/dev/null 2>&1", mb, spc), 0);
}

static void
load(void)
{
	FILE *f = fopen(DIR "/t.img", "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	free(fat_host.img);
	fat_host.img = malloc((size_t)len);
	assert_int_equal(fread(fat_host.img, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	fat_host.sectors = (uint64_t)len / 512;
	fat_host.crash_in = 0;
	fat_intent_forget();
	memset(&M, 0, sizeof(M));
	assert_int_equal(fat_mount_core(&M, fat_host.sectors, &root), E_OK);
}

static void
save(void)
{
	FILE *f = fopen(DIR "/t.img", "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(fat_host.img, 1, fat_host.sectors * 512, f), fat_host.sectors * 512);
	fclose(f);
}

/* fsck.fat -n exits 0 and prints nothing but its version and summary */
static int
fsck_clean(void)
{
	return sh("fsck.fat -n " DIR "/t.img > " DIR "/fsck.log 2>&1 && "
		  "[ $(grep -vc -e '^fsck.fat ' -e ' files, ' " DIR "/fsck.log) = 0 ] || { cat " DIR "/fsck.log; false; }");
}

static int
path(const char *p, struct fs_node *out)
{
	char buf[512];
	strcpy(buf, p);
	*out = root;
	for (char *s = strtok(buf, "/"); s; s = strtok(NULL, "/")) {
		int err = fat_op_lookup(&M, out, s, out, NULL);
		if (err)
			return err;
	}
	return E_OK;
}

static void
write_pat(struct fs_node *n, uint64_t off, uint64_t len, uint8_t seed, size_t chunk)
{
	uint8_t *b = malloc(chunk);
	for (uint64_t o = off; o < off + len; o += chunk) {
		size_t k = (size_t)(off + len - o < chunk ? off + len - o : chunk), done;
		for (size_t i = 0; i < k; i++)
			b[i] = pat(o + i, seed);
		assert_int_equal(fat_file_write(&M, n, o, b, k, &done), E_OK);
		assert_int_equal(done, k);
	}
	free(b);
}

static void
check_pat(const struct fs_node *n, uint64_t len, uint8_t seed)
{
	uint8_t *b = malloc(len + 10);
	size_t done;
	assert_int_equal(fat_file_rw(&M, n, 0, b, len + 10, &done), E_OK);
	assert_int_equal(done, len);
	for (uint64_t i = 0; i < len; i++)
		if (b[i] != pat(i, seed))
			fail_msg("byte %lu is %#x, expected %#x", (unsigned long)i, b[i], pat(i, seed));
	free(b);
}

/* mcopy the file out and compare it with the pattern */
static int
host_has(const char *p, uint64_t len, uint8_t seed)
{
	if (sh("rm -f " DIR "/out && MTOOLS_SKIP_CHECK=1 mcopy -n -i " DIR "/t.img '::%s' " DIR "/out", p))
		return -1;
	FILE *f = fopen(DIR "/out", "rb");
	if (!f)
		return -1;
	uint64_t i = 0;
	int c, bad = 0;
	while ((c = fgetc(f)) != EOF)
		bad |= i >= len || c != pat(i, seed), i++;
	fclose(f);
	return bad || i != len ? -1 : 0;
}

static void
ours_read_by_mtools_and_fsck_clean(void **s)
{
	(void)s;
	image(40, 1);
	load();
	struct fs_node d, sub, f1, f2, f3, n;
	assert_int_equal(fat_op_create(&M, &root, "A directory with a long name", FS_DIR, &d), E_OK);
	assert_int_equal(fat_op_create(&M, &d, "sub", FS_DIR, &sub), E_OK);
	assert_int_equal(fat_op_create(&M, &root, "a directory WITH a long name", FS_DIR, &n), E_EXIST);
	assert_int_equal(fat_op_create(&M, &d, "Ünïcode file name that is quite long.data", FS_FILE, &f1), E_OK);
	write_pat(&f1, 0, 70000, 3, 4000);
	assert_int_equal(fat_op_create(&M, &sub, "small.txt", FS_FILE, &f2), E_OK);
	write_pat(&f2, 0, 513, 4, 100);
	assert_int_equal(fat_op_create(&M, &root, "README", FS_FILE, &f3), E_OK);
	write_pat(&f3, 0, 5000, 5, 5000);
	assert_int_equal(fat_file_truncate(&M, &f3, 1000), E_OK);
	assert_int_equal(fat_file_truncate(&M, &f1, 0), E_OK);
	write_pat(&f1, 0, 9999, 6, 3333);
	/* many names with the same 8.3 basis: ~N tails */
	for (int i = 0; i < 12; i++) {
		char nm[64];
		snprintf(nm, sizeof(nm), "same basis name %d.text", i);
		assert_int_equal(fat_op_create(&M, &sub, nm, FS_FILE, &n), E_OK);
		write_pat(&n, 0, (uint64_t)i * 300, (uint8_t)i, 512);
	}
	assert_int_equal(fat_op_rename(&M, &sub, "same basis name 3.text", &root, "moved to the root.bin"), E_OK);
	assert_int_equal(fat_op_remove(&M, &sub, "same basis name 4.text"), E_OK);
	assert_int_equal(fat_op_remove(&M, &root, "A directory with a long name"), E_NOTEMPTY);
	assert_int_equal(fat_op_rename(&M, &d, "sub", &root, "sub moved"), E_OK);
	assert_int_equal(fat_op_rename(&M, &root, "sub moved", &root, "SUB MOVED"), E_OK);
	assert_int_equal(path("sub moved/small.txt", &n), E_OK);
	assert_int_equal(path("sub moved/..", &n), E_OK);
	assert_int_equal(n.id, root.id);
	assert_int_equal(fat_op_sync(&M), E_OK);
	save();
	assert_int_equal(fsck_clean(), 0);
	assert_int_equal(host_has("A directory with a long name/Ünïcode file name that is quite long.data", 9999, 6), 0);
	assert_int_equal(host_has("SUB MOVED/small.txt", 513, 4), 0);
	assert_int_equal(host_has("README", 1000, 5), 0);
	assert_int_equal(host_has("moved to the root.bin", 900, 3), 0);
	assert_int_equal(host_has("SUB MOVED/same basis name 11.text", 3300, 11), 0);
	assert_int_not_equal(host_has("SUB MOVED/same basis name 4.text", 1200, 4), 0);
}

static void
theirs_read_by_us(void **s)
{
	(void)s;
	image(80, 2);
	assert_int_equal(sh("cd " DIR " && python3 -c \"import sys\n"
			    "for n, sz, seed in [('f0', 0, 1), ('f1', 1, 2), ('f1023', 1023, 3), ('f1025', 1025, 4), ('big', 300000, 5)]:\n"
			    "  open(n, 'wb').write(bytes(((o * 7 + (o >> 9) * 13 + seed) & 255) for o in range(sz)))\" && "
			    "export MTOOLS_SKIP_CHECK=1 && mmd -i t.img '::Nested directory' '::Nested directory/deeper still' && "
			    "mcopy -i t.img f0 '::empty file' && mcopy -i t.img f1 '::Nested directory/one byte' && "
			    "mcopy -i t.img f1023 '::Nested directory/deeper still/just under a cluster.bin' && "
			    "mcopy -i t.img f1025 '::Nested directory/deeper still/JUST.OVR' && mcopy -i t.img big '::big file.dat'"), 0);
	load();
	struct fs_node n;
	struct fs_stat st;
	assert_int_equal(path("empty file", &n), E_OK);
	check_pat(&n, 0, 1);
	assert_int_equal(path("nested DIRECTORY/One Byte", &n), E_OK);
	check_pat(&n, 1, 2);
	assert_int_equal(path("Nested directory/deeper still/just under a cluster.bin", &n), E_OK);
	check_pat(&n, 1023, 3);
	assert_int_equal(path("Nested directory/deeper still/just.ovr", &n), E_OK);
	check_pat(&n, 1025, 4);
	assert_int_equal(path("big file.dat", &n), E_OK);
	check_pat(&n, 300000, 5);
	assert_int_equal(fat_op_stat(&M, &n, &st), E_OK);
	assert_int_equal(st.size, 300000);
	/* readdir: the names as mtools wrote them */
	struct fs_dirent de;
	uint64_t cookie = 0;
	int names = 0;
	assert_int_equal(path("Nested directory/deeper still", &n), E_OK);
	while (fat_op_readdir(&M, &n, &cookie, &de) == E_OK)
		names += !strcmp(de.name, "just under a cluster.bin") || !strcmp(de.name, "JUST.OVR");
	assert_int_equal(names, 2);
}

/* run op on a fresh copy, crashing at write k for every k until it
 * completes; after each crash the replay must leave a clean image */
typedef void (*op_fn)(void);
static void
crash_everywhere(op_fn prepare, op_fn op)
{
	image(40, 1);
	load();
	prepare();
	assert_int_equal(fat_op_sync(&M), E_OK);
	save();
	for (uint32_t k = 1;; k++) {
		load();
		fat_host.crash_in = k;
		if (!setjmp(fat_host.crash)) {
			op();
			fat_host.crash_in = 0;
			assert_int_equal(fat_op_sync(&M), E_OK);
			save();
			assert_int_equal(fsck_clean(), 0);
			print_message("%u crash points replayed, each image clean\n", k - 1);
			break;
		}
		fat_host.crash_in = 0;
		fat_caches_drop(&M);
		assert_int_equal(fat_replay(&M), E_OK);
		assert_int_equal(fat_op_sync(&M), E_OK);
		save();
		if (fsck_clean())
			fail_msg("not clean after a crash at write %u", k);
		assert_int_equal(sh("cp " DIR "/orig.img " DIR "/t.img"), 0);
	}
}

static void prep_file(void)
{
	struct fs_node d, f;
	assert_int_equal(fat_op_create(&M, &root, "some directory", FS_DIR, &d), E_OK);
	assert_int_equal(fat_op_create(&M, &d, "a file with a long name", FS_FILE, &f), E_OK);
	write_pat(&f, 0, 1500, 1, 1500);
	assert_int_equal(fat_op_create(&M, &root, "empty", FS_FILE, &f), E_OK);
	assert_int_equal(fat_op_create(&M, &root, "target directory", FS_DIR, &f), E_OK);
	for (int i = 0; i < 20; i++) {             /* a directory needing a second cluster */
		char nm[64];
		snprintf(nm, sizeof(nm), "filler name number %d", i);
		assert_int_equal(fat_op_create(&M, &d, nm, FS_FILE, &f), E_OK);
	}
	assert_int_equal(fat_op_sync(&M), E_OK);
	save();
	assert_int_equal(sh("cp " DIR "/t.img " DIR "/orig.img"), 0);
}
static void op_extend(void)
{
	struct fs_node f;
	assert_int_equal(path("some directory/a file with a long name", &f), E_OK);
	write_pat(&f, 1000, 5000, 1, 5000);
}
static void op_extend_empty(void)
{
	struct fs_node f;
	assert_int_equal(path("empty", &f), E_OK);
	write_pat(&f, 100, 3000, 1, 3000);
}
static void op_truncate(void)
{
	struct fs_node f;
	assert_int_equal(path("some directory/a file with a long name", &f), E_OK);
	assert_int_equal(fat_file_truncate(&M, &f, 10), E_OK);
}
static void op_mkdir(void)
{
	struct fs_node d, n;
	assert_int_equal(path("some directory", &d), E_OK);
	assert_int_equal(fat_op_create(&M, &d, "a new directory whose name needs three LFN slots!", FS_DIR, &n), E_OK);
}
static void op_remove(void)
{
	struct fs_node d;
	assert_int_equal(path("some directory", &d), E_OK);
	assert_int_equal(fat_op_remove(&M, &d, "a file with a long name"), E_OK);
}
static void op_rename(void)
{
	struct fs_node d;
	assert_int_equal(path("some directory", &d), E_OK);
	assert_int_equal(fat_op_rename(&M, &root, "some directory", &root, "renamed directory, long"), E_OK);
	assert_int_equal(path("renamed directory, long", &d), E_OK);
	assert_int_equal(fat_op_rename(&M, &d, "a file with a long name", &root, "moved up"), E_OK);
	struct fs_node t, back;
	assert_int_equal(path("target directory", &t), E_OK);
	assert_int_equal(fat_op_rename(&M, &root, "renamed directory, long", &t, "nested now"), E_OK);
	assert_int_equal(path("target directory/nested now/..", &back), E_OK);
	assert_int_equal(back.id, t.id);
}
static void crash_extend(void **s) { (void)s; crash_everywhere(prep_file, op_extend); }
static void crash_extend_empty(void **s) { (void)s; crash_everywhere(prep_file, op_extend_empty); }
static void crash_truncate(void **s) { (void)s; crash_everywhere(prep_file, op_truncate); }
static void crash_mkdir(void **s) { (void)s; crash_everywhere(prep_file, op_mkdir); }
static void crash_remove(void **s) { (void)s; crash_everywhere(prep_file, op_remove); }
static void crash_rename(void **s) { (void)s; crash_everywhere(prep_file, op_rename); }

/* hand-made corruptions */
static uint32_t g_first; /* the test file's first cluster */
static void
corrupt_setup(void)
{
	image(4, 1);
	load();
	struct fs_node f, d;
	assert_int_equal(fat_op_create(&M, &root, "victim file", FS_FILE, &f), E_OK);
	write_pat(&f, 0, 3000, 9, 3000);
	assert_int_equal(fat_op_create(&M, &root, "victim dir", FS_DIR, &d), E_OK);
	g_first = (uint32_t)f.id;
}

static int
read_victim(void)
{
	struct fs_node f;
	int err = path("victim file", &f);
	if (err)
		return err;
	uint8_t b[4000];
	size_t done;
	err = fat_file_rw(&M, &f, 0, b, sizeof(b), &done);
	if (err)
		return err;
	return fat_file_write(&M, &f, 3000, b, 4000, &done);
}

static void
corrupt_chains(void **s)
{
	(void)s;
	corrupt_setup();
	assert_int_equal(fat_set(&M, g_first + 2, g_first), E_OK); /* a loop */
	assert_int_equal(read_victim(), E_CORRUPT);
	corrupt_setup();
	assert_int_equal(fat_set(&M, g_first + 1, 0x0FFFFF00), E_OK); /* out of range */
	assert_int_equal(read_victim(), E_CORRUPT);
	corrupt_setup();
	assert_int_equal(fat_set(&M, g_first + 1, 0), E_OK);   /* free inside */
	assert_int_equal(read_victim(), E_CORRUPT);
	corrupt_setup();
	assert_int_equal(fat_set(&M, g_first + 1, FAT_MASK), E_OK); /* size beyond the chain */
	assert_int_equal(read_victim(), E_CORRUPT);
	/* a looping root directory chain: refused at mount */
	corrupt_setup();
	assert_int_equal(fat_set(&M, M.g.root, M.g.root), E_OK);
	save();
	struct fat_mnt m2 = { 0 };
	struct fs_node r;
	assert_int_equal(fat_mount_core(&m2, fat_host.sectors, &r), E_CORRUPT);
}

static void
corrupt_dirs(void **s)
{
	(void)s;
	corrupt_setup();
	struct fs_node d, n;
	struct fat_found f;
	assert_int_equal(fat_dir_find(&M, M.g.root, "victim dir", &f), E_OK);
	/* the directory's entry names the root: a cycle */
	fat_ent_set_first(f.ent, M.g.root);
	assert_int_equal(fat_dir_entry(&M, M.g.root, f.idx, true, f.ent), E_OK);
	assert_int_equal(path("victim dir", &d), E_CORRUPT);
	/* a bad LFN checksum: the entry goes by its short name */
	corrupt_setup();
	assert_int_equal(fat_dir_find(&M, M.g.root, "victim file", &f), E_OK);
	uint8_t lfn[32];
	assert_int_equal(fat_dir_entry(&M, M.g.root, f.idx - 1, false, lfn), E_OK);
	lfn[13] ^= 0x55;
	assert_int_equal(fat_dir_entry(&M, M.g.root, f.idx - 1, true, lfn), E_OK);
	assert_int_equal(path("victim file", &n), E_NOENT);
	assert_int_equal(path(f.sname, &n), E_OK);
	/* out-of-sequence ordinals, likewise */
	corrupt_setup();
	assert_int_equal(fat_dir_entry(&M, M.g.root, f.idx - 1, false, lfn), E_OK);
	lfn[0] = 0x45;
	assert_int_equal(fat_dir_entry(&M, M.g.root, f.idx - 1, true, lfn), E_OK);
	assert_int_equal(path("victim file", &n), E_NOENT);
	/* a ".." loop: renaming a directory walks up and stops */
	corrupt_setup();
	struct fs_node a, b;
	assert_int_equal(path("victim dir", &d), E_OK);
	assert_int_equal(fat_op_create(&M, &d, "a", FS_DIR, &a), E_OK);
	assert_int_equal(fat_op_create(&M, &a, "b", FS_DIR, &b), E_OK);
	uint8_t e[32];
	assert_int_equal(fat_dir_entry(&M, (uint32_t)d.id, 1, false, e), E_OK);
	fat_ent_set_first(e, (uint32_t)b.id);                 /* d's parent is b */
	assert_int_equal(fat_dir_entry(&M, (uint32_t)d.id, 1, true, e), E_OK);
	assert_int_equal(fat_op_create(&M, &root, "x", FS_DIR, &n), E_OK);
	assert_int_equal(fat_op_rename(&M, &root, "x", &b, "x"), E_CORRUPT);
}

static void
corrupt_bpb(void **s)
{
	(void)s;
	image(4, 1);
	load();
	uint8_t sec[512];
	struct fat_geom g;
	struct { int off, val, err; } cases[] = {
		{ 510, 0, E_CORRUPT }, { 12, 0, E_CORRUPT }, { 12, 16, E_NOTSUP }, { 13, 3, E_CORRUPT },
		{ 13, 0, E_CORRUPT }, { 14, 0, E_CORRUPT }, { 16, 0, E_CORRUPT }, { 16, 9, E_CORRUPT },
		{ 22, 9, E_CORRUPT }, { 36, 1, E_CORRUPT }, { 44, 0, E_CORRUPT }, { 47, 0x7F, E_CORRUPT },
		{ 40, 0x80, E_NOTSUP }, { 20, 0x7F, E_CORRUPT }, { 17, 1, E_CORRUPT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(sec, fat_host.img, 512);
		sec[cases[i].off] = (uint8_t)cases[i].val;
		if (cases[i].off == 12)
			sec[11] = 0;            /* 4096-byte sectors */
		if (fat_bpb_parse(sec, fat_host.sectors, &g) != cases[i].err)
			fail_msg("case %zu (byte %d = %#x)", i, cases[i].off, cases[i].val);
	}
	memcpy(sec, fat_host.img, 512);
	assert_int_equal(fat_bpb_parse(sec, fat_host.sectors, &g), E_OK);
	assert_int_equal(fat_bpb_parse(sec, fat_host.sectors / 2, &g), E_CORRUPT); /* larger than the disk */
}

static void
names(void **s)
{
	(void)s;
	const char *bad[] = { "", ".", "..", "a/b", "a:b", "trailing.", "trailing ", "ctl\x01", "\xff\xfe" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(fat_name_check(bad[i]), E_OK);
	char lng[300];
	memset(lng, 'x', 256);
	lng[256] = 0;
	assert_int_equal(fat_name_check(lng), E_NAMETOOLONG);
	lng[255] = 0;
	assert_int_equal(fat_name_check(lng), E_OK);
	image(4, 1);
	load();
	struct fs_node n;
	assert_int_equal(fat_op_create(&M, &root, lng, FS_FILE, &n), E_OK);   /* 20 LFN slots */
	assert_int_equal(path(lng, &n), E_OK);
	uint8_t e[32];
	uint32_t ns;
	assert_int_equal(fat_short_name(&M, M.g.root, "UPPER.TXT", e, &ns), E_OK);
	assert_int_equal(ns, 1);
	assert_memory_equal(e, "UPPER   TXT", 11);
	assert_int_equal(fat_short_name(&M, M.g.root, "lower.txt", e, &ns), E_OK);
	assert_int_equal(ns, 2);
	assert_memory_equal(e, "LOWER   TXT", 11);
	assert_int_equal(fat_short_name(&M, M.g.root, "Long File Name.html", e, &ns), E_OK);
	assert_memory_equal(e, "LONGFI~1HTM", 11);
	assert_int_equal(fat_lfn_sum((const uint8_t *)"LONGFI~1HTM"), fat_lfn_sum(e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ours_read_by_mtools_and_fsck_clean),
		cmocka_unit_test(theirs_read_by_us),
		cmocka_unit_test(crash_extend),
		cmocka_unit_test(crash_extend_empty),
		cmocka_unit_test(crash_truncate),
		cmocka_unit_test(crash_mkdir),
		cmocka_unit_test(crash_remove),
		cmocka_unit_test(crash_rename),
		cmocka_unit_test(corrupt_chains),
		cmocka_unit_test(corrupt_dirs),
		cmocka_unit_test(corrupt_bpb),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
