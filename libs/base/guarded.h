/*
 * guarded: a long-lived pointer to code or to a constant ops table (a
 * hook, a handler, the active policy) kept twice - the second copy
 * negated (so that all-zero memory is a valid NULL) - so that a corrupted word is noticed where the pointer is read,
 * before it is called, and put right (thesis 9.2: faults that corrupt
 * function pointers).
 *
 *   static struct guarded_ptr tick = GUARDED_NULL;
 *   guarded_set(&tick, fn);                  (rare: boot, a swap)
 *   void (*f)(void) = guarded_get(&tick);    (every use)
 *
 * When the copies disagree (and go on disagreeing for a moment: a setter
 * on another CPU may be between its two stores), the candidate that is the
 * start of a symbol of a loaded cell or of the nano_core wins over NULL,
 * and NULL over anything else (the validator is installed by recovery,
 * guarded_set_hooks); both copies are rewritten and the repair reported.
 * If the two candidates are equally plausible (both symbols, or neither)
 * nothing can tell: the reader panics, which unwinds its task.
 * State: a count of repairs, and the two hooks.
 */
#ifndef GUARDED_H
#define GUARDED_H

#include "base.h"

struct guarded_ptr {
	const void *p;
	uintptr_t inv; /* -p: p + inv == 0 */
};

#define GUARDED_NULL { NULL, 0 } /* (zeroed memory is one too) */

/* with interrupts off between the two stores: an interrupt handler on
 * this CPU reading g never sees half of it */
static inline void
guarded_set(struct guarded_ptr *g, const void *p)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	__atomic_store_n(&g->p, p, __ATOMIC_RELEASE);
	__atomic_store_n(&g->inv, (uintptr_t)0 - (uintptr_t)p, __ATOMIC_RELEASE);
	if (flags & 0x200)
		__asm__ volatile("sti" : : : "memory");
}

const void *guarded_repair(struct guarded_ptr *g);

static inline const void *
guarded_get_(struct guarded_ptr *g)
{
	const void *p = __atomic_load_n(&g->p, __ATOMIC_ACQUIRE);
	if (likely((uintptr_t)p + __atomic_load_n(&g->inv, __ATOMIC_ACQUIRE) == 0))
		return p;
	return guarded_repair(g);
}
/* the pointer, as the type the caller assigns it to */
#define guarded_get(g) ((void *)(uintptr_t)guarded_get_(g))

/* valid(addr): addr is the start of a symbol of a loaded cell or of the
 * nano_core; report(g, a, b, repaired): a corrupted pointer was put right
 * (a: the value dropped, b: the one kept), or could not be (a, b: the two
 * candidates). Either hook may be NULL. */
void guarded_set_hooks(bool (*valid)(uintptr_t addr),
		       void (*report)(const struct guarded_ptr *g, uintptr_t a, uintptr_t b, bool repaired));
/* how many corrupted guarded pointers were put right */
uint64_t guarded_repairs(void);

#endif
