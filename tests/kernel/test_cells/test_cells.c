/*
 * test_cells: the cell manager. Load, call through the symbol map, walk
 * dependencies both ways, unload with every frame, page and heap byte
 * returned (the runner checks), and refuse every kind of malformed cell
 * with a clear error while leaving the system as it was.
 */
#include "cell_mgr.h"
#include "elf.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "ktest.h"
#include "logger.h"

static struct cell_ns *K(void) { return cell_ns_kernel(); }

static struct section *
section_named(struct cell *c, const char *name)
{
	return FIND_NAMED(c->sections, c->nsections, name);
}

static bool
depends_on(const struct section *from, const struct section *to)
{
	for (const struct cell_dep *d = from->deps_out; d; d = d->next_out)
		if (d->to == to && d->nrelocs > 0)
			return true;
	return false;
}

static bool
depended_on_by(const struct section *to, const struct section *from)
{
	for (const struct cell_dep *d = to->deps_in; d; d = d->next_in)
		if (d->from == from)
			return true;
	return false;
}

KTEST(load_call_walk_unload)
{
	struct cell_error why;
	struct cell_stats before, after;
	cell_stats(K(), &before);
	static const char *const pair[] = { "cellfix_a", "cellfix_b" };
	KT_OK(cell_load(K(), pair, 2, &why)); /* circular: a needs b, b needs a */
	struct cell *a = cell_find(K(), "cellfix_a"), *b = cell_find(K(), "cellfix_b");
	KT_ASSERT(a && b && !a->nano_core);

	/* call through the symbol map */
	uint64_t fn = cell_sym_addr(K(), "cellfix_a_calls_b");
	KT_ASSERT(fn >= a->start[REGION_TEXT] && fn < a->start[REGION_TEXT] + a->size[REGION_TEXT]);
	KT_EQ(((int (*)(int))(uintptr_t)fn)(3), 2 * 3 + 100 + 5);

	/* bounds: three regions, no page shared */
	KT_ASSERT(IS_ALIGNED(a->start[REGION_TEXT], PAGE_SIZE) && IS_ALIGNED(b->start[REGION_TEXT], PAGE_SIZE));
	KT_ASSERT(a->size[REGION_DATA] >= sizeof(int)); /* cellfix_a_counter */

	/* dependencies, both directions */
	struct section *a_calls = section_named(a, ".text.cellfix_a_calls_b");
	struct section *a_base = section_named(a, ".text.cellfix_a_base");
	struct section *b_twice = section_named(b, ".text.cellfix_b_twice");
	KT_ASSERT(a_calls && a_base && b_twice);
	KT_ASSERT(depends_on(a_calls, b_twice) && depended_on_by(b_twice, a_calls));
	KT_ASSERT(depends_on(b_twice, a_base) && depended_on_by(a_base, b_twice));
	KT_ASSERT(cell_sym_section(K(), "cellfix_b_twice") == b_twice);
	KT_ASSERT(b_twice->global && b_twice->kind == SEC_TEXT);

	/* a third cell that uses a (and the nano_core's heap) */
	static const char *const user[] = { "cellfix_user" };
	KT_OK(cell_load(K(), user, 1, &why));
	struct cell *u = cell_find(K(), "cellfix_user");
	KT_ASSERT(u);
	struct section *run = section_named(u, ".text.cellfix_user_run");
	KT_ASSERT(run && depends_on(run, a_calls));
	struct section *km = cell_sym_section(K(), "kmalloc");
	KT_ASSERT(km && km->cell->nano_core && !strcmp(km->cell->name, "heap"));
	KT_ASSERT(depends_on(run, km) && depended_on_by(km, run));
	KT_EQ(((int (*)(void))(uintptr_t)cell_sym_addr(K(), "cellfix_user_run"))(), 2 + 100 + 5 + 1);

	/* a cell in use cannot go; a alone cannot go (b needs it) */
	struct cell *only_a[] = { a };
	KT_EQ(cell_unload(only_a, 1, &why), E_BUSY);
	KT_ASSERT(strstr(why.msg, "cellfix_a is used by cell cellfix_user"));
	struct cell *only_u[] = { u };
	KT_OK(cell_unload(only_u, 1, &why));
	KT_ASSERT(!depended_on_by(km, run)); /* the edge left with the cell */
	KT_EQ(cell_unload(only_a, 1, &why), E_BUSY);
	KT_ASSERT(strstr(why.msg, "used by cell cellfix_b"));
	struct cell *both[] = { a, b };
	KT_OK(cell_unload(both, 2, &why));
	KT_ASSERT(!cell_find(K(), "cellfix_a") && !cell_sym_addr(K(), "cellfix_a_calls_b"));
	cell_stats(K(), &after);
	KT_EQ(after.cells, before.cells);
	KT_EQ(after.symbols, before.symbols);
	KT_EQ(after.deps, before.deps);
}

