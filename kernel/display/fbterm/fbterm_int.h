/* fbterm_int.h: between term.c (the grid), draw.c (pixels) and fbterm.c */
#ifndef FBTERM_INT_H
#define FBTERM_INT_H

#include "fbterm.h"
#include "font.h"
#include "memory.h"
#include "multiboot2.h"

#define MAX_COLS 256
#define MAX_ROWS 96

/* the terminal: plain values, carried into a new version of the cell */
struct term {
	bool ready;                /* set up: the sink writes, the task draws */
	uint8_t esc;               /* 0; 1 after ESC; 2 inside an ESC [ sequence */
	uint32_t cols, rows;
	uint32_t row, col;         /* the cursor, in screen rows and columns */
	uint32_t top;              /* screen row r is text row (top + r) % rows */
	volatile uint8_t full;     /* every row must be drawn (a scroll, a reset) */
	volatile uint8_t dirty[MAX_ROWS]; /* text rows changed since drawn */
	volatile uint64_t gen;     /* bumped by every write */
	uint64_t chars, scrolls;
	uint8_t text[MAX_ROWS][MAX_COLS];
};
extern struct term term;

/* the framebuffer: geometry and the mapping (carried) */
struct screen {
	struct mapped_pages *map;  /* owned */
	uint8_t *px;
	uint64_t phys;
	uint32_t width, height, pitch, bpp;
	uint32_t fg, bg;           /* packed pixels */
	uint64_t frames, frame_ns_max, frame_ns_last;
	uint32_t cursor_row;       /* where the cursor was last drawn */
};
extern struct screen screen;

void fbterm_sink(const char *s, size_t n);
void term_reset(uint32_t cols, uint32_t rows);
/* draw what changed since the last frame; true if that was every row */
bool draw_frame(const struct font *f);
/* the whole framebuffer in the background colour */
void draw_clear(void);
uint32_t draw_pack(uint8_t r, uint8_t g, uint8_t b, const struct mb2_framebuffer *fb);

#endif
