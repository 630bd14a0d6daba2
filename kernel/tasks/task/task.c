/*
 * task.c: spawning, references, exit, join and the task list.
 */
#define LOG_TAG "task"
#include "task.h"
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "mm_acct.h"
#include "stack.h"
#include "task_int.h"
#include "tsc.h"

static struct spinlock list_lock = SPINLOCK_INIT;
static struct task *all_tasks;  /* guarded by list_lock */
static size_t ntasks;
static uint32_t next_id = 1;

const char *
runstate_str(enum runstate s)
{
	switch (s) {
	case TASK_RUNNABLE: return "runnable";
	case TASK_BLOCKED: return "blocked";
	case TASK_EXITED: return "exited";
	case TASK_KILLED: return "killed";
	default: return "?";
	}
}

struct task *
task_ref(struct task *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

/* a reference to a task on the list, unless its last reference is gone
 * (it is being freed and leaves the list in task_free): resurrecting it
 * would free it twice */
static struct task *
ref_unless_dying(struct task *t)
{
	uint32_t r = __atomic_load_n(&t->refs, __ATOMIC_RELAXED);
	while (r)
		if (__atomic_compare_exchange_n(&t->refs, &r, r + 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return t;
	return NULL;
}

struct task *
task_ref_live(struct task *t)
{
	return ref_unless_dying(t);
}

static void
list_add(struct task *t)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&list_lock);
	t->id = next_id++;
	t->id_inv = ~t->id;
	t->all_next = all_tasks;
	if (all_tasks)
		all_tasks->all_prev = t;
	all_tasks = t;
	__atomic_add_fetch(&ntasks, 1, __ATOMIC_RELAXED);
}

/* off the list first, so that nobody walking it (task_for_each: swaps'
 * frame checks, policy rebuilds) meets a task whose stack is going away */
static void
list_remove(struct task *t)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&list_lock);
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		all_tasks = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
}

static void
task_free(struct task *t)
{
	/* a task is freed only after it switched away for the last time */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	sched_ready_remove(t); /* (an exited task is in no ready set) */
	list_remove(t);
	t->magic = 0;
	stack_drop(TAKE_PTR(t->stack));
	if (t->entry_cell)
		__atomic_sub_fetch(&t->entry_cell->users, 1, __ATOMIC_RELEASE);
	task_fpu_free(t);
	task_tls_free(t);
	uint8_t acct = t->acct;
	kfree(t);
	mm_acct_charge(acct, ACCT_TASKS, -1);
	/* last: the task count is what waiters (and memory checks) watch */
	__atomic_sub_fetch(&ntasks, 1, __ATOMIC_RELEASE);
}

void
task_unref(struct task *t)
{
	if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
		task_free(t);
}

/* the initial stack: task_switch_asm pops six registers and returns into
 * task_entry_trampoline with the task in r12 */
static void
prepare_stack(struct task *t)
{
	uint64_t *sp = (uint64_t *)ALIGN_DOWN(stack_top(t->stack), 16);
	*--sp = 0;                                   /* fake return address: end of backtraces */
	*--sp = (uint64_t)(uintptr_t)task_entry_trampoline;
	*--sp = 0;                                   /* rbp */
	*--sp = 0;                                   /* rbx */
	*--sp = (uint64_t)(uintptr_t)t;              /* r12 */
	*--sp = 0;                                   /* r13 */
	*--sp = 0;                                   /* r14 */
	*--sp = 0;                                   /* r15 */
	t->saved_rsp = (uint64_t)(uintptr_t)sp;
}

