/*
 * test_faults: the CPU must refuse what the mappings forbid, and each
 * fault must be reported (vector, decoded error, CR2, symbolized
 * backtrace) and caught. The host harness also checks the serial log for
 * the reports these tests provoke (tests/expect/ktest.patterns).
 */
#include "base.h"
#include "exceptions.h"
#include "klibc.h"
#include "ktest.h"
#include "memory.h"
#include "stack.h"
#include "symtab.h"

#define PF_PRESENT 0x1
#define PF_WRITE   0x2
#define PF_FETCH   0x10

KTEST(exec_from_data_page_is_nx_fault)
{
	int err;
	struct fault_catch c;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	KT_ASSERT(mp);
	uint8_t *code = MP_AS_MUT(mp, uint8_t, 0, &err);
	code[0] = 0xC3; /* ret */
	if (fault_catch_arm(&c) == 0) {
		((void (*)(void))(uintptr_t)code)();
		fault_catch_disarm(&c);
		KT_FAIL("executed code from a non-executable page");
	}
	KT_EQ(c.info.vector, 14);
	KT_EQ(c.info.error & (PF_PRESENT | PF_FETCH), PF_PRESENT | PF_FETCH);
	KT_EQ(c.info.cr2, (uint64_t)(uintptr_t)code);
	KT_EQ(c.info.rip, (uint64_t)(uintptr_t)code);
	KT_ASSERT(strstr(c.info.msg, "(NX)"));
}

KTEST(write_through_readonly_mapping_faults)
{
	int err;
	struct fault_catch c;
	_cleanup_(mp_drop_p) struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_READ, &err);
	KT_ASSERT(mp);
	/* the accessor refuses; go around it with a cast to prove the MMU does too */
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)MP_AS(mp, uint64_t, 0, &err);
	if (fault_catch_arm(&c) == 0) {
		*p = 1;
		fault_catch_disarm(&c);
		KT_FAIL("wrote to a read-only page");
	}
	KT_EQ(c.info.vector, 14);
	KT_EQ(c.info.error & (PF_PRESENT | PF_WRITE), PF_PRESENT | PF_WRITE);
	KT_EQ(c.info.cr2, (uint64_t)(uintptr_t)p);
}

KTEST(kernel_text_is_not_writable)
{
	struct fault_catch c;
	volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)&ktest_fail;
	if (fault_catch_arm(&c) == 0) {
		/* the analyzer rightly objects to writing code: that is the point */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-write-to-const"
		*text = *text;
#pragma GCC diagnostic pop
		fault_catch_disarm(&c);
		KT_FAIL("kernel text was writable");
	}
	KT_EQ(c.info.vector, 14);
	KT_EQ(c.info.cr2, (uint64_t)(uintptr_t)text);
}

static const uint8_t rodata_ret[16] = { 0xC3 };

KTEST(kernel_rodata_is_not_executable)
{
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		((void (*)(void))(uintptr_t)rodata_ret)();
		fault_catch_disarm(&c);
		KT_FAIL("executed from rodata");
	}
	KT_EQ(c.info.vector, 14);
	KT_EQ(c.info.error & PF_FETCH, PF_FETCH);
}

static volatile uint64_t recursion_limit = ~0ULL;

static __attribute__((noinline)) uint64_t
recurse(uint64_t depth)
{
	volatile uint8_t frame[512];
	frame[0] = (uint8_t)depth;
	if (depth >= recursion_limit)
		return 0;
	return recurse(depth + 1) + frame[0];
}

static uint64_t
overflow_entry(uint64_t arg)
{
	return recurse(arg);
}

KTEST(stack_overflow_hits_guard_page)
{
	int err;
	struct fault_catch c;
	_cleanup_(stack_drop_p) struct stack *s = stack_alloc(4, "overflow test", &err);
	KT_ASSERT(s);
	if (fault_catch_arm(&c) == 0) {
		stack_call_on(stack_top(s), overflow_entry, 0);
		fault_catch_disarm(&c);
		KT_FAIL("recursed forever without a fault");
	}
	KT_EQ(c.info.vector, 8); /* the #PF could not be delivered on that stack */
	KT_ASSERT(c.info.stack_overflow);
	KT_ASSERT(c.info.cr2 >= stack_guard(s) && c.info.cr2 < stack_guard(s) + PAGE_SIZE);
}

static __attribute__((noipa)) uint64_t
faulty_reader(volatile uint64_t *p)
{
	return *p + 1;
}

static __attribute__((noipa)) uint64_t
faulty_caller(volatile uint64_t *p)
{
	return faulty_reader(p) * 3;
}

KTEST(page_fault_reported_with_symbols)
{
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		uintptr_t bad = 0x28;
		__asm__("" : "+r"(bad)); /* GCC rejects a constant bad pointer at build time */
		faulty_caller((volatile uint64_t *)bad);
		fault_catch_disarm(&c);
		KT_FAIL("read address 0x28 without a fault");
	}
	KT_EQ(c.info.vector, 14);
	KT_EQ(c.info.cr2, 0x28);
	KT_EQ(c.info.error & PF_PRESENT, 0);
	uint64_t off;
	const char *cell = NULL;
	const char *sym = exc_symbolize(c.info.rip, &off, &cell);
	KT_ASSERT(sym && !strcmp(sym, "faulty_reader"));
	KT_ASSERT(cell && !strcmp(cell, "test_faults"));
}

KTEST(access_after_drop_faults)
{
	int err;
	struct fault_catch c;
	struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	KT_ASSERT(mp);
	volatile uint64_t *p = MP_AS_MUT(mp, uint64_t, 0, &err);
	*p = 42;
	mp_drop(mp);
	if (fault_catch_arm(&c) == 0) {
		uint64_t v = *p;
		fault_catch_disarm(&c);
		KT_FAIL("read %lu through a dropped mapping", v);
	}
	KT_EQ(c.info.vector, 14);
	KT_EQ(c.info.cr2, (uint64_t)(uintptr_t)p);
}

static volatile uint64_t zero;

KTEST(divide_error_and_invalid_opcode)
{
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		volatile uint64_t q = 10 / zero;
		(void)q;
		fault_catch_disarm(&c);
		KT_FAIL("divided by zero");
	}
	KT_EQ(c.info.vector, 0);
	if (fault_catch_arm(&c) == 0) {
		__asm__ volatile("ud2");
		fault_catch_disarm(&c);
		KT_FAIL("ud2 executed");
	}
	KT_EQ(c.info.vector, 6);
}

KTEST(panic_is_reported_and_caught)
{
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		panic("deliberate panic %d", 42);
	}
	KT_EQ(c.info.vector, VEC_PANIC);
	KT_ASSERT(!strcmp(c.info.msg, "deliberate panic 42"));
}

KTEST(nested_catchers_unwind_innermost_first)
{
	struct fault_catch outer, inner;
	volatile int stage = 0;
	if (fault_catch_arm(&outer) == 0) {
		if (fault_catch_arm(&inner) == 0) {
			stage = 1;
			__asm__ volatile("ud2");
		}
		KT_EQ(stage, 1);
		KT_EQ(inner.info.vector, 6);
		stage = 2;
		__asm__ volatile("ud2"); /* now the outer one catches */
	}
	KT_EQ(stage, 2);
	KT_EQ(outer.info.vector, 6);
}
