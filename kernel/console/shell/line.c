/*
 * line.c: the line editor, as in a terminal: characters insert at the
 * cursor; Left/Right (Ctrl-B/F) move it by a character, Home/End (Ctrl-A/E)
 * to the ends; Backspace erases before it, Delete (Ctrl-D) under it,
 * Ctrl-K to the end of the line, Ctrl-U the whole line; Ctrl-C abandons
 * the line; Up/Down walk the history; Tab completes a command name (or
 * lists the candidates). UTF-8 input is kept whole: a character's bytes
 * are inserted together and the cursor moves over them as one. A line
 * longer than the buffer is refused when entered, saying so. Terminal
 * echo is ours (the serial line does not echo), written through the
 * logger's edit line so that log output never prints over the line.
 */
#include "shell_int.h"
#include "klibc.h"
#include "heap.h"
#include "logger.h"
#include "state_db.h"
#include "task.h"
#include "tty.h"

#define HISTORY 32
#define ESC_WAIT_NS 50000000ull /* the rest of an escape sequence */

/*
 * The history is session state that must outlive the shell task (a
 * restarted shell keeps it), so it lives in the state_db; the shell holds
 * only a weak reference and re-obtains the state by name when it does not
 * resolve.
 */
struct history {
	char lines[HISTORY][LINE_MAX];
	unsigned len, next;
	uint32_t disk;  /* the mount at /disk whose history file was read (0: none) */
};

static struct state_ref hist_ref CELL_CARRY(hist_ref);
static bool have_ref CELL_CARRY(have_ref);

static struct history *
hist(void)
{
	struct history *h = have_ref ? state_db_get(hist_ref) : NULL;
	if (!h && !state_db_obtain("shell.history", sizeof(*h), "shell", NULL, &hist_ref)) {
		have_ref = true;
		h = state_db_get(hist_ref);
	}
	return h;
}

/* the line being edited */
struct ed {
	char *buf;
	size_t cap, len, cur; /* bytes; cur is on a character's first byte */
	bool overflow;        /* a character did not fit: the line is refused */
};

/* the terminal update for one edit, written with the new line */
static struct {
	char s[4 * LINE_MAX + 64];
	size_t n;
} echo;

static void
put(const char *s, size_t n)
{
	for (size_t i = 0; i < n && echo.n < sizeof(echo.s); i++)
		echo.s[echo.n++] = s[i];
}

static void
put_repeat(char c, size_t n)
{
	while (n--)
		put(&c, 1);
}

static bool
cont_byte(char c)
{
	return ((uint8_t)c & 0xc0) == 0x80;
}

static size_t
cols(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += !cont_byte(s[i]);
	return c;
}

static size_t
prev_char(const struct ed *e, size_t i)
{
	while (i && cont_byte(e->buf[--i]))
		;
	return i;
}

static size_t
next_char(const struct ed *e, size_t i)
{
	if (i < e->len)
		i++;
	while (i < e->len && cont_byte(e->buf[i]))
		i++;
	return i;
}

/* write the new line and this edit's echo */
static void
show(struct ed *e)
{
	log_edit_set(e->buf, e->cur, echo.s, echo.n);
	echo.n = 0;
}

/* echo: the text from the cursor on, `blank` spaces over what was longer,
 * then back to the cursor */
static void
put_tail(const struct ed *e, size_t blank)
{
	put(e->buf + e->cur, e->len - e->cur);
	put_repeat(' ', blank);
	put_repeat('\b', cols(e->buf + e->cur, e->len - e->cur) + blank);
}

/* the whole line again (history, completion, Ctrl-U), cursor at its end */
static void
replace(struct ed *e, const char *text)
{
	size_t old = cols(e->buf, e->len);
	e->len = strlcpy(e->buf, text, e->cap);
	if (e->len >= e->cap)
		e->len = e->cap - 1;
	e->cur = e->len;
	size_t now = cols(e->buf, e->len);
	put("\r", 1);
	put(SHELL_PROMPT, strlen(SHELL_PROMPT));
	put(e->buf, e->len);
	put_repeat(' ', old > now ? old - now : 0);
	put_repeat('\b', old > now ? old - now : 0);
	show(e);
}

static void
insert(struct ed *e, const char *s, size_t n)
{
	if (e->len + n + 1 > e->cap) {
		if (!e->overflow)
			put("\a", 1); /* the bell: it did not fit */
		e->overflow = true;
		show(e);
		return;
	}
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
	memcpy(e->buf + e->cur, s, n);
	e->len += n;
	put(s, n);
	e->cur += n;
	put_tail(e, 0);
	show(e);
}

