/*
 * task: tasks, the only execution context (thesis 6.3.2). The task struct
 * holds only what switching and joining need; runqueues and policy live in
 * a scheduler cell behind struct sched_policy, so the policy can change
 * without this code knowing.
 *
 *   struct task_builder b = TASK_BUILDER(worker, &job);   type-checked
 *   b.name = "worker"; b.pin = 2;
 *   struct task *t = task_spawn(&b, &err);                a counted reference
 *   task_join(t, &ret);  task_unref(t);                   or _cleanup_(task_unref_p)
 *
 * A task holds its entry function's cell (so that cell, and every cell it
 * depends on, stays loaded while the task lives: invariant T.4), its
 * guarded stack, and a reference to itself that it drops once it has
 * exited and switched away.
 * State: the list of all tasks (introspection) and the active policy.
 */
#ifndef TASK_H
#define TASK_H

#include "base.h"

struct cell;
struct cell_ns;
struct stack;

enum runstate {
	TASK_RUNNABLE = 1,  /* running or on a runqueue */
	TASK_BLOCKED,       /* waiting to be woken */
	TASK_EXITED,        /* returned or called task_exit */
	TASK_KILLED,        /* died: see kill_reason */
};
const char *runstate_str(enum runstate s);

struct waitq {
	struct spinlock lock;
	struct qlist waiters; /* struct waitq_node, FIFO; guarded by lock */
};
#define WAITQ_INIT { SPINLOCK_INIT, QLIST_INIT }

/* ---- spawning ---- */
struct task_builder {
	uint64_t (*entry)(uint64_t);
	uint64_t arg;
	const char *name;
	size_t stack_pages;           /* default 8 (32 KiB) + guard page */
	int pin;                      /* -1: any CPU */
	struct cell_ns *ns;           /* default: the kernel namespace */
	bool blocked;                 /* start blocked (task_wake starts it) */
	bool idle;                    /* an idle task: never on a runqueue */
	int priority;                 /* for priority schedulers; default 0 */
	bool restartable;             /* spawn again after a fault (not a kill) */
	bool system;                  /* the system needs it (shell, recovery, evolve,
				       * reaper): the shell's `kill` refuses it */
	struct cell *cell;            /* cell to hold (default: the entry's) */
	bool linked;                  /* dies with its spawner if the spawner dies of a
				       * fault or a kill (Erlang's link; death.c) */
};

#define TASK_MAGIC 0x7a5c7a5cu
#define TASK_CWD_MAX 256

struct task {
	/* offsets 0 and 8 are used by switch.S */
	uint64_t saved_rsp;
	volatile uint32_t on_cpu;      /* 1 while a CPU runs on its stack */
	volatile uint32_t state;       /* enum runstate */
	char name[32];
	uint32_t id;                   /* for display only; tasks are named by reference */
	int cpu;                       /* CPU it runs or last ran on */
	int pin;                       /* -1, or the only CPU it may run on */
	bool idle;
	uint32_t refs;                 /* atomic */
	uint64_t (*entry)(uint64_t);
	uint64_t arg;
	uint64_t exit_value;
	char kill_reason[96];
	struct waitq joiners;
	struct stack *stack;           /* owned; NULL for the boot task */
	struct cell *entry_cell;       /* held (cell->users) */
	struct cell_ns *ns;
	int priority;                  /* 0..SCHED_PRIO_MAX (policies read it) */
	volatile int rq_cpu;           /* CPU whose ready set holds it, -1: none
					* (changed under that CPU's run lock) */
	uint32_t magic;                /* TASK_MAGIC while allocated */
	struct task_timer *timer;      /* its armed timer, in its frame: the sleeper
					* list is rebuilt from these (timer.c) */
	/* the policy's working space: derived state, written only by the
	 * policy (under the run lock) and rebuilt by it */
	struct { void *link; uint64_t key; } slot;
	void *fpu;                     /* FXSAVE area, once the task uses the FPU */
	void *tls;                     /* thread-local block (thread pointer) */
	uint64_t runtime_ns, switched_in_at;
	struct task_builder builder;   /* how it was spawned (restart) */
	uint32_t linked_to;            /* its spawner's id if spawned linked (0: none; a
					* restarted task is linked to nobody alive) */
	void *fault_catchers;          /* its armed fault catchers (exceptions cell) */
	int irq_depth;                 /* interrupt nesting it was switched out at */
	volatile uint32_t kill_pending; /* 0, or the enum task_kill_how of the kill on its way */
	bool unwinding;
	bool finishing;                /* in task_finish: a fault there ends it at once */
	int kill_shield;               /* >0: kills wait for the task layer's own delivery point */
	uint32_t self_kill;            /* how of a kill the task made of itself while shielded: it
	                                  is pending once the shielded section ends (its waits
	                                  until then are not interrupted) */
	uint64_t (*restart_entry)(uint64_t); /* task_restart_into: spawn again here */
	struct task *all_next, *all_prev;
	struct task *all_zombie_next;  /* on its CPU's list of exited tasks */
	uint8_t acct;                  /* accounting domain its allocations are
					* charged to (mm_acct); inherited at spawn */
	char cwd[TASK_CWD_MAX];        /* working directory (the vfs resolves relative
					* paths against it); inherited at spawn, "" = "/" */
	uint32_t id_inv;               /* ~id: a second copy, far from id (check.c) */
};

