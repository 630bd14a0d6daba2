/*
 * line.c: the line editor. Printable characters insert at the end;
 * backspace/DEL erases; Ctrl-U clears the line; Ctrl-C abandons it;
 * up/down arrows walk the history; Tab completes a command name (or lists
 * the candidates). Terminal echo is ours: the serial line does not echo.
 */
#include "shell_int.h"
#include "klibc.h"
#include "logger.h"
#include "state_db.h"
#include "tty.h"

#define HISTORY 32

/*
 * The history is session state that must outlive the shell task (a
 * restarted shell keeps it), so it lives in the state_db; the shell holds
 * only a weak reference and re-obtains the state by name when it does not
 * resolve.
 */
struct history {
	char lines[HISTORY][LINE_MAX];
	unsigned len, next;
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

static void
redraw(const char *buf, size_t old_len)
{
	kprintf("\r%s%s", SHELL_PROMPT, buf);
	size_t n = strlen(buf);
	for (size_t i = n; i < old_len; i++)
		kprintf(" ");
	for (size_t i = n; i < old_len; i++)
		kprintf("\b");
}

static void
complete(char *buf, size_t cap, size_t *len)
{
	const char *cands[64];
	size_t n = jobs_commands(cands, ARRAY_SIZE(cands));
	if (strchr(buf, ' '))
		return; /* only the command name completes */
	const char *hit = NULL;
	size_t hits = 0;
	for (size_t i = 0; i < n; i++)
		if (str_starts_with(cands[i], buf)) {
			hit = cands[i];
			hits++;
		}
	if (hits == 1) {
		strlcpy(buf, hit, cap);
		size_t n2 = strlen(buf);
		if (n2 + 1 < cap) {
			buf[n2] = ' ';
			buf[n2 + 1] = '\0';
		}
		*len = strlen(buf);
		redraw(buf, 0);
	} else if (hits > 1) {
		kprintf("\n");
		for (size_t i = 0; i < n; i++)
			if (str_starts_with(cands[i], buf))
				kprintf("%s  ", cands[i]);
		kprintf("\n");
		redraw(buf, 0);
	}
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
}

bool
line_read(char *buf, size_t cap)
{
	size_t len = 0;
	unsigned back = 0; /* how far up the history we are */
	buf[0] = '\0';
	kprintf("%s", SHELL_PROMPT);
	for (;;) {
		int c = tty_getc(UINT64_MAX);
		if (c < 0)
			return false;
		if (c == '\r' || c == '\n') {
			kprintf("\n");
			remember(buf);
			return true;
		}
		if (c == 0x7f || c == '\b') {
			if (len) {
				buf[--len] = '\0';
				kprintf("\b \b");
			}
		} else if (c == 0x15) { /* Ctrl-U */
			size_t old = len;
			len = 0;
			buf[0] = '\0';
			redraw(buf, old);
		} else if (c == 0x03) { /* Ctrl-C */
			kprintf("^C\n");
			len = 0;
			buf[0] = '\0';
			kprintf("%s", SHELL_PROMPT);
		} else if (c == '\t') {
			complete(buf, cap, &len);
		} else if (c == 0x1b) { /* escape sequence: arrows */
			int c1 = tty_getc(50000000), c2 = tty_getc(50000000);
			if (c1 != '[' || (c2 != 'A' && c2 != 'B'))
				continue;
			struct history *h = hist();
			if (!h)
				continue;
			if (c2 == 'A' && back < h->len)
				back++;
			else if (c2 == 'B' && back > 0)
				back--;
			size_t old = len;
			if (back)
				strlcpy(buf, h->lines[(h->next + HISTORY - back) % HISTORY], cap);
			else
				buf[0] = '\0';
			len = strlen(buf);
			redraw(buf, old);
		} else if (c >= 0x20 && c < 0x7f && len + 1 < cap) {
			buf[len++] = (char)c;
			buf[len] = '\0';
			kprintf("%c", c);
		}
	}
}