/* remove bytes [from, to) around the cursor; the cursor goes to from */
static void
erase(struct ed *e, size_t from, size_t to)
{
	if (from >= to)
		return;
	size_t gone = cols(e->buf + from, to - from);
	put_repeat('\b', cols(e->buf + from, e->cur - from));
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->cur = from;
	put_tail(e, gone);
	show(e);
}

static void
move_to(struct ed *e, size_t to)
{
	if (to < e->cur)
		put_repeat('\b', cols(e->buf + to, e->cur - to));
	else
		put(e->buf + e->cur, to - e->cur);
	e->cur = to;
	show(e);
}

static void
complete(struct ed *e)
{
	const char *cands[64];
	size_t n = jobs_commands(cands, ARRAY_SIZE(cands));
	if (strchr(e->buf, ' ') || e->cur != e->len)
		return; /* only the command name completes, from its end */
	const char *hit = NULL;
	size_t hits = 0;
	for (size_t i = 0; i < n; i++)
		if (str_starts_with(cands[i], e->buf)) {
			hit = cands[i];
			hits++;
		}
	if (hits == 1) {
		char done[LINE_MAX];
		size_t k = strlcpy(done, hit, sizeof(done));
		if (k + 1 < sizeof(done)) {
			done[k] = ' ';
			done[k + 1] = '\0';
		}
		replace(e, done);
	} else if (hits > 1) {
		/* the candidates print below; the logger draws the line again */
		for (size_t i = 0; i < n; i++)
			if (str_starts_with(cands[i], e->buf))
				kprintf("%s  ", cands[i]);
		kprintf("\n");
	}
}

static void
history_step(struct ed *e, unsigned *back, bool up)
{
	struct history *h = hist();
	if (!h)
		return;
	if (up && *back < h->len)
		(*back)++;
	else if (!up && *back > 0)
		(*back)--;
	else
		return;
	replace(e, *back ? h->lines[(h->next + HISTORY - *back) % HISTORY] : "");
}

static void
remember(const char *line)
{
	struct history *h = hist();
	if (!h || !*line || (h->len && !strcmp(h->lines[(h->next + HISTORY - 1) % HISTORY], line)))
		return;
	strlcpy(h->lines[h->next], line, LINE_MAX);
	h->next = (h->next + 1) % HISTORY;
	if (h->len < HISTORY)
		h->len++;
	if (h->disk && h->disk == history_disk())
		history_file_add(line);
}

/* a filesystem newly mounted at /disk: the history in its file comes
 * first, then what this session typed */
static void
history_from_disk(void)
{
	struct history *h = hist();
	uint32_t d = history_disk();
	if (!h || !d || d == h->disk)
		return;
	h->disk = d;
	_cleanup_(kfreep) char (*lines)[LINE_MAX] = kmalloc(HISTORY * sizeof(*lines));
	if (!lines)
		return;
	size_t n = history_file_read(lines, HISTORY);
	for (unsigned i = 0; i < h->len && n + i < HISTORY * 2; i++) {
		const char *l = h->lines[(h->next + HISTORY - h->len + i) % HISTORY];
		if (n == HISTORY) {
			memmove(lines, lines + 1, (HISTORY - 1) * sizeof(*lines));
			n--;
		}
		strlcpy(lines[n++], l, LINE_MAX);
	}
	for (size_t i = 0; i < n; i++)
		strlcpy(h->lines[i], lines[i], LINE_MAX);
	h->len = (unsigned)n;
	h->next = (unsigned)(n % HISTORY);
}

enum key { K_NONE, K_UP, K_DOWN, K_LEFT, K_RIGHT, K_HOME, K_END, K_DELETE };

/* the rest of an escape sequence (CSI "ESC [ params final" or SS3 "ESC O
 * final"); unknown ones are read to their end and ignored */
static enum key
escape(void)
{
	int c = tty_getc(ESC_WAIT_NS);
	if (c == 'O') {
		c = tty_getc(ESC_WAIT_NS);
		return c == 'H' ? K_HOME : c == 'F' ? K_END : K_NONE;
	}
	if (c != '[')
		return K_NONE;
	unsigned param = 0;
	for (int i = 0; i < 16; i++) {
		c = tty_getc(ESC_WAIT_NS);
		if (c < 0)
			return K_NONE;
		if (c >= '0' && c <= '9') {
			param = param * 10 + (unsigned)(c - '0');
			continue;
		}
		if (c < 0x40 || c > 0x7e)
			continue; /* ';' and other parameter bytes */
		switch (c) {
		case 'A': return K_UP;
		case 'B': return K_DOWN;
		case 'C': return K_RIGHT;
		case 'D': return K_LEFT;
		case 'H': return K_HOME;
		case 'F': return K_END;
		case '~': return param == 1 || param == 7 ? K_HOME : param == 4 || param == 8 ? K_END
			       : param == 3 ? K_DELETE : K_NONE;
		default: return K_NONE;
		}
	}
	return K_NONE;
}

