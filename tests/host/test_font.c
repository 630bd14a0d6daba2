/*
 * Host unit tests for kernel/display/font/psf.c: the real console font
 * the build fetched (build/font/console.psf, Terminus from Debian's
 * console-setup-linux), a PSF2 font built here, and malformed files
 * (every size checked against the bytes given; ASan watches).
 *
 * HOST_TEST_SOURCES: kernel/display/font/psf.c libs/base/err.c
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
#include "../../kernel/display/font/font.h"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *b = malloc(1 << 20);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* parse from an exact-size heap copy, so ASan sees any read past len */
static int
parse(const uint8_t *d, size_t len, struct font *f)
{
	uint8_t *c = malloc(len ? len : 1);
	memcpy(c, d, len);
	int err = font_parse(c, len, f);
	if (!err)
		f->glyphs = NULL; /* points into c */
	free(c);
	return err;
}

static int
ink(const struct font *f, unsigned char c)
{
	int n = 0;
	for (uint32_t y = 0; y < f->height; y++)
		n += __builtin_popcount(*font_row(f, c, y));
	return n;
}

static void
test_console_font(void **state)
{
	(void)state;
	size_t len;
	uint8_t *d = slurp("build/font/console.psf", &len);
	if (!d)
		fail_msg("build/font/console.psf is missing: run make first (tools/fetch-font.sh)");
	struct font f;
	assert_int_equal(font_parse(d, len, &f), E_OK);
	assert_int_equal(f.width, 8);
	assert_int_equal(f.height, 16);
	assert_int_equal(f.nglyphs, 256);
	assert_true(f.unicode);
	assert_int_equal(ink(&f, ' '), 0);
	for (unsigned char c = '!'; c < 0x7f; c++)
		assert_true(ink(&f, c) > 0);
	/* distinct characters, distinct glyphs (the screen can be read back) */
	for (unsigned char a = ' '; a < 0x7f; a++)
		for (unsigned char b = a + 1; b < 0x7f; b++)
			assert_true(f.ascii[a] != f.ascii[b]);
	/* every truncation is refused, none read past the end */
	for (size_t n = 0; n < len; n += (n < 64 ? 1 : 97)) {
		struct font g;
		assert_int_equal(parse(d, n, &g), E_FORMAT);
	}
	/* random corruption: accepted or refused, never out of bounds */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		uint8_t *c = malloc(len);
		memcpy(c, d, len);
		for (int k = 0; k < 4; k++)
			c[rand() % (rand() % 2 ? 8 : len)] = (uint8_t)rand();
		struct font g;
		if (font_parse(c, len, &g) == E_OK)
			for (unsigned ch = 0; ch < 128; ch++)
				assert_true(g.ascii[ch] < g.nglyphs);
		free(c);
	}
	free(d);
}

/* a PSF2 font of 3 glyphs, 12 pixels wide (2 bytes a row), 4 high:
 * glyph 0 blank, 1 for 'A' and 'a', 2 for 'B' (and a sequence entry) */
static size_t
psf2(uint8_t *b, uint32_t flags)
{
	uint32_t h[8] = { 0x864ab572u, 0, 32, flags, 3, 8, 4, 12 };
	memcpy(b, h, 32);
	memset(b + 32, 0, 24);
	memset(b + 32 + 8, 0xff, 8);
	memset(b + 32 + 16, 0x0f, 8);
	size_t n = 56;
	if (flags) {
		const uint8_t t[] = { 0xff, 'A', 'a', 0xff, 'B', 0xfe, 'x', 'y', 0xff };
		memcpy(b + n, t, sizeof(t));
		n += sizeof(t);
	}
	return n;
}

static void
test_psf2(void **state)
{
	(void)state;
	uint8_t b[128];
	struct font f;
	size_t n = psf2(b, 1);
	assert_int_equal(font_parse(b, n, &f), E_OK);
	assert_int_equal(f.width, 12);
	assert_int_equal(f.row_bytes, 2);
	assert_int_equal(f.ascii['A'], 1);
	assert_int_equal(f.ascii['a'], 1);
	assert_int_equal(f.ascii['B'], 2);
	assert_int_equal(f.ascii['x'], 0); /* only in a sequence: not mapped */
	/* no table: glyph index = character code (3 glyphs: 'A' has none) */
	n = psf2(b, 0);
	assert_int_equal(font_parse(b, n, &f), E_OK);
	assert_int_equal(f.ascii[2], 2);
	assert_int_equal(f.ascii['A'], 0);
	/* a table that names fewer glyphs than the font has */
	n = psf2(b, 1);
	assert_int_equal(parse(b, n - 1, &f), E_FORMAT);
	/* glyph size that does not match width x height */
	n = psf2(b, 1);
	b[20] = 9;
	assert_int_equal(parse(b, n, &f), E_FORMAT);
	/* header size past the end; a bad magic */
	n = psf2(b, 1);
	b[8] = 200;
	assert_int_equal(parse(b, n, &f), E_FORMAT);
	n = psf2(b, 1);
	b[0] ^= 1;
	assert_int_equal(parse(b, n, &f), E_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_font),
		cmocka_unit_test(test_psf2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
