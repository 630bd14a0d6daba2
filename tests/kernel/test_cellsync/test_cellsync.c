/*
 * test_cellsync: the cell manager's concurrency (docs/cells.md,
 * "Concurrency") - loads and unloads racing lock-free readers and faults,
 * two swaps at once, and a swap whose pause cannot be had.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "fmt.h"
#include "base.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "memory.h"
#include "task.h"
#include "tsc.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

/* --- loads and unloads while readers look cells up --- */

#define LOADERS 2
#define READERS 2

struct race {
	volatile bool stop;
	volatile uint64_t text[LOADERS];   /* a text address of each loader's current cell (0: none) */
	volatile uint64_t unloads[LOADERS];
	volatile uint64_t loads, lookups, hits, bad, faults;
	volatile int load_errors;
	char why[LOADERS][128];
};

static uint64_t
loader(uint64_t arg)
{
	struct race *r = (struct race *)(uintptr_t)(arg & ~0xfULL);
	unsigned me = arg & 0xf;
	char name[16] = "ldx";
	name[2] = (char)('0' + me);
	static const char *const set[] = { "cellfix_a", "cellfix_b" };
	while (!r->stop) {
		struct cell_error why;
		struct cell_ns *ns = cell_ns_create(name, K(), false);
		if (!ns)
			continue;
		if (cell_load(ns, set, 2, &why)) {
			strlcpy(r->why[me], why.msg, sizeof(r->why[me]));
			r->load_errors++;
		} else {
			struct cell *c = cell_find(ns, "cellfix_a");
			r->text[me] = c ? c->start[REGION_TEXT] + 8 : 0;
			r->loads++;
			task_yield();
		}
		/* unloaded while readers may still be looking at it */
		if (cell_ns_destroy(ns, &why)) {
			strlcpy(r->why[me], why.msg, sizeof(r->why[me]));
			r->load_errors++;
		}
		r->text[me] = 0;
		r->unloads[me]++;
	}
	return 0;
}

/* look the loaders' cells up, holding what is found for a while: an
 * unload must wait for us before freeing (freed cells are poisoned) */
static uint64_t
reader(struct race *r)
{
	while (!r->stop) {
		for (unsigned l = 0; l < LOADERS; l++) {
			uint64_t a = r->text[l], u0 = r->unloads[l];
			if (!a)
				continue;
			cell_read_begin();
			struct cell *c = cell_at(a);
			uint64_t gen = c ? c->gen : 0;
			uint64_t off = 0;
			const char *cn = NULL;
			const char *fn = cell_symbolize(a, &off, &cn);
			/* hold it until its loader has unloaded it (which must wait for
			 * us, so this ends at the 20 ms bound) */
			uint64_t t0 = tsc_ns();
			while (r->unloads[l] == u0 && tsc_ns() - t0 < 20000000)
				cpu_relax();
			if (c) {
				r->hits++;
				/* freed: poisoned, or reused by a later load */
				if (c->magic != CELL_MAGIC || c->gen != gen || strcmp(c->name, "cellfix_a"))
					r->bad++;
			}
			if (fn && (!cn || strcmp(cn, "cellfix_a") || !*fn))
				r->bad++;
			cell_read_end();
			r->lookups++;
		}
		if (r->lookups % 16 == 0)
			task_yield();
	}
	return 0;
}

static uint64_t
fault_once(volatile uint64_t *p)
{
	return *p; /* NULL: faults, is unwound */
}

static void
stop_race(struct race **r)
{
	if (*r)
		(*r)->stop = true;
}

