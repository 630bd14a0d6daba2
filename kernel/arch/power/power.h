/*
 * power: power off and reboot (see power.c).
 */
#ifndef POWER_H
#define POWER_H

#include "base.h"

__noreturn void power_off(void);
__noreturn void power_reboot(void);

#endif
