/*
 * load.c: loading and linking a batch of cells.
 *
 *   gather    map and validate each object; add the cells that provide
 *             still-undefined symbols (on demand), until closed
 *   layout    size the three regions, allocate them (ZONE_CODE: text
 *             RX and rodata R from the start, data RW), copy sections -
 *             text and rodata into the cell's pristine copies (heap),
 *             data in place - and build section metadata
 *   link      resolve every relocation (own sections, the batch, the
 *             namespace and its parents) and write it (text and rodata:
 *             into the pristine copies); record cross-cell dependencies
 *   protect   the finished text and rodata copied into their read-only
 *             mappings on this CPU (CR0.WP off, interrupts off) and
 *             sealed. No CPU has seen these pages, so no permission ever
 *             changes and no TLB shootdown is needed (under emulation a
 *             shootdown waits for every virtual CPU to be scheduled: it
 *             was most of a reload's load stage)
 *   commit    symbols, dependency edges, cells and address index go into
 *             the namespace - the only step that touches shared state,
 *             and it cannot fail (all room is reserved beforehand)
 *
 * Every failure before commit drops what the batch built, so the system
 * is exactly as before.
 */
#define LOG_TAG "cells"
#include "cell_mgr.h"
#include "cell_mgr_int.h"
#include "cpu.h"
#include "base.h"
#include "fmt.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "memory.h"
#include "tsc.h"

#define MAX_BATCH 64

struct pending_dep {           /* a dependency found while linking */
	struct section *from, *to;
	struct cell_reloc rel;
};

struct load_obj {
	char name[32];
	const uint8_t *data;        /* the object (the module's kept mapping, or an image) */
	size_t size;
	uint64_t phys;              /* the boot module's memory (0: an image) */
	uint64_t hash;              /* fnv1a of the object, when hashed */
	bool hashed;
	struct elf_obj elf;
	struct cell *cell;          /* built here; owned by the batch until commit */
	uint64_t *sec_addr;         /* per ELF section: load address (0: not loaded) */
	int32_t *sec_meta;          /* per ELF section: index in cell->sections, -1 */
	uint64_t t0;
};

struct batch {
	size_t tls_mark;            /* TLS layout before this batch */
	struct cell_ns *ns;
	struct load_obj obj[MAX_BATCH];
	size_t n;
	struct pending_dep *deps;
	size_t ndeps, capdeps;
	struct cell_error *why;
};

const char *
section_kind_str(enum section_kind k)
{
	static const char *const names[] = { "text", "rodata", "data", "bss", "eh_frame",
		"gcc_except_table", "ktest", "app_exports", "rodata-other", "tls" };
	return k < ARRAY_SIZE(names) ? names[k] : "?";
}

static void
strip_suffix(char *dst, size_t cap, const char *name)
{
	strlcpy(dst, name, cap);
	size_t n = strlen(dst);
	if (n > 2 && !strcmp(dst + n - 2, ".o"))
		dst[n - 2] = '\0';
}

/* ---------------------------------------------------------------- gather */

static struct load_obj *
batch_find(struct batch *b, const char *name)
{
	return FIND_NAMED(b->obj, b->n, name);
}

static int
add_object(struct batch *b, const char *name, const void *image, size_t size)
{
	if (b->n == MAX_BATCH)
		return cell_errf(b->why, E_NOSPC, "batch of more than %d cells", MAX_BATCH);
	struct load_obj *o = &b->obj[b->n];
	memset(o, 0, sizeof(*o));
	strip_suffix(o->name, sizeof(o->name), name);
	o->t0 = tsc_ns();
	if (cell_find(b->ns, o->name))
		return cell_errf(b->why, E_EXIST, "cell %s: already loaded in namespace %s", o->name,
				 b->ns->name);
	struct elf_error ee;
	if (!image) {
		/* a module: mapped, parsed and checked (and hashed) once, kept */
		struct module_obj m;
		int err = modules_object(o->name, &m, &ee);
		if (err)
			return cell_errf(b->why, err, "cell %s: %s", o->name, ee.msg);
		o->elf = *m.elf;
		o->data = o->elf.data;
		o->size = o->elf.size;
		o->phys = m.phys;
		o->hash = m.hash;
		o->hashed = true;
		b->n++;
		return E_OK;
	}
	o->data = image;
	o->size = size;
	b->n++; /* from here on batch_drop releases it */
	int err = elf_parse(o->data, o->size, &o->elf, &ee);
	if (err)
		return cell_errf(b->why, err, "cell %s: %s", o->name, ee.msg);
	return E_OK;
}

