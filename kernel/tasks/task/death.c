/*
 * death.c: how a task dies and is brought back.
 *
 * The unwinder (nano_core) calls task_unwound() when it has run every
 * cleanup of the current task: the task is marked killed with its reason,
 * the fault log gets a record with the recovery taken, joiners are woken,
 * and a restartable task is spawned again with the same entry, argument,
 * pin and priority (thesis 8.2.2). task_kill() makes another task unwind
 * from where it is: at once if it is us, at its next delivery point
 * otherwise (woken if blocked, interrupted by an IPI if running); how the
 * death is treated (TASK_KILL_DIE, TASK_KILL_RECOVER) rides in kill_pending.
 * Per-task records of other cells (recovery's history, the watchdog's
 * promises) are theirs, keyed by task id: this file only calls their hooks
 * (task_set_recovery) at a death, at every end and for task_progress*.
 * State: the hooks; otherwise none beyond the tasks' own fields.
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

/* the recovery cell's hooks (pinned): it keeps every per-task record of
 * its own - history, progress promises, replacements - keyed by task id */
static struct guarded_ptr recovery; /* const struct task_recovery_hooks * (guarded.h) */

void
task_set_recovery(const struct task_recovery_hooks *h)
{
	const struct task_recovery_hooks *old = guarded_get(&recovery);
	if (h)
		cell_pin_addr((const void *)h);
	guarded_set(&recovery, h);
	if (old)
		cell_unpin_addr((const void *)old);
}

static const struct task_recovery_hooks *
hooks(void)
{
	return guarded_get(&recovery);
}

void
task_progress_period(uint64_t period_ns)
{
	const struct task_recovery_hooks *h = hooks();
	if (h && h->progress_period)
		h->progress_period(task_current()->id, period_ns);
}

void
task_progress(void)
{
	const struct task_recovery_hooks *h = hooks();
	if (h && h->progress)
		h->progress(task_current()->id);
}

/* the end of a non-idle task (task_exit, task_unwound) */
void
task_ended(struct task *t)
{
	const struct task_recovery_hooks *h = hooks();
	if (h && h->ended && !t->idle)
		h->ended(t->id);
}

/* Erlang's links: a task spawned linked dies with its spawner when the
 * spawner dies of a fault or a kill - what it worked for is gone, and its
 * own unwinding releases what it holds, where otherwise it could wait for
 * ever for a peer that will not come (the campaign's channel consumers
 * left blocked when their unit died with a corrupted stack). Killed to die
 * (no restart: the spawner's next life spawns anew). */
#define LINKED_MAX 32
struct linked {
	uint32_t parent;
	struct task *found[LINKED_MAX];
	size_t n;
};

static void
find_linked(struct task *t, void *ctx)
{
	struct linked *l = ctx;
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (t->linked_to == l->parent && l->n < LINKED_MAX && s != TASK_EXITED && s != TASK_KILLED) {
		struct task *ref = task_ref_live(t);
		if (ref)
			l->found[l->n++] = ref;
	}
}

