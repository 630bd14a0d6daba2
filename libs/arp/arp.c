/*
 * arp.c: see arp.h.
 */
#include "arp.h"
#include "klibc.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
arp_request(uint8_t f[ARP_FRAME_LEN], const uint8_t mac[6], uint32_t sip, uint32_t tip)
{
	memset(f, 0xFF, 6);          /* broadcast */
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x0806);       /* ARP */
	put16(f + 14, 1);            /* Ethernet */
	put16(f + 16, 0x0800);       /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);            /* request */
	memcpy(f + 22, mac, 6);
	put32(f + 28, sip);
	memset(f + 32, 0, 6);
	put32(f + 38, tip);
}

bool
arp_is_reply(const uint8_t *f, size_t len, uint32_t from, const uint8_t to_mac[6], uint8_t from_mac[6])
{
	if (len < ARP_FRAME_LEN || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2)
		return false;
	if (get32(f + 28) != from || memcmp(f + 32, to_mac, 6))
		return false;
	memcpy(from_mac, f + 22, 6);
	return true;
}

/* what applications may call (see export.h) */
EXPORT_APP(arp_request);
EXPORT_APP(arp_is_reply);
