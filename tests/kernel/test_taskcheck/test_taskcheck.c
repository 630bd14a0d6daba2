/*
 * test_taskcheck: a task whose own struct was corrupted (issue 14) must
 * still be found by the watchdog and killed, and restarted: a corrupted
 * id word (the watchdog finds tasks by id) and a state word out of range
 * (a kill, or its timer, could not wake it), a kill word nobody wrote.
 * See kernel/tasks/task/check.c.
 */
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "klibc.h"
#include "ktest.h"
#include "recovery.h"
#include "task.h"

struct life {
	volatile int runs;
	volatile bool done;
};

/* b spawned restartable under name; the caller's reference */
static struct task *
spawn_restartable(struct task_builder b, const char *name)
{
	int err;
	b.name = name;
	b.restartable = true;
	return task_spawn(&b, &err);
}

/* the second life finished (up to 3 s) */
static bool
second_life_done(const struct life *l)
{
	for (int i = 0; i < 3000 && !l->done; i++)
		task_sleep_ns(1000000);
	return l->done && l->runs == 2;
}

static uint64_t
hidden_hanger(struct life *l)
{
	task_progress_period(20000000);
	if (++l->runs == 1) {
		task_current()->id = 0x41414141; /* its id word corrupted */
		for (;;)
			__asm__ volatile("pause"); /* and hung */
	}
	task_progress();
	l->done = true;
	return 0;
}

KTEST_FLAGS(hung_task_with_a_corrupted_id_is_killed_and_restarted, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	static struct life l;
	l = (struct life){ 0 };
	uint64_t seq = fault_log_last_seq();
	struct task_builder b = TASK_BUILDER(hidden_hanger, &l);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	{
		_cleanup_(task_unref_p) struct task *t = spawn_restartable(b, "hidden_hanger");
		KT_ASSERT(t);
	}
	KT_ASSERT(second_life_done(&l));
	static struct fault_record r[16];
	size_t n = fault_log_read(r, 16, seq);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		seen |= strstr(r[i].msg, "watchdog: no progress") && strstr(r[i].action, "restarted as hidden_hanger");
	KT_ASSERT(seen);
}

static volatile int woke;

static uint64_t
sleeper(struct life *l)
{
	l->runs++;
	task_sleep_ns(60ULL * 1000000000ULL); /* blocked, on its timer */
	woke++;
	return 0;
}

/* its state word corrupted while it is blocked: neither its timer nor a
 * kill could wake it (both expect TASK_BLOCKED) - a kill now puts the
 * state right and the task unwinds */
KTEST(blocked_task_with_a_corrupted_state_can_be_killed)
{
	static struct life l;
	l = (struct life){ 0 };
	woke = 0;
	struct task_builder b = TASK_BUILDER(sleeper, &l);
	b.name = "sleeper";
	int err;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	for (int i = 0; i < 2000 && (l.runs == 0 || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_BLOCKED); i++)
		task_sleep_ns(1000000);
	KT_EQ(__atomic_load_n(&t->state, __ATOMIC_ACQUIRE), TASK_BLOCKED);
	__atomic_store_n(&t->state, 0x41414141u, __ATOMIC_RELEASE); /* corrupted */
	KT_OK(task_kill(t, "test: corrupted state"));
	for (int i = 0; i < 3000 && __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_KILLED; i++)
		task_sleep_ns(1000000);
	KT_EQ(__atomic_load_n(&t->state, __ATOMIC_ACQUIRE), TASK_KILLED);
	uint64_t v;
	KT_EQ(task_join(t, &v), E_FAULT);
	KT_EQ(woke, 0);
}

/* a word corrupted into kill_pending delivers a kill nobody sent: the
 * task ends there, as at a fault, and is restarted (the campaign's bchan
 * unit was "killed" with no reason and never came back) */
