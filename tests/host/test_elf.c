/*
 * Host unit tests for libs/elf: the cell-object validator on real objects
 * gcc builds during the test and on corrupted copies of them, and the
 * relocation arithmetic against what ld writes for the same object.
 *
 * HOST_TEST_SOURCES: libs/elf/elf_parse.c libs/elf/elf_reloc.c libs/fmt/fmt.c libs/base/err.c
 * HOST_TEST_SOURCE_CFLAGS: -Dsnprintf=k_snprintf -Dvsnprintf=k_vsnprintf
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf.h"
#include "base.h"

#define WORK "build/host/elf"

static uint8_t *
slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = aligned_alloc(8, ((size_t)n + 7) & ~7UL);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static int
sh(const char *cmd)
{
	int rc = system(cmd);
	if (rc)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* the sample object, built once for the whole file */
static uint8_t *obj;
static size_t obj_size;

static int
setup(void **state)
{
	(void)state;
	if (sh("mkdir -p " WORK " && gcc -c -O2 -ffreestanding -fno-pic -mcmodel=kernel "
	       "-ffunction-sections -fdata-sections -fno-common -fno-asynchronous-unwind-tables "
	       "tests/host/data/reloc_sample.c -o " WORK "/sample.o && "
	       "gcc -c -O2 -ffreestanding -fno-pic -mcmodel=kernel -fno-common "
	       "tests/host/data/reloc_ext.c -o " WORK "/ext.o"))
		return -1;
	obj = slurp(WORK "/sample.o", &obj_size);
	return obj ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	free(obj);
	return 0;
}

/* a private, 8-aligned copy the test may corrupt */
static uint8_t *
copy_obj(void)
{
	uint8_t *c = aligned_alloc(8, (obj_size + 7) & ~7UL);
	assert_non_null(c);
	memcpy(c, obj, obj_size);
	return c;
}

static void
parses_real_object(void **state)
{
	(void)state;
	struct elf_obj o;
	struct elf_error why;
	assert_int_equal(elf_parse(obj, obj_size, &o, &why), E_OK);
	assert_true(o.nsyms > 5);
	int found = 0;
	for (size_t i = 1; i < o.nsyms; i++)
		if (!strcmp(elf_symbol_name(&o, &o.syms[i]), "sample"))
			found = 1;
	assert_true(found);
	int text = 0;
	for (unsigned i = 1; i < o.shnum; i++)
		if (!strcmp(elf_section_name(&o, i), ".text.sample"))
			text = 1;
	assert_true(text);
}

struct corruption {
	const char *what;
	void (*apply)(uint8_t *c, size_t size, struct elf_obj *o);
	int err;
	const char *msg_part;
};

static Elf64_Shdr *shdrs(uint8_t *c) { return (Elf64_Shdr *)(c + ((Elf64_Ehdr *)c)->e_shoff); }
static unsigned find_type(struct elf_obj *o, uint32_t type)
{
	for (unsigned i = 1; i < o->shnum; i++)
		if (o->sh[i].sh_type == type)
			return i;
	return 0;
}

