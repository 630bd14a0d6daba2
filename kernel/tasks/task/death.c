/*
 * death.c: how a task dies and is brought back.
 *
 * The unwinder (nano_core) calls task_unwound() when it has run every
 * cleanup of the current task: the task is marked killed with its reason,
 * the fault log gets a record with the recovery taken, joiners are woken,
 * and a restartable task is spawned again with the same entry, argument,
 * pin and priority (thesis 8.2.2). task_kill() makes another task unwind
 * from where it is: at once if it is us, at its next delivery point
 * otherwise (woken if blocked, interrupted by an IPI if running).
 * State: none beyond the tasks' own fields.
 */
#define LOG_TAG "task"
#include "task.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "fmt.h"
#include "klibc.h"
#include "logger.h"
#include "stack.h"
#include "task_int.h"
#include "tsc.h"
#include "unwind.h"

void task_install_frame_check(void);

static bool
stack_bounds(uint64_t *lo, uint64_t *hi)
{
	struct task *t = task_current();
	if (!t || !t->stack)
		return false;
	*lo = stack_guard(t->stack); /* include the guard: it may be mapped for the unwind */
	*hi = stack_top(t->stack);
	return true;
}

static struct task *
respawn(struct task *t)
{
	struct task_builder b = t->builder;
	b.name = t->name;
	int err;
	/* the new life is charged where the old one was (mm_acct) */
	uint8_t acct = task_set_acct(t->acct);
	struct task *n = task_spawn(&b, &err);
	task_set_acct(acct);
	if (!n)
		log_err("restarting %s failed: %s", t->name, err_str(err));
	return n;
}

static recovery_fn recovery;

void
task_set_recovery(recovery_fn fn)
{
	recovery_fn old = recovery;
	recovery = fn;
	cell_pin_addr((const void *)fn);
	cell_unpin_addr((const void *)old);
}

void
task_progress_period(uint64_t period_ns)
{
	struct task *t = task_current();
	t->progress_at = tsc_ns();
	t->progress_period_ns = period_ns;
}

void
task_progress(void)
{
	task_current()->progress_at = tsc_ns();
}

struct overdue_query {
	struct task **out;
	size_t max, n;
	uint64_t now;
};

static void
overdue_one(struct task *t, void *ctx)
{
	struct overdue_query *q = ctx;
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (q->n == q->max || !t->progress_period_ns || t->idle || t->unwinding || t->kill_pending
	    || s == TASK_EXITED || s == TASK_KILLED)
		return;
	if (q->now > t->progress_at + t->progress_period_ns)
		q->out[q->n++] = task_ref(t);
}

size_t
task_overdue(struct task **out, size_t max, uint64_t now)
{
	struct overdue_query q = { out, max, 0, now };
	task_for_each(overdue_one, &q);
	return q.n;
}

static __noreturn void
task_unwound(const struct unwind_report *r)
{
	struct task *t = task_current();
	struct percpu *pc = this_cpu();
	if (pc->preempt_count) {
		log_warn("%s died with preemption disabled %d time(s) without a guard", t->name,
			 pc->preempt_count);
		pc->preempt_count = 0;
	}
	bool killed = r->fi.vector == VEC_KILL && !t->kill_recovers;
	struct task *again = NULL;
	char recovered[128] = "";
	if (!killed && recovery) {
		struct recovery_event ev = { &r->fi, t, t->builder.restartable };
		recovery(&ev, recovered, sizeof(recovered));
	} else if (t->builder.restartable && !killed) {
		again = respawn(t);
	}

	struct fault_record rec = { .cpu = pc->id, .task_id = t->id, .vector = r->fi.vector,
				    .error = r->fi.error, .rip = r->fi.rip, .cr2 = r->fi.cr2,
				    .frames = r->frames, .pads = r->pads, .unwind_ns = r->t_end - r->t_start };
	strlcpy(rec.task, t->name, sizeof(rec.task));
	strlcpy(rec.msg, r->fi.msg, sizeof(rec.msg));
	uint64_t off;
	const char *cell = "?";
	const char *sym = exc_symbolize(r->fi.rip, &off, &cell);
	strlcpy(rec.cell, cell, sizeof(rec.cell));
	strlcpy(rec.section, sym ? sym : "?", sizeof(rec.section));
	char extra[40] = "";
	if (r->no_pad)
		snprintf(extra, sizeof(extra), ", %u frame(s) without cleanup entry", r->no_pad);
	snprintf(rec.action, sizeof(rec.action), "%s%s%s%s%s%s", r->corrupt ? "unwound (stopped at a bad frame)" : "unwound",
		 extra, again ? ", restarted as " : "", again ? again->name : "", *recovered ? "; " : "", recovered);
	fault_log_add(&rec);
	log_warn("task %s (#%u) %s: %s at %#lx in %s; %u frames, %u cleanups run in %lu us%s%s", t->name,
		 t->id, killed ? "killed" : "died", r->fi.msg, r->fi.rip, cell, r->frames, r->pads,
		 (r->t_end - r->t_start) / 1000, again ? "; restarted" : *recovered ? "; recovery: " : "", recovered);
	if (again) {
		t->restarted_as = again->id;
		task_unref(again);
	}

	if (t->idle) {
		/* a CPU's idle task cannot die: it starts its loop over (on what
		 * is left of its stack; recovery reloads the suspect cell) */
		log_warn("idle task %s starts over", t->name);
		t->unwinding = false;
		t->entry(t->arg);
		panic("idle task %s returned", t->name);
	}
	snprintf(t->kill_reason, sizeof(t->kill_reason), "%s", r->fi.msg);
	irq_disable();
	bool irq = spin_lock_irq(&t->joiners.lock);
	__atomic_store_n(&t->state, TASK_KILLED, __ATOMIC_RELEASE);
	spin_unlock_irq(&t->joiners.lock, irq);
	waitq_wake_all(&t->joiners);
	irq_disable();
	sched_schedule();
	panic("killed task %s was scheduled again", t->name);
}

