/*
 * draw.c: pixels. Glyphs are drawn cell by cell straight into the
 * framebuffer (no shadow copy: reading video memory back is what makes
 * framebuffer consoles slow); 32-, 24- and 16-bit RGB modes.
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

static void
glyph(const struct font *f, uint32_t row, uint32_t col, uint8_t c, bool inverse)
{
	uint32_t bytes = screen.bpp / 8;
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
	for (uint32_t y = 0; y < screen.height; y++)
		for (uint32_t x = 0; x < screen.width; x++)
			pixel(screen.px + (size_t)y * screen.pitch + (size_t)x * bytes, screen.bg);
}

/* A scroll (full) redraws every row; else the rows marked dirty and the
 * row the cursor left. A flag is cleared before its row is drawn, so a
 * write meanwhile marks it again for the next frame. */
void
draw_frame(const struct font *f)
{
	uint64_t t0 = tsc_ns();
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
}
