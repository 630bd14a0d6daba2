/*
 * mm_acct.c: the domain table. Counters are updated with atomics by the
 * allocators (any CPU, any context); the open flags under a lock.
 */
#define LOG_TAG "acct"
#include "mm_acct.h"
#include "base.h"
#include "cpu.h"

struct domain {
	int64_t c[ACCT_KINDS]; /* atomic */
	bool open;             /* guarded by lock */
};

static struct spinlock lock = SPINLOCK_INIT;
static struct domain domains[MM_ACCT_MAX];
static void (*settle_hooks[MM_ACCT_SETTLE_HOOKS])(void); /* set once each, at boot */
static void (*sources[MM_ACCT_SOURCES])(uint8_t, int64_t *); /* set once each, at boot */

const char *const mm_acct_kind_name[ACCT_KINDS] = {
	[ACCT_FRAMES] = "frames",
	[ACCT_PAGES] = "pages",
	[ACCT_FRAME_OBJS] = "frame objects",
	[ACCT_PAGE_OBJS] = "page objects",
	[ACCT_MAPPINGS] = "mappings",
	[ACCT_HEAP_BYTES] = "heap bytes",
	[ACCT_HEAP_OBJS] = "heap objects",
	[ACCT_TASKS] = "tasks",
};

void
mm_acct_shared_begin(void)
{
	preempt_count_inc();
	this_cpu()->acct_shared++;
}

void
mm_acct_shared_end(void)
{
	this_cpu()->acct_shared--;
	preempt_count_dec();
}

/* one %gs-relative load: the value of the CPU this instruction ran on */
#define GS_LOAD(field, out) \
	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(out) : "i"(offsetof(struct percpu, field)))

/*
 * No interrupts off: each field is read in one instruction, and whichever
 * CPU runs it, that CPU's values then belong to the running task - its
 * domain and interrupt nesting are switched with it (task cell), and a
 * shared section runs with preemption off, so only its own task can see
 * its CPU's count raised.
 */
uint8_t
mm_acct_current(void)
{
	int irq_depth;
	unsigned shared;
	uint8_t d;
	GS_LOAD(irq_depth, irq_depth);
	GS_LOAD(acct_shared, shared);
	if (irq_depth || shared)
		return MM_ACCT_NONE;
	GS_LOAD(acct, d);
	return d;
}

void
mm_acct_charge(uint8_t d, enum mm_acct_kind k, int64_t delta)
{
	if (d != MM_ACCT_NONE && (unsigned)k < ACCT_KINDS)
		__atomic_add_fetch(&domains[d].c[k], delta, __ATOMIC_RELAXED);
}

/* domain d's counters: the table's plus what each source holds */
static void
sum(uint8_t d, int64_t out[ACCT_KINDS])
{
	for (int k = 0; k < ACCT_KINDS; k++)
		out[k] = __atomic_load_n(&domains[d].c[k], __ATOMIC_RELAXED);
	for (unsigned i = 0; i < MM_ACCT_SOURCES; i++) {
		void (*fn)(uint8_t, int64_t *) = __atomic_load_n(&sources[i], __ATOMIC_ACQUIRE);
		if (fn)
			fn(d, out);
	}
}

static bool
empty(uint8_t d)
{
	int64_t c[ACCT_KINDS];
	sum(d, c);
	for (int k = 0; k < ACCT_KINDS; k++)
		if (c[k])
			return false;
	return true;
}

int
mm_acct_add_source(void (*fn)(uint8_t d, int64_t out[ACCT_KINDS]))
{
	for (unsigned i = 0; i < MM_ACCT_SOURCES; i++) {
		void (*none)(uint8_t, int64_t *) = NULL;
		if (__atomic_compare_exchange_n(&sources[i], &none, fn, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return E_OK;
	}
	return E_NOSPC;
}

static int
open_one(uint8_t *d)
{
	int e = E_BUSY;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	for (unsigned i = 1; i < MM_ACCT_MAX; i++) {
		if (!domains[i].open && empty((uint8_t)i)) {
			domains[i].open = true;
			*d = (uint8_t)i;
			e = E_OK;
			break;
		}
	}
	spin_guard_drop(&held);
	return e;
}

int
mm_acct_open(uint8_t *d)
{
	if (open_one(d) == E_OK)
		return E_OK;
	/* what is held back for speed may still be charged to a closed
	 * domain (a cached large heap region): give it back and look again */
	mm_acct_settle();
	return open_one(d);
}

int
mm_acct_add_settle_hook(void (*fn)(void))
{
	for (unsigned i = 0; i < MM_ACCT_SETTLE_HOOKS; i++) {
		void (*none)(void) = NULL;
		if (__atomic_compare_exchange_n(&settle_hooks[i], &none, fn, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return E_OK;
	}
	return E_NOSPC;
}

void
mm_acct_settle(void)
{
	/* last added first: a cache above (the heap's) releases into the
	 * layer below (lazy unmaps), which then releases to the allocators */
	for (unsigned i = MM_ACCT_SETTLE_HOOKS; i-- > 0;) {
		void (*fn)(void) = __atomic_load_n(&settle_hooks[i], __ATOMIC_ACQUIRE);
		if (fn)
			fn();
	}
}

void
mm_acct_read(uint8_t d, int64_t out[ACCT_KINDS])
{
	mm_acct_settle();
	sum(d, out);
}

void
mm_acct_close(uint8_t d)
{
	if (d == MM_ACCT_NONE)
		return;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	domains[d].open = false;
	spin_guard_drop(&held);
}