static void
kill_linked(const struct task *dead)
{
	struct linked l = { .parent = dead->id, .n = 0 };
	task_for_each(find_linked, &l);
	for (size_t i = 0; i < l.n; i++) {
		char why[64];
		snprintf(why, sizeof(why), "linked to %s (#%u), which died", dead->name, dead->id);
		int e = task_kill_as(l.found[i], why, TASK_KILL_DIE);
		if (e && e != E_NOENT) /* (E_NOENT: it ended meanwhile) */
			log_warn("linked task %s (#%u) not killed: %s", l.found[i]->name, l.found[i]->id, err_str(e));
		task_unref(l.found[i]);
	}
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
	if (t->finishing) {
		/* a fault while it was ending (waking its joiners): not a new
		 * death to recover - it ends now (each such fault used to
		 * unwind into task_finish again, deeper, until the stack ran out) */
		log_err("task %s (#%u) faulted while ending (%s at %#lx): it ends without waking its joiners", t->name,
			t->id, r->fi.msg, r->fi.rip);
		struct fault_record rec = { .cpu = pc->id, .task_id = t->id, .vector = r->fi.vector,
					    .error = r->fi.error, .rip = r->fi.rip, .cr2 = r->fi.cr2 };
		strlcpy(rec.task, t->name, sizeof(rec.task));
		strlcpy(rec.msg, r->fi.msg, sizeof(rec.msg));
		strlcpy(rec.action, "faulted while ending: ended without waking its joiners", sizeof(rec.action));
		fault_log_add(&rec);
		exc_report_flush(&r->fi);
		task_finish(t, TASK_KILLED);
	}
	/* killed to die: only when someone said so. Any other value there
	 * (a word corrupted into kill_pending delivers a kill nobody sent)
	 * ends the task like a fault, which recovery restarts */
	bool killed = r->fi.vector == VEC_KILL &&
		      __atomic_load_n(&t->kill_pending, __ATOMIC_ACQUIRE) == TASK_KILL_DIE;
	struct task *again = NULL, *wake = NULL;
	char recovered[128] = "";
	const struct task_recovery_hooks *h = hooks();
	if (!killed && h && h->unwound) {
		struct recovery_event ev = { &r->fi, t, t->builder.restartable, &wake };
		h->unwound(&ev, recovered, sizeof(recovered));
	} else if (t->builder.restartable && !killed) {
		again = respawn(t);
	} else if (killed && t->restart_entry) {
		t->builder.entry = t->restart_entry;
		t->builder.cell = NULL; /* the new entry's cell */
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
	char extra[40] = "", again_as[48] = "";
	if (again)
		snprintf(again_as, sizeof(again_as), "%s (#%u)", again->name, again->id);
	if (r->no_pad)
		snprintf(extra, sizeof(extra), ", %u frame(s) without cleanup entry", r->no_pad);
	snprintf(rec.action, sizeof(rec.action), "%s%s%s%s%s%s",
		 r->stack_lost ? "not unwound (stack unusable: its frames' cleanups are lost)"
		 : r->fi.in_unwinder ? "unwinding abandoned (a fault in the unwinder)"
		 : r->corrupt ? "unwound (stopped at a bad frame)" : "unwound",
		 extra, again ? ", restarted as " : "", again_as, *recovered ? "; " : "", recovered);
	fault_log_add(&rec);
	if (wake) {
		task_wake(wake);
		task_unref(wake);
	}
	/* the fault's console report, composed at the fault, is written now
	 * that the restart is made and the fault logged: a few milliseconds
	 * under emulation that a new life on another CPU need not wait for */
	exc_report_flush(&r->fi);
	log_warn("task %s (#%u) %s: %s at %#lx in %s; %u frames, %u cleanups run in %lu us%s%s", t->name,
		 t->id, killed ? "killed" : "died", r->fi.msg, r->fi.rip, cell, r->frames, r->pads,
		 (r->t_end - r->t_start) / 1000, again ? "; restarted" : *recovered ? "; recovery: " : "", recovered);
	task_unref(again);
	if (!t->idle)
		kill_linked(t);
	task_ended(t);

	if (t->idle) {
		/* a CPU's idle task cannot die: it starts its loop over (on what
		 * is left of its stack; recovery reloads the suspect cell) */
		log_warn("idle task %s starts over", t->name);
		t->unwinding = false;
		t->entry(t->arg);
		panic("idle task %s returned", t->name);
	}
	snprintf(t->kill_reason, sizeof(t->kill_reason), "%s", r->fi.msg);
	task_finish(t, TASK_KILLED);
}

/* why t was killed, for its fault record: the killer's reason, or what
 * the kill word holds when no kill wrote it */
static void
kill_msg(const struct task *t, char *msg, size_t n)
{
	uint32_t how = __atomic_load_n(&t->kill_pending, __ATOMIC_ACQUIRE);
	if (how == TASK_KILL_DIE || how == TASK_KILL_RECOVER)
		strlcpy(msg, t->kill_reason, n);
	else
		snprintf(msg, n, "a kill nobody sent: kill word %#x (corrupted)", how);
}

static void
kill_self(struct task *t)
{
	struct fault_info fi = { .vector = VEC_KILL };
	fi.rip = (uint64_t)(uintptr_t)__builtin_return_address(0);
	kill_msg(t, fi.msg, sizeof(fi.msg));
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
	kill_msg(t, fi.msg, sizeof(fi.msg));
	t->unwinding = true;
	unwind_from_frame(f, &fi);
}

int
task_kill_recover(struct task *t, const char *reason)
{
	return task_kill_as(t, reason, TASK_KILL_RECOVER);
}

int
task_restart_into(struct task *t, uint64_t (*entry)(uint64_t))
{
	if (!t->builder.restartable || !entry)
		return E_INVAL;
	t->restart_entry = entry;
	return task_kill(t, "restarted into new code");
}

/* cell_swap's hook: the tasks whose entry was in an old cell go on in the
 * namesake entry of the new cells, if they are restartable */
struct swap_scan {
	struct cell *const *old;
	size_t nold;
	struct task *found[64];
	size_t n;
};

static void
entry_in_old(struct task *t, void *ctx)
{
	struct swap_scan *s = ctx;
	uint32_t st = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	/* a task unwinding after a fault is recovery's to restart (a
	 * rollback's swap must not restart it a second time) */
	if (s->n == ARRAY_SIZE(s->found) || t->idle || st == TASK_EXITED || st == TASK_KILLED ||
	    t->kill_pending || t->unwinding)
		return;
	for (size_t i = 0; i < s->nold; i++)
		if (t->entry_cell == s->old[i]) {
			s->found[s->n++] = task_ref(t);
			return;
		}
}

static void
after_swap(struct cell *const *old, size_t nold, struct cell_ns *ns, struct swap_times *tm)
{
	struct swap_scan s = { old, nold, { 0 }, 0 };
	task_for_each(entry_in_old, &s);
	for (size_t i = 0; i < s.n; i++) {
		struct task *t = s.found[i];
		uint64_t off = 1;
		const char *cell = NULL;
		const char *name = cell_symbolize((uint64_t)(uintptr_t)t->entry, &off, &cell);
		uint64_t addr = name && off == 0 ? cell_sym_addr(ns, name) : 0;
		struct cell *nc = addr ? cell_at(addr) : NULL;
		bool moved = nc && nc->ns == ns && t->builder.restartable &&
			     task_restart_into(t, (uint64_t (*)(uint64_t))(uintptr_t)addr) == E_OK;
		if (moved) {
			tm->restarted++;
		} else {
			tm->stale++;
			size_t len = strlen(tm->stale_names);
			snprintf(tm->stale_names + len, sizeof(tm->stale_names) - len, "%s%s (#%u)",
				 len ? ", " : "", t->name, t->id);
		}
		task_unref(t);
	}
}

int
task_kill(struct task *t, const char *reason)
{
	return task_kill_as(t, reason, TASK_KILL_DIE);
}

int
task_kill_as(struct task *t, const char *reason, enum task_kill_how how)
{
	task_check_state(t); /* a corrupted state would make it unkillable */
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (s == TASK_EXITED || s == TASK_KILLED || (t->unwinding && !t->idle))
		return E_NOENT; /* finished, or on its way out already (a fault) */
	if (t->idle)
		return E_PERM;
	if (how != TASK_KILL_DIE && how != TASK_KILL_RECOVER)
		return E_INVAL;
	if (t == task_current() && t->kill_shield) {
		/* the task kills itself in a shielded section (a swap of its own
		 * cell restarting it): the kill waits for the section's end,
		 * and the section finishes undisturbed (it answers its caller) */
		if (!t->self_kill) {
			t->self_kill = (uint32_t)how;
			strlcpy(t->kill_reason, reason ? reason : "task_kill", sizeof(t->kill_reason));
		}
		return E_OK;
	}
	/* a kill already on its way says how (the first kill wins); a word
	 * there that no kill wrote (corrupted) is written over. Either way
	 * the task is woken or interrupted: a second kill of a task the
	 * first did not reach (the watchdog's, after a grace) reaches it. */
	uint32_t cur = __atomic_load_n(&t->kill_pending, __ATOMIC_ACQUIRE);
	if ((cur != TASK_KILL_DIE && cur != TASK_KILL_RECOVER) &&
	    __atomic_compare_exchange_n(&t->kill_pending, &cur, (uint32_t)how, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		strlcpy(t->kill_reason, reason ? reason : "task_kill", sizeof(t->kill_reason));
		if (t == task_current())
			kill_self(t);
	} else if (!t->kill_reason[0]) { /* (a kill word nobody wrote, with no reason) */
		strlcpy(t->kill_reason, reason ? reason : "task_kill", sizeof(t->kill_reason));
	}
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
	cell_set_swap_hook(after_swap);
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
EXPORT_APP(task_kill_as);
EXPORT_APP(task_backtrace);

struct frame_query {
	const uint64_t *lo, *hi; /* n ranges [lo, hi) */
	int *result;             /* per range: 1 a frame in it, 0 none, -1 cannot tell */
	size_t n;
};

static void
all_results(struct frame_query *q, int v)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->result[i] != 1)
			q->result[i] = v;
}

/* the quick look before the walk: every return address of a task's
 * frames, and the saved or interrupted rip, is a word on its stack between
 * its stack pointer and the top. If no word there (and not rip) falls in
 * any range, no frame does; otherwise the walk decides (a stale word in an
 * unwritten local is not a frame). A word scan costs microseconds where a
 * DWARF walk costs a millisecond under TCG: a swap's pause runs this for
 * every task. */
static bool
stack_may_hold(struct task *t, uint64_t rsp, uint64_t rip, const struct frame_query *q)
{
	uintptr_t top, bottom;
	if (t->stack) {
		top = stack_top(t->stack);
		bottom = stack_bottom(t->stack);
	} else if (!stack_boot_bounds(&bottom, &top)) {
		return true; /* no bounds to scan: walk it */
	}
	if (rsp < bottom || rsp > top || (rsp & 7))
		return true; /* not on its own stack (an IST stack?): walk */
	for (size_t k = 0; k < q->n; k++)
		if (rip >= q->lo[k] && rip < q->hi[k])
			return true;
	/* a return address follows a call: never a range's first byte, which
	 * the query's own arrays hold (on the stack of the task asking) */
	for (const uint64_t *w = (const uint64_t *)(uintptr_t)rsp; w < (const uint64_t *)(uintptr_t)top; w++)
		for (size_t k = 0; k < q->n; k++)
			if (*w > q->lo[k] && *w < q->hi[k])
				return true;
	return false;
}

static void
frames_of_unsafe(struct task *t, struct frame_query *q)
{
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
				all_results(q, -1);
			return;
		}
		if (!stack_may_hold(t, f->rsp, f->rip, q))
			return;
		struct unwind_regs r = { .r = {
			f->rax, f->rdx, f->rcx, f->rbx, f->rsi, f->rdi, f->rbp, f->rsp,
			f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, f->rip } };
		n = unwind_backtrace(&r, true, pcs, ARRAY_SIZE(pcs));
	} else {
		/* switched out: unless it is switched in meanwhile (another CPU
		 * may resume it while its stack is read, and run on in an old
		 * cell: then nothing read here can be trusted) */
		bool other = t != task_current();
		uint64_t gen = __atomic_load_n(&t->switched_in_at, __ATOMIC_ACQUIRE);
		uint64_t rsp = other ? t->saved_rsp : (uint64_t)(uintptr_t)__builtin_frame_address(0);
		bool may = stack_may_hold(t, rsp, 0, q);
		if (may)
			n = task_backtrace(t, pcs, ARRAY_SIZE(pcs));
		if (other && (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) ||
			      __atomic_load_n(&t->switched_in_at, __ATOMIC_ACQUIRE) != gen)) {
			all_results(q, -1);
			return;
		}
		if (!may)
			return;
	}

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < q->n; k++)
			if (pcs[i] >= q->lo[k] && pcs[i] < q->hi[k])
				q->result[k] = 1;
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
	} else {
		all_results(q, -1);
	}
}

/* for the cell manager: which of n ranges [lo, hi) hold a frame of some
 * task - one walk of every task's stack for all of them */
static void
task_frames_in(const uint64_t *lo, const uint64_t *hi, size_t n, int *result)
{
	for (size_t i = 0; i < n; i++)
		result[i] = 0;
	struct frame_query q = { lo, hi, result, n };
	task_for_each(frames_of, &q);
}

void
task_install_frame_check(void)
{
	cell_set_frame_check(task_frames_in);
}