static uint64_t
pending_victim(struct life *l)
{
	if (++l->runs == 1) {
		__atomic_store_n(&task_current()->kill_pending, 0x5eed5eedu, __ATOMIC_RELEASE);
		for (;;)
			task_sleep_ns(1000000); /* a delivery point */
	}
	l->done = true;
	return 0;
}

KTEST_FLAGS(corrupted_kill_word_ends_the_task_like_a_fault_and_it_is_restarted, KTEST_NO_FRAMECHECK)
{
	static struct life l;
	l = (struct life){ 0 };
	{
		_cleanup_(task_unref_p) struct task *t =
			spawn_restartable(TASK_BUILDER(pending_victim, &l), "pending_victim");
		KT_ASSERT(t);
	}
	KT_ASSERT(second_life_done(&l));
}

/* a blocked task whose kill word was corrupted into a valid kill that
 * nobody delivered: it is not woken by the corruption, and the watchdog's
 * kill, finding a kill already "on its way", must still wake it (it used
 * to return without waking: the task hung for ever, promise broken) */
static uint64_t
stuck_pending(struct life *l)
{
	task_progress_period(20000000);
	if (++l->runs == 1)
		for (;;)
			task_sleep_ns(60000000000ULL); /* blocked; a kill wakes it */
	task_progress();
	l->done = true;
	return 0;
}

KTEST_FLAGS(blocked_task_with_a_kill_word_nobody_delivered_is_woken_by_the_watchdog, KTEST_NO_FRAMECHECK)
{
	static struct life l;
	l = (struct life){ 0 };
	_cleanup_(task_unref_p) struct task *t = spawn_restartable(TASK_BUILDER(stuck_pending, &l), "stuck_pending");
	KT_ASSERT(t);
	for (int i = 0; i < 2000 && (l.runs == 0 || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_BLOCKED); i++)
		task_sleep_ns(1000000);
	KT_EQ(__atomic_load_n(&t->state, __ATOMIC_ACQUIRE), TASK_BLOCKED);
	__atomic_store_n(&t->kill_pending, (uint32_t)TASK_KILL_RECOVER, __ATOMIC_RELEASE); /* corrupted */
	KT_ASSERT(second_life_done(&l));
}

/* a blocked task whose rq_cpu was corrupted to a CPU that does not exist:
 * woken (by the watchdog's kill), it counts as ready already and is put in
 * no ready set - it would never run, nor die. The kill that did not take
 * is sent again after its grace, with every ready set rebuilt: the task
 * is adopted, dies and is restarted. */
static uint64_t
lost_sleeper(struct life *l)
{
	task_progress_period(20000000);
	if (++l->runs == 1)
		for (;;)
			task_sleep_ns(60000000000ULL);
	task_progress();
	l->done = true;
	return 0;
}

KTEST_FLAGS(task_lost_from_every_ready_set_is_adopted_when_its_kill_does_not_take, KTEST_NO_FRAMECHECK)
{
	static struct life l;
	l = (struct life){ 0 };
	uint64_t r0 = sched_rebuild_count();
	_cleanup_(task_unref_p) struct task *t = spawn_restartable(TASK_BUILDER(lost_sleeper, &l), "lost_sleeper");
	KT_ASSERT(t);
	for (int i = 0; i < 2000 && (l.runs == 0 || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_BLOCKED); i++)
		task_sleep_ns(1000000);
	KT_EQ(__atomic_load_n(&t->state, __ATOMIC_ACQUIRE), TASK_BLOCKED);
	__atomic_store_n(&t->rq_cpu, 77, __ATOMIC_RELEASE); /* corrupted */
	KT_ASSERT(second_life_done(&l));
	KT_ASSERT(sched_rebuild_count() > r0);
}

/* Erlang's links: a task spawned linked dies when its spawner dies of a
 * fault or a kill (its unwinding releases what it holds); one spawned
 * unlinked lives on */
static volatile int children_up;
static struct task *volatile linked_child, *volatile free_child;