static bool
defined_in_batch(struct batch *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct elf_obj *e = &b->obj[i].elf;
		for (size_t k = 1; k < e->nsyms; k++) {
			const Elf64_Sym *s = &e->syms[k];
			if (s->st_shndx != SHN_UNDEF && ELF64_ST_BIND(s->st_info) != STB_LOCAL &&
			    !strcmp(elf_symbol_name(e, s), name))
				return true;
		}
	}
	return false;
}

/* add providers of undefined symbols until every symbol resolves */
static int
close_batch(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct elf_obj *e = &b->obj[i].elf;
		for (size_t k = 1; k < e->nsyms; k++) {
			const Elf64_Sym *s = &e->syms[k];
			if (s->st_shndx != SHN_UNDEF || ELF64_ST_BIND(s->st_info) == STB_LOCAL)
				continue;
			const char *n = elf_symbol_name(e, s);
			if (!*n || ns_lookup(b->ns, n, NULL) || defined_in_batch(b, n))
				continue;
			const char *prov = modules_provider(n);
			if (b->ns->apps) {
				/* an app needs a kernel cell not loaded yet: load it into
				 * the kernel namespace, as its own batch; the link step
				 * then checks the symbol is exported to apps */
				if (!prov || cell_module_is_app(prov) || !b->ns->parent)
					continue;
				log_info("loading %s on demand into %s: app %s needs %s", prov,
					 b->ns->parent->name, b->obj[i].name, n);
				const char *names[] = { prov };
				int err = cell_load(b->ns->parent, names, 1, b->why);
				if (err && err != E_EXIST)
					return err;
				continue;
			}
			if (!prov || batch_find(b, prov))
				continue; /* link reports the undefined symbol */
			log_info("loading %s on demand: %s needs %s", prov, b->obj[i].name, n);
			int err = add_object(b, prov, NULL, 0);
			if (err)
				return err;
		}
	}
	return E_OK;
}

/* ---------------------------------------------------------------- layout */

static enum section_kind
kind_of(const char *name, const Elf64_Shdr *s)
{
	if (s->sh_flags & SHF_EXECINSTR)
		return SEC_TEXT;
	if (s->sh_type == SHT_NOBITS)
		return SEC_BSS;
	if (s->sh_flags & SHF_WRITE)
		return SEC_DATA;
	if (!strcmp(name, ".eh_frame"))
		return SEC_EH_FRAME;
	if (str_starts_with(name, ".gcc_except_table"))
		return SEC_GCC_EXCEPT;
	if (!strcmp(name, ".ktest"))
		return SEC_KTEST;
	if (!strcmp(name, ".app_exports"))
		return SEC_APP_EXPORTS;
	if (str_starts_with(name, ".rodata"))
		return SEC_RODATA;
	return SEC_OTHER_RO;
}

static enum cell_region
region_of(enum section_kind k)
{
	return k == SEC_TEXT ? REGION_TEXT : (k == SEC_DATA || k == SEC_BSS) ? REGION_DATA : REGION_RODATA;
}

/* where the loader writes what will be at addr: text and rodata are built
 * in the cell's pristine copies, everything else in place */
static void *
staged(struct cell *c, uint64_t addr)
{
	for (int r = REGION_TEXT; r <= REGION_RODATA; r++)
		if (c->pristine[r] && addr >= c->start[r] && addr < c->start[r] + c->size[r])
			return (uint8_t *)c->pristine[r] + (addr - c->start[r]);
	return (void *)(uintptr_t)addr;
}

