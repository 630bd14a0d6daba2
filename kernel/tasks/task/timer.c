/*
 * timer.c: task timers - the sleeper list the tick walks to wake tasks at
 * their deadlines. A timer is an owned object in its task's frame
 * (waitq_wait_deadline holds it in a _cleanup_ variable), so a task that
 * unwinds or is killed leaves no entry behind on the list.
 * State: the sleeper list, sorted by deadline. It holds no memory of its
 * own: every entry is a live task's timer, unlinked by its drop. It is
 * derived state: each task points at its armed timer (t->timer), and a
 * list found corrupted - a timer in a task's frame is as exposed as the
 * rest of its stack - is rebuilt from the tasks instead of faulting in
 * every tick: a timer that is not one, a link that faults or makes a
 * cycle, or a head due after the timer behind it (a corrupted deadline
 * there would hold every later timer back for ever).
 */
#include "task.h"
#include "cpu.h"
#include "task_int.h"
#include "base.h"
#include "exceptions.h"

/* guarded by sleep_lock (taken from the tick too, so interrupts are off
 * while it is held) */
static struct spinlock sleep_lock = SPINLOCK_INIT;
static struct task_timer *sleepers;
static size_t nsleepers;

static size_t rebuilds;

/* with sleep_lock held: the list again, from every task's armed timer; a
 * task whose timer is not one is woken afterwards (its wait checks again;
 * not here: waking takes a run lock, which ranks before the task list's) */
struct requeue {
	struct task *wake[16];
	size_t n;
};

static void
requeue_timer(struct task *t, void *ctx)
{
	struct requeue *r = ctx;
	struct task_timer *tm = t->timer;
	if (!tm)
		return;
	struct fault_catch c;
	volatile bool ok = false;
	if (fault_catch_arm(&c) == 0) {
		ok = tm->magic == TASK_TIMER_MAGIC && tm->t == t;
		fault_catch_disarm(&c);
	}
	if (!ok) {
		t->timer = NULL;
		if (r->n < ARRAY_SIZE(r->wake))
			r->wake[r->n++] = task_ref(t);
		return;
	}
	tm->armed = true;
	struct task_timer **pp = &sleepers;
	while (*pp && (*pp)->deadline <= tm->deadline)
		pp = &(*pp)->next;
	tm->next = *pp;
	*pp = tm;
	nsleepers++;
}

static void
rebuild_locked(void)
{
	struct requeue r = { .n = 0 };
	sleepers = NULL;
	nsleepers = 0;
	task_for_each(requeue_timer, &r);
	for (size_t i = 0; i < r.n; i++) {
		task_wake(r.wake[i]);
		task_unref(r.wake[i]);
	}
}

static bool
timer_sound(const struct task_timer *n)
{
	return n->magic == TASK_TIMER_MAGIC && n->armed && n->t && n->t->magic == TASK_MAGIC && n->t->timer == n;
}

/* with sleep_lock held: the link to change to insert before the first
 * timer due after `deadline` (stop: NULL, to find `stop` instead), every
 * timer passed on the way checked as the tick checks them; NULL if one
 * is not a timer or following the list faults (then it is rebuilt, as
 * the tick would, rather than faulting in every task that sleeps) */
static struct task_timer **
walk_to(uint64_t deadline, const struct task_timer *stop)
{
	struct fault_catch c;
	struct task_timer **volatile pp = &sleepers;
	volatile bool sound = false;
	volatile size_t steps = 0;
	if (fault_catch_arm(&c) == 0) {
		/* (at most nsleepers steps: a link corrupted into an earlier
		 * timer makes a cycle) */
		while (*pp && *pp != stop && (stop || (*pp)->deadline <= deadline) && timer_sound(*pp) &&
		       steps <= nsleepers) {
			pp = &(*pp)->next;
			steps++;
		}
		sound = steps <= nsleepers && (!*pp || *pp == stop || timer_sound(*pp));
		fault_catch_disarm(&c);
	}
	if (sound)
		return pp;
	rebuild_locked();
	rebuilds++;
	return NULL;
}

void
task_timer_arm(struct task_timer *tm, uint64_t deadline)
{
	_cleanup_(spin_guard_drop) struct spin_guard g = spin_guard_irq(&sleep_lock);
	if (tm->armed)
		return;
	tm->t = task_current();
	tm->deadline = deadline;
	tm->magic = TASK_TIMER_MAGIC;
	tm->t->timer = tm;
	struct task_timer **pp = walk_to(deadline, NULL);
	if (!pp)
		return; /* rebuilt from the tasks: tm among them */
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
	struct task_timer **pp = walk_to(0, tm);
	if (!pp) /* rebuilt: tm is on it again if it was its task's timer */
		pp = walk_to(0, tm);
	if (pp && *pp == tm) {
		*pp = tm->next;
		nsleepers--;
	}
	tm->armed = false;
	tm->magic = 0;
	if (tm->t && tm->t->timer == tm)
		tm->t->timer = NULL;
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
	struct fault_catch c;
	if (fault_catch_arm(&c) == 0) {
		bool sound = true;
		while (sound && sleepers && sleepers->deadline <= now) {
			struct task_timer *tm = sleepers;
			sound = timer_sound(tm) && nsleepers;
			if (!sound)
				break;
			sleepers = tm->next;
			tm->armed = false;
			tm->magic = 0;
			tm->t->timer = NULL;
			nsleepers--;
			task_wake(tm->t);
		}
		/* the first timer not due must not be due after the next: a
		 * deadline corrupted into the far future at the head of the
		 * list would keep every later timer from ever expiring */
		const struct task_timer *h = sleepers;
		if (sound && h && h->next && (!timer_sound(h->next) || h->next->deadline < h->deadline))
			sound = false;
		fault_catch_disarm(&c);
		if (sound)
			return;
	}
	/* a timer that is not one (or a fault following the list): rebuild */
	rebuild_locked();
	rebuilds++;
}

size_t
task_timer_rebuilds(void)
{
	return rebuilds;
}
