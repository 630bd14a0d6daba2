/*
 * chan_buffered: the asynchronous buffered channel (thesis 6.3.3). A
 * bounded ring of fixed-size messages; many senders and receivers, each an
 * owned endpoint. Dropping the last sender marks the channel disconnected
 * for receivers (once it is empty), dropping the last receiver marks it
 * disconnected for senders; both wake the other side. The two sides
 * disconnect separately: a new sender may connect to a channel whose
 * receivers remain (C.2), e.g. a restarted task that kept the channel in
 * the state_db. Every message is received exactly once.
 *
 * Typed use (checked at compile time, as Rust's generics would be):
 *   BCHAN_DEFINE(ints, int);            generates ints_new/send/recv/try_*
 *   ints_new(16, &tx, &rx);  ints_send(tx, 42, BCHAN_FOREVER);
 * Results: E_OK, E_DISCONNECTED, E_WOULDBLOCK (try_), E_FULL (try_send on a
 * full ring), E_TIMEDOUT, E_INTR (the calling task is being killed; nothing
 * was transferred).
 * State: each channel's ring, owned by its endpoints (reference counted).
 */
#ifndef BCHAN_H
#define BCHAN_H

#include "base.h"

#define BCHAN_FOREVER UINT64_MAX
#define BCHAN_NOWAIT  0

struct bchan;
struct bchan_tx;
struct bchan_rx;

void bchan_tx_drop(struct bchan_tx *tx);
void bchan_rx_drop(struct bchan_rx *rx);
void bchan_drop(struct bchan *c);
DEFINE_DROP(struct bchan_tx, bchan_tx_drop)
DEFINE_DROP(struct bchan_rx, bchan_rx_drop)
DEFINE_DROP(struct bchan, bchan_drop)

int bchan_new_raw(size_t elem, size_t cap, struct bchan_tx **tx, struct bchan_rx **rx) __must_check;
struct bchan_tx *bchan_tx_clone(const struct bchan_tx *tx, int *err) OWNED_BY(bchan_tx_drop);
struct bchan_rx *bchan_rx_clone(const struct bchan_rx *rx, int *err) OWNED_BY(bchan_rx_drop);
/* a counted reference to the channel itself (to keep, e.g. in the state_db) */
struct bchan *bchan_of_rx(const struct bchan_rx *rx) OWNED_BY(bchan_drop);
/* a new sender on an existing channel (reconnect); E_DISCONNECTED if no
 * receiver remains */
struct bchan_tx *bchan_connect_tx(struct bchan *c, int *err) OWNED_BY(bchan_tx_drop);

/* timeout in ns: BCHAN_NOWAIT (try), BCHAN_FOREVER, or a duration */
int bchan_send_raw(struct bchan_tx *tx, const void *msg, size_t size, uint64_t timeout) __must_check;
int bchan_recv_raw(struct bchan_rx *rx, void *msg, size_t size, uint64_t timeout) __must_check;
size_t bchan_len(const struct bchan_rx *rx);

#define BCHAN_DEFINE(name, T)                                                        \
	static inline int name##_new(size_t cap, struct bchan_tx **tx, struct bchan_rx **rx) \
	{ return bchan_new_raw(sizeof(T), cap, tx, rx); }                                \
	static inline int name##_send(struct bchan_tx *tx, T m, uint64_t timeout)         \
	{ return bchan_send_raw(tx, &m, sizeof(T), timeout); }                           \
	static inline int name##_try_send(struct bchan_tx *tx, T m)                       \
	{ return bchan_send_raw(tx, &m, sizeof(T), BCHAN_NOWAIT); }                      \
	static inline int name##_recv(struct bchan_rx *rx, T *m, uint64_t timeout)        \
	{ return bchan_recv_raw(rx, m, sizeof(T), timeout); }                            \
	static inline int name##_try_recv(struct bchan_rx *rx, T *m)                      \
	{ return bchan_recv_raw(rx, m, sizeof(T), BCHAN_NOWAIT); }

#endif
