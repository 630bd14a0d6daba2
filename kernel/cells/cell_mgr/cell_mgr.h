/*
 * cell_mgr: the cell manager (thesis chapter 5). It loads ELF relocatable
 * objects (cells) at run time into their own MappedPages (text RX, rodata
 * R, data+bss RW; no page shared between cells), links them through a
 * CellNamespace, and keeps, for as long as they run, per-cell bounds and
 * per-section metadata with dependencies in both directions:
 *
 *   struct cell      name, object file, regions, sections
 *   struct section   name, kind, address, size, global?, deps out, deps in
 *   struct cell_dep  one edge: section `from` (in one cell) uses section
 *                    `to` (in another) through `nrelocs` relocation entries
 *
 * The structs are public and read-only outside this cell: shell tools,
 * the unwinder and (later) swapping walk them. Mutation happens only in
 * this cell, under the namespace lock, and a failed load changes nothing
 * (check, then commit).
 *
 * State: the namespaces, their cells and symbol maps. This is the system's
 * structure, not any client's state; swapping and recovery rely on it.
 */
#ifndef CELL_H
#define CELL_H

#include "base.h"

struct mapped_pages;
struct cell;
struct cell_ns;

enum section_kind {
	SEC_TEXT, SEC_RODATA, SEC_DATA, SEC_BSS, SEC_EH_FRAME, SEC_GCC_EXCEPT,
	SEC_KTEST, SEC_APP_EXPORTS, SEC_OTHER_RO, SEC_TLS,
};
const char *section_kind_str(enum section_kind k);

struct cell_reloc {           /* a relocation entry that crosses cells */
	uint32_t type;
	uint32_t offset;          /* within the source section */
	int64_t addend;
	uint64_t target_off;      /* S - target section address */
};

struct cell_dep {
	struct section *from, *to;
	struct cell_reloc *relocs;
	size_t nrelocs;
	struct cell_dep *next_out; /* in from->deps_out */
	struct cell_dep *next_in;  /* in to->deps_in */
};

struct section {
	struct cell *cell;
	const char *name;         /* ".text.mp_map"; heap copy */
	enum section_kind kind;
	uint64_t addr, size;
	bool global;              /* defines at least one global symbol */
	struct cell_dep *deps_out, *deps_in;
};

enum cell_region { REGION_TEXT, REGION_RODATA, REGION_DATA, REGION_COUNT };

struct cell_sym {             /* a global symbol the cell defines */
	const char *name;         /* heap copy */
	uint64_t addr;
	struct section *sec;      /* NULL if absolute */
};

#define CELL_NAME_MAX 32

struct cell {
	char name[CELL_NAME_MAX]; /* object file name without ".o" */
	struct cell_ns *ns;
	bool nano_core;           /* statically linked: regions are not owned */
	bool is_app;
	struct mapped_pages *mp[REGION_COUNT]; /* owned (NULL if empty/nano_core) */
	uint64_t start[REGION_COUNT], size[REGION_COUNT];
	uint64_t bss_start, bss_size;  /* nano_core cells only (apart from .data) */
	struct section *sections;
	size_t nsections;
	struct cell_sym *syms;
	size_t nsyms;
	uint64_t obj_phys, obj_size;   /* the object file (boot module) */
	uint64_t obj_hash;             /* FNV-1a of the object file */
	uint64_t seal[REGION_COUNT];   /* FNV-1a of text and rodata as linked (integrity) */
	void *pristine[REGION_COUNT];  /* owned copies of them as linked (repair) */
	uint64_t load_ns;              /* time to load and link */
	uint32_t users;                /* tasks whose entry is here, calls in flight (cell_use_addr) (atomic) */
	uint32_t pins;                 /* run-time registrations of its code (atomic) */
	size_t tls_off, tls_size;      /* its TLS range below the thread pointer */
	const char *deps;              /* its .cell_deps: own name, then the declared */
	size_t deps_size;              /* cells, NUL-terminated (in its rodata); NULL: none */
	struct cell *next;             /* in ns->cells */
	uint32_t magic;                /* CELL_MAGIC while allocated (poisoned when freed) */
	uint64_t gen;                  /* distinct for every cell ever indexed (tests spot reuse) */
	uint32_t commit;               /* the namespace commit that brought it in (history.c), 0: none */
	uint64_t kept_until;           /* swapped out but kept for a rollback until then (tsc_ns) */
	uint64_t probation_until;      /* swapped in on probation until then (tsc_ns) */
	struct cell *data_of;          /* a copy of a nano_core cell: its .data/.bss are that
					* cell's, in place (every swap of it keeps them) */
};
#define CELL_MAGIC 0xce11ce11u

