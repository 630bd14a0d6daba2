/*
 * cascade.c: deciding the stage after a task was unwound (in the dying
 * task's context), restarting at once for stage 2, and queueing reloads
 * and the last resort for the recovery task (reload.c), which may wait
 * for a moment no task runs in the suspect cell.
 */
#define LOG_TAG "recovery"
#include "recovery.h"
#include "recovery_int.h"
#include "cell_mgr.h"
#include "base.h"
#include "cpu.h"
#include "exceptions.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

#define VEC_UD 6
#define VEC_PF 14

struct recovery_stats recovery_counters;

const char *
recovery_stage_str(unsigned stage)
{
	static const char *const names[] = { "?", "unwound", "restart", "reload cell",
					     "reload cell and dependents", "reboot" };
	return stage <= STAGE_REBOOT ? names[stage] : "?";
}

void
recovery_stats(struct recovery_stats *out)
{
	*out = recovery_counters;
}

static void
vlog_wake(struct task *wake, const char *task, uint32_t task_id, uint64_t rip, const char *fmt, va_list ap)
{
	struct fault_record rec = { .task_id = task_id, .rip = rip, .vector = VEC_RECOVERY };
	strlcpy(rec.task, task, sizeof(rec.task));
	uint64_t off;
	const char *cell = "?";
	const char *sym = exc_symbolize(rip, &off, &cell);
	strlcpy(rec.cell, cell, sizeof(rec.cell));
	strlcpy(rec.section, sym ? sym : "?", sizeof(rec.section));
	strlcpy(rec.msg, "recovery", sizeof(rec.msg));
	vsnprintf(rec.action, sizeof(rec.action), fmt, ap);
	rec.cpu = cpu_id();
	fault_log_add(&rec);
	if (wake) {
		/* in the fault log: it may run (and fault) now; the console
		 * line is slow (milliseconds under emulation) and comes after */
		task_wake(wake);
		task_unref(wake);
	}
	log_info("%s (#%u): %s", task, task_id, rec.action);
}

void
recovery_log(const char *task, uint32_t task_id, uint64_t rip, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_wake(NULL, task, task_id, rip, fmt, ap);
	va_end(ap);
}

void
recovery_log_wake(struct task *wake, const char *task, uint32_t task_id, uint64_t rip, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_wake(wake, task, task_id, rip, fmt, ap);
	va_end(ap);
}

/* the non-nano_core cell whose text, rodata or data holds addr */
static struct cell *
cell_memory_at(uint64_t addr)
{
	struct cell *c = cell_at(addr);
	if (!c || c->nano_core)
		return NULL;
	for (int r = 0; r < REGION_COUNT; r++)
		if (c->size[r] && addr >= c->start[r] && addr - c->start[r] < c->size[r])
			return c;
	return NULL;
}

/* with defer, the caller wakes the task and drops the reference; GCC
 * 12's analyzer does not follow a reference stored through a parameter
 * and reports a leak that is not one */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
uint32_t
recovery_restart(uint32_t from, const struct task_builder *b, const struct recovery_history *h,
		 struct task **defer, char *note, size_t n)
{
	int err;
	struct task_builder blocked = *b;
	blocked.blocked = true; /* it may not fault before its history is recorded */
	struct task *t = task_spawn(&blocked, &err);
	if (!t) {
		snprintf(note, n, "restart failed: %s", err_str(err));
		return 0;
	}
	recovery_record_restart(from, t->id, h);
	__atomic_add_fetch(&recovery_counters.restarts, 1, __ATOMIC_RELAXED);
	snprintf(note, n, "restarted as %s (#%u)", t->name, t->id);
	uint32_t id = t->id;
	if (defer) {
		*defer = t;
		return id;
	}
	task_wake(t);
	task_unref(t);
	return id;
}
#pragma GCC diagnostic pop

/* ud2 is what compilers emit on purpose (__builtin_trap); any other
 * invalid opcode in a cell's text means the code is not what was loaded */
