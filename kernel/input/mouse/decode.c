/*
 * decode.c: PS/2 mouse packets (see mouse_decode.h).
 */
#include "mouse_decode.h"

#define B0_ALWAYS 0x08
#define B0_XSIGN 0x10
#define B0_YSIGN 0x20
#define B0_OVERFLOW 0xc0

const char *
mouse_verdict_str(enum mouse_verdict v)
{
	static const char *const s[MOUSE_NVERDICTS] = {
		"more", "packet", "first byte without bit 3 (out of step)", "overflow",
	};
	return (unsigned)v < MOUSE_NVERDICTS ? s[v] : "?";
}

enum mouse_verdict
mouse_decode(struct mouse_decoder *d, uint8_t b, struct mouse_packet *p)
{
	if (d->n == 0 && !(b & B0_ALWAYS))
		return MOUSE_R_SYNC;
	d->pkt[d->n++] = b;
	if (d->n < 3)
		return MOUSE_MORE;
	d->n = 0;
	uint8_t b0 = d->pkt[0];
	if (b0 & B0_OVERFLOW)
		return MOUSE_R_OVERFLOW;
	p->dx = (int16_t)(d->pkt[1] - ((b0 & B0_XSIGN) ? 256 : 0));
	p->dy = (int16_t)(d->pkt[2] - ((b0 & B0_YSIGN) ? 256 : 0));
	p->buttons = b0 & 0x07;
	return MOUSE_PACKET;
}