/* ---- concurrency (sync.c; docs/cells.md, "Concurrency") ----
 * Writers (load, unload, swap, reclaim, the module table) are serialized
 * by one recursive writer lock, taken inside those calls. A caller that
 * looks cells up and then acts on them (find, then unload) may hold it
 * around both: cell_mgr_lock returns a guard for _cleanup_(cell_mgr_unlockp).
 * Never take it in fault or interrupt context. */
void *cell_mgr_lock(void);
void cell_mgr_unlock(void);
void cell_mgr_unlockp(void **guard);
bool cell_mgr_locked(void);
/* the task layer's "let others run" for a writer waiting for the lock */
void cell_set_wait_hook(void (*wait)(void));
/* Read section: the metadata found inside (struct cell, sections, names,
 * the address index) is not freed before it ends. Never blocks; disables
 * preemption, so keep it short. cell_at and friends open one themselves;
 * a caller keeping their results (a name to print) wraps its use. */
void cell_read_begin(void);
void cell_read_end(void);
/* the same, scoped: _cleanup_(cell_read_endp) bool rd = cell_read_beginp(); */
static inline bool cell_read_beginp(void) { cell_read_begin(); return true; }
static inline void cell_read_endp(bool *held) { if (*held) cell_read_end(); }
/* writers: wait until every other CPU has left the read section it was in
 * (bounded; false: a reader stayed, do not free) */
bool cell_sync_readers(void);
/* kfree p once no reader can hold it (kept, never freed, if one stays) */
void cell_free_after_readers(void *p);
struct cell_sync_stats {
	uint64_t grace_periods, grace_spins, grace_timeouts, leaked, writer_waits;
	uint64_t pauses_refused;   /* swaps that failed because a CPU did not park */
};
void cell_sync_stats(struct cell_sync_stats *out);

/* ---- namespaces ---- */
struct cell_ns *cell_ns_kernel(void);
struct cell_ns *cell_ns_apps(void);
const char *cell_ns_name(const struct cell_ns *ns);
struct cell_ns *cell_ns_parent(const struct cell_ns *ns);
/* first cell of a namespace (then c->next); the caller holds no lock, so
 * only use while no load/unload runs (boot, tests, shell commands) */
struct cell *cell_ns_first(struct cell_ns *ns);
struct cell *cell_find(struct cell_ns *ns, const char *name);

/* a global symbol defined by this cell (apps' main, entry points); 0 if none */
uint64_t cell_own_symbol(const struct cell *c, const char *name);
/* address of a symbol visible in ns (its parents included); 0 if none */
uint64_t cell_sym_addr(struct cell_ns *ns, const char *name);
/* the section defining a symbol visible in ns, or NULL */
struct section *cell_sym_section(struct cell_ns *ns, const char *name);

/* Integrity: a cell's text and rodata never change once linked (but for
 * swapping's relocation rewrites, which reseal). false if they did - the
 * code or constants were corrupted; *region says which. nano_core cells
 * are sealed at boot too (they can be repaired in place, not reloaded). */
bool cell_intact(const struct cell *c, int *region);
void cell_seal(struct cell *c);
/* put back the text and rodata as linked, in place (the cell's pristine
 * copies), from anywhere, an exception handler included: no page-table change (CR0.WP is
 * cleared on this CPU for the copy), no sleeping, no allocation;
 * *first_diff = the lowest address that differed */
int cell_repair_now(struct cell *c, uint64_t *first_diff) __must_check;

