/*
 * test_recovery: the recovery cascade, stage by stage, on the recfix and
 * recfix_user fixture cells - a fault that keeps recurring climbs from
 * restart to reload, to reloading the dependents, to the last resort; a
 * write to a cell's rodata and code run from its data reload the cell at
 * once (the data fresh when the data was hit); a corrupted instruction is
 * repaired in place from the cell's pristine copy and retried; a hung task is killed by the watchdog and
 * restarted. Fixture functions are reached through their symbols, looked
 * up at every run, since reloading moves them.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "exceptions.h"
#include "heap.h"
#include "apic.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "memory.h"
#include "page_table.h"
#include "recovery.h"
#include "task.h"
#include "tsc.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

static uint64_t
sym(const char *name)
{
	return cell_sym_addr(K(), name);
}

struct rarg {
	volatile int faults_left;
	volatile int runs;
	volatile bool done;
	volatile uint64_t result;
};

static volatile int last_resorts;
static void fake_last_resort(const char *why) { last_resorts++; }

static void
no_fake(volatile int **p)
{
	recovery_set_last_resort(NULL);
}

static int
load_fixtures(struct cell_error *why)
{
	static const char *const names[] = { "recfix", "recfix_user" };
	return cell_load(K(), names, 2, why);
}

static void unload_fixtures(void);

/* however a test ends, the fixtures leave */
static void
fixtures_drop(bool *loaded)
{
	if (*loaded)
		unload_fixtures();
}
#define WITH_FIXTURES()                                                     \
	struct cell_error why;                                                  \
	KT_OK(load_fixtures(&why));                                             \
	_cleanup_(fixtures_drop) bool fixtures_ = true;                         \
	(void)fixtures_

