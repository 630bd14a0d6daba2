/*
 * elf_reloc.c: x86_64 relocation arithmetic (psABI 4.4). The loader
 * resolves S (including GOT slots for the GOTPCREL forms); this file only
 * computes, range-checks and writes. Unaligned places are written with
 * memcpy. No state.
 */
#include "elf.h"
#include "base.h"
#include "klibc.h"

unsigned
elf_reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE: return 1; /* writes nothing; any offset in range */
	case R_X86_64_64:
	case R_X86_64_PC64:
	case R_X86_64_DTPOFF64:
	case R_X86_64_TPOFF64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
	case R_X86_64_TPOFF32:
		return 4;
	case R_X86_64_16:
	case R_X86_64_PC16:
		return 2;
	case R_X86_64_8:
	case R_X86_64_PC8:
		return 1;
	default:
		return 0;
	}
}

const char *
elf_reloc_name(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_16: return "R_X86_64_16";
	case R_X86_64_PC16: return "R_X86_64_PC16";
	case R_X86_64_8: return "R_X86_64_8";
	case R_X86_64_PC8: return "R_X86_64_PC8";
	case R_X86_64_DTPOFF64: return "R_X86_64_DTPOFF64";
	case R_X86_64_TPOFF64: return "R_X86_64_TPOFF64";
	case R_X86_64_TPOFF32: return "R_X86_64_TPOFF32";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
	default: return "unknown";
	}
}

/* write the low `bytes` bytes of x (little endian) if it fits that width,
 * signed or unsigned */
static int
put_signed(uint8_t *place, int64_t x, unsigned bytes)
{
	int64_t lim = (int64_t)1 << (8 * bytes - 1);
	if (x < -lim || x >= lim)
		return E_RANGE;
	memcpy(place, &x, bytes);
	return E_OK;
}

static int
put_unsigned(uint8_t *place, uint64_t x, unsigned bytes)
{
	if (x >> (8 * bytes))
		return E_RANGE;
	memcpy(place, &x, bytes);
	return E_OK;
}

int
elf_reloc_apply(uint32_t type, uint8_t *place, uint64_t P, uint64_t S, int64_t A)
{
	uint64_t v = S + (uint64_t)A;
	uint64_t pcrel = v - P;

	switch (type) {
	case R_X86_64_NONE:
		return E_OK;
	case R_X86_64_64:
	case R_X86_64_TPOFF64:      /* S is the thread-pointer offset */
		memcpy(place, &v, 8);
		return E_OK;
	case R_X86_64_PC64:
		memcpy(place, &pcrel, 8);
		return E_OK;
	case R_X86_64_TPOFF32:
	case R_X86_64_32S:
		return put_signed(place, (int64_t)v, 4);
	case R_X86_64_PC32:
	case R_X86_64_PLT32:        /* no PLT in one address space: direct */
	case R_X86_64_GOTPCREL:     /* S is the GOT slot's address */
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return put_signed(place, (int64_t)pcrel, 4);
	case R_X86_64_32:
		return put_unsigned(place, v, 4);
	case R_X86_64_16:
		return put_unsigned(place, v, 2);
	case R_X86_64_PC16:
		return put_signed(place, (int64_t)pcrel, 2);
	case R_X86_64_8:
		return put_unsigned(place, v, 1);
	case R_X86_64_PC8:
		return put_signed(place, (int64_t)pcrel, 1);
	default:
		/* dynamic TLS models and the rest: not for cells */
		return E_NOTSUP;
	}
}
