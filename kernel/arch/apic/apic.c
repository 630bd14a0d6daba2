/*
 * apic.c: local APIC driver.
 */
#define LOG_TAG "apic"
#include "apic.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "logger.h"
#include "memory.h"
#include "tsc.h"

#define MSR_APIC_BASE 0x1B
enum {
	REG_ID = 0x20, REG_TPR = 0x80, REG_EOI = 0xB0, REG_SVR = 0xF0,
	REG_ICR_LO = 0x300, REG_ICR_HI = 0x310, REG_LVT_TIMER = 0x320,
	REG_TIMER_INIT = 0x380, REG_TIMER_CUR = 0x390, REG_TIMER_DIV = 0x3E0,
};
#define TIMER_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)
#define ICR_PENDING (1u << 12)

static struct mapped_pages *mmio_map; /* owned for the system's lifetime */
static volatile uint32_t *mmio;
static uint64_t ticks_per_sec;  /* timer counts per second at divide-by-16 */
static struct guarded_ptr tick_fn = GUARDED_NULL; /* void (*)(void), called every tick */
static unsigned timer_hz;

static inline uint32_t rd(unsigned reg) { return mmio[reg / 4]; }
static inline void wr(unsigned reg, uint32_t v) { mmio[reg / 4] = v; }

static void
timer_irq(struct trap_frame *f)
{
	(void)f;
	apic_eoi(); /* before the tick may switch tasks */
	void (*tick)(void) = guarded_get(&tick_fn);
	if (tick)
		tick();
}

static void eoi_all(void);

static void
spurious_irq(struct trap_frame *f)
{
	(void)f; /* no EOI for spurious interrupts */
}

int
apic_init_cpu(void)
{
	if (!mmio) {
		uint64_t base = rdmsr(MSR_APIC_BASE) & ~0xFFFULL & 0xFFFFFFFFFFULL;
		int err;
		struct mapped_pages *mp = mp_map_phys(base, PAGE_SIZE, MP_WRITE | MP_NOCACHE, &err);
		if (!mp)
			return err;
		volatile uint32_t *regs = MP_AS_MUT(mp, uint32_t, 0, &err);
		exc_set_irq_abort_hook(eoi_all);
		err = exc_register_irq(VEC_TIMER, timer_irq);
		if (!err)
			err = exc_register_irq(VEC_SPURIOUS, spurious_irq);
		if (err) {
			mp_drop(mp);
			return err;
		}
		mmio_map = mp;
		mmio = regs;
		log_info("local APIC at %#lx", base);
	}
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1ULL << 11)); /* global enable */
	wr(REG_TPR, 0);
	wr(REG_SVR, 0x100 | VEC_SPURIOUS);
	return E_OK;
}

uint32_t
apic_id(void)
{
	return rd(REG_ID) >> 24;
}

void
apic_eoi(void)
{
	wr(REG_EOI, 0);
}

/* end every interrupt this CPU has in service (one EOI per ISR bit): a
 * handler that faulted is unwound together with the task it interrupted
 * and never returns to send its own */
static void
eoi_all(void)
{
	unsigned n = 0;
	for (unsigned r = 0; r < 8; r++)
		for (uint32_t isr = rd(0x100 + r * 0x10); isr; isr &= isr - 1)
			n++;
	while (n--)
		apic_eoi();
}

static void
calibrate(void)
{
	wr(REG_TIMER_DIV, 0x3); /* divide by 16 */
	wr(REG_LVT_TIMER, LVT_MASKED);
	wr(REG_TIMER_INIT, 0xFFFFFFFF);
	uint64_t t0 = tsc_ns();
	tsc_delay_us(10000);
	uint32_t left = rd(REG_TIMER_CUR);
	uint64_t dt = tsc_ns() - t0;
	wr(REG_TIMER_INIT, 0);
	ticks_per_sec = (uint64_t)(0xFFFFFFFFu - left) * 1000000000ULL / (dt ? dt : 1);
}

int
apic_timer_start(unsigned hz, void (*tick)(void))
{
	if (hz == 0 || hz > 10000)
		return E_INVAL;
	if (!ticks_per_sec) {
		calibrate();
		log_info("APIC timer: %lu counts/s (divide by 16)", ticks_per_sec);
	}
	cell_unpin_addr(guarded_get(&tick_fn));
	guarded_set(&tick_fn, (const void *)tick);
	cell_pin_addr((const void *)tick);
	timer_hz = hz;
	uint64_t count = ticks_per_sec / hz;
	if (count == 0 || count > 0xFFFFFFFFu)
		return E_RANGE;
	wr(REG_TIMER_DIV, 0x3);
	wr(REG_LVT_TIMER, VEC_TIMER | TIMER_PERIODIC);
	wr(REG_TIMER_INIT, (uint32_t)count);
	return E_OK;
}

uint64_t
apic_timer_hz(void)
{
	return timer_hz;
}

static void
send(uint32_t id, uint32_t lo)
{
	bool irq = irq_save();
	wr(REG_ICR_HI, id << 24);
	wr(REG_ICR_LO, lo);
	while (rd(REG_ICR_LO) & ICR_PENDING)
		cpu_relax();
	irq_restore(irq);
}

void apic_send_ipi(uint32_t id, uint8_t vector) { send(id, vector); }
void apic_send_nmi(uint32_t id) { send(id, 0x400); }
void apic_send_init(uint32_t id) { send(id, 0x4500); }
void apic_send_sipi(uint32_t id, uint8_t page) { send(id, 0x4600 | page); }
