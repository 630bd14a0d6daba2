/*
 * test_e1000: frames sent and received on QEMU's user-mode network
 * (restrict=on: only QEMU answers; its gateway 10.0.2.2 answers ARP),
 * requests the driver must refuse, descriptors it must not trust, and a
 * spurious interrupt.
 */
#include "arp.h"
#include "e1000.h"
#include "klibc.h"
#include "ktest.h"
#include "pci.h"
#include "task.h"
#include "tsc.h"

static uint8_t frame[E1000_BUF];

/* one ARP request to the gateway; E_OK when its reply came within 2 s */
static int
arp_gateway(uint8_t gw_mac[6])
{
	uint8_t mac[6], req[ARP_FRAME_LEN];
	int err = e1000_mac(0, mac);
	if (err)
		return err;
	arp_request(req, mac, IPV4(10, 0, 2, 15), IPV4(10, 0, 2, 2));
	err = e1000_send(0, req, sizeof(req));
	if (err)
		return err;
	uint64_t deadline = tsc_ns() + 2000000000;
	while (tsc_ns() < deadline) {
		size_t len;
		err = e1000_recv(0, frame, sizeof(frame), &len, 200000000);
		if (!err && arp_is_reply(frame, len, IPV4(10, 0, 2, 2), mac, gw_mac))
			return E_OK;
	}
	return E_TIMEDOUT;
}

KTEST(e1000_link_up_and_the_gateway_answers_arp)
{
	KT_ASSERT(e1000_count() >= 1);
	bool up = false;
	KT_OK(e1000_link(0, &up));
	KT_ASSERT(up);
	uint8_t mac[6];
	KT_OK(e1000_mac(0, mac));
	static const uint8_t qemu_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	KT_EQ(memcmp(mac, qemu_mac, 6), 0); /* read from the device (tools/qemu-devices.sh sets it) */
	struct e1000_counters a, b;
	KT_OK(e1000_counters(0, &a));
	uint8_t gw[6];
	for (int i = 0; i < 3; i++)
		KT_OK(arp_gateway(gw));
	/* QEMU answers during the transmit itself: the reply can be taken
	 * from the ring before its interrupt reaches CPU 0; it must come */
	uint64_t t0 = tsc_ns();
	do {
		KT_OK(e1000_counters(0, &b));
		if (b.irqs > a.irqs)
			break;
		task_sleep_ns(1000000);
	} while (tsc_ns() - t0 < 1000000000);
	KT_EQ(gw[0], 0x52);
	KT_EQ(gw[1], 0x55); /* QEMU's user-mode network: 52:55:0a:00:02:02 */
	KT_EQ(b.tx_frames - a.tx_frames, 3);
	KT_ASSERT(b.rx_frames - a.rx_frames >= 3);
	KT_ASSERT(b.hw_tx_good - a.hw_tx_good >= 3);
	KT_ASSERT(b.hw_rx_good - a.hw_rx_good >= 3);
	KT_ASSERT(b.irqs > a.irqs);
}

KTEST(e1000_refuses_impossible_requests)
{
	struct e1000_counters a, b;
	KT_OK(e1000_counters(0, &a));
	KT_EQ(e1000_send(0, frame, 13), E_INVAL);
	KT_EQ(e1000_send(0, frame, E1000_FRAME_MAX + 1), E_INVAL);
	KT_EQ(e1000_send(7, frame, 60), E_NOENT);
	size_t len;
	KT_EQ(e1000_recv(0, frame, 1500, &len, 1000), E_INVAL);
	KT_OK(e1000_counters(0, &b));
	KT_EQ(b.tx_frames, a.tx_frames);
}

KTEST(e1000_refuses_malformed_receive_descriptors)
{
	static struct e1000_rx_desc desc[6];
	static uint8_t bufs[6 * E1000_BUF];
	struct e1000_rx_ring r = { .desc = desc, .bufs = bufs, .n = 6 };
	memset(desc, 0, sizeof(desc));
	desc[0] = (struct e1000_rx_desc){ .status = E1000_RXD_DD, .length = 60 };                   /* no EOP */
	desc[1] = (struct e1000_rx_desc){ .status = E1000_RXD_DD | E1000_RXD_EOP, .length = 60, .errors = 0x80 };
	desc[2] = (struct e1000_rx_desc){ .status = E1000_RXD_DD | E1000_RXD_EOP, .length = 5000 };
	desc[3] = (struct e1000_rx_desc){ .status = E1000_RXD_DD | E1000_RXD_EOP, .length = 3 };
	desc[4] = (struct e1000_rx_desc){ .status = E1000_RXD_DD | E1000_RXD_EOP, .length = 60 };
	memset(bufs + 4 * E1000_BUF, 0xAB, 60);
	size_t len = 0;
	KT_OK(e1000_rx_take(&r, frame, sizeof(frame), &len));
	KT_EQ(len, 60);
	KT_EQ(frame[59], 0xAB);
	KT_EQ(r.malformed, 4);
	KT_EQ(r.frames, 1);
	KT_ASSERT(strstr(r.last_error, "descriptor 3: impossible length 3"));
	for (int i = 0; i < 5; i++)
		KT_EQ(desc[i].status, 0); /* each given back */
	KT_EQ(r.next, 5);
	KT_EQ(e1000_rx_take(&r, frame, sizeof(frame), &len), E_WOULDBLOCK); /* desc 5: not done */
	KT_EQ(e1000_rx_take(&r, frame, 100, &len), E_INVAL);
}

KTEST(e1000_counts_a_spurious_interrupt)
{
	uint8_t vec;
	KT_OK(e1000_vector(0, &vec));
	struct e1000_counters a, b;
	KT_OK(e1000_counters(0, &a));
	KT_OK(pci_irq_self(vec)); /* the device has no cause to report */
	uint64_t t0 = tsc_ns();
	do {
		task_sleep_ns(1000000);
		KT_OK(e1000_counters(0, &b));
	} while (b.spurious_irqs == a.spurious_irqs && tsc_ns() - t0 < 1000000000);
	KT_EQ(b.spurious_irqs, a.spurious_irqs + 1);
	KT_EQ(b.irqs, a.irqs + 1);
}
