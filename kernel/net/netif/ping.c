/*
 * ping.c: ICMP echo through an lwIP raw PCB (net_ping in netif.h). Each
 * call owns one raw PCB for its duration; the receive callback (run by
 * tcpip_thread) matches its identifier and sequence and wakes the caller.
 */
#include "netif.h"
#include "heap.h"
#include "klibc.h"
#include "lwip.h"
#include "task.h"
#include "tsc.h"

#include "lwip/tcpip.h"
#include "lwip/raw.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ip4.h"

struct pinger {
	struct waitq q;
	uint16_t id, seq;
	volatile bool got;
	uint64_t at;
};

static u8_t
ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct pinger *pg = arg;
	struct icmp_echo_hdr h;
	u16_t hl = IPH_HL_BYTES((struct ip_hdr *)p->payload);
	if (p->tot_len < hl + sizeof(h) || pbuf_copy_partial(p, &h, sizeof(h), hl) != sizeof(h))
		return 0;
	if (h.type != ICMP_ER || h.id != lwip_htons(pg->id) || h.seqno != lwip_htons(pg->seq))
		return 0;
	pg->at = tsc_ns();
	__atomic_store_n(&pg->got, true, __ATOMIC_RELEASE);
	waitq_wake_all(&pg->q);
	pbuf_free(p);
	return 1;
}

static bool
ping_done(void *ctx)
{
	return __atomic_load_n(&((struct pinger *)ctx)->got, __ATOMIC_ACQUIRE);
}

static uint16_t ping_ids;

int
net_ping(uint32_t ip, uint16_t seq, size_t len, uint64_t timeout_ns, uint64_t *rtt_ns)
{
	_cleanup_(lwip_port_cleanup) int lwip_guard = 0;
	if (len > 1400)
		return E_INVAL;
	if (!net_is_up())
		return E_NOTCONN;
	struct pinger *pg = kzalloc(sizeof(*pg));
	if (!pg)
		return E_NOMEM;
	waitq_init(&pg->q);
	pg->id = (uint16_t)(0x7e00 + __atomic_fetch_add(&ping_ids, 1, __ATOMIC_RELAXED));
	pg->seq = seq;
	ip_addr_t to;
	ip_addr_set_ip4_u32_val(to, lwip_htonl(ip));
	int err = E_OK;
	LOCK_TCPIP_CORE();
	struct raw_pcb *pcb = raw_new(IP_PROTO_ICMP);
	struct pbuf *p = pcb ? pbuf_alloc(PBUF_IP, (u16_t)(sizeof(struct icmp_echo_hdr) + len), PBUF_RAM) : NULL;
	uint64_t sent = 0;
	if (!pcb || !p) {
		err = pcb ? E_NOMEM : E_BUSY;
	} else {
		raw_recv(pcb, ping_recv, pg);
		struct icmp_echo_hdr *h = p->payload;
		h->type = ICMP_ECHO;
		h->code = 0;
		h->id = lwip_htons(pg->id);
		h->seqno = lwip_htons(seq);
		h->chksum = 0;
		for (size_t i = 0; i < len; i++)
			((uint8_t *)(h + 1))[i] = (uint8_t)i;
		h->chksum = inet_chksum(h, (u16_t)p->len);
		sent = tsc_ns();
		err_t e = raw_sendto(pcb, p, &to);
		if (e == ERR_RTE)
			err = E_UNREACH;
		else if (e != ERR_OK)
			err = E_IO;
	}
	if (p)
		pbuf_free(p);
	UNLOCK_TCPIP_CORE();
	if (!err) {
		int w = waitq_wait_deadline(&pg->q, ping_done, pg, sent + timeout_ns);
		if (ping_done(pg))
			*rtt_ns = pg->at - sent;
		else
			err = w == E_INTR ? E_INTR : E_TIMEDOUT;
	}
	if (pcb) {
		LOCK_TCPIP_CORE();
		raw_remove(pcb);
		UNLOCK_TCPIP_CORE();
	}
	kfree(pg);
	return err;
}
