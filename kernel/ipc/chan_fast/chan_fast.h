/*
 * chan_fast: the fastpath - a single-word, single-producer single-consumer
 * channel in one cache line, for the smallest messages, to compare with
 * microkernel IPC fastpaths. The sender spins (then yields) until the slot
 * is empty and publishes the word with one release store; the receiver
 * spins until it is full. Both ends may disconnect. No allocation per
 * message, no lock, no wait queue.
 * State: the channel word, owned by its creator.
 */
#ifndef FCHAN_H
#define FCHAN_H

#include "base.h"

struct fchan;

void fchan_drop(struct fchan *c);
DEFINE_DROP(struct fchan, fchan_drop)
struct fchan *fchan_new(int *err) OWNED_BY(fchan_drop);

int fchan_send(struct fchan *c, uint64_t v) __must_check;   /* E_OK, E_DISCONNECTED */
int fchan_recv(struct fchan *c, uint64_t *v) __must_check;  /* E_OK, E_DISCONNECTED */
int fchan_try_recv(struct fchan *c, uint64_t *v) __must_check; /* or E_WOULDBLOCK */
/* the sender or receiver side leaves: the other side sees E_DISCONNECTED */
void fchan_close_sender(struct fchan *c);
void fchan_close_receiver(struct fchan *c);

#endif
