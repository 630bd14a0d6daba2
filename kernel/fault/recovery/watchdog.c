/*
 * watchdog.c: tasks that promised progress (task_progress_period) and
 * broke the promise are killed by unwinding; the cascade then treats the
 * hang like a fault (restart, reload, ...). The promises are kept in
 * recovery's per-task records (records.c), not in the tasks.
 */
#define LOG_TAG "recovery"
#include "recovery_int.h"
#include "base.h"
#include "fmt.h"
#include "logger.h"
#include "apic.h"
#include "cpu.h"
#include "task.h"
#include "tsc.h"

static uint64_t period = 10000000; /* 10 ms */

uint64_t recovery_watchdog_period(void) { return period; }

void
recovery_set_watchdog_period(uint64_t ns)
{
	if (ns >= 1000000)
		period = ns;
}

/*
 * The lockup detector. A task spinning with interrupts off cannot be
 * killed by unwinding at a tick: none comes. Every CPU's timer ticks 100
 * times a second (pc->ticks); a CPU whose count has not moved for
 * LOCKUP_NS, while it is online and not parked by a swap, is sent an NMI,
 * which reaches it with interrupts off. The NMI is taken as a fault at the
 * instruction it interrupted (on_fault names it), and the task there is
 * unwound and restarted like any other. One NMI per stall: the next waits
 * until the CPU's ticks move again. Under TCG a virtual CPU's thread can
 * lose the host CPU for a while, hence a bound in seconds.
 */
#define LOCKUP_NS 3000000000ull

static uint64_t seen_ticks[MAX_CPUS], seen_at[MAX_CPUS];
static bool lockup_sent[MAX_CPUS];
static uint64_t lockup_stalled_ns[MAX_CPUS];
static struct spinlock lockup_lock = SPINLOCK_INIT;

static void
lockup_scan(void)
{
	if (!spin_trylock_raw(&lockup_lock))
		return; /* the other scanner is at it */
	/* read under the lock: a time read before it could be older than
	 * what the other scanner stored meanwhile */
	uint64_t now = tsc_ns();
	unsigned me = cpu_id();
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct percpu *pc = percpu_of(c);
		uint64_t ticks = __atomic_load_n(&pc->ticks, __ATOMIC_RELAXED);
		bool parked = __atomic_load_n(&pc->stop_frame, __ATOMIC_RELAXED) != NULL;
		if (c == me || !__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE) || parked || ticks != seen_ticks[c] ||
		    !seen_at[c]) {
			seen_ticks[c] = ticks;
			seen_at[c] = now;
			__atomic_store_n(&lockup_sent[c], false, __ATOMIC_RELEASE);
			continue;
		}
		if (now <= seen_at[c] || now - seen_at[c] <= LOCKUP_NS ||
		    __atomic_load_n(&lockup_sent[c], __ATOMIC_ACQUIRE))
			continue;
		lockup_stalled_ns[c] = now - seen_at[c];
		__atomic_store_n(&lockup_sent[c], true, __ATOMIC_RELEASE);
		__atomic_store_n(&pc->lockup_nmi, true, __ATOMIC_RELEASE);
		__atomic_add_fetch(&recovery_counters.lockups, 1, __ATOMIC_RELAXED);
		log_warn("CPU %u: no timer tick for %lu ms (interrupts off): NMI", c,
			 lockup_stalled_ns[c] / 1000000);
		apic_send_nmi(pc->apic_id);
	}
	spin_unlock_raw(&lockup_lock);
}

bool
recovery_lockup_nmi(unsigned cpu, char *msg, size_t n)
{
	struct percpu *pc = percpu_of(cpu);
	if (!pc || !__atomic_exchange_n(&pc->lockup_nmi, false, __ATOMIC_ACQ_REL))
		return false;
	snprintf(msg, n, "lockup: no timer tick for %lu ms (interrupts off); NMI",
		 lockup_stalled_ns[cpu] / 1000000);
	return true;
}

/* the watchdog task: scans every period, and promises progress itself;
 * the recovery task scans too, so each of the two watches the other */
static uint64_t
watchdog_task(uint64_t unused)
{
	(void)unused;
	for (;;) {
		task_progress_period(TASK_SYSTEM_PROMISE_NS);
		task_sleep_ns(period);
		recovery_watchdog_scan();
	}
	return 0;
}

int
recovery_watchdog_start(void)
{
	struct task_builder b = TASK_BUILDER(watchdog_task, (uint64_t)0);
	b.name = "watchdog";
	b.restartable = true;
	b.system = true;
	return task_spawn_detached(&b);
}

void
recovery_watchdog_scan(void)
{
	struct recovery_overdue late[16];
	uint64_t now = tsc_ns();
	lockup_scan();
	size_t n = recovery_records_overdue(late, ARRAY_SIZE(late), now);
	if (n)
		recovery_repair_all(0); /* a hang may be corrupted code that faults nowhere */
	for (size_t i = 0; i < n; i++) {
		/* a kill that did not end its task: the task may be ready in a
		 * set no CPU looks at (its rq_cpu corrupted, or its CPU stopped),
		 * where it would never run to die - the ready sets are rebuilt */
		if (late[i].kills == 1)
			sched_rebuild_all();
		/* by id, or else by the pointer it promised from: a task whose
		 * id word was corrupted is found (and its id put right) */
		struct task *t = task_find_id(late[i].id);
		if (!t)
			t = task_find_ptr(late[i].task, late[i].id);
		if (!t) {
			if (late[i].kills) /* (a first miss: it ended meanwhile) */
				log_warn("watchdog: task #%u still has not ended after %u kill(s), and cannot be found any more",
					 late[i].id, late[i].kills);
			continue;
		}
		char why[96];
		if (late[i].kills) /* (the last kill did not end it) */
			snprintf(why, sizeof(why), "watchdog: no progress for %lu ms (promised every %lu ms); kill %u",
				 late[i].late_ns / 1000000, late[i].period_ns / 1000000, late[i].kills + 1);
		else
			snprintf(why, sizeof(why), "watchdog: no progress for %lu ms (promised every %lu ms)",
				 late[i].late_ns / 1000000, late[i].period_ns / 1000000);
		/* counted first: the kill may be over before task_kill_as returns */
		__atomic_add_fetch(&recovery_counters.watchdog_kills, 1, __ATOMIC_RELAXED);
		int e = task_kill_as(t, why, TASK_KILL_RECOVER);
		if (e)
			__atomic_sub_fetch(&recovery_counters.watchdog_kills, 1, __ATOMIC_RELAXED);
		else
			log_warn("task %s (#%u): %s", t->name, t->id, why);
		task_unref(t);
	}
}