/* ---- address lookups (backtraces, the fault handler, the unwinder) ---- */
struct section *cell_section_at(uint64_t addr);
struct cell *cell_at(uint64_t addr);
/* "function" name for an address in any cell (section name without its
 * ".text." prefix; nano_core cells have one section per symbol), the
 * offset into it and the cell's name; NULL if no cell holds addr */
const char *cell_symbolize(uint64_t addr, uint64_t *off, const char **cell_name);

/* ---- loading ---- */
#define CELL_ERR_MAX 200
struct cell_error {
	char msg[CELL_ERR_MAX];   /* names the cell and the problem */
};

/* Load the named boot modules ("serial.o" or "serial") into ns as one
 * batch (cells may depend on each other circularly); cells that provide
 * still-undefined symbols are loaded on demand from the image's index.
 * All or nothing: on error, ns and the frame, page and heap counts are as
 * before. */
int cell_load(struct cell_ns *ns, const char *const *names, size_t n,
	      struct cell_error *why) __must_check;
/* Load an object held in memory (tests use corrupted copies this way). */
int cell_load_image(struct cell_ns *ns, const char *name, const void *data,
		    size_t size, struct cell_error *why) __must_check;
/* one batch of boot modules and/or in-memory images (images[i] NULL: the
 * boot module names[i]) */
int cell_load_batch(struct cell_ns *ns, const char *const *names, const void *const *images,
		    const size_t *sizes, size_t n, struct cell_error *why) __must_check;

/* Code referenced from run-time data (a policy table, an interrupt
 * handler, a hook) pins its cell: a swap must then name a transfer
 * function that takes its place. No-op for nano_core cells and NULL. */
void cell_pin_addr(const void *addr);
void cell_unpin_addr(const void *addr);
/* A call through a registered function pointer (a driver's request
 * function) may be preempted between reading the pointer and entering
 * the cell, while a swap moves the registration and frees the old cell,
 * whose stack walk found no frame there yet. Take a use of the cell while
 * the registration still pins it (under the registry's lock), call, then
 * drop the use: a cell with users is not freed. Unlike a pin, a use does
 * not stop a swap. NULL for nano_core cells and unknown addresses. */
struct cell *cell_use_addr(const void *addr);
void cell_unuse(struct cell *c);

/* ---- live evolution (swap.c, thesis 8.1) ---- */
#define SWAP_MAX 8
struct swap_times;
struct swap_request {
	struct cell_ns *ns;                 /* where the old cells live */
	const char *old[SWAP_MAX];          /* N old cells ... */
	size_t nold;
	const char *new_names[SWAP_MAX];    /* ... for M new ones: boot modules */
	const void *new_images[SWAP_MAX];   /* or uploaded objects (NULL: module) */
	size_t new_sizes[SWAP_MAX];
	size_t nnew;
	const char *transfer[SWAP_MAX];     /* int fn(void) in the new cells, run in the pause */
	size_t ntransfer;
	bool fresh_data;                    /* reload: the new cells keep their initial .data/.bss */
	uint32_t probation_ms;              /* > 0: the new cells are on probation this long; the old
					     * ones are kept, and a fault in a new one rolls back */
	const char *label;                  /* what the history calls it ("swap", "evolve", ...) */
	bool urgent;                        /* a task is down until the swap returns (recovery): one
					     * that carries no data does not look for a moment when no
					     * task is in the old cells, and the old cells are left
					     * retired for the caller's cell_reclaim */
	/* called once the swap is committed and the other CPUs run again,
	 * before the old cells are cleaned up, writer lock held (recovery
	 * restarts the failed task here); so_far: the stages until then */
	void (*committed)(void *ctx, const struct swap_times *so_far);
	void *committed_ctx;
	/* internal (a rollback or checkout): retired cells kept on probation,
	 * reinstated instead of loading new ones */
	struct cell *reuse[SWAP_MAX];
	size_t nreuse;
};
struct swap_times {
	uint64_t load, verify, quiesce, rewrite, deps, transfer, cleanup, pause, total; /* ns */
	size_t relocs, edges, data_copied, freed;
	/* tasks whose entry was in an old cell: restarted into the new code
	 * (restartable ones), or still running the old code (named here) */
	size_t restarted, stale;
	char stale_names[96];
	uint32_t commit;                    /* its namespace commit (history.c), 0: not recorded */
};
/* check, then commit: on any error nothing in the running system changed */
int cell_swap(const struct swap_request *rq, struct swap_times *t, struct cell_error *why) __must_check;
/* one cell for one other (or a fresh copy of itself) in ns, with the new
 * cell's <new>_adopt transfer function when the old one is registered in
 * the running system (pinned) */