struct task *
task_spawn(const struct task_builder *b, int *err)
{
	if (!b->entry || (b->pin >= 0 && (b->pin >= MAX_CPUS || !percpu_of((unsigned)b->pin)->online))) {
		err_set(err, b->entry ? E_RANGE : E_INVAL);
		return NULL;
	}
	const struct sched_policy *pol = sched_policy();
	if (!pol) {
		err_set(err, E_NOENT);
		return NULL;
	}
	_cleanup_(kfreep) struct task *t = KNEW(struct task);
	if (!t) {
		err_set(err, E_NOMEM);
		return NULL;
	}
	t->acct = mm_acct_current(); /* the spawner's domain */
	struct task *me = task_current();
	if (me && !me->idle)
		strlcpy(t->cwd, me->cwd, sizeof(t->cwd));
	strlcpy(t->name, b->name ? b->name : "task", sizeof(t->name));
	t->stack = stack_alloc(b->stack_pages ? b->stack_pages : 8, t->name, err);
	if (!t->stack)
		return NULL;
	t->entry = b->entry;
	t->arg = b->arg;
	t->builder = *b;
	t->linked_to = b->linked && task_current() ? task_current()->id : 0;
	t->builder.name = NULL; /* the caller's string may not live as long */
	t->builder.blocked = false; /* a restart runs at once (a spawner that
				     * starts it blocked wakes it itself) */
	t->pin = b->pin;
	t->idle = b->idle;
	t->ns = b->ns ? b->ns : cell_ns_kernel();
	t->cpu = b->pin >= 0 ? b->pin : -1;
	t->priority = b->priority;
	t->rq_cpu = -1;
	t->magic = TASK_MAGIC;
	waitq_init(&t->joiners);
	int e = b->priority < 0 || b->priority > SCHED_PRIO_MAX ? E_RANGE : task_tls_alloc(t);
	if (e) {
		task_tls_free(t);
		stack_drop(TAKE_PTR(t->stack));
		err_set(err, e);
		return NULL;
	}
	/* commit: nothing below fails */
	t->entry_cell = b->cell ? b->cell : cell_at((uint64_t)(uintptr_t)b->entry);
	if (t->entry_cell)
		__atomic_add_fetch(&t->entry_cell->users, 1, __ATOMIC_ACQ_REL);
	prepare_stack(t);
	mm_acct_charge(t->acct, ACCT_TASKS, 1);
	t->refs = 2; /* the caller's, and the task's own until it is reaped */
	t->state = b->blocked ? TASK_BLOCKED : TASK_RUNNABLE;
	list_add(t);
	if (!b->blocked && !b->idle)
		sched_make_runnable(t);
	return TAKE_PTR(t);
}

/* first code a new task runs (from task_entry_trampoline) */
void task_start(struct task *t);

void
task_start(struct task *t)
{
	sched_finish_switch();
	irq_enable();
	task_check_kill();
	task_exit(t->entry(t->arg));
}

static bool
finished(void *ctx)
{
	struct task *t = ctx;
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	return s == TASK_EXITED || s == TASK_KILLED;
}

void
task_exit(uint64_t value)
{
	struct task *t = task_current();
	t->exit_value = value;
	task_ended(t); /* other cells' records of it may go */
	task_finish(t, TASK_EXITED);
}

/* the end of every task (exit or death): become `state`, wake the
 * joiners, switch away for good */
__noreturn void
task_finish(struct task *t, enum runstate state)
{
	/* interrupts stay off from here: a task preempted once it is
	 * finished would never run again, and its joiners never wake */
	irq_disable();
	if (t->finishing) {
		/* again, after a fault in the first attempt (its joiners' queue
		 * corrupted: waking it faulted, and each death came back here):
		 * it ends without waking them - a joiner checks again whenever
		 * anything wakes it, and one that promised progress is the
		 * watchdog's */
		__atomic_store_n(&t->state, state, __ATOMIC_RELEASE);
		sched_ready_remove(t);
		sched_schedule();
		panic("finished task %s was scheduled again", t->name);
	}
	t->finishing = true;
	{
		/* under the joiners' lock, so a joiner's check cannot miss it */
		_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&t->joiners.lock);
		__atomic_store_n(&t->state, state, __ATOMIC_RELEASE);
	}
	waitq_wake_all(&t->joiners);
	/* a task that died inside the scheduler (a fault in the policy while
	 * it was being queued again) may still be in a ready set */
	sched_ready_remove(t);
	sched_schedule();
	panic("finished task %s was scheduled again", t->name);
}


int
task_join(struct task *t, uint64_t *value)
{
	if (t == task_current())
		return E_INVAL;
	waitq_wait_until(&t->joiners, finished, t);
	if (value)
		*value = t->exit_value;
	return t->state == TASK_KILLED ? E_FAULT : E_OK;
}

