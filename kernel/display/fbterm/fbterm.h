/*
 * fbterm: the framebuffer terminal. The console's output (every log line
 * and the shell, through a logger sink) is kept as a grid of characters
 * and drawn on the linear framebuffer GRUB set up (multiboot2 framebuffer
 * tag; grub.cfg asks for 800x600x32) with the console font (font.h).
 *
 * The sink runs under the console lock with interrupts off, so it only
 * writes characters into the grid (a ring of rows: scrolling moves its
 * top, no pixels); the fbterm task draws what changed, at most every
 * 30 ms, outside the lock (a whole frame after a scroll, else the changed
 * rows; after a whole-screen frame it waits 150 ms, and at least four
 * times the frame's time), with the cursor as an inverted cell. Output right before a crash
 * may therefore be on the serial console and not yet on the screen.
 *
 * Swapping: fbterm_adopt (the transfer function) takes the sink over;
 * the grid, the cursor and the framebuffer mapping are carried
 * (CELL_CARRY) and the task restarts into the new code. A reload with
 * fresh data starts with an empty screen and maps the framebuffer again
 * (the old mapping's virtual pages are not given back).
 * State: the grid and cursor (plain values), the mapping (owned).
 */
#ifndef FBTERM_H
#define FBTERM_H

#include "base.h"

/* find the framebuffer, map it, start the task and the sink (the captain) */
void fbterm_start(const char *cmdline);
/* the transfer function of a swap or reload */
int fbterm_adopt(void);

struct fbterm_info {
	bool ready;
	uint64_t phys;
	uint32_t width, height, pitch, bpp;  /* the mode */
	uint32_t cols, rows, font_w, font_h; /* the grid */
	uint64_t chars, scrolls, frames;     /* characters written, lines scrolled, frames drawn */
	uint64_t frame_ns_max, frame_ns_last;/* the longest and the last frame's drawing time */
};
void fbterm_info(struct fbterm_info *out);
/* the text of screen row `row` (0 = top), trailing blanks dropped, as the
 * grid holds it (drawn within a frame); E_RANGE past the last row */
int fbterm_line(uint32_t row, char *buf, size_t cap) __must_check;

#endif
