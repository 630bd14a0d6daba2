/* ps2_int.h: between ps2.c (the controller) and service.c (recovery) */
#ifndef PS2_INT_H
#define PS2_INT_H

#include "ps2.h"

extern struct ps2_stats ps2_counters;
void ps2_irq_off_now(unsigned port);
int ps2_irqs_restore(void) __must_check;

#endif