KTEST(address_lookups)
{
	uint64_t km = cell_sym_addr(K(), "kmalloc");
	KT_ASSERT(km);
	struct cell *c = cell_at(km + 1);
	KT_ASSERT(c && !strcmp(c->name, "heap"));
	struct section *s = cell_section_at(km + 1);
	KT_ASSERT(s && !strcmp(s->name, "kmalloc"));
	uint64_t off;
	const char *cell = NULL;
	KT_ASSERT(!strcmp(cell_symbolize(km + 2, &off, &cell), "kmalloc") && off == 2);
	KT_ASSERT(!strcmp(cell, "heap"));
	/* a loaded cell: this very test */
	s = cell_section_at((uint64_t)(uintptr_t)&section_named);
	KT_ASSERT(s && !strcmp(s->cell->name, "test_cells") && !strcmp(s->name, ".text.section_named"));
	KT_ASSERT(cell_at(0x1000) == NULL);
}

KTEST(apps_link_only_to_exports)
{
	struct cell_error why;
	struct cell_stats before, after;
	cell_stats(cell_ns_apps(), &before);
	static const char *const bad[] = { "cellfix_app" };
	KT_EQ(cell_load(cell_ns_apps(), bad, 1, &why), E_PERM);
	KT_ASSERT(strstr(why.msg, "app cellfix_app: symbol frames_alloc (in cell frame_alloc) is not exported"));
	static const char *const hello[] = { "hello" };
	KT_OK(cell_load(cell_ns_apps(), hello, 1, &why));
	struct cell *h = cell_find(cell_ns_apps(), "hello");
	KT_ASSERT(h && h->is_app);
	KT_ASSERT(cell_find(K(), "hello") == NULL);
	uint64_t main_fn = cell_own_symbol(h, "main");
	KT_ASSERT(main_fn);
	char *argv[] = { "hello", "from", "test_cells", NULL };
	KT_EQ(((int (*)(int, char **))(uintptr_t)main_fn)(3, argv), 0);
	struct cell *hs[] = { h };
	KT_OK(cell_unload(hs, 1, &why));
	cell_stats(cell_ns_apps(), &after);
	KT_EQ(after.cells, before.cells);
}

KTEST(namespaces_fall_back_to_parent)
{
	struct cell_error why;
	struct cell_ns *ns = cell_ns_create("personality", K(), false);
	KT_ASSERT(ns);
	static const char *const pair[] = { "cellfix_a", "cellfix_b" };
	int err = cell_load(ns, pair, 2, &why);
	if (err) {
		int e2 = cell_ns_destroy(ns, &why);
		(void)e2;
		KT_FAIL("load into a new namespace: %s", why.msg);
	}
	KT_ASSERT(cell_sym_addr(ns, "cellfix_a_calls_b") != 0);
	KT_ASSERT(cell_sym_addr(K(), "cellfix_a_calls_b") == 0); /* not in the parent */
	KT_ASSERT(cell_sym_addr(ns, "kmalloc") == cell_sym_addr(K(), "kmalloc"));
	KT_OK(cell_ns_destroy(ns, &why));
}

KTEST(load_errors_leave_system_unchanged)
{
	struct cell_error why;
	struct cell_stats before, after;
	cell_stats(K(), &before);
	static const char *const undef[] = { "cellfix_undef" };
	KT_EQ(cell_load(K(), undef, 1, &why), E_NOENT);
	KT_ASSERT(strstr(why.msg, "cell cellfix_undef: undefined symbol no_such_function_anywhere"));
	static const char *const missing[] = { "no_such_cell" };
	KT_EQ(cell_load(K(), missing, 1, &why), E_NOENT);
	KT_ASSERT(strstr(why.msg, "no_such_cell: no such boot module"));
	static const char *const again[] = { "captain" };
	KT_EQ(cell_load(K(), again, 1, &why), E_EXIST);
	cell_stats(K(), &after);
	KT_EQ(after.cells, before.cells);
	KT_EQ(after.symbols, before.symbols);
}