static void c_magic(uint8_t *c, size_t n, struct elf_obj *o) { (void)n; (void)o; c[1] = 'X'; }
static void c_class(uint8_t *c, size_t n, struct elf_obj *o) { (void)n; (void)o; c[4] = 1; }
static void c_type(uint8_t *c, size_t n, struct elf_obj *o) { (void)n; (void)o; ((Elf64_Ehdr *)c)->e_type = ET_EXEC; }
static void c_machine(uint8_t *c, size_t n, struct elf_obj *o) { (void)n; (void)o; ((Elf64_Ehdr *)c)->e_machine = 3; }
static void c_shoff(uint8_t *c, size_t n, struct elf_obj *o) { (void)o; ((Elf64_Ehdr *)c)->e_shoff = n - 8; }
static void c_shstrndx(uint8_t *c, size_t n, struct elf_obj *o) { (void)n; ((Elf64_Ehdr *)c)->e_shstrndx = (uint16_t)o->shnum; }
static void c_sect_past_end(uint8_t *c, size_t n, struct elf_obj *o)
{
	unsigned i = find_type(o, SHT_PROGBITS);
	shdrs(c)[i].sh_size = n;
}
static void c_sect_overlap(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	unsigned a = find_type(o, SHT_SYMTAB), b = find_type(o, SHT_RELA);
	shdrs(c)[b].sh_offset = shdrs(c)[a].sh_offset;
}
static void c_oversized(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	for (unsigned i = 1; i < o->shnum; i++)
		if (shdrs(c)[i].sh_type == SHT_NOBITS)
			shdrs(c)[i].sh_size = 1UL << 40;
}
static void c_sym_shndx(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	Elf64_Sym *s = (Elf64_Sym *)(c + o->sh[o->symtab].sh_offset);
	for (size_t i = 1; i < o->nsyms; i++)
		if (s[i].st_shndx != SHN_UNDEF && s[i].st_shndx < SHN_ABS) {
			s[i].st_shndx = 0xff00;
			return;
		}
}
static void c_sym_name(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	Elf64_Sym *s = (Elf64_Sym *)(c + o->sh[o->symtab].sh_offset);
	s[1].st_name = 0x7fffffff;
}
static Elf64_Rela *first_rela(uint8_t *c, struct elf_obj *o)
{
	return (Elf64_Rela *)(c + o->sh[find_type(o, SHT_RELA)].sh_offset);
}
static void c_rel_type(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	Elf64_Rela *r = first_rela(c, o);
	r->r_info = (r->r_info & ~0xffffffffULL) | 200;
}
static void c_rel_sym(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	Elf64_Rela *r = first_rela(c, o);
	r->r_info = ((uint64_t)0xffffff << 32) | (uint32_t)r->r_info;
}
static void c_rel_place(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	first_rela(c, o)->r_offset = 1UL << 30;
}
static void c_no_symtab(uint8_t *c, size_t n, struct elf_obj *o)
{
	(void)n;
	shdrs(c)[o->symtab].sh_type = SHT_PROGBITS;
}

static void
corrupted_objects_are_rejected(void **state)
{
	(void)state;
	static const struct corruption cases[] = {
		{ "bad magic", c_magic, E_FORMAT, "magic" },
		{ "wrong class", c_class, E_FORMAT, "class" },
		{ "wrong type", c_type, E_FORMAT, "ET_REL" },
		{ "wrong machine", c_machine, E_FORMAT, "machine" },
		{ "section table outside", c_shoff, E_FORMAT, "section table" },
		{ "section name index", c_shstrndx, E_FORMAT, "name table" },
		{ "section past end", c_sect_past_end, E_FORMAT, "past the end" },
		{ "sections overlap", c_sect_overlap, E_FORMAT, "overlap" },
		{ "oversized section", c_oversized, E_FORMAT, "oversized" },
		{ "symbol section index", c_sym_shndx, E_FORMAT, "section index" },
		{ "symbol name", c_sym_name, E_FORMAT, "name offset" },
		{ "unknown relocation", c_rel_type, E_NOTSUP, "unknown relocation type 200" },
		{ "relocation symbol", c_rel_sym, E_FORMAT, "symbol index" },
		{ "relocation place", c_rel_place, E_FORMAT, "outside section" },
		{ "no symbol table", c_no_symtab, E_FORMAT, "no symbol table" },
	};
	struct elf_obj good;
	struct elf_error why;
	assert_int_equal(elf_parse(obj, obj_size, &good, &why), E_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *c = copy_obj();
		struct elf_obj o;
		cases[i].apply(c, obj_size, &good);
		int err = elf_parse(c, obj_size, &o, &why);
		if (err != cases[i].err || !strstr(why.msg, cases[i].msg_part))
			fail_msg("%s: got %d '%s', want %d containing '%s'", cases[i].what, err, why.msg,
				 cases[i].err, cases[i].msg_part);
		free(c);
	}
}

static void
truncated_objects_are_rejected(void **state)
{
	(void)state;
	struct elf_obj o;
	struct elf_error why;
	/* every prefix shorter than the section table's end must fail cleanly */
	for (size_t n = 0; n < obj_size; n += 7) {
		uint8_t *c = aligned_alloc(8, (n + 8) & ~7UL);
		memcpy(c, obj, n);
		int err = elf_parse(c, n, &o, &why);
		free(c);
		if (err == E_OK && n < obj_size - 64 * 2)
			fail_msg("prefix of %zu bytes accepted", n);
		if (err != E_OK && why.msg[0] == '\0')
			fail_msg("prefix of %zu bytes: error without a message", n);
	}
}