static int
layout(struct batch *b, struct load_obj *o)
{
	const struct elf_obj *e = &o->elf;
	uint64_t size[REGION_COUNT] = { 0 };
	uint64_t tls_size = 0, tls_align = 1;
	size_t nsec = 0;

	o->cell = KNEW(struct cell);
	o->sec_addr = kzalloc(e->shnum * sizeof(*o->sec_addr));
	o->sec_meta = kmalloc(e->shnum * sizeof(*o->sec_meta));
	if (!o->cell || !o->sec_addr || !o->sec_meta)
		return cell_errf(b->why, E_NOMEM, "cell %s: out of memory for metadata", o->name);
	struct cell *c = o->cell;
	strlcpy(c->name, o->name, sizeof(c->name));
	/* a personality's own build ("vecsum@simd") loaded into it (or a swap
	 * below it) takes the name of the cell it is a version of */
	char *at = strchr(c->name, '@');
	for (struct cell_ns *n = b->ns; at && n; n = n->parent)
		if (!strcmp(at + 1, n->name)) {
			*at = '\0';
			break;
		}
	c->ns = b->ns;
	c->is_app = b->ns->apps;
	c->obj_phys = o->phys;
	c->obj_size = o->size;
	c->obj_hash = o->hashed ? o->hash : fnv1a(o->data, o->size);
	c->data_of = load_inplace_for(o->name);

	/* pass 1: offsets within each region */
	for (unsigned i = 0; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		o->sec_meta[i] = -1;
		if (!(s->sh_flags & SHF_ALLOC) || s->sh_size == 0)
			continue;
		if (s->sh_flags & SHF_TLS) {
			if (c->data_of)
				return cell_errf(b->why, E_NOTSUP,
						 "cell %s: a copy of a nano_core cell cannot have thread-local data (%s)",
						 o->name, elf_section_name(e, i));
			uint64_t align = s->sh_addralign ? s->sh_addralign : 1;
			tls_size = ALIGN_UP(tls_size, align);
			tls_align = MAX(tls_align, align);
			o->sec_addr[i] = tls_size; /* offset in the cell's TLS segment */
			tls_size += s->sh_size;
			nsec++;
			continue;
		}
		enum cell_region r = region_of(kind_of(elf_section_name(e, i), s));
		uint64_t align = s->sh_addralign ? s->sh_addralign : 1;
		size[r] = ALIGN_UP(size[r], align);
		o->sec_addr[i] = size[r]; /* offset for now */
		size[r] += s->sh_size;
		nsec++;
	}
	if (tls_size) {
		int err = cell_tls_reserve(tls_size, tls_align, &c->tls_off);
		if (err)
			return cell_errf(b->why, err, "cell %s: %lu bytes of TLS do not fit (%d bytes for all cells)",
					 o->name, (unsigned long)tls_size, CELL_TLS_MAX);
		c->tls_size = tls_size;
	}
	/* the regions: one mapping each, so no page is shared with another
	 * cell, with their final permissions; text and rodata are built in
	 * their pristine copies (protect copies them in) */
	static const unsigned flags[REGION_COUNT] = { MP_EXEC, MP_READ, MP_WRITE };
	for (int r = 0; r < REGION_COUNT; r++) {
		if (!size[r])
			continue;
		int err;
		c->mp[r] = mp_alloc(ZONE_CODE, DIV_ROUND_UP(size[r], PAGE_SIZE), flags[r], &err);
		if (!c->mp[r])
			return cell_errf(b->why, err, "cell %s: cannot map %lu bytes: %s", o->name, size[r],
					 err_str(err));
		c->start[r] = mp_start(c->mp[r]);
		c->size[r] = size[r];
		if (r != REGION_DATA && meta_alloc_pristine(c, r, size[r]))
			return cell_errf(b->why, E_NOMEM, "cell %s: out of memory for its %lu bytes", o->name,
					 size[r]);
	}
	if (meta_alloc_sections(c, nsec))
		return cell_errf(b->why, E_NOMEM, "cell %s: out of memory for sections", o->name);
	/* pass 2: place and copy */
	for (unsigned i = 0; i < e->shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (!(s->sh_flags & SHF_ALLOC) || s->sh_size == 0)
			continue;
		const char *name = elf_section_name(e, i);
		enum section_kind k = kind_of(name, s);
		uint64_t addr;
		if (s->sh_flags & SHF_TLS) {
			/* symbols resolve to thread-pointer offsets; the image
			 * goes into the TLS template */
			int64_t tp = (int64_t)o->sec_addr[i] - (int64_t)c->tls_off;
			o->sec_addr[i] = (uint64_t)tp;
			k = SEC_TLS;
			addr = (uint64_t)(uintptr_t)cell_tls_at(tp);
		} else {
			addr = c->start[region_of(k)] + o->sec_addr[i];
			o->sec_addr[i] = addr;
		}
		if (s->sh_type != SHT_NOBITS)
			memcpy(staged(c, addr), o->data + s->sh_offset, s->sh_size);
		struct section *m = &c->sections[c->nsections];
		m->cell = c;
		m->kind = k;
		m->addr = addr;
		m->size = s->sh_size;
		m->name = kstrdup(name);
		if (!m->name)
			return cell_errf(b->why, E_NOMEM, "cell %s: out of memory", o->name);
		if (!strcmp(name, ".cell_deps")) { /* its declared cells (declared.c): the copy until protect */
			c->deps = staged(c, addr);
			c->deps_size = s->sh_size;
		}
		o->sec_meta[i] = (int32_t)c->nsections++;
	}
	return E_OK;
}