static void
unload_fixtures(void)
{
	if (!cell_find(K(), "recfix"))
		return;
	for (int i = 0; i < 300 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
	/* (a task that said it is done may still be on its way out: retry) */
	int err = E_OK;
	struct cell_error why;
	for (int i = 0; i < 500; i++) {
		struct cell *set[] = { cell_find(K(), "recfix_user"), cell_find(K(), "recfix") };
		if (!set[0] || !set[1] || !(err = cell_unload(set, 2, &why)))
			return;
		task_sleep_ns(2000000);
	}
	log_err("unloading the fixtures: %s", why.msg);
}


/* the fault log since seq holds a record whose action contains each of
 * the strings, in this order */
static bool
log_has_in_order(uint64_t seq, const char *const *want, size_t n)
{
	static struct fault_record r[64];
	size_t got = fault_log_read(r, 64, seq), k = 0;
	for (size_t i = 0; i < got && k < n; i++)
		if (strstr(r[i].action, want[k]))
			k++;
	return k == n;
}

/* the recovery task writes its record after restarting the task: wait */
static bool
wait_log(uint64_t seq, const char *const *want, size_t n)
{
	for (int i = 0; i < 2000; i++) {
		if (log_has_in_order(seq, want, n))
			return true;
		task_sleep_ns(1000000);
	}
	return false;
}

static bool
wait_for(volatile bool *flag, volatile int *counter, int target)
{
	for (int i = 0; i < 3000; i++) {
		if ((flag && *flag) || (counter && *counter >= target))
			return true;
		task_sleep_ns(1000000);
	}
	return false;
}

/* the first word of recfix's data, which a reload carries or renews */
static volatile uint64_t *
recfix_table(void)
{
	return (volatile uint64_t *)(uintptr_t)sym("recfix_table");
}

/* spawn b's task as a restartable task named name and let it go */
static bool
spawn_restartable(struct task_builder b, const char *name)
{
	int err;
	b.name = name;
	b.restartable = true;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	return t != NULL;
}

/* the same, and wait for it (restarts included) to say it is done */
static bool
run_restartable(struct task_builder b, const char *name, struct rarg *a)
{
	return spawn_restartable(b, name) && wait_for(&a->done, NULL, 0);
}

/* run_restartable for a task whose fault in recfix's memory has recfix
 * reloaded: true once it is done and the log says so, and what became of
 * recfix's data (data_went) */
static bool
run_reloading(struct task_builder b, const char *name, struct rarg *a, const char *data_went)
{
	uint64_t seq = fault_log_last_seq();
	const char *const stages[] = { "stage 3: reload cell recfix queued", data_went };
	return run_restartable(b, name, a) && wait_log(seq, stages, 2);
}

static uint64_t
escalating(struct rarg *a)
{
	a->runs++;
	uint64_t (*call)(volatile int *) = (uint64_t (*)(volatile int *))(uintptr_t)sym("recfix_user_call");
	if (!call)
		return 0;
	a->result = call(&a->faults_left);
	a->done = true;
	return a->result;
}

KTEST_FLAGS(recurring_fault_climbs_restart_reload_dependents_last_resort, KTEST_NO_FRAMECHECK)
{
	WITH_FIXTURES();
	recovery_set_last_resort(fake_last_resort);
	_cleanup_(no_fake) volatile int *unfake = &last_resorts;
	last_resorts = 0;
	static struct rarg a;
	a = (struct rarg){ .faults_left = 4 };
	struct recovery_stats s0, s1;
	recovery_stats(&s0);
	uint64_t seq = fault_log_last_seq();
	KT_ASSERT(spawn_restartable(TASK_BUILDER(escalating, &a), "escalating"));
	KT_ASSERT(wait_for(NULL, &last_resorts, 1));
	KT_EQ(a.runs, 4);
	KT_ASSERT(!a.done);
	static const char *const stages[] = {
		"stage 2: restarted as escalating",
		"stage 3: reload cell recfix queued",
		"stage 3: reloaded recfix (text now at",
		"stage 4: reload cell and dependents recfix queued",
		"stage 4: reloaded recfix and its dependents",
		"stage 5: reboot",
	};
	KT_ASSERT(wait_log(seq, stages, ARRAY_SIZE(stages)));
	/* the recovery task may act on the queued reboot before the dying
	 * task's own record is written: this line comes in either order */
	static const char *const last[] = { "stage 5: last resort: reboot" };
	KT_ASSERT(wait_log(seq, last, 1));
	recovery_stats(&s1);
	KT_EQ(s1.reloads - s0.reloads, 2);     /* recfix; recfix and recfix_user */
	KT_EQ(s1.dependents - s0.dependents, 1);
	KT_EQ(s1.reboots - s0.reboots, 1);
}

KTEST_FLAGS(recovered_after_reload_runs_the_fresh_copy, KTEST_NO_FRAMECHECK)
{
	WITH_FIXTURES();
	static struct rarg a;
	a = (struct rarg){ .faults_left = 2 }; /* restart, reload, then it works */
	uint64_t seq = fault_log_last_seq();
	KT_ASSERT(run_restartable(TASK_BUILDER(escalating, &a), "escalating", &a));
	KT_EQ(a.runs, 3);
	KT_EQ(a.result, 43);
	static const char *const stages[] = { "stage 2: restarted", "stage 3: reloaded recfix" };
	KT_ASSERT(wait_log(seq, stages, 2));
}

static uint64_t
rodata_writer(struct rarg *a)
{
	const uint64_t *(*consts)(void) = (const uint64_t *(*)(void))(uintptr_t)sym("recfix_consts");
	if (++a->runs == 1 && consts) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)consts();
		*p = 1; /* rodata: a write fault whose address is in the cell */
	}
	a->result = consts ? consts()[0] : 0;
	a->done = true;
	return 0;
}

KTEST_FLAGS(write_to_cell_rodata_reloads_it_with_its_data_carried, KTEST_NO_FRAMECHECK)
{
	WITH_FIXTURES();
	*recfix_table() = 77;
	static struct rarg a;
	a = (struct rarg){ 0 };
	struct recovery_stats s0, s1;
	recovery_stats(&s0);
	KT_ASSERT(run_reloading(TASK_BUILDER(rodata_writer, &a), "rodata_writer", &a, "carried data"));
	KT_EQ(a.runs, 2);
	KT_EQ(a.result, 5);
	recovery_stats(&s1);
	KT_EQ(s1.reloads - s0.reloads, 1);
	KT_EQ(*recfix_table(), 77);
}

static uint64_t
data_executor(struct rarg *a)
{
	if (++a->runs == 1) {
		uint64_t (*fn)(void) = (uint64_t (*)(void))(uintptr_t)sym("recfix_table");
		if (fn)
			a->result = fn(); /* NX: an instruction fetch from the cell's data */
	}
	a->done = true;
	return 0;
}

