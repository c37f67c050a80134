/*
 * asm_lex.c - the assembler's tokens and operands: splitting a line into registers, numbers,
 * identifiers and punctuation (comments `#`, `;`, `//` end it), error reporting as "LINE:COL: what",
 * and the operand shapes both syntaxes share (registers, signed numbers, memory, lddw pseudo).
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
/* Errors                                                                                          */

int asm_err_at(struct ctx *c, int col, const char *fmt, ...)
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

int asm_grow(void **ptr, size_t *cap, size_t need, size_t elem)
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
bool asm_reg_name(const char *s, int len, char *kind, int *reg)
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
			return asm_err_at(c, *i + 1, "bad number '%.*s': no hex digits after 0x", n, s);
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
		return asm_err_at(c, *i + 1, "bad number '%.*s'", e, s);
	}
	t->val = v;
	t->ovf = ovf;
	t->len = n;
	*i += n;
	return 0;
}

/* Split one line (without its newline) into c->t[]; comments end it. */
int asm_tokenize(struct ctx *c, const char *line, int len)
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
		if (c->ntok >= ASM_MAX_TOKS)
			return asm_err_at(c, i + 1, "line has too many tokens");
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
			if (!asm_reg_name(line + i + 1, e - i - 1, &kind, &t->reg) || kind != 'r')
				return asm_err_at(c, i + 1,
						  "invalid register '%.*s' (registers are %%r0-%%r10)", e - i,
						  line + i);
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
			t->type = asm_reg_name(line + i, t->len, &t->rkind, &t->reg) ? T_REG : T_IDENT;
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
			return asm_err_at(c, i + 1, "unexpected character '%c'", ch);
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

struct tok *asm_peek(struct ctx *c)
{
	return &c->t[c->pos];
}

struct tok *asm_peek_at(struct ctx *c, int ahead)
{
	int p = c->pos + ahead;
	return &c->t[p < c->ntok ? p : c->ntok];
}

struct tok *asm_next(struct ctx *c)
{
	struct tok *t = &c->t[c->pos];
	if (c->pos < c->ntok)
		c->pos++;
	return t;
}

bool asm_is_punct(const struct tok *t, const char *p)
{
	return t->type == T_PUNCT && (size_t)t->len == strlen(p) && memcmp(t->s, p, (size_t)t->len) == 0;
}

bool asm_is_word(const struct tok *t, const char *w)
{
	return t->type == T_IDENT && (size_t)t->len == strlen(w) && strncasecmp(t->s, w, (size_t)t->len) == 0;
}

/* Describe a token for messages. */
const char *asm_tok_desc(const struct tok *t, char *buf, size_t size)
{
	if (t->type == T_END)
		snprintf(buf, size, "end of line");
	else
		snprintf(buf, size, "'%.*s'", t->len, t->s);
	return buf;
}

int asm_expect(struct ctx *c, const char *p, const char *what)
{
	struct tok *t = asm_peek(c);
	char d[48];
	if (!asm_is_punct(t, p))
		return asm_err_at(c, t->col, "expected %s, got %s", what, asm_tok_desc(t, d, sizeof(d)));
	asm_next(c);
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Operands                                                                                        */

/* [+|-]NUMBER */
int asm_parse_num(struct ctx *c, struct num *n, const char *what)
{
	struct tok *t = asm_peek(c);
	char d[48];
	int sign_col = t->col;
	memset(n, 0, sizeof(*n));
	if (asm_is_punct(t, "-") || asm_is_punct(t, "+")) {
		n->neg = t->s[0] == '-';
		asm_next(c);
		t = asm_peek(c);
	}
	if (t->type != T_NUM)
		return asm_err_at(c, t->col, "expected %s, got %s", what, asm_tok_desc(t, d, sizeof(d)));
	asm_next(c);
	/* A '-' belongs to the value; a '+' is only a separator ("[%r1+4]", "goto +3"). */
	n->col = n->neg ? sign_col : t->col;
	n->mag = t->val;
	n->hex = t->hex;
	n->ovf = t->ovf;
	n->s = t->s;
	n->len = t->len;
	return 0;
}

int asm_parse_reg(struct ctx *c, struct opnd *o)
{
	struct tok *t = asm_peek(c);
	char d[48];
	if (t->type != T_REG)
		return asm_err_at(c, t->col, "expected a register, got %s", asm_tok_desc(t, d, sizeof(d)));
	if (t->reg > 10)
		return asm_err_at(c, t->col, "invalid register '%.*s' (r0-r10)", t->len, t->s);
	asm_next(c);
	o->type = O_REG;
	o->col = t->col;
	o->reg = t->reg;
	o->rkind = t->rkind;
	return 0;
}

/* REG [(+|-) NUM] up to `close` (the inside of "[%r1+4]" and "(r1 + 4)"). */
int asm_parse_mem_inner(struct ctx *c, struct opnd *o, const char *close)
{
	int col = o->col;
	int rc = asm_parse_reg(c, o);
	if (rc)
		return rc;
	o->type = O_MEM;
	o->col = col;
	memset(&o->n, 0, sizeof(o->n));
	o->n.col = asm_peek(c)->col;
	if (asm_is_punct(asm_peek(c), "+") || asm_is_punct(asm_peek(c), "-")) {
		rc = asm_parse_num(c, &o->n, "an offset");
		if (rc)
			return rc;
	}
	return asm_expect(c, close, close[0] == ']' ? "']'" : "')'");
}

/* A conformance operand: %rN, [%rN+off], [+|-]NUM, LABEL, NAME(NUM) [+ NUM]. */
int asm_parse_operand(struct ctx *c, struct opnd *o)
{
	struct tok *t = asm_peek(c);
	char d[48];
	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (t->type == T_REG)
		return asm_parse_reg(c, o);
	if (asm_is_punct(t, "[")) {
		asm_next(c);
		return asm_parse_mem_inner(c, o, "]");
	}
	if (t->type == T_NUM || asm_is_punct(t, "-") || asm_is_punct(t, "+")) {
		o->type = O_IMM;
		return asm_parse_num(c, &o->n, "a number");
	}
	if (t->type == T_IDENT) {
		for (int k = 1; k < DISASM_NR_LDDW_PSEUDO; k++) {
			if (asm_is_word(t, disasm_lddw_names[k]) && asm_is_punct(asm_peek_at(c, 1), "(")) {
				asm_next(c);
				asm_next(c);
				o->type = O_PSEUDO;
				o->pseudo = k;
				int rc = asm_parse_num(c, &o->n, "a number");
				if (!rc)
					rc = asm_expect(c, ")", "')'");
				if (!rc && asm_is_punct(asm_peek(c), "+")) {
					asm_next(c);
					o->has_n2 = true;
					rc = asm_parse_num(c, &o->n2, "a number");
				}
				return rc;
			}
		}
		asm_next(c);
		o->type = O_LABEL;
		o->label = t->s;
		o->label_len = t->len;
		return 0;
	}
	return asm_err_at(c, t->col, "expected an operand, got %s", asm_tok_desc(t, d, sizeof(d)));
}

int asm_want_end(struct ctx *c)
{
	struct tok *t = asm_peek(c);
	char d[48];
	if (t->type != T_END)
		return asm_err_at(c, t->col, "unexpected %s", asm_tok_desc(t, d, sizeof(d)));
	return 0;
}