void
task_info_of(const struct task *t, struct task_info *i)
{
	i->id = t->id;
	strlcpy(i->name, t->name, sizeof(i->name));
	i->state = t->state;
	i->cpu = t->cpu;
	i->pin = t->pin;
	i->idle = t->idle;
	i->cell = t->entry_cell ? t->entry_cell->name : "-";
	i->runtime_ns = t->runtime_ns;
	i->rq_cpu = t->rq_cpu;
}

size_t
task_list(struct task_info *out, size_t max)
{
	size_t n = 0;
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&list_lock);
	for (struct task *t = all_tasks; t; t = t->all_next) {
		if (n < max)
			task_info_of(t, &out[n]);
		n++;
	}
	return n;
}

/* the allocators read the current task's domain from its CPU's percpu
 * slot (mm_acct_current), which every switch sets to the next task's */
uint8_t
task_set_acct(uint8_t acct)
{
	preempt_count_inc();
	struct task *t = task_current();
	uint8_t old = t->acct;
	t->acct = acct;
	this_cpu()->acct = acct;
	preempt_count_dec();
	return old;
}

size_t
task_count(void)
{
	return __atomic_load_n(&ntasks, __ATOMIC_RELAXED);
}

void
task_register(struct task *t)
{
	list_add(t);
}

void
task_for_each(void (*fn)(struct task *t, void *ctx), void *ctx)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&list_lock);
	for (struct task *t = all_tasks; t; t = t->all_next)
		fn(t, ctx); /* a fault in fn unwinds through g: the list is released */
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(task_list);
EXPORT_APP(task_count);
EXPORT_APP(task_unref);
EXPORT_APP(task_spawn_in);
EXPORT_APP(task_join);
EXPORT_APP(runstate_str);

/* a reference to the task with this id (decimal) or, else, this name */
struct task *
task_find(const char *key)
{
	/* all digits: an id, which must fit (no wrap-around to a small one) */
	uint64_t id = 0;
	bool numeric = *key >= '0' && *key <= '9';
	if (numeric && str_to_u64(key, 10, UINT32_MAX, &id))
		return NULL;
	for (const char *p = key; numeric && *p; p++)
		numeric = *p >= '0' && *p <= '9';
	struct task *found = NULL;
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&list_lock);
	for (struct task *t = all_tasks; t && !found; t = t->all_next)
		if (numeric ? t->id == id : !strcmp(t->name, key) && !finished(t))
			found = ref_unless_dying(t);
	return found;
}

EXPORT_APP(task_find);
EXPORT_APP(task_find_id);

/* the first task the walk of the list (under list_lock) accepts: a task
 * whose id is id (either copy: check.c puts the other right), or that is
 * p. The walk stops at a link that does not lead to a task (corrupted),
 * saying so, rather than following it */
static struct task *
find_under_lock(uint32_t id, const void *p)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&list_lock);
	for (struct task *t = all_tasks; t; t = t->all_next) {
		if (!task_check_magic(t, "the task list"))
			return NULL;
		if (p ? t == p : (t->id == id || ~t->id_inv == id))
			return task_check_ids(t, id) ? ref_unless_dying(t) : NULL;
	}
	return NULL;
}

struct task *
task_find_id(uint32_t id)
{
	return id ? find_under_lock(id, NULL) : NULL;
}

struct task *
task_find_ptr(const void *p, uint32_t id)
{
	return p ? find_under_lock(id, p) : NULL;
}

int
task_get_cwd(char *out, size_t cap)
{
	struct task *me = task_current();
	const char *c = me && me->cwd[0] ? me->cwd : "/";
	return strlcpy(out, c, cap) >= cap ? E_NAMETOOLONG : E_OK;
}

int
task_set_cwd(const char *path)
{
	struct task *me = task_current();
	if (!me || !path || path[0] != '/')
		return E_INVAL;
	if (strlen(path) >= sizeof(me->cwd))
		return E_NAMETOOLONG;
	strlcpy(me->cwd, path, sizeof(me->cwd));
	return E_OK;
}
