/*
 * tsc.c: calibrate the TSC by gating PIT channel 2 for a fixed interval.
 */
#include "cell_mgr.h"
#include "tsc.h"
#include "cpu.h"

#define PIT_HZ 1193182ULL
#define CAL_MS 20

static uint64_t hz = 1000000000ULL; /* until calibrated: pretend 1 GHz */
static uint64_t boot_tsc;

void
tsc_calibrate(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * CAL_MS / 1000);

	/* channel 2 gate on, speaker off */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xB0); /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	/* restart the count by toggling the gate */
	uint8_t g = inb(0x61);
	outb(0x61, (uint8_t)(g & ~0x01));
	outb(0x61, (uint8_t)(g | 0x01));
	uint64_t t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		cpu_relax();
	uint64_t t1 = rdtsc();
	if (t1 > t0)
		hz = (t1 - t0) * 1000 / CAL_MS;
	boot_tsc = t0;
}

uint64_t
tsc_hz(void)
{
	return hz;
}

uint64_t
tsc_cycles_to_ns(uint64_t c)
{
	/* split to avoid overflowing c * 1e9 */
	return (c / hz) * 1000000000ULL + (c % hz) * 1000000000ULL / hz;
}

uint64_t
tsc_ns(void)
{
	uint64_t now = rdtsc();
	return now > boot_tsc ? tsc_cycles_to_ns(now - boot_tsc) : 0;
}

void
tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + hz / 1000000 * us;
	while (rdtsc() < end)
		cpu_relax();
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(tsc_ns);
EXPORT_APP(tsc_hz);