static void
kill_self(struct task *t)
{
	struct fault_info fi = { .vector = VEC_KILL };
	fi.rip = (uint64_t)(uintptr_t)__builtin_return_address(0);
	strlcpy(fi.msg, t->kill_reason, sizeof(fi.msg));
	t->unwinding = true;
	unwind_current(&fi);
}

/* a delivery point: the current task unwinds here if someone killed it */
void
task_check_kill(void)
{
	struct task *t = task_current();
	if (t && !t->idle && !t->unwinding && !t->kill_shield &&
	    __atomic_load_n(&t->kill_pending, __ATOMIC_ACQUIRE) && this_cpu()->preempt_count == 0)
		kill_self(t);
}

/* from the exceptions cell, after an interrupt handler, before returning
 * to task code: an interrupted task that was killed unwinds from there */
static void
irq_exit(struct trap_frame *f)
{
	struct task *t = task_current();
	if (!t || t->idle || t->unwinding || t->kill_shield ||
	    !__atomic_load_n(&t->kill_pending, __ATOMIC_ACQUIRE) || this_cpu()->preempt_count)
		return;
	struct fault_info fi = { .vector = VEC_KILL, .rip = f->rip, .rsp = f->rsp };
	strlcpy(fi.msg, t->kill_reason, sizeof(fi.msg));
	t->unwinding = true;
	unwind_from_frame(f, &fi);
}

int
task_kill_recover(struct task *t, const char *reason)
{
	if (t->idle)
		return E_PERM;
	t->kill_recovers = true;
	return task_kill(t, reason);
}

int
task_kill(struct task *t, const char *reason)
{
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (s == TASK_EXITED || s == TASK_KILLED)
		return E_NOENT;
	if (t->idle)
		return E_PERM;
	if (__atomic_exchange_n(&t->kill_pending, 1, __ATOMIC_ACQ_REL))
		return E_OK; /* already on its way */
	strlcpy(t->kill_reason, reason ? reason : "task_kill", sizeof(t->kill_reason));
	if (t == task_current())
		kill_self(t);
	if (!task_wake(t)) /* blocked: it wakes up into a delivery point */
		task_kick(t);  /* running or queued: interrupt it */
	return E_OK;
}

int
task_unwind_init(void)
{
	static const struct unwind_hooks h = { task_unwound, stack_bounds };
	unwind_set_hooks(&h);
	exc_set_irq_exit_hook(irq_exit);
	task_install_frame_check();
	return E_OK;
}

size_t
task_backtrace(struct task *t, uint64_t *pcs, size_t max)
{
	if (t == task_current()) {
		struct unwind_regs r;
		unwind_capture(&r);
		return unwind_backtrace(&r, false, pcs, max);
	}
	if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) || !t->saved_rsp)
		return 0;
	struct unwind_regs r;
	unwind_regs_from_switch(t->saved_rsp, &r);
	return unwind_backtrace(&r, false, pcs, max);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(task_kill);
EXPORT_APP(task_kill_recover);
EXPORT_APP(task_backtrace);

struct frame_query {
	uint64_t lo, hi;
	int result;
};

static void
frames_of_unsafe(struct task *t, struct frame_query *q)
{
	if (q->result == 1)
		return;
	uint64_t pcs[48];
	size_t n = 0;
	uint32_t st = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if ((st == TASK_EXITED || st == TASK_KILLED) && !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		return; /* finished and switched away for good: no frames */
	if (t != task_current() && __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
		/* running elsewhere: if its CPU is parked (a swap's pause), walk
		 * from where it was interrupted; otherwise we cannot tell (idle
		 * tasks only run the task cell's loop and interrupt handlers) */
		struct percpu *pc = t->cpu >= 0 ? percpu_of((unsigned)t->cpu) : NULL;
		const struct trap_frame *f = pc ? pc->stop_frame : NULL;
		if (!f) {
			if (!t->idle)
				q->result = -1;
			return;
		}
		struct unwind_regs r = { .r = {
			f->rax, f->rdx, f->rcx, f->rbx, f->rsi, f->rdi, f->rbp, f->rsp,
			f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, f->rip } };
		n = unwind_backtrace(&r, true, pcs, ARRAY_SIZE(pcs));
	} else {
		n = task_backtrace(t, pcs, ARRAY_SIZE(pcs));
	}
	for (size_t i = 0; i < n; i++)
		if (pcs[i] >= q->lo && pcs[i] <= q->hi)
			q->result = 1;
}

/* a task whose saved state is corrupt must not take the walker (a swap,
 * a recovery) down with it: a fault while walking means "cannot tell" */
static void
frames_of(struct task *t, void *ctx)
{
	struct frame_query *q = ctx;
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		frames_of_unsafe(t, q);
		fault_catch_disarm(&c);
	} else if (q->result != 1) {
		q->result = -1;
	}
}

/* for the cell manager: does any task have a frame in [lo, hi)? */
static int
task_frames_in(uint64_t lo, uint64_t hi)
{
	struct frame_query q = { lo, hi, 0 };
	task_for_each(frames_of, &q);
	return q.result;
}

void
task_install_frame_check(void)
{
	cell_set_frame_check(task_frames_in);
}