KTEST_FLAGS(code_run_from_cell_data_reloads_it_with_fresh_data, KTEST_NO_FRAMECHECK)
{
	WITH_FIXTURES();
	*recfix_table() = 99;
	static struct rarg a;
	a = (struct rarg){ 0 };
	KT_ASSERT(run_reloading(TASK_BUILDER(data_executor, &a), "data_executor", &a, "fresh data"));
	KT_EQ(a.runs, 2);
	KT_EQ(*recfix_table(), 1); /* initial value again */
}

static uint64_t
worker_of_recfix(struct rarg *a)
{
	uint64_t (*work)(uint64_t) = (uint64_t (*)(uint64_t))(uintptr_t)sym("recfix_work");
	a->runs++;
	a->result = work ? work(10) : 0;
	a->done = true;
	return 0;
}

KTEST_FLAGS(corrupted_instruction_is_repaired_at_once_then_unwound_and_reloaded, KTEST_NO_FRAMECHECK)
{
	WITH_FIXTURES();
	/* overwrite recfix_work's first instruction with an invalid opcode
	 * (FF /7; not ud2, which compilers emit on purpose) (its text made
	 * writable for the moment, as swapping does to rewrite relocations) */
	struct cell *c = cell_find(K(), "recfix");
	uint64_t fn = sym("recfix_work");
	KT_ASSERT(c && fn);
	int err;
	KT_OK(mp_protect(c->mp[REGION_TEXT], MP_WRITE));
	uint8_t *w = mp_as_mut(c->mp[REGION_TEXT], fn - c->start[REGION_TEXT], 2, &err);
	KT_ASSERT(w);
	w[0] = 0xff;
	w[1] = 0xff;
	KT_OK(mp_protect(c->mp[REGION_TEXT], MP_EXEC));
	static struct rarg a;
	a = (struct rarg){ 0 };
	uint64_t seq = fault_log_last_seq();
	KT_ASSERT(run_restartable(TASK_BUILDER(worker_of_recfix, &a), "recfix_worker", &a));
	/* the fault's first look found recfix off its seal and put its text
	 * back at once (other tasks may run it); the instruction is not
	 * retried - what else corrupted ran before it cannot be known - so
	 * the worker unwinds, is restarted and its cell reloaded */
	KT_EQ(a.runs, 2);
	KT_EQ(a.result, 31); /* the repaired code's answer */
	static const char *const stages[] = { "recfix repaired in place", "stage 3: reloaded recfix" };
	KT_ASSERT(wait_log(seq, stages, 2));
	KT_ASSERT(cell_intact(cell_find(K(), "recfix"), NULL));
}

static volatile uint32_t hanger_first; /* the id of its first life */

static uint64_t
hanger(struct rarg *a)
{
	task_progress_period(20000000);
	if (++a->runs == 1)
		for (hanger_first = task_current()->id;;)
			__asm__ volatile("pause"); /* hung: no progress */
	task_progress();
	a->done = true;
	return 7;
}

KTEST(hung_task_is_killed_by_the_watchdog_and_restarted)
{
	static struct rarg a;
	a = (struct rarg){ 0 };
	uint64_t seq = fault_log_last_seq();
	struct task_builder b = TASK_BUILDER(hanger, &a);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	KT_ASSERT(run_restartable(b, "hanger", &a));
	KT_EQ(a.runs, 2);
	static struct fault_record r[16];
	size_t n = fault_log_read(r, 16, seq);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		if (strstr(r[i].msg, "watchdog: no progress") && strstr(r[i].action, "stage 2: restarted as hanger"))
			seen = true;
	KT_ASSERT(seen);
	/* who replaced whom is recovery's record, keyed by task id */
	uint32_t next = recovery_restarted_as(hanger_first);
	KT_ASSERT(next != 0 && next != hanger_first);
	KT_EQ(recovery_restarted_as(next), 0);
	for (int i = 0; i < 50; i++)
		task_sleep_ns(1000000); /* the restarted task is reaped */
}

static uint64_t eleven(uint64_t unused) { return 11; }

/* two different places to spin at with interrupts off (one place twice
 * would climb the cascade to a reload of this test cell) */
