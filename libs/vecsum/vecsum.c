/*
 * vecsum.c: plain loops; how fast they run depends on how the copy was
 * built (see vecsum.h).
 */
#include "vecsum.h"
#include "tsc.h"

const char *
vecsum_isa(void)
{
#ifdef __SSE2__
	return "SSE2";
#else
	return "general registers";
#endif
}

uint64_t
vecsum_u32(const uint32_t *a, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i];
	return s;
}

uint32_t
vecsum_weighted(const uint32_t *a, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * (uint32_t)(i + 1);
	return s;
}

uint64_t
vecsum_task(uint64_t arg)
{
	struct vecsum_job *j = (struct vecsum_job *)(uintptr_t)arg;
	uint64_t t0 = tsc_ns();
	for (uint32_t r = 0; r < j->rounds; r++) {
		j->sum = vecsum_u32(j->a, j->n);
		j->weighted = vecsum_weighted(j->a, j->n);
	}
	j->ns = tsc_ns() - t0;
	j->isa = vecsum_isa();
	return j->sum;
}
