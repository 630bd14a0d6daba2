/*
 * bench_fat32: FAT32 throughput in the booted kernel ("bench=fat32",
 * `make bench-fat32`, on the hdb disk tools/qemu-devices.sh attaches).
 * Prints BENCH lines and exits QEMU. No state.
 */
#ifndef BENCH_H
#define BENCH_H

#include "base.h"

__noreturn void bench_fat32_main(const char *cmdline);

#endif