/* ---- references ---- */
void task_unref(struct task *t);
DEFINE_DROP(struct task, task_unref)
struct task *task_ref(struct task *t);
/* a reference to the task with this id (decimal, at most UINT32_MAX) or
 * name (a live task: not one that has exited or been killed); NULL if none */
struct task *task_find(const char *key) OWNED_BY(task_unref);
/* a reference to the live task with this id (ids are never reused); NULL if
 * it has been freed. What cells that keep records per task (keyed by id)
 * use to act on the task. */
struct task *task_find_id(uint32_t id) OWNED_BY(task_unref);
/* a reference to the live task p, which had this id when the caller took
 * note of both (the watchdog): p is only compared with the task list's
 * members, never read unless it is one; a member whose id word was
 * corrupted is put right (check.c). NULL if p is not a live task */
struct task *task_find_ptr(const void *p, uint32_t id) OWNED_BY(task_unref);


/* entry must be `R fn(A)` where A is exactly the type of arg and both fit
 * in a register; checked at compile time */
#define TASK_BUILDER(fn, a) ({                                                    \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&(fn)),                \
			__typeof__((fn)(a)) (*)(__typeof__(a))),                          \
		"task entry must take exactly the argument's type");                      \
	_Static_assert(sizeof(a) <= 8 && sizeof(__typeof__((fn)(a))) <= 8,             \
		"task argument and result must fit in a register");                       \
	(struct task_builder){ .entry = (uint64_t (*)(uint64_t))(void *)(fn),         \
			       .arg = (uint64_t)(uintptr_t)(a), .name = #fn, .pin = -1 };    \
})

struct task *task_spawn(const struct task_builder *b, int *err) OWNED_BY(task_unref);
/* spawn and keep no reference (a system task that lives on its own) */
int task_spawn_detached(const struct task_builder *b) __must_check;
/* a task in namespace ns (a personality: docs/evolution.md): its entry is
 * the function named `entry` as ns sees it (its own cell of that name, or
 * its parent's); E_NOENT if ns has no such function */
struct task *task_spawn_in(struct cell_ns *ns, const char *entry, uint64_t arg, const char *name,
			   int *err) OWNED_BY(task_unref);

/* ---- task groups: an owned set of tasks; dropping joins and releases
 * them all. _cleanup_(task_group_drop) struct task_group g = { 0 }; ---- */
struct task_group {
	struct task **tasks;
	size_t n, cap;
};
int task_group_spawn(struct task_group *g, const struct task_builder *b) __must_check;
/* join all; results[i] gets task i's exit value; returns the first error */
int task_group_join(struct task_group *g, uint64_t *results) __must_check;
void task_group_drop(struct task_group *g);

/* ---- the running task ---- */
struct task *task_current(void);
/* charge the current task's allocations, and the tasks it spawns from now
 * on, to accounting domain acct (mm_acct.h); returns the previous one */
uint8_t task_set_acct(uint8_t acct);
__noreturn void task_exit(uint64_t value);
void task_yield(void);
/* free this CPU's exited tasks (done by voluntary switches and idle) */
void task_reap(void);
/* wait for t to finish: E_OK with its exit value, E_FAULT if it was killed
 * (t->kill_reason says why), E_INVAL for joining oneself */
int task_join(struct task *t, uint64_t *value) __must_check;
/* make t unwind from where it is (releasing everything it holds) and die
 * with `reason`; E_NOENT if it already finished (or is unwinding from a
 * fault), E_PERM for idle tasks */
int task_kill(struct task *t, const char *reason) __must_check;
/* how a killed task's death is treated */
enum task_kill_how {
	TASK_KILL_DIE = 1,  /* it dies: no restart, no recovery (task_kill) */
	TASK_KILL_RECOVER,  /* as a fault: the recovery hook decides (the watchdog) */
};
/* task_kill with the treatment of the death as an argument; it rides in
 * t->kill_pending until the kill is delivered (the first kill wins) */
