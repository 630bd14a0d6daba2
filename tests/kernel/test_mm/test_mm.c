/*
 * test_mm: in-kernel tests of frames, pages and MappedPages. Each test is
 * checked by the runner for lost frames, pages, mappings and heap bytes.
 */
#include "base.h"
#include "ktest.h"
#include "memory.h"
#include "mm_desc.h"
#include "page_table.h"
#include "mm_acct.h"
#include "stack.h"
#include "klibc.h"
#include "cell_mgr.h"
#include "task.h"

KTEST(frames_alloc_and_drop)
{
	struct frame_stats a, b;
	int err;

	frame_stats(&a);
	{
		_cleanup_(frames_drop_p) struct frames *f = frames_alloc(8, &err);
		KT_ASSERT(f);
		KT_EQ(frames_count(f), 8);
		KT_ASSERT(IS_ALIGNED(frames_phys(f), PAGE_SIZE));
		frame_stats(&b);
		KT_EQ(b.free, a.free - 8);
	}
	frame_stats(&b);
	KT_EQ(b.free, a.free);
}

KTEST(frames_never_owned_twice)
{
	int err;
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc(1, &err);
	KT_ASSERT(f);
	_cleanup_(frames_drop_p) struct frames *again = frames_alloc_at(frames_phys(f), 1, &err);
	KT_ASSERT(again == NULL);
	KT_EQ(err, E_BUSY);
	/* the kernel image's own frames are never handed out either */
	_cleanup_(frames_drop_p) struct frames *img = frames_alloc_at(0x100000, 1, &err);
	KT_ASSERT(img == NULL);
	KT_EQ(err, E_BUSY);
}

KTEST(frames_aligned_within_range)
{
	int err;
	const uint64_t lo = 64 << 20, hi = 128 << 20, align = 2 << 20;
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc_in(3, align, lo, hi, &err);
	KT_ASSERT(f);
	KT_ASSERT(IS_ALIGNED(frames_phys(f), align));
	KT_ASSERT(frames_phys(f) >= lo && frames_phys(f) + 3 * PAGE_SIZE <= hi);
	_cleanup_(frames_drop_p) struct frames *bad = frames_alloc_in(1, 3 * PAGE_SIZE, 0, UINT64_MAX, &err);
	KT_ASSERT(!bad && err == E_INVAL);
	_cleanup_(frames_drop_p) struct frames *none = frames_alloc(1UL << 40, &err);
	KT_ASSERT(!none && err == E_NOMEM);
}

KTEST(frames_bad_arguments)
{
	int err;
	_cleanup_(frames_drop_p) struct frames *a = frames_alloc_at(0x1001, 1, &err);
	KT_ASSERT(!a && err == E_ALIGN);
	_cleanup_(frames_drop_p) struct frames *b = frames_alloc(0, &err);
	KT_ASSERT(!b && err == E_INVAL);
	_cleanup_(frames_drop_p) struct frames *c = frames_alloc_at(0xFFFFFFFFFFFFF000ULL, 2, &err);
	KT_ASSERT(!c && err == E_OVERFLOW);
}

KTEST(pages_split_and_drop)
{
	int err;
	struct page_stats a, b;
	page_stats(&a);
	{
		_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, 10, PAGE_SIZE, &err);
		KT_ASSERT(p);
		KT_ASSERT(pages_start(p) >= ZONE_ANY_START && pages_start(p) < ZONE_ANY_END);
		_cleanup_(pages_drop_p) struct pages *tail = pages_split(p, 4, &err);
		KT_ASSERT(tail);
		KT_EQ(pages_count(p), 4);
		KT_EQ(pages_count(tail), 6);
		KT_EQ(pages_start(tail), pages_start(p) + 4 * PAGE_SIZE);
		_cleanup_(pages_drop_p) struct pages *none = pages_split(p, 4, &err);
		KT_ASSERT(!none && err == E_RANGE);
		_cleanup_(pages_drop_p) struct pages *code = pages_alloc(ZONE_CODE, 1, PAGE_SIZE, &err);
		KT_ASSERT(code && pages_start(code) >= KERNEL_VMA);
	}
	page_stats(&b);
	KT_EQ(b.free_any, a.free_any);
	KT_EQ(b.free_code, a.free_code);
}

KTEST(map_write_unmap_returns_frames)
{
	int err;
	struct frame_stats a, b;
	uint64_t va;

	frame_stats(&a);
	{
		_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 4, MP_WRITE, &err);
		KT_ASSERT(mp);
		va = mp_start(mp);
		uint64_t *words = MP_AS_ARRAY_MUT(mp, uint64_t, 0, 4 * PAGE_SIZE / 8, &err);
		KT_ASSERT(words);
		for (size_t i = 0; i < 4 * PAGE_SIZE / 8; i++)
			KT_EQ(words[i], 0); /* fresh writable mappings are zeroed */
		for (size_t i = 0; i < 4 * PAGE_SIZE / 8; i++)
			words[i] = i * 0x9E3779B97F4A7C15ULL;
		for (size_t i = 0; i < 4 * PAGE_SIZE / 8; i++)
			KT_EQ(words[i], i * 0x9E3779B97F4A7C15ULL);
		uint64_t phys;
		KT_ASSERT(pt_translate(va, &phys, NULL));
		KT_EQ(phys, mp_phys(mp));
	}
	KT_ASSERT(!pt_translate(va, NULL, NULL)); /* unmapped */
	frame_stats(&b);
	KT_EQ(b.free + b.raw, a.free + a.raw);
	KT_EQ(b.objects, a.objects);
}

