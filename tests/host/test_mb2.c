/*
 * Host unit tests for kernel/arch/multiboot2 (the boot information parser).
 * Every info buffer is built here byte by byte per the multiboot2 spec and
 * handed to the parser in a heap block of exactly `avail` bytes, so ASan
 * reports any read past what the parser was told it may read.
 *
 * HOST_TEST_SOURCES: kernel/arch/multiboot2/mb2.c libs/base/err.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base.h"
#include "multiboot2.h"

/* ---- a multiboot2 info builder ------------------------------------- */

struct mb {
	uint8_t b[64 * 1024];
	size_t len;
};

static struct mb M;
static struct boot_info BI;

static void
put32(size_t off, uint32_t v)
{
	memcpy(&M.b[off], &v, 4);
}

static void
mb_begin(void)
{
	memset(&M, 0, sizeof(M));
	M.len = 8; /* total_size, reserved */
}

/* append a tag with `n` payload bytes; returns the tag's offset */
static size_t
mb_tag(uint32_t type, const void *payload, size_t n)
{
	size_t off = M.len;

	assert_true(off + 8 + n + 8 <= sizeof(M.b));
	put32(off, type);
	put32(off + 4, (uint32_t)(8 + n));
	if (n)
		memcpy(&M.b[off + 8], payload, n);
	M.len = (off + 8 + n + 7) & ~(size_t)7;
	return off;
}

static size_t
mb_str(uint32_t type, const char *s)
{
	return mb_tag(type, s, strlen(s) + 1);
}

static size_t
mb_module(uint32_t start, uint32_t end, const char *name)
{
	uint8_t p[8 + MB2_NAME_MAX + 8];
	size_t n = strlen(name) + 1;

	assert_true(8 + n <= sizeof(p));
	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, name, n);
	return mb_tag(3, p, 8 + n);
}

struct ent {
	uint64_t base, len;
	uint32_t type;
};

/* memory map tag with entries of `esz` bytes (24 per the spec) */
static size_t
mb_mmap(uint32_t esz, const struct ent *e, size_t n)
{
	uint8_t p[8 + 64 * 48];

	assert_true(esz >= 24 && 8 + n * esz <= sizeof(p));
	memset(p, 0xEE, sizeof(p)); /* padding/reserved bytes are garbage */
	memcpy(p, &esz, 4);
	memset(p + 4, 0, 4); /* entry_version */
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = p + 8 + i * esz;
		memcpy(q, &e[i].base, 8);
		memcpy(q + 8, &e[i].len, 8);
		memcpy(q + 16, &e[i].type, 4);
		memset(q + 20, 0, 4);
	}
	return mb_tag(6, p, 8 + n * esz);
}

/* end tag, then total_size */
static void
mb_end(void)
{
	mb_tag(0, NULL, 0);
	put32(0, (uint32_t)M.len);
}

/* parse the first `avail` bytes from an exact-size heap copy */
static int
parse_avail(size_t avail)
{
	uint8_t *copy = malloc(avail ? avail : 1);

	assert_non_null(copy);
	memcpy(copy, M.b, avail);
	int err = mb2_parse(copy, avail, 0x10000, &BI);
	free(copy);
	return err;
}

static int
parse(void)
{
	return parse_avail(M.len);
}

static const struct ent std_mmap[5] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x9fc00, 0x400, MB2_MEM_RESERVED },
	{ 0xf0000, 0x10000, MB2_MEM_RESERVED },
	{ 0x100000, 0x1fee0000, MB2_MEM_AVAILABLE },
	{ 0xfffc0000ULL, 0x40000, MB2_MEM_ACPI_RECLAIMABLE },
};

static uint8_t rsdp_v1[20], rsdp_v2[36];

