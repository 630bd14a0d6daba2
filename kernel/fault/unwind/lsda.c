/*
 * lsda.c: GCC's language-specific data area (.gcc_except_table) for C:
 * a call-site table mapping instruction ranges to landing pads. With
 * -fnon-call-exceptions the ranges cover instructions that may fault, not
 * only calls. C has no catch clauses, so every pad is a cleanup.
 * The table is read within the bounds of the cell region holding it.
 */
#include "cell_mgr.h"
#include "dwarf.h"

uint64_t lsda_landing_pad(uint64_t lsda, uint64_t func_start, uint64_t ip, bool *covered);

uint64_t
lsda_landing_pad(uint64_t lsda, uint64_t func_start, uint64_t ip, bool *covered)
{
	*covered = false;
	struct cell *c = cell_at(lsda);
	if (!c)
		return 0;
	uint64_t region_end = 0;
	for (int r = 0; r < REGION_COUNT; r++)
		if (lsda >= c->start[r] && lsda < c->start[r] + c->size[r])
			region_end = c->start[r] + c->size[r];
	if (!region_end)
		return 0;
	const uint8_t *p = (const uint8_t *)(uintptr_t)lsda, *end = (const uint8_t *)(uintptr_t)region_end;
	uint64_t lpstart = func_start, v;
	uint8_t enc = *p++;
	if (enc != 0xff && !dw_read_encoded(&p, end, enc, &lpstart))
		return 0;
	if (p >= end)
		return 0;
	enc = *p++; /* type table: unused by C */
	if (enc != 0xff && !dw_read_uleb(&p, end, &v))
		return 0;
	if (p >= end)
		return 0;
	uint8_t cs_enc = *p++;
	uint64_t cs_len;
	if (!dw_read_uleb(&p, end, &cs_len) || cs_len > (uint64_t)(end - p))
		return 0;
	const uint8_t *cs_end = p + cs_len;
	while (p < cs_end) {
		uint64_t start, len, lp, action;
		if (!dw_read_encoded(&p, cs_end, cs_enc, &start) || !dw_read_encoded(&p, cs_end, cs_enc, &len) ||
		    !dw_read_encoded(&p, cs_end, cs_enc, &lp) || !dw_read_uleb(&p, cs_end, &action))
			return 0;
		if (ip < lpstart + start)
			return 0; /* the table is sorted: no entry covers ip */
		if (ip < lpstart + start + len) {
			*covered = true;
			return lp ? lpstart + lp : 0;
		}
	}
	return 0;
}
