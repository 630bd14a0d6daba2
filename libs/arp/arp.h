/*
 * arp: ARP over Ethernet for IPv4 (RFC 826) - build a request, recognize
 * a reply. Pure functions on frame bytes; no state. The e1000 tests and
 * the nic app probe QEMU's user-mode gateway with it.
 */
#ifndef ARP_H
#define ARP_H

#include "base.h"

#define ARP_FRAME_LEN 42
#define IPV4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* "who has tip? tell sip" broadcast from mac; writes ARP_FRAME_LEN bytes */
void arp_request(uint8_t frame[ARP_FRAME_LEN], const uint8_t mac[6], uint32_t sip, uint32_t tip);
/* true if frame is an ARP reply from IP `from` to `to_mac`; its sender's
 * MAC in from_mac */
bool arp_is_reply(const uint8_t *frame, size_t len, uint32_t from, const uint8_t to_mac[6], uint8_t from_mac[6]);

#endif
