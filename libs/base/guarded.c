/*
 * guarded.c: putting a corrupted guarded pointer right (guarded.h).
 */
#include "guarded.h"

static bool (*valid_hook)(uintptr_t addr);
static void (*report_hook)(const struct guarded_ptr *g, uintptr_t a, uintptr_t b, bool repaired);
static uint64_t repairs;

void
guarded_set_hooks(bool (*valid)(uintptr_t addr),
		  void (*report)(const struct guarded_ptr *g, uintptr_t a, uintptr_t b, bool repaired))
{
	__atomic_store_n(&valid_hook, valid, __ATOMIC_RELEASE);
	__atomic_store_n(&report_hook, report, __ATOMIC_RELEASE);
}

uint64_t
guarded_repairs(void)
{
	return __atomic_load_n(&repairs, __ATOMIC_RELAXED);
}

/* 2: a symbol's start, 1: NULL, 0: neither (or no validator yet) */
static int
rank(uintptr_t a)
{
	if (!a)
		return 1;
	bool (*valid)(uintptr_t) = __atomic_load_n(&valid_hook, __ATOMIC_ACQUIRE);
	return valid && valid(a) ? 2 : 0;
}

const void *
guarded_repair(struct guarded_ptr *g)
{
	uintptr_t a = 0, b = 0;
	/* a setter on another CPU may be between its two stores */
	for (int i = 0; i < 4096; i++) {
		a = (uintptr_t)__atomic_load_n(&g->p, __ATOMIC_ACQUIRE);
		b = (uintptr_t)0 - __atomic_load_n(&g->inv, __ATOMIC_ACQUIRE);
		if (a == b)
			return (const void *)a;
		__asm__ volatile("pause");
	}
	int ra = rank(a), rb = rank(b);
	void (*report)(const struct guarded_ptr *, uintptr_t, uintptr_t, bool) =
		__atomic_load_n(&report_hook, __ATOMIC_ACQUIRE);
	if (ra == rb) {
		/* nothing tells which copy is right: this reader fails (an
		 * invalid opcode, unwound like any fault); the pointer is left
		 * as it is for the next reader to judge again */
		if (report)
			report(g, a, b, false);
		__builtin_trap();
	}
	uintptr_t good = ra > rb ? a : b, bad = ra > rb ? b : a;
	/* (a setter that ran meanwhile wins: only the values judged are replaced) */
	__atomic_compare_exchange_n(&g->p, &(const void *){ (const void *)a }, (const void *)good, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	__atomic_compare_exchange_n(&g->inv, &(uintptr_t){ (uintptr_t)0 - b }, (uintptr_t)0 - good, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	__atomic_add_fetch(&repairs, 1, __ATOMIC_RELAXED);
	if (report)
		report(g, bad, good, true);
	return (const void *)good;
}
