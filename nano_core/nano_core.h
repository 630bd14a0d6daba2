/*
 * nano_core.h: what the nano_core offers the cells it starts.
 */
#ifndef NANO_CORE_H
#define NANO_CORE_H

#include "base.h"

struct boot_info;

const struct boot_info *nano_core_boot_info(void);
/* after bring-up: run tests/benchmarks if asked, else idle (run.c) */
__noreturn void nano_core_run(const struct boot_info *bi);

#endif