/* global definitions of a laid-out object become its cell's symbol list */
static int
collect_symbols(struct batch *b, struct load_obj *o)
{
	const struct elf_obj *e = &o->elf;
	struct cell *c = o->cell;
	size_t n = 0;

	for (size_t k = 1; k < e->nsyms; k++)
		if (e->syms[k].st_shndx != SHN_UNDEF && ELF64_ST_BIND(e->syms[k].st_info) != STB_LOCAL)
			n++;
	if (meta_alloc_syms(c, n))
		return cell_errf(b->why, E_NOMEM, "cell %s: out of memory", o->name);
	for (size_t k = 1; k < e->nsyms; k++) {
		const Elf64_Sym *s = &e->syms[k];
		if (s->st_shndx == SHN_UNDEF || ELF64_ST_BIND(s->st_info) == STB_LOCAL)
			continue;
		const char *name = elf_symbol_name(e, s);
		struct cell_sym *cs = &c->syms[c->nsyms];
		if (s->st_shndx == SHN_ABS) {
			cs->addr = s->st_value;
		} else {
			if (o->sec_meta[s->st_shndx] < 0)
				continue; /* defined in a section we do not load */
			cs->sec = &c->sections[o->sec_meta[s->st_shndx]];
			cs->sec->global = true;
			cs->addr = o->sec_addr[s->st_shndx] + s->st_value;
			if (c->data_of && (cs->sec->kind == SEC_DATA || cs->sec->kind == SEC_BSS)) {
				/* a copy of a nano_core cell exports the running
				 * cell's object, where its own code reads and writes
				 * it (not its unused section): other cells, and the
				 * relocations a swap rewrites to this symbol, reach
				 * the same memory; their edges go to the nano_core's
				 * section, which no later swap moves */
				uint64_t at = 0;
				struct section *kept = NULL;
				int err = load_inplace_addr(b->why, o->name, c->data_of, cs->sec->name, cs->sec->size, &at, &kept);
				if (err)
					return err;
				cs->addr = at + s->st_value;
				cs->sec = kept;
			}
		}
		cs->name = kstrdup(name);
		if (!cs->name)
			return cell_errf(b->why, E_NOMEM, "cell %s: out of memory", o->name);
		c->nsyms++;
		/* duplicates: in the namespace, or earlier in this batch */
		if (!c->is_app) {
			struct sym_entry *dup = symmap_get(&b->ns->map, name);
			if (dup)
				return cell_errf(b->why, E_EXIST,
						 "cell %s: duplicate global symbol %s (already defined by cell %s)",
						 o->name, name, dup->sec ? dup->sec->cell->name : "?");
			for (struct load_obj *p = b->obj; p < o; p++)
				if (cell_own_symbol(p->cell, name))
					return cell_errf(b->why, E_EXIST,
							 "cell %s: duplicate global symbol %s (also defined by cell %s)",
							 o->name, name, p->name);
		}
	}
	return E_OK;
}

/* ------------------------------------------------------------------ link */

static bool
is_app_export(struct cell_ns *ns, struct sym_entry *e)
{
	(void)ns;
	return e->app_export;
}

