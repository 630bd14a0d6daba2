/*
 * fpu.c: FPU/SSE state for the tasks that use it. Kernel cells are built
 * with -mgeneral-regs-only, so only code that opts in touches the FPU.
 * CR0.TS is set whenever a task without saved state runs; its first FPU
 * instruction traps (#NM), which gives it a 512-byte FXSAVE area, and from
 * then on its state is saved and restored at every switch.
 * State: none beyond each task's own area.
 */
#define LOG_TAG "fpu"
#include "task.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "task_int.h"

#define CR0_MP (1UL << 1)
#define CR0_EM (1UL << 2)
#define CR0_TS (1UL << 3)
#define CR4_OSFXSR (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)

static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }
static inline void set_ts(void) { write_cr0(read_cr0() | CR0_TS); }

static bool
nm_handler(struct trap_frame *f)
{
	(void)f;
	struct task *t = task_current();
	if (!t || t->fpu)
		return false; /* TS with state present: not ours to explain */
	void *area = kzalloc(512); /* 64-byte aligned: a 512-byte slab object */
	if (!area)
		return false;
	t->fpu = area;
	clts();
	__asm__ volatile("fninit");
	uint32_t mxcsr = 0x1F80;
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	return true;
}

/* per CPU: enable SSE, make the first FPU use of a task trap */
int
task_fpu_init_cpu(void)
{
	write_cr0((read_cr0() | CR0_MP) & ~CR0_EM);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	set_ts();
	return exc_register_fault_handler(7, nm_handler);
}

void
task_fpu_switch(struct task *prev, struct task *next)
{
	if (prev->fpu && !(read_cr0() & CR0_TS))
		__asm__ volatile("fxsave64 (%0)" : : "r"(prev->fpu) : "memory");
	if (next->fpu) {
		clts();
		__asm__ volatile("fxrstor64 (%0)" : : "r"(next->fpu) : "memory");
	} else {
		set_ts();
	}
}

void
task_fpu_free(struct task *t)
{
	kfree(TAKE_PTR(t->fpu));
}
