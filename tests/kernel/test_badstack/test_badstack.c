/*
 * test_badstack: a task whose stack pointer no longer points into a
 * usable stack (a corrupted saved rbp or return address popped into rsp).
 * The next push or pop faults, the CPU cannot push the exception's frame
 * there either, and raises a double fault (#DF) on its IST stack. Issue
 * 14: such faults ended QEMU (a triple fault) or stopped the CPU. Now the
 * #DF handler sees that the interrupted stack is unusable, reports the
 * fault, and the task dies without unwinding (its frames cannot be
 * walked) and is restarted; its CPU goes on.
 */
#include "apic.h"
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "klibc.h"
#include "ktest.h"
#include "page_table.h"
#include "recovery.h"
#include "stack.h"
#include "task.h"
#include "tsc.h"

struct life {
	volatile int runs;
	volatile bool done;
	uint64_t bad;    /* the stack pointer each first life loads */
	bool via_rbp;    /* through a corrupted saved rbp (leave; ret) */
	bool in_irq;     /* in an interrupt handler that interrupted it */
};

#define VEC_TEST_BADSTACK 0xE6
static volatile uint64_t irq_bad; /* armed: the handler loads it into rsp */

/* load bad into rsp and push: the push faults, so does the frame's push */
static __attribute__((noipa)) void
jump_stack(uint64_t bad)
{
	__asm__ volatile("mov %0, %%rsp\n\tpushq $0\n\tud2" : : "r"(bad) : "memory");
}

/* what a corrupted saved rbp does to a caller with a frame: its epilogue
 * (leave) moves rsp to it and pops from there, and its ret jumps to
 * whatever the word above holds. With rbp in readable memory both
 * succeed: the jump faults, and the fault's frame cannot be pushed */
static __attribute__((noipa)) void
leave_through(uint64_t bad)
{
	__asm__ volatile("mov %0, %%rbp\n\tleave\n\tret" : : "r"(bad) : "memory");
}

static void
badstack_irq(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
	uint64_t bad = irq_bad;
	if (bad) {
		irq_bad = 0;
		jump_stack(bad);
	}
}

static uint64_t
victim(struct life *l)
{
	if (++l->runs == 1) {
		if (l->in_irq) {
			irq_bad = l->bad;
			apic_send_ipi(apic_id(), VEC_TEST_BADSTACK); /* interrupts us at once */
			for (;;)
				__asm__ volatile("pause");
		}
		if (l->via_rbp)
			leave_through(l->bad);
		else
			jump_stack(l->bad);
		return 1; /* not reached */
	}
	l->done = true;
	return 0;
}

/* a restartable task on another CPU loads bad into its stack pointer:
 * it must be restarted, its CPU must go on ticking, and the fault log
 * must say the stack was unusable */
static bool
survives_as(struct life how, struct ktest_ctx *kt_ctx_)
{
	static struct life l;
	l = how;
	uint64_t bad = how.bad;
	unsigned cpu = (cpu_id() + 1) % cpu_count_online();
	uint64_t seq = fault_log_last_seq();
	struct task_builder b = TASK_BUILDER(victim, &l);
	b.pin = (int)cpu;
	b.restartable = true;
	b.name = "badstack";
	int err;
	{
		_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
		if (!t) {
			ktest_fail(kt_ctx_, __FILE__, __LINE__, "spawn: %s", err_str(err));
			return false;
		}
	}
	for (int i = 0; i < 3000 && !l.done; i++)
		task_sleep_ns(1000000);
	if (!l.done || l.runs != 2) {
		ktest_fail(kt_ctx_, __FILE__, __LINE__, "rsp %#lx: %d lives, done %d", bad, l.runs, l.done);
		return false;
	}
	/* the CPU it ran on still schedules: a task pinned there runs */
	static struct life again;
	again = (struct life){ .runs = 1 }; /* a second life: no fault */
	struct task_builder b2 = TASK_BUILDER(victim, &again);
	b2.pin = (int)cpu;
	b2.name = "after";
	{
		_cleanup_(task_unref_p) struct task *t = task_spawn(&b2, &err);
		uint64_t v = 1;
		if (!t || task_join(t, &v) != E_OK || v != 0 || !again.done) {
			ktest_fail(kt_ctx_, __FILE__, __LINE__, "CPU %u does not run tasks after rsp %#lx", cpu, bad);
			return false;
		}
	}
	static struct fault_record r[32];
	bool seen = false;
	for (int i = 0; i < 2000 && !seen; i++) {
		size_t n = fault_log_read(r, 32, seq);
		for (size_t k = 0; k < n; k++)
			if (strstr(r[k].task, "badstack") && strstr(r[k].action, "stack unusable") &&
			    strstr(r[k].action, "restarted as badstack"))
				seen = true;
		if (!seen)
			task_sleep_ns(1000000);
	}
	if (!seen)
		ktest_fail(kt_ctx_, __FILE__, __LINE__, "rsp %#lx: no fault record 'stack unusable ... restarted'", bad);
	return seen;
}

static bool
survives(uint64_t bad, bool via_rbp, struct ktest_ctx *kt_ctx_)
{
	return survives_as((struct life){ .bad = bad, .via_rbp = via_rbp }, kt_ctx_);
}

KTEST_FLAGS(stack_pointer_to_unmapped_memory_restarts_the_task, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	/* the lowest page: never mapped (NULL's guard) */
	KT_ASSERT(!pt_translate(0x800, NULL, NULL));
	KT_ASSERT(survives(0x800, false, kt_ctx_));
}

KTEST_FLAGS(non_canonical_stack_pointer_restarts_the_task, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	KT_ASSERT(survives(0x4141414141414140ULL, false, kt_ctx_));
}

KTEST_FLAGS(stack_pointer_into_kernel_text_restarts_the_task, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	uint64_t text = ((uint64_t)(uintptr_t)&jump_stack + 64) & ~15ULL; /* read-only */
	KT_ASSERT(survives(text, false, kt_ctx_));
}

KTEST_FLAGS(corrupted_saved_rbp_restarts_the_task, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	/* rbp at words in rodata: readable, not writable; leave pops words[0]
	 * and ret jumps to words[1], a non-canonical address */
	static const uint64_t words[4] __attribute__((aligned(16))) = {
		0, 0x4141414141414141ULL, 0x4242424242424242ULL, 0 };
	KT_ASSERT(survives((uint64_t)(uintptr_t)&words[0], true, kt_ctx_));
}

/* the same in an interrupt handler running on the task's stack: the
 * interrupted task is the one that ends (its interrupts in service
 * ended), and the CPU goes on */
KTEST_FLAGS(bad_stack_pointer_in_an_interrupt_handler_restarts_the_task, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	KT_OK(exc_register_irq(VEC_TEST_BADSTACK, badstack_irq));
	bool ok = survives_as((struct life){ .bad = 0x800, .in_irq = true }, kt_ctx_);
	irq_bad = 0;
	KT_OK(exc_unregister_irq(VEC_TEST_BADSTACK, badstack_irq));
	KT_ASSERT(ok);
}
