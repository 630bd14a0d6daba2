/*
 * frame_alloc.c: physical frame pools over range sets (libs/range).
 * All bookkeeping is in frame numbers' byte addresses, page-aligned.
 */
#define LOG_TAG "frames"
#include "cell_mgr.h"
#include "frame_alloc.h"
#include "base.h"
#include "logger.h"
#include "multiboot2.h"
#include "mm_acct.h"
#include "mm_desc.h"
#include "range.h"

#define LOW_MEMORY (1ULL << 20)

enum frames_kind { KIND_RAM = 1, KIND_RESERVED, KIND_DEVICE };

struct frames {
	uint32_t magic;
	uint32_t kind;
	uint64_t phys;
	uint64_t count;
	uint8_t acct;   /* accounting domain charged (mm_acct) */
};
#define FRAMES_MAGIC 0x46524d53u /* "FRMS" */
compile_assert(frames_fits_desc, sizeof(struct frames) <= MM_DESC_SIZE);

/* all guarded by lock */
static struct spinlock lock = SPINLOCK_INIT;
static struct range ram_r[MB2_MAX_MMAP], free_r[2048], resv_r[512], dev_r[512];
static struct range_set ram, free_set, resv, dev;
static uint64_t raw_frames, objects;

static struct frames *
new_desc(int *err)
{
	struct frames *f = mm_desc_alloc();
	if (!f)
		err_set(err, E_NOMEM);
	return f;
}

static struct frames *
finish(struct frames *f, enum frames_kind kind, uint64_t phys, uint64_t count)
{
	f->magic = FRAMES_MAGIC;
	f->kind = kind;
	f->phys = phys;
	f->count = count;
	f->acct = mm_acct_current();
	objects++;
	return f;
}

/* the end of an allocation: f if e is E_OK, else f freed and e reported */
/* charge (sign 1) or debit (-1) f's domain for f */
static void
charge(const struct frames *f, int sign)
{
	if (f->kind != KIND_DEVICE)
		mm_acct_charge(f->acct, ACCT_FRAMES, sign * (int64_t)f->count);
	mm_acct_charge(f->acct, ACCT_FRAME_OBJS, sign);
}

static struct frames *
settle(struct frames *f, int e, int *err)
{
	if (e) {
		mm_desc_free(f);
		return err_null(err, e);
	}
	charge(f, 1);
	return f;
}

/*
 * The work of frames_alloc_in. frames_alloc goes through this unannotated
 * worker, not frames_alloc_in, because gcc 12's -fanalyzer mis-models a
 * call to an OWNED_BY function whose body is in the same file (it tracks
 * the result as a fresh allocation and also walks the body, then reports
 * the body's result as leaked).
 */
static struct frames *
alloc_in(size_t count, uint64_t align, uint64_t lo, uint64_t hi, int *err)
{
	if (count == 0 || align < PAGE_SIZE)
		return err_null(err, E_INVAL);
	struct frames *f = new_desc(err);
	if (!f)
		return NULL;
	uint64_t phys;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e = range_set_take(&free_set, count * PAGE_SIZE, align, lo, hi, &phys);
	if (!e)
		finish(f, KIND_RAM, phys, count);
	spin_guard_drop(&held);
	return settle(f, e, err);
}

struct frames *
frames_alloc_in(size_t count, uint64_t align, uint64_t lo, uint64_t hi, int *err)
{
	return alloc_in(count, align, lo, hi, err);
}

struct frames *
frames_alloc(size_t count, int *err)
{
	int e = E_OK;
	struct frames *f = alloc_in(count, PAGE_SIZE, 0, UINT64_MAX, &e);
	if (!f && e == E_NOMEM) {
		/* frames held back for speed (mm_acct.h: settling) first */
		mm_acct_settle();
		f = alloc_in(count, PAGE_SIZE, 0, UINT64_MAX, &e);
	}
	err_set(err, e);
	return f;
}

static struct frames *
alloc_at(uint64_t phys, size_t count, int *err)
{
	uint64_t end = phys + count * PAGE_SIZE;
	if (count == 0 || !IS_ALIGNED(phys, PAGE_SIZE) || end <= phys)
		return err_null(err, count && end <= phys ? E_OVERFLOW : count ? E_ALIGN : E_INVAL);
	struct frames *f = new_desc(err);
	if (!f)
		return NULL;
	int e = E_OK;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	if (range_set_contains(&free_set, phys, end)) {
		e = range_set_remove(&free_set, phys, end);
		if (!e)
			finish(f, KIND_RAM, phys, count);
	} else if (range_set_contains(&resv, phys, end)) {
		e = range_set_remove(&resv, phys, end);
		if (!e)
			finish(f, KIND_RESERVED, phys, count);
	} else if (range_set_intersects(&ram, phys, end)) {
		e = E_BUSY; /* RAM, and at least part of it is owned already */
	} else if (range_set_intersects(&dev, phys, end)) {
		e = E_BUSY;
	} else {
		e = range_set_add(&dev, phys, end);
		if (!e)
			finish(f, KIND_DEVICE, phys, count);
	}
	spin_guard_drop(&held);
	return settle(f, e, err);
}

struct frames *
frames_alloc_at(uint64_t phys, size_t count, int *err)
{
	int e = E_OK;
	struct frames *f = alloc_at(phys, count, &e);
	if (!f && e == E_BUSY) {
		/* owned still by a lazily unmapped range (mm_acct.h: settling)? */
		mm_acct_settle();
		f = alloc_at(phys, count, &e);
	}
	err_set(err, e);
	return f;
}

