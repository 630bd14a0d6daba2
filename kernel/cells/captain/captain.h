/*
 * captain: see captain.c.
 */
#ifndef CAPTAIN_H
#define CAPTAIN_H

#include "base.h"

struct boot_info;
__noreturn void captain_main(const struct boot_info *bi);

#endif