static bool
corrupt_code_at(const struct fault_info *fi, struct cell *code)
{
	if (fi->vector != VEC_UD || !code || code->nano_core)
		return false;
	uint64_t lo = code->start[REGION_TEXT], hi = lo + code->size[REGION_TEXT];
	if (fi->rip < lo || fi->rip + 2 > hi)
		return false; /* not in its text (nothing to compare) */
	const uint8_t *p = (const uint8_t *)(uintptr_t)fi->rip;
	return !(p[0] == 0x0f && p[1] == 0x0b);
}

/* where a fault happened, independent of where the cell is loaded (a
 * reloaded cell's code moves): its cell, section and offset */
static uint64_t
place_of(uint64_t rip)
{
	struct section *s = cell_section_at(rip);
	if (!s)
		return rip;
	return fnv1a(s->cell->name, strlen(s->cell->name)) * 31 + fnv1a(s->name, strlen(s->name)) + (rip - s->addr);
}

/* restart intensity: more than BURST_MAX deaths of one task (and its
 * restarts) within BURST_NS escalate */
#define BURST_NS (10 * 1000000000ULL)
#define BURST_MAX 8

static void
on_unwound(const struct recovery_event *ev, char *action, size_t n)
{
	struct task *t = ev->task;
	const struct fault_info *fi = ev->fi;
	__atomic_add_fetch(&recovery_counters.events, 1, __ATOMIC_RELAXED);
	/* its record first (in its own context, before it ends), so the
	 * replacement - now or after a reload - can be named */
	recovery_record_task(t->id);
	struct recovery_history h = recovery_history_of(t->id);
	/* the cells' metadata is read in one read section (a load, swap or
	 * reload elsewhere may be changing it); what is kept is copied out */
	char code_name[CELL_NAME_MAX] = "?", suspect_name[CELL_NAME_MAX] = "";
	struct cell_ns *suspect_ns = NULL;
	bool suspect_nano = false, fresh_data = false, have_mem, bad_code, have_suspect;
	char entry_name[CELL_NAME_MAX] = "";
	struct cell_ns *entry_ns = NULL;
	bool entry_nano = true;
	char repaired[64] = "";
	cell_read_begin();
	uint64_t place = place_of(fi->rip);
	/* a bad access, or a lock that stayed taken, in a cell's memory */
	struct cell *mem = fi->vector == VEC_PF || fi->vector == VEC_LOCK ? cell_memory_at(fi->cr2) : NULL;
	struct cell *code = cell_at(fi->rip);
	if (code)
		strlcpy(code_name, code->name, sizeof(code_name));
	/* code or constants that are not what was linked: put them back at
	 * once (the next task to run may need them - the scheduler policy,
	 * say), then reload for a fresh copy */
	bool sealed_bad = code && !cell_intact(code, NULL);
	if (fi->repaired) {
		snprintf(repaired, sizeof(repaired), "; %s repaired in place", code_name);
	} else if (sealed_bad) {
		uint64_t first_diff;
		int e = cell_repair_now(code, &first_diff);
		snprintf(repaired, sizeof(repaired), e ? "; repair of %s failed: %s" : "; %s repaired in place",
			 code_name, err_str(e));
		__atomic_add_fetch(&recovery_counters.repairs, 1, __ATOMIC_RELAXED);
	}
	bad_code = corrupt_code_at(fi, code) || sealed_bad || fi->repaired;
	/* a new cell on probation (history.c): the evolution is rolled back */
	uint32_t rollback = code ? cell_probation_of(code) : 0;
	if (!rollback && mem)
		rollback = cell_probation_of(mem);
	struct cell *suspect = mem ? mem : code;
	have_mem = mem != NULL;
	have_suspect = suspect != NULL;
	if (suspect) {
		strlcpy(suspect_name, suspect->name, sizeof(suspect_name));
		suspect_ns = suspect->ns;
		suspect_nano = suspect->nano_core;
		fresh_data = mem && mem->size[REGION_DATA] && fi->cr2 >= mem->start[REGION_DATA] &&
			     fi->cr2 - mem->start[REGION_DATA] < mem->size[REGION_DATA];
	}
	if (t->entry_cell) {
		strlcpy(entry_name, t->entry_cell->name, sizeof(entry_name));
		entry_ns = t->entry_cell->ns;
		entry_nano = t->entry_cell->nano_core;
	}
	cell_read_end();
	h.same_place = h.restarts && h.last_place == place ? h.same_place + 1 : 1;
	h.last_place = place;
	h.restarts++;
	uint64_t now = tsc_ns();
	if (!h.burst_start || now - h.burst_start > BURST_NS) {
		h.burst_start = now;
		h.burst = 0;
	}
	h.burst++;
	unsigned stage = ((have_mem || bad_code) ? STAGE_RELOAD : STAGE_RESTART) + h.same_place - 1;
	/* restart intensity, as Erlang's supervisors bound it: a task that
	 * keeps dying, wherever it faults, climbs - its entry cell reloaded,
	 * then with its dependents, then the last resort */
	if (h.burst > BURST_MAX) {
		unsigned by = STAGE_RELOAD + (h.burst - BURST_MAX - 1) / 4;
		if (by > stage) {
			stage = by;
			if (!have_suspect && !entry_nano && entry_name[0]) {
				strlcpy(suspect_name, entry_name, sizeof(suspect_name));
				suspect_ns = entry_ns;
				suspect_nano = false;
				have_suspect = true;
			}
		}
	}
	if (stage > STAGE_REBOOT)
		stage = STAGE_REBOOT;
	const char *why = "";
	if (stage >= STAGE_RELOAD && stage < STAGE_REBOOT && (!have_suspect || suspect_nano)) {
		why = " (the suspect is in the nano_core: restart instead)";
		stage = STAGE_RESTART;
	}
	if (rollback && stage < STAGE_RELOAD)
		stage = STAGE_RELOAD;
	if (stage >= STAGE_RELOAD && recovery_is_queue_task(t)) {
		why = " (the recovery task itself: the queue needs it, restart instead; its cells were checked against their seals)";
		stage = STAGE_RESTART;
	}
	h.stage = stage;
	struct task_builder b = t->builder;
	b.name = t->name;
	if (stage == STAGE_RESTART || (stage == STAGE_UNWOUND)) {
		if (!ev->restartable)
			return; /* stage 1: unwound, and that is all */
		char note[80];
		/* woken by the task cell once this death is logged */
		recovery_restart(t->id, &b, &h, ev->wake, note, sizeof(note));
		snprintf(action, n, "stage 2: %s%s", note, why);
		return;
	}
	struct recovery_job *j = KNEW(struct recovery_job);
	if (!j) {
		snprintf(action, n, "stage %u: out of memory to queue it", stage);
		return;
	}
	j->stage = stage;
	j->restartable = ev->restartable;
	j->builder = b;
	j->history = h;
	strlcpy(j->task, t->name, sizeof(j->task));
	j->builder.name = j->task;
	j->task_id = t->id;
	j->rip = fi->rip;
	if (have_suspect) {
		strlcpy(j->cell, suspect_name, sizeof(j->cell));
		j->ns = suspect_ns;
		j->fresh_data = fresh_data;
	}
	j->rollback = rollback;
	if (rollback)
		snprintf(action, n, "stage %u: rollback of commit #%u queued (fault in %s, on probation)%s", stage,
			 rollback, code_name, repaired);
	else
		snprintf(action, n, "stage %u: %s %s queued%s", stage, recovery_stage_str(stage), j->cell, repaired);
	recovery_queue(j);
}

