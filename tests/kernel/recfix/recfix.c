/*
 * recfix: a cell the recovery tests fault in (kernel/tests/test_recovery):
 * code that faults on demand, a table in .data and constants in .rodata.
 * State: recfix_table (initialised data, to see a fresh copy).
 */
#include "base.h"

uint64_t recfix_crash(volatile int *faults_left);
uint64_t recfix_work(uint64_t x);
const uint64_t *recfix_consts(void);
uint64_t recfix_table[4] CELL_CARRY(recfix_table) = { 1, 2, 3, 4 };
const uint64_t recfix_const[4] = { 5, 6, 7, 8 };

/* a NULL dereference while *faults_left > 0 (counting down) */
uint64_t
recfix_crash(volatile int *faults_left)
{
	if (__atomic_sub_fetch(faults_left, 1, __ATOMIC_ACQ_REL) >= 0) {
		uintptr_t null = 0;
		__asm__("" : "+r"(null));
		return *(volatile uint64_t *)null;
	}
	return 42;
}

__attribute__((noinline)) uint64_t
recfix_work(uint64_t x)
{
	return x * 3 + recfix_table[0];
}

const uint64_t *recfix_consts(void) { return recfix_const; }

/* faults while *faults_left > 0, at one of two places by its parity (no
 * fault recurs at the same place twice running), then returns 7 */
uint64_t recfix_wander(volatile int *faults_left);

uint64_t
recfix_wander(volatile int *faults_left)
{
	int left = __atomic_sub_fetch(faults_left, 1, __ATOMIC_ACQ_REL);
	uintptr_t null = 0;
	__asm__("" : "+r"(null));
	if (left >= 0 && (left & 1))
		return *(volatile uint64_t *)null;
	if (left >= 0)
		return *(volatile uint64_t *)(null + 8);
	return 7;
}