void
frames_drop(struct frames *f)
{
	if (!f)
		return;
	if (f->magic != FRAMES_MAGIC) {
		log_err("drop of a bad frames object %p (double drop?)", (void *)f);
		return;
	}
	uint64_t end = f->phys + f->count * PAGE_SIZE;
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e;
	switch (f->kind) {
	case KIND_RAM: e = range_set_add(&free_set, f->phys, end); break;
	case KIND_RESERVED: e = range_set_add(&resv, f->phys, end); break;
	default: e = range_set_remove(&dev, f->phys, end); break;
	}
	objects--;
	spin_guard_drop(&held);
	charge(f, -1);
	if (e)
		log_err("frames [%#lx, %#lx) not returned: %s", f->phys, end, err_str(e));
	f->magic = 0;
	mm_desc_free(f);
}

void
frames_set_acct(struct frames *f, uint8_t acct)
{
	charge(f, -1);
	f->acct = acct;
	charge(f, 1);
}

uint64_t
frames_phys(const struct frames *f)
{
	return f->phys;
}

size_t
frames_count(const struct frames *f)
{
	return f->count;
}

int
frame_alloc_raw(size_t count, uint64_t *phys)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e = range_set_take(&free_set, count * PAGE_SIZE, PAGE_SIZE, 0, UINT64_MAX, phys);
	if (!e)
		raw_frames += count;
	spin_guard_drop(&held);
	return e;
}

void
frame_free_raw(uint64_t phys, size_t count)
{
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	int e = range_set_add(&free_set, phys, phys + count * PAGE_SIZE);
	if (!e)
		raw_frames -= count;
	spin_guard_drop(&held);
	if (e)
		log_err("raw frames at %#lx not returned: %s", phys, err_str(e));
}

/* move [s, e) out of the free pool (into `to`, or nowhere if to is NULL) */
static int
carve(uint64_t s, uint64_t e, struct range_set *to)
{
	s = ALIGN_DOWN(s, PAGE_SIZE);
	e = ALIGN_UP(e, PAGE_SIZE);
	for (size_t i = 0; i < free_set.n; i++) {
		uint64_t a = MAX(s, free_set.r[i].start), b = MIN(e, free_set.r[i].end);
		if (a >= b)
			continue;
		int err = range_set_remove(&free_set, a, b);
		if (!err && to)
			err = range_set_add(to, a, b);
		if (err)
			return err;
		i = (size_t)-1; /* the set changed: rescan */
	}
	return E_OK;
}

int
frame_alloc_init(const struct boot_info *bi, uint64_t kstart, uint64_t kend)
{
	range_set_init(&ram, ram_r, ARRAY_SIZE(ram_r));
	range_set_init(&free_set, free_r, ARRAY_SIZE(free_r));
	range_set_init(&resv, resv_r, ARRAY_SIZE(resv_r));
	range_set_init(&dev, dev_r, ARRAY_SIZE(dev_r));

	for (size_t i = 0; i < bi->nmmap; i++) {
		const struct mb2_mmap_entry *m = &bi->mmap[i];
		if (m->type != MB2_MEM_AVAILABLE)
			continue;
		uint64_t s = ALIGN_UP(m->base, PAGE_SIZE), e = ALIGN_DOWN(m->base + m->len, PAGE_SIZE);
		if (s >= e)
			continue;
		int err = range_set_add(&ram, s, e);
		if (err == E_EXIST) {
			/* firmware maps can overlap; keep the first claim */
			log_warn("memory map entry [%#lx, %#lx) overlaps another; ignored", s, e);
			continue;
		}
		if (!err)
			err = range_set_add(&free_set, s, e);
		if (err)
			return err;
	}
	int err = carve(0, LOW_MEMORY, &resv);
	if (!err)
		err = carve(kstart, kend, NULL);
	if (!err)
		err = carve(bi->info_phys, bi->info_phys + bi->info_size, &resv);
	for (size_t i = 0; !err && i < bi->nmodules; i++)
		err = carve(bi->modules[i].start, bi->modules[i].end, &resv);
	return err;
}

void
frame_stats(struct frame_stats *o)
{
	mm_acct_settle(); /* what is held back for speed counts as free */
	_cleanup_(spin_guard_drop) struct spin_guard held = spin_guard_irq(&lock);
	o->ram = range_set_total(&ram) / PAGE_SIZE;
	o->free = range_set_total(&free_set) / PAGE_SIZE;
	o->reserved_free = range_set_total(&resv) / PAGE_SIZE;
	o->device = range_set_total(&dev) / PAGE_SIZE;
	o->raw = raw_frames;
	o->objects = objects;
	spin_guard_drop(&held);
}

void
frame_dump(void)
{
	struct frame_stats s;

	frame_stats(&s);
	log_info("%lu MiB RAM: %lu frames free, %lu reserved, %lu raw, %lu objects",
		 s.ram * PAGE_SIZE >> 20, s.free, s.reserved_free, s.raw, s.objects);
	for (size_t i = 0; i < free_set.n; i++)
		log_info("  free [%#014lx, %#014lx) %6lu KiB", free_set.r[i].start,
			 free_set.r[i].end, (free_set.r[i].end - free_set.r[i].start) >> 10);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(frame_stats);