/* a cell that links to a cell its deps file does not declare is refused,
 * naming both, and nothing changes */
KTEST(undeclared_dependency_refused)
{
	struct cell_error why;
	struct cell_stats before, after;
	cell_stats(K(), &before);
	static const char *const names[] = { "cellfix_undeclared" };
	KT_EQ(cell_load(K(), names, 1, &why), E_PERM);
	KT_ASSERT(strstr(why.msg, "cell cellfix_undeclared links to cell tsc (symbol tsc_ns), "
				  "which cellfix_undeclared does not declare"));
	KT_ASSERT(!cell_find(K(), "cellfix_undeclared"));
	cell_stats(K(), &after);
	KT_EQ(after.cells, before.cells);
	KT_EQ(after.symbols, before.symbols);
	KT_EQ(after.deps, before.deps);
}

static size_t undeclared_seen;
static void
note_undeclared(void *ctx, const struct section *from, const struct section *to)
{
	(void)ctx;
	kprintf("  undeclared: cell %s (%s) -> cell %s (%s)\n", from->cell->name, from->name, to->cell->name,
	       to->name);
	undeclared_seen++;
}

/* the run-time graph matches the declarations: every edge of every loaded
 * cell (nano_core cells included) goes to a cell its deps file declares */
KTEST(runtime_graph_matches_declarations)
{
	/* the declarations travelled with the cells, nano_core ones too */
	struct cell *heap = cell_find(K(), "heap"), *fix = NULL;
	KT_ASSERT(heap && heap->nano_core && heap->deps);
	KT_ASSERT(cell_declares(heap, "memory"));
	KT_ASSERT(!cell_declares(heap, "vga"));
	KT_ASSERT(!cell_declares(heap, "heap")); /* its own name is not a declaration */
	struct cell_error why;
	static const char *const ab[] = { "cellfix_a", "cellfix_b" };
	KT_OK(cell_load(K(), ab, 2, &why)); /* module cells */
	fix = cell_find(K(), "cellfix_a");
	KT_ASSERT(fix && !fix->nano_core && cell_declares(fix, "cellfix_b"));

	size_t pairs = 0, apairs = 0;
	undeclared_seen = 0;
	KT_EQ(cell_deps_verify(K(), note_undeclared, NULL, &pairs), 0);
	KT_EQ(cell_deps_verify(cell_ns_apps(), note_undeclared, NULL, &apairs), 0);
	KT_EQ(undeclared_seen, 0);
	kprintf("  %zu kernel and %zu app cell-to-cell edges, all declared\n", pairs, apairs);
	KT_ASSERT(pairs > 50); /* the checker saw the real graph */

	struct cell *both[] = { fix, cell_find(K(), "cellfix_b") };
	KT_ASSERT(both[1]);
	KT_OK(cell_unload(both, 2, &why));
}

KTEST(duplicate_global_symbols_refused)
{
	struct cell_error why;
	static const char *const pair[] = { "cellfix_a", "cellfix_b" };
	KT_OK(cell_load(K(), pair, 2, &why));
	void *img;
	size_t size;
	int err = cell_module_copy("cellfix_a", &img, &size);
	struct cell *a = cell_find(K(), "cellfix_a"), *b = cell_find(K(), "cellfix_b");
	struct cell *both[] = { a, b };
	if (!err) {
		err = cell_load_image(K(), "cellfix_a_again", img, size, &why);
		kfree(img);
	}
	int e2 = cell_unload(both, 2, &why);
	KT_EQ(err, E_EXIST);
	KT_ASSERT(e2 == E_OK);
	KT_ASSERT(cell_find(K(), "cellfix_a_again") == NULL);
}

/* ---- corrupted copies of a real cell ---- */

struct corrupt_case {
	const char *what;
	int err;
	const char *msg;
};

static Elf64_Shdr *shdr(uint8_t *img) { return (Elf64_Shdr *)(img + ((Elf64_Ehdr *)img)->e_shoff); }

static int
find_sec(uint8_t *img, uint32_t type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	for (int i = 1; i < eh->e_shnum; i++)
		if (shdr(img)[i].sh_type == type)
			return i;
	return -1;
}