int task_kill_as(struct task *t, const char *reason, enum task_kill_how how) __must_check;
/* restart a restartable task into new code: it is killed (unwinding from
 * its next delivery point - a wait, or the end of a kill-shielded section -
 * so it releases everything; the current task, in a shielded section, at
 * the end of the section, its waits until then not interrupted) and spawned again with the same builder but
 * this entry, whose cell it then holds. A swap does this for the tasks whose
 * entry was in a replaced cell (their state lives in the state_db).
 * E_INVAL if t is not restartable, E_NOENT if it already finished. */
int task_restart_into(struct task *t, uint64_t (*entry)(uint64_t)) __must_check;
/* the same, but the death counts as a fault: the recovery cascade follows
 * (the watchdog kills hung tasks this way) */
int task_kill_recover(struct task *t, const char *reason) __must_check;

/* ---- progress (the watchdog, in the recovery cell) ----
 * The current task promises task_progress() at least every period_ns (0:
 * no promise). The task cell keeps none of it: both calls go to the
 * recovery hooks (the watchdog's own table); without a recovery cell they
 * do nothing - there is no watchdog. */
void task_progress_period(uint64_t period_ns);
void task_progress(void);
/* the promise each long-lived system task (shell, evolve, recovery, the
 * watchdog) makes; each of its waits is bounded well below it */
#define TASK_SYSTEM_PROMISE_NS 5000000000ull

/* ---- recovery (thesis 8.2): hooks for the cell that keeps per-task
 * records (recovery: its cascade's history, the watchdog's promises, who
 * replaced whom), keyed by task id. The task cell keeps none of it. ---- */
struct fault_info;
struct recovery_event {
	const struct fault_info *fi;  /* what happened (fi->rip, fi->cr2, fi->vector) */
	struct task *task;            /* the dead task (its builder says how to restart) */
	bool restartable;
	/* out: a replacement left blocked for the task cell to wake (a
	 * reference) once the death is in the fault log, so the new life's
	 * own faults are logged after it */
	struct task **wake;
};
struct task_recovery_hooks {
	/* after a task was unwound by a fault or a TASK_KILL_RECOVER kill, in
	 * the dying task's context: decide what follows (restart, reload a
	 * cell, ...); it may spawn (a replacement is best spawned blocked, its
	 * records written, then woken) and describes what it did or queued in
	 * `action`. Without hooks, restartable tasks are spawned again. */
	void (*unwound)(const struct recovery_event *ev, char *action, size_t n);
	/* every non-idle task's end (exit, kill, fault; after `unwound`), in
	 * its own context: its records may go */
	void (*ended)(uint32_t task_id);
	/* task_progress_period / task_progress of the current task */
	void (*progress_period)(uint32_t task_id, uint64_t period_ns);
	void (*progress)(uint32_t task_id);
};
/* install (NULL: remove) the hooks; h must stay valid (its cell is pinned) */
void task_set_recovery(const struct task_recovery_hooks *h);
/* DWARF backtrace of a task that is not running (0 if it is) */
size_t task_backtrace(struct task *t, uint64_t *pcs, size_t max);
/* make a blocked task runnable (false if it was not blocked) */
bool task_wake(struct task *t);
/* block the current task until task_wake (use waitq_* instead) */
void task_block_current(void);
void task_sleep_ns(uint64_t ns);

/* ---- timers: the tick wakes the task at the deadline ----
 * A timer is an owned object that lives with its task (often in its
 * frame): hold it in _cleanup_(task_timer_cancel), so that leaving the
 * scope - normally or by unwinding - takes it off the sleeper list. */
struct task_timer {
	struct task *t;
	uint64_t deadline;       /* tsc_ns() */
	struct task_timer *next;
	bool armed;              /* on the sleeper list (guarded by its lock) */
	uint32_t magic;          /* TASK_TIMER_MAGIC while armed */
};
#define TASK_TIMER_MAGIC 0x71e3e271u
#define TASK_TIMER_INIT { NULL, 0, NULL, false, 0 }
void task_timer_arm(struct task_timer *tm, uint64_t deadline);
/* the drop function: disarm if armed (a no-op otherwise) */
void task_timer_cancel(struct task_timer *tm);
/* armed timers on the sleeper list that belong to t (NULL: all), for
 * introspection and leak checks */
size_t task_timer_count(const struct task *t);
/* how many times the tick found the sleeper list corrupted and rebuilt it
 * from the tasks' armed timers */
size_t task_timer_rebuilds(void);

/* ---- wait queues ---- */
void waitq_init(struct waitq *q);
/* wait until done(ctx) is true; done is evaluated with q->lock held */
void waitq_wait_until(struct waitq *q, bool (*done)(void *ctx), void *ctx);
/* the same with a deadline (tsc_ns; UINT64_MAX: none): E_OK when done,
 * E_TIMEDOUT, or E_INTR if the task is being killed (the caller undoes and
 * returns; the kill is delivered when it leaves its shielded section) */