/* resolve an undefined global: the batch (kernel ns), then ns chain */
static int
resolve_global(struct batch *b, struct load_obj *o, const char *name, bool weak, uint64_t *addr,
	       struct section **sec)
{
	if (!b->ns->apps) {
		for (size_t i = 0; i < b->n; i++) {
			struct cell *c = b->obj[i].cell;
			for (size_t k = 0; k < c->nsyms; k++)
				if (!strcmp(c->syms[k].name, name)) {
					*addr = c->syms[k].addr;
					*sec = c->syms[k].sec;
					return E_OK;
				}
		}
	}
	struct cell_ns *owner;
	struct sym_entry *e = ns_lookup(b->ns, name, &owner);
	if (e) {
		if (b->ns->apps && owner != b->ns && !is_app_export(owner, e))
			return cell_errf(b->why, E_PERM,
					 "app %s: symbol %s (in cell %s) is not exported to applications", o->name,
					 name, e->sec ? e->sec->cell->name : "?");
		*addr = e->addr;
		*sec = e->sec;
		return E_OK;
	}
	if (weak) {
		*addr = 0;
		*sec = NULL;
		return E_OK;
	}
	return cell_errf(b->why, E_NOENT, "cell %s: undefined symbol %s", o->name, name);
}

static int
note_dep(struct batch *b, struct section *from, struct section *to, const Elf64_Rela *r, uint64_t S)
{
	if (cell_array_grow((void **)&b->deps, b->ndeps, &b->capdeps, sizeof(*b->deps), 64))
		return cell_errf(b->why, E_NOMEM, "out of memory recording dependencies");
	b->deps[b->ndeps++] = (struct pending_dep){ from, to,
		{ ELF64_R_TYPE(r->r_info), (uint32_t)r->r_offset, r->r_addend, S - to->addr } };
	return E_OK;
}

static int
link_obj(struct batch *b, struct load_obj *o)
{
	const struct elf_obj *e = &o->elf;

	for (unsigned i = 1; i < e->shnum; i++) {
		const Elf64_Shdr *rs = &e->sh[i];
		if (rs->sh_type != SHT_RELA || o->sec_meta[rs->sh_info] < 0)
			continue; /* relocations of sections we do not load (debug) */
		struct section *from = &o->cell->sections[o->sec_meta[rs->sh_info]];
		const Elf64_Rela *r = (const Elf64_Rela *)(e->data + rs->sh_offset);
		for (size_t k = 0; k < rs->sh_size / sizeof(*r); k++) {
			uint32_t type = ELF64_R_TYPE(r[k].r_info);
			const Elf64_Sym *s = &e->syms[ELF64_R_SYM(r[k].r_info)];
			const char *sname = elf_symbol_name(e, s);
			uint64_t S = 0;
			struct section *to = NULL;
			if (type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
			    type == R_X86_64_REX_GOTPCRELX || type == R_X86_64_GOT32)
				return cell_errf(b->why, E_NOTSUP,
						 "cell %s: %s to %s needs a GOT; build cells with -fno-pic",
						 o->name, elf_reloc_name(type), sname);
			if (s->st_shndx == SHN_UNDEF) {
				int err = resolve_global(b, o, sname, ELF64_ST_BIND(s->st_info) == STB_WEAK, &S, &to);
				if (err)
					return err;
			} else if (s->st_shndx == SHN_ABS) {
				S = s->st_value;
			} else {
				if (o->sec_meta[s->st_shndx] < 0)
					return cell_errf(b->why, E_FORMAT,
							 "cell %s: relocation in %s refers to unloaded section %s", o->name,
							 from->name, elf_section_name(e, s->st_shndx));
				S = o->sec_addr[s->st_shndx] + (ELF64_ST_TYPE(s->st_info) == STT_SECTION ? 0 : s->st_value);
				to = &o->cell->sections[o->sec_meta[s->st_shndx]];
				if (o->cell->data_of && (to->kind == SEC_DATA || to->kind == SEC_BSS)) {
					uint64_t at = 0;
					int err = load_inplace_addr(b->why, o->name, o->cell->data_of, to->name, to->size, &at, NULL);
					if (err)
						return err;
					S = at + (ELF64_ST_TYPE(s->st_info) == STT_SECTION ? 0 : s->st_value);
					to = NULL; /* the nano_core's memory: no edge */
				}
			}
			uint64_t P = from->addr + r[k].r_offset;
			int err = elf_reloc_apply(type, staged(o->cell, P), P, S, r[k].r_addend);
			if (err == E_RANGE)
				return cell_errf(b->why, E_RANGE, "cell %s: %s at %s+%#lx to %s (%#lx) is out of reach",
						 o->name, elf_reloc_name(type), from->name, (unsigned long)r[k].r_offset,
						 *sname ? sname : "a section", (unsigned long)S);
			if (err)
				return cell_errf(b->why, err, "cell %s: %s at %s+%#lx: %s", o->name,
						 elf_reloc_name(type), from->name, (unsigned long)r[k].r_offset, err_str(err));
			if (to && to->cell != o->cell) {
				if (!cell_declares(o->cell, to->cell->name))
					return cell_errf(b->why, E_PERM,
							 "cell %s links to cell %s (symbol %s), which %s does not declare in its deps%s",
							 o->name, to->cell->name, *sname ? sname : to->name, o->name,
							 o->cell->deps ? "" : " (the object has no .cell_deps section)");
				err = note_dep(b, from, to, &r[k], S);
				if (err)
					return err;
			}
		}
	}
	return E_OK;
}

