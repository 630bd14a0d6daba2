/*
 * dwarf.c: CIE/FDE parsing and DW_CFA_* interpretation (DWARF 4, 6.4, and
 * the LSB's .eh_frame format). Expressions (DW_CFA_*expression) are not
 * supported: GCC emits them only for stack realignment, which cells do not
 * use; meeting one ends the unwind cleanly.
 */
#include "dwarf.h"
#include "klibc.h"

/* one LEB128 number's bits into *v; *last is its last byte and *shift
 * how many bits it held, for the signed reader's sign extension */
static bool
read_leb(const uint8_t **p, const uint8_t *end, uint64_t *v, uint8_t *last, unsigned *shift)
{
	uint64_t r = 0;
	*shift = 0;
	while (*p < end) {
		uint8_t b = *(*p)++;
		if (*shift < 64)
			r |= (uint64_t)(b & 0x7f) << *shift;
		*shift += 7;
		if (!(b & 0x80)) {
			*v = r;
			*last = b;
			return true;
		}
	}
	return false;
}

bool
dw_read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint8_t last;
	unsigned shift;
	return read_leb(p, end, v, &last, &shift);
}

bool
dw_read_sleb(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	uint64_t r;
	uint8_t last;
	unsigned shift;
	if (!read_leb(p, end, &r, &last, &shift))
		return false;
	if (shift < 64 && (last & 0x40))
		r |= ~0ULL << shift;
	*v = (int64_t)r;
	return true;
}

static bool
read_n(const uint8_t **p, const uint8_t *end, void *dst, size_t n)
{
	if ((size_t)(end - *p) < n)
		return false;
	memcpy(dst, *p, n);
	*p += n;
	return true;
}

/* DW_EH_PE_*: low nibble = format, 0x70 = application, 0x80 = indirect */
bool
dw_read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t *v)
{
	if (enc == 0xff) { /* omit */
		*v = 0;
		return true;
	}
	uint64_t base = (uint64_t)(uintptr_t)*p;
	uint64_t x = 0;
	switch (enc & 0x0f) {
	case 0x00: { uint64_t t; if (!read_n(p, end, &t, 8)) return false; x = t; break; }
	case 0x01: if (!dw_read_uleb(p, end, &x)) return false; break;
	case 0x02: { uint16_t t; if (!read_n(p, end, &t, 2)) return false; x = t; break; }
	case 0x03: { uint32_t t; if (!read_n(p, end, &t, 4)) return false; x = t; break; }
	case 0x04: { uint64_t t; if (!read_n(p, end, &t, 8)) return false; x = t; break; }
	case 0x09: { int64_t t; if (!dw_read_sleb(p, end, &t)) return false; x = (uint64_t)t; break; }
	case 0x0a: { int16_t t; if (!read_n(p, end, &t, 2)) return false; x = (uint64_t)(int64_t)t; break; }
	case 0x0b: { int32_t t; if (!read_n(p, end, &t, 4)) return false; x = (uint64_t)(int64_t)t; break; }
	case 0x0c: { int64_t t; if (!read_n(p, end, &t, 8)) return false; x = (uint64_t)t; break; }
	default: return false;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: x += base; break; /* pcrel */
	default: return false;       /* textrel/datarel/funcrel: not emitted for x86_64 */
	}
	if (enc & 0x80) { /* indirect: the value is the address of the pointer */
		const uint64_t *ptr = (const uint64_t *)(uintptr_t)x;
		x = *ptr;
	}
	*v = x;
	return true;
}

struct cie {
	const uint8_t *insns, *end;
	uint64_t code_align;
	int64_t data_align;
	unsigned ra_reg;
	uint8_t fde_enc, lsda_enc;
	uint64_t personality;
	bool has_z, signal;
};

