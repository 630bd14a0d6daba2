/*
 * page_alloc.c: virtual page zones over range sets.
 */
#define LOG_TAG "pages"
#include "cell_mgr.h"
#include "page_alloc.h"
#include "base.h"
#include "logger.h"
#include "mm_acct.h"
#include "mm_desc.h"
#include "page_table.h"
#include "range.h"

struct pages {
	uint32_t magic;
	uint32_t zone;
	uint64_t start;
	uint64_t count;
	uint8_t acct;   /* accounting domain charged (mm_acct) */
};
#define PAGES_MAGIC 0x50414745u /* "PAGE" */
compile_assert(pages_fits_desc, sizeof(struct pages) <= MM_DESC_SIZE);

static struct spinlock lock = SPINLOCK_INIT;
static struct range code_r[1024], any_r[1024];
static struct range_set zones[2]; /* guarded by lock */
static uint64_t raw_pages, objects;

void
page_alloc_init(void)
{
	range_set_init(&zones[ZONE_CODE], code_r, ARRAY_SIZE(code_r));
	range_set_init(&zones[ZONE_ANY], any_r, ARRAY_SIZE(any_r));
	int e1 = range_set_add(&zones[ZONE_CODE], ZONE_CODE_START, ZONE_CODE_END);
	int e2 = range_set_add(&zones[ZONE_ANY], ZONE_ANY_START, ZONE_ANY_END);
	(void)e1; /* cannot fail on an empty set */
	(void)e2;
}

struct pages *
pages_alloc(enum page_zone z, size_t count, uint64_t align, int *err)
{
	if (count == 0 || align < PAGE_SIZE || (z != ZONE_CODE && z != ZONE_ANY))
		return err_null(err, E_INVAL);
	struct pages *p = mm_desc_alloc();
	if (!p)
		return err_null(err, E_NOMEM);
	uint64_t va;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e = range_set_take(&zones[z], count * PAGE_SIZE, align, 0, UINT64_MAX, &va);
	if (!e)
		objects++;
	spin_guard_drop(&held);
	if (e) {
		mm_desc_free(p);
		return err_null(err, e);
	}
	*p = (struct pages){ PAGES_MAGIC, z, va, count, mm_acct_current() };
	mm_acct_charge(p->acct, ACCT_PAGES, (int64_t)count);
	mm_acct_charge(p->acct, ACCT_PAGE_OBJS, 1);
	return p;
}

struct pages *
pages_split(struct pages *p, size_t at, int *err)
{
	if (at == 0 || at >= p->count)
		return err_null(err, E_RANGE);
	struct pages *tail = mm_desc_alloc();
	if (!tail)
		return err_null(err, E_NOMEM);
	/* commit: nothing below fails */
	*tail = (struct pages){ PAGES_MAGIC, p->zone, p->start + at * PAGE_SIZE, p->count - at, p->acct };
	p->count = at;
	mm_acct_charge(tail->acct, ACCT_PAGE_OBJS, 1);
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	objects++;
	spin_guard_drop(&held);
	return tail;
}

void
pages_drop(struct pages *p)
{
	if (!p)
		return;
	if (p->magic != PAGES_MAGIC) {
		log_err("drop of a bad pages object %p (double drop?)", (void *)p);
		return;
	}
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e = range_set_add(&zones[p->zone], p->start, p->start + p->count * PAGE_SIZE);
	objects--;
	spin_guard_drop(&held);
	mm_acct_charge(p->acct, ACCT_PAGES, -(int64_t)p->count);
	mm_acct_charge(p->acct, ACCT_PAGE_OBJS, -1);
	if (e)
		log_err("pages [%#lx +%lu] not returned: %s", p->start, p->count, err_str(e));
	p->magic = 0;
	mm_desc_free(p);
}

void
pages_set_acct(struct pages *p, uint8_t acct)
{
	mm_acct_charge(p->acct, ACCT_PAGES, -(int64_t)p->count);
	mm_acct_charge(p->acct, ACCT_PAGE_OBJS, -1);
	p->acct = acct;
	mm_acct_charge(p->acct, ACCT_PAGES, (int64_t)p->count);
	mm_acct_charge(p->acct, ACCT_PAGE_OBJS, 1);
}

bool
pages_plausible(const struct pages *p)
{
	uintptr_t a = (uintptr_t)p;
	return a >= 0xffff800000000000ULL && !(a & 7) && p->magic == PAGES_MAGIC;
}

uint64_t
pages_start(const struct pages *p)
{
	return p->start;
}

size_t
pages_count(const struct pages *p)
{
	return p->count;
}

int
page_alloc_raw(enum page_zone z, size_t count, uint64_t *va)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e = range_set_take(&zones[z], count * PAGE_SIZE, PAGE_SIZE, 0, UINT64_MAX, va);
	if (!e)
		raw_pages += count;
	spin_guard_drop(&held);
	return e;
}

void
page_stats(struct page_stats *o)
{
	mm_acct_settle(); /* what is held back for speed counts as free */
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	o->free_code = range_set_total(&zones[ZONE_CODE]) / PAGE_SIZE;
	o->free_any = range_set_total(&zones[ZONE_ANY]) / PAGE_SIZE;
	o->raw = raw_pages;
	o->objects = objects;
	spin_guard_drop(&held);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(page_stats);