static int
setup(void **state)
{
	(void)state;
	memcpy(rsdp_v1, "RSD PTR ", 8);
	for (int i = 8; i < 20; i++)
		rsdp_v1[i] = (uint8_t)(0x10 + i);
	memcpy(rsdp_v2, "RSD PTR ", 8);
	for (int i = 8; i < 36; i++)
		rsdp_v2[i] = (uint8_t)(0x80 + i);
	memset(&BI, 0x5A, sizeof(BI));
	mb_begin();
	return 0;
}

/* a realistic info as GRUB would pass it */
static void
build_valid(void)
{
	mb_str(1, "ktest loglevel=debug  bench=mem");
	mb_str(2, "GRUB 2.06");
	uint32_t basic[2] = { 639, 523264 };
	mb_tag(4, basic, sizeof(basic)); /* basic meminfo: ignored */
	mb_module(0x200000, 0x201234, "/boot/cells/serial.o");
	mb_module(0x202000, 0x202001, "heap");
	mb_module(0x300000, 0x300000, ""); /* empty module, empty name */
	mb_mmap(24, std_mmap, 5);
	mb_tag(14, rsdp_v1, sizeof(rsdp_v1));
	mb_end();
}

/* ---- tests ---------------------------------------------------------- */

static void
test_parse_valid(void **state)
{
	(void)state;
	build_valid();
	assert_int_equal(parse(), E_OK);

	assert_int_equal(BI.info_phys, 0x10000);
	assert_int_equal(BI.info_size, M.len);
	assert_string_equal(BI.cmdline, "ktest loglevel=debug  bench=mem");
	assert_string_equal(BI.loader, "GRUB 2.06");

	assert_int_equal(BI.nmodules, 3);
	assert_int_equal(BI.modules[0].start, 0x200000);
	assert_int_equal(BI.modules[0].end, 0x201234);
	assert_string_equal(BI.modules[0].name, "/boot/cells/serial.o");
	assert_int_equal(BI.modules[1].start, 0x202000);
	assert_int_equal(BI.modules[1].end, 0x202001);
	assert_string_equal(BI.modules[1].name, "heap");
	assert_int_equal(BI.modules[2].start, 0x300000);
	assert_int_equal(BI.modules[2].end, 0x300000);
	assert_string_equal(BI.modules[2].name, "");

	assert_int_equal(BI.nmmap, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(BI.mmap[i].base, std_mmap[i].base);
		assert_int_equal(BI.mmap[i].len, std_mmap[i].len);
		assert_int_equal(BI.mmap[i].type, std_mmap[i].type);
	}
	assert_int_equal(BI.rsdp_len, 20);
	assert_memory_equal(BI.rsdp, rsdp_v1, 20);

	/* bytes after total_size are not part of the info */
	assert_int_equal(parse_avail(M.len), E_OK);
	M.b[M.len] = 0xFF;
	uint8_t *big = malloc(M.len + 64);
	memcpy(big, M.b, M.len + 64);
	assert_int_equal(mb2_parse(big, M.len + 64, 0, &BI), E_OK);
	free(big);
	assert_int_equal(BI.nmodules, 3);
}

static void
test_rsdp_v2_preferred(void **state)
{
	(void)state;
	/* new after old: the v2 copy wins */
	mb_tag(14, rsdp_v1, sizeof(rsdp_v1));
	mb_tag(15, rsdp_v2, sizeof(rsdp_v2));
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, rsdp_v2, 36);

	/* old after new: still the v2 copy */
	mb_begin();
	mb_tag(15, rsdp_v2, sizeof(rsdp_v2));
	mb_tag(14, rsdp_v1, sizeof(rsdp_v1));
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, rsdp_v2, 36);

	/* an over-long tag is clipped to the 36 bytes we keep */
	uint8_t longer[48];
	memset(longer, 0x33, sizeof(longer));
	mb_begin();
	mb_tag(15, longer, sizeof(longer));
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, longer, 36);
}

