/*
 * nano_core.h: what the nano_core offers the cells it starts.
 */
#ifndef NANO_CORE_H
#define NANO_CORE_H

#include "base.h"

struct boot_info;

const struct boot_info *nano_core_boot_info(void);

#endif