static bool
parse_cie(const uint8_t *c, const uint8_t *sect_end, struct cie *out)
{
	uint32_t len;
	memcpy(&len, c, 4);
	if (len == 0 || len == 0xffffffff || (size_t)(sect_end - c) < (size_t)len + 4)
		return false;
	const uint8_t *p = c + 8, *end = c + 4 + len;
	memset(out, 0, sizeof(*out));
	out->fde_enc = 0; /* absptr */
	out->lsda_enc = 0xff;
	if (p >= end)
		return false;
	uint8_t version = *p++;
	if (version != 1 && version != 3)
		return false;
	const char *aug = (const char *)p;
	size_t alen = strnlen(aug, (size_t)(end - p));
	if (alen == (size_t)(end - p))
		return false;
	p += alen + 1;
	if (!dw_read_uleb(&p, end, &out->code_align) || !dw_read_sleb(&p, end, &out->data_align))
		return false;
	uint64_t ra;
	if (version == 1) {
		if (p >= end)
			return false;
		ra = *p++;
	} else if (!dw_read_uleb(&p, end, &ra)) {
		return false;
	}
	if (ra >= DW_REGS)
		return false;
	out->ra_reg = (unsigned)ra;
	const uint8_t *aug_end = NULL;
	for (size_t i = 0; i < alen; i++) {
		switch (aug[i]) {
		case 'z': {
			uint64_t n;
			if (i != 0 || !dw_read_uleb(&p, end, &n) || n > (uint64_t)(end - p))
				return false;
			aug_end = p + n;
			out->has_z = true;
			break;
		}
		case 'P': {
			if (p >= end)
				return false;
			uint8_t enc = *p++;
			if (!dw_read_encoded(&p, end, enc, &out->personality))
				return false;
			break;
		}
		case 'L':
			if (p >= end)
				return false;
			out->lsda_enc = *p++;
			break;
		case 'R':
			if (p >= end)
				return false;
			out->fde_enc = *p++;
			break;
		case 'S':
			out->signal = true;
			break;
		default:
			if (!aug_end)
				return false; /* unknown augmentation without 'z': cannot skip */
			p = aug_end;
			i = alen;
			break;
		}
	}
	if (aug_end)
		p = aug_end;
	out->insns = p;
	out->end = end;
	return true;
}

bool
dw_find_fde(const uint8_t *eh, size_t len, uint64_t pc, struct dw_fde *out)
{
	const uint8_t *p = eh, *end = eh + len;
	/* FDEs in a row mostly share their CIE: it is parsed once for them */
	const uint8_t *cie_at = NULL;
	bool cie_ok = false;
	struct cie cie;
	while ((size_t)(end - p) >= 8) {
		uint32_t l, id;
		memcpy(&l, p, 4);
		if (l == 0)
			break; /* terminator */
		if (l == 0xffffffff || (size_t)(end - p) < (size_t)l + 4)
			return false;
		memcpy(&id, p + 4, 4);
		const uint8_t *next = p + 4 + l;
		if (id != 0) { /* an FDE: id is the distance back to its CIE */
			const uint8_t *cp = p + 4 - id;
			if (cp != cie_at) {
				cie_at = cp;
				cie_ok = cp >= eh && cp < end && parse_cie(cp, end, &cie);
			}
			if (!cie_ok) {
				p = next;
				continue;
			}
			const uint8_t *q = p + 8;
			uint64_t begin, range;
			if (!dw_read_encoded(&q, next, cie.fde_enc, &begin) ||
			    !dw_read_encoded(&q, next, cie.fde_enc & 0x0f, &range)) {
				p = next;
				continue;
			}
			if (pc >= begin && pc < begin + range) {
				uint64_t lsda = 0;
				if (cie.has_z) {
					uint64_t n;
					if (!dw_read_uleb(&q, next, &n) || n > (uint64_t)(next - q))
						return false;
					const uint8_t *aug_end = q + n;
					if (cie.lsda_enc != 0xff && n &&
					    !dw_read_encoded(&q, aug_end, cie.lsda_enc, &lsda))
						return false;
					q = aug_end;
				}
				*out = (struct dw_fde){ begin, begin + range, lsda, cie.personality, cie.signal,
					cie.insns, cie.end, q, next, cie.code_align, cie.data_align, cie.ra_reg };
				return true;
			}
		}
		p = next;
	}
	return false;
}

#define MAX_REMEMBER 8

