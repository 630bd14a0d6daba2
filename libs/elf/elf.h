/*
 * elf: ELF64 on-disk structures (System V ABI, x86_64 supplement), a
 * strict validator for relocatable objects (cells), and the x86_64
 * relocation arithmetic. Pure logic: also built, unit-tested and fuzzed on
 * the host. Every offset, size and index in a cell object is checked by
 * elf_parse() before anything else reads it; errors name the problem.
 * No state.
 */
#ifndef ELF_H
#define ELF_H

#include "base.h"

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_REL 1
#define ET_EXEC 2
#define EM_X86_64 62

#define SHT_NULL 0
#define SHT_PROGBITS 1
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define SHT_RELA 4
#define SHT_NOBITS 8
#define SHT_X86_64_UNWIND 0x70000001

#define SHF_WRITE 0x1
#define SHF_ALLOC 0x2
#define SHF_EXECINSTR 0x4
#define SHF_TLS 0x400

#define SHN_UNDEF 0
#define SHN_ABS 0xfff1
#define SHN_COMMON 0xfff2

#define STB_LOCAL 0
#define STB_GLOBAL 1
#define STB_WEAK 2
#define STT_NOTYPE 0
#define STT_OBJECT 1
#define STT_FUNC 2
#define STT_SECTION 3
#define STT_FILE 4
#define ELF64_ST_BIND(i) ((i) >> 4)
#define ELF64_ST_TYPE(i) ((i) & 0xf)
#define ELF64_R_SYM(i) ((uint32_t)((i) >> 32))
#define ELF64_R_TYPE(i) ((uint32_t)(i))

typedef struct {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	uint32_t sh_name, sh_type;
	uint64_t sh_flags, sh_addr, sh_offset, sh_size;
	uint32_t sh_link, sh_info;
	uint64_t sh_addralign, sh_entsize;
} Elf64_Shdr;

typedef struct {
	uint32_t st_name;
	unsigned char st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
} Elf64_Sym;

typedef struct {
	uint64_t r_offset, r_info;
	int64_t r_addend;
} Elf64_Rela;

compile_assert(ehdr_size, sizeof(Elf64_Ehdr) == 64);
compile_assert(shdr_size, sizeof(Elf64_Shdr) == 64);
compile_assert(sym_size, sizeof(Elf64_Sym) == 24);
compile_assert(rela_size, sizeof(Elf64_Rela) == 24);


/* x86_64 relocation types (psABI table 4.9) */
#define R_X86_64_NONE 0
#define R_X86_64_64 1
#define R_X86_64_PC32 2
#define R_X86_64_GOT32 3
#define R_X86_64_PLT32 4
#define R_X86_64_GOTPCREL 9
#define R_X86_64_32 10
#define R_X86_64_32S 11
#define R_X86_64_16 12
#define R_X86_64_PC16 13
#define R_X86_64_8 14
#define R_X86_64_PC8 15
#define R_X86_64_DTPOFF64 17
#define R_X86_64_TPOFF64 18
#define R_X86_64_TPOFF32 23
#define R_X86_64_PC64 24
#define R_X86_64_GOTPCRELX 41
#define R_X86_64_REX_GOTPCRELX 42

#define ELF_MAX_SECTION (64UL << 20) /* no cell section is larger */
#define ELF_ERR_MAX 160

struct elf_error {
	char msg[ELF_ERR_MAX];
};

/* a validated view of an object file held in memory */
struct elf_obj {
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	unsigned shnum;
	const char *shstr;
	size_t shstr_len;
	unsigned symtab;          /* section index of .symtab */
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strs;
	size_t strs_len;
};

/* Validate `size` bytes at `data` as an x86_64 ELF64 relocatable object:
 * header, section table, names, symbol table, every symbol and every
 * relocation (known type, symbol in range, target inside its section).
 * E_OK, or E_FORMAT / E_NOTSUP with why->msg saying what is wrong. */
int elf_parse(const void *data, size_t size, struct elf_obj *out,
	      struct elf_error *why) __must_check;

const char *elf_section_name(const struct elf_obj *o, unsigned idx);
const char *elf_symbol_name(const struct elf_obj *o, const Elf64_Sym *s);
/* bytes a relocation of this type writes (0: unknown type) */
unsigned elf_reloc_width(uint32_t type);
const char *elf_reloc_name(uint32_t type);

/* Compute and write one relocation: S = symbol address, A = addend,
 * P = address of the place (where it will run), `place` = where to write
 * it now. GOT-relative forms are resolved by the loader before this call
 * (it passes the GOT slot as S). E_RANGE if the value does not fit
 * (target out of reach), E_NOTSUP for types we do not handle. The place is
 * written only on success. */
int elf_reloc_apply(uint32_t type, uint8_t *place, uint64_t P, uint64_t S,
		    int64_t A) __must_check;

#endif
