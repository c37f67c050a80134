/*
 * asm_c.c - the assembler's reader of the C syntax (llvm-objdump, kernel verifier log): turns
 * "r0 = *(u32 *)(r1 + 4)", "if w1 s< -5 goto -2", "lock *(u64 *)(r10 - 8) += r1" ... into the
 * conformance mnemonic and operands they mean, which asm.c then encodes like any other statement.
 */
#include "asm.h"
#include "disasm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------------------------------- */
/* C syntax                                                                                        */

/* "u8".."u64", "s8".."s64": bits into *bits, sign into *sign. */
static bool size_word(const struct tok *t, int *bits, bool *sign)
{
	static const char *const names[] = {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"};
	static const int b[] = {8, 16, 32, 64};
	for (int i = 0; i < 8; i++)
		if (asm_is_word(t, names[i])) {
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
	if (star && (rc = asm_expect(c, "*", "'*'")))
		return rc;
	if ((rc = asm_expect(c, "(", "'('")))
		return rc;
	struct tok *t = asm_peek(c);
	if (!size_word(t, bits, sign))
		return asm_err_at(c, t->col, "expected a size (u8, u16, u32, u64, s8, s16, s32), got %s",
				  asm_tok_desc(t, d, sizeof(d)));
	asm_next(c);
	if ((rc = asm_expect(c, "*", "'*'")))
		return rc;
	return asm_expect(c, ")", "')'");
}

/* "(r1 + 4)" into a memory operand. */
static int parse_c_addr(struct ctx *c, struct opnd *o)
{
	memset(o, 0, sizeof(*o));
	o->col = asm_peek(c)->col;
	int rc = asm_expect(c, "(", "'('");
	if (rc)
		return rc;
	return asm_parse_mem_inner(c, o, ")");
}

/* "r1 - 8" (xchg/cmpxchg address, no parentheses). */
static int parse_c_regoff(struct ctx *c, struct opnd *o)
{
	memset(o, 0, sizeof(*o));
	o->col = asm_peek(c)->col;
	int rc = asm_parse_reg(c, o);
	if (rc)
		return rc;
	o->type = O_MEM;
	o->n.col = asm_peek(c)->col;
	if (asm_is_punct(asm_peek(c), "+") || asm_is_punct(asm_peek(c), "-"))
		rc = asm_parse_num(c, &o->n, "an offset");
	return rc;
}

/* Register or immediate right-hand side. */
static int parse_c_value(struct ctx *c, struct opnd *o)
{
	struct tok *t = asm_peek(c);
	char d[48];
	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (t->type == T_REG)
		return asm_parse_reg(c, o);
	if (t->type == T_NUM || asm_is_punct(t, "-") || asm_is_punct(t, "+")) {
		o->type = O_IMM;
		return asm_parse_num(c, &o->n, "a number");
	}
	return asm_err_at(c, t->col, "expected a register or a number, got %s",
			  asm_tok_desc(t, d, sizeof(d)));
}

static int parse_c_target(struct ctx *c, struct opnd *o)
{
	struct tok *t = asm_peek(c);
	char d[48];
	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (t->type == T_IDENT) {
		asm_next(c);
		o->type = O_LABEL;
		o->label = t->s;
		o->label_len = t->len;
		return 0;
	}
	if (t->type == T_NUM || asm_is_punct(t, "-") || asm_is_punct(t, "+")) {
		o->type = O_IMM;
		int rc = asm_parse_num(c, &o->n, "an offset");
		/* llvm-objdump's annotation of the target, "goto +0x1 <.text+0x78>", is skipped. */
		if (!rc && asm_is_punct(asm_peek(c), "<") && asm_is_punct(&c->t[c->ntok - 1], ">"))
			c->pos = c->ntok;
		return rc;
	}
	return asm_err_at(c, t->col, "expected a jump offset or label, got %s",
			  asm_tok_desc(t, d, sizeof(d)));
}

static int same_width(struct ctx *c, const struct opnd *a, const struct opnd *b)
{
	if (a->rkind != b->rkind)
		return asm_err_at(c, b->col, "mixing w and r registers in one instruction");
	return 0;
}

static int want_kind(struct ctx *c, const struct opnd *o, char kind)
{
	if (o->rkind != kind)
		return asm_err_at(c, o->col, "expected a %c register here", kind);
	return 0;
}

/* rD = <something> */
static int parse_c_assign(struct ctx *c, struct stmt *st, struct opnd *dst)
{
	struct tok *t = asm_peek(c);
	char d[48];
	int rc, bits;
	bool sign;
	bool w = dst->rkind == 'w';

	st->mnem_col = t->col;
	if (asm_is_punct(t, "*")) {
		asm_next(c);
		if ((rc = parse_cast(c, false, &bits, &sign)))
			return rc;
		if (asm_is_word(asm_peek(c), "skb")) {
			/* r0 = *(u8 *)skb[12], r0 = *(u16 *)skb[r1 + 12] */
			asm_next(c);
			if (dst->reg != 0)
				return asm_err_at(c, dst->col, "legacy packet loads write r0");
			if (bits == 64 || sign)
				return asm_err_at(c, t->col, "legacy packet loads are u8, u16 or u32");
			if ((rc = asm_expect(c, "[", "'['")))
				return rc;
			if (asm_peek(c)->type == T_REG) {
				st->nops = 2;
				if ((rc = asm_parse_reg(c, &st->op[0])))
					return rc;
				st->op[1].type = O_IMM;
				st->op[1].col = asm_peek(c)->col;
				if (asm_is_punct(asm_peek(c), "+") || asm_is_punct(asm_peek(c), "-")) {
					if ((rc = asm_parse_num(c, &st->op[1].n, "an offset")))
						return rc;
				}
				snprintf(st->mnem, sizeof(st->mnem), "ldind%s", size_suffix(bits));
			} else {
				st->nops = 1;
				st->op[0].type = O_IMM;
				st->op[0].col = asm_peek(c)->col;
				if ((rc = asm_parse_num(c, &st->op[0].n, "an offset")))
					return rc;
				snprintf(st->mnem, sizeof(st->mnem), "ldabs%s", size_suffix(bits));
			}
			return asm_expect(c, "]", "']'");
		}
		if (sign && bits == 64)
			return asm_err_at(c, t->col, "s64 loads do not exist; use u64");
		if (w && bits == 64)
			return asm_err_at(c, dst->col, "a 64-bit load needs an r register");
		st->nops = 2;
		st->op[0] = *dst;
		if ((rc = parse_c_addr(c, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "ldx%s%s", sign ? "s" : "", size_suffix(bits));
		return 0;
	}
	if (asm_is_punct(t, "-") && asm_peek_at(c, 1)->type == T_REG) {
		/* rD = -rD */
		asm_next(c);
		struct opnd src;
		if ((rc = asm_parse_reg(c, &src)))
			return rc;
		if (src.reg != dst->reg || src.rkind != dst->rkind)
			return asm_err_at(c, src.col, "negation is in place: write %c%d = -%c%d", dst->rkind,
					  dst->reg, dst->rkind, dst->reg);
		st->nops = 1;
		st->op[0] = *dst;
		snprintf(st->mnem, sizeof(st->mnem), "neg%s", w ? "32" : "");
		return 0;
	}
	if (asm_is_punct(t, "(") && asm_peek_at(c, 1)->type == T_IDENT) {
		/* rD = (s8)rS */
		asm_next(c);
		struct tok *sz = asm_next(c);
		if (!size_word(sz, &bits, &sign) || !sign || bits == 64 || (w && bits == 32))
			return asm_err_at(c, sz->col, "expected s8, s16%s in a sign-extending move",
					  w ? "" : " or s32");
		if ((rc = asm_expect(c, ")", "')'")))
			return rc;
		st->nops = 2;
		st->op[0] = *dst;
		if ((rc = asm_parse_reg(c, &st->op[1])) || (rc = same_width(c, dst, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "movsx%d%s", bits, w ? "32" : "64");
		return 0;
	}
	if (t->type == T_IDENT) {
		/* be16 rD, atomic_fetch_OP(...), xchg_64(...), cmpxchg_64(...), map_fd(N) ll */
		static const char *const ends[] = {"be16", "be32",    "be64",	 "le16",   "le32",
						   "le64", "bswap16", "bswap32", "bswap64"};
		for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
			if (!asm_is_word(t, ends[i]))
				continue;
			asm_next(c);
			struct opnd src;
			if ((rc = asm_parse_reg(c, &src)))
				return rc;
			if (src.reg != dst->reg)
				return asm_err_at(c, src.col, "byte swap is in place: write r%d = %s r%d",
						  dst->reg, ends[i], dst->reg);
			st->nops = 1;
			st->op[0] = *dst;
			snprintf(st->mnem, sizeof(st->mnem), "%s", ends[i]);
			return 0;
		}
		if (t->len > 13 && strncasecmp(t->s, "atomic_fetch_", 13) == 0) {
			/* rS = atomic_fetch_add((u64 *)(rD + off), rS) */
			asm_next(c);
			const char *op = t->s + 13;
			int oplen = t->len - 13;
			if ((rc = asm_expect(c, "(", "'('")) || (rc = parse_cast(c, false, &bits, &sign)))
				return rc;
			if (sign || bits < 32)
				return asm_err_at(c, t->col, "atomics are u32 or u64");
			st->nops = 2;
			if ((rc = parse_c_addr(c, &st->op[0])) || (rc = asm_expect(c, ",", "','")) ||
			    (rc = asm_parse_reg(c, &st->op[1])) || (rc = asm_expect(c, ")", "')'")))
				return rc;
			if (st->op[1].reg != dst->reg)
				return asm_err_at(c, st->op[1].col,
						  "atomic_fetch_* returns the old value in its source "
						  "register: write %c%d = ...(..., %c%d)",
						  dst->rkind, dst->reg, dst->rkind, dst->reg);
			if ((rc = want_kind(c, dst, bits == 32 ? 'w' : 'r')) ||
			    (rc = want_kind(c, &st->op[1], bits == 32 ? 'w' : 'r')))
				return rc;
			snprintf(st->mnem, sizeof(st->mnem), "lock fetch %.*s%s", oplen > 10 ? 10 : oplen, op,
				 bits == 32 ? "32" : "");
			if (!asm_mnem_known(st->mnem))
				return asm_err_at(c, t->col, "unknown atomic operation '%.*s'", t->len, t->s);
			return 0;
		}
		bool xchg = asm_is_word(t, "xchg_64") || asm_is_word(t, "xchg32_32");
		bool cmpxchg = asm_is_word(t, "cmpxchg_64") || asm_is_word(t, "cmpxchg32_32");
		if (xchg || cmpxchg) {
			/* rS = xchg_64(rD + off, rS); r0 = cmpxchg_64(rD + off, r0, rS) */
			bool w32 = t->s[t->len - 1] == '2';
			char k = w32 ? 'w' : 'r';
			asm_next(c);
			st->nops = 2;
			if ((rc = asm_expect(c, "(", "'('")) || (rc = parse_c_regoff(c, &st->op[0])) ||
			    (rc = asm_expect(c, ",", "','")))
				return rc;
			if (cmpxchg) {
				struct opnd r0;
				if ((rc = asm_parse_reg(c, &r0)) || (rc = asm_expect(c, ",", "','")))
					return rc;
				if (r0.reg != 0 || dst->reg != 0)
					return asm_err_at(c, r0.reg != 0 ? r0.col : dst->col,
							  "cmpxchg compares with and writes %c0", k);
				if ((rc = want_kind(c, &r0, k)))
					return rc;
			}
			if ((rc = asm_parse_reg(c, &st->op[1])) || (rc = asm_expect(c, ")", "')'")))
				return rc;
			if (xchg && st->op[1].reg != dst->reg)
				return asm_err_at(c, st->op[1].col,
						  "xchg returns the old value in its source register");
			if ((rc = want_kind(c, dst, k)) || (rc = want_kind(c, &st->op[1], k)))
				return rc;
			snprintf(st->mnem, sizeof(st->mnem), "lock %s%s", xchg ? "xchg" : "cmpxchg",
				 w32 ? "32" : "");
			return 0;
		}
		for (int k = 1; k < DISASM_NR_LDDW_PSEUDO; k++) {
			if (!asm_is_word(t, disasm_lddw_names[k]))
				continue;
			st->nops = 2;
			st->op[0] = *dst;
			if ((rc = asm_parse_operand(c, &st->op[1])))
				return rc;
			if (!asm_is_word(asm_peek(c), "ll"))
				return asm_err_at(c, asm_peek(c)->col, "expected 'll' after a 64-bit load");
			asm_next(c);
			if (w)
				return asm_err_at(c, dst->col, "a 64-bit load needs an r register");
			snprintf(st->mnem, sizeof(st->mnem), "lddw");
			return 0;
		}
		return asm_err_at(c, t->col, "unexpected %s after '='", asm_tok_desc(t, d, sizeof(d)));
	}
	/* rD = rS, rD = IMM, rD = IMM ll */
	st->nops = 2;
	st->op[0] = *dst;
	if ((rc = parse_c_value(c, &st->op[1])))
		return rc;
	if (asm_is_word(asm_peek(c), "ll")) {
		asm_next(c);
		if (st->op[1].type != O_IMM)
			return asm_err_at(c, st->op[1].col, "expected a number before 'll'");
		if (w)
			return asm_err_at(c, dst->col, "a 64-bit load needs an r register");
		snprintf(st->mnem, sizeof(st->mnem), "lddw");
		return 0;
	}
	if (st->op[1].type == O_REG && (rc = same_width(c, dst, &st->op[1])))
		return rc;
	snprintf(st->mnem, sizeof(st->mnem), "mov%s", w ? "32" : "");
	return 0;
}

int asm_parse_c(struct ctx *c, struct stmt *st)
{
	struct tok *t = asm_peek(c);
	char d[48];
	int rc, bits;
	bool sign;

	st->mnem_col = t->col;
	st->nops = 0;
	if (t->type == T_REG) {
		struct opnd dst;
		if ((rc = asm_parse_reg(c, &dst)))
			return rc;
		struct tok *op = asm_next(c);
		if (asm_is_punct(op, "="))
			return parse_c_assign(c, st, &dst);
		const char *m = NULL;
		for (const struct disasm_op *a = disasm_alu_ops; a->mnem; a++)
			if (strcmp(a->c_op, "=") != 0 && asm_is_punct(op, a->c_op))
				m = a->mnem;
		if (!m)
			return asm_err_at(c, op->col,
					  "expected an assignment operator (=, +=, s>>= ...), got %s",
					  asm_tok_desc(op, d, sizeof(d)));
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
	if (asm_is_punct(t, "*")) {
		/* *(u32 *)(rD + off) = rS | IMM */
		if ((rc = parse_cast(c, true, &bits, &sign)))
			return rc;
		if (sign)
			return asm_err_at(c, t->col, "stores are unsigned (u8, u16, u32, u64)");
		st->nops = 2;
		if ((rc = parse_c_addr(c, &st->op[0])) || (rc = asm_expect(c, "=", "'='")) ||
		    (rc = parse_c_value(c, &st->op[1])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "st%s%s", st->op[1].type == O_REG ? "x" : "",
			 size_suffix(bits));
		return 0;
	}
	if (asm_is_word(t, "lock")) {
		/* lock *(u64 *)(rD + off) += rS */
		asm_next(c);
		if ((rc = parse_cast(c, true, &bits, &sign)))
			return rc;
		if (sign || bits < 32)
			return asm_err_at(c, t->col, "atomics are u32 or u64");
		st->nops = 2;
		if ((rc = parse_c_addr(c, &st->op[0])))
			return rc;
		struct tok *op = asm_next(c);
		static const char *const ops[][2] = {
		    {"+=", "add"}, {"|=", "or"}, {"&=", "and"}, {"^=", "xor"}};
		const char *m = NULL;
		for (int i = 0; i < 4; i++)
			if (asm_is_punct(op, ops[i][0]))
				m = ops[i][1];
		if (!m)
			return asm_err_at(c, op->col,
					  "expected +=, |=, &= or ^= after a lock address, got %s",
					  asm_tok_desc(op, d, sizeof(d)));
		if ((rc = asm_parse_reg(c, &st->op[1])) ||
		    (rc = want_kind(c, &st->op[1], bits == 32 ? 'w' : 'r')))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "lock %s%s", m, bits == 32 ? "32" : "");
		return 0;
	}
	if (asm_is_word(t, "if")) {
		/* if rD OP rS|IMM goto TARGET */
		asm_next(c);
		st->nops = 3;
		if ((rc = asm_parse_reg(c, &st->op[0])))
			return rc;
		struct tok *op = asm_next(c);
		const char *m = NULL;
		for (const struct disasm_op *a = disasm_jmp_ops; a->mnem; a++)
			if (asm_is_punct(op, a->c_op))
				m = a->mnem;
		if (!m)
			return asm_err_at(c, op->col, "expected a comparison (==, !=, >, s<, & ...), got %s",
					  asm_tok_desc(op, d, sizeof(d)));
		if ((rc = parse_c_value(c, &st->op[1])))
			return rc;
		if (st->op[1].type == O_REG && (rc = same_width(c, &st->op[0], &st->op[1])))
			return rc;
		if (!asm_is_word(asm_peek(c), "goto"))
			return asm_err_at(c, asm_peek(c)->col, "expected 'goto', got %s",
					  asm_tok_desc(asm_peek(c), d, sizeof(d)));
		asm_next(c);
		if ((rc = parse_c_target(c, &st->op[2])))
			return rc;
		snprintf(st->mnem, sizeof(st->mnem), "%s%s", m, st->op[0].rkind == 'w' ? "32" : "");
		return 0;
	}
	if (asm_is_word(t, "goto") || asm_is_word(t, "gotol")) {
		asm_next(c);
		st->nops = 1;
		snprintf(st->mnem, sizeof(st->mnem), "%s", t->len == 4 ? "ja" : "ja32");
		return parse_c_target(c, &st->op[0]);
	}
	if (asm_is_word(t, "call")) {
		/* call IMM (helper), call pc+N, call LABEL (local) */
		asm_next(c);
		struct tok *a = asm_peek(c);
		if (asm_is_word(a, "pc") &&
		    (asm_is_punct(asm_peek_at(c, 1), "+") || asm_is_punct(asm_peek_at(c, 1), "-"))) {
			asm_next(c);
			st->nops = 1;
			st->op[0].type = O_IMM;
			st->op[0].col = asm_peek(c)->col;
			snprintf(st->mnem, sizeof(st->mnem), "call local");
			return asm_parse_num(c, &st->op[0].n, "an offset");
		}
		if (a->type == T_IDENT) {
			snprintf(st->mnem, sizeof(st->mnem), "call local");
			st->nops = 1;
			return parse_c_target(c, &st->op[0]);
		}
		st->nops = 1;
		snprintf(st->mnem, sizeof(st->mnem), "call");
		if (a->type == T_REG)
			return asm_parse_reg(c, &st->op[0]);
		return parse_c_value(c, &st->op[0]);
	}
	return asm_err_at(c, t->col, "unexpected %s", asm_tok_desc(t, d, sizeof(d)));
}

/* C syntax starts with a register, '*', "if", "goto", "gotol", "lock *", "call pc", "call LABEL". */
bool asm_looks_like_c(struct ctx *c)
{
	struct tok *t = asm_peek(c), *t1 = asm_peek_at(c, 1);
	if (t->type == T_REG || asm_is_punct(t, "*") || asm_is_word(t, "if") || asm_is_word(t, "goto") ||
	    asm_is_word(t, "gotol"))
		return true;
	if (asm_is_word(t, "lock") && asm_is_punct(t1, "*"))
		return true;
	if (asm_is_word(t, "call") && t1->type == T_IDENT && !asm_is_word(t1, "local"))
		return true;
	return false;
}
