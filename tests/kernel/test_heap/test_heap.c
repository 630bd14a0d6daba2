/*
 * test_heap: size classes, large allocations, a 100,000-operation random
 * workload with content checks, and the ownership macros.
 */
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"

/* hide a pointer's origin from GCC, whose -Wfree-nonheap-object already
 * rejects these calls at build time; here we test the run-time check */
static void *
launder(void *p)
{
	__asm__("" : "+r"(p));
	return p;
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

KTEST(heap_every_size_class)
{
	struct heap_stats a, b;
	heap_stats(&a);
	for (size_t n = 1; n <= 2048; n = n * 3 / 2 + 1) {
		_cleanup_(kfreep) uint8_t *p = kmalloc(n);
		KT_ASSERT(p);
		KT_ASSERT(IS_ALIGNED((uintptr_t)p, 16) || n < 16);
		KT_ASSERT(kmalloc_usable_size(p) >= n);
		memset(p, 0xA5, n);
	}
	heap_stats(&b);
	KT_EQ(b.bytes_in_use, a.bytes_in_use);
	KT_EQ(b.objects, a.objects);
}

KTEST(heap_large_allocations)
{
	size_t sizes[] = { 2049, 4096, 100 * 1024, 1 << 20 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		_cleanup_(kfreep) uint8_t *p = kmalloc(sizes[i]);
		KT_ASSERT(p);
		memset(p, (int)i, sizes[i]);
		KT_EQ(p[sizes[i] - 1], i);
		KT_EQ(kmalloc_usable_size(p), sizes[i]);
	}
	volatile size_t too_big = SIZE_MAX - 8; /* GCC rejects the constant at build time */
	_cleanup_(kfreep) void *huge = kmalloc(too_big);
	KT_ASSERT(huge == NULL);
}

KTEST(heap_kzalloc_zeroes)
{
	for (int round = 0; round < 2; round++) {
		{
			_cleanup_(kfreep) uint8_t *p = kmalloc(512);
			KT_ASSERT(p);
			memset(p, 0xFF, 512);
		}
		_cleanup_(kfreep) uint8_t *z = kzalloc(512);
		KT_ASSERT(z);
		for (int i = 0; i < 512; i++)
			if (z[i])
				KT_FAIL("byte %d not zero", i);
	}
}

#define SLOTS 512
#define OPS 100000

KTEST(heap_random_100k_no_loss)
{
	static uint8_t *ptr[SLOTS];
	static uint32_t len[SLOTS];
	struct heap_stats a, b;
	heap_stats(&a);

	for (int op = 0; op < OPS; op++) {
		unsigned s = (unsigned)(rng() % SLOTS);
		if (ptr[s]) {
			/* check the pattern written at allocation */
			for (uint32_t i = 0; i < len[s]; i += 61)
				if (ptr[s][i] != (uint8_t)(s + i)) {
					KT_FAIL("slot %u corrupted at byte %u (op %d)", s, i, op);
				}
			kfree(ptr[s]);
			ptr[s] = NULL;
			continue;
		}
		uint64_t r = rng();
		uint32_t n = (r & 0xF) == 0 ? (uint32_t)(r >> 8) % 20000 + 1 : (uint32_t)(r >> 8) % 2048 + 1;
		ptr[s] = kmalloc(n);
		KT_ASSERT(ptr[s]);
		len[s] = n;
		for (uint32_t i = 0; i < n; i += 61)
			ptr[s][i] = (uint8_t)(s + i);
	}
	for (unsigned s = 0; s < SLOTS; s++) {
		kfree(ptr[s]);
		ptr[s] = NULL;
	}
	heap_stats(&b);
	KT_EQ(b.bytes_in_use, a.bytes_in_use);
	KT_EQ(b.objects, a.objects);
	KT_EQ(b.allocs - a.allocs, b.frees - a.frees);
}

static char *
make_buffer(bool keep)
{
	_cleanup_(kfreep) char *buf = kmalloc(100);
	if (!buf)
		return NULL;
	strlcpy(buf, "owned", 100);
	if (!keep)
		return NULL; /* the cleanup frees it */
	return TAKE_PTR(buf); /* moved to the caller: cleanup is a no-op */
}

KTEST(heap_cleanup_and_take)
{
	struct heap_stats a, b;
	heap_stats(&a);
	KT_ASSERT(make_buffer(false) == NULL);
	heap_stats(&b);
	KT_EQ(b.objects, a.objects);
	_cleanup_(kfreep) char *kept = make_buffer(true);
	KT_ASSERT(kept && !strcmp(kept, "owned"));
	heap_stats(&b);
	KT_EQ(b.objects, a.objects + 1);
}

KTEST(heap_rejects_foreign_pointers)
{
	static uint64_t not_heap[4];
	struct heap_stats a, b;
	heap_stats(&a);
	kfree(launder(&not_heap[1])); /* logged and ignored, not a crash */
	_cleanup_(kfreep) void *p = kmalloc(64);
	KT_ASSERT(p);
	kfree(launder((char *)p + 8)); /* interior pointer: refused */
	heap_stats(&b);
	KT_EQ(b.objects, a.objects + 1);
}

/* a freed large region stays mapped in its heap's cache (its 68 KiB stay
 * mapped at its kfree), even when the cache was full of regions of
 * another size (the least recently freed goes instead), and heap_trim
 * gives them all back */
KTEST(heap_large_regions_cached_then_trimmed)
{
	{
		/* four live at once, then freed: the cache holds these four */
		_cleanup_(kfreep) void *q0 = kmalloc(20 * 1024);
		_cleanup_(kfreep) void *q1 = kmalloc(20 * 1024);
		_cleanup_(kfreep) void *q2 = kmalloc(20 * 1024);
		_cleanup_(kfreep) void *q3 = kmalloc(20 * 1024);
		KT_ASSERT(q0 && q1 && q2 && q3);
	}
	struct heap_stats a, b, c;
	{
		_cleanup_(kfreep) void *p = kmalloc(64 * 1024);
		KT_ASSERT(p);
		heap_stats(&a);
	}
	heap_stats(&b);
	/* kept mapped: at most one of the 24 KiB regions went instead */
	KT_ASSERT(b.mapped_bytes + 24 * 1024 >= a.mapped_bytes);
	KT_EQ(b.large, a.large - 1);
	heap_trim();
	heap_stats(&c);
	KT_ASSERT(c.mapped_bytes + 64 * 1024 < b.mapped_bytes);
}
