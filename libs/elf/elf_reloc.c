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

int
elf_reloc_apply(uint32_t type, uint8_t *place, uint64_t P, uint64_t S, int64_t A)
{
	uint64_t v = S + (uint64_t)A;
	uint64_t pcrel = v - P;

	switch (type) {
	case R_X86_64_NONE:
		return E_OK;
	case R_X86_64_64:
		memcpy(place, &v, 8);
		return E_OK;
	case R_X86_64_PC64:
		memcpy(place, &pcrel, 8);
		return E_OK;
	case R_X86_64_TPOFF64:      /* S is the thread-pointer offset */
		memcpy(place, &v, 8);
		return E_OK;
	case R_X86_64_TPOFF32: {
		int64_t s = (int64_t)v;
		if (s < INT32_MIN || s > INT32_MAX)
			return E_RANGE;
		int32_t w = (int32_t)s;
		memcpy(place, &w, 4);
		return E_OK;
	}
	case R_X86_64_PC32:
	case R_X86_64_PLT32:        /* no PLT in one address space: direct */
	case R_X86_64_GOTPCREL:     /* S is the GOT slot's address */
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX: {
		int64_t d = (int64_t)pcrel;
		if (d < INT32_MIN || d > INT32_MAX)
			return E_RANGE;
		int32_t w = (int32_t)d;
		memcpy(place, &w, 4);
		return E_OK;
	}
	case R_X86_64_32: {
		if (v > UINT32_MAX)
			return E_RANGE;
		uint32_t w = (uint32_t)v;
		memcpy(place, &w, 4);
		return E_OK;
	}
	case R_X86_64_32S: {
		int64_t s = (int64_t)v;
		if (s < INT32_MIN || s > INT32_MAX)
			return E_RANGE;
		int32_t w = (int32_t)s;
		memcpy(place, &w, 4);
		return E_OK;
	}
	case R_X86_64_16: {
		if (v > UINT16_MAX)
			return E_RANGE;
		uint16_t w = (uint16_t)v;
		memcpy(place, &w, 2);
		return E_OK;
	}
	case R_X86_64_PC16: {
		int64_t d = (int64_t)pcrel;
		if (d < INT16_MIN || d > INT16_MAX)
			return E_RANGE;
		int16_t w = (int16_t)d;
		memcpy(place, &w, 2);
		return E_OK;
	}
	case R_X86_64_8: {
		if (v > UINT8_MAX)
			return E_RANGE;
		*place = (uint8_t)v;
		return E_OK;
	}
	case R_X86_64_PC8: {
		int64_t d = (int64_t)pcrel;
		if (d < INT8_MIN || d > INT8_MAX)
			return E_RANGE;
		*place = (uint8_t)(int8_t)d;
		return E_OK;
	}
	default:
		/* dynamic TLS models and the rest: not for cells */
		return E_NOTSUP;
	}
}
