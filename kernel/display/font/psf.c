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

struct psf2_header {
	uint32_t magic, version, header_size, flags, nglyphs, glyph_bytes, height, width;
};

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
	struct psf2_header h = { 0 };
	if (len >= sizeof(h))
		memcpy(&h, d, sizeof(h));
	if (len >= 4 && (d[0] | d[1] << 8) == PSF1_MAGIC) {
		hdr = 4;
		f.width = 8;
		f.height = d[3];
		f.nglyphs = (d[2] & PSF1_MODE512) ? 512 : 256;
		table = d[2] & PSF1_MODEHASTAB;
		f.glyph_bytes = f.height;
	} else if (h.magic == PSF2_MAGIC) {
		hdr = h.header_size;
		table = h.flags & PSF2_HAS_UNICODE_TABLE;
		f.nglyphs = h.nglyphs;
		f.glyph_bytes = h.glyph_bytes;
		f.height = h.height;
		f.width = h.width;
		if (hdr < sizeof(h) || hdr > len || f.width == 0 || f.width > 64 || f.nglyphs == 0 || f.nglyphs > 65536)
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