static void
test_truncated(void **state)
{
	(void)state;
	build_valid();
	/* every avail shorter than total_size */
	for (size_t avail = 0; avail < M.len; avail++)
		if (parse_avail(avail) != E_FORMAT)
			fail_msg("avail %zu of %zu: not E_FORMAT", avail, M.len);
	assert_int_equal(parse_avail(M.len), E_OK);

	/* total_size too small to hold even the end tag */
	mb_begin();
	mb_end();
	assert_int_equal(parse(), E_OK); /* 16 bytes: the minimum */
	put32(0, 8);
	assert_int_equal(parse(), E_FORMAT);
	put32(0, 0);
	assert_int_equal(parse(), E_FORMAT);
}

static void
test_bad_tag_size(void **state)
{
	(void)state;
	mb_str(1, "x");
	size_t t = mb_str(2, "loader");
	mb_end();
	assert_int_equal(parse(), E_OK);

	for (uint32_t sz = 0; sz < 8; sz++) {
		put32(t + 4, sz);
		if (parse() != E_FORMAT)
			fail_msg("tag size %u accepted", sz);
	}
	/* running past total_size (by a little and by a lot) */
	put32(t + 4, (uint32_t)(M.len - t + 1));
	assert_int_equal(parse(), E_FORMAT);
	put32(t + 4, 0xFFFFFFF0u);
	assert_int_equal(parse(), E_FORMAT);
	/* exactly up to total_size is fine for the tag, but then there is no
	 * room left for an end tag */
	put32(t + 4, (uint32_t)(M.len - t));
	assert_int_equal(parse(), E_FORMAT);
	/* end tag with a size other than 8 */
	put32(t + 4, 8 + 7);
	assert_int_equal(parse(), E_OK);
	M.len += 8;
	put32(0, (uint32_t)M.len);
	assert_int_equal(parse(), E_OK);
	put32(M.len - 12, 16); /* fits in total_size, but is no end tag */
	assert_int_equal(parse(), E_FORMAT);
}

static void
test_missing_end_tag(void **state)
{
	(void)state;
	mb_str(1, "console=ttyS0");
	mb_str(2, "GRUB");
	put32(0, (uint32_t)M.len); /* no end tag */
	assert_int_equal(parse(), E_FORMAT);

	/* trailing bytes too short for a tag header */
	M.len += 4;
	put32(0, (uint32_t)M.len);
	assert_int_equal(parse(), E_FORMAT);

	/* the end tag ends the parse: tags after it are never looked at */
	mb_begin();
	mb_str(1, "a");
	mb_end();
	put32(M.len, 1);
	put32(M.len + 4, 3); /* garbage tag of size 3 after the end */
	M.len += 8;
	put32(0, (uint32_t)M.len);
	assert_int_equal(parse(), E_OK);
	assert_string_equal(BI.cmdline, "a");
}

static void
test_unterminated_string(void **state)
{
	(void)state;
	/* cmdline: no NUL within the tag, followed by nonzero padding and
	 * a nonzero next tag so a sloppy strlen would run on */
	size_t t = mb_tag(1, "abcdefgh", 8);
	mb_tag(0x41414141, "AAAA", 4);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);

	/* the same for the loader name, with odd length */
	mb_begin();
	t = mb_tag(2, "GRUB", 4);
	memset(&M.b[t + 12], 'x', 4); /* padding */
	mb_end();
	assert_int_equal(parse(), E_FORMAT);

	/* zero-length string payload */
	mb_begin();
	mb_tag(1, NULL, 0);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);

	/* module name */
	mb_begin();
	uint8_t p[8 + 5] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0, 'm', 'o', 'd', 'u', 'l' };
	t = mb_tag(3, p, sizeof(p));
	memset(&M.b[t + 8 + sizeof(p)], 'e', 3);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);

	/* a string too long for its field is E_NOSPC, not silently cut */
	char longname[MB2_NAME_MAX + 1];
	memset(longname, 'n', MB2_NAME_MAX);
	longname[MB2_NAME_MAX] = '\0';
	mb_begin();
	mb_str(2, longname);
	mb_end();
	assert_int_equal(parse(), E_NOSPC);
	longname[MB2_NAME_MAX - 1] = '\0';
	mb_begin();
	mb_str(2, longname);
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(strlen(BI.loader), MB2_NAME_MAX - 1);
}