KTEST_FLAGS(cellsync_loads_unloads_race_readers_and_faults, KTEST_NO_MEMCHECK)
{
	static struct race r;
	memset((void *)&r, 0, sizeof(r));
	struct cell_sync_stats s0, s1;
	cell_sync_stats(&s0);
	int err;
	unsigned ncpu = cpu_count_online();
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	_cleanup_(stop_race) struct race *stopper = &r; /* runs first: then g joins */
	for (unsigned i = 0; i < LOADERS; i++) {
		struct task_builder b = TASK_BUILDER(loader, (uint64_t)(uintptr_t)&r | i);
		b.pin = (int)((cpu_id() + 1 + i) % ncpu);
		KT_OK(task_group_spawn(&g, &b));
	}
	for (unsigned i = 0; i < READERS; i++) {
		struct task_builder b = TASK_BUILDER(reader, &r);
		b.pin = (int)((cpu_id() + 2 + i) % ncpu);
		KT_OK(task_group_spawn(&g, &b));
	}
	/* meanwhile: tasks that fault and are unwound (the exception handler
	 * and the unwinder look every frame up) */
	uint64_t t0 = tsc_ns();
	while (tsc_ns() - t0 < 8000000000ULL && (r.faults < 6 || r.loads < 8 || r.hits < 1)) {
		struct task_builder b = TASK_BUILDER(fault_once, (volatile uint64_t *)NULL);
		_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
		if (t && task_join(t, NULL) == E_FAULT)
			r.faults++;
		task_sleep_ns(100000000);
	}
	r.stop = true;
	KT_OK(task_group_join(&g, NULL));
	cell_sync_stats(&s1);
	log_info("%lu loads, %lu lookups (%lu hits), %lu faults, %lu grace periods (%lu spins), %lu leaked",
		 r.loads, r.lookups, r.hits, r.faults, s1.grace_periods - s0.grace_periods,
		 s1.grace_spins - s0.grace_spins, s1.leaked - s0.leaked);
	KT_EQ(r.load_errors, 0);
	KT_ASSERT(r.loads >= 2 && r.hits >= 1 && r.faults >= 2);
	KT_EQ(r.bad, 0);                 /* no reader saw a freed (poisoned) cell */
	KT_ASSERT(s1.grace_periods > s0.grace_periods);
	KT_EQ(s1.leaked, s0.leaked);
	KT_ASSERT(!cell_find(K(), "cellfix_a"));
}

/* --- two swaps at once --- */

struct swapper {
	const char *from, *to;
	volatile bool *go;
	int err;
	char why[160];
	uint64_t t_start, t_end;
};

static uint64_t
do_swap(struct swapper *s)
{
	while (!*s->go)
		cpu_relax();
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 1 };
	rq.old[0] = s->from;
	rq.new_names[0] = s->to;
	struct cell_error why = { 0 };
	s->t_start = tsc_ns();
	s->err = cell_swap(&rq, NULL, &why);
	s->t_end = tsc_ns();
	strlcpy(s->why, why.msg, sizeof(s->why));
	return 0;
}

static void
unload_fixtures(int *unused)
{
	(void)unused;
	struct cell_error why;
	for (int i = 0; i < 200 && cell_retired(); i++) {
		cell_reclaim();
		task_sleep_ns(1000000);
	}
	struct cell *set[2] = { cell_find(K(), "swapfix_user"), cell_find(K(), "swapfix_v1") };
	if (!set[1])
		set[1] = cell_find(K(), "swapfix_v2");
	if (set[0] && set[1] && cell_unload(set, 2, &why))
		log_warn("left loaded: %s", why.msg);
}

/* swapfix_v1 and its user loaded (unload_fixtures takes them away);
 * returns the user's entry, NULL if the load failed */
static long (*load_fixtures(struct cell_error *why))(void)
{
	static const char *const start[] = { "swapfix_v1", "swapfix_user" };
	if (cell_load(K(), start, 2, why))
		return NULL;
	return (long (*)(void))(uintptr_t)cell_sym_addr(K(), "swapfix_user_call");
}

KTEST_FLAGS(cellsync_two_swaps_at_once_are_serialized, KTEST_NO_MEMCHECK)
{
	struct cell_error why;
	long (*call)(void) = load_fixtures(&why);
	_cleanup_(unload_fixtures) int fixtures = 0;
	KT_ASSERT(call);
	struct cell_stats cs0, cs1;
	cell_stats(K(), &cs0);
	/* both ask to replace v1 by v2 at the same moment: one does, the other
	 * then finds no v1 (unserialized, both would rewrite swapfix_user) */
	for (int round = 0; round < 3; round++) {
		const char *from = round % 2 ? "swapfix_v2" : "swapfix_v1";
		const char *to = round % 2 ? "swapfix_v1" : "swapfix_v2";
		static volatile bool go;
		go = false;
		static struct swapper s[2];
		_cleanup_(task_group_drop) struct task_group g = { 0 };
		for (int i = 0; i < 2; i++) {
			s[i] = (struct swapper){ .from = from, .to = to, .go = &go };
			struct task_builder b = TASK_BUILDER(do_swap, &s[i]);
			b.pin = (int)((cpu_id() + 1 + (unsigned)i) % cpu_count_online());
			KT_OK(task_group_spawn(&g, &b));
		}
		go = true;
		KT_OK(task_group_join(&g, NULL));
		int ok = (s[0].err == E_OK) + (s[1].err == E_OK);
		log_info("round %d: %s / %s", round, s[0].err ? s[0].why : "ok", s[1].err ? s[1].why : "ok");
		KT_EQ(ok, 1);
		struct swapper *loser = s[0].err ? &s[0] : &s[1];
		KT_EQ(loser->err, E_NOENT);
		KT_ASSERT(strstr(loser->why, "no cell"));
		KT_ASSERT(cell_find(K(), to) && !cell_find(K(), from));
		long v = call();
		KT_EQ(v / 1000000000L, round % 2 ? 1 : 2);
	}
	cell_stats(K(), &cs1);
	KT_EQ(cs1.cells, cs0.cells);
	KT_EQ(cs1.symbols, cs0.symbols);
}

