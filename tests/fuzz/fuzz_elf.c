/*
 * libFuzzer target for the cell-object validator (libs/elf): any input
 * must be accepted or rejected with a message, never crash, hang or read
 * out of bounds (built with ASan/UBSan). When an input is accepted, every
 * relocation is also applied into a scratch buffer, as the loader would.
 * Run: make test-slow (FUZZ_SECONDS=600 by default).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = aligned_alloc(8, (size + 8) & ~7UL);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct elf_obj o;
	struct elf_error why;
	if (elf_parse(copy, size, &o, &why) == E_OK) {
		for (unsigned i = 1; i < o.shnum; i++) {
			if (o.sh[i].sh_type != SHT_RELA)
				continue;
			const Elf64_Rela *r = (const Elf64_Rela *)(o.data + o.sh[i].sh_offset);
			for (size_t k = 0; k < o.sh[i].sh_size / sizeof(*r); k++) {
				uint8_t scratch[8];
				int e = elf_reloc_apply(ELF64_R_TYPE(r[k].r_info), scratch, 0x1000,
							o.syms[ELF64_R_SYM(r[k].r_info)].st_value, r[k].r_addend);
				(void)e;
			}
		}
	} else if (!why.msg[0]) {
		abort(); /* every rejection must say why */
	}
	free(copy);
	return 0;
}