int waitq_wait_deadline(struct waitq *q, bool (*done)(void *ctx), void *ctx,
			uint64_t deadline) __must_check;
/* kills wait while the task is in a shielded section (a send-and-record
 * transaction); the end of the section delivers a pending kill */
void task_shield_kills(void);
void task_unshield_kills(void);
/* wake one / all waiters; returns how many were woken */
size_t waitq_wake_one(struct waitq *q);
size_t waitq_wake_all(struct waitq *q);

/* ---- preemption ---- */
void preempt_disable(void);
void preempt_enable(void);
/* the timer tick: account time, request a switch when the slice is over */
void task_tick(void);
/* another CPU gave us work (kick IPI): switch if we can */
void task_tick_resched(void);
void task_set_timeslice_ns(uint64_t ns);
uint64_t task_timeslice_ns(void);

/* ---- introspection ---- */
struct task_info {
	uint32_t id;
	char name[32];
	enum runstate state;
	int cpu, pin;
	bool idle;
	const char *cell;
	uint64_t runtime_ns;
	int rq_cpu;                   /* the ready set it is in, -1: none */
};
/* ---- the scheduler contract (implemented by scheduler cells) ----
 *
 * The task cell owns the authoritative scheduling state: each task's run
 * state, priority and the CPU whose ready set holds it (t->rq_cpu), under
 * that CPU's run lock. A policy cell only orders the ready tasks of a CPU:
 * its queues, and t->slot, are derived state it can rebuild from the task
 * list at any time (reset, then enqueue every task whose rq_cpu is that
 * CPU). Every call below is made by the task cell with the CPU's run lock
 * held and interrupts off, so a policy needs no locks of its own, and once
 * the task cell has switched a CPU to another policy no CPU can be running
 * the old policy's code for it. A new or reloaded policy therefore reads
 * nothing of its predecessor's memory. */
#define SCHED_PRIO_MAX 39
struct sched_policy {
	const char *name;
	bool priorities;              /* false: task_set_priority says E_NOTSUP */
	/* forget every task queued for cpu (start empty) */
	void (*reset)(unsigned cpu);
	/* t became ready on cpu (t->rq_cpu == cpu already) */
	void (*enqueue)(struct task *t, unsigned cpu);
	/* t leaves cpu's ready set without running */
	void (*dequeue)(struct task *t, unsigned cpu);
	/* remove and return the next task for cpu, or NULL (run idle) */
	struct task *(*pick_next)(unsigned cpu);
	/* introspection: up to max queued tasks of cpu, in run order; returns
	 * how many are queued */
	size_t (*runqueue)(unsigned cpu, struct task **out, size_t max);
};
/* install p on every CPU: each CPU in turn, under its own run lock, gets
 * p's queues built from the task list. No CPU is paused and nothing of the
 * previous policy is read; the previous policy's cell is unpinned. Used at
 * boot and by the transfer function of a scheduler cell swap or reload. */
int sched_set_policy(const struct sched_policy *p) __must_check;
const struct sched_policy *sched_policy(void);
/* rebuild cpu's queues from the task list (what the task cell does when a
 * policy's answer shows its queues are corrupted); returns how many tasks
 * were queued again */
size_t sched_rebuild(unsigned cpu);
/* every online CPU's, adopting ready tasks whose set no live CPU has (a
 * corrupted rq_cpu, a CPU that stopped); the watchdog's second kill of a
 * task that did not die runs it */
size_t sched_rebuild_all(void);
/* how often each CPU's queues were found corrupted and rebuilt */
uint64_t sched_rebuild_count(void);
/* 0..SCHED_PRIO_MAX; E_NOTSUP if the policy has no priorities */
int task_set_priority(struct task *t, int priority) __must_check;
/* snapshot of cpu's running task and queued tasks (names, ids), taken
 * under its run lock; returns the number queued */
size_t sched_runqueue_info(unsigned cpu, struct task_info *running, struct task_info *out, size_t max);
/* pick the CPU a newly runnable task should go to */
unsigned sched_target_cpu(const struct task *t);

/* ---- bring-up ---- */
/* make the code running on this CPU a task (boot: the captain), and give
 * the CPU its idle task */
int task_init_cpu(const char *name) __must_check;
/* hook for the SMP cell: IPI a CPU that has new work */
void task_set_kick_hook(void (*kick)(unsigned cpu));

/* snapshot of up to max tasks; returns the total number of tasks */
size_t task_list(struct task_info *out, size_t max);

/* the calling task's working directory ("/" if none was set); a path the
 * vfs has resolved (absolute, normal). E_NAMETOOLONG if it does not fit. */
int task_get_cwd(char *out, size_t cap) __must_check;
int task_set_cwd(const char *path) __must_check;
size_t task_count(void);

#endif
