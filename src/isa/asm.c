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
 */
#include "disasm.h"
#include "isa.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKS 64
#define MAX_OPS	 4

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
	struct opnd op[MAX_OPS];
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
	struct tok t[MAX_TOKS + 1];
	int ntok;
	int pos;
};

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

__attribute__((format(printf, 3, 4))) static int err_at(struct ctx *c, int col, const char *fmt, ...)
{
	struct userbpf_asm_opts *o = c->opts;
	if (!o)
		return -EINVAL;
	if (o->sz >= offsetof(struct userbpf_asm_opts, err_col) + sizeof(o->err_col)) {
		o->err_line = c->lineno;
		o->err_col = col;
	}
	if (o->sz >= offsetof(struct userbpf_asm_opts, err_size) + sizeof(o->err_size) && o->err_buf &&
	    o->err_size) {
		int n = snprintf(o->err_buf, o->err_size, "%d:%d: ", c->lineno, col);
		if (n >= 0 && (size_t)n < o->err_size) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(o->err_buf + n, o->err_size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*ptr, n * elem);
	if (!q)
		return -ENOMEM;
	*ptr = q;
	*cap = n;
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Tokens                                                                                          */

static bool ident_start(int ch)
{
	return isalpha(ch) || ch == '_' || ch == '.';
}

static bool ident_char(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '.';
}

/* "r5", "w10": a register name of the C syntax; *reg gets the number. */
static bool reg_name(const char *s, int len, char *kind, int *reg)
{
	char k = (char)tolower((unsigned char)s[0]);
	if (len < 2 || len > 4 || (k != 'r' && k != 'w'))
		return false;
	int v = 0;
	for (int i = 1; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*kind = k;
	*reg = v;
	return true;
}

static int lex_number(struct ctx *c, const char *line, int *i, struct tok *t)
{
	const char *s = line + *i;
	int n = 0;
	uint64_t v = 0;
	bool ovf = false;
	t->type = T_NUM;
	t->hex = false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		t->hex = true;
		n = 2;
		int digits = 0;
		while (isxdigit((unsigned char)s[n])) {
			int h = isdigit((unsigned char)s[n]) ? s[n] - '0'
							     : (tolower((unsigned char)s[n]) - 'a' + 10);
			if (v >> 60)
				ovf = true;
			v = v << 4 | (uint64_t)h;
			n++;
			digits++;
		}
		if (!digits)
			return err_at(c, *i + 1, "bad number '%.*s': no hex digits after 0x", n, s);
	} else {
		while (isdigit((unsigned char)s[n])) {
			unsigned d = (unsigned)(s[n] - '0');
			if (v > (UINT64_MAX - d) / 10)
				ovf = true;
			v = v * 10 + d;
			n++;
		}
	}
	if (ident_char((unsigned char)s[n])) {
		int e = n;
		while (ident_char((unsigned char)s[e]))
			e++;
		return err_at(c, *i + 1, "bad number '%.*s'", e, s);
	}
	t->val = v;
	t->ovf = ovf;
	t->len = n;
	*i += n;
	return 0;
}

/* Split one line (without its newline) into c->t[]; comments end it. */
static int tokenize(struct ctx *c, const char *line, int len)
{
	static const char *const puncts[] = {
	    "s>>=", "<<=", ">>=", "s<=", "s>=", "s/=", "s%=", "==", "!=", ">=", "<=", "+=", "-=",
	    "*=",   "/=",  "%=",  "|=",	 "&=",	"^=",  "s<",  "s>", "=",  "<",	">",  "+",  "-",
	    "*",    "/",   "%",	  "|",	 "&",	"^",   "(",   ")",  "[",  "]",	",",  ":"};
	int i = 0;
	c->ntok = 0;
	c->pos = 0;
	while (i < len) {
		unsigned char ch = (unsigned char)line[i];
		if (isspace(ch)) {
			i++;
			continue;
		}
		if (ch == '#' || ch == ';' || (ch == '/' && i + 1 < len && line[i + 1] == '/'))
			break;
		if (c->ntok >= MAX_TOKS)
			return err_at(c, i + 1, "line has too many tokens");
		struct tok *t = &c->t[c->ntok];
		memset(t, 0, sizeof(*t));
		t->s = line + i;
		t->col = i + 1;

		/* Signed operators of the C syntax: s<, s>=, s/=, s%=, s>>= ... */
		if (ch == 's' && i + 1 < len && strchr("<>/%", line[i + 1])) {
			bool found = false;
			for (size_t k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
				int pl = (int)strlen(puncts[k]);
				if (puncts[k][0] == 's' && i + pl <= len &&
				    memcmp(line + i, puncts[k], (size_t)pl) == 0) {
					t->type = T_PUNCT;
					t->len = pl;
					found = true;
					break;
				}
			}
			if (found) {
				i += t->len;
				c->ntok++;
				continue;
			}
		}
		if (ch == '%' && i + 1 < len && isalpha((unsigned char)line[i + 1])) {
			int e = i + 1;
			while (e < len && ident_char((unsigned char)line[e]))
				e++;
			char kind;
			if (!reg_name(line + i + 1, e - i - 1, &kind, &t->reg) || kind != 'r')
				return err_at(c, i + 1, "invalid register '%.*s' (registers are %%r0-%%r10)",
					      e - i, line + i);
			t->type = T_REG;
			t->rkind = '%';
			t->len = e - i;
			i = e;
			c->ntok++;
			continue;
		}
		if (ident_start(ch)) {
			int e = i;
			while (e < len && ident_char((unsigned char)line[e]))
				e++;
			t->len = e - i;
			t->type = reg_name(line + i, t->len, &t->rkind, &t->reg) ? T_REG : T_IDENT;
			i = e;
			c->ntok++;
			continue;
		}
		if (isdigit(ch)) {
			int rc = lex_number(c, line, &i, t);
			if (rc)
				return rc;
			c->ntok++;
			continue;
		}
		bool found = false;
		for (size_t k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
			int pl = (int)strlen(puncts[k]);
			if (puncts[k][0] != 's' && i + pl <= len &&
			    memcmp(line + i, puncts[k], (size_t)pl) == 0) {
				t->type = T_PUNCT;
				t->len = pl;
				found = true;
				break;
			}
		}
		if (!found)
			return err_at(c, i + 1, "unexpected character '%c'", ch);
		i += t->len;
		c->ntok++;
	}
	/* The end token stands just after the last token. */
	struct tok *end = &c->t[c->ntok];
	memset(end, 0, sizeof(*end));
	end->type = T_END;
	end->s = "";
	end->col = c->ntok ? c->t[c->ntok - 1].col + c->t[c->ntok - 1].len : 1;
	return 0;
}

static struct tok *peek(struct ctx *c)
{
	return &c->t[c->pos];
}

static struct tok *peek_at(struct ctx *c, int ahead)
{
	int p = c->pos + ahead;
	return &c->t[p < c->ntok ? p : c->ntok];
}

static struct tok *next(struct ctx *c)
{
	struct tok *t = &c->t[c->pos];
	if (c->pos < c->ntok)
		c->pos++;
	return t;
}

static bool is_punct(const struct tok *t, const char *p)
{
	return t->type == T_PUNCT && (size_t)t->len == strlen(p) && memcmp(t->s, p, (size_t)t->len) == 0;
}

static bool is_word(const struct tok *t, const char *w)
{
	return t->type == T_IDENT && (size_t)t->len == strlen(w) && strncasecmp(t->s, w, (size_t)t->len) == 0;
}

/* Describe a token for messages. */
static const char *tok_desc(const struct tok *t, char *buf, size_t size)
{
	if (t->type == T_END)
		snprintf(buf, size, "end of line");
	else
		snprintf(buf, size, "'%.*s'", t->len, t->s);
	return buf;
}

static int expect(struct ctx *c, const char *p, const char *what)
{
	struct tok *t = peek(c);
	char d[48];
	if (!is_punct(t, p))
		return err_at(c, t->col, "expected %s, got %s", what, tok_desc(t, d, sizeof(d)));
	next(c);
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Operands                                                                                        */

/* [+|-]NUMBER */
static int parse_num(struct ctx *c, struct num *n, const char *what)
{
	struct tok *t = peek(c);
	char d[48];
	int sign_col = t->col;
	memset(n, 0, sizeof(*n));
	if (is_punct(t, "-") || is_punct(t, "+")) {
		n->neg = t->s[0] == '-';
		next(c);
		t = peek(c);
	}
	if (t->type != T_NUM)
		return err_at(c, t->col, "expected %s, got %s", what, tok_desc(t, d, sizeof(d)));
	next(c);
	/* A '-' belongs to the value; a '+' is only a separator ("[%r1+4]", "goto +3"). */
	n->col = n->neg ? sign_col : t->col;
	n->mag = t->val;
	n->hex = t->hex;
	n->ovf = t->ovf;
	n->s = t->s;
	n->len = t->len;
	return 0;
}

static int parse_reg(struct ctx *c, struct opnd *o)
{
	struct tok *t = peek(c);
	char d[48];
	if (t->type != T_REG)
		return err_at(c, t->col, "expected a register, got %s", tok_desc(t, d, sizeof(d)));
	if (t->reg > 10)
		return err_at(c, t->col, "invalid register '%.*s' (r0-r10)", t->len, t->s);
	next(c);
	o->type = O_REG;
	o->col = t->col;
	o->reg = t->reg;
	o->rkind = t->rkind;
	return 0;
}

/* REG [(+|-) NUM] up to `close` (the inside of "[%r1+4]" and "(r1 + 4)"). */
static int parse_mem_inner(struct ctx *c, struct opnd *o, const char *close)
{
	int col = o->col;
	int rc = parse_reg(c, o);
	if (rc)
		return rc;
	o->type = O_MEM;
	o->col = col;
	memset(&o->n, 0, sizeof(o->n));
	o->n.col = peek(c)->col;
	if (is_punct(peek(c), "+") || is_punct(peek(c), "-")) {
		rc = parse_num(c, &o->n, "an offset");
		if (rc)
			return rc;
	}
	return expect(c, close, close[0] == ']' ? "']'" : "')'");
}

/* A conformance operand: %rN, [%rN+off], [+|-]NUM, LABEL, NAME(NUM) [+ NUM]. */
static int parse_operand(struct ctx *c, struct opnd *o)
{
	struct tok *t = peek(c);
	char d[48];
	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (t->type == T_REG)
		return parse_reg(c, o);
	if (is_punct(t, "[")) {
		next(c);
		return parse_mem_inner(c, o, "]");
	}
	if (t->type == T_NUM || is_punct(t, "-") || is_punct(t, "+")) {
		o->type = O_IMM;
		return parse_num(c, &o->n, "a number");
	}
	if (t->type == T_IDENT) {
		for (int k = 1; k < DISASM_NR_LDDW_PSEUDO; k++) {
			if (is_word(t, disasm_lddw_names[k]) && is_punct(peek_at(c, 1), "(")) {
				next(c);
				next(c);
				o->type = O_PSEUDO;
				o->pseudo = k;
				int rc = parse_num(c, &o->n, "a number");
				if (!rc)
					rc = expect(c, ")", "')'");
				if (!rc && is_punct(peek(c), "+")) {
					next(c);
					o->has_n2 = true;
					rc = parse_num(c, &o->n2, "a number");
				}
				return rc;
			}
		}
		next(c);
		o->type = O_LABEL;
		o->label = t->s;
		o->label_len = t->len;
		return 0;
	}
	return err_at(c, t->col, "expected an operand, got %s", tok_desc(t, d, sizeof(d)));
}

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

static bool mnem_known(const char *m)
{
	for (int i = 0; i < ISA_NR_OPS; i++)
		if (mnem_is(&isa_forms[i], m))
			return true;
	return false;
}

/* Aliases: swapN = bswapN; OP64 = OP for the ALU mnemonics (add64, mov64, neg64 ...). */
static void apply_alias(char *m, size_t size)
{
	if (mnem_known(m))
		return;
	if (strncasecmp(m, "swap", 4) == 0) {
		char b[32];
		snprintf(b, sizeof(b), "b%s", m);
		if (mnem_known(b))
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
		return err_at(
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
		return err_at(c, n->col, "value %s%.*s does not fit 32 bits", NUM_ARGS(n));
	uint32_t v = (uint32_t)n->mag;
	*out = (int32_t)(n->neg ? (uint32_t)0 - v : v);
	return 0;
}

static int check_off16(struct ctx *c, const struct num *n, int16_t *out, const char *what)
{
	if (n->ovf || (n->neg ? n->mag > 32768 : n->mag > 32767))
		return err_at(c, n->col, "%s %s%.*s out of 16-bit range (-32768..32767)", what, NUM_ARGS(n));
	*out = (int16_t)(n->neg ? -(int32_t)n->mag : (int32_t)n->mag);
	return 0;
}

static int check_imm64(struct ctx *c, const struct num *n, uint64_t *out)
{
	if (n->ovf || (n->neg && n->mag > 0x8000000000000000ull))
		return err_at(c, n->col, "immediate %s%.*s out of 64-bit range", NUM_ARGS(n));
	*out = n->neg ? (uint64_t)0 - n->mag : n->mag;
	return 0;
}

static int add_fixup(struct ctx *c, const struct opnd *o, bool wide)
{
	void *p = c->fixups;
	if (grow(&p, &c->fixups_cap, c->nfixups + 1, sizeof(*c->fixups)))
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
		return err_at(c, 1, "program has more than %u instructions", USERBPF_MAX_INSNS);
	void *p = c->insns;
	if (grow(&p, &c->cap, c->cnt + n, sizeof(*c->insns)))
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
	if (!mnem_known(st->mnem))
		return err_at(c, st->mnem_col, "unknown mnemonic '%s'", st->mnem);
	if (strcasecmp(st->mnem, "call") == 0 && st->nops == 1 && st->op[0].type == O_REG)
		return err_at(c, st->op[0].col,
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
			return err_at(c, end_col, "'%s' needs %d operand%s (%s %s), got %d", st->mnem,
				      count_min, count_min == 1 ? "" : "s", st->mnem, usage ? usage : "",
				      st->nops);
		return err_at(c, st->op[count_max < 0 ? 0 : count_max].col,
			      "too many operands for '%s' (%s %s)", st->mnem, st->mnem, usage ? usage : "");
	}
	return err_at(c, st->op[best_pos].col, "'%s' expects %s here", st->mnem, want);
}

/* ---------------------------------------------------------------------------------------------- */
/* Conformance syntax                                                                              */

static int parse_conformance(struct ctx *c, struct stmt *st)
{
	struct tok *t = next(c);
	char d[48];
	st->mnem_col = t->col;
	snprintf(st->mnem, sizeof(st->mnem), "%.*s", t->len, t->s);

	if (is_word(t, "lock")) {
		struct tok *w = peek(c);
		bool fetch = false;
		if (is_word(w, "fetch")) {
			fetch = true;
			next(c);
			w = peek(c);
		}
		if (w->type != T_IDENT)
			return err_at(c, w->col,
				      "'lock' needs an operation and 2 operands: lock [fetch] "
				      "add|or|and|xor|xchg|cmpxchg[32] [%%rD+OFF], %%rS; got %s",
				      tok_desc(w, d, sizeof(d)));
		next(c);
		snprintf(st->mnem, sizeof(st->mnem), "lock %s%.*s", fetch ? "fetch " : "",
			 w->len > 20 ? 20 : w->len, w->s);
	} else if (is_word(t, "call") && is_word(peek(c), "local")) {
		next(c);
		snprintf(st->mnem, sizeof(st->mnem), "call local");
	}

	st->nops = 0;
	if (peek(c)->type == T_END)
		return 0;
	for (;;) {
		if (st->nops >= MAX_OPS)
			return err_at(c, peek(c)->col, "too many operands");
		int rc = parse_operand(c, &st->op[st->nops]);
		if (rc)
			return rc;
		st->nops++;
		t = peek(c);
		if (t->type == T_END)
			return 0;
		if (!is_punct(t, ","))
			return err_at(c, t->col, "expected ',' or end of line, got %s",
				      tok_desc(t, d, sizeof(d)));
		next(c);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* C syntax                                                                                        */

/* "u8".."u64", "s8".."s64": bits into *bits, sign into *sign. */
static bool size_word(const struct tok *t, int *bits, bool *sign)
{
	static const char *const names[] = {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"};
	static const int b[] = {8, 16, 32, 64};
	for (int i = 0; i < 8; i++)
		if (is_word(t, names[i])) {
			*bits = b[i % 4];
			*sign = i >= 4;
			return true;
		}
	return false;
}

static const char *size_suffix(int bits)
{
	return bits == 8 ? "b" : bits == 16 ? "h" : bits == 32 ? "w" : "dw";
}

/* "*(u32 *)" of a load or store (the leading '*' already consumed when `star` is false). */
static int parse_cast(struct ctx *c, bool star, int *bits, bool *sign)
{
	int rc;
	char d[48];
	if (star && (rc = expect(c, "*", "'*'")))
		return rc;
	if ((rc = expect(c, "(", "'('")))
		return rc;
	struct tok *t = peek(c);
	if (!size_word(t, bits, sign))
		return err_at(c, t->col, "expected a size (u8, u16, u32, u64, s8, s16, s32), got %s",
			      tok_desc(t, d, sizeof(d)));
	next(c);
	if ((rc = expect(c, "*", "'*'")))
		return rc;
	return expect(c, ")", "')'");
}

/* "(r1 + 4)" into a memory operand. */
static int parse_c_addr(struct ctx *c, struct opnd *o)
{
	memset(o, 0, sizeof(*o));
	o->col = peek(c)->col;
	int rc = expect(c, "(", "'('");
	if (rc)
		return rc;
	return parse_mem_inner(c, o, ")");
}

/* "r1 - 8" (xchg/cmpxchg address, no parentheses). */
static int parse_c_regoff(struct ctx *c, struct opnd *o)
{
	memset(o, 0, sizeof(*o));
	o->col = peek(c)->col;
	int rc = parse_reg(c, o);
	if (rc)
		return rc;
	o->type = O_MEM;
	o->n.col = peek(c)->col;
	if (is_punct(peek(c), "+") || is_punct(peek(c), "-"))
		rc = parse_num(c, &o->n, "an offset");
	return rc;
}

/* Register or immediate right-hand side. */
static int parse_c_value(struct ctx *c, struct opnd *o)
{
	struct tok *t = peek(c);
	char d[48];
	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (t->type == T_REG)
		return parse_reg(c, o);
	if (t->type == T_NUM || is_punct(t, "-") || is_punct(t, "+")) {
		o->type = O_IMM;
		return parse_num(c, &o->n, "a number");
	}
	return err_at(c, t->col, "expected a register or a number, got %s", tok_desc(t, d, sizeof(d)));
}

static int parse_c_target(struct ctx *c, struct opnd *o)
{
	struct tok *t = peek(c);
	char d[48];
	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (t->type == T_IDENT) {
		next(c);
		o->type = O_LABEL;
		o->label = t->s;
		o->label_len = t->len;
		return 0;
	}
	if (t->type == T_NUM || is_punct(t, "-") || is_punct(t, "+")) {
		o->type = O_IMM;
		return parse_num(c, &o->n, "an offset");
	}
	return err_at(c, t->col, "expected a jump offset or label, got %s", tok_desc(t, d, sizeof(d)));
}

static int same_width(struct ctx *c, const struct opnd *a, const struct opnd *b)
{
	if (a->rkind != b->rkind)
		return err_at(c, b->col, "mixing w and r registers in one instruction");
	return 0;
}

static int want_kind(struct ctx *c, const struct opnd *o, char kind)
{
	if (o->rkind != kind)
		return err_at(c, o->col, "expected a %c register here", kind);
	return 0;
}

static int want_end(struct ctx *c)
{
	struct tok *t = peek(c);
	char d[48];
	if (t->type != T_END)
		return err_at(c, t->col, "unexpected %s", tok_desc(t, d, sizeof(d)));
	return 0;
}

/* rD = <something> */
static int parse_c_assign(struct ctx *c, struct stmt *st, struct opnd *dst)
{
	struct tok *t = peek(c);
	char d[48];
	int rc, bits;
	bool sign;
	bool w = dst->rkind == 'w';

	st->mnem_col = t->col;
	if (is_punct(t, "*")) {
		next(c);
		if ((rc = parse_cast(c, false, &bits, &sign)))
			return rc;
		if (is_word(peek(c), "skb")) {
			/* r0 = *(u8 *)skb[12], r0 = *(u16 *)skb[r1 + 12] */
			next(c);
			if (dst->reg != 0)
				return err_at(c, dst->col, "legacy packet loads write r0");
			if (bits == 64 || sign)
				return err_at(c, t->col, "legacy packet loads are u8, u16 or u32");
			if ((rc = expect(c, "[", "'['")))
				return rc;
			if (peek(c)->type == T_REG) {
				st->nops = 2;
				if ((rc = parse_reg(c, &st->op[0])))
					return rc;
				st->op[1].type = O_IMM;
				st->op[1].col = peek(c)->col;
				if (is_punct(peek(c), "+") || is_punct(peek(c), "-")) {
					if ((rc = parse_num(c, &st->op[1].n, "an offset")))
						return rc;
				}
				snprintf(st->mnem, sizeof(st->mnem), "ldind%s", size_suffix(bits));
			} else {
				st->nops = 1;
				st->op[0].type = O_IMM;
				st->op[0].col = peek(c)->col;
				if ((rc = parse_num(c, &st->op[0].n, "an offset")))
					return rc;
				snprintf(st->mnem, sizeof(st->mnem), "ldabs%s", size_suffix(bits));
			}
			return expect(c, "]", "']'");
		}
		if (sign && bits == 64)
			return err_at(c, t->col, "s64 loads do not exist; use u64");
		if (w && bits == 64)
			return err_at(c, dst->col, "a 64-bit load needs an r register");
		st->nops = 2;
		st->op[0] = *dst;
		if ((rc = parse_c_addr(c, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "ldx%s%s", sign ? "s" : "", size_suffix(bits));
		return 0;
	}
	if (is_punct(t, "-") && peek_at(c, 1)->type == T_REG) {
		/* rD = -rD */
		next(c);
		struct opnd src;
		if ((rc = parse_reg(c, &src)))
			return rc;
		if (src.reg != dst->reg || src.rkind != dst->rkind)
			return err_at(c, src.col, "negation is in place: write %c%d = -%c%d", dst->rkind,
				      dst->reg, dst->rkind, dst->reg);
		st->nops = 1;
		st->op[0] = *dst;
		snprintf(st->mnem, sizeof(st->mnem), "neg%s", w ? "32" : "");
		return 0;
	}
	if (is_punct(t, "(") && peek_at(c, 1)->type == T_IDENT) {
		/* rD = (s8)rS */
		next(c);
		struct tok *sz = next(c);
		if (!size_word(sz, &bits, &sign) || !sign || bits == 64 || (w && bits == 32))
			return err_at(c, sz->col, "expected s8, s16%s in a sign-extending move",
				      w ? "" : " or s32");
		if ((rc = expect(c, ")", "')'")))
			return rc;
		st->nops = 2;
		st->op[0] = *dst;
		if ((rc = parse_reg(c, &st->op[1])) || (rc = same_width(c, dst, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "movsx%d%s", bits, w ? "32" : "64");
		return 0;
	}
	if (t->type == T_IDENT) {
		/* be16 rD, atomic_fetch_OP(...), xchg_64(...), cmpxchg_64(...), map_fd(N) ll */
		static const char *const ends[] = {"be16", "be32",    "be64",	 "le16",   "le32",
						   "le64", "bswap16", "bswap32", "bswap64"};
		for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
			if (!is_word(t, ends[i]))
				continue;
			next(c);
			struct opnd src;
			if ((rc = parse_reg(c, &src)))
				return rc;
			if (src.reg != dst->reg)
				return err_at(c, src.col, "byte swap is in place: write r%d = %s r%d",
					      dst->reg, ends[i], dst->reg);
			st->nops = 1;
			st->op[0] = *dst;
			snprintf(st->mnem, sizeof(st->mnem), "%s", ends[i]);
			return 0;
		}
		if (t->len > 13 && strncasecmp(t->s, "atomic_fetch_", 13) == 0) {
			/* rS = atomic_fetch_add((u64 *)(rD + off), rS) */
			next(c);
			const char *op = t->s + 13;
			int oplen = t->len - 13;
			if ((rc = expect(c, "(", "'('")) || (rc = parse_cast(c, false, &bits, &sign)))
				return rc;
			if (sign || bits < 32)
				return err_at(c, t->col, "atomics are u32 or u64");
			st->nops = 2;
			if ((rc = parse_c_addr(c, &st->op[0])) || (rc = expect(c, ",", "','")) ||
			    (rc = parse_reg(c, &st->op[1])) || (rc = expect(c, ")", "')'")))
				return rc;
			if (st->op[1].reg != dst->reg)
				return err_at(c, st->op[1].col,
					      "atomic_fetch_* returns the old value in its source "
					      "register: write %c%d = ...(..., %c%d)",
					      dst->rkind, dst->reg, dst->rkind, dst->reg);
			if ((rc = want_kind(c, dst, bits == 32 ? 'w' : 'r')) ||
			    (rc = want_kind(c, &st->op[1], bits == 32 ? 'w' : 'r')))
				return rc;
			snprintf(st->mnem, sizeof(st->mnem), "lock fetch %.*s%s", oplen > 10 ? 10 : oplen, op,
				 bits == 32 ? "32" : "");
			if (!mnem_known(st->mnem))
				return err_at(c, t->col, "unknown atomic operation '%.*s'", t->len, t->s);
			return 0;
		}
		bool xchg = is_word(t, "xchg_64") || is_word(t, "xchg32_32");
		bool cmpxchg = is_word(t, "cmpxchg_64") || is_word(t, "cmpxchg32_32");
		if (xchg || cmpxchg) {
			/* rS = xchg_64(rD + off, rS); r0 = cmpxchg_64(rD + off, r0, rS) */
			bool w32 = t->s[t->len - 1] == '2';
			char k = w32 ? 'w' : 'r';
			next(c);
			st->nops = 2;
			if ((rc = expect(c, "(", "'('")) || (rc = parse_c_regoff(c, &st->op[0])) ||
			    (rc = expect(c, ",", "','")))
				return rc;
			if (cmpxchg) {
				struct opnd r0;
				if ((rc = parse_reg(c, &r0)) || (rc = expect(c, ",", "','")))
					return rc;
				if (r0.reg != 0 || dst->reg != 0)
					return err_at(c, r0.reg != 0 ? r0.col : dst->col,
						      "cmpxchg compares with and writes %c0", k);
				if ((rc = want_kind(c, &r0, k)))
					return rc;
			}
			if ((rc = parse_reg(c, &st->op[1])) || (rc = expect(c, ")", "')'")))
				return rc;
			if (xchg && st->op[1].reg != dst->reg)
				return err_at(c, st->op[1].col,
					      "xchg returns the old value in its source register");
			if ((rc = want_kind(c, dst, k)) || (rc = want_kind(c, &st->op[1], k)))
				return rc;
			snprintf(st->mnem, sizeof(st->mnem), "lock %s%s", xchg ? "xchg" : "cmpxchg",
				 w32 ? "32" : "");
			return 0;
		}
		for (int k = 1; k < DISASM_NR_LDDW_PSEUDO; k++) {
			if (!is_word(t, disasm_lddw_names[k]))
				continue;
			st->nops = 2;
			st->op[0] = *dst;
			if ((rc = parse_operand(c, &st->op[1])))
				return rc;
			if (!is_word(peek(c), "ll"))
				return err_at(c, peek(c)->col, "expected 'll' after a 64-bit load");
			next(c);
			if (w)
				return err_at(c, dst->col, "a 64-bit load needs an r register");
			snprintf(st->mnem, sizeof(st->mnem), "lddw");
			return 0;
		}
		return err_at(c, t->col, "unexpected %s after '='", tok_desc(t, d, sizeof(d)));
	}
	/* rD = rS, rD = IMM, rD = IMM ll */
	st->nops = 2;
	st->op[0] = *dst;
	if ((rc = parse_c_value(c, &st->op[1])))
		return rc;
	if (is_word(peek(c), "ll")) {
		next(c);
		if (st->op[1].type != O_IMM)
			return err_at(c, st->op[1].col, "expected a number before 'll'");
		if (w)
			return err_at(c, dst->col, "a 64-bit load needs an r register");
		snprintf(st->mnem, sizeof(st->mnem), "lddw");
		return 0;
	}
	if (st->op[1].type == O_REG && (rc = same_width(c, dst, &st->op[1])))
		return rc;
	snprintf(st->mnem, sizeof(st->mnem), "mov%s", w ? "32" : "");
	return 0;
}

static int parse_c(struct ctx *c, struct stmt *st)
{
	struct tok *t = peek(c);
	char d[48];
	int rc, bits;
	bool sign;

	st->mnem_col = t->col;
	st->nops = 0;
	if (t->type == T_REG) {
		struct opnd dst;
		if ((rc = parse_reg(c, &dst)))
			return rc;
		struct tok *op = next(c);
		if (is_punct(op, "="))
			return parse_c_assign(c, st, &dst);
		const char *m = NULL;
		for (const struct disasm_op *a = disasm_alu_ops; a->mnem; a++)
			if (strcmp(a->c_op, "=") != 0 && is_punct(op, a->c_op))
				m = a->mnem;
		if (!m)
			return err_at(c, op->col, "expected an assignment operator (=, +=, s>>= ...), got %s",
				      tok_desc(op, d, sizeof(d)));
		st->mnem_col = op->col;
		st->nops = 2;
		st->op[0] = dst;
		if ((rc = parse_c_value(c, &st->op[1])))
			return rc;
		if (st->op[1].type == O_REG && (rc = same_width(c, &dst, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "%s%s", m, dst.rkind == 'w' ? "32" : "");
		return 0;
	}
	if (is_punct(t, "*")) {
		/* *(u32 *)(rD + off) = rS | IMM */
		if ((rc = parse_cast(c, true, &bits, &sign)))
			return rc;
		if (sign)
			return err_at(c, t->col, "stores are unsigned (u8, u16, u32, u64)");
		st->nops = 2;
		if ((rc = parse_c_addr(c, &st->op[0])) || (rc = expect(c, "=", "'='")) ||
		    (rc = parse_c_value(c, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "st%s%s", st->op[1].type == O_REG ? "x" : "",
			 size_suffix(bits));
		return 0;
	}
	if (is_word(t, "lock")) {
		/* lock *(u64 *)(rD + off) += rS */
		next(c);
		if ((rc = parse_cast(c, true, &bits, &sign)))
			return rc;
		if (sign || bits < 32)
			return err_at(c, t->col, "atomics are u32 or u64");
		st->nops = 2;
		if ((rc = parse_c_addr(c, &st->op[0])))
			return rc;
		struct tok *op = next(c);
		static const char *const ops[][2] = {
		    {"+=", "add"}, {"|=", "or"}, {"&=", "and"}, {"^=", "xor"}};
		const char *m = NULL;
		for (int i = 0; i < 4; i++)
			if (is_punct(op, ops[i][0]))
				m = ops[i][1];
		if (!m)
			return err_at(c, op->col, "expected +=, |=, &= or ^= after a lock address, got %s",
				      tok_desc(op, d, sizeof(d)));
		if ((rc = parse_reg(c, &st->op[1])) ||
		    (rc = want_kind(c, &st->op[1], bits == 32 ? 'w' : 'r')))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "lock %s%s", m, bits == 32 ? "32" : "");
		return 0;
	}
	if (is_word(t, "if")) {
		/* if rD OP rS|IMM goto TARGET */
		next(c);
		st->nops = 3;
		if ((rc = parse_reg(c, &st->op[0])))
			return rc;
		struct tok *op = next(c);
		const char *m = NULL;
		for (const struct disasm_op *a = disasm_jmp_ops; a->mnem; a++)
			if (is_punct(op, a->c_op))
				m = a->mnem;
		if (!m)
			return err_at(c, op->col, "expected a comparison (==, !=, >, s<, & ...), got %s",
				      tok_desc(op, d, sizeof(d)));
		if ((rc = parse_c_value(c, &st->op[1])))
			return rc;
		if (st->op[1].type == O_REG && (rc = same_width(c, &st->op[0], &st->op[1])))
			return rc;
		if (!is_word(peek(c), "goto"))
			return err_at(c, peek(c)->col, "expected 'goto', got %s",
				      tok_desc(peek(c), d, sizeof(d)));
		next(c);
		if ((rc = parse_c_target(c, &st->op[2])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "%s%s", m, st->op[0].rkind == 'w' ? "32" : "");
		return 0;
	}
	if (is_word(t, "goto") || is_word(t, "gotol")) {
		next(c);
		st->nops = 1;
		snprintf(st->mnem, sizeof(st->mnem), "%s", t->len == 4 ? "ja" : "ja32");
		return parse_c_target(c, &st->op[0]);
	}
	if (is_word(t, "call")) {
		/* call IMM (helper), call pc+N, call LABEL (local) */
		next(c);
		struct tok *a = peek(c);
		if (is_word(a, "pc") && (is_punct(peek_at(c, 1), "+") || is_punct(peek_at(c, 1), "-"))) {
			next(c);
			st->nops = 1;
			st->op[0].type = O_IMM;
			st->op[0].col = peek(c)->col;
			snprintf(st->mnem, sizeof(st->mnem), "call local");
			return parse_num(c, &st->op[0].n, "an offset");
		}
		if (a->type == T_IDENT) {
			snprintf(st->mnem, sizeof(st->mnem), "call local");
			st->nops = 1;
			return parse_c_target(c, &st->op[0]);
		}
		st->nops = 1;
		snprintf(st->mnem, sizeof(st->mnem), "call");
		if (a->type == T_REG)
			return parse_reg(c, &st->op[0]);
		return parse_c_value(c, &st->op[0]);
	}
	return err_at(c, t->col, "unexpected %s", tok_desc(t, d, sizeof(d)));
}

/* C syntax starts with a register, '*', "if", "goto", "gotol", "lock *", "call pc", "call LABEL". */
static bool looks_like_c(struct ctx *c)
{
	struct tok *t = peek(c), *t1 = peek_at(c, 1);
	if (t->type == T_REG || is_punct(t, "*") || is_word(t, "if") || is_word(t, "goto") ||
	    is_word(t, "gotol"))
		return true;
	if (is_word(t, "lock") && is_punct(t1, "*"))
		return true;
	if (is_word(t, "call") && t1->type == T_IDENT && !is_word(t1, "local"))
		return true;
	return false;
}

/* ---------------------------------------------------------------------------------------------- */
/* Lines and labels                                                                                */

static int define_label(struct ctx *c, struct tok *t)
{
	char k;
	int r;
	if (reg_name(t->s, t->len, &k, &r))
		return err_at(c, t->col, "label '%.*s' is a register name", t->len, t->s);
	for (size_t i = 0; i < c->nlabels; i++)
		if (c->labels[i].len == t->len && memcmp(c->labels[i].name, t->s, (size_t)t->len) == 0)
			return err_at(c, t->col, "label '%.*s' already defined at line %d", t->len, t->s,
				      c->labels[i].line);
	void *p = c->labels;
	if (grow(&p, &c->labels_cap, c->nlabels + 1, sizeof(*c->labels)))
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
	next(c);
	int rc = parse_num(c, &n, "a 64-bit instruction word");
	if (rc)
		return rc;
	if (n.neg || n.ovf)
		return err_at(c, n.col, "instruction word %s%.*s does not fit 64 unsigned bits",
			      NUM_ARGS(&n));
	if ((rc = want_end(c)))
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
	int rc = tokenize(c, line, len);
	if (rc)
		return rc;
	/* Labels: NAME ':' (several may precede an instruction). */
	while ((peek(c)->type == T_IDENT || peek(c)->type == T_REG) && is_punct(peek_at(c, 1), ":")) {
		if ((rc = define_label(c, next(c))))
			return rc;
		next(c);
	}
	struct tok *t = peek(c);
	if (t->type == T_END)
		return 0;
	if (is_word(t, ".insn"))
		return parse_insn_directive(c);
	if (t->type != T_IDENT && !looks_like_c(c)) {
		char d[48];
		return err_at(c, t->col, "expected an instruction, got %s", tok_desc(t, d, sizeof(d)));
	}
	struct stmt st;
	memset(&st, 0, sizeof(st));
	rc = looks_like_c(c) ? parse_c(c, &st) : parse_conformance(c, &st);
	if (!rc)
		rc = want_end(c);
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
			return err_at(c, f->col, "unknown label '%.*s'", f->len, f->name);
		int64_t rel = (int64_t)target - (int64_t)(f->idx + 1);
		if (f->wide) {
			c->insns[f->idx].imm = (int32_t)rel;
		} else {
			if (rel < -32768 || rel > 32767)
				return err_at(c, f->col,
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
		return err_at(&c, 1, "no text");
	}

	const char *s = text;
	while (*s && !rc) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		c.lineno++;
		if (n > 0x7fffffff) {
			rc = err_at(&c, 1, "line too long");
			break;
		}
		rc = assemble_line(&c, s, (int)n);
		s = eol ? eol + 1 : s + n;
	}
	if (!rc && c.cnt == 0) {
		c.lineno = 1;
		rc = err_at(&c, 1, "no instructions");
	}
	if (!rc)
		rc = resolve(&c);
	free(c.labels);
	free(c.fixups);
	if (rc) {
		free(c.insns);
		if (rc == -ENOMEM)
			err_at(&c, 1, "out of memory");
		return rc;
	}
	*insns = c.insns;
	*cnt = c.cnt;
	return 0;
}