/* the exception's first look: corrupted code is put back before this or
 * any other CPU runs it again (the scheduler policy, say) */
/* a fault outside every cell (a call through a corrupted pointer, say):
 * repair whatever is off its seal, then let unwinding and a restart go on */
static void
repair_all(const struct fault_info *fi)
{
	recovery_repair_all(fi->rip);
}

/* every cell off its seal put back in place (a stage 0 record each) */
void
recovery_repair_all(uint64_t rip)
{
	struct cell_ns *nss[] = { cell_ns_kernel(), cell_ns_apps() };
	_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
	for (size_t k = 0; k < ARRAY_SIZE(nss); k++)
		for (struct cell *c = cell_ns_first(nss[k]); c; c = c->next) {
			uint64_t first_diff;
			if (cell_intact(c, NULL) || cell_repair_now(c, &first_diff))
				continue;
			__atomic_add_fetch(&recovery_counters.repairs, 1, __ATOMIC_RELAXED);
			struct fault_record rec = { .cpu = cpu_id(), .vector = VEC_RECOVERY, .rip = rip };
			strlcpy(rec.cell, c->name, sizeof(rec.cell));
			strlcpy(rec.section, "?", sizeof(rec.section));
			strlcpy(rec.task, "-", sizeof(rec.task));
			strlcpy(rec.msg, "recovery", sizeof(rec.msg));
			snprintf(rec.action, sizeof(rec.action), "stage 0: %s repaired in place (corrupted at %#lx)",
				 c->name, first_diff);
			fault_log_add(&rec);
		}
}

