/*
 * itc_core: the channel whose delivery policy can be swapped while
 * messages flow (thesis 9.1, the ITC evolution case study). This cell
 * holds the API, the channel objects and the blocking loops; the policy -
 * rendezvous (itc_sync) or buffered (itc_async) - lives in a cell of its
 * own that itc_core calls through relocations, so a swap of one policy
 * cell for the other changes the semantics of every channel, existing
 * ones included, at the next call, as the scheduler policy cells do for
 * the task cell. Endpoints are owned (dropping the last sender or
 * receiver disconnects that side); results as for bchan.h. A send either
 * delivered its message (E_OK) or did not (the error): never both.
 * State: the registry of live channels, which policy transfer functions
 * walk.
 */
#ifndef ITC_H
#define ITC_H

#include "base.h"

#define ITC_FOREVER UINT64_MAX
#define ITC_NOWAIT  0

struct itc_tx;
struct itc_rx;

void itc_tx_drop(struct itc_tx *tx);
void itc_rx_drop(struct itc_rx *rx);
DEFINE_DROP(struct itc_tx, itc_tx_drop)
DEFINE_DROP(struct itc_rx, itc_rx_drop)

int itc_new_raw(size_t elem, struct itc_tx **tx, struct itc_rx **rx) __must_check;
struct itc_tx *itc_tx_clone(const struct itc_tx *tx, int *err) OWNED_BY(itc_tx_drop);
struct itc_rx *itc_rx_clone(const struct itc_rx *rx, int *err) OWNED_BY(itc_rx_drop);
int itc_send_raw(struct itc_tx *tx, const void *msg, size_t size, uint64_t timeout) __must_check;
int itc_recv_raw(struct itc_rx *rx, void *msg, size_t size, uint64_t timeout) __must_check;
/* the policy in force ("rendezvous", "buffered") and the live channels */
const char *itc_policy(void);
size_t itc_count(void);

/* the policy interface (internal header, reached through this one) */
#include "itc_policy.h"

#endif
