/*
 * term.c: the character grid and the logger sink that writes it. The sink
 * runs under the console lock, interrupts off: no allocation, no waiting,
 * no pixels.
 */
#include "fbterm_int.h"
#include "klibc.h"

struct term term CELL_CARRY(term);

static void
mark(uint32_t row)
{
	term.dirty[(term.top + row) % term.rows] = 1;
}

static void
newline(void)
{
	mark(term.row);
	term.col = 0;
	if (term.row + 1 < term.rows) {
		term.row++;
	} else { /* scroll: the ring's top moves; the new bottom row is blank */
		term.top = (term.top + 1) % term.rows;
		memset(term.text[(term.top + term.row) % term.rows], ' ', MAX_COLS);
		term.full = 1;
		term.scrolls++;
	}
	mark(term.row);
}

static void
put(uint8_t c)
{
	if (term.esc == 1) { /* after ESC: a CSI sequence, or a two-byte one */
		term.esc = c == '[' ? 2 : 0;
		return;
	}
	if (term.esc == 2) { /* inside CSI: parameters until the final byte */
		if (c >= 0x40 && c <= 0x7e)
			term.esc = 0;
		return;
	}
	switch (c) {
	case '\n':
		newline();
		return;
	case '\r':
		mark(term.row);
		term.col = 0;
		return;
	case '\b':
		if (term.col)
			term.col--;
		mark(term.row);
		return;
	case '\t':
		do
			put(' ');
		while (term.col % 8);
		return;
	case 0x1b:
		term.esc = 1;
		return;
	default:
		break;
	}
	if (c < 0x20 || c == 0x7f)
		return;
	if (term.col >= term.cols)
		newline();
	term.text[(term.top + term.row) % term.rows][term.col++] = c < 0x7f ? c : '?';
	mark(term.row);
	term.chars++;
}

void
fbterm_sink(const char *s, size_t n)
{
	if (!term.ready)
		return;
	for (size_t i = 0; i < n; i++)
		put((uint8_t)s[i]);
	term.gen++;
}

void
term_reset(uint32_t cols, uint32_t rows)
{
	memset(&term, 0, sizeof(term));
	memset(term.text, ' ', sizeof(term.text));
	term.cols = cols;
	term.rows = rows;
	term.full = 1;
}
