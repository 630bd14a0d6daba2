/*
 * tsc: the time-stamp counter, calibrated once against the PIT, as the
 * early monotonic clock (the logger's timestamps, benchmarks). The time
 * cells that come later (HPET, APIC timer) refine it.
 * State: the calibrated frequency and the boot TSC value, written once.
 */
#ifndef TSC_H
#define TSC_H

#include "base.h"

void tsc_calibrate(void);
uint64_t tsc_hz(void);
/* nanoseconds since tsc_calibrate() */
uint64_t tsc_ns(void);
uint64_t tsc_cycles_to_ns(uint64_t cycles);
void tsc_delay_us(uint64_t us);

#endif