static __attribute__((noinline)) void
spin_irqs_off_a(void)
{
	__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("pause" ::: "memory");
}

static __attribute__((noinline)) void
spin_irqs_off_b(void)
{
	__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("nop; pause" ::: "memory");
}

/* the memory is released by the unwinding the analyzer does not model */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static uint64_t
irqs_off_spinner(struct rarg *a)
{
	_cleanup_(kfreep) void *held = kmalloc(512); /* released by the unwinding */
	int run = ++a->runs;
	if (run == 1)
		spin_irqs_off_a();
	if (run == 2) {
		/* the tasks queued on this CPU run first: two lockups back to
		 * back would starve them for 6 s, past a system task's promise
		 * (the shell's, in the live suite) */
		task_sleep_ns(300000000);
		spin_irqs_off_b();
	}
	a->done = true;
	return held ? 9 : 0;
}
#pragma GCC diagnostic pop

/* no tick reaches a task spinning with interrupts off: recovery's lockup
 * detector sees the CPU's timer stop and sends it an NMI, taken as a fault
 * there; the task unwinds (its memory comes back) and is restarted. Twice
 * on the same CPU: the second NMI is only taken if the first one's NMI
 * block was ended (cpu_nmi_unblock), and the CPU runs tasks afterwards. */
KTEST_FLAGS(task_spinning_with_interrupts_off_is_unwound_by_an_nmi_and_restarted, KTEST_NO_FRAMECHECK)
{
	static struct rarg a;
	a = (struct rarg){ 0 };
	uint64_t seq = fault_log_last_seq();
	struct recovery_stats s0, s1;
	recovery_stats(&s0);
	int cpu = (int)((cpu_id() + 1) % cpu_count_online());
	struct task_builder b = TASK_BUILDER(irqs_off_spinner, &a);
	b.pin = cpu;
	KT_ASSERT(spawn_restartable(b, "irqoff"));
	for (int i = 0; i < 300 && !a.done; i++)
		task_sleep_ns(100000000); /* two lockups of 3 s each, at most 30 s */
	KT_ASSERT(a.done);
	KT_EQ(a.runs, 3);
	recovery_stats(&s1);
	KT_ASSERT(s1.lockups >= s0.lockups + 2);
	static struct fault_record r[32];
	size_t n = fault_log_read(r, 32, seq), seen = 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(r[i].msg, "lockup: no timer tick") && strstr(r[i].action, "stage 2: restarted as irqoff"))
			seen++;
	KT_EQ(seen, 2);
	/* the CPU goes on: a task pinned there runs and ends */
	int err;
	struct task_builder e = TASK_BUILDER(eleven, (uint64_t)0);
	e.pin = cpu;
	_cleanup_(task_unref_p) struct task *t = task_spawn(&e, &err);
	KT_ASSERT(t);
	uint64_t v;
	KT_OK(task_join(t, &v));
	KT_EQ(v, 11);
}

static uint64_t
withdrawer(struct rarg *a)
{
	task_progress_period(20000000);
	task_progress_period(0); /* promise withdrawn */
	task_sleep_ns(100000000);
	a->runs++;
	return 5;
}

/* the watchdog's promise lives in recovery's records: a withdrawn one is
 * not watched, and a task that ended leaves no promise behind */
KTEST(withdrawn_promise_is_not_watched)
{
	static struct rarg a;
	a = (struct rarg){ 0 };
	struct recovery_stats s0, s1;
	recovery_stats(&s0);
	int err;
	struct task_builder b = TASK_BUILDER(withdrawer, &a);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	uint64_t v = 0;
	KT_EQ(task_join(t, &v), E_OK);
	KT_EQ(v, 5);
	KT_EQ(a.runs, 1);
	recovery_stats(&s1);
	KT_EQ(s1.watchdog_kills, s0.watchdog_kills);
	KT_ASSERT(recovery_records_in_use() >= 1);
}

/* Issue 14: a spin lock whose word was corrupted to "taken" (no holder)
 * froze every CPU that wanted it with interrupts off, and then every CPU
 * waiting for their TLB shootdowns. Now, after about 2^32 TSC cycles (over
 * a second; other CPUs' TLB shootdowns are served meanwhile), a lock no
 * stalled CPU can be holding is broken, and its spinner takes it and goes
 * on (the fault log says so); a lock a CPU stalled with interrupts off
 * may be holding fails the spinner, which is restarted. */
