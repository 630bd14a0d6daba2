/*
 * draw.c: pixels. Glyphs are drawn cell by cell straight into the
 * framebuffer (no shadow copy: reading video memory back is what makes
 * framebuffer consoles slow); 32-, 24- and 16-bit RGB modes. For 8-pixel
 * wide fonts each of the 256 bit patterns of a glyph row is expanded once
 * into its pixels (normal and inverted), so a glyph row is a copy of 16
 * to 32 bytes instead of eight packed pixels.
 * State: the expansion tables (derived from the colours and the mode;
 * rebuilt by a new copy of the cell before its first frame).
 */
#include "fbterm_int.h"
#include "klibc.h"
#include "tsc.h"

struct screen screen CELL_CARRY(screen);

uint32_t
draw_pack(uint8_t r, uint8_t g, uint8_t b, const struct mb2_framebuffer *fb)
{
	return (uint32_t)(r >> (8 - fb->red_size)) << fb->red_pos |
	       (uint32_t)(g >> (8 - fb->green_size)) << fb->green_pos |
	       (uint32_t)(b >> (8 - fb->blue_size)) << fb->blue_pos;
}

static inline void
pixel(uint8_t *p, uint32_t v)
{
	switch (screen.bpp) {
	case 32:
		*(volatile uint32_t *)p = v;
		break;
	case 24:
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
		p[2] = (uint8_t)(v >> 16);
		break;
	default:
		*(volatile uint16_t *)p = (uint16_t)v;
		break;
	}
}

#define ROW_MAX 32 /* 8 pixels of 4 bytes */
static uint64_t expand[2][256][ROW_MAX / 8];
static bool expanded;

static void
build_expansion(void)
{
	uint32_t bytes = screen.bpp / 8;
	for (unsigned inv = 0; inv < 2; inv++)
		for (unsigned bits = 0; bits < 256; bits++)
			for (unsigned x = 0; x < 8; x++) {
				bool on = (bits & (0x80 >> x)) != !!inv;
				pixel((uint8_t *)expand[inv][bits] + x * bytes, on ? screen.fg : screen.bg);
			}
	expanded = true;
}

static void
glyph(const struct font *f, uint32_t row, uint32_t col, uint8_t c, bool inverse)
{
	uint32_t bytes = screen.bpp / 8;
	if (f->width == 8) { /* 8 pixels are 2-4 aligned words (pitch: a multiple of 8 here) */
		uint8_t *line = screen.px + (size_t)row * f->height * screen.pitch + (size_t)col * 8 * bytes;
		for (uint32_t y = 0; y < f->height; y++, line += screen.pitch) {
			const uint64_t *src = expand[inverse][*font_row(f, c, y)];
			for (uint32_t w = 0; w < bytes; w++)
				((volatile uint64_t *)line)[w] = src[w];
		}
		return;
	}
	uint32_t fg = inverse ? screen.bg : screen.fg, bg = inverse ? screen.fg : screen.bg;
	uint8_t *line = screen.px + (size_t)row * f->height * screen.pitch + (size_t)col * f->width * bytes;
	for (uint32_t y = 0; y < f->height; y++, line += screen.pitch) {
		const uint8_t *bits = font_row(f, c, y);
		uint8_t *p = line;
		for (uint32_t x = 0; x < f->width; x++, p += bytes)
			pixel(p, (bits[x / 8] & (0x80 >> (x % 8))) ? fg : bg);
	}
}

static void
draw_row(const struct font *f, uint32_t row)
{
	const uint8_t *text = term.text[(term.top + row) % term.rows];
	for (uint32_t c = 0; c < term.cols; c++)
		glyph(f, row, c, text[c], row == term.row && c == term.col);
}

void
draw_clear(void)
{
	uint32_t bytes = screen.bpp / 8;
	if (!expanded)
		build_expansion();
	/* eight background pixels at a time (a blank glyph row), the rest one by one */
	const uint64_t *blank = expand[0][0];
	for (uint32_t y = 0; y < screen.height; y++) {
		uint8_t *line = screen.px + (size_t)y * screen.pitch;
		uint32_t x = 0;
		for (; x + 8 <= screen.width; x += 8)
			for (uint32_t w = 0; w < bytes; w++)
				((volatile uint64_t *)(line + (size_t)x * bytes))[w] = blank[w];
		for (; x < screen.width; x++)
			pixel(line + (size_t)x * bytes, screen.bg);
	}
}

/* A scroll (full) redraws every row; else the rows marked dirty and the
 * row the cursor left. A flag is cleared before its row is drawn, so a
 * write meanwhile marks it again for the next frame. */
bool
draw_frame(const struct font *f)
{
	uint64_t t0 = tsc_ns();
	if (!expanded)
		build_expansion();
	bool all = __atomic_exchange_n(&term.full, 0, __ATOMIC_ACQ_REL);
	uint32_t cursor = term.row;
	for (uint32_t r = 0; r < term.rows; r++) {
		uint32_t t = (term.top + r) % term.rows;
		bool d = __atomic_exchange_n(&term.dirty[t], 0, __ATOMIC_ACQ_REL);
		if (all || d || r == screen.cursor_row || r == cursor)
			draw_row(f, r);
	}
	screen.cursor_row = cursor;
	screen.frames++;
	screen.frame_ns_last = tsc_ns() - t0;
	if (screen.frame_ns_last > screen.frame_ns_max)
		screen.frame_ns_max = screen.frame_ns_last;
	return all;
}
