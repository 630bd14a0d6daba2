/*
 * stack: stacks with a guard page below them. A stack is an owned object:
 * its MappedPages plus the unmapped guard page (kept allocated so nothing
 * else is ever mapped there). An overflow touches the guard, the #PF
 * cannot be delivered on the same stack, and the CPU switches to the
 * double-fault IST stack, whose handler names the stack from this registry.
 * Freed stacks of up to 16 pages are kept for reuse (up to 8, the most
 * recently freed first, still mapped, their guard pages still held and
 * charged to no domain): stack_alloc of the same size takes one instead of
 * mapping. A stack whose guard was mapped by stack_guard_extend is not
 * kept. Settling (mm_acct_settle) gives every kept stack back.
 * State: the registry of guard ranges (boot stacks and live stacks), the
 * cache of freed stacks.
 */
#ifndef STACK_H
#define STACK_H

#include "base.h"

struct stack;

void stack_drop(struct stack *s);
DEFINE_DROP(struct stack, stack_drop)

struct stack *stack_alloc(size_t npages, const char *name, int *err) OWNED_BY(stack_drop);
uintptr_t stack_top(const struct stack *s);     /* initial stack pointer */
uintptr_t stack_bottom(const struct stack *s);  /* lowest usable byte */
uintptr_t stack_guard(const struct stack *s);   /* guard page address */
/* how many freed stacks of npages are kept for reuse now */
size_t stack_cached(size_t npages);

/* name of the stack whose guard page holds addr, or NULL */
const char *stack_guard_owner(uint64_t addr);
/* map a frame into the guard page holding addr (a stack that overflowed
 * gets room to run its cleanups while it unwinds); dropped with the stack */
bool stack_guard_extend(uint64_t addr);
/* the boot CPU's static stack (the captain's): false if unknown */
bool stack_boot_bounds(uintptr_t *bottom, uintptr_t *top);
/* at boot, after mm_init: the static boot/IST stacks' guard pages and
 * the stack cache's settle hook */
void stack_init(void);

/* run fn(arg) on another stack; returns fn's result */
uint64_t stack_call_on(uintptr_t top, uint64_t (*fn)(uint64_t), uint64_t arg);

#endif
