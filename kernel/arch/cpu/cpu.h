/*
 * cpu: x86_64 primitives (port I/O, MSRs, control registers, TLB) and the
 * per-CPU descriptor tables: GDT with a TSS whose IST stacks catch double
 * faults, NMIs and machine checks on known-good stacks, and the IDT.
 * State: one GDT/TSS per CPU slot (MAX_CPUS), and the shared IDT.
 */
#ifndef CPU_H
#define CPU_H

#include "base.h"

#define MAX_CPUS 16

/* GDT selectors (see gdt.c for the layout) */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

/* IST slots (1-based as the TSS counts them) */
#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3
#define IST_COUNT        3

#define MSR_EFER       0xC0000080
#define MSR_FS_BASE    0xC0000100
#define MSR_GS_BASE    0xC0000101
#define MSR_KGS_BASE   0xC0000102
#define EFER_NXE       (1UL << 11)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n) \
	static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline bool irq_enabled(void) { return read_rflags() & (1UL << 9); }

/* disable interrupts and return whether they were on (for irq_restore) */
static inline bool irq_save(void)
{
	bool on = irq_enabled();
	irq_disable();
	return on;
}

static inline void irq_restore(bool on)
{
	if (on)
		irq_enable();
}

__noreturn void cpu_halt_forever(void);

/*
 * Per-CPU storage, reached through GS (percpu.c). Fields used from
 * assembly or by other CPUs are documented; the rest belong to their CPU.
 */
struct percpu {
	struct percpu *self;      /* offset 0: %gs:0 is this struct's address */
	unsigned id;              /* dense CPU index, 0 = boot CPU */
	uint32_t apic_id;
	bool online;              /* read by other CPUs */
	int preempt_count;        /* >0: no preemptive switch on this CPU */
	void *current;            /* the running task (task cell) */
	void *idle;               /* this CPU's idle task */
	void *prev;               /* the task switched away from */
	uint64_t ticks;           /* timer interrupts taken */
	bool need_resched;        /* set by the tick, acted on when preemptible */
	int irq_depth;            /* interrupt/exception nesting (exceptions cell) */
	bool in_unwinder;         /* the unwinder's own code is running */
	void *fault_catchers;     /* the running task's catcher chain (swapped at switch) */
	void *stop_frame;         /* while parked by smp_stop_others: the interrupted frame */
	bool stop_nmi;            /* NMIs sent to wake it from that park (smp/stop.c) */
	bool lockup_nmi;          /* an NMI sent by recovery's lockup detector: a fault here */
	/* cell manager read sections (cell_mgr/sync.c): nesting depth on this
	 * CPU, and a count of sections left (read by writers on other CPUs) */
	unsigned cell_rd;
	uint64_t cell_rd_seq;
	/* the running task's accounting domain (set by the task cell at each
	 * switch) and this CPU's depth of shared sections (mm_acct) */
	uint8_t acct;
	unsigned acct_shared;
};

void percpu_init(unsigned id, uint32_t apic_id);
struct percpu *percpu_of(unsigned id);
unsigned cpu_count_online(void);

/* this CPU's slot; valid once percpu_init ran on it (boot CPU: early) */
static inline struct percpu *
this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static inline void
preempt_count_inc(void)
{
	__asm__ volatile("incl %%gs:%c0" : : "i"(offsetof(struct percpu, preempt_count)) : "memory");
}

static inline int
preempt_count_dec(void)
{
	__asm__ volatile("decl %%gs:%c0" : : "i"(offsetof(struct percpu, preempt_count)) : "memory");
	return this_cpu()->preempt_count;
}

static inline unsigned
cpu_id(void)
{
	unsigned id;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(offsetof(struct percpu, id)));
	return id;
}
/* remap the legacy 8259 PICs away from the exception vectors, mask them */
void pic_disable(void);

/* Build and load CPU `cpu`'s GDT and TSS. ist_tops[i] is the top of the
 * stack for IST slot i+1; rsp0 is unused in a single-privilege system. */
void gdt_init_cpu(unsigned cpu, const uintptr_t ist_tops[IST_COUNT]);

/* Interrupt gates. handler addresses come from the exceptions cell. */
void idt_set_gate(uint8_t vec, uintptr_t handler, uint8_t ist);
void idt_load(void);
/* the handler a gate points to */
uintptr_t idt_gate_addr(uint8_t vec);

/* After an NMI the CPU blocks further NMIs until the next iretq. A task
 * unwound from an NMI (the lockup detector's) never returns through one:
 * this iretq to the next instruction, on the same stack, ends the block. */
static inline void
cpu_nmi_unblock(void)
{
	__asm__ volatile("mov %%rsp, %%rax\n\t"
			 "pushq %0\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "pushq %1\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n"
			 "1:"
			 : : "i"((uint64_t)SEL_KDATA), "i"((uint64_t)SEL_KCODE) : "rax", "memory", "cc");
}

#endif
