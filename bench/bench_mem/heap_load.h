/*
 * heap_load.h: thesis §9.3.3's heap workloads, written once for the
 * kernel (bench_mem) and for Linux (tools/linux-bench.c, glibc malloc on
 * pthreads), so both run the same allocation sequence. Each function is
 * one thread's share; the includer defines HL_ALLOC(n) and HL_FREE(p)
 * and runs one thread per CPU.
 *
 *   threadtest (Hoard's): `rounds` times, allocate `batch` objects of
 *     `size` bytes, then free them all (the thesis: 100 million 8-byte
 *     objects in total).
 *   shbench (MicroQuill's, simplified): `ops` times, pick a random slot
 *     of `nslots`, free what it holds and allocate 1..1000 bytes into it
 *     (the thesis: 20 million objects of 1 to 1000 bytes).
 *
 * slots: an array of at least max(batch, nslots) pointers the caller
 * provides (allocated outside the timed part). Both return the number
 * of failed allocations (0 on success). No state.
 */
#ifndef HEAP_LOAD_H
#define HEAP_LOAD_H

static inline unsigned long
hl_rand(unsigned long *s)
{
	/* xorshift64: the same sequence in the kernel and under Linux */
	unsigned long x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline unsigned long
hl_threadtest(void **slots, unsigned long rounds, unsigned long batch, unsigned long size)
{
	unsigned long failed = 0;
	for (unsigned long r = 0; r < rounds; r++) {
		for (unsigned long j = 0; j < batch; j++) {
			slots[j] = HL_ALLOC(size);
			if (slots[j])
				*(volatile char *)slots[j] = (char)j;
			else
				failed++;
		}
		for (unsigned long j = 0; j < batch; j++)
			HL_FREE(slots[j]);
	}
	return failed;
}

static inline unsigned long
hl_shbench(void **slots, unsigned long nslots, unsigned long ops, unsigned long seed)
{
	unsigned long failed = 0, s = seed | 1;
	for (unsigned long j = 0; j < nslots; j++)
		slots[j] = 0;
	for (unsigned long i = 0; i < ops; i++) {
		unsigned long r = hl_rand(&s);
		unsigned long k = r % nslots, size = 1 + (r >> 20) % 1000;
		HL_FREE(slots[k]);
		slots[k] = HL_ALLOC(size);
		if (slots[k])
			*(volatile char *)slots[k] = (char)i;
		else
			failed++;
	}
	for (unsigned long j = 0; j < nslots; j++)
		HL_FREE(slots[j]);
	return failed;
}

/* the parameters both sides use */
#define HL_THREADS 4
#define HL_TT_ROUNDS 200
#define HL_TT_BATCH 2500     /* per thread: 4 x 200 x 2500 = 2 million objects */
#define HL_TT_SIZE 8
#define HL_SH_SLOTS 1000
#define HL_SH_OPS 250000     /* per thread: 1 million objects in all */

#endif
