/*
 * smp: bring up the other CPUs (ACPI MADT, INIT/SIPI through the local
 * APIC), give each its GDT/TSS with IST stacks, per-CPU storage, an idle
 * task and the timer; TLB shootdown by IPI for every unmap; and the "you
 * have work" kick IPI for the scheduler.
 * State: per-CPU boot and IST stacks (owned for the system's lifetime),
 * the shootdown request in flight.
 */
#ifndef SMP_H
#define SMP_H

#include "base.h"

/* start every CPU the MADT lists; returns how many are online */
int smp_init(unsigned *online) __must_check;

/* stop every other CPU (parked, interrupts off, serving TLB shootdowns)
 * within bound_ns; *irq gets the caller's interrupt state for
 * smp_resume_others. E_TIMEDOUT: the CPUs in *missing did not park, the
 * others run again and nothing is held. Keep the section short: nothing
 * else runs. */
int smp_stop_others(uint64_t bound_ns, bool *irq, uint32_t *missing) __must_check;
void smp_resume_others(bool irq);

struct smp_stats {
	uint64_t shootdowns, shootdown_ipis, kicks;
};
void smp_stats(struct smp_stats *out);

#endif
