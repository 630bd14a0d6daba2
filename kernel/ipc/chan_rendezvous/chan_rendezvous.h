/*
 * chan_rendezvous: the synchronous, bufferless channel (thesis 6.3.3). A
 * send completes only when a receiver has taken the message: the sender's
 * message stays in its own frame until a receiver copies it out. Many
 * senders and receivers, owned endpoints, separate disconnection of the
 * two sides (C.2), typed wrappers, timeouts - as for chan_buffered (bchan.h),
 * whose result codes it shares. A send that times out or is interrupted
 * either was taken (E_OK) or was not (the error): never both, never half.
 * E_FAULT from a send: the receiver taking it died in the copy (a bad
 * pointer); it was not taken, and the sender may send it again.
 * rchan_tx_delivered: how many messages sent through this endpoint a
 * receiver took - counted in the take's commit, so a sender restarted
 * after dying in a send (or hearing a wrong result) knows from its
 * endpoint whether the message got through, without asking the receiver.
 * State: each channel's queue of waiting senders, owned by its endpoints.
 */
#ifndef RCHAN_H
#define RCHAN_H

#include "base.h"

#define RCHAN_FOREVER UINT64_MAX
#define RCHAN_NOWAIT  0

struct rchan;
struct rchan_tx;
struct rchan_rx;

void rchan_tx_drop(struct rchan_tx *tx);
void rchan_rx_drop(struct rchan_rx *rx);
void rchan_drop(struct rchan *c);
DEFINE_DROP(struct rchan_tx, rchan_tx_drop)
DEFINE_DROP(struct rchan_rx, rchan_rx_drop)
DEFINE_DROP(struct rchan, rchan_drop)

int rchan_new_raw(size_t elem, struct rchan_tx **tx, struct rchan_rx **rx) __must_check;
struct rchan_tx *rchan_tx_clone(const struct rchan_tx *tx, int *err) OWNED_BY(rchan_tx_drop);
struct rchan_rx *rchan_rx_clone(const struct rchan_rx *rx, int *err) OWNED_BY(rchan_rx_drop);
struct rchan *rchan_of_rx(const struct rchan_rx *rx) OWNED_BY(rchan_drop);
struct rchan_tx *rchan_connect_tx(struct rchan *c, int *err) OWNED_BY(rchan_tx_drop);
uint64_t rchan_tx_delivered(const struct rchan_tx *tx);

/* try_ forms (RCHAN_NOWAIT): a send succeeds only if a receiver is waiting */
int rchan_send_raw(struct rchan_tx *tx, const void *msg, size_t size, uint64_t timeout) __must_check;
int rchan_recv_raw(struct rchan_rx *rx, void *msg, size_t size, uint64_t timeout) __must_check;

#define RCHAN_DEFINE(name, T)                                                        \
	static inline int name##_new(struct rchan_tx **tx, struct rchan_rx **rx)        \
	{ return rchan_new_raw(sizeof(T), tx, rx); }                                     \
	static inline int name##_send(struct rchan_tx *tx, T m, uint64_t timeout)         \
	{ return rchan_send_raw(tx, &m, sizeof(T), timeout); }                           \
	static inline int name##_try_send(struct rchan_tx *tx, T m)                       \
	{ return rchan_send_raw(tx, &m, sizeof(T), RCHAN_NOWAIT); }                      \
	static inline int name##_recv(struct rchan_rx *rx, T *m, uint64_t timeout)        \
	{ return rchan_recv_raw(rx, m, sizeof(T), timeout); }                            \
	static inline int name##_try_recv(struct rchan_rx *rx, T *m)                      \
	{ return rchan_recv_raw(rx, m, sizeof(T), RCHAN_NOWAIT); }

#endif