static void
too_many_modules(void **state)
{
	(void)state;
	char name[16];

	for (int i = 0; i < MB2_MAX_MODULES; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		mb_module(0x1000u * (uint32_t)i, 0x1000u * (uint32_t)i + 1, name);
	}
	size_t before_end = M.len;
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.nmodules, MB2_MAX_MODULES);
	assert_string_equal(BI.modules[MB2_MAX_MODULES - 1].name, "m255");
	assert_int_equal(BI.modules[MB2_MAX_MODULES - 1].start, 0x1000u * 255);

	M.len = before_end;
	mb_module(0x5000000, 0x5000001, "one too many");
	mb_end();
	assert_int_equal(parse(), E_NOSPC);
}

static void
test_bad_module(void **state)
{
	(void)state;
	mb_module(0x3000, 0x2fff, "backwards");
	mb_end();
	assert_int_equal(parse(), E_FORMAT);

	/* too short to hold start, end and a NUL */
	uint8_t p[8] = { 0, 0x10, 0, 0, 0, 0x20, 0, 0 };
	mb_begin();
	mb_tag(3, p, sizeof(p));
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
	mb_begin();
	mb_tag(3, p, 4);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
}

static void
test_mmap_entry_size(void **state)
{
	(void)state;
	/* entries larger than 24 bytes (a future version): stride by entry_size */
	mb_mmap(32, std_mmap, 5);
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.nmmap, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(BI.mmap[i].base, std_mmap[i].base);
		assert_int_equal(BI.mmap[i].len, std_mmap[i].len);
		assert_int_equal(BI.mmap[i].type, std_mmap[i].type);
	}

	/* entry_size below 24 (or 0: would loop forever) */
	static const uint32_t bad[] = { 0, 8, 16, 20, 23, 25, 28 };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		mb_begin();
		size_t t = mb_mmap(24, std_mmap, 5);
		put32(t + 8, bad[k]);
		mb_end();
		if (parse() != E_FORMAT)
			fail_msg("entry_size %u accepted", bad[k]);
	}

	/* tag too short to hold the mmap header */
	mb_begin();
	mb_tag(6, "\x18\0\0\0", 4);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);

	/* an entry that wraps around the address space */
	struct ent wrap[2] = { std_mmap[0], { 0xFFFFFFFFFFFFF000ULL, 0x2000, 1 } };
	mb_begin();
	mb_mmap(24, wrap, 2);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
}

static void
test_mmap_huge_entry_size(void **state)
{
	(void)state;
	/*
	 * An entry_size near 2^32 must not wrap `off + entry_size` and make
	 * the parser read "entries" beyond the tag (and the buffer): the tag
	 * holds no complete entry, so there are none.
	 */
	static const uint32_t huge[] = { 0xFFFFFFF8u, 0xFFFFFFF0u, 0xFFFFFFE8u, 0x80000000u };
	for (size_t k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
		mb_begin();
		size_t t = mb_mmap(24, std_mmap, 0);
		put32(t + 8, huge[k]);
		mb_end();
		int err = parse();
		if (err != E_OK || BI.nmmap != 0)
			fail_msg("entry_size %#x: err %d, %zu entries", huge[k], err, BI.nmmap);
	}
}

