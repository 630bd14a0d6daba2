/*
 * elf_parse.c: validation of cell objects. The order matters: nothing is
 * read before the bytes holding it are known to exist, and each check names
 * what it found so a malformed cell gives a useful error.
 */
#include "elf.h"
#include "base.h"
#include "fmt.h"
#include "klibc.h"

/* fill why (if not NULL) and return err */
#define fail(why, err, ...) FMT_ERRF(why, err, __VA_ARGS__)

/* [off, off+len) inside [0, size), overflow-safe */
static bool
in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

const char *
elf_section_name(const struct elf_obj *o, unsigned idx)
{
	if (idx >= o->shnum || o->sh[idx].sh_name >= o->shstr_len)
		return "?";
	return o->shstr + o->sh[idx].sh_name;
}

const char *
elf_symbol_name(const struct elf_obj *o, const Elf64_Sym *s)
{
	return s->st_name < o->strs_len ? o->strs + s->st_name : "?";
}

static int
check_header(const struct elf_obj *o, struct elf_error *why)
{
	const Elf64_Ehdr *eh = o->eh;

	if (o->size < sizeof(*eh))
		return fail(why, E_FORMAT, "truncated: %zu bytes, smaller than an ELF header", o->size);
	if (memcmp(eh->e_ident, "\177ELF", 4))
		return fail(why, E_FORMAT, "not an ELF file (bad magic)");
	if (eh->e_ident[4] != ELFCLASS64)
		return fail(why, E_FORMAT, "wrong class %u (want ELFCLASS64)", eh->e_ident[4]);
	if (eh->e_ident[5] != ELFDATA2LSB)
		return fail(why, E_FORMAT, "wrong byte order %u (want little-endian)", eh->e_ident[5]);
	if (eh->e_type != ET_REL)
		return fail(why, E_FORMAT, "wrong type %u (want ET_REL, a relocatable object)", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return fail(why, E_FORMAT, "wrong machine %u (want x86_64)", eh->e_machine);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return fail(why, E_FORMAT, "section header size %u (want 64)", eh->e_shentsize);
	if (eh->e_shnum == 0 || !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), o->size))
		return fail(why, E_FORMAT, "section table (%u entries at %#lx) outside the file",
			    eh->e_shnum, (unsigned long)eh->e_shoff);
	if (eh->e_shoff % 8)
		return fail(why, E_FORMAT, "misaligned section table at %#lx", (unsigned long)eh->e_shoff);
	return E_OK;
}

static int
check_sections(struct elf_obj *o, struct elf_error *why)
{
	unsigned ss = o->eh->e_shstrndx;

	if (ss >= o->shnum || o->sh[ss].sh_type != SHT_STRTAB)
		return fail(why, E_FORMAT, "section name table index %u out of range", ss);
	const Elf64_Shdr *st = &o->sh[ss];
	if (!in_file(st->sh_offset, st->sh_size, o->size) || st->sh_size == 0 ||
	    o->data[st->sh_offset + st->sh_size - 1] != '\0')
		return fail(why, E_FORMAT, "section name table malformed");
	o->shstr = (const char *)o->data + st->sh_offset;
	o->shstr_len = st->sh_size;

	for (unsigned i = 1; i < o->shnum; i++) {
		const Elf64_Shdr *s = &o->sh[i];
		if (s->sh_name >= o->shstr_len)
			return fail(why, E_FORMAT, "section %u: name offset %u out of range", i, s->sh_name);
		const char *n = o->shstr + s->sh_name;
		if (s->sh_addralign & (s->sh_addralign - 1))
			return fail(why, E_FORMAT, "section %u (%s): alignment %lu not a power of two", i, n,
				    (unsigned long)s->sh_addralign);
		if (s->sh_addralign > 4096)
			return fail(why, E_NOTSUP, "section %u (%s): alignment %lu above a page", i, n,
				    (unsigned long)s->sh_addralign);
		if ((s->sh_flags & SHF_ALLOC) && s->sh_size > ELF_MAX_SECTION)
			return fail(why, E_FORMAT, "section %u (%s): oversized (%lu bytes)", i, n,
				    (unsigned long)s->sh_size);
		if (s->sh_type == SHT_NOBITS || s->sh_type == SHT_NULL)
			continue;
		if (!in_file(s->sh_offset, s->sh_size, o->size))
			return fail(why, E_FORMAT, "section %u (%s): [%#lx, +%#lx) extends past the end of the file (%zu bytes)",
				    i, n, (unsigned long)s->sh_offset, (unsigned long)s->sh_size, o->size);
		/* no two sections may share file bytes */
		for (unsigned j = 1; j < i; j++) {
			const Elf64_Shdr *t = &o->sh[j];
			if (t->sh_type == SHT_NOBITS || t->sh_type == SHT_NULL || !s->sh_size || !t->sh_size)
				continue;
			if (s->sh_offset < t->sh_offset + t->sh_size && t->sh_offset < s->sh_offset + s->sh_size)
				return fail(why, E_FORMAT, "sections %u (%s) and %u (%s) overlap in the file", j,
					    elf_section_name(o, j), i, n);
		}
	}
	return E_OK;
}

