/*
 * kbd_decode.h: scancode set 1 (what the i8042 makes of the keyboard's
 * set 2 with translation on) to the bytes a serial terminal would send
 * for the same keys (US layout), internal to the kbd cell. Pure logic,
 * also built and tested on the host (tests/host/test_kbd.c).
 *
 * Output: printable ASCII; Shift, Caps Lock (letters only), Ctrl (Ctrl-A..
 * Ctrl-Z, Ctrl-[ \ ] ^ _ and Ctrl-@); Enter as CR, Backspace as DEL,
 * Tab, Esc; the arrows as ESC [ A/B/C/D and Home/End as ESC [ H/F, the
 * three-byte sequences the shell's line editor reads; keypad digits and
 * operators as themselves. Keys that have no such byte (F-keys, Alt,
 * Insert, Delete, Page Up/Down, whose four-byte sequences the line editor
 * does not know) give nothing.
 *
 * Bytes that cannot be part of a well-formed stream are rejected (the
 * caller counts them by reason) and change nothing but a pending E0/E1
 * prefix, which they end (the stream resynchronizes on the next byte): the
 * keyboard's error codes, command replies arriving with no command, a
 * release of a key that is not down, broken E0/E1 prefixes, and codes
 * with no key in the layout.
 */
#ifndef KBD_DECODE_H
#define KBD_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kbd_mod {
	KBD_LSHIFT = 1, KBD_RSHIFT = 2, KBD_LCTRL = 4, KBD_RCTRL = 8,
	KBD_LALT = 16, KBD_RALT = 32, KBD_CAPS = 64,
};

/* plain values only: carried as-is into a new version of the cell */
struct kbd_decoder {
	uint8_t prefix;   /* 0, 0xE0 or 0xE1 */
	uint8_t e1_seen;  /* bytes of a Pause sequence after its E1 */
	uint8_t e1_first; /* the first of them */
	uint8_t mods;     /* enum kbd_mod */
	uint8_t down[32]; /* keys held: bit code, or 128 + code for E0 keys */
};

enum kbd_verdict {
	KBD_OK = 0,        /* accepted (maybe with no output: a prefix, a modifier) */
	KBD_R_ERROR,       /* 0x00 or 0xFF: the keyboard reports an error or overrun */
	KBD_R_REPLY,       /* ACK, RESEND, ECHO or a self-test result nobody asked for */
	KBD_R_UNMAPPED,    /* a make code with no key in the layout */
	KBD_R_BREAK,       /* the release of a key that is not down */
	KBD_R_PREFIX,      /* E0/E1 followed by something that cannot follow it */
	KBD_NVERDICTS,
};
const char *kbd_verdict_str(enum kbd_verdict v);

#define KBD_OUT_MAX 4
/* feed one byte; on KBD_OK, *n bytes (0-3) were written to out */
enum kbd_verdict kbd_decode(struct kbd_decoder *d, uint8_t byte, char out[KBD_OUT_MAX], size_t *n);

#endif
