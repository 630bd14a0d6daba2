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
static uint8_t (*current_hook)(void);
static void (*settle_hooks[MM_ACCT_SETTLE_HOOKS])(void); /* set once each, at boot */

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
mm_acct_set_current_hook(uint8_t (*fn)(void))
{
	__atomic_store_n(&current_hook, fn, __ATOMIC_RELEASE);
}

static uint32_t shared_depth[MAX_CPUS]; /* per CPU, changed only by that CPU */

void
mm_acct_shared_begin(void)
{
	preempt_count_inc();
	shared_depth[cpu_id()]++;
}

void
mm_acct_shared_end(void)
{
	shared_depth[cpu_id()]--;
	preempt_count_dec();
}

uint8_t
mm_acct_current(void)
{
	if (shared_depth[cpu_id()])
		return MM_ACCT_NONE;
	uint8_t (*fn)(void) = __atomic_load_n(&current_hook, __ATOMIC_ACQUIRE);
	return fn ? fn() : MM_ACCT_NONE;
}

void
mm_acct_charge(uint8_t d, enum mm_acct_kind k, int64_t delta)
{
	if (d != MM_ACCT_NONE && (unsigned)k < ACCT_KINDS)
		__atomic_add_fetch(&domains[d].c[k], delta, __ATOMIC_RELAXED);
}

static bool
empty(const struct domain *x)
{
	for (int k = 0; k < ACCT_KINDS; k++)
		if (__atomic_load_n(&x->c[k], __ATOMIC_RELAXED))
			return false;
	return true;
}

int
mm_acct_open(uint8_t *d)
{
	int e = E_BUSY;
	bool irq = spin_lock_irq(&lock);
	for (unsigned i = 1; i < MM_ACCT_MAX; i++) {
		if (!domains[i].open && empty(&domains[i])) {
			domains[i].open = true;
			*d = (uint8_t)i;
			e = E_OK;
			break;
		}
	}
	spin_unlock_irq(&lock, irq);
	return e;
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
	for (int k = 0; k < ACCT_KINDS; k++)
		out[k] = __atomic_load_n(&domains[d].c[k], __ATOMIC_RELAXED);
}

void
mm_acct_close(uint8_t d)
{
	if (d == MM_ACCT_NONE)
		return;
	bool irq = spin_lock_irq(&lock);
	domains[d].open = false;
	spin_unlock_irq(&lock, irq);
}
