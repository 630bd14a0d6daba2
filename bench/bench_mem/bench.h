/*
 * bench_mem: memory benchmarks run in the booted kernel ("bench=mem" on
 * the command line, `make bench-mem` on the host). Prints
 *   BENCH <name> <value> <unit>
 * lines and exits QEMU. No state.
 */
#ifndef BENCH_H
#define BENCH_H

#include "base.h"

__noreturn void bench_mem_main(const char *cmdline);

#endif