KTEST(readonly_mapping_refuses_writable_view)
{
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_READ, &err);
	KT_ASSERT(mp);
	KT_ASSERT(MP_AS(mp, uint64_t, 0, &err) != NULL);
	uint64_t *w = MP_AS_MUT(mp, uint64_t, 0, &err);
	KT_ASSERT(w == NULL);
	KT_EQ(err, E_PERM);
	KT_ASSERT(mp_as_exec(mp, 0, &err) == NULL && err == E_PERM);
}

KTEST(write_exec_mapping_refused)
{
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE | MP_EXEC, &err);
	KT_ASSERT(mp == NULL);
	KT_EQ(err, E_PERM);
}

KTEST(accessors_are_bounds_checked)
{
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 2, MP_WRITE, &err);
	KT_ASSERT(mp);
	KT_ASSERT(mp_as(mp, 2 * PAGE_SIZE - 8, 8, &err) != NULL);
	KT_ASSERT(mp_as(mp, 2 * PAGE_SIZE - 7, 8, &err) == NULL && err == E_RANGE);
	KT_ASSERT(mp_as(mp, 2 * PAGE_SIZE, 0, &err) != NULL);
	KT_ASSERT(mp_as(mp, SIZE_MAX, 2, &err) == NULL && err == E_RANGE);
	KT_ASSERT(MP_AS_ARRAY(mp, uint64_t, 0, SIZE_MAX / 4, &err) == NULL && err == E_RANGE);
	KT_ASSERT(MP_AS_ARRAY_MUT(mp, uint32_t, 4, 2048, &err) == NULL && err == E_RANGE);
	KT_ASSERT(MP_AS_ARRAY_MUT(mp, uint32_t, 4, 2047, &err) != NULL);
}

KTEST(protect_changes_views)
{
	int err;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	KT_ASSERT(mp);
	uint64_t flags;
	KT_ASSERT(pt_translate(mp_start(mp), NULL, &flags));
	KT_ASSERT((flags & PTE_WRITE) && (flags & PTE_NX));
	KT_OK(mp_protect(mp, MP_EXEC));
	KT_ASSERT(MP_AS_MUT(mp, uint8_t, 0, &err) == NULL && err == E_PERM);
	KT_ASSERT(mp_as_exec(mp, 0, &err) != NULL);
	KT_ASSERT(pt_translate(mp_start(mp), NULL, &flags));
	KT_ASSERT(!(flags & PTE_WRITE) && !(flags & PTE_NX));
	KT_EQ(mp_protect(mp, MP_WRITE | MP_EXEC), E_PERM);
	KT_EQ(mp_flags(mp), MP_EXEC); /* unchanged by the refused request */
}

/* what mp_map did with npages fresh pages and nframes fresh frames */
struct map_try {
	bool allocated;         /* the pages and frames to map were had */
	bool mapped;
	int err;
	bool kept, moved;       /* both still ours / both moved into the mapping */
};

static struct map_try
try_map(size_t npages, size_t nframes)
{
	struct map_try r = { 0 };
	_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, npages, PAGE_SIZE, &r.err);
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc(nframes, &r.err);
	r.allocated = p && f;
	if (!r.allocated)
		return r;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_map(&p, &f, MP_WRITE, &r.err);
	r.mapped = mp != NULL;
	r.kept = p && f;
	r.moved = !p && !f;
	return r;
}

KTEST(map_requires_matching_sizes)
{
	struct map_try r = try_map(2, 3);
	KT_ASSERT(r.allocated);
	KT_ASSERT(!r.mapped && r.err == E_RANGE);
	KT_ASSERT(r.kept); /* still ours after a failed map */
}

KTEST(map_consumes_pages_and_frames)
{
	struct map_try r = try_map(1, 1);
	KT_ASSERT(r.allocated);
	KT_ASSERT(r.mapped);
	KT_ASSERT(r.moved); /* moved into the mapping */
}

