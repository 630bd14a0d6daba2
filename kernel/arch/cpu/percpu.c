/*
 * percpu.c: per-CPU storage reached through GS. Each CPU's GS base points
 * at its struct percpu (the first field points at itself, so a plain load
 * gives the struct's address). Slots are static: MAX_CPUS of them.
 * State: the per-CPU structs; each CPU writes only its own (others read
 * `online`, `apic_id` and `current` for introspection).
 */
#include "cell_mgr.h"
#include "cpu.h"

static struct percpu percpus[MAX_CPUS];
static unsigned ncpus_online;

void
percpu_init(unsigned id, uint32_t apic_id)
{
	struct percpu *p = &percpus[id];
	p->self = p;
	p->id = id;
	p->apic_id = apic_id;
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
	wrmsr(MSR_KGS_BASE, 0);
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ncpus_online, 1, __ATOMIC_ACQ_REL);
}

struct percpu *
percpu_of(unsigned id)
{
	return id < MAX_CPUS ? &percpus[id] : NULL;
}

unsigned
cpu_count_online(void)
{
	return __atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(percpu_of);
EXPORT_APP(cpu_count_online);
