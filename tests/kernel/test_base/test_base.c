/*
 * test_base: logger/formatter, time, stacks and symbols in the running
 * kernel (the pure parts are also unit-tested on the host).
 */
#include "base.h"
#include "fmt.h"
#include "klibc.h"
#include "ktest.h"
#include "page_table.h"
#include "stack.h"
#include "symtab.h"
#include "memory.h"
#include "tsc.h"

KTEST(tsc_is_calibrated_and_monotonic)
{
	KT_ASSERT(tsc_hz() > 100000000ULL && tsc_hz() < 10000000000ULL);
	uint64_t a = tsc_ns();
	tsc_delay_us(2000);
	uint64_t b = tsc_ns();
	KT_ASSERT(b > a);
	KT_ASSERT(b - a >= 2000000);
}

KTEST(stack_has_unmapped_guard)
{
	int err;
	_cleanup_(stack_drop_p) struct stack *s = stack_alloc(2, "guard test", &err);
	KT_ASSERT(s);
	KT_EQ(stack_top(s) - stack_bottom(s), 2 * PAGE_SIZE);
	KT_EQ(stack_guard(s), stack_bottom(s) - PAGE_SIZE);
	KT_ASSERT(!pt_translate(stack_guard(s), NULL, NULL));
	KT_ASSERT(pt_translate(stack_bottom(s), NULL, NULL));
	const char *owner = stack_guard_owner(stack_guard(s) + 100);
	KT_ASSERT(owner && !strcmp(owner, "guard test"));
	KT_ASSERT(stack_guard_owner(stack_bottom(s)) == NULL);
}

KTEST(boot_stack_guards_registered)
{
	extern char boot_stack_top[];
	/* the boot stack is 32 KiB with its guard right below */
	uint64_t guard = (uint64_t)(uintptr_t)boot_stack_top - 32768 - PAGE_SIZE;
	const char *owner = stack_guard_owner(guard);
	KT_ASSERT(owner && !strcmp(owner, "boot CPU stack"));
	KT_ASSERT(!pt_translate(guard, NULL, NULL));
}

KTEST(symbols_and_cell_bounds)
{
	uint64_t off;
	uint64_t addr = symtab_find("mp_map");
	KT_ASSERT(addr == (uint64_t)(uintptr_t)&mp_map);
	const char *s = symtab_lookup(addr + 3, &off);
	KT_ASSERT(s && !strcmp(s, "mp_map"));
	KT_EQ(off, 3);
	KT_ASSERT(!strcmp(symtab_cell_of(addr), "memory"));
	const struct symtab_cell *cells;
	size_t n = symtab_cells(&cells);
	KT_ASSERT(n >= 10);
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		KT_ASSERT(cells[i].text_start <= cells[i].text_end);
		if (!strcmp(cells[i].name, "heap")) {
			found = true;
			uint64_t kmalloc_addr = symtab_find("kmalloc");
			KT_ASSERT(kmalloc_addr >= cells[i].text_start && kmalloc_addr < cells[i].text_end);
		}
	}
	KT_ASSERT(found);
	KT_ASSERT(symtab_find("no_such_symbol_anywhere") == 0);
}

KTEST(formatter_in_kernel)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%s|%5d|%-4x|%#lx|%c", "ab", -42, 255, 0xdeadUL, 'z');
	KT_ASSERT(!strcmp(buf, "ab|  -42|ff  |0xdead|z"));
	KT_EQ(n, (int)strlen(buf));
	n = snprintf(buf, 4, "%d", 123456);
	KT_EQ(n, 6);
	KT_ASSERT(!strcmp(buf, "123"));
}
