/*
 * io.c: sending, receiving, counters. A sender copies its frame into the
 * next transmit buffer and moves the tail; descriptors the device has
 * finished are reclaimed by the next sender. A receiver takes the next
 * descriptor the device marked done, checking it first (e1000_rx_take),
 * copies the frame out and gives the descriptor back by moving the tail.
 * State: none of its own (the NIC objects, e1000.c).
 */
#define LOG_TAG "e1000"
#include "e1000_int.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "tsc.h"

/* give descriptor i back to the device (it owns up to, not including, RDT) */
static void
give_back(struct e1000_rx_ring *r, unsigned i)
{
	r->desc[i].status = 0;
	r->desc[i].length = 0;
	r->next = (i + 1) % r->n;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (r->rdt)
		*r->rdt = i;
}

/* why the device's descriptor cannot be trusted, NULL if it can */
static const char *
check(const struct e1000_rx_desc *d, char *why, size_t n)
{
	if (!(d->status & E1000_RXD_EOP))
		snprintf(why, n, "no end-of-packet bit (a frame spanning descriptors), length %u", d->length);
	else if (d->errors)
		snprintf(why, n, "error bits %#x set by the device", d->errors);
	else if (d->length < E1000_FRAME_MIN || d->length > E1000_BUF)
		snprintf(why, n, "impossible length %u (must be %u..%u)", d->length, E1000_FRAME_MIN, E1000_BUF);
	else
		return NULL;
	return why;
}

int
e1000_rx_take(struct e1000_rx_ring *r, void *buf, size_t cap, size_t *len)
{
	if (cap < E1000_BUF)
		return E_INVAL;
	for (unsigned tries = 0; tries < r->n; tries++) {
		unsigned i = r->next;
		volatile struct e1000_rx_desc *vd = &r->desc[i];
		if (!(vd->status & E1000_RXD_DD))
			return E_WOULDBLOCK;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		struct e1000_rx_desc d = *(struct e1000_rx_desc *)&r->desc[i]; /* one read of what the device wrote */
		char why[sizeof(r->last_error)];
		if (check(&d, why, sizeof(why))) {
			r->malformed++;
			snprintf(r->last_error, sizeof(r->last_error), "descriptor %u: %s", i, why);
			log_warn("receive %s: dropped (%lu malformed so far)", r->last_error, r->malformed);
			give_back(r, i);
			continue;
		}
		memcpy(buf, r->bufs + (size_t)i * E1000_BUF, d.length);
		*len = d.length;
		r->frames++;
		r->bytes += d.length;
		give_back(r, i);
		return E_OK;
	}
	return E_WOULDBLOCK;
}

static bool
frame_ready(void *ctx)
{
	struct nic *n = ctx;
	return n->rx.desc[n->rx.next].status & E1000_RXD_DD;
}

int
e1000_recv(unsigned i, void *buf, size_t cap, size_t *len, uint64_t timeout_ns)
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	if (cap < E1000_BUF)
		return E_INVAL;
	uint64_t deadline = timeout_ns > UINT64_MAX - tsc_ns() ? UINT64_MAX : tsc_ns() + timeout_ns;
	for (;;) {
		bool irq = spin_lock_irq(&n->rx_lock);
		int err = e1000_rx_take(&n->rx, buf, cap, len);
		spin_unlock_irq(&n->rx_lock, irq);
		if (err != E_WOULDBLOCK)
			return err;
		uint64_t now = tsc_ns();
		if (now >= deadline)
			return E_TIMEDOUT;
		/* woken by the interrupt; every 10 ms a look anyway (a line
		 * masked after a fault delivers nothing until the reset) */
		err = waitq_wait_deadline(&n->rx_wait, frame_ready, n, MIN(deadline, now + 10000000));
		if (err == E_INTR)
			return err;
	}
}

int
e1000_send(unsigned i, const void *frame, size_t len)
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	if (len < E1000_FRAME_MIN || len > E1000_FRAME_MAX)
		return E_INVAL;
	if (!n->link)
		return E_IO;
	bool irq = spin_lock_irq(&n->tx_lock);
	while (n->tx_clean != n->tx_tail && (((volatile struct e1000_tx_desc *)n->txd)[n->tx_clean].status & TXD_DD))
		n->tx_clean = (n->tx_clean + 1) % E1000_RING;
	unsigned t = n->tx_tail;
	if ((t + 1) % E1000_RING == n->tx_clean) {
		n->c.tx_ring_full++;
		spin_unlock_irq(&n->tx_lock, irq);
		return E_FULL;
	}
	memcpy(n->txb + (size_t)t * E1000_BUF, frame, len);
	n->txd[t].length = (uint16_t)len;
	n->txd[t].cmd = TXD_EOP | TXD_IFCS | TXD_RS;
	n->txd[t].status = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n->tx_tail = (t + 1) % E1000_RING;
	wr(n, R_TDT, n->tx_tail);
	n->c.tx_frames++;
	n->c.tx_bytes += len;
	spin_unlock_irq(&n->tx_lock, irq);
	return E_OK;
}

int
e1000_counters(unsigned i, struct e1000_counters *out)
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	bool irq = spin_lock_irq(&n->tx_lock);
	spin_lock_raw(&n->rx_lock);
	/* the statistics registers clear when read: accumulate */
	n->c.hw_rx_good += rd(n, R_GPRC);
	n->c.hw_tx_good += rd(n, R_GPTC);
	n->c.hw_missed += rd(n, R_MPC);
	n->c.hw_crc_errors += rd(n, R_CRCERRS);
	n->c.rx_frames = n->rx.frames;
	n->c.rx_bytes = n->rx.bytes;
	n->c.rx_malformed = n->rx.malformed;
	*out = n->c;
	spin_unlock_raw(&n->rx_lock);
	spin_unlock_irq(&n->tx_lock, irq);
	return E_OK;
}

int
e1000_mac(unsigned i, uint8_t mac[6])
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	memcpy(mac, n->mac, 6);
	return E_OK;
}

int
e1000_link(unsigned i, bool *up)
{
	struct nic *n = e1000_nic(i);
	if (!n)
		return E_NOENT;
	*up = n->link;
	return E_OK;
}

/* what applications may call (the nic app; see export.h) */
EXPORT_APP(e1000_count);
EXPORT_APP(e1000_mac);
EXPORT_APP(e1000_link);
EXPORT_APP(e1000_send);
EXPORT_APP(e1000_recv);
EXPORT_APP(e1000_counters);