static int
check_symtab(struct elf_obj *o, struct elf_error *why)
{
	unsigned found = 0;

	for (unsigned i = 1; i < o->shnum; i++) {
		if (o->sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (found)
			return fail(why, E_FORMAT, "more than one symbol table (sections %u and %u)", found, i);
		found = i;
	}
	if (!found)
		return fail(why, E_FORMAT, "no symbol table");
	const Elf64_Shdr *s = &o->sh[found];
	if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) || s->sh_offset % 8)
		return fail(why, E_FORMAT, "symbol table: bad entry size or alignment");
	if (s->sh_link == 0 || s->sh_link >= o->shnum || o->sh[s->sh_link].sh_type != SHT_STRTAB)
		return fail(why, E_FORMAT, "symbol table: string table index %u out of range", s->sh_link);
	const Elf64_Shdr *st = &o->sh[s->sh_link];
	if (st->sh_size == 0 || o->data[st->sh_offset + st->sh_size - 1] != '\0')
		return fail(why, E_FORMAT, "symbol string table not NUL-terminated");
	o->symtab = found;
	o->syms = (const Elf64_Sym *)(o->data + s->sh_offset);
	o->nsyms = s->sh_size / sizeof(Elf64_Sym);
	o->strs = (const char *)o->data + st->sh_offset;
	o->strs_len = st->sh_size;

	for (size_t k = 1; k < o->nsyms; k++) {
		const Elf64_Sym *y = &o->syms[k];
		if (y->st_name >= o->strs_len)
			return fail(why, E_FORMAT, "symbol %zu: name offset %u out of range", k, y->st_name);
		uint16_t shn = y->st_shndx;
		if (shn == SHN_UNDEF || shn == SHN_ABS)
			continue;
		if (shn == SHN_COMMON)
			return fail(why, E_NOTSUP, "symbol %zu (%s): COMMON symbols unsupported (build with -fno-common)",
				    k, elf_symbol_name(o, y));
		if (shn >= o->shnum)
			return fail(why, E_FORMAT, "symbol %zu (%s): section index %u out of range", k,
				    elf_symbol_name(o, y), shn);
		const Elf64_Shdr *t = &o->sh[shn];
		unsigned type = ELF64_ST_TYPE(y->st_info);
		if (type != STT_SECTION && type != STT_FILE &&
		    (y->st_value > t->sh_size || y->st_size > t->sh_size - y->st_value))
			return fail(why, E_FORMAT, "symbol %zu (%s): [%#lx, +%#lx) outside its section %u (%lu bytes)",
				    k, elf_symbol_name(o, y), (unsigned long)y->st_value,
				    (unsigned long)y->st_size, shn, (unsigned long)t->sh_size);
	}
	return E_OK;
}

static int
check_relocs(const struct elf_obj *o, struct elf_error *why)
{
	for (unsigned i = 1; i < o->shnum; i++) {
		const Elf64_Shdr *s = &o->sh[i];
		if (s->sh_type == 9 /* SHT_REL */)
			return fail(why, E_NOTSUP, "section %u (%s): REL relocations unsupported (x86_64 uses RELA)",
				    i, elf_section_name(o, i));
		if (s->sh_type != SHT_RELA)
			continue;
		const char *n = elf_section_name(o, i);
		if (s->sh_entsize != sizeof(Elf64_Rela) || s->sh_size % sizeof(Elf64_Rela) || s->sh_offset % 8)
			return fail(why, E_FORMAT, "section %u (%s): bad relocation entry size", i, n);
		if (s->sh_link != o->symtab)
			return fail(why, E_FORMAT, "section %u (%s): symbol table index %u is not the symbol table", i, n,
				    s->sh_link);
		if (s->sh_info == 0 || s->sh_info >= o->shnum)
			return fail(why, E_FORMAT, "section %u (%s): target section %u out of range", i, n, s->sh_info);
		const Elf64_Shdr *t = &o->sh[s->sh_info];
		const Elf64_Rela *r = (const Elf64_Rela *)(o->data + s->sh_offset);
		for (size_t k = 0; k < s->sh_size / sizeof(*r); k++) {
			uint32_t type = ELF64_R_TYPE(r[k].r_info);
			uint32_t sym = ELF64_R_SYM(r[k].r_info);
			unsigned w = elf_reloc_width(type);
			if (!w)
				return fail(why, E_NOTSUP, "%s entry %zu: unknown relocation type %u", n, k, type);
			if (sym >= o->nsyms)
				return fail(why, E_FORMAT, "%s entry %zu: symbol index %u out of range (%zu symbols)", n, k,
					    sym, o->nsyms);
			if (r[k].r_offset > t->sh_size || w > t->sh_size - r[k].r_offset)
				return fail(why, E_FORMAT, "%s entry %zu: place %#lx+%u outside section %s (%lu bytes)", n,
					    k, (unsigned long)r[k].r_offset, w, elf_section_name(o, s->sh_info),
					    (unsigned long)t->sh_size);
		}
	}
	return E_OK;
}

int
elf_parse(const void *data, size_t size, struct elf_obj *o, struct elf_error *why)
{
	memset(o, 0, sizeof(*o));
	if (why)
		why->msg[0] = '\0';
	o->data = data;
	o->size = size;
	o->eh = data;
	if (!data)
		return fail(why, E_FORMAT, "no data");
	if ((uintptr_t)data % 8)
		return fail(why, E_ALIGN, "object not 8-byte aligned in memory");
	int err = check_header(o, why);
	if (err)
		return err;
	o->sh = (const Elf64_Shdr *)(o->data + o->eh->e_shoff);
	o->shnum = o->eh->e_shnum;
	err = check_sections(o, why);
	if (!err)
		err = check_symtab(o, why);
	if (!err)
		err = check_relocs(o, why);
	return err;
}
