/*
 * vga.c: a log sink that writes characters into the text buffer and
 * scrolls. Called with the console lock held (logger), so no lock here.
 */
#include "vga.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"

#define COLS 80
#define ROWS 25
#define ATTR 0x0700 /* light grey on black */

static struct mapped_pages *fb_map; /* owned for the system's lifetime */
static uint16_t *fb;
static unsigned row, col;

static void
scroll(void)
{
	memmove(fb, fb + COLS, (ROWS - 1) * COLS * sizeof(*fb));
	for (unsigned c = 0; c < COLS; c++)
		fb[(ROWS - 1) * COLS + c] = ATTR | ' ';
	row = ROWS - 1;
}

static void
put(char ch)
{
	if (ch == '\n') {
		col = 0;
		if (++row >= ROWS)
			scroll();
		return;
	}
	if (ch == '\r') {
		col = 0;
		return;
	}
	if (ch == '\b') {
		if (col)
			col--;
		return;
	}
	/* the console lock gives up after a bounded spin (logger), so two
	 * CPUs can be here at once and race on row and col: never write past
	 * the text buffer's 80x25 cells (the page after it is someone else's) */
	if (row >= ROWS || col >= COLS) {
		row = ROWS - 1;
		col = 0;
	}
	fb[row * COLS + col] = (uint16_t)(ATTR | (uint8_t)ch);
	if (++col >= COLS) {
		col = 0;
		if (++row >= ROWS)
			scroll();
	}
}

static void
vga_sink(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(s[i]);
}

int
vga_init(void)
{
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp =
		mp_map_phys(0xB8000, COLS * ROWS * 2, MP_WRITE | MP_NOCACHE, &err);
	if (!mp)
		return err;
	uint16_t *p = MP_AS_ARRAY_MUT(mp, uint16_t, 0, COLS * ROWS, &err);
	if (!p)
		return err;
	for (unsigned i = 0; i < COLS * ROWS; i++)
		p[i] = ATTR | ' ';
	err = log_add_sink(vga_sink);
	if (err)
		return err;
	/* commit: nothing below fails */
	fb = p;
	row = col = 0;
	fb_map = TAKE_PTR(mp);
	return E_OK;
}
