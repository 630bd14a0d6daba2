/*
 * timer.c: task timers - the sleeper list the tick walks to wake tasks at
 * their deadlines. A timer is an owned object in its task's frame
 * (waitq_wait_deadline holds it in a _cleanup_ variable), so a task that
 * unwinds or is killed leaves no entry behind on the list.
 * State: the sleeper list, sorted by deadline. It holds no memory of its
 * own: every entry is a live task's timer, unlinked by its drop.
 */
#include "task.h"
#include "cpu.h"
#include "task_int.h"
#include "base.h"

/* guarded by sleep_lock (taken from the tick too, so interrupts are off
 * while it is held) */
static struct spinlock sleep_lock = SPINLOCK_INIT;
static struct task_timer *sleepers;
static size_t nsleepers;

void
task_timer_arm(struct task_timer *tm, uint64_t deadline)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&sleep_lock);
	if (tm->armed)
		return;
	tm->t = task_current();
	tm->deadline = deadline;
	struct task_timer **pp = &sleepers;
	while (*pp && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	tm->next = *pp;
	*pp = tm;
	tm->armed = true;
	nsleepers++;
}

void
task_timer_cancel(struct task_timer *tm)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&sleep_lock);
	if (!tm->armed)
		return;
	for (struct task_timer **pp = &sleepers; *pp; pp = &(*pp)->next)
		if (*pp == tm) {
			*pp = tm->next;
			break;
		}
	tm->armed = false;
	nsleepers--;
}

size_t
task_timer_count(const struct task *t)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&sleep_lock);
	if (!t)
		return nsleepers;
	size_t n = 0;
	for (struct task_timer *tm = sleepers; tm; tm = tm->next)
		n += tm->t == t;
	return n;
}

/* from the tick: wake every task whose deadline has passed. The wake
 * happens under the lock, so once task_timer_cancel has returned no tick
 * touches the timer's task (which may then exit and be freed). */
void
task_timers_expire(uint64_t now)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&sleep_lock);
	while (sleepers && sleepers->deadline <= now) {
		struct task_timer *tm = sleepers;
		sleepers = tm->next;
		tm->armed = false;
		nsleepers--;
		task_wake(tm->t);
	}
}
