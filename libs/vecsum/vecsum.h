/*
 * vecsum: sums and checksums over arrays, the computation of the SIMD
 * personality (docs/evolution.md, "Personalities"). The same source is
 * built twice: as every cell is (general registers only) for the kernel
 * namespace, and with SSE2 and -O3 (the compiler vectorizes the loops)
 * for the "simd" namespace, whose tasks may use the vector registers
 * (the task cell saves them at every switch once a task uses them).
 * State: none.
 */
#ifndef VECSUM_H
#define VECSUM_H

#include "base.h"

/* "SSE2" or "general registers": how this copy was built */
const char *vecsum_isa(void);
/* the sum of n 32-bit words */
uint64_t vecsum_u32(const uint32_t *a, size_t n);
/* a position-weighted checksum: sum of a[i] * (i + 1), modulo 2^32 */
uint32_t vecsum_weighted(const uint32_t *a, size_t n);

/* a task's job: `rounds` times over `n` words, the last results and the
 * copy that ran it (vecsum_task is an entry function: task_spawn_in) */
struct vecsum_job {
	const uint32_t *a;
	size_t n;
	uint32_t rounds;
	uint64_t sum;
	uint32_t weighted;
	const char *isa;
	uint64_t ns;       /* time the rounds took */
};
uint64_t vecsum_task(uint64_t job);

#endif
