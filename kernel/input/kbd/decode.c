/*
 * decode.c: scancode set 1 -> terminal bytes (see kbd_decode.h). Check,
 * then commit: a byte is classified first; the decoder's state changes
 * only for an accepted byte.
 */
#include "kbd_decode.h"

/* set 1 make codes 0x00-0x58, US layout: unshifted and shifted; 0 = no
 * character (a modifier, a function key); codes past the table, and the
 * table's holes marked X, have no key */
#define X 0xff
static const uint8_t plain[0x59] = {
	X, 0x1b, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0x7f, '\t',
	'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0, 'a', 's',
	'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
	'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ', 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, '7', '8', '9', '-', '4', '5', '6', '+', '1',
	'2', '3', '0', '.', 0, X, '\\', 0, 0,
};
static const uint8_t shifted[0x59] = {
	X, 0x1b, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0x7f, '\t',
	'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0, 'A', 'S',
	'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V',
	'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ', 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, '7', '8', '9', '-', '4', '5', '6', '+', '1',
	'2', '3', '0', '.', 0, X, '|', 0, 0,
};

enum {
	SC_LCTRL = 0x1d, SC_LSHIFT = 0x2a, SC_RSHIFT = 0x36, SC_LALT = 0x38, SC_CAPS = 0x3a,
	SC_KP_FIRST = 0x47, SC_KP_LAST = 0x53,
};

/* E0-prefixed keys: what they send (a string), or "" for none; NULL: no key */
static const char *
extended(uint8_t code)
{
	switch (code) {
	case 0x1c: return "\r";      /* keypad Enter */
	case 0x35: return "/";       /* keypad / */
	case 0x48: return "\x1b[A";  /* up */
	case 0x50: return "\x1b[B";  /* down */
	case 0x4d: return "\x1b[C";  /* right */
	case 0x4b: return "\x1b[D";  /* left */
	case 0x47: return "\x1b[H";  /* Home */
	case 0x4f: return "\x1b[F";  /* End */
	case 0x1d: case 0x38:        /* right Ctrl, right Alt */
	case 0x2a: case 0x36:        /* the fake shifts around Print Screen */
	case 0x37: case 0x46:        /* Print Screen, Ctrl-Break */
	case 0x49: case 0x51: case 0x52: case 0x53: /* PgUp PgDn Ins Del */
	case 0x5b: case 0x5c: case 0x5d:            /* Windows keys, Menu */
	case 0x5e: case 0x5f: case 0x63:            /* Power, Sleep, Wake */
		return "";
	default: return NULL;
	}
}

static bool
is_down(const struct kbd_decoder *d, unsigned key)
{
	return d->down[key / 8] & (1u << (key % 8));
}

static void
set_down(struct kbd_decoder *d, unsigned key, bool on)
{
	if (on)
		d->down[key / 8] |= (uint8_t)(1u << (key % 8));
	else
		d->down[key / 8] &= (uint8_t)~(1u << (key % 8));
}

static uint8_t
mod_of(uint8_t code, bool e0)
{
	if (e0)
		return code == SC_LCTRL ? KBD_RCTRL : code == SC_LALT ? KBD_RALT : 0;
	switch (code) {
	case SC_LSHIFT: return KBD_LSHIFT;
	case SC_RSHIFT: return KBD_RSHIFT;
	case SC_LCTRL: return KBD_LCTRL;
	case SC_LALT: return KBD_LALT;
	default: return 0;
	}
}

/* the byte an unprefixed key sends under the modifiers; -1 for none */
static int
char_of(const struct kbd_decoder *d, uint8_t code)
{
	bool shift = d->mods & (KBD_LSHIFT | KBD_RSHIFT);
	bool ctrl = d->mods & (KBD_LCTRL | KBD_RCTRL);
	uint8_t c = plain[code];
	if (!c)
		return -1;
	bool letter = c >= 'a' && c <= 'z';
	bool keypad = code >= SC_KP_FIRST && code <= SC_KP_LAST;
	if (!keypad && (letter ? shift != !!(d->mods & KBD_CAPS) : shift))
		c = shifted[code];
	if (ctrl && !keypad && c >= 0x20 && c != 0x7f) {
		uint8_t u = (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32) : c;
		if (u >= '@' && u <= '_')
			return u & 0x1f;
		if (c == ' ' || c == '2')
			return 0; /* Ctrl-Space, Ctrl-@ */
		return -1;
	}
	return c;
}