static struct spinlock *stuck_lock; /* on the heap: a lock in a cell's
					     * data would have that cell reloaded */

static uint64_t
lock_taker(struct rarg *a)
{
	a->runs++;
	bool irq = spin_lock_irq(stuck_lock); /* granted only once broken (or freed) */
	spin_unlock_irq(stuck_lock, irq);
	a->done = true;
	return 0;
}

KTEST_FLAGS(stuck_spin_lock_with_no_holder_is_broken_and_its_spinner_goes_on, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	static struct rarg a;
	a = (struct rarg){ 0 };
	_cleanup_(kfreep) struct spinlock *l = KNEW(struct spinlock);
	KT_ASSERT(l);
	stuck_lock = l;
	l->locked = 1; /* corrupted: taken, by nobody */
	uint64_t seq = fault_log_last_seq();
	uint64_t broken0 = exc_locks_broken();
	uint64_t t0 = tsc_ns();
	struct task_builder b = TASK_BUILDER(lock_taker, &a);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	KT_ASSERT(spawn_restartable(b, "lock_taker"));
	/* while it spins with interrupts off, unmapping here needs its CPU to
	 * flush its TLB: served from the spin loop, well before the bound */
	task_sleep_ns(200000000);
	KT_EQ(a.runs, 1);
	KT_ASSERT(!a.done);
	uint64_t m0 = tsc_ns();
	int err;
	struct mapped_pages *mp = mp_alloc(ZONE_ANY, 1, MP_WRITE, &err);
	KT_ASSERT(mp);
	mp_drop(mp);
	KT_ASSERT(tsc_ns() - m0 < 500000000ULL);
	KT_ASSERT(wait_for(&a.done, NULL, 0));
	uint64_t took = tsc_ns() - t0;
	KT_EQ(a.runs, 1); /* it went on: no restart */
	KT_ASSERT(took >= 500000000ULL); /* not at once: after the bound (in TSC cycles) */
	KT_EQ(exc_locks_broken(), broken0 + 1);
	static struct fault_record r[16];
	size_t got = fault_log_read(r, 16, seq);
	bool named = false;
	for (size_t i = 0; i < got; i++)
		named |= r[i].vector == VEC_LOCK && strstr(r[i].msg, "still taken after 2^32 TSC cycles") &&
			 strstr(r[i].action, "lock broken");
	KT_ASSERT(named);
}

/* the lock's holder is a CPU stalled with interrupts off (inside it):
 * the lock is not broken under it; the spinner fails and is restarted */
static volatile bool holder_in;

static uint64_t
stalled_holder(uint64_t hold_ns)
{
	bool irq = spin_lock_irq(stuck_lock);
	holder_in = true;
	uint64_t t0 = tsc_ns();
	while (tsc_ns() - t0 < hold_ns)
		cpu_relax(); /* interrupts off: this CPU's timer stalls */
	spin_unlock_irq(stuck_lock, irq);
	return 0;
}

static uint64_t
lock_taker_restartable(struct rarg *a)
{
	if (++a->runs == 1) {
		bool irq = spin_lock_irq(stuck_lock); /* held by the stalled CPU */
		spin_unlock_irq(stuck_lock, irq);
		return 1;
	}
	a->done = true;
	return 0;
}

