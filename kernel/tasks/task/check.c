/*
 * check.c: the fields of a task that the scheduler, kills and the
 * watchdog rely on, checked where they are read (issue 14: a corrupted
 * word in a task struct left the task unkillable, or hidden from the
 * watchdog, which finds tasks by id). What is checked and how it is put
 * right:
 *   magic  - TASK_MAGIC while allocated; a task list link leading to
 *            something else stops the walk (reported) instead of being
 *            followed into garbage;
 *   id     - kept twice (id, and id_inv = ~id at the struct's far end, so
 *            one corrupted word cannot hit both): a copy that disagrees
 *            with the id it was looked up by is put back;
 *   state  - one of enum runstate: a value out of range is derived again
 *            from what the scheduler holds (running on a CPU, or in a
 *            ready set: runnable; otherwise blocked, so a kill wakes it).
 * Each repair is logged as an error naming the task. State: none.
 */
#define LOG_TAG "task"
#include "task.h"
#include "base.h"
#include "logger.h"
#include "task_int.h"

bool
task_check_magic(const struct task *t, const char *where)
{
	uintptr_t a = (uintptr_t)t;
	if (a >= 0xffff800000000000ULL && (a & 7) == 0 && t->magic == TASK_MAGIC)
		return true;
	log_err("%s leads to %p, which is not a task: not followed", where, (const void *)t);
	return false;
}

bool
task_check_ids(struct task *t, uint32_t id)
{
	if (t->id == id && t->id_inv == ~id)
		return true;
	if (t->id != id && t->id_inv != ~id)
		return false; /* neither copy is id: another task */
	log_err("task struct of %.32s corrupted: id %#x, its copy says #%u; put back to #%u", t->name, t->id,
		~t->id_inv, id);
	t->id = id;
	t->id_inv = ~id;
	return true;
}

void
task_check_state(struct task *t)
{
	uint32_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	if (s >= TASK_RUNNABLE && s <= TASK_KILLED)
		return;
	uint32_t now = __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) || t->rq_cpu >= 0 ? TASK_RUNNABLE
										     : TASK_BLOCKED;
	log_err("task struct of %.32s (#%u) corrupted: state %#x; put back to %s", t->name, t->id, s,
		runstate_str((enum runstate)now));
	__atomic_compare_exchange_n(&t->state, &s, now, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