/* --- a swap whose pause cannot be had --- */


struct spinner {
	volatile bool started, done, release, saw_refusal;
	volatile int cpu;
	uint64_t ms;                /* at most (in case the test fails first) */
};

static void
release_spinner(struct spinner **s)
{
	if (*s)
		(*s)->release = true;
}

static uint64_t
spin_irqs_off(struct spinner *s)
{
	struct cell_sync_stats st;
	cell_sync_stats(&st);
	uint64_t refused = st.pauses_refused;
	/* a CPU inside a scheduler-style critical section does not park (with
	 * interrupts off as well, the swap's own loading would wait for this
	 * CPU's TLB shootdowns: the same refusal, seen earlier) */
	preempt_disable();
	s->cpu = (int)cpu_id();
	s->started = true;
	uint64_t t0 = tsc_ns();
	/* until the swap gave up on the pause (then its cleanup may need
	 * this CPU for a TLB shootdown) */
	while (!s->release && tsc_ns() - t0 < s->ms * 1000000ULL) {
		cell_sync_stats(&st);
		if (st.pauses_refused != refused) {
			s->saw_refusal = true;
			break;
		}
		cpu_relax();
	}
	preempt_enable();
	s->done = true;
	return 0;
}

KTEST_FLAGS(cellsync_swap_without_pause_changes_nothing, KTEST_NO_MEMCHECK)
{
	if (cpu_count_online() < 2)
		return;
	struct cell_error why;
	long (*call)(void) = load_fixtures(&why);
	_cleanup_(unload_fixtures) int fixtures = 0;
	KT_ASSERT(call);
	long v0 = call();
	struct cell_stats cs0, cs1;
	cell_stats(K(), &cs0);
	struct mm_usage m0, m1;
	uint64_t v1_at = cell_sym_addr(K(), "swapfix_version");
	struct cell *v1 = cell_find(K(), "swapfix_v1");
	KT_ASSERT(v1);
	uint64_t v1_text = v1->start[REGION_TEXT];

	uint32_t old_bound = cell_swap_set_pause_bound(100);
	static struct spinner sp;
	memset((void *)&sp, 0, sizeof(sp));
	sp.ms = 8000;
	int err;
	struct task_builder b = TASK_BUILDER(spin_irqs_off, &sp);
	b.pin = (int)((cpu_id() + 1) % cpu_count_online());
	_cleanup_(task_unref_p) struct task *t = task_spawn(&b, &err);
	KT_ASSERT(t);
	_cleanup_(release_spinner) struct spinner *releaser = &sp;
	while (!sp.started)
		task_yield();
	mm_usage(&m0); /* the spinner's stack counted in both */
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 1 };
	rq.old[0] = "swapfix_v1";
	rq.new_names[0] = "swapfix_v2";
	uint64_t s0 = tsc_ns();
	err = cell_swap(&rq, NULL, &why);
	uint64_t took = tsc_ns() - s0;
	sp.release = true;
	cell_swap_set_pause_bound(old_bound);
	KT_OK(task_join(t, NULL));
	log_info("swap while CPU %d spins with preemption off: %s (%lu ms)", sp.cpu, err ? why.msg : "ok",
		 took / 1000000);
	KT_EQ(err, E_TIMEDOUT);
	KT_ASSERT(sp.saw_refusal); /* it gave up while the CPU would not park */
	char want[80];
	snprintf(want, sizeof(want), "CPU %d did not park within 100 ms; nothing changed", sp.cpu);
	KT_ASSERT(strstr(why.msg, want));
	/* nothing changed: cells, symbols, code, mappings */
	cell_stats(K(), &cs1);
	KT_EQ(cs1.cells, cs0.cells);
	KT_EQ(cs1.symbols, cs0.symbols);
	KT_EQ(cs1.deps, cs0.deps);
	KT_ASSERT(cell_find(K(), "swapfix_v1") == v1 && !cell_find(K(), "swapfix_v2"));
	KT_EQ(v1->start[REGION_TEXT], v1_text);
	KT_EQ(cell_sym_addr(K(), "swapfix_version"), v1_at);
	KT_EQ(call() / 1000000000L, v0 / 1000000000L);
	mm_usage(&m1);
	KT_EQ(m1.frames, m0.frames);
	KT_EQ(m1.pages, m0.pages);
	/* and the pause works again once every CPU can park */
	KT_OK(cell_swap(&rq, NULL, &why));
	KT_EQ(call() / 1000000000L, 2);
}
