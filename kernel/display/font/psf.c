/*
 * psf.c: PSF1/PSF2 parsing. The Unicode table maps code points to glyphs;
 * only ASCII is looked up (the terminal draws ASCII; others as '?').
 */
#include "font.h"
#include "klibc.h"

#define PSF1_MAGIC 0x0436
#define PSF1_MODE512 0x01
#define PSF1_MODEHASTAB 0x02
#define PSF2_MAGIC 0x864ab572u
#define PSF2_HAS_UNICODE_TABLE 0x01

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void
map(struct font *f, uint32_t cp, uint32_t glyph, bool *seen)
{
	if (cp < 128 && !seen[cp]) {
		f->ascii[cp] = (uint16_t)glyph;
		seen[cp] = true;
	}
}

/* PSF1: per glyph, u16 code points up to 0xFFFF; 0xFFFE starts sequences */
static int
table1(struct font *f, const uint8_t *t, size_t n, bool *seen)
{
	uint32_t g = 0;
	bool seq = false;
	for (size_t i = 0; i + 2 <= n && g < f->nglyphs; i += 2) {
		uint16_t v = (uint16_t)(t[i] | t[i + 1] << 8);
		if (v == 0xFFFF) {
			g++;
			seq = false;
		} else if (v == 0xFFFE) {
			seq = true;
		} else if (!seq) {
			map(f, v, g, seen);
		}
	}
	return g == f->nglyphs ? E_OK : E_FORMAT;
}

/* PSF2: per glyph, UTF-8 characters up to 0xFF; 0xFE starts sequences
 * (only single-byte characters matter for ASCII) */
static int
table2(struct font *f, const uint8_t *t, size_t n, bool *seen)
{
	uint32_t g = 0;
	bool seq = false;
	for (size_t i = 0; i < n && g < f->nglyphs; i++) {
		if (t[i] == 0xFF) {
			g++;
			seq = false;
		} else if (t[i] == 0xFE) {
			seq = true;
		} else if (!seq && t[i] < 0x80) {
			map(f, t[i], g, seen);
		}
	}
	return g == f->nglyphs ? E_OK : E_FORMAT;
}

int
font_parse(const uint8_t *d, size_t len, struct font *out)
{
	struct font f = { 0 };
	size_t hdr;
	bool table;
	if (len >= 4 && (d[0] | d[1] << 8) == PSF1_MAGIC) {
		hdr = 4;
		f.width = 8;
		f.height = d[3];
		f.nglyphs = (d[2] & PSF1_MODE512) ? 512 : 256;
		table = d[2] & PSF1_MODEHASTAB;
		f.glyph_bytes = f.height;
	} else if (len >= 32 && rd32(d) == PSF2_MAGIC) {
		hdr = rd32(d + 8);
		table = rd32(d + 12) & PSF2_HAS_UNICODE_TABLE;
		f.nglyphs = rd32(d + 16);
		f.glyph_bytes = rd32(d + 20);
		f.height = rd32(d + 24);
		f.width = rd32(d + 28);
		if (hdr < 32 || hdr > len || f.width == 0 || f.width > 64 || f.nglyphs == 0 || f.nglyphs > 65536)
			return E_FORMAT;
	} else {
		return E_FORMAT;
	}
	f.row_bytes = (f.width + 7) / 8;
	if (f.height == 0 || f.height > 64 || f.glyph_bytes != f.row_bytes * f.height)
		return E_FORMAT;
	size_t glyphs = (size_t)f.nglyphs * f.glyph_bytes;
	if (glyphs > len - hdr)
		return E_FORMAT;
	f.glyphs = d + hdr;
	bool seen[128] = { false };
	if (table) {
		const uint8_t *t = d + hdr + glyphs;
		size_t n = len - hdr - glyphs;
		int err = d[0] == 0x36 ? table1(&f, t, n, seen) : table2(&f, t, n, seen);
		if (err)
			return err;
		f.unicode = true;
	} else {
		for (uint32_t c = 0; c < 128 && c < f.nglyphs; c++)
			map(&f, c, c, seen);
	}
	uint16_t unknown = seen['?'] ? f.ascii['?'] : 0;
	for (unsigned c = 0; c < 128; c++)
		if (!seen[c])
			f.ascii[c] = unknown;
	*out = f;
	return E_OK;
}