static uint64_t
blocked_child(uint64_t unused)
{
	(void)unused;
	__atomic_add_fetch(&children_up, 1, __ATOMIC_RELEASE);
	for (;;)
		task_sleep_ns(60000000000ULL);
	return 0;
}

static uint64_t
spawning_parent(uint64_t unused)
{
	(void)unused;
	int err;
	struct task_builder a = TASK_BUILDER(blocked_child, (uint64_t)0);
	a.name = "linked_child";
	a.linked = true;
	struct task_builder b = TASK_BUILDER(blocked_child, (uint64_t)1);
	b.name = "free_child";
	linked_child = task_spawn(&a, &err); /* (the test's references) */
	free_child = task_spawn(&b, &err);
	for (;;)
		task_sleep_ns(60000000000ULL);
	return 0;
}

KTEST_FLAGS(linked_child_dies_with_its_killed_spawner_an_unlinked_one_lives_on, KTEST_NO_FRAMECHECK)
{
	children_up = 0;
	linked_child = free_child = NULL;
	int err;
	struct task_builder bp = TASK_BUILDER(spawning_parent, (uint64_t)0);
	bp.name = "spawning_parent";
	_cleanup_(task_unref_p) struct task *p = task_spawn(&bp, &err);
	KT_ASSERT(p);
	for (int i = 0; i < 2000 && __atomic_load_n(&children_up, __ATOMIC_ACQUIRE) < 2; i++)
		task_sleep_ns(1000000);
	KT_EQ(children_up, 2);
	_cleanup_(task_unref_p) struct task *lc = linked_child;
	_cleanup_(task_unref_p) struct task *fc = free_child;
	KT_ASSERT(lc && fc && lc->linked_to == p->id && !fc->linked_to);
	KT_OK(task_kill(p, "test: the spawner dies"));
	KT_EQ(task_join(p, NULL), E_FAULT);
	KT_EQ(task_join(lc, NULL), E_FAULT); /* killed with it */
	KT_ASSERT(strstr(lc->kill_reason, "linked to spawning_parent"));
	task_sleep_ns(20000000);
	KT_EQ(__atomic_load_n(&fc->state, __ATOMIC_ACQUIRE), TASK_BLOCKED); /* lives on */
	KT_OK(task_kill(fc, "test over"));
	KT_EQ(task_join(fc, NULL), E_FAULT);
}

/* a task whose joiners' queue was corrupted faults while it ends (waking
 * them); each such fault used to unwind it into its end again, deeper,
 * until its stack ran out. Now it ends there, without waking them. */
static volatile bool corrupt_my_joiners;

static uint64_t
ender(uint64_t unused)
{
	(void)unused;
	while (!__atomic_load_n(&corrupt_my_joiners, __ATOMIC_ACQUIRE))
		task_sleep_ns(1000000);
	task_current()->joiners.waiters.head = (struct qlink *)0x10; /* corrupted */
	return 7;
}

KTEST_FLAGS(task_that_faults_while_ending_ends_there, KTEST_NO_FRAMECHECK)
{
	corrupt_my_joiners = false;
	int err;
	struct task_builder b = TASK_BUILDER(ender, (uint64_t)0);
	b.name = "ender";
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t seq = fault_log_last_seq();
	__atomic_store_n(&corrupt_my_joiners, true, __ATOMIC_RELEASE);
	uint32_t s = 0;
	for (int i = 0; i < 3000; i++) {
		s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
		if (s == TASK_KILLED)
			break;
		task_sleep_ns(1000000);
	}
	KT_EQ(s, TASK_KILLED); /* it ended (the fault while ending made it a death) */
	static struct fault_record r[8];
	KT_EQ(fault_log_read(r, 8, seq), 1); /* one fault, not one per deeper attempt */
	t->joiners.waiters.head = NULL; /* (so the drop of our reference frees it cleanly) */
}
