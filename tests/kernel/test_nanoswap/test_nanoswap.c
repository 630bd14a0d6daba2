/*
 * test_nanoswap: the nano_core's cells swapped live for loaded copies of
 * themselves (thesis 5.3; docs/evolution.md, "A replaceable nano_core"),
 * twice each, while tasks allocate and free memory, log, and fault and
 * are unwound throughout. A copy's .data/.bss stay where the nano_core
 * cell has them, so the state (the per-CPU heaps, the log ring, the
 * fault log) is the same before and after. Run only when named (a boot of
 * its own in `make test-kernel`): the cells it swaps stay swapped.
 */
#include "cell_mgr.h"
#include "cpu.h"
#include "base.h"
#include "heap.h"
#include "fmt.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"
#include "task.h"
#include "tsc.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

struct load {
	volatile bool stop;
	volatile uint64_t allocs, logs, faults, cleanups, bad;
};

static struct load L;

/* however the test ends, its load stops (before the group is joined) */
static void
stop_load(bool *unused)
{
	L.stop = true;
}

/* allocations of every size class and large ones, each checked */
static uint64_t
allocator(uint64_t seed)
{
	uint64_t x = seed * 2654435761u + 1;
	while (!L.stop) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t n = 16 + (x >> 33) % (x & 1 ? 4000 : 70000);
		uint8_t *p = kmalloc(n);
		if (!p) {
			L.bad++;
			continue;
		}
		memset(p, (int)(x >> 56), n);
		for (size_t i = 0; i < n; i += 997)
			if (p[i] != (uint8_t)(x >> 56))
				L.bad++;
		kfree(p);
		L.allocs++;
		if (L.allocs % 64 == 0)
			task_yield();
	}
	return 0;
}

static uint64_t
logging(uint64_t unused)
{
	while (!L.stop) {
		log_debug("nanoswap load: %lu allocations", L.allocs);
		L.logs++;
		task_sleep_ns(2000000);
	}
	return 0;
}

static void
count_cleanup(int *unused)
{
	L.cleanups++;
}

/* dies of a page fault; unwinding runs its cleanup */
static uint64_t
crasher(uint64_t unused)
{
	_cleanup_(count_cleanup) int guard = 0;
	uintptr_t null = 0;
	__asm__("" : "+r"(null));
	return *(volatile uint64_t *)null;
}

static uint64_t
faulting(uint64_t unused)
{
	while (!L.stop) {
		struct task_builder b = TASK_BUILDER(crasher, (uint64_t)0);
		b.name = "nanoswap-crash";
		int err;
		struct task *t = task_spawn(&b, &err);
		if (!t) {
			L.bad++;
			continue;
		}
		uint64_t v;
		if (task_join(t, &v) != E_OK)
			L.faults++;
		task_unref(t);
		task_sleep_ns(3000000);
	}
	return 0;
}

/* the load moved on: every kind of work advanced */
static bool
progressed(uint64_t a, uint64_t l, uint64_t f)
{
	for (int i = 0; i < 3000; i++) {
		if (L.allocs > a + 50 && L.logs > l + 2 && L.faults > f + 1)
			return true;
		task_sleep_ns(1000000);
	}
	return false;
}

static int
swap_copy(const char *name, struct swap_times *t, struct cell_error *why)
{
	struct swap_request rq = { .ns = K(), .nold = 1, .nnew = 1, .label = "nano_core copy" };
	rq.old[0] = rq.new_names[0] = name;
	static char adopt[48];
	snprintf(adopt, sizeof(adopt), "%s_adopt", name);
	if (!strcmp(name, "exceptions")) { /* the IDT's gates move to the copy */
		rq.transfer[0] = adopt;
		rq.ntransfer = 1;
	}
	return cell_swap(&rq, t, why);
}

/* the cells the nano_core's image offers copies of (nano_core/replaceable) */
static const char *const names[] = { "heap", "logger", "unwind", "exceptions", "fmt", "range", "elf",
				     "klibc", "tsc", "serial", "mm_acct", "frame_alloc", "page_alloc",
				     "page_table", "mm_desc", "memory", "stack", "symtab", "multiboot2",
				     "cpu", "base" };