/* apply corruption #k; returns the (possibly shortened) size */
static size_t
corrupt(uint8_t *img, size_t size, int k)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	int rela = find_sec(img, SHT_RELA), symtab = find_sec(img, SHT_SYMTAB);
	Elf64_Rela *r = (Elf64_Rela *)(img + shdr(img)[rela].sh_offset);
	Elf64_Sym *sym = (Elf64_Sym *)(img + shdr(img)[symtab].sh_offset);
	switch (k) {
	case 0: return size / 2;                        /* truncated */
	case 1: eh->e_ident[4] = 1; break;               /* 32-bit class */
	case 2: eh->e_machine = 40; break;               /* ARM */
	case 3: eh->e_type = ET_EXEC; break;             /* not relocatable */
	case 4: eh->e_shstrndx = eh->e_shnum + 3; break; /* section index */
	case 5: shdr(img)[rela].sh_info = eh->e_shnum + 1; break;
	case 6: shdr(img)[rela].sh_size = size * 2; break; /* past the end */
	case 7: shdr(img)[rela].sh_offset = shdr(img)[symtab].sh_offset; break; /* overlap */
	case 8: {                                         /* oversized */
		int bss = find_sec(img, SHT_NOBITS);
		if (bss < 0)
			bss = find_sec(img, SHT_PROGBITS);
		shdr(img)[bss].sh_type = SHT_NOBITS;
		shdr(img)[bss].sh_flags |= SHF_ALLOC;
		shdr(img)[bss].sh_size = 1UL << 40;
		break;
	}
	case 9: r[0].r_info = (r[0].r_info & ~0xffffffffULL) | 99; break;   /* unknown type */
	case 10: r[0].r_info = ((uint64_t)0xfffff << 32) | (uint32_t)r[0].r_info; break;
	case 11: {                                        /* out of reach */
		for (size_t i = 0; i < shdr(img)[rela].sh_size / sizeof(*r); i++) {
			uint32_t t = ELF64_R_TYPE(r[i].r_info);
			if (t == R_X86_64_PC32 || t == R_X86_64_PLT32 || t == R_X86_64_32S) {
				r[i].r_addend += 1LL << 33;
				break;
			}
		}
		break;
	}
	case 12: sym[1].st_shndx = 0xfe00; break;        /* symbol section */
	case 13:                                           /* a symbol renamed to nothing known */
		for (size_t i = 1; i < shdr(img)[symtab].sh_size / sizeof(*sym); i++)
			if (sym[i].st_shndx == SHN_UNDEF && sym[i].st_name) {
				char *n = (char *)img + shdr(img)[shdr(img)[symtab].sh_link].sh_offset + sym[i].st_name;
				n[0] = 'Q'; /* e.g. "Qellfix_b_twice" */
				break;
			}
		break;
	}
	return size;
}

KTEST(malformed_cells_rejected)
{
	static const struct corrupt_case cases[] = {
		{ "truncated", E_FORMAT, "outside the file" },
		{ "wrong class", E_FORMAT, "wrong class" },
		{ "wrong machine", E_FORMAT, "wrong machine" },
		{ "wrong type", E_FORMAT, "ET_REL" },
		{ "section name index", E_FORMAT, "section name table index" },
		{ "relocation target", E_FORMAT, "target section" },
		{ "section past end", E_FORMAT, "past the end of the file" },
		{ "overlapping sections", E_FORMAT, "overlap" },
		{ "oversized section", E_FORMAT, "oversized" },
		{ "unknown relocation", E_NOTSUP, "unknown relocation type 99" },
		{ "relocation symbol", E_FORMAT, "symbol index" },
		{ "out of reach", E_RANGE, "out of reach" },
		{ "symbol section", E_FORMAT, "section index" },
		{ "undefined symbol", E_NOENT, "undefined symbol Q" },
	};
	struct cell_stats before, after;
	cell_stats(K(), &before);
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		void *img;
		size_t size;
		KT_OK(cell_module_copy("cellfix_user", &img, &size));
		size_t n = corrupt(img, size, (int)k);
		struct cell_error why = { "" };
		int err = cell_load_image(K(), "corrupt", img, n, &why);
		kfree(img);
		if (err != cases[k].err || !strstr(why.msg, cases[k].msg) || !strstr(why.msg, "corrupt"))
			KT_FAIL("%s: got %s '%s', want %s containing '%s'", cases[k].what, err_str(err), why.msg,
				err_str(cases[k].err), cases[k].msg);
		KT_ASSERT(cell_find(K(), "corrupt") == NULL);
	}
	cell_stats(K(), &after);
	KT_EQ(after.cells, before.cells);
	KT_EQ(after.symbols, before.symbols);
	KT_EQ(after.deps, before.deps);
}
