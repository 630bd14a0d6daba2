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
/* what a restarted task carries over from its earlier lives: the
 * recovery cascade escalates on faults that recur at the same place */
struct task_history {
	uint32_t restarts;            /* lives before this one */
	uint32_t same_place;          /* consecutive faults at last_place */
	uint32_t stage;               /* recovery stage taken after the last fault */
	uint64_t last_place;          /* the last fault's cell+section+offset, hashed */
};

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
	struct cell *cell;            /* cell to hold (default: the entry's) */
	struct task_history history;  /* set by recovery when restarting */
};

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
	void *sched;                   /* the scheduler cell's per-task data */
	void *sched_next;              /* the next policy's, during a policy swap */
	void *fpu;                     /* FXSAVE area, once the task uses the FPU */
	void *tls;                     /* thread-local block (thread pointer) */
	uint64_t runtime_ns, switched_in_at;
	struct task_builder builder;   /* how it was spawned (restart) */
	void *fault_catchers;          /* its armed fault catchers (exceptions cell) */
	int irq_depth;                 /* interrupt nesting it was switched out at */
	volatile uint32_t kill_pending;
	bool unwinding;
	int kill_shield;               /* >0: kills wait for the task layer's own delivery point */
	uint32_t restarted_as;         /* id of the task that replaced it */
	bool kill_recovers;            /* killed by the watchdog: recover as from a fault */
	uint64_t progress_period_ns;   /* 0: none declared */
	volatile uint64_t progress_at; /* last task_progress() */
	struct task *all_next, *all_prev;
	struct task *all_zombie_next;  /* on its CPU's list of exited tasks */
};

/* ---- references ---- */
void task_unref(struct task *t);
DEFINE_DROP(struct task, task_unref)
struct task *task_ref(struct task *t);
/* a reference to the task with this id (decimal) or name; NULL if none */
struct task *task_find(const char *key) OWNED_BY(task_unref);


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
__noreturn void task_exit(uint64_t value);
void task_yield(void);
/* free this CPU's exited tasks (done by voluntary switches and idle) */
void task_reap(void);
/* wait for t to finish: E_OK with its exit value, E_FAULT if it was killed
 * (t->kill_reason says why), E_INVAL for joining oneself */
int task_join(struct task *t, uint64_t *value) __must_check;
/* make t unwind from where it is (releasing everything it holds) and die
 * with `reason`; E_NOENT if it already finished, E_PERM for idle tasks */
int task_kill(struct task *t, const char *reason) __must_check;
/* the same, but the death counts as a fault: the recovery cascade follows
 * (the watchdog kills hung tasks this way) */
int task_kill_recover(struct task *t, const char *reason) __must_check;

/* ---- progress (the watchdog, in the recovery cell) ---- */
/* the current task promises task_progress() at least every period_ns (0: no promise) */
void task_progress_period(uint64_t period_ns);
void task_progress(void);
/* references to up to max live tasks whose promise is broken at `now`
 * (task_unref each); returns how many */
size_t task_overdue(struct task **out, size_t max, uint64_t now);

/* ---- recovery (thesis 8.2): after a task has been unwound ---- */
struct fault_info;
struct recovery_event {
	const struct fault_info *fi;  /* what happened (fi->rip, fi->cr2, fi->vector) */
	struct task *task;            /* the dead task (its builder says how to restart) */
	bool restartable;
};
/* The recovery cell decides what follows (restart, reload a cell, ...),
 * from the dying task's context after its unwinding: it may spawn, and
 * describes what it did or queued in `action`. Without one, restartable
 * tasks are spawned again. */
typedef void (*recovery_fn)(const struct recovery_event *ev, char *action, size_t n);
void task_set_recovery(recovery_fn fn);
/* DWARF backtrace of a task that is not running (0 if it is) */
size_t task_backtrace(struct task *t, uint64_t *pcs, size_t max);
/* make a blocked task runnable (false if it was not blocked) */
bool task_wake(struct task *t);
/* block the current task until task_wake (use waitq_* instead) */
void task_block_current(void);
void task_sleep_ns(uint64_t ns);

/* ---- timers: the tick wakes the task at the deadline ---- */
struct task_timer {
	struct task *t;
	uint64_t deadline;       /* tsc_ns() */
	struct task_timer *next;
};
void task_timer_arm(struct task_timer *tm, uint64_t deadline);
void task_timer_cancel(struct task_timer *tm);

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

/* ---- the scheduler contract (implemented by scheduler cells) ---- */
struct sched_policy {
	const char *name;
	/* put a runnable task on a runqueue (no-op if already queued) */
	void (*enqueue)(struct task *t, unsigned cpu);
	/* take it off its runqueue if it is on one */
	void (*dequeue)(struct task *t);
	/* remove and return the next task for cpu, or NULL (run idle) */
	struct task *(*pick_next)(unsigned cpu);
	/* allocate/free the policy's per-task data (t->sched) */
	int (*task_init)(struct task *t, int priority);
	void (*task_fini)(struct task *t);
	int (*set_priority)(struct task *t, int priority);
	/* introspection: up to max queued tasks of cpu (not referenced) */
	size_t (*runqueue)(unsigned cpu, struct task **out, size_t max);
};
int sched_set_policy(const struct sched_policy *p) __must_check;
/* live policy change, for the transfer function of a scheduler cell swap:
 * with every other CPU stopped, every task gets the new policy's data and
 * every queued task moves to the new policy's runqueue of the same CPU.
 * All or nothing (E_NOMEM before anything changed). */
int sched_replace_policy(const struct sched_policy *p) __must_check;
const struct sched_policy *sched_policy(void);
/* pick the CPU a newly runnable task should go to */
unsigned sched_target_cpu(const struct task *t);

/* ---- bring-up ---- */
/* make the code running on this CPU a task (boot: the captain), and give
 * the CPU its idle task */
int task_init_cpu(const char *name) __must_check;
/* hook for the SMP cell: IPI a CPU that has new work */
void task_set_kick_hook(void (*kick)(unsigned cpu));

/* ---- introspection ---- */
struct task_info {
	uint32_t id;
	char name[32];
	enum runstate state;
	int cpu, pin;
	bool idle;
	const char *cell;
	uint64_t runtime_ns;
};
/* snapshot of up to max tasks; returns the total number of tasks */
size_t task_list(struct task_info *out, size_t max);
size_t task_count(void);

#endif
