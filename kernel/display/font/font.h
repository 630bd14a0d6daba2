/*
 * font: the console font the framebuffer terminal draws with, a PSF
 * (PC Screen Font, version 1 or 2) from Debian's console-setup-linux
 * (Terminus 8x16), fetched and checked at build time (tools/fetch-font.sh)
 * and embedded in this cell's rodata (font_data.S), and its parser.
 * The parser is pure logic, also built and tested on the host.
 * State: the parsed console font (derived from the embedded bytes).
 */
#ifndef FONT_H
#define FONT_H

#include "base.h"

struct font {
	uint32_t width, height;     /* pixels */
	uint32_t row_bytes;         /* bytes per glyph row: (width + 7) / 8 */
	uint32_t glyph_bytes, nglyphs;
	const uint8_t *glyphs;      /* nglyphs * glyph_bytes, MSB = leftmost pixel */
	uint16_t ascii[128];        /* the glyph drawn for each ASCII character */
	bool unicode;               /* the file maps characters to glyphs (else index = code) */
};

/* parse a PSF1 or PSF2 file of len bytes (not copied: glyphs points into
 * it). E_FORMAT names nothing; every size is checked against len. A
 * character the font has no glyph for is drawn as '?' (or glyph 0). */
int font_parse(const uint8_t *data, size_t len, struct font *out) __must_check;
/* the embedded console font, parsed on first use; NULL if it is malformed */
const struct font *font_console(void);
/* the bits of glyph row y of character c */
static inline const uint8_t *
font_row(const struct font *f, unsigned char c, uint32_t y)
{
	return f->glyphs + (size_t)f->ascii[c & 0x7f] * f->glyph_bytes + (size_t)y * f->row_bytes;
}

#endif