KTEST_FLAGS(nano_core_cells_swapped_for_loaded_copies_under_load,
	    KTEST_NO_MEMCHECK | KTEST_NO_FRAMECHECK | KTEST_EXPLICIT)
{
	memset((void *)&L, 0, sizeof(L));
	_cleanup_(task_group_drop) struct task_group g = { 0 };
	_cleanup_(stop_load) bool stopper = true;
	for (uint64_t i = 0; i < 3; i++) {
		struct task_builder b = TASK_BUILDER(allocator, i + 1);
		b.name = "nanoswap-alloc";
		KT_OK(task_group_spawn(&g, &b));
	}
	struct task_builder bl = TASK_BUILDER(logging, (uint64_t)0);
	bl.name = "nanoswap-log";
	KT_OK(task_group_spawn(&g, &bl));
	struct task_builder bf = TASK_BUILDER(faulting, (uint64_t)0);
	bf.name = "nanoswap-fault";
	KT_OK(task_group_spawn(&g, &bf));
	KT_ASSERT(progressed(0, 0, 0));

	/* the nano_core's cells have their real dependency edges */
	struct cell *heap = cell_find(K(), "heap");
	KT_ASSERT(heap && heap->nano_core);
	size_t in = 0, out = 0;
	for (size_t i = 0; i < heap->nsections; i++) {
		for (struct cell_dep *d = heap->sections[i].deps_in; d; d = d->next_in)
			in += d->from->cell->nano_core;
		for (struct cell_dep *d = heap->sections[i].deps_out; d; d = d->next_out)
			out++;
	}
	KT_ASSERT(in > 0 && out > 0);

	struct cell_error why;
	struct swap_times t;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			uint64_t a = L.allocs, l = L.logs, f = L.faults;
			uint64_t kmalloc_before = cell_sym_addr(K(), "kmalloc");
			int err = swap_copy(names[i], &t, &why);
			if (err) {
				kprintf("NANOSWAP %s round %d: FAILED: %s\n", names[i], round + 1, why.msg);
				KT_FAIL("swap of %s (round %d): %s", names[i], round + 1, why.msg);
			}
			struct cell *c = cell_find(K(), names[i]);
			KT_ASSERT(c && !c->nano_core && c->data_of && !strcmp(c->data_of->name, names[i]));
			kprintf("NANOSWAP %s round %d: load %lu us, verify %lu us, quiesce %lu us, rewrite %lu us (%zu relocations), deps %lu us, transfer %lu us, pause %lu us, total %lu us\n",
				names[i], round + 1, t.load / 1000, t.verify / 1000, t.quiesce / 1000, t.rewrite / 1000,
				t.relocs, t.deps / 1000, t.transfer / 1000, t.pause / 1000, t.total / 1000);
			if (!strcmp(names[i], "heap")) {
				uint64_t now = cell_sym_addr(K(), "kmalloc");
				KT_ASSERT(now != kmalloc_before && cell_at(now) == c);
			}
			if (!strcmp(names[i], "exceptions"))
				KT_ASSERT(cell_at(idt_gate_addr(14)) == c); /* page faults enter the copy */
			if (!progressed(a, l, f))
				KT_FAIL("after swapping %s (round %d): allocations %lu -> %lu, logs %lu -> %lu, faults %lu -> %lu",
					names[i], round + 1, a, L.allocs, l, L.logs, f, L.faults);
		}
	L.stop = true;
	KT_OK(task_group_join(&g, NULL));
	KT_EQ(L.bad, 0);
	KT_EQ(L.cleanups, L.faults); /* every fault unwound its task's cleanup */
	/* only the two cells that cannot be are left in the nano_core */
	size_t nano = 0;
	for (struct cell *c = cell_ns_first(K()); c; c = c->next)
		nano += c->nano_core;
	KT_EQ(nano, 2);
	KT_ASSERT(cell_find(K(), "nano_core")->nano_core && cell_find(K(), "cell_mgr")->nano_core);
	KT_EQ(swap_copy("cell_mgr", &t, &why), E_PERM);
	/* the nano_core's own code of a swapped cell stays callable (a hook
	 * stored at boot leads there): its calls were rewritten by every
	 * later swap, so each reaches a cell in the namespace now, never a
	 * copy the second round freed */
	size_t edges = 0, stale = 0;
	{
		_cleanup_(cell_read_endp) bool rd = cell_read_beginp();
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			struct cell *copy = cell_find(K(), names[i]);
			struct cell *old = copy ? copy->data_of : NULL;
			KT_ASSERT(old && old->nano_core);
			for (size_t k = 0; k < old->nsections; k++)
				for (struct cell_dep *d = old->sections[k].deps_out; d; d = d->next_out) {
					/* (data stays in the nano_core's sections) */
					bool data = d->to->kind == SEC_DATA || d->to->kind == SEC_BSS;
					edges++;
					stale += cell_find(K(), d->to->cell->name) != d->to->cell &&
						 !(data && d->to->cell->nano_core);
					if (cell_find(K(), d->to->cell->name) != d->to->cell && !data)
						kprintf("NANOSWAP stale edge: %s (%s) -> %s (%s)\n", d->from->name,
							old->name, d->to->name, d->to->cell->name);
				}
		}
	}
	KT_ASSERT(edges > 100);
	KT_EQ(stale, 0);
	/* a copy exports the running cell's objects, not its own unused
	 * data: whoever links to them (the exceptions cell setting base's
	 * spin_stuck_hook) reaches the memory the code uses */
	size_t data_syms = 0, elsewhere = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct cell *copy = cell_find(K(), names[i]);
		for (size_t k = 0; copy && k < copy->nsyms; k++) {
			const struct section *sec = copy->syms[k].sec;
			if (!sec || (sec->kind != SEC_DATA && sec->kind != SEC_BSS))
				continue;
			data_syms++;
			elsewhere += sec->cell != copy->data_of;
		}
	}
	kprintf("NANOSWAP %zu data symbols exported by the copies\n", data_syms);
	KT_ASSERT(data_syms >= 2); /* (spin_stuck_hook, spin_wait_hook among them) */
	KT_EQ(elsewhere, 0);
	KT_ASSERT(cell_at((uint64_t)(uintptr_t)spin_stuck_hook) == cell_find(K(), "exceptions"));
	(void)stopper;
}
