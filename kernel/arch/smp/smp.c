/*
 * smp.c: AP bring-up.
 */
#define LOG_TAG "smp"
#include "smp.h"
#include "acpi.h"
#include "apic.h"
#include "cpu.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "page_table.h"
#include "stack.h"
#include "task.h"
#include "tsc.h"
#include "cell_mgr.h"

int smp_stop_init(void);

#define TRAMP_PHYS 0x8000

extern const uint8_t smp_tramp_start[], smp_tramp_end[], smp_tramp_data[];
void smp_ap_entry64(void);
void smp_ap_main(uint64_t cpu);

struct tramp_data {
	uint64_t temp_cr3, final_cr3, stack, cpu, entry;
};

static struct stack *boot_stacks[MAX_CPUS];
static struct stack *ist_stacks[MAX_CPUS][IST_COUNT];
static volatile bool started[MAX_CPUS];
static volatile int start_err[MAX_CPUS];

void shootdown_init(void);

void
smp_ap_main(uint64_t cpu)
{
	percpu_init((unsigned)cpu, 0);
	uintptr_t ists[IST_COUNT];
	for (int i = 0; i < IST_COUNT; i++)
		ists[i] = stack_top(ist_stacks[cpu][i]);
	gdt_init_cpu((unsigned)cpu, ists);
	idt_load();
	int err = apic_init_cpu();
	this_cpu()->apic_id = apic_id();
	char name[16] = "ap/";
	name[3] = (char)('0' + cpu / 10);
	name[4] = (char)('0' + cpu % 10);
	if (!err)
		err = task_init_cpu(name);
	if (!err)
		err = apic_timer_start(100, task_tick);
	start_err[cpu] = err;
	__atomic_store_n(&started[cpu], true, __ATOMIC_RELEASE);
	if (err)
		cpu_halt_forever();
	irq_enable();
	task_exit(0); /* this CPU now runs its idle task and whatever comes */
}

/* identity for [0, 2 MiB) plus the kernel's top-level entries */
static int
build_temp_tables(struct mapped_pages *mp[3], uint64_t *cr3)
{
	for (int i = 0; i < 3; i++) {
		int err;
		_cleanup_(pages_drop_p) struct pages *p = pages_alloc(ZONE_ANY, 1, PAGE_SIZE, &err);
		_cleanup_(frames_drop_p) struct frames *f = frames_alloc_in(1, PAGE_SIZE, 0, 1ULL << 32, &err);
		if (!p || !f)
			return err;
		mp[i] = mp_map(&p, &f, MP_WRITE, &err);
		if (!mp[i])
			return err;
		uint64_t *t = MP_AS_ARRAY_MUT(mp[i], uint64_t, 0, 512, &err);
		memset(t, 0, PAGE_SIZE);
	}
	uint64_t *p4 = MP_AS_ARRAY_MUT(mp[0], uint64_t, 0, 512, NULL);
	uint64_t *p3 = MP_AS_ARRAY_MUT(mp[1], uint64_t, 0, 512, NULL);
	uint64_t *p2 = MP_AS_ARRAY_MUT(mp[2], uint64_t, 0, 512, NULL);
	const uint64_t *live = (const uint64_t *)(uintptr_t)pt_table_va(0, 4);
	p2[0] = 0 | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	p3[0] = mp_phys(mp[2]) | PTE_PRESENT | PTE_WRITE;
	p4[0] = mp_phys(mp[1]) | PTE_PRESENT | PTE_WRITE;
	p4[511] = live[511];
	p4[ZONE_ANY_P4] = live[ZONE_ANY_P4];
	*cr3 = mp_phys(mp[0]);
	return E_OK;
}

static int
start_ap(unsigned cpu, uint32_t apic, struct tramp_data *d)
{
	int err;
	boot_stacks[cpu] = stack_alloc(8, "AP boot stack", &err);
	if (!boot_stacks[cpu])
		return err;
	for (int i = 0; i < IST_COUNT; i++) {
		ist_stacks[cpu][i] = stack_alloc(4, i == 0 ? "AP double-fault IST" : i == 1 ? "AP NMI IST" : "AP machine-check IST", &err);
		if (!ist_stacks[cpu][i])
			return err;
	}
	d->stack = stack_top(boot_stacks[cpu]);
	d->cpu = cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send_init(apic);
	tsc_delay_us(10000);
	for (int attempt = 0; attempt < 2 && !started[cpu]; attempt++) {
		apic_send_sipi(apic, TRAMP_PHYS >> 12);
		uint64_t t0 = tsc_ns();
		while (!__atomic_load_n(&started[cpu], __ATOMIC_ACQUIRE) && tsc_ns() - t0 < 200000000)
			cpu_relax();
	}
	if (!started[cpu])
		return E_BUSY;
	return start_err[cpu];
}

int
smp_init(unsigned *online)
{
	int err = acpi_init();
	if (err)
		return err;
	shootdown_init();
	err = smp_stop_init();
	if (err)
		return err;
	cell_set_quiesce_hooks(smp_stop_others, smp_resume_others);
	cell_set_wait_hook(task_yield); /* a cell manager writer waiting for the lock */
	const struct acpi_info *ai = acpi_info();
	for (size_t i = 0; i < ai->nioapics; i++) {
		int e = ioapic_add(ai->ioapics[i].addr, ai->ioapics[i].gsi_base);
		if (e)
			log_warn("IOAPIC %zu: %s", i, err_str(e));
	}
	this_cpu()->apic_id = apic_id();
	_cleanup_(mp_drop_p) struct mapped_pages *tramp = mp_map_phys(TRAMP_PHYS, PAGE_SIZE, MP_WRITE, &err);
	if (!tramp)
		return err;
	struct mapped_pages *tables[3] = { 0 };
	uint64_t temp_cr3 = 0;
	err = build_temp_tables(tables, &temp_cr3);
	size_t len = (size_t)(smp_tramp_end - smp_tramp_start);
	uint8_t *code = err ? NULL : MP_AS_ARRAY_MUT(tramp, uint8_t, 0, len, &err);
	unsigned next = 1;
	if (code) {
		memcpy(code, smp_tramp_start, len);
		struct tramp_data *d = (struct tramp_data *)(code + (smp_tramp_data - smp_tramp_start));
		d->temp_cr3 = temp_cr3;
		d->final_cr3 = read_cr3();
		d->entry = (uint64_t)(uintptr_t)smp_ap_entry64;
		for (size_t i = 0; i < ai->ncpus && next < MAX_CPUS; i++) {
			uint32_t apic = ai->cpu_apic_ids[i];
			if (apic == this_cpu()->apic_id)
				continue;
			uint64_t t0 = tsc_ns();
			int e = start_ap(next, apic, d);
			if (e) {
				log_err("CPU with APIC id %u did not start: %s", apic, err_str(e));
				continue;
			}
			log_info("CPU %u (APIC id %u) online in %lu us", next, apic, (tsc_ns() - t0) / 1000);
			next++;
		}
	}
	for (int i = 0; i < 3; i++)
		mp_drop(tables[i]);
	*online = cpu_count_online();
	return err;
}