const char *
kbd_verdict_str(enum kbd_verdict v)
{
	static const char *const s[KBD_NVERDICTS] = {
		"ok", "keyboard error code", "reply with no command", "no such key",
		"release of a key not down", "broken prefix",
	};
	return (unsigned)v < KBD_NVERDICTS ? s[v] : "?";
}

static size_t
emit_str(const char *s, char *out)
{
	size_t n = 0;
	while (s[n] && n < KBD_OUT_MAX - 1) {
		out[n] = s[n];
		n++;
	}
	return n;
}

/* a Pause sequence: E1 1D 45 (press) or E1 9D C5 (release) */
static enum kbd_verdict
pause_byte(struct kbd_decoder *d, uint8_t b)
{
	if (d->e1_seen == 0) {
		if (b != 0x1d && b != 0x9d)
			return KBD_R_PREFIX;
		d->e1_first = b;
		d->e1_seen = 1;
		return KBD_OK;
	}
	if (b != (uint8_t)(d->e1_first == 0x1d ? 0x45 : 0xc5))
		return KBD_R_PREFIX;
	d->prefix = d->e1_seen = d->e1_first = 0;
	return KBD_OK;
}

static enum kbd_verdict decode(struct kbd_decoder *d, uint8_t b, char out[KBD_OUT_MAX], size_t *n);

enum kbd_verdict
kbd_decode(struct kbd_decoder *d, uint8_t b, char out[KBD_OUT_MAX], size_t *n)
{
	*n = 0;
	enum kbd_verdict v = decode(d, b, out, n);
	if (v != KBD_OK) /* resynchronize: a rejected byte ends any prefix */
		d->prefix = d->e1_seen = d->e1_first = 0;
	return v;
}

static enum kbd_verdict
decode(struct kbd_decoder *d, uint8_t b, char out[KBD_OUT_MAX], size_t *n)
{
	if (d->prefix == 0xE1)
		return pause_byte(d, b);
	bool e0 = d->prefix == 0xE0;
	/* classify */
	if (b == 0x00 || b == 0xff)
		return KBD_R_ERROR;
	if (b == 0xE0 || b == 0xE1) {
		if (e0)
			return KBD_R_PREFIX;
		d->prefix = b;
		return KBD_OK;
	}
	if (!e0 && (b == 0xfa || b == 0xfe || b == 0xee || b == 0xfc || b == 0xfd))
		return KBD_R_REPLY;
	uint8_t code = b & 0x7f;
	bool release = b & 0x80;
	const char *ext = e0 ? extended(code) : NULL;
	if (e0 ? !ext : (code >= sizeof(plain) || plain[code] == X))
		return KBD_R_UNMAPPED;
	bool fake_shift = e0 && (code == 0x2a || code == 0x36);
	unsigned key = e0 ? 128u + code : code;
	if (release && !fake_shift && !is_down(d, key))
		return KBD_R_BREAK;
	/* commit: the byte is accepted */
	d->prefix = 0;
	if (fake_shift)
		return KBD_OK;
	uint8_t mod = mod_of(code, e0);
	if (release) {
		set_down(d, key, false);
		d->mods &= (uint8_t)~mod;
		return KBD_OK;
	}
	bool repeat = is_down(d, key);
	set_down(d, key, true);
	d->mods |= mod;
	if (!e0 && code == SC_CAPS && !repeat)
		d->mods ^= KBD_CAPS;
	if (mod || (!e0 && code == SC_CAPS))
		return KBD_OK;
	if (e0) {
		*n = emit_str(ext, out);
		return KBD_OK;
	}
	int c = char_of(d, code);
	if (c >= 0)
		out[(*n)++] = (char)c;
	return KBD_OK;
}