static void
random_corruption_never_crashes(void **state)
{
	(void)state;
	srand(1234);
	struct elf_obj o;
	struct elf_error why;
	int rejected = 0;
	for (int round = 0; round < 3000; round++) {
		uint8_t *c = copy_obj();
		int flips = 1 + rand() % 8;
		for (int k = 0; k < flips; k++)
			c[(size_t)rand() % obj_size] ^= (uint8_t)(1u << (rand() % 8));
		if (elf_parse(c, obj_size, &o, &why) != E_OK)
			rejected++;
		free(c);
	}
	assert_true(rejected > 100); /* the validator is not a no-op */
}

/*
 * Link sample.o + ext.o with ld at a known address (-Ttext etc. through a
 * script that keeps input sections in a known order), then redo every
 * relocation of sample.o ourselves using the addresses ld chose (from the
 * linked file's symbol table) and compare bytes.
 */
struct linked {
	uint8_t *data;
	size_t size;
	const Elf64_Shdr *sh;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strs;
	unsigned shnum;
};

static uint64_t
linked_sym(const struct linked *l, const char *name)
{
	for (size_t i = 0; i < l->nsyms; i++)
		if (!strcmp(l->strs + l->syms[i].st_name, name))
			return l->syms[i].st_value;
	fail_msg("linked symbol %s not found", name);
	return 0;
}

/* file bytes at virtual address va in the linked image */
static const uint8_t *
linked_at(const struct linked *l, uint64_t va)
{
	for (unsigned i = 1; i < l->shnum; i++) {
		const Elf64_Shdr *s = &l->sh[i];
		if ((s->sh_flags & SHF_ALLOC) && s->sh_type != SHT_NOBITS && va >= s->sh_addr &&
		    va < s->sh_addr + s->sh_size)
			return l->data + s->sh_offset + (va - s->sh_addr);
	}
	return NULL;
}

static void
relocations_match_ld(void **state)
{
	(void)state;
	/* each input section of sample.o gets a symbol at its start so we can
	 * find where ld placed it */
	FILE *f = fopen(WORK "/link.ld", "w");
	assert_non_null(f);
	struct elf_obj o;
	struct elf_error why;
	assert_int_equal(elf_parse(obj, obj_size, &o, &why), E_OK);
	fprintf(f, "SECTIONS {\n . = 0xFFFFFFFF80200000;\n");
	for (unsigned i = 1; i < o.shnum; i++) {
		if (!(o.sh[i].sh_flags & SHF_ALLOC) || !o.sh[i].sh_size)
			continue;
		fprintf(f, " .s%u : { __sec_%u = .; " WORK "/sample.o(%s) }\n", i, i, elf_section_name(&o, i));
	}
	fprintf(f, " .ext : { " WORK "/ext.o(.text .data .bss .rodata*) }\n /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame) }\n}\n");
	fclose(f);
	assert_int_equal(sh("ld --no-warn-rwx-segments -o " WORK "/linked.elf -T " WORK "/link.ld " WORK "/sample.o " WORK "/ext.o"), 0);

	struct linked l = { 0 };
	l.data = slurp(WORK "/linked.elf", &l.size);
	assert_non_null(l.data);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)l.data;
	l.sh = (const Elf64_Shdr *)(l.data + eh->e_shoff);
	l.shnum = eh->e_shnum;
	for (unsigned i = 1; i < l.shnum; i++)
		if (l.sh[i].sh_type == SHT_SYMTAB) {
			l.syms = (const Elf64_Sym *)(l.data + l.sh[i].sh_offset);
			l.nsyms = l.sh[i].sh_size / sizeof(Elf64_Sym);
			l.strs = (const char *)l.data + l.sh[l.sh[i].sh_link].sh_offset;
		}
	assert_non_null(l.syms);

	int checked = 0;
	for (unsigned i = 1; i < o.shnum; i++) {
		if (o.sh[i].sh_type != SHT_RELA)
			continue;
		unsigned target = o.sh[i].sh_info;
		if (!(o.sh[target].sh_flags & SHF_ALLOC))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "__sec_%u", target);
		uint64_t base = linked_sym(&l, name);
		const Elf64_Rela *r = (const Elf64_Rela *)(o.data + o.sh[i].sh_offset);
		for (size_t k = 0; k < o.sh[i].sh_size / sizeof(*r); k++) {
			const Elf64_Sym *s = &o.syms[ELF64_R_SYM(r[k].r_info)];
			uint64_t S;
			if (ELF64_ST_TYPE(s->st_info) == STT_SECTION) {
				snprintf(name, sizeof(name), "__sec_%u", s->st_shndx);
				S = linked_sym(&l, name);
			} else {
				S = linked_sym(&l, elf_symbol_name(&o, s));
			}
			uint64_t P = base + r[k].r_offset;
			uint32_t type = ELF64_R_TYPE(r[k].r_info);
			unsigned w = elf_reloc_width(type);
			uint8_t mine[8] = { 0 };
			assert_int_equal(elf_reloc_apply(type, mine, P, S, r[k].r_addend), E_OK);
			const uint8_t *theirs = linked_at(&l, P);
			assert_non_null(theirs);
			if (memcmp(mine, theirs, w))
				fail_msg("%s at %#lx differs from ld", elf_reloc_name(type), (unsigned long)P);
			checked++;
		}
	}
	assert_true(checked >= 6);
	free(l.data);
}