static bool
run(const uint8_t *p, const uint8_t *end, const struct dw_fde *f, uint64_t pc, uint64_t *loc,
    struct dw_state *st, const struct dw_state *initial)
{
	struct dw_state stack[MAX_REMEMBER];
	int depth = 0;
	while (p < end) {
		uint8_t op = *p++;
		uint64_t a, b;
		int64_t s;
		switch (op >> 6) {
		case 1: /* advance_loc */
			*loc += (op & 0x3f) * f->code_align;
			if (*loc > pc)
				return true;
			continue;
		case 2: /* offset */
			if (!dw_read_uleb(&p, end, &a) || (op & 0x3f) >= DW_REGS)
				return false;
			st->rule[op & 0x3f] = RULE_OFFSET;
			st->val[op & 0x3f] = (int64_t)a * f->data_align;
			continue;
		case 3: /* restore */
			if ((op & 0x3f) >= DW_REGS || !initial)
				return false;
			st->rule[op & 0x3f] = initial->rule[op & 0x3f];
			st->val[op & 0x3f] = initial->val[op & 0x3f];
			continue;
		}
		switch (op) {
		case 0x00: /* nop */
			break;
		case 0x01: /* set_loc */
			if (!dw_read_encoded(&p, end, 0, &a))
				return false;
			*loc = a;
			if (*loc > pc)
				return true;
			break;
		case 0x02: case 0x03: case 0x04: { /* advance_loc1/2/4 */
			unsigned n = op == 0x02 ? 1 : op == 0x03 ? 2 : 4;
			if ((size_t)(end - p) < n)
				return false;
			uint32_t d = 0;
			memcpy(&d, p, n);
			p += n;
			*loc += d * f->code_align;
			if (*loc > pc)
				return true;
			break;
		}
		case 0x05: /* offset_extended */
			if (!dw_read_uleb(&p, end, &a) || !dw_read_uleb(&p, end, &b) || a >= DW_REGS)
				return false;
			st->rule[a] = RULE_OFFSET;
			st->val[a] = (int64_t)b * f->data_align;
			break;
		case 0x06: /* restore_extended */
			if (!dw_read_uleb(&p, end, &a) || a >= DW_REGS || !initial)
				return false;
			st->rule[a] = initial->rule[a];
			st->val[a] = initial->val[a];
			break;
		case 0x07: /* undefined */
			if (!dw_read_uleb(&p, end, &a) || a >= DW_REGS)
				return false;
			st->rule[a] = RULE_UNDEF;
			break;
		case 0x08: /* same_value */
			if (!dw_read_uleb(&p, end, &a) || a >= DW_REGS)
				return false;
			st->rule[a] = RULE_SAME;
			break;
		case 0x09: /* register */
			if (!dw_read_uleb(&p, end, &a) || !dw_read_uleb(&p, end, &b) || a >= DW_REGS || b >= DW_REGS)
				return false;
			st->rule[a] = RULE_REGISTER;
			st->val[a] = (int64_t)b;
			break;
		case 0x0a: /* remember_state */
			if (depth == MAX_REMEMBER)
				return false;
			stack[depth++] = *st;
			break;
		case 0x0b: /* restore_state */
			if (depth == 0)
				return false;
			*st = stack[--depth];
			break;
		case 0x0c: /* def_cfa */
			if (!dw_read_uleb(&p, end, &a) || !dw_read_uleb(&p, end, &b) || a >= DW_REGS)
				return false;
			st->cfa_reg = (unsigned)a;
			st->cfa_off = (int64_t)b;
			break;
		case 0x0d: /* def_cfa_register */
			if (!dw_read_uleb(&p, end, &a) || a >= DW_REGS)
				return false;
			st->cfa_reg = (unsigned)a;
			break;
		case 0x0e: /* def_cfa_offset */
			if (!dw_read_uleb(&p, end, &a))
				return false;
			st->cfa_off = (int64_t)a;
			break;
		case 0x11: /* offset_extended_sf */
			if (!dw_read_uleb(&p, end, &a) || !dw_read_sleb(&p, end, &s) || a >= DW_REGS)
				return false;
			st->rule[a] = RULE_OFFSET;
			st->val[a] = s * f->data_align;
			break;
		case 0x12: /* def_cfa_sf */
			if (!dw_read_uleb(&p, end, &a) || !dw_read_sleb(&p, end, &s) || a >= DW_REGS)
				return false;
			st->cfa_reg = (unsigned)a;
			st->cfa_off = s * f->data_align;
			break;
		case 0x13: /* def_cfa_offset_sf */
			if (!dw_read_sleb(&p, end, &s))
				return false;
			st->cfa_off = s * f->data_align;
			break;
		case 0x14: /* val_offset */
			if (!dw_read_uleb(&p, end, &a) || !dw_read_uleb(&p, end, &b) || a >= DW_REGS)
				return false;
			st->rule[a] = RULE_VAL_OFFSET;
			st->val[a] = (int64_t)b * f->data_align;
			break;
		case 0x2e: /* GNU_args_size */
			if (!dw_read_uleb(&p, end, &a))
				return false;
			break;
		default:
			return false; /* expressions and vendor ops: unsupported */
		}
	}
	return true;
}

bool
dw_run_cfa(const struct dw_fde *f, uint64_t pc, struct dw_state *st)
{
	memset(st, 0, sizeof(*st));
	st->rule[f->ra_reg] = RULE_UNDEF;
	uint64_t loc = f->pc_begin;
	if (!run(f->cie_insns, f->cie_end, f, UINT64_MAX, &loc, st, NULL))
		return false;
	struct dw_state initial = *st;
	loc = f->pc_begin;
	return run(f->insns, f->end, f, pc, &loc, st, &initial);
}
