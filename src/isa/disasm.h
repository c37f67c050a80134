/*
 * disasm.h - spellings shared by the disassembler and the assembler so the two agree: the C-syntax
 * operators of ALU, jump and atomic forms (keyed by the conformance mnemonic without its "32"), and
 * the names of the lddw pseudo forms. Defined in disasm.c.
 */
#ifndef USERBPF_DISASM_H
#define USERBPF_DISASM_H

#include "isa.h"

struct disasm_op {
	const char *mnem; /* conformance mnemonic without "32": "add", "jsgt", ... */
	const char *c_op; /* C syntax operator: "+=", "s>", ... */
};

/* NULL-terminated tables. */
USERBPF_HIDDEN extern const struct disasm_op disasm_alu_ops[];
USERBPF_HIDDEN extern const struct disasm_op disasm_jmp_ops[];

/* lddw src_reg 1..6 as text ("map_fd", ...); index 0 is NULL (plain 64-bit constant). */
#define DISASM_NR_LDDW_PSEUDO 7
USERBPF_HIDDEN extern const char *const disasm_lddw_names[DISASM_NR_LDDW_PSEUDO];

/* C operator of a mnemonic in `table`, or NULL. */
USERBPF_HIDDEN const char *disasm_c_op(const struct disasm_op *table, const char *mnem, size_t len);

#endif /* USERBPF_DISASM_H */
