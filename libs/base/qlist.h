/*
 * qlist.h: the intrusive FIFO with a tail pointer that wait queues, the
 * rendezvous channels' waiting senders and the round-robin runqueues
 * share. A node (struct qlink) lives inside its owner - often in a
 * waiting task's frame - so queueing allocates nothing. Not locked: the
 * owner's lock guards the list. Header-only; keeps no state.
 */
#ifndef QLIST_H
#define QLIST_H

#include "base.h"

struct qlink {
	struct qlink *next;
};

struct qlist {
	struct qlink *head, *tail;
};

#define QLIST_INIT { NULL, NULL }

/* the entry of type T whose member m is link l (NULL stays NULL) */
#define qlist_entry(l, T, m) ({ struct qlink *l_ = (l); l_ ? container_of(l_, T, m) : (T *)NULL; })
#define qlist_for_each(pos, list) for (struct qlink *pos = (list)->head; pos; pos = pos->next)

static inline void
qlist_init(struct qlist *l)
{
	l->head = l->tail = NULL;
}

static inline bool
qlist_empty(const struct qlist *l)
{
	return l->head == NULL;
}

/* append n at the tail */
static inline void
qlist_push(struct qlist *l, struct qlink *n)
{
	n->next = NULL;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

/* take n out wherever it stands; false if it is not on the list */
static inline bool
qlist_unlink(struct qlist *l, struct qlink *n)
{
	struct qlink **pp = &l->head, *prev = NULL;
	while (*pp && *pp != n) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return false;
	*pp = n->next;
	if (l->tail == n)
		l->tail = prev;
	return true;
}

/* take the head off; NULL if the list is empty */
static inline struct qlink *
qlist_pop(struct qlist *l)
{
	struct qlink *n = l->head;
	if (n) {
		l->head = n->next;
		if (!l->head)
			l->tail = NULL;
	}
	return n;
}

#endif
