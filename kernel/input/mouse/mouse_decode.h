/*
 * mouse_decode.h: the standard PS/2 mouse's 3-byte movement packets, as
 * the mouse cell receives them from port 2 of the i8042; internal to the
 * mouse cell. Pure logic, also built and tested on the host
 * (tests/host/test_mouse.c).
 *
 * Byte 0: buttons (bits 0-2: left, right, middle), bit 3 always set, the
 * signs of X and Y (bits 4-5) and their overflow flags (bits 6-7); bytes
 * 1 and 2: the low 8 bits of the 9-bit X and Y movements (Y up is
 * positive). A byte that should start a packet but lacks bit 3 is
 * rejected (the stream resynchronizes on the next byte that has it), and
 * so is a whole packet whose overflow flags say its movement is not known.
 */
#ifndef MOUSE_DECODE_H
#define MOUSE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mouse_decoder {
	uint8_t pkt[3];
	uint8_t n;        /* bytes of the packet received so far */
};

struct mouse_packet {
	int16_t dx, dy;   /* -256..255; dy up positive */
	uint8_t buttons;  /* bit 0 left, 1 right, 2 middle */
};

enum mouse_verdict {
	MOUSE_MORE = 0,   /* accepted; the packet is not complete yet */
	MOUSE_PACKET,     /* accepted; *p holds the completed packet */
	MOUSE_R_SYNC,     /* rejected: a packet's first byte without bit 3 */
	MOUSE_R_OVERFLOW, /* rejected: a packet with an overflow flag (all 3 bytes) */
	MOUSE_NVERDICTS,
};
const char *mouse_verdict_str(enum mouse_verdict v);

enum mouse_verdict mouse_decode(struct mouse_decoder *d, uint8_t byte, struct mouse_packet *p);

#endif
