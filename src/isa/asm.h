/*
 * asm.h - the assembler's internals shared by asm.c (forms, encoding, conformance syntax, lines and
 * labels), asm_lex.c (tokens, errors, operands) and asm_c.c (the C syntax). Not a public header.
 */
#ifndef USERBPF_ASM_H
#define USERBPF_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"

#define ASM_MAX_TOKS 64
#define ASM_MAX_OPS  4

enum tok_type { T_END, T_IDENT, T_NUM, T_REG, T_PUNCT };

struct tok {
	enum tok_type type;
	const char *s;
	int len;
	int col;
	char rkind; /* T_REG: 'r', 'w' or '%' */
	int reg;    /* T_REG: number, not yet range-checked */
	uint64_t val;
	bool hex;
	bool ovf; /* T_NUM: does not fit 64 bits */
};

struct num {
	uint64_t mag;
	bool neg;
	bool hex;
	bool ovf;
	int col;
	const char *s; /* text, for messages */
	int len;
};

enum opnd_type { O_REG, O_IMM, O_MEM, O_LABEL, O_PSEUDO };

struct opnd {
	enum opnd_type type;
	int col;
	int reg;
	char rkind;
	struct num n;  /* O_IMM value, O_MEM offset, O_PSEUDO argument */
	struct num n2; /* O_PSEUDO: "+ N" */
	bool has_n2;
	int pseudo; /* O_PSEUDO: lddw src_reg */
	const char *label;
	int label_len;
};

struct stmt {
	char mnem[32];
	int mnem_col;
	struct opnd op[ASM_MAX_OPS];
	int nops;
};

/* Printf arguments for "%s%.*s": a number as written, with its '-'. */
#define NUM_ARGS(N) (N)->neg ? "-" : "", (N)->len, (N)->s

struct label {
	const char *name;
	int len;
	size_t idx;
	int line, col;
};

struct fixup {
	size_t idx;
	const char *name;
	int len;
	int line, col;
	bool wide; /* imm (ja32, call local) rather than off */
};

struct ctx {
	struct userbpf_asm_opts *opts;
	struct userbpf_insn *insns;
	size_t cnt, cap;
	struct label *labels;
	size_t nlabels, labels_cap;
	struct fixup *fixups;
	size_t nfixups, fixups_cap;
	size_t first_exit; /* index of the first exit, SIZE_MAX if none */
	int lineno;
	/* the current line */
	struct tok t[ASM_MAX_TOKS + 1];
	int ntok;
	int pos;
};

/* asm_lex.c: errors, tokens and operands. */

/* Record "LINE:COL: message" in the options (when given); returns -EINVAL. */
USERBPF_HIDDEN int asm_err_at(struct ctx *c, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
USERBPF_HIDDEN int asm_grow(void **ptr, size_t *cap, size_t need, size_t elem);
/* "r5", "w10" (either case): a register name; *kind gets 'r' or 'w', *reg the number. */
USERBPF_HIDDEN bool asm_reg_name(const char *s, int len, char *kind, int *reg);
/* Split one line (without its newline) into c->t[]; comments end it. */
USERBPF_HIDDEN int asm_tokenize(struct ctx *c, const char *line, int len);
USERBPF_HIDDEN struct tok *asm_peek(struct ctx *c);
USERBPF_HIDDEN struct tok *asm_peek_at(struct ctx *c, int ahead);
USERBPF_HIDDEN struct tok *asm_next(struct ctx *c);
USERBPF_HIDDEN bool asm_is_punct(const struct tok *t, const char *p);
USERBPF_HIDDEN bool asm_is_word(const struct tok *t, const char *w);
USERBPF_HIDDEN const char *asm_tok_desc(const struct tok *t, char *buf, size_t size);
/* Consume punctuation `p` or fail with "expected WHAT". */
USERBPF_HIDDEN int asm_expect(struct ctx *c, const char *p, const char *what);
/* Fail unless the line is consumed. */
USERBPF_HIDDEN int asm_want_end(struct ctx *c);
/* [+|-]NUMBER */
USERBPF_HIDDEN int asm_parse_num(struct ctx *c, struct num *n, const char *what);
USERBPF_HIDDEN int asm_parse_reg(struct ctx *c, struct opnd *o);
/* REG [(+|-) NUM] up to `close` (the inside of "[%r1+4]" and "(r1 + 4)"). */
USERBPF_HIDDEN int asm_parse_mem_inner(struct ctx *c, struct opnd *o, const char *close);
/* A conformance operand: %rN, [%rN+off], [+|-]NUM, LABEL, NAME(NUM) [+ NUM]. */
USERBPF_HIDDEN int asm_parse_operand(struct ctx *c, struct opnd *o);

/* asm.c */
/* True when some form has this conformance mnemonic. */
USERBPF_HIDDEN bool asm_mnem_known(const char *m);

/* asm_c.c: the C syntax. */
/* Does the statement at the cursor look like C syntax (a register, '*', if, goto, lock *, call pc)? */
USERBPF_HIDDEN bool asm_looks_like_c(struct ctx *c);
/* Parse one C statement into the conformance mnemonic and operands it means. */
USERBPF_HIDDEN int asm_parse_c(struct ctx *c, struct stmt *st);

#endif /* USERBPF_ASM_H */