/* the built text and rodata into their read-only mappings, sealed */
static void
protect(struct load_obj *o)
{
	struct cell *c = o->cell;
	for (int r = REGION_TEXT; r <= REGION_RODATA; r++) {
		if (!c->pristine[r])
			continue;
		uint8_t *live = (uint8_t *)(uintptr_t)c->start[r];
		size_t mapped = mp_size(c->mp[r]);
		bool irq = irq_save(); /* WP is this CPU's: no switch while it is off */
		uint64_t cr0 = wp_off();
		memcpy(live, c->pristine[r], c->size[r]);
		memset(live + c->size[r], 0, mapped - c->size[r]); /* the frames' old contents */
		wp_restore(cr0);
		irq_restore(irq);
		c->seal[r] = fnv1a(c->pristine[r], c->size[r]);
		if (c->deps >= (const char *)c->pristine[r] &&
		    c->deps < (const char *)c->pristine[r] + c->size[r])
			c->deps = (const char *)live + (c->deps - (const char *)c->pristine[r]);
	}
}

/* ---------------------------------------------------------------- commit */

/* app exports listed by a kernel cell's .app_exports section */
void
meta_mark_exports(struct cell_ns *ns, const struct section *s)
{
	const char *p = (const char *)(uintptr_t)s->addr, *end = p + s->size;
	while (p < end) {
		size_t n = strnlen(p, (size_t)(end - p));
		if (n && n < (size_t)(end - p)) {
			struct sym_entry *e = symmap_get(&ns->map, p);
			if (e)
				e->app_export = true;
		}
		p += n + 1;
	}
}

static void
commit(struct batch *b, struct cell_dep **edges, size_t nedges)
{
	struct cell_ns *ns = b->ns;
	for (size_t i = 0; i < b->n; i++) {
		struct cell *c = b->obj[i].cell;
		if (!c->is_app)
			for (size_t k = 0; k < c->nsyms; k++)
				symmap_put(&ns->map, c->syms[k].name, c->syms[k].addr, c->syms[k].sec);
		c->next = ns->cells;
		__atomic_store_n(&ns->cells, c, __ATOMIC_RELEASE); /* readers walk it lock-free */
		ns->ncells++;
		meta_index_add(c); /* room reserved before commit */
	}
	for (size_t i = 0; i < b->n; i++) {
		struct cell *c = b->obj[i].cell;
		for (size_t k = 0; k < c->nsections; k++)
			if (c->sections[k].kind == SEC_APP_EXPORTS && !c->is_app)
				meta_mark_exports(ns, &c->sections[k]);
	}
	for (size_t i = 0; i < b->n; i++)
		cell_tls_published(b->obj[i].cell->tls_off, b->obj[i].cell->tls_size);
	for (size_t i = 0; i < nedges; i++)
		meta_edge_link(edges[i]);
}

/* build the dependency edges (allocations) before commit */
static int
make_edges(struct batch *b, struct cell_dep ***out, size_t *nout)
{
	struct cell_dep **edges = kzalloc((b->ndeps ? b->ndeps : 1) * sizeof(*edges));
	if (!edges)
		return cell_errf(b->why, E_NOMEM, "out of memory for dependencies");
	size_t n = 0;
	for (size_t i = 0; i < b->ndeps; i++) {
		struct pending_dep *p = &b->deps[i];
		if (meta_edge_add(edges, &n, p->from, p->to, p->rel)) {
			meta_edges_free(edges, n);
			kfree(edges);
			return cell_errf(b->why, E_NOMEM, "out of memory for dependencies");
		}
	}
	*out = edges;
	*nout = n;
	return E_OK;
}

