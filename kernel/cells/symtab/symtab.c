/*
 * symtab.c: read-only views of the mapped nano_core.syms module, every
 * offset and index bounds-checked through MappedPages accessors.
 */
#define LOG_TAG "symtab"
#include "symtab.h"
#include "elf.h"
#include "base.h"
#include "klibc.h"
#include "logger.h"
#include "multiboot2.h"
#include "memory.h"

#define MAX_CELLS 64
#define MODULE_NAME "nano_core.syms"

static struct mapped_pages *image;      /* owned for the system's lifetime */
static const Elf64_Sym *syms;
static size_t nsyms;
static const char *strs;
static size_t strs_len;
static const Elf64_Shdr *shdrs;  /* the module's section headers (its relocations) */
static unsigned nshdrs, symtab_index;
static struct symtab_cell cells[MAX_CELLS];
static size_t ncells;

static const char *
sym_name(const Elf64_Sym *s)
{
	return s->st_name < strs_len ? strs + s->st_name : "";
}

/* "__cell_<name>_<kind>_start|_end" -> fill the cell table */
static void
note_cell_symbol(const char *n, uint64_t v)
{
	/* in the order of struct symtab_cell's fields */
	static const char *const kinds[] = { "text", "rodata", "data", "bss", "deps" };
	if (!str_starts_with(n, "__cell_"))
		return;
	n += 7;
	size_t len = strlen(n);
	bool is_start = len > 6 && !strcmp(n + len - 6, "_start");
	bool is_end = len > 4 && !strcmp(n + len - 4, "_end");
	if (!is_start && !is_end)
		return;
	len -= is_start ? 6 : 4;
	for (unsigned k = 0; k < ARRAY_SIZE(kinds); k++) {
		size_t kl = strlen(kinds[k]);
		if (len <= kl + 1 || strncmp(n + len - kl, kinds[k], kl) || n[len - kl - 1] != '_')
			continue;
		size_t nl = len - kl - 1;
		if (nl >= sizeof(cells[0].name))
			return;
		struct symtab_cell *c = NULL;
		for (size_t i = 0; i < ncells; i++)
			if (strlen(cells[i].name) == nl && !strncmp(cells[i].name, n, nl))
				c = &cells[i];
		if (!c) {
			if (ncells == MAX_CELLS)
				return;
			c = &cells[ncells++];
			memcpy(c->name, n, nl);
			c->name[nl] = 0;
		}
		uint64_t *slot = &c->text_start + 2 * k + (is_end ? 1 : 0);
		*slot = v;
		return;
	}
}

static int
parse(void)
{
	int err;
	const Elf64_Ehdr *eh = MP_AS(image, Elf64_Ehdr, 0, &err);
	if (!eh)
		return err;
	if (memcmp(eh->e_ident, "\177ELF", 4) || eh->e_ident[4] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_shentsize != sizeof(Elf64_Shdr))
		return E_FORMAT;
	const Elf64_Shdr *sh = MP_AS_ARRAY(image, Elf64_Shdr, eh->e_shoff, eh->e_shnum, &err);
	if (!sh)
		return err;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *st = &sh[sh[i].sh_link];
		size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
		syms = MP_AS_ARRAY(image, Elf64_Sym, sh[i].sh_offset, n, &err);
		strs = mp_as(image, st->sh_offset, st->sh_size, &err);
		if (!syms || !strs)
			return E_FORMAT;
		nsyms = n;
		shdrs = sh;
		nshdrs = eh->e_shnum;
		symtab_index = i;
		strs_len = st->sh_size;
		if (strs_len == 0 || strs[strs_len - 1] != '\0')
			return E_FORMAT;
		for (size_t j = 0; j < nsyms; j++)
			note_cell_symbol(sym_name(&syms[j]), syms[j].st_value);
		return E_OK;
	}
	return E_NOENT;
}

int
symtab_init(const struct boot_info *bi)
{
	for (size_t i = 0; i < bi->nmodules; i++) {
		const struct mb2_module *m = &bi->modules[i];
		if (strcmp(m->name, MODULE_NAME))
			continue;
		int err;
		image = mp_map_phys(m->start, m->end - m->start, MP_READ, &err);
		if (!image)
			return err;
		err = parse();
		if (err) {
			syms = NULL;
			nsyms = 0;
			mp_drop(TAKE_PTR(image));
			return err;
		}
		log_info("%zu symbols, %zu nano_core cells", nsyms, ncells);
		return E_OK;
	}
	return E_NOENT;
}

const char *
symtab_lookup(uint64_t addr, uint64_t *off)
{
	const Elf64_Sym *best = NULL;

	for (size_t i = 0; i < nsyms; i++) {
		const Elf64_Sym *s = &syms[i];
		unsigned t = ELF64_ST_TYPE(s->st_info);
		if ((t != STT_FUNC && t != STT_OBJECT) || s->st_value > addr)
			continue;
		if (addr < s->st_value + (s->st_size ? s->st_size : 1)) {
			best = s;
			break;
		}
		/* no exact hit yet: remember the closest function below (asm) */
		if (!s->st_size && (!best || s->st_value > best->st_value))
			best = s;
	}
	if (!best)
		return NULL;
	*off = addr - best->st_value;
	return sym_name(best);
}

uint64_t
symtab_find(const char *name)
{
	for (size_t i = 0; i < nsyms; i++)
		if (ELF64_ST_BIND(syms[i].st_info) != STB_LOCAL && !strcmp(sym_name(&syms[i]), name))
			return syms[i].st_value;
	return 0;
}

const char *
symtab_cell_of(uint64_t addr)
{
	for (size_t i = 0; i < ncells; i++)
		if (addr >= cells[i].text_start && addr < cells[i].text_end)
			return cells[i].name;
	return "?";
}

size_t
symtab_cells(const struct symtab_cell **out)
{
	*out = cells;
	return ncells;
}

void
symtab_for_each(symtab_fn fn, void *ctx)
{
	for (size_t i = 1; i < nsyms; i++)
		fn(ctx, sym_name(&syms[i]), syms[i].st_value, syms[i].st_size,
		   ELF64_ST_TYPE(syms[i].st_info), ELF64_ST_BIND(syms[i].st_info));
}

void
symtab_for_each_rela(symtab_rela_fn fn, void *ctx)
{
	for (unsigned i = 0; i < nshdrs; i++) {
		const Elf64_Shdr *rs = &shdrs[i];
		if (rs->sh_type != SHT_RELA || rs->sh_link != symtab_index || rs->sh_info >= nshdrs ||
		    !(shdrs[rs->sh_info].sh_flags & SHF_ALLOC))
			continue;
		int err;
		size_t n = rs->sh_size / sizeof(Elf64_Rela);
		const Elf64_Rela *r = MP_AS_ARRAY(image, Elf64_Rela, rs->sh_offset, n, &err);
		if (!r) {
			log_warn("relocation section %u out of the module's bounds: skipped", i);
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			size_t si = ELF64_R_SYM(r[k].r_info);
			/* only references to global symbols can cross cells */
			if (!si || si >= nsyms || ELF64_ST_BIND(syms[si].st_info) == STB_LOCAL)
				continue;
			fn(ctx, r[k].r_offset, ELF64_R_TYPE(r[k].r_info), sym_name(&syms[si]), syms[si].st_value,
			   r[k].r_addend);
		}
	}
}