static void
key(struct ed *e, enum key k, unsigned *back)
{
	switch (k) {
	case K_UP: history_step(e, back, true); break;
	case K_DOWN: history_step(e, back, false); break;
	case K_LEFT: move_to(e, prev_char(e, e->cur)); break;
	case K_RIGHT: move_to(e, next_char(e, e->cur)); break;
	case K_HOME: move_to(e, 0); break;
	case K_END: move_to(e, e->len); break;
	case K_DELETE: erase(e, e->cur, next_char(e, e->cur)); break;
	case K_NONE: break;
	}
}

/* how many bytes a UTF-8 sequence starting with c has (1: not a lead byte) */
static size_t
utf8_len(uint8_t c)
{
	return c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static void
edit_endp(bool *editing)
{
	if (*editing)
		log_edit_end();
}

bool
line_read(char *buf, size_t cap)
{
	static bool after_cr; /* a \n right after the \r that ended a line is part of it */
	struct ed e = { .buf = buf, .cap = cap };
	unsigned back = 0; /* how far up the history we are */
	char utf[4];
	size_t nutf = 0, want = 0;
	buf[0] = '\0';
	history_from_disk();
	log_edit_begin(SHELL_PROMPT);
	_cleanup_(edit_endp) bool editing = true;
	for (;;) {
		/* waiting for a key is progress: the promise is kept (shell.c) */
		int c = tty_getc(TASK_SYSTEM_PROMISE_NS / 4);
		task_progress();
		if (c < 0)
			continue;
		bool lf_of_crlf = after_cr && c == '\n';
		after_cr = c == '\r';
		if (lf_of_crlf)
			continue;
		if (nutf && (c & 0xc0) == 0x80) { /* the rest of a UTF-8 character */
			utf[nutf++] = (char)c;
			if (nutf == want) {
				insert(&e, utf, nutf);
				nutf = 0;
			}
			continue;
		}
		if (nutf) { /* a character cut short: keep its bytes as they came */
			insert(&e, utf, nutf);
			nutf = 0;
		}
		if (c == '\r' || c == '\n') {
			log_edit_end();
			editing = false;
			kprintf("\n");
			if (e.overflow) {
				kprintf("shell: line longer than %zu bytes: not run (nothing was kept past byte %zu)\n",
					cap - 1, e.len);
				buf[0] = '\0';
				return true;
			}
			remember(buf);
			return true;
		}
		if (c >= 0xc0 && c < 0xf8) {
			utf[nutf++] = (char)c;
			want = utf8_len((uint8_t)c);
		} else if (c >= 0x20 && c != 0x7f) {
			char ch = (char)c;
			insert(&e, &ch, 1);
		} else if (c == 0x7f || c == '\b') {
			erase(&e, prev_char(&e, e.cur), e.cur);
		} else if (c == 0x04) { /* Ctrl-D */
			erase(&e, e.cur, next_char(&e, e.cur));
		} else if (c == 0x0b) { /* Ctrl-K */
			erase(&e, e.cur, e.len);
		} else if (c == 0x15) { /* Ctrl-U */
			e.overflow = false;
			replace(&e, "");
		} else if (c == 0x01 || c == 0x05) { /* Ctrl-A, Ctrl-E */
			move_to(&e, c == 0x01 ? 0 : e.len);
		} else if (c == 0x02 || c == 0x06) { /* Ctrl-B, Ctrl-F */
			move_to(&e, c == 0x02 ? prev_char(&e, e.cur) : next_char(&e, e.cur));
		} else if (c == 0x03) { /* Ctrl-C */
			log_edit_end();
			kprintf("^C\n");
			e.len = e.cur = 0;
			e.overflow = false;
			buf[0] = '\0';
			back = 0;
			log_edit_begin(SHELL_PROMPT);
		} else if (c == '\t') {
			complete(&e);
		} else if (c == 0x1b) {
			key(&e, escape(), &back);
		}
	}
}