static void
too_many_mmap_entries(void **state)
{
	(void)state;
	/* MB2_MAX_MMAP entries spread over several tags, then one more */
	struct ent e[64];
	for (size_t i = 0; i < 64; i++)
		e[i] = (struct ent){ i << 20, 1 << 20, MB2_MEM_AVAILABLE };
	for (size_t k = 0; k < MB2_MAX_MMAP / 64; k++)
		mb_mmap(24, e, 64);
	size_t before_end = M.len;
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.nmmap, MB2_MAX_MMAP);
	M.len = before_end;
	mb_mmap(24, e, 1);
	mb_end();
	assert_int_equal(parse(), E_NOSPC);
}

static void
test_cmdline_has(void **state)
{
	(void)state;
	const char *cl = "ktest loglevel=debug  bench=mem quiet";

	assert_true(mb2_cmdline_has(cl, "ktest"));     /* first, bare */
	assert_true(mb2_cmdline_has(cl, "loglevel"));  /* key=value */
	assert_true(mb2_cmdline_has(cl, "bench"));     /* after two spaces */
	assert_true(mb2_cmdline_has(cl, "quiet"));     /* last, bare */
	assert_false(mb2_cmdline_has(cl, "ktes"));     /* prefix of a word */
	assert_false(mb2_cmdline_has(cl, "log"));      /* prefix of a key */
	assert_false(mb2_cmdline_has(cl, "debug"));    /* a value, not a key */
	assert_false(mb2_cmdline_has(cl, "mem"));
	assert_false(mb2_cmdline_has(cl, "quietly"));
	assert_false(mb2_cmdline_has(cl, "test"));     /* suffix of a word */

	assert_false(mb2_cmdline_has("ktestx", "ktest"));
	assert_false(mb2_cmdline_has("xktest", "ktest"));
	assert_false(mb2_cmdline_has("foo=ktest", "ktest"));
	assert_false(mb2_cmdline_has("ktest_all=1", "ktest"));
	assert_true(mb2_cmdline_has("ktestx ktest", "ktest"));
	assert_true(mb2_cmdline_has("ktest=", "ktest"));
	assert_true(mb2_cmdline_has("   ktest   ", "ktest"));
	assert_false(mb2_cmdline_has("", "ktest"));
	assert_false(mb2_cmdline_has("   ", "ktest"));
	assert_false(mb2_cmdline_has("kte", "ktest")); /* cmdline ends mid-key */
}

/* random corruptions of a valid info: never a read out of bounds (ASan),
 * always a defined result, and if accepted, a self-consistent boot_info */
static void
test_mutations_are_safe(void **state)
{
	(void)state;
	build_valid();
	static uint8_t orig[sizeof(M.b)];
	size_t len = M.len;
	memcpy(orig, M.b, len);
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	int accepted = 0;

	for (int iter = 0; iter < 20000; iter++) {
		memcpy(M.b, orig, len);
		int nflips = 1 + (int)(iter % 4);
		for (int k = 0; k < nflips; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			size_t pos = (size_t)(x % len);
			/* bias towards small values in header fields */
			M.b[pos] = (x >> 32) & 1 ? (uint8_t)(x >> 40) : (uint8_t)((x >> 40) & 0x1F);
		}
		int err = parse();
		if (err != E_OK && err != E_FORMAT && err != E_NOSPC)
			fail_msg("iteration %d: unexpected error %d", iter, err);
		if (err == E_OK) {
			accepted++;
			assert_true(BI.nmmap <= MB2_MAX_MMAP);
			assert_true(BI.nmodules <= MB2_MAX_MODULES);
			assert_true(BI.rsdp_len <= sizeof(BI.rsdp));
			assert_true(BI.info_size <= len);
			assert_true(memchr(BI.cmdline, 0, sizeof(BI.cmdline)) != NULL);
			assert_true(memchr(BI.loader, 0, sizeof(BI.loader)) != NULL);
			for (size_t i = 0; i < BI.nmodules; i++) {
				assert_true(BI.modules[i].start <= BI.modules[i].end);
				assert_true(memchr(BI.modules[i].name, 0, MB2_NAME_MAX) != NULL);
			}
			for (size_t i = 0; i < BI.nmmap; i++)
				assert_true(BI.mmap[i].base + BI.mmap[i].len >= BI.mmap[i].base);
		}
	}
	/* some mutations hit bytes the parser ignores */
	assert_true(accepted > 100);
}

