/*
 * asm.c - userbpf_asm(): text to instructions. Reads the bpf_conformance syntax ("ldxw %r0, [%r1+4]")
 * and the C syntax of llvm-objdump / the verifier log ("r0 = *(u32 *)(r1 + 4)"), mixed freely, with
 * labels ("name:"), `#`, `;` and `//` comments, and ".insn 0x..." raw slots (what the disassembler
 * prints for an invalid slot).
 *
 * Each line is split into tokens, then parsed into a statement: a conformance mnemonic with a list
 * of typed operands (register, immediate, memory, label, lddw pseudo). The C syntax parser produces
 * the same statement (`w0 += 5` is mnemonic "add32" with operands w0, 5), so both syntaxes share one
 * path: the form is found by walking isa_forms[] for the mnemonic and an operand shape matching its
 * kind, then encoded with range checks. Labels are resolved after the last line. A jump to the
 * undefined label `exit` goes to the first exit instruction (the suite's convention).
 *
 * This file owns forms, encoding, the conformance syntax, lines and labels; asm_lex.c the tokens
 * and operands; asm_c.c the C syntax.
 */
#include "asm.h"
#include "disasm.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------------------------------- */
/* Forms                                                                                           */

enum arg { A_NONE, A_REG, A_IMM, A_MEM, A_TGT, A_IMM64 };

static const struct {
	uint8_t n;
	uint8_t a[3];
	const char *usage;
} shapes[ISA_KIND__COUNT] = {
    [ISA_KIND_ALU_K] = {2, {A_REG, A_IMM}, "%rD, IMM"},
    [ISA_KIND_ALU_X] = {2, {A_REG, A_REG}, "%rD, %rS"},
    [ISA_KIND_NEG] = {1, {A_REG}, "%rD"},
    [ISA_KIND_MOVSX] = {2, {A_REG, A_REG}, "%rD, %rS"},
    [ISA_KIND_END] = {1, {A_REG}, "%rD"},
    [ISA_KIND_JA] = {1, {A_TGT}, "+OFF|LABEL"},
    [ISA_KIND_JA32] = {1, {A_TGT}, "+OFF|LABEL"},
    [ISA_KIND_JCC_K] = {3, {A_REG, A_IMM, A_TGT}, "%rD, IMM, +OFF|LABEL"},
    [ISA_KIND_JCC_X] = {3, {A_REG, A_REG, A_TGT}, "%rD, %rS, +OFF|LABEL"},
    [ISA_KIND_CALL_HELPER] = {1, {A_IMM}, "IMM"},
    [ISA_KIND_CALL_LOCAL] = {1, {A_TGT}, "+OFF|LABEL"},
    [ISA_KIND_EXIT] = {0, {A_NONE}, ""},
    [ISA_KIND_LDX] = {2, {A_REG, A_MEM}, "%rD, [%rS+OFF]"},
    [ISA_KIND_ST] = {2, {A_MEM, A_IMM}, "[%rD+OFF], IMM"},
    [ISA_KIND_STX] = {2, {A_MEM, A_REG}, "[%rD+OFF], %rS"},
    [ISA_KIND_ATOMIC] = {2, {A_MEM, A_REG}, "[%rD+OFF], %rS"},
    [ISA_KIND_LDDW] = {2, {A_REG, A_IMM64}, "%rD, IMM64"},
    [ISA_KIND_LDABS] = {1, {A_IMM}, "IMM"},
    [ISA_KIND_LDIND] = {2, {A_REG, A_IMM}, "%rS, IMM"},
};

static const char *arg_desc(int a)
{
	switch (a) {
	case A_REG:
		return "a register";
	case A_IMM:
		return "an immediate";
	case A_MEM:
		return "a memory operand [%rN+OFF]";
	case A_TGT:
		return "a jump offset or label";
	case A_IMM64:
		return "a 64-bit immediate";
	default:
		return "nothing";
	}
}

