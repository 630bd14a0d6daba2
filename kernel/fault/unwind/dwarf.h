/*
 * dwarf.h: .eh_frame parsing and the call-frame (CFA) interpreter - the
 * pure half of the unwinder. Every read is bounds-checked against the
 * section it comes from; a malformed table ends the unwind instead of
 * faulting. State: none.
 */
#ifndef DWARF_H
#define DWARF_H

#include "base.h"

#define DW_REGS 17          /* rax rdx rcx rbx rsi rdi rbp rsp r8-r15, RA */
#define DW_RSP 7
#define DW_RBP 6
#define DW_RA 16

enum dw_rule { RULE_SAME = 0, RULE_UNDEF, RULE_OFFSET, RULE_VAL_OFFSET, RULE_REGISTER };

struct dw_fde {
	uint64_t pc_begin, pc_end;
	uint64_t lsda;            /* 0 if none */
	uint64_t personality;     /* 0 if none */
	bool signal_frame;        /* 'S': the frame was interrupted, pc is exact */
	const uint8_t *cie_insns, *cie_end;
	const uint8_t *insns, *end;
	uint64_t code_align;
	int64_t data_align;
	unsigned ra_reg;
};

struct dw_state {
	unsigned cfa_reg;
	int64_t cfa_off;
	enum dw_rule rule[DW_REGS];
	int64_t val[DW_REGS];
};

/* find the FDE covering pc in [eh, eh+len) */
bool dw_find_fde(const uint8_t *eh, size_t len, uint64_t pc, struct dw_fde *out);
/* run the CIE and FDE programs up to pc; false on an unsupported opcode */
bool dw_run_cfa(const struct dw_fde *f, uint64_t pc, struct dw_state *st);

/* pointer encodings (shared with the LSDA reader) */
bool dw_read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v);
bool dw_read_sleb(const uint8_t **p, const uint8_t *end, int64_t *v);
bool dw_read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t *v);

#endif
