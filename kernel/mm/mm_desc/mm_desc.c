/*
 * mm_desc.c: a free list of 64-byte cells. Growth happens outside the lock
 * (the grow hook takes the frame and page-table locks) and keeps a reserve
 * so that the growth path itself never needs a descriptor.
 */
#include "mm_desc.h"
#include "klibc.h"
#include "base.h"

#define BOOT_DESCS 256

struct node {
	struct node *next;
};

static union {
	uint8_t bytes[MM_DESC_SIZE];
	struct node n;
} boot_pool[BOOT_DESCS] __aligned(64);

static struct spinlock lock = SPINLOCK_INIT;
static struct node *free_list;  /* guarded by lock */
static uint64_t nfree, nlive, npages;
static bool booted;
static uintptr_t (*grow_hook)(void);

static void
push_locked(void *d)
{
	struct node *n = d;
	n->next = free_list;
	free_list = n;
	nfree++;
}

static void
boot_init_locked(void)
{
	for (int i = BOOT_DESCS - 1; i >= 0; i--)
		push_locked(&boot_pool[i]);
	booted = true;
}

void
mm_desc_set_grow(uintptr_t (*grow)(void))
{
	grow_hook = grow;
}

static void
grow(void)
{
	uintptr_t page = grow_hook ? grow_hook() : 0;
	if (!page)
		return;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	for (size_t off = 0; off < PAGE_SIZE; off += MM_DESC_SIZE)
		push_locked((void *)(page + off));
	npages++;
	spin_guard_drop(&held);
}

void *
mm_desc_alloc(void)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	if (!booted)
		boot_init_locked();
	/* keep a reserve for the grow path; grow outside the lock */
	bool need_grow = nfree < 16;
	spin_guard_drop(&held);
	if (need_grow)
		grow();

	held = spin_guard_irq(&lock);
	struct node *n = free_list;
	if (n) {
		free_list = n->next;
		nfree--;
		nlive++;
	}
	spin_guard_drop(&held);
	if (n)
		memset(n, 0, MM_DESC_SIZE);
	return n;
}

void
mm_desc_free(void *d)
{
	if (!d)
		return;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	push_locked(d);
	nlive--;
	spin_guard_drop(&held);
}

void
mm_desc_stats(struct mm_desc_stats *o)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	o->live = nlive;
	o->free = nfree;
	o->pages = npages;
	spin_guard_drop(&held);
}
