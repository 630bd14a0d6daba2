/*
 * cell_mgr_int.h: private declarations shared by the cell manager's files.
 */
#ifndef CELL_MGR_INT_H
#define CELL_MGR_INT_H

#include "cell_mgr.h"
#include "elf.h"
#include "fmt.h"

struct boot_info;

struct sym_entry {
	const char *name;         /* heap copy; NULL = empty slot */
	uint64_t addr;
	struct section *sec;      /* NULL for absolute symbols */
	bool app_export;          /* kernel symbol callable from apps */
	bool tomb;                /* removed (keeps probe chains intact) */
};

struct symtab {
	size_t cap;               /* a power of two */
	struct sym_entry slots[];
};
struct symmap {
	struct symtab *tab;       /* published (lock-free lookups); NULL: empty */
	size_t used, tombs;       /* the writer's */
};

struct cell_ns {
	char name[16];
	struct cell_ns *parent;
	bool apps;                /* links only to app-exported kernel symbols */
	struct symmap map;
	struct cell *cells;
	size_t ncells;
};

/* writers hold cell_mgr_lock (sync.c); readers use read sections */
void cell_sync_pause_refused(void);

/* symbol map (symmap.c) */
uint64_t symmap_hash(const char *s);
struct sym_entry *symmap_get(const struct symmap *m, const char *name);
int symmap_reserve(struct symmap *m, size_t extra) __must_check;
/* insert; the map must have room (symmap_reserve); takes `name` */
void symmap_put(struct symmap *m, const char *name, uint64_t addr, struct section *sec);
void symmap_remove(struct symmap *m, const char *name);
void symmap_free(struct symmap *m);
/* lookup through ns and its parents; *owner gets the namespace found in */
struct sym_entry *ns_lookup(struct cell_ns *ns, const char *name, struct cell_ns **owner);

/* address index (meta.c) */
int meta_index_reserve(size_t ncells) __must_check;
void meta_index_add(struct cell *c);
/* make the cells added since the last publish visible to cell_at */
void meta_index_publish(void);
void meta_index_remove(struct cell *c);
void meta_free_cell(struct cell *c);
/* the next batch loads copies of these nano_core cells (by name): their
 * .data/.bss stay the nano_core cell's, in place (inplace.c; writer lock) */
void load_set_inplace(struct cell *const *keep, size_t n);
/* inplace.c: the kept nano_core cell a copy named `name` uses the data
 * of (NULL: none); where, in keep, the object of the copy's data section
 * `name` of `size` bytes is (*sec, if not NULL: its section), or an
 * error in why naming the copy obj_name */
struct cell *load_inplace_for(const char *name);
int load_inplace_addr(struct cell_error *why, const char *obj_name, const struct cell *keep, const char *name,
		      uint64_t size, uint64_t *addr, struct section **sec);
/* mark the symbols a kernel cell's .app_exports section lists (load.c) */
void meta_mark_exports(struct cell_ns *ns, const struct section *s);
/* give c room for nsec sections and nsym symbols (freed by meta_free_cell) */
int meta_alloc_arrays(struct cell *c, size_t nsec, size_t nsym) __must_check;
/* out of line on purpose: the cell owns these (GCC 12's analyzer does not
 * follow stores into a heap object and would report leaks) */
int meta_alloc_sections(struct cell *c, size_t nsec) __must_check;
int meta_alloc_syms(struct cell *c, size_t nsym) __must_check;
/* c->pristine[region], bytes zeroed (a load builds the region in it) */
int meta_alloc_pristine(struct cell *c, int region, size_t bytes) __must_check;
/* dependency edges: add relocation rel to the (from, to) edge among
 * edges[0..*n), creating it (edges has room for one more); E_NOMEM */
int meta_edge_add(struct cell_dep **edges, size_t *n, struct section *from, struct section *to,
		  struct cell_reloc rel) __must_check;
/* free edges not linked (their relocations too), not the array */
void meta_edges_free(struct cell_dep **edges, size_t n);
/* enter d into d->from->deps_out and d->to->deps_in, resp. take it out */
void meta_edge_link(struct cell_dep *d);
void meta_edge_unlink(struct cell_dep *d);
/* take c and its global symbols out of namespace ns (c stays allocated) */
void meta_ns_remove(struct cell_ns *ns, struct cell *c);

/* module index (modules.c): which boot module defines a symbol */
int modules_init(const struct boot_info *bi) __must_check;
const char *modules_provider(const char *symbol);
/* a module's current object (its uploaded image, or the boot module kept
 * mapped), parsed and checked once and hashed once; E_NOENT or E_FORMAT
 * with the reason in why */
struct module_obj {
	const struct elf_obj *elf; /* elf->data, elf->size: the bytes */
	uint64_t phys;             /* the boot module's memory; 0 for an uploaded image */
	uint64_t hash;             /* fnv1a of the bytes */
};
int modules_object(const char *name, struct module_obj *out, struct elf_error *why) __must_check;
/* the bytes of the boot module at phys (size bytes), from its kept
 * mapping; NULL if no boot module is there */
const void *modules_boot_bytes(uint64_t phys, size_t size);

/* TLS layout (tls.c) */
size_t cell_tls_mark(void);
void cell_tls_reset(size_t mark);
int cell_tls_reserve(size_t size, size_t align, size_t *off) __must_check;
uint8_t *cell_tls_at(int64_t tp_offset);
void cell_tls_published(size_t off, size_t len);

char *kstrdup(const char *s);

/* room for one more element in the growable array *arr (n used, *cap
 * allocated, elem bytes each; first: the first capacity); on E_NOMEM the
 * array is as it was */
int cell_array_grow(void **arr, size_t n, size_t *cap, size_t elem, size_t first) __must_check;

/* fill why (if not NULL) with the message and return err (fmt.h) */
#define cell_errf(why, err, ...) FMT_ERRF(why, err, __VA_ARGS__)

/* retired.c: the cells swaps took out, until cell_reclaim frees them
 * (writer lock); swap.c's frame check, which the reclaim uses too */
void retired_add(struct cell *c);
bool retired_has(const struct cell *c);
void retired_take(struct cell *c);
extern void (*swap_frame_check)(const uint64_t *lo, const uint64_t *hi, size_t n, int *result);

/* history.c, from cell_swap under the writer lock: a first commit of ns
 * (its manifest before any evolution), and a committed swap */
void history_base(struct cell_ns *ns);
void history_mark_probation(const struct swap_request *rq, struct cell *const *newc, size_t nnew, bool on);
void history_record(const struct swap_request *rq, struct cell *const *old, size_t nold, struct cell *const *newc,
		    size_t nnew, const void *const *images, const size_t *sizes, struct swap_times *t);

/* zeroed memory for metadata that outlives whoever makes it grow (the
 * address index, symbol tables): charged to no accounting domain */
void *meta_shared_zalloc(size_t bytes);


/* write through read-only mappings on this CPU only (CR0.WP off), with
 * interrupts off: no page table changes and no TLB shootdowns, so usable
 * in a pause (other CPUs parked) and in fault context. Returns the CR0 to
 * give back to wp_restore. */
static inline uint64_t
wp_off(void)
{
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 & ~(1ull << 16)) : "memory");
	return cr0;
}

static inline void
wp_restore(uint64_t cr0)
{
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
}

#endif