static void
batch_drop(struct batch *b, bool committed)
{
	for (size_t i = 0; i < b->n; i++) {
		struct load_obj *o = &b->obj[i];
		if (!committed && o->cell)
			meta_free_cell(o->cell);
		kfree(o->sec_addr);
		kfree(o->sec_meta);
	}
	kfree(b->deps);
}

static int
run_batch(struct batch *b)
{
	int err = close_batch(b);
	for (size_t i = 0; !err && i < b->n; i++)
		err = layout(b, &b->obj[i]);
	for (size_t i = 0; !err && i < b->n; i++)
		err = collect_symbols(b, &b->obj[i]);
	for (size_t i = 0; !err && i < b->n; i++)
		err = link_obj(b, &b->obj[i]);
	for (size_t i = 0; !err && i < b->n; i++)
		protect(&b->obj[i]);
	struct cell_dep **edges = NULL;
	size_t nedges = 0;
	if (!err)
		err = make_edges(b, &edges, &nedges);
	size_t nsyms = 0;
	for (size_t i = 0; !err && i < b->n; i++)
		nsyms += b->obj[i].cell->is_app ? 0 : b->obj[i].cell->nsyms;
	if (!err)
		err = symmap_reserve(&b->ns->map, nsyms);
	if (!err && meta_index_reserve(b->n))
		err = cell_errf(b->why, E_NOMEM, "out of memory for the address index");
	if (err) {
		meta_edges_free(edges, nedges);
		kfree(edges);
		batch_drop(b, false);
		cell_tls_reset(b->tls_mark);
		return err;
	}
	/* commit: nothing below fails */
	commit(b, edges, nedges);
	meta_index_publish();
	kfree(edges);
	for (size_t i = 0; i < b->n; i++) {
		struct cell *c = b->obj[i].cell;
		c->load_ns = tsc_ns() - b->obj[i].t0;
		/* application loads are routine after boot: debug level */
		log_write(c->is_app ? LOG_DEBUG : LOG_INFO, LOG_TAG,
			 "loaded %-12s text %#lx+%-6lu rodata %#lx+%-6lu data %#lx+%-6lu %3zu sections, %lu us",
			 c->name, c->start[REGION_TEXT], c->size[REGION_TEXT], c->start[REGION_RODATA],
			 c->size[REGION_RODATA], c->start[REGION_DATA], c->size[REGION_DATA], c->nsections,
			 c->load_ns / 1000);
	}
	batch_drop(b, true);
	return E_OK;
}

static struct batch *
batch_new(struct cell_ns *ns, struct cell_error *why)
{
	struct batch *b = KNEW(struct batch);
	if (!b)
		return NULL;
	b->ns = ns;
	b->why = why;
	b->tls_mark = cell_tls_mark();
	return b;
}

/* run a gathered batch (err: how the gathering went) and free it */
static int
batch_finish(struct batch *b, int err)
{
	if (err)
		batch_drop(b, false);
	else
		err = run_batch(b);
	kfree(b);
	return err;
}

int
cell_load(struct cell_ns *ns, const char *const *names, size_t n, struct cell_error *why)
{
	return cell_load_batch(ns, names, NULL, NULL, n, why);
}

int
cell_load_batch(struct cell_ns *ns, const char *const *names, const void *const *images,
		const size_t *sizes, size_t n, struct cell_error *why)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock(); /* loads are serialized */
	struct batch *b = batch_new(ns, why);
	if (!b)
		return cell_errf(why, E_NOMEM, "out of memory");
	int err = E_OK;
	for (size_t i = 0; i < n && !err; i++) {
		const void *image = images && images[i] ? images[i] : NULL;
		if (!image && batch_find(b, names[i]))
			continue; /* a module named twice */
		err = add_object(b, names[i], image, image ? sizes[i] : 0);
	}
	return batch_finish(b, err);
}

int
cell_load_image(struct cell_ns *ns, const char *name, const void *data, size_t size,
		struct cell_error *why)
{
	_cleanup_(cell_mgr_unlockp) void *guard = cell_mgr_lock(); /* loads are serialized */
	struct batch *b = batch_new(ns, why);
	if (!b)
		return cell_errf(why, E_NOMEM, "out of memory");
	int err = add_object(b, name, data, size);
	return batch_finish(b, err);
}

/* what applications may call (see cell.h, EXPORT_APP) */
EXPORT_APP(section_kind_str);
EXPORT_APP(cell_load);