KTEST(device_memory_owned_once)
{
	int err;
	/* the VGA text buffer is owned by the vga cell's mapping */
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_map_phys(0xB8000, PAGE_SIZE, MP_WRITE | MP_NOCACHE, &err);
	KT_ASSERT(mp == NULL);
	KT_EQ(err, E_BUSY);
	/* an unused MMIO page can be mapped, exactly once at a time */
	_cleanup_(mp_drop_p) struct mapped_pages *a = mp_map_phys(0xFEBFF000, PAGE_SIZE, MP_NOCACHE, &err);
	KT_ASSERT(a);
	_cleanup_(mp_drop_p) struct mapped_pages *b = mp_map_phys(0xFEBFF000, PAGE_SIZE, MP_NOCACHE, &err);
	KT_ASSERT(b == NULL && err == E_BUSY);
}

KTEST(page_tables_reclaimed)
{
	int err;
	uint64_t before = pt_table_frames();
	/* 2 MiB-aligned and 2 MiB long: needs a level-1 table of its own */
	_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, 512, 2UL << 20, &err);
	_cleanup_(frames_drop_p) struct frames *f = frames_alloc(512, &err);
	KT_ASSERT(p && f);
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_map(&p, &f, MP_WRITE, &err);
	KT_ASSERT(mp);
	KT_ASSERT(pt_table_frames() > before);
	mp_drop(TAKE_PTR(mp));
	KT_EQ(pt_table_frames(), before);
}

KTEST(descriptor_pool_grows)
{
	enum { N = 600 }; /* more than the 256 static boot descriptors */
	static struct frames *fs[N];
	struct mm_desc_stats a, b;
	int err;

	mm_desc_stats(&a);
	for (int i = 0; i < N; i++) {
		fs[i] = frames_alloc(1, &err);
		if (!fs[i]) {
			for (int j = 0; j < i; j++)
				frames_drop(fs[j]);
			KT_FAIL("frames_alloc #%d: %s", i, err_str(err));
		}
	}
	mm_desc_stats(&b);
	KT_ASSERT(b.live >= a.live + N);
	for (int i = 0; i < N; i++)
		frames_drop(fs[i]);
	mm_desc_stats(&b);
	KT_EQ(b.live, a.live);
}

/* a freed stack is kept for the next stack of its size: the same memory
 * and guard page, out of the guard registry while kept; a settle gives
 * it back (an odd size, 13 pages, that no other stack here has) */
KTEST(stack_cache_reuses_freed_stacks)
{
	int err;
	mm_acct_settle();
	KT_EQ(stack_cached(13), 0);
	uintptr_t bottom, guard;
	{
		_cleanup_(stack_drop_p) struct stack *s = stack_alloc(13, "kept", &err);
		KT_ASSERT(s);
		bottom = stack_bottom(s);
		guard = stack_guard(s);
		KT_ASSERT(stack_guard_owner(guard) != NULL);
	}
	KT_EQ(stack_cached(13), 1);
	KT_ASSERT(stack_guard_owner(guard) == NULL);
	{
		_cleanup_(stack_drop_p) struct stack *s = stack_alloc(13, "again", &err);
		KT_ASSERT(s);
		KT_EQ(stack_cached(13), 0);
		KT_EQ(stack_bottom(s), bottom);
		KT_EQ(stack_guard(s), guard);
		const char *owner = stack_guard_owner(guard);
		KT_ASSERT(owner && strcmp(owner, "again") == 0);
		*(volatile uint64_t *)(stack_top(s) - 8) = 1; /* still mapped, writable */
	}
	KT_EQ(stack_cached(13), 1);
	mm_acct_settle();
	KT_EQ(stack_cached(13), 0);
}

/* a word written over the stack cache (a campaign fault): its entries are
 * checked before use, the corrupted one dropped (its memory left where it
 * is), and stacks are still handed out, where every task spawn used to
 * fault on it */
static uint64_t
nothing(uint64_t v)
{
	return v;
}

KTEST_FLAGS(corrupted_stack_cache_entry_is_dropped_not_followed, KTEST_NO_MEMCHECK)
{
	struct cell *sc = cell_find(cell_ns_kernel(), "stack");
	KT_ASSERT(sc);
	struct cell *nano = sc->data_of ? sc->data_of : sc; /* (a copy's data is the nano_core's) */
	uint64_t *cache = NULL;
	for (size_t i = 0; i < nano->nsections && !cache; i++)
		if (nano->sections[i].kind == SEC_BSS && !strcmp(nano->sections[i].name, "cache"))
			cache = (uint64_t *)(uintptr_t)nano->sections[i].addr;
	KT_ASSERT(cache);
	cache[0] = 0x4141414141414141ULL; /* entry 0: {mapping, guard pages} */
	cache[1] = 0x4242424242424242ULL;
	for (int k = 0; k < 3; k++) {
		int err;
		struct task_builder b = TASK_BUILDER(nothing, (uint64_t)k);
		_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
		KT_ASSERT(t);
		uint64_t v = 99;
		KT_OK(task_join(t, &v));
		KT_EQ(v, (uint64_t)k);
	}
	for (int i = 0; i < 16; i++)
		KT_ASSERT(cache[i] != 0x4141414141414141ULL && cache[i] != 0x4242424242424242ULL);
}
