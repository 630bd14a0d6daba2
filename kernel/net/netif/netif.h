/*
 * netif: the network stack brought up over the e1000 cell (docs/network.md).
 * net_up starts lwIP's tcpip task once, adds interface en0 over NIC 0
 * (frames go out by e1000_send; an input task blocks in e1000_recv, which
 * the NIC's interrupt wakes, and hands each frame to tcpip_thread) and
 * configures it by DHCP, or with a static address (net_up_static) where
 * no DHCP server answers (two OS instances on a socket network).
 * From then on the stack owns NIC 0's receive queue, until
 * net_release_nic (then net_up takes it again).
 * State: the interface (lwIP's struct netif, in this cell's data) and the
 * input task; everything per connection lives in the lwip cell.
 */
#ifndef NETIF_H
#define NETIF_H

#include "base.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* start the stack and configure en0 by DHCP; wait up to timeout_ns for an
 * address. E_OK (also when already up), E_NOENT (no NIC), E_TIMEDOUT (no
 * DHCP answer yet: DHCP goes on in the background), E_NOMEM */
int net_up(uint64_t timeout_ns) __must_check;
/* the same with a fixed address, mask and gateway (host byte order):
 * E_INVAL for a zero or broadcast address, E_BUSY if en0 already has
 * another address */
int net_up_static(uint32_t ip, uint32_t mask, uint32_t gw) __must_check;
/* the stack up, receiving, with an address */
bool net_is_up(void);
/* stop the input task: NIC 0's frames are left to others (`nic arp`, the
 * driver tests); the stack keeps its state and address but receives
 * nothing until net_up. E_OK, E_TIMEDOUT (the task did not stop in 3 s) */
int net_release_nic(void) __must_check;

struct net_counters {
	uint64_t xmit, recv, drop, err;
};
struct net_info {
	char name[8];
	uint8_t mac[6];
	uint32_t ip, mask, gw;        /* host byte order, 0: none yet */
	bool up, link, dhcp;
	uint64_t input_frames, input_dropped, output_frames, output_errors;
	struct net_counters link_c, ip_c, icmp_c, udp_c, tcp_c;
};
/* E_OK and *out, or E_NOTCONN if the stack is not up */
int net_info(struct net_info *out) __must_check;

/* one ICMP echo to ip (host byte order) with `len` payload bytes, waiting
 * up to timeout_ns for the reply: E_OK and *rtt_ns, E_TIMEDOUT, E_INVAL
 * (len > 1400), E_NOTCONN (stack not up), E_UNREACH (no route), E_BUSY
 * (too many pings at once) */
int net_ping(uint32_t ip, uint16_t seq, size_t len, uint64_t timeout_ns, uint64_t *rtt_ns) __must_check;

/* tests: "nic" - the e1000's next interrupt faults (its cell is reloaded,
 * the device reset); "stack" - tcpip_thread faults between two messages
 * (it is restarted). E_OK, E_INVAL (another name), E_NOTCONN (stack not
 * started) */
int net_inject_fault(const char *where) __must_check;

/* "a.b.c.d" -> host byte order: E_OK or E_INVAL */
int net_parse_ip(const char *s, uint32_t *ip) __must_check;
/* a.b.c.d into buf (16 bytes) */
const char *net_ip_str(uint32_t ip, char buf[16]);

#endif