KTEST_FLAGS(stuck_spin_lock_held_by_a_stalled_cpu_fails_its_spinner_which_is_restarted, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 3)
		return;
	/* the holder must outlast the spinner's bound (2^32 TSC cycles) and
	 * its look at the other CPUs' ticks (2^29), and stay under the lockup
	 * detector's 3 s */
	uint64_t bound = tsc_cycles_to_ns((1ULL << 32) + (1ULL << 29));
	if (bound + 200000000ULL > 2900000000ULL)
		return; /* (a TSC this slow leaves no room between the two) */
	static struct rarg a;
	a = (struct rarg){ 0 };
	_cleanup_(kfreep) struct spinlock *l = KNEW(struct spinlock);
	KT_ASSERT(l);
	stuck_lock = l;
	holder_in = false;
	uint64_t seq = fault_log_last_seq();
	uint64_t broken0 = exc_locks_broken();
	int err;
	struct task_builder bh = TASK_BUILDER(stalled_holder, (uint64_t)(bound + 200000000ULL));
	bh.pin = (int)((cpu_id() + 1) % cpu_count_online());
	bh.name = "stalled_holder";
	_cleanup_(task_unref_p) struct task *h = task_spawn(&bh, &err);
	KT_ASSERT(h);
	for (int i = 0; i < 1000 && !holder_in; i++)
		task_sleep_ns(1000000);
	KT_ASSERT(holder_in);
	struct task_builder b = TASK_BUILDER(lock_taker_restartable, &a);
	b.pin = (int)((cpu_id() + 2) % cpu_count_online());
	KT_ASSERT(spawn_restartable(b, "lock_taker"));
	KT_ASSERT(wait_for(&a.done, NULL, 0));
	KT_EQ(a.runs, 2);
	KT_EQ(exc_locks_broken(), broken0);
	static const char *const said[] = { "stage 2: restarted as lock_taker" };
	KT_ASSERT(wait_log(seq, said, 1));
	KT_OK(task_join(h, NULL));
}

/* Issue 14: a fault in an interrupt handler stopped its CPU for good.
 * Now the interrupted task unwinds through the handler (its interrupts
 * in service ended) and is restarted; the CPU goes on. */
#define VEC_TEST_FAULT 0xE7
static volatile bool irq_fault_armed;
static volatile uint64_t *volatile bad_pointer = (volatile uint64_t *)8;

static void
faulting_irq(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
	if (irq_fault_armed) {
		irq_fault_armed = false;
		(void)*bad_pointer; /* a bad pointer in a handler */
	}
}

static uint64_t
interrupted(struct rarg *a)
{
	if (++a->runs == 1) {
		apic_send_ipi(apic_id(), VEC_TEST_FAULT); /* interrupts us at once */
		for (;;)
			__asm__ volatile("pause");
	}
	task_sleep_ns(20000000); /* this CPU's timer still ticks */
	a->done = true;
	return 0;
}

KTEST_FLAGS(fault_in_an_interrupt_handler_unwinds_the_interrupted_task, KTEST_NO_FRAMECHECK)
{
	if (cpu_count_online() < 2)
		return;
	KT_OK(exc_register_irq(VEC_TEST_FAULT, faulting_irq));
	static struct rarg a;
	a = (struct rarg){ 0 };
	irq_fault_armed = true;
	uint64_t seq = fault_log_last_seq();
	struct task_builder b = TASK_BUILDER(interrupted, &a);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	bool ok = run_restartable(b, "interrupted", &a);
	KT_OK(exc_unregister_irq(VEC_TEST_FAULT, faulting_irq));
	KT_ASSERT(ok);
	KT_EQ(a.runs, 2);
	static const char *const said[] = { "stage 2: restarted as interrupted" };
	KT_ASSERT(wait_log(seq, said, 1));
}

/* Issue 14: restart intensity. A task that keeps dying at different
 * places never climbed (only a recurrence at one place did): it was
 * restarted for ever. Now more than 8 deaths within 10 s climb - its
 * entry cell is reloaded. */
static volatile int wander_left;

static uint64_t
wanderer(struct rarg *a)
{
	a->runs++;
	uint64_t (*wander)(volatile int *) = (uint64_t (*)(volatile int *))(uintptr_t)sym("recfix_wander");
	a->result = wander ? wander(&wander_left) : 0;
	a->done = a->result == 7;
	return a->result;
}

KTEST_FLAGS(task_dying_again_and_again_climbs_the_cascade, KTEST_NO_FRAMECHECK)
{
	WITH_FIXTURES();
	static struct rarg a;
	a = (struct rarg){ 0 };
	wander_left = 9; /* the 9th death climbs; the 10th life succeeds */
	uint64_t seq = fault_log_last_seq();
	struct task_builder b = TASK_BUILDER(wanderer, &a);
	b.cell = cell_find(K(), "recfix"); /* the cell it runs in */
	KT_ASSERT(run_restartable(b, "wanderer", &a));
	KT_EQ(a.runs, 10);
	static const char *const said[] = { "stage 2: restarted as wanderer", "stage 3: reloaded recfix" };
	KT_ASSERT(wait_log(seq, said, 2));
}