static void
reloc_range_checks(void **state)
{
	(void)state;
	uint8_t b[8];
	/* PC32 within +-2 GiB fits, beyond does not, and the place is untouched */
	memset(b, 0xAA, sizeof(b));
	assert_int_equal(elf_reloc_apply(R_X86_64_PC32, b, 0x1000, 0x1000ULL + 0x7ffffff0ULL, 0), E_OK);
	memset(b, 0xAA, sizeof(b));
	assert_int_equal(elf_reloc_apply(R_X86_64_PC32, b, 0x1000, 0x1000 + 0x80000000ULL, 0), E_RANGE);
	assert_int_equal(b[0], 0xAA);
	/* 32S: the top 2 GiB sign-extend, the next range down does not */
	assert_int_equal(elf_reloc_apply(R_X86_64_32S, b, 0, 0xFFFFFFFF80000000ULL, 0), E_OK);
	assert_int_equal(elf_reloc_apply(R_X86_64_32S, b, 0, 0xFFFFFFFF7FFFFFFFULL, 0), E_RANGE);
	/* 32: zero-extended */
	assert_int_equal(elf_reloc_apply(R_X86_64_32, b, 0, 0xFFFFFFFFULL, 0), E_OK);
	assert_int_equal(elf_reloc_apply(R_X86_64_32, b, 0, 0x100000000ULL, 0), E_RANGE);
	/* 64 and PC64 always fit; the addend is applied */
	assert_int_equal(elf_reloc_apply(R_X86_64_64, b, 0, 0x1122334455667788ULL, 8), E_OK);
	uint64_t v;
	memcpy(&v, b, 8);
	assert_true(v == 0x1122334455667790ULL);
	assert_int_equal(elf_reloc_apply(R_X86_64_PC64, b, 0x100, 0x50, -4), E_OK);
	memcpy(&v, b, 8);
	assert_true((int64_t)v == -0xb4);
	/* unknown and TLS types are refused, not guessed */
	assert_int_equal(elf_reloc_apply(200, b, 0, 0, 0), E_NOTSUP);
	assert_int_equal(elf_reloc_apply(R_X86_64_DTPOFF64, b, 0, 0, 0), E_NOTSUP);
	/* local-exec TLS: S is a (negative) thread-pointer offset */
	assert_int_equal(elf_reloc_apply(R_X86_64_TPOFF32, b, 0, (uint64_t)-64, 8), E_OK);
	int32_t tp;
	memcpy(&tp, b, 4);
	assert_int_equal(tp, -56);
	assert_int_equal(elf_reloc_apply(R_X86_64_TPOFF32, b, 0, (uint64_t)-(1LL << 32), 0), E_RANGE);
	assert_int_equal(elf_reloc_width(200), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_real_object),
		cmocka_unit_test(corrupted_objects_are_rejected),
		cmocka_unit_test(truncated_objects_are_rejected),
		cmocka_unit_test(random_corruption_never_crashes),
		cmocka_unit_test(relocations_match_ld),
		cmocka_unit_test(reloc_range_checks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