static void
test_tables_full_nospc(void **state)
{
	too_many_modules(state);
	setup(state);
	too_many_mmap_entries(state);
}

/* a framebuffer tag (8) as GRUB writes it for an RGB mode */
static size_t
mb_fb(uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp, uint8_t type, size_t n)
{
	uint8_t p[30] = { 0 };
	memcpy(p, &addr, 8);
	memcpy(p + 8, &pitch, 4);
	memcpy(p + 12, &w, 4);
	memcpy(p + 16, &h, 4);
	p[20] = bpp;
	p[21] = type;
	/* 22-23 reserved; RGB: red 16/8, green 8/8, blue 0/8 */
	p[24] = 16, p[25] = 8, p[26] = 8, p[27] = 8, p[28] = 0, p[29] = 8;
	return mb_tag(8, p, n);
}

static void
test_framebuffer(void **state)
{
	(void)state;
	/* absent: type NONE */
	mb_str(1, "x");
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.fb.type, MB2_FB_NONE);
	/* an 800x600x32 RGB mode */
	mb_begin();
	mb_fb(0xfd000000ULL, 3200, 800, 600, 32, MB2_FB_RGB, 30);
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.fb.type, MB2_FB_RGB);
	assert_true(BI.fb.addr == 0xfd000000ULL);
	assert_int_equal(BI.fb.pitch, 3200);
	assert_int_equal(BI.fb.width, 800);
	assert_int_equal(BI.fb.height, 600);
	assert_int_equal(BI.fb.bpp, 32);
	assert_int_equal(BI.fb.red_pos, 16);
	assert_int_equal(BI.fb.green_pos, 8);
	assert_int_equal(BI.fb.blue_size, 8);
	/* EGA text, no colour fields */
	mb_begin();
	mb_fb(0xb8000, 160, 80, 25, 16, MB2_FB_EGA_TEXT, 24);
	mb_end();
	assert_int_equal(parse(), E_OK);
	assert_int_equal(BI.fb.type, MB2_FB_EGA_TEXT);
	/* RGB without its colour fields, a pitch shorter than a line, a
	 * mode whose end wraps the address space, an unknown type */
	mb_begin();
	mb_fb(0xfd000000ULL, 3200, 800, 600, 32, MB2_FB_RGB, 24);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
	mb_begin();
	mb_fb(0xfd000000ULL, 3199, 800, 600, 32, MB2_FB_RGB, 30);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
	mb_begin();
	mb_fb(~0ULL - 4096, 3200, 800, 600, 32, MB2_FB_RGB, 30);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
	mb_begin();
	mb_fb(0xfd000000ULL, 3200, 800, 600, 32, 3, 30);
	mb_end();
	assert_int_equal(parse(), E_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_valid, setup),
		cmocka_unit_test_setup(test_rsdp_v2_preferred, setup),
		cmocka_unit_test_setup(test_truncated, setup),
		cmocka_unit_test_setup(test_bad_tag_size, setup),
		cmocka_unit_test_setup(test_missing_end_tag, setup),
		cmocka_unit_test_setup(test_unterminated_string, setup),
		cmocka_unit_test_setup(test_tables_full_nospc, setup),
		cmocka_unit_test_setup(test_bad_module, setup),
		cmocka_unit_test_setup(test_mmap_entry_size, setup),
		cmocka_unit_test_setup(test_mmap_huge_entry_size, setup),
		cmocka_unit_test_setup(test_cmdline_has, setup),
		cmocka_unit_test_setup(test_framebuffer, setup),
		cmocka_unit_test_setup(test_mutations_are_safe, setup),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