int cell_swap_one(struct cell_ns *ns, const char *old, const char *new, struct swap_times *t,
		  struct cell_error *why) __must_check;
/* stop the other CPUs for the pause (the SMP cell installs them) */
void cell_set_quiesce_hooks(int (*stop)(uint64_t bound_ns, bool *irq, uint32_t *missing),
			    void (*resume)(bool irq));
/* every other CPU must park within this many ms or a swap fails, changing
 * nothing (default 2000); returns the previous bound */
uint32_t cell_swap_set_pause_bound(uint32_t ms);
/* for each of n ranges [lo, hi): 1 if some task has a frame with pc in it,
 * 0 if none, -1 if unknown (one walk of every task for all ranges) */
void cell_set_frame_check(void (*check)(const uint64_t *lo, const uint64_t *hi, size_t n, int *result));
/* after a committed swap: the task cell restarts the tasks whose entry is
 * in one of the old cells into the new cells of ns (and counts the rest) */
void cell_set_swap_hook(void (*after)(struct cell *const *old, size_t nold, struct cell_ns *ns,
				      struct swap_times *t));
/* ---- namespace history and transactions (history.c) ----
 * Every swap that changes what a namespace runs (not a reload: same
 * objects) is a commit: what went out and came in (names, object hashes),
 * the namespace's manifest after it, the time, the outcome. A swap with a
 * probation keeps the old cells loaded (not running) until it ends; a
 * fault in a new cell before then rolls the commit back: the same swap
 * machinery in reverse, state carried back, the old cells reinstated. */
enum commit_outcome { COMMIT_DONE, COMMIT_PROBATION, COMMIT_ROLLED_BACK };
struct commit_cell {
	char name[CELL_NAME_MAX];
	uint64_t hash;
};
struct commit_info {
	uint32_t id, parent;               /* parent: the commit this one followed in its namespace */
	char ns[16], label[32];
	uint64_t time_ns;                  /* tsc_ns when committed */
	struct commit_cell out[SWAP_MAX], in[SWAP_MAX];
	size_t nout, nin, ncells;          /* ncells: cells in the manifest */
	uint64_t manifest_hash;            /* over every cell's (name, object hash), in any order */
	enum commit_outcome outcome;
	uint64_t probation_until;          /* tsc_ns */
	char note[120];                    /* why it was rolled back, ... */
	struct swap_times t, back;         /* the swap, and its rollback */
};
const char *commit_outcome_str(enum commit_outcome o);
/* up to max commits of ns (NULL: all), newest first; returns how many */
size_t cell_commits(struct cell_ns *ns, struct commit_info *out, size_t max);
int cell_commit_get(uint32_t id, struct commit_info *out) __must_check;
/* the cells the evolutions between commits a and b changed: each one's
 * object as of a (from[i], hash 0: not there) and as of b (to[i]); E_NOENT
 * for a commit no longer kept, E_INVAL for two namespaces' commits */
int cell_commit_diff(uint32_t a, uint32_t b, struct commit_cell *from, struct commit_cell *to, size_t max,
		     size_t *n) __must_check;
/* the namespace's current manifest the same way (up to max entries, the
 * count returned is all of them) and its hash (of all of them) */
size_t cell_ns_manifest(struct cell_ns *ns, struct commit_cell *out, size_t max, uint64_t *hash);
/* the commit whose probation covers cell c (a new cell of it), 0 if none:
 * safe from fault context (reads two fields) */
uint32_t cell_probation_of(const struct cell *c);
/* roll commit id back now (E_INVAL if it is not on probation); reason goes
 * into its note and the log */
int cell_rollback(uint32_t id, const char *reason, struct swap_times *t, struct cell_error *why) __must_check;
/* evolve ns back (or forward) to what commit id ran: the cells commits
 * since then changed are swapped for the versions id had; a new commit */