static void
on_fault(const struct trap_frame *f, struct fault_info *fi)
{
	if (fi->vector == 2) /* NMI */
		recovery_lockup_nmi(cpu_id(), fi->msg, sizeof(fi->msg));
	_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
	struct cell *c = cell_at(fi->rip);
	if (!c) {
		repair_all(fi);
		return;
	}
	if (cell_intact(c, NULL))
		return;
	uint64_t first_diff;
	if (cell_repair_now(c, &first_diff))
		return;
	fi->repaired = true;
	__atomic_add_fetch(&recovery_counters.repairs, 1, __ATOMIC_RELAXED);
	/* and the faulting task unwinds: which corrupted instructions ran
	 * before this one cannot be known (a loop body or a called function
	 * at a higher address may have run already), so retrying the
	 * instruction is not sound. Its cell is reloaded (on_unwound). */
	(void)first_diff;
}

/* guarded pointers (libs/base/guarded.h): a candidate is plausible if it
 * is the start of a symbol of a loaded cell or of the nano_core */
static bool
guarded_valid(uintptr_t addr)
{
	uint64_t off;
	return exc_symbolize(addr, &off, NULL) && off == 0;
}

static void
guarded_report(const struct guarded_ptr *g, uintptr_t a, uintptr_t b, bool repaired)
{
	struct fault_record rec = { .cpu = cpu_id(), .vector = VEC_RECOVERY, .rip = (uint64_t)(uintptr_t)g };
	strlcpy(rec.cell, "?", sizeof(rec.cell));
	strlcpy(rec.section, "?", sizeof(rec.section));
	strlcpy(rec.task, "-", sizeof(rec.task));
	strlcpy(rec.msg, "recovery", sizeof(rec.msg));
	if (repaired)
		snprintf(rec.action, sizeof(rec.action), "stage 0: guarded pointer at %p repaired: %#lx dropped, %#lx kept",
			 (const void *)g, a, b);
	else
		snprintf(rec.action, sizeof(rec.action),
			 "guarded pointer at %p corrupted, no copy plausible over the other (%#lx, %#lx): its reader fails",
			 (const void *)g, a, b);
	fault_log_add(&rec);
	log_warn("%s", rec.action);
	if (repaired)
		__atomic_add_fetch(&recovery_counters.repairs, 1, __ATOMIC_RELAXED);
}

void
recovery_start(const char *cmdline)
{
	int err = recovery_task_start();
	if (err) {
		log_err("no recovery task: %s; faults only restart tasks", err_str(err));
		return;
	}
	static const struct task_recovery_hooks hooks = {
		.unwound = on_unwound,
		.ended = recovery_on_ended,
		.progress_period = recovery_on_progress_period,
		.progress = recovery_on_progress,
	};
	task_set_recovery(&hooks);
	exc_set_fault_hook(on_fault);
	cell_pin_addr((const void *)guarded_valid); /* (held for the system's lifetime) */
	guarded_set_hooks(guarded_valid, guarded_report);
	err = recovery_watchdog_start();
	if (err)
		log_err("no watchdog task: %s; the recovery task scans alone", err_str(err));
	log_info("fault recovery on: unwind, restart, reload cell, reload dependents, reboot; watchdog every %lu ms",
		 recovery_watchdog_period() / 1000000);
}
