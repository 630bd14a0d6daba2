/*
 * symtab: the nano_core's own ELF symbol table, loaded by GRUB as the boot
 * module "nano_core.syms" (the linked image minus debug info), used to
 * symbolize addresses in fault reports and backtraces, and to recover the
 * bounds of the cells statically linked into the nano_core from their
 * __cell_<name>_<kind>_start/_end symbols. Once the cell manager exists,
 * loaded cells answer the same questions from their own metadata.
 * State: the mapped module (kept for the system's lifetime) and the table
 * of nano_core cell bounds.
 */
#ifndef SYMTAB_H
#define SYMTAB_H

#include "base.h"

struct boot_info;

int symtab_init(const struct boot_info *bi) __must_check;
/* function or object containing addr, or NULL; *off = addr - symbol */
const char *symtab_lookup(uint64_t addr, uint64_t *off);
/* address of a global symbol by name; 0 if absent */
uint64_t symtab_find(const char *name);
/* name of the nano_core cell whose text holds addr, or "?" */
const char *symtab_cell_of(uint64_t addr);

struct symtab_cell {
	char name[32];
	uint64_t text_start, text_end, rodata_start, rodata_end;
	uint64_t data_start, data_end, bss_start, bss_end;
	uint64_t deps_start, deps_end;  /* its .cell_deps (declared cells) */
};
typedef void (*symtab_fn)(void *ctx, const char *name, uint64_t value, uint64_t size,
			  unsigned type, unsigned bind);
/* every symbol of the nano_core (names live as long as the system) */
void symtab_for_each(symtab_fn fn, void *ctx);
/* every relocation against a global symbol the static link applied (the
 * image is linked with --emit-relocs): its place, type, the symbol's name
 * and value, and the addend */
typedef void (*symtab_rela_fn)(void *ctx, uint64_t place, uint32_t type, const char *sym, uint64_t S,
			       int64_t addend);
void symtab_for_each_rela(symtab_rela_fn fn, void *ctx);
/* the nano_core's constituent cells, in link order */
size_t symtab_cells(const struct symtab_cell **out);

#endif