int cell_checkout(uint32_t id, struct swap_times *t, struct cell_error *why) __must_check;
/* end the probations whose time is up (their old cells become free to
 * reclaim); returns how many ended */
size_t cell_probation_tick(void);

/* free retired (swapped-out) cells nothing uses any more; returns how many */
size_t cell_reclaim(void);
size_t cell_retired(void);

/* Unload a set of cells that nothing outside the set depends on (cells
 * that depend on each other circularly leave together); E_BUSY naming a
 * dependent otherwise. All or nothing. */
int cell_unload(struct cell *const *cells, size_t n, struct cell_error *why) __must_check;

/* A new, empty namespace whose lookups fall back to `parent` (a
 * personality); destroying it unloads its cells. */
struct cell_ns *cell_ns_create(const char *name, struct cell_ns *parent, bool apps);
int cell_ns_destroy(struct cell_ns *ns, struct cell_error *why) __must_check;
/* a personality's namespace made findable by name (and permanent) */
int cell_ns_publish(struct cell_ns *ns) __must_check;
struct cell_ns *cell_ns_find(const char *name);   /* kernel, apps, or published */
size_t cell_ns_list(struct cell_ns **out, size_t max);

/* a heap copy of a boot module's object file (kfree it) */
int cell_module_copy(const char *name, void **data, size_t *size) __must_check;

/* names of the cell objects in the boot image */
size_t cell_modules(const char **names, size_t max);
/* true if the image marks this module as an application cell */
bool cell_module_is_app(const char *name);
/* a copy of a nano_core cell (nano_core/replaceable), for swaps only */
bool cell_module_is_nano(const char *name);
/* the content hash of cell objects (64-bit FNV-1a; tools/evolve computes
 * the same on the host) */
uint64_t fnv1a(const void *data, size_t n);
/* FNV-1a of a module's current object (what the host compares builds with) */
int cell_module_hash(const char *name, uint64_t *hash) __must_check;
/* Live evolution: from now on loads of `name` use `image` (a heap object,
 * taken over on success; validated as ELF first); a new name adds a
 * module. Symbols it newly provides become loadable on demand. */
int cell_module_set(const char *name, void *image, size_t size, bool app) __must_check;
/* take a module out of the image (loaded cells stay until unloaded) */
int cell_module_remove(const char *name) __must_check;

/* Boot: recover the nano_core's cells, index the boot modules. */
int cell_mgr_init(void) __must_check;

struct cell_stats {
	size_t cells, sections, symbols, deps;
};
void cell_stats(struct cell_ns *ns, struct cell_stats *out);

/* ---- declared dependencies (declared.c, docs/cells.md) ----
 * Each cell object carries the cells its `deps` file declares; linking a
 * cell to a cell it does not declare is refused (load, swap, evolve). */
/* true if c declares the cell called `name` */
bool cell_declares(const struct cell *c, const char *name);
/* the declared cells of c, one at a time: *it = NULL to start; NULL at the end */
const char *cell_declared_next(const struct cell *c, const char **it);
/* Compare every cell's actual dependency edges in ns with its declarations:
 * fn (if not NULL) is called for each edge to an undeclared cell (a
 * section of `from` uses section `to`); returns how many there were.
 * *pairs (if not NULL) gets the number of distinct (cell, cell) edges
 * checked. The caller holds no lock: boot, tests, shell commands. */
typedef void (*cell_undeclared_fn)(void *ctx, const struct section *from, const struct section *to);
size_t cell_deps_verify(struct cell_ns *ns, cell_undeclared_fn fn, void *ctx, size_t *pairs);

/* ---- thread-local storage (tls.c) ---- */
#define CELL_TLS_MAX 1024 /* bytes below the thread pointer, all cells */
/* the initial image of all TLS: CELL_TLS_MAX bytes ending at the TP */
const uint8_t *cell_tls_template(void);
/* told when a new cell's TLS image appears at [TP-off, TP-off+len) */
void cell_set_tls_hook(void (*hook)(size_t off, const void *image, size_t len));


#endif