static bool arg_fits(int a, const struct opnd *o)
{
	switch (a) {
	case A_REG:
		return o->type == O_REG;
	case A_IMM:
		return o->type == O_IMM;
	case A_MEM:
		return o->type == O_MEM;
	case A_TGT:
		return o->type == O_IMM || o->type == O_LABEL;
	case A_IMM64:
		return o->type == O_IMM || o->type == O_PSEUDO;
	default:
		return false;
	}
}

static bool mnem_is(const struct isa_form *f, const char *m)
{
	return strcasecmp(f->mnem, m) == 0;
}

bool asm_mnem_known(const char *m)
{
	for (int i = 0; i < ISA_NR_OPS; i++)
		if (mnem_is(&isa_forms[i], m))
			return true;
	return false;
}

/* Aliases: swapN = bswapN; OP64 = OP for the ALU mnemonics (add64, mov64, neg64 ...). */
static void apply_alias(char *m, size_t size)
{
	if (asm_mnem_known(m))
		return;
	if (strncasecmp(m, "swap", 4) == 0) {
		char b[32];
		snprintf(b, sizeof(b), "b%s", m);
		if (asm_mnem_known(b))
			snprintf(m, size, "%s", b);
		return;
	}
	size_t n = strlen(m);
	if (n > 2 && strcmp(m + n - 2, "64") == 0) {
		char b[32];
		snprintf(b, sizeof(b), "%.*s", (int)(n - 2), m);
		for (int i = 0; i < ISA_NR_OPS; i++) {
			const struct isa_form *f = &isa_forms[i];
			if (mnem_is(f, b) && (f->kind == ISA_KIND_ALU_K || f->kind == ISA_KIND_ALU_X ||
					      f->kind == ISA_KIND_NEG)) {
				snprintf(m, size, "%s", b);
				return;
			}
		}
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Encoding                                                                                        */

static int check_imm32(struct ctx *c, const struct num *n, int32_t *out)
{
	bool ok;
	if (n->ovf)
		ok = false;
	else if (n->hex)
		ok = n->neg ? n->mag <= 0x80000000ull : n->mag <= 0xffffffffull;
	else
		ok = n->neg ? n->mag <= 0x80000000ull : n->mag <= 0x7fffffffull;
	if (!ok)
		return asm_err_at(
		    c, n->col,
		    "immediate %s%.*s out of 32-bit range (decimal: -2147483648..2147483647, hex: up to "
		    "0xffffffff)",
		    NUM_ARGS(n));
	uint32_t v = (uint32_t)n->mag;
	*out = (int32_t)(n->neg ? (uint32_t)0 - v : v);
	return 0;
}

/* 32-bit value that may be signed or unsigned in either base (lddw pseudo arguments). */
static int check_any32(struct ctx *c, const struct num *n, int32_t *out)
{
	if (n->ovf || (n->neg ? n->mag > 0x80000000ull : n->mag > 0xffffffffull))
		return asm_err_at(c, n->col, "value %s%.*s does not fit 32 bits", NUM_ARGS(n));
	uint32_t v = (uint32_t)n->mag;
	*out = (int32_t)(n->neg ? (uint32_t)0 - v : v);
	return 0;
}

static int check_off16(struct ctx *c, const struct num *n, int16_t *out, const char *what)
{
	if (n->ovf || (n->neg ? n->mag > 32768 : n->mag > 32767))
		return asm_err_at(c, n->col, "%s %s%.*s out of 16-bit range (-32768..32767)", what,
				  NUM_ARGS(n));
	*out = (int16_t)(n->neg ? -(int32_t)n->mag : (int32_t)n->mag);
	return 0;
}

static int check_imm64(struct ctx *c, const struct num *n, uint64_t *out)
{
	if (n->ovf || (n->neg && n->mag > 0x8000000000000000ull))
		return asm_err_at(c, n->col, "immediate %s%.*s out of 64-bit range", NUM_ARGS(n));
	*out = n->neg ? (uint64_t)0 - n->mag : n->mag;
	return 0;
}

static int add_fixup(struct ctx *c, const struct opnd *o, bool wide)
{
	void *p = c->fixups;
	if (asm_grow(&p, &c->fixups_cap, c->nfixups + 1, sizeof(*c->fixups)))
		return -ENOMEM;
	c->fixups = p;
	c->fixups[c->nfixups++] = (struct fixup){.idx = c->cnt,
						 .name = o->label,
						 .len = o->label_len,
						 .line = c->lineno,
						 .col = o->col,
						 .wide = wide};
	return 0;
}

/* A jump target: numeric offset now, label later. */
static int target(struct ctx *c, const struct opnd *o, bool wide, int16_t *off, int32_t *imm)
{
	if (o->type == O_LABEL)
		return add_fixup(c, o, wide);
	if (wide)
		return check_imm32(c, &o->n, imm);
	return check_off16(c, &o->n, off, "jump offset");
}

static int emit(struct ctx *c, const struct userbpf_insn *in, size_t n)
{
	if (c->cnt + n > USERBPF_MAX_INSNS)
		return asm_err_at(c, 1, "program has more than %u instructions", USERBPF_MAX_INSNS);
	void *p = c->insns;
	if (asm_grow(&p, &c->cap, c->cnt + n, sizeof(*c->insns)))
		return -ENOMEM;
	c->insns = p;
	memcpy(c->insns + c->cnt, in, n * sizeof(*in));
	c->cnt += n;
	return 0;
}

static int encode(struct ctx *c, const struct isa_form *f, const struct stmt *st)
{
	struct userbpf_insn in[2];
	const struct opnd *op = st->op;
	int rc = 0;
	memset(in, 0, sizeof(in));
	in[0].code = f->code;
	switch (f->variant) {
	case ISA_VAR_OFF:
		in[0].off = (int16_t)f->value;
		break;
	case ISA_VAR_IMM:
		in[0].imm = f->value;
		break;
	case ISA_VAR_SRC:
		in[0].src_reg = (uint8_t)f->value;
		break;
	}
	switch (f->kind) {
	case ISA_KIND_ALU_K:
		in[0].dst_reg = (uint8_t)op[0].reg;
		rc = check_imm32(c, &op[1].n, &in[0].imm);
		break;
	case ISA_KIND_ALU_X:
	case ISA_KIND_MOVSX:
		in[0].dst_reg = (uint8_t)op[0].reg;
		in[0].src_reg = (uint8_t)op[1].reg;
		break;
	case ISA_KIND_NEG:
	case ISA_KIND_END:
		in[0].dst_reg = (uint8_t)op[0].reg;
		break;
	case ISA_KIND_JA:
		rc = target(c, &op[0], false, &in[0].off, NULL);
		break;
	case ISA_KIND_JA32:
	case ISA_KIND_CALL_LOCAL:
		rc = target(c, &op[0], true, NULL, &in[0].imm);
		break;
	case ISA_KIND_JCC_K:
		in[0].dst_reg = (uint8_t)op[0].reg;
		rc = check_imm32(c, &op[1].n, &in[0].imm);
		if (!rc)
			rc = target(c, &op[2], false, &in[0].off, NULL);
		break;
	case ISA_KIND_JCC_X:
		in[0].dst_reg = (uint8_t)op[0].reg;
		in[0].src_reg = (uint8_t)op[1].reg;
		rc = target(c, &op[2], false, &in[0].off, NULL);
		break;
	case ISA_KIND_CALL_HELPER:
		rc = check_imm32(c, &op[0].n, &in[0].imm);
		break;
	case ISA_KIND_EXIT:
		if (c->first_exit == SIZE_MAX)
			c->first_exit = c->cnt;
		break;
	case ISA_KIND_LDX:
		in[0].dst_reg = (uint8_t)op[0].reg;
		in[0].src_reg = (uint8_t)op[1].reg;
		rc = check_off16(c, &op[1].n, &in[0].off, "offset");
		break;
	case ISA_KIND_ST:
		in[0].dst_reg = (uint8_t)op[0].reg;
		rc = check_off16(c, &op[0].n, &in[0].off, "offset");
		if (!rc)
			rc = check_imm32(c, &op[1].n, &in[0].imm);
		break;
	case ISA_KIND_STX:
	case ISA_KIND_ATOMIC:
		in[0].dst_reg = (uint8_t)op[0].reg;
		in[0].src_reg = (uint8_t)op[1].reg;
		rc = check_off16(c, &op[0].n, &in[0].off, "offset");
		break;
	case ISA_KIND_LDDW:
		in[0].dst_reg = (uint8_t)op[0].reg;
		if (op[1].type == O_PSEUDO) {
			rc = check_any32(c, &op[1].n, &in[0].imm);
			if (!rc && op[1].has_n2)
				rc = check_any32(c, &op[1].n2, &in[1].imm);
		} else {
			uint64_t v = 0;
			rc = check_imm64(c, &op[1].n, &v);
			in[0].imm = (int32_t)(uint32_t)v;
			in[1].imm = (int32_t)(uint32_t)(v >> 32);
		}
		break;
	case ISA_KIND_LDABS:
		rc = check_imm32(c, &op[0].n, &in[0].imm);
		break;
	case ISA_KIND_LDIND:
		in[0].src_reg = (uint8_t)op[0].reg;
		rc = check_imm32(c, &op[1].n, &in[0].imm);
		break;
	}
	if (rc)
		return rc;
	return emit(c, in, (size_t)isa_slots(f));
}

/* Find the form of a statement by its mnemonic and operand shapes, then encode it. */
static int assemble_stmt(struct ctx *c, struct stmt *st, int end_col)
{
	const struct isa_form *found = NULL;
	int best_pos = -1, count_min = 99, count_max = -1;
	const char *usage = NULL;
	char want[160] = "";

	apply_alias(st->mnem, sizeof(st->mnem));
	if (!asm_mnem_known(st->mnem))
		return asm_err_at(c, st->mnem_col, "unknown mnemonic '%s'", st->mnem);
	if (strcasecmp(st->mnem, "call") == 0 && st->nops == 1 && st->op[0].type == O_REG)
		return asm_err_at(
		    c, st->op[0].col,
		    "'call %%rN' (callx) is not part of RFC 9669: use 'call IMM' for a helper or "
		    "'call local LABEL'");

	for (int i = 0; i < ISA_NR_OPS; i++) {
		const struct isa_form *f = &isa_forms[i];
		if (!mnem_is(f, st->mnem))
			continue;
		int n = shapes[f->kind].n;
		if (n < count_min)
			count_min = n;
		if (n > count_max) {
			count_max = n;
			usage = shapes[f->kind].usage;
		}
		if (n != st->nops)
			continue;
		int pos = 0;
		while (pos < n && arg_fits(shapes[f->kind].a[pos], &st->op[pos]))
			pos++;
		if (pos == n) {
			if (f->kind == ISA_KIND_LDDW &&
			    f->value != (st->op[1].type == O_PSEUDO ? st->op[1].pseudo : 0))
				continue;
			found = f;
			break;
		}
		const char *d = arg_desc(shapes[f->kind].a[pos]);
		if (pos > best_pos) {
			best_pos = pos;
			snprintf(want, sizeof(want), "%s", d);
		} else if (pos == best_pos && !strstr(want, d)) {
			size_t l = strlen(want);
			snprintf(want + l, sizeof(want) - l, " or %s", d);
		}
	}
	if (found)
		return encode(c, found, st);
	if (best_pos < 0) {
		if (st->nops < count_min)
			return asm_err_at(c, end_col, "'%s' needs %d operand%s (%s %s), got %d", st->mnem,
					  count_min, count_min == 1 ? "" : "s", st->mnem, usage ? usage : "",
					  st->nops);
		return asm_err_at(c, st->op[count_max < 0 ? 0 : count_max].col,
				  "too many operands for '%s' (%s %s)", st->mnem, st->mnem,
				  usage ? usage : "");
	}
	return asm_err_at(c, st->op[best_pos].col, "'%s' expects %s here", st->mnem, want);
}

/* ---------------------------------------------------------------------------------------------- */
/* Conformance syntax                                                                              */

static int parse_conformance(struct ctx *c, struct stmt *st)
{
	struct tok *t = asm_next(c);
	char d[48];
	st->mnem_col = t->col;
	snprintf(st->mnem, sizeof(st->mnem), "%.*s", t->len, t->s);

	if (asm_is_word(t, "lock")) {
		struct tok *w = asm_peek(c);
		bool fetch = false;
		if (asm_is_word(w, "fetch")) {
			fetch = true;
			asm_next(c);
			w = asm_peek(c);
		}
		if (w->type != T_IDENT)
			return asm_err_at(c, w->col,
					  "'lock' needs an operation and 2 operands: lock [fetch] "
					  "add|or|and|xor|xchg|cmpxchg[32] [%%rD+OFF], %%rS; got %s",
					  asm_tok_desc(w, d, sizeof(d)));
		asm_next(c);
		snprintf(st->mnem, sizeof(st->mnem), "lock %s%.*s", fetch ? "fetch " : "",
			 w->len > 20 ? 20 : w->len, w->s);
	} else if (asm_is_word(t, "call") && asm_is_word(asm_peek(c), "local")) {
		asm_next(c);
		snprintf(st->mnem, sizeof(st->mnem), "call local");
	}

	st->nops = 0;
	if (asm_peek(c)->type == T_END)
		return 0;
	for (;;) {
		if (st->nops >= ASM_MAX_OPS)
			return asm_err_at(c, asm_peek(c)->col, "too many operands");
		int rc = asm_parse_operand(c, &st->op[st->nops]);
		if (rc)
			return rc;
		st->nops++;
		t = asm_peek(c);
		if (t->type == T_END)
			return 0;
		if (!asm_is_punct(t, ","))
			return asm_err_at(c, t->col, "expected ',' or end of line, got %s",
					  asm_tok_desc(t, d, sizeof(d)));
		asm_next(c);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Lines and labels                                                                                */

static int define_label(struct ctx *c, struct tok *t)
{
	char k;
	int r;
	if (asm_reg_name(t->s, t->len, &k, &r))
		return asm_err_at(c, t->col, "label '%.*s' is a register name", t->len, t->s);
	for (size_t i = 0; i < c->nlabels; i++)
		if (c->labels[i].len == t->len && memcmp(c->labels[i].name, t->s, (size_t)t->len) == 0)
			return asm_err_at(c, t->col, "label '%.*s' already defined at line %d", t->len, t->s,
					  c->labels[i].line);
	void *p = c->labels;
	if (asm_grow(&p, &c->labels_cap, c->nlabels + 1, sizeof(*c->labels)))
		return -ENOMEM;
	c->labels = p;
	c->labels[c->nlabels++] =
	    (struct label){.name = t->s, .len = t->len, .idx = c->cnt, .line = c->lineno, .col = t->col};
	return 0;
}

/* ".insn 0x0123456789abcdef": one raw slot, the 64-bit little-endian word of its 8 bytes. */
static int parse_insn_directive(struct ctx *c)
{
	struct num n;
	asm_next(c);
	int rc = asm_parse_num(c, &n, "a 64-bit instruction word");
	if (rc)
		return rc;
	if (n.neg || n.ovf)
		return asm_err_at(c, n.col, "instruction word %s%.*s does not fit 64 unsigned bits",
				  NUM_ARGS(&n));
	if ((rc = asm_want_end(c)))
		return rc;
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(n.mag >> (8 * i));
	struct userbpf_insn in;
	memcpy(&in, b, sizeof(in));
	return emit(c, &in, 1);
}

static int assemble_line(struct ctx *c, const char *line, int len)
{
	int rc = asm_tokenize(c, line, len);
	if (rc)
		return rc;
	/* Labels: NAME ':' (several may precede an instruction). */
	while ((asm_peek(c)->type == T_IDENT || asm_peek(c)->type == T_REG) &&
	       asm_is_punct(asm_peek_at(c, 1), ":")) {
		if ((rc = define_label(c, asm_next(c))))
			return rc;
		asm_next(c);
	}
	struct tok *t = asm_peek(c);
	if (t->type == T_END)
		return 0;
	if (asm_is_word(t, ".insn"))
		return parse_insn_directive(c);
	if (t->type != T_IDENT && !asm_looks_like_c(c)) {
		char d[48];
		return asm_err_at(c, t->col, "expected an instruction, got %s",
				  asm_tok_desc(t, d, sizeof(d)));
	}
	struct stmt st;
	memset(&st, 0, sizeof(st));
	rc = asm_looks_like_c(c) ? asm_parse_c(c, &st) : parse_conformance(c, &st);
	if (!rc)
		rc = asm_want_end(c);
	if (!rc)
		rc = assemble_stmt(c, &st, c->t[c->ntok].col);
	return rc;
}

static const struct label *find_label(struct ctx *c, const char *name, int len)
{
	for (size_t i = 0; i < c->nlabels; i++)
		if (c->labels[i].len == len && memcmp(c->labels[i].name, name, (size_t)len) == 0)
			return &c->labels[i];
	return NULL;
}

static int resolve(struct ctx *c)
{
	for (size_t i = 0; i < c->nfixups; i++) {
		struct fixup *f = &c->fixups[i];
		const struct label *l = find_label(c, f->name, f->len);
		size_t target;
		c->lineno = f->line;
		if (l)
			target = l->idx;
		else if (f->len == 4 && memcmp(f->name, "exit", 4) == 0 && c->first_exit != SIZE_MAX)
			target = c->first_exit; /* the suite's "jump to exit" */
		else
			return asm_err_at(c, f->col, "unknown label '%.*s'", f->len, f->name);
		int64_t rel = (int64_t)target - (int64_t)(f->idx + 1);
		if (f->wide) {
			c->insns[f->idx].imm = (int32_t)rel;
		} else {
			if (rel < -32768 || rel > 32767)
				return asm_err_at(
				    c, f->col,
				    "label '%.*s' is %lld instructions away: beyond a 16-bit jump "
				    "offset (use ja32/gotol)",
				    f->len, f->name, (long long)rel);
			c->insns[f->idx].off = (int16_t)rel;
		}
	}
	return 0;
}

int userbpf_asm(const char *text, struct userbpf_insn **insns, size_t *cnt, struct userbpf_asm_opts *opts)
{
	struct ctx c;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.opts = opts;
	c.first_exit = SIZE_MAX;
	if (opts && opts->sz >= offsetof(struct userbpf_asm_opts, err_col) + sizeof(opts->err_col)) {
		opts->err_line = 0;
		opts->err_col = 0;
	}
	if (opts && opts->sz >= offsetof(struct userbpf_asm_opts, err_size) + sizeof(opts->err_size) &&
	    opts->err_buf && opts->err_size)
		opts->err_buf[0] = '\0';
	if (!insns || !cnt)
		return -EINVAL;
	*insns = NULL;
	*cnt = 0;
	if (!text) {
		c.lineno = 1;
		return asm_err_at(&c, 1, "no text");
	}

	const char *s = text;
	while (*s && !rc) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		c.lineno++;
		if (n > 0x7fffffff) {
			rc = asm_err_at(&c, 1, "line too long");
			break;
		}
		rc = assemble_line(&c, s, (int)n);
		s = eol ? eol + 1 : s + n;
	}
	if (!rc && c.cnt == 0) {
		c.lineno = 1;
		rc = asm_err_at(&c, 1, "no instructions");
	}
	if (!rc)
		rc = resolve(&c);
	free(c.labels);
	free(c.fixups);
	if (rc) {
		free(c.insns);
		if (rc == -ENOMEM)
			asm_err_at(&c, 1, "out of memory");
		return rc;
	}
	*insns = c.insns;
	*cnt = c.cnt;
	return 0;
}
