/*
 * nic: the network cards the e1000 driver serves - MAC, link, counters -
 * and `nic arp [N]`: N ARP requests for QEMU's user-mode gateway
 * (10.0.2.2, from 10.0.2.15), each answered within a second or counted
 * as lost.
 */
#include "arp.h"
#include "base.h"
#include "e1000.h"
#include "klibc.h"
#include "logger.h"

int main(int argc, char **argv);

static int
show(unsigned i)
{
	uint8_t m[6];
	bool up;
	struct e1000_counters c;
	int err = e1000_mac(i, m);
	if (!err)
		err = e1000_link(i, &up);
	if (!err)
		err = e1000_counters(i, &c);
	if (err) {
		kprintf("nic %u: %s\n", i, err_str(err));
		return 1;
	}
	kprintf("nic %u: e1000 MAC %02x:%02x:%02x:%02x:%02x:%02x link %s\n", i, m[0], m[1], m[2], m[3], m[4], m[5],
		up ? "up" : "down");
	kprintf("  tx %lu frames %lu bytes (ring full %lu, dropped at reset %lu)\n", c.tx_frames, c.tx_bytes,
		c.tx_ring_full, c.tx_dropped_reset);
	kprintf("  rx %lu frames %lu bytes (malformed %lu, dropped at reset %lu, overruns %lu)\n", c.rx_frames,
		c.rx_bytes, c.rx_malformed, c.rx_dropped_reset, c.rx_overruns);
	kprintf("  interrupts %lu (spurious %lu), link changes %lu, resets %lu\n", c.irqs, c.spurious_irqs,
		c.link_changes, c.resets);
	kprintf("  device: %lu good rx, %lu good tx, %lu missed, %lu CRC errors\n", c.hw_rx_good, c.hw_tx_good,
		c.hw_missed, c.hw_crc_errors);
	return 0;
}

static int
arp(unsigned count)
{
	uint8_t mac[6], gw[6], f[ARP_FRAME_LEN];
	static uint8_t buf[E1000_BUF];
	int err = e1000_mac(0, mac);
	if (err) {
		kprintf("nic arp: %s\n", err_str(err));
		return 1;
	}
	arp_request(f, mac, IPV4(10, 0, 2, 15), IPV4(10, 0, 2, 2));
	unsigned replies = 0;
	for (unsigned k = 0; k < count; k++) {
		err = e1000_send(0, f, sizeof(f));
		if (err) {
			kprintf("nic arp: send %u: %s\n", k, err_str(err));
			continue;
		}
		for (;;) {
			size_t len;
			err = e1000_recv(0, buf, sizeof(buf), &len, 1000000000);
			if (err)
				break;
			if (arp_is_reply(buf, len, IPV4(10, 0, 2, 2), mac, gw)) {
				replies++;
				break;
			}
		}
		if (err)
			kprintf("nic arp: reply %u: %s\n", k, err_str(err));
	}
	if (replies)
		kprintf("arp: %u requests, %u replies from 10.0.2.2 at %02x:%02x:%02x:%02x:%02x:%02x\n", count, replies,
			gw[0], gw[1], gw[2], gw[3], gw[4], gw[5]);
	else
		kprintf("arp: %u requests, 0 replies from 10.0.2.2\n", count);
	return replies == count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "arp")) {
		uint64_t n = 1;
		if ((argc > 2 && str_to_u64_any(argv[2], &n)) || n == 0 || n > 100000) {
			kprintf("nic arp: count must be 1..100000\n");
			return 2;
		}
		return arp((unsigned)n);
	}
	if (argc != 1) {
		kprintf("usage: nic [arp [N]]\n");
		return 2;
	}
	if (!e1000_count())
		kprintf("no network card (QEMU: -device e1000)\n");
	int rc = 0;
	for (unsigned i = 0; i < e1000_count(); i++)
		rc |= show(i);
	return rc;
}
