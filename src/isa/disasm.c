/*
 * disasm.c - userbpf_disasm_insn(): one instruction slot (or lddw pair) to text, in the C syntax of
 * llvm-objdump and the kernel verifier log, or in the bpf_conformance syntax. Every line it prints
 * is read back by userbpf_asm() into the same bytes.
 *
 * Conventions of the text:
 *   - jump and call targets are relative offsets: "goto +3", "jgt %r1, %r2, -2", "call pc+3",
 *     "call local +3";
 *   - immediates are decimal when small (|v| <= 65535), hex otherwise; bitwise operands (&=, |=, ^=,
 *     jset) are always hex; lddw constants are the 64-bit value in hex; negative hex is "-0x...";
 *   - legacy packet loads read "r0 = *(u8 *)skb[12]", "r0 = *(u16 *)skb[r1 + 12]" (kernel log),
 *     "skb[r1]" when the offset is 0 (llvm);
 *   - lddw with a pseudo src_reg (1..6) reads "r1 = NAME(IMM) ll" or, when the second slot's imm
 *     is not 0, "r1 = NAME(IMM) + NEXT ll" with NAME one of map_fd, map_value, btf_var, func,
 *     map_idx, map_idx_value (conformance syntax: "lddw %r1, map_value(5) + 16");
 *   - a slot that is not a valid instruction (no form, a non-zero unused field, a register out of
 *     range, an lddw without a valid second slot) prints as ".insn 0x0123456789abcdef", the slot's
 *     8 bytes as a little-endian 64-bit word, and the call returns -EINVAL.
 */
#include "disasm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct disasm_op disasm_alu_ops[] = {
    {"add", "+="},   {"sub", "-="}, {"mul", "*="},  {"div", "/="},    {"sdiv", "s/="},
    {"or", "|="},    {"and", "&="}, {"lsh", "<<="}, {"rsh", ">>="},   {"mod", "%="},
    {"smod", "s%="}, {"xor", "^="}, {"mov", "="},   {"arsh", "s>>="}, {NULL, NULL},
};

const struct disasm_op disasm_jmp_ops[] = {
    {"jeq", "=="},  {"jne", "!="},   {"jgt", ">"},   {"jge", ">="},   {"jlt", "<"},  {"jle", "<="},
    {"jsgt", "s>"}, {"jsge", "s>="}, {"jslt", "s<"}, {"jsle", "s<="}, {"jset", "&"}, {NULL, NULL},
};

const char *const disasm_lddw_names[DISASM_NR_LDDW_PSEUDO] = {
    NULL, "map_fd", "map_value", "btf_var", "func", "map_idx", "map_idx_value",
};

const char *disasm_c_op(const struct disasm_op *table, const char *mnem, size_t len)
{
	for (; table->mnem; table++)
		if (strlen(table->mnem) == len && memcmp(table->mnem, mnem, len) == 0)
			return table->c_op;
	return NULL;
}

/* Output cursor: appends with truncation, always NUL-terminated when size > 0. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *dst = o->len < o->size ? o->buf + o->len : NULL;
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_start(ap, fmt);
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_imm(struct out *o, int64_t v, bool hex)
{
	if (!hex && v >= -65535 && v <= 65535)
		put(o, "%" PRId64, v);
	else if (v < 0)
		put(o, "-0x%" PRIx64, (uint64_t)0 - (uint64_t)v);
	else
		put(o, "0x%" PRIx64, (uint64_t)v);
}

static uint64_t raw_word(const struct userbpf_insn *insn)
{
	uint8_t b[8];
	uint64_t w = 0;
	memcpy(b, insn, sizeof(b));
	for (int i = 7; i >= 0; i--)
		w = (w << 8) | b[i];
	return w;
}

/* Mnemonic without a trailing "32" (ALU and JMP32 forms): length of the base. */
static size_t base_len(const char *mnem)
{
	size_t n = strlen(mnem);
	if (n > 2 && strcmp(mnem + n - 2, "32") == 0)
		n -= 2;
	return n;
}

static bool is_bitwise(const char *c_op)
{
	return c_op[0] == '&' || c_op[0] == '|' || c_op[0] == '^';
}

static uint64_t lddw_value(const struct userbpf_insn *insn)
{
	return (uint64_t)(uint32_t)insn->imm | ((uint64_t)(uint32_t)insn[1].imm << 32);
}

/* C syntax: "r1 + 4", "r10 - 8". */
static void put_regoff(struct out *o, int reg, int off)
{
	put(o, "r%d %c %d", reg, off < 0 ? '-' : '+', off < 0 ? -off : off);
}

/* C syntax: "(r1 + 4)" address of a load/store. */
static void put_addr_c(struct out *o, int reg, int off)
{
	put(o, "(");
	put_regoff(o, reg, off);
	put(o, ")");
}

static void put_addr_conf(struct out *o, int reg, int off)
{
	put(o, "[%%r%d%c%d]", reg, off < 0 ? '-' : '+', off < 0 ? -off : off);
}

/* Atomic mnemonic "lock [fetch ]OP[32]": op word into op/op_len, fetch flag. */
static void split_atomic(const char *mnem, const char **op, size_t *op_len, bool *fetch)
{
	const char *p = mnem + strlen("lock ");
	*fetch = strncmp(p, "fetch ", 6) == 0;
	if (*fetch)
		p += 6;
	*op = p;
	*op_len = base_len(p);
}

static void print_c(struct out *o, const struct isa_form *f, const struct userbpf_insn *in)
{
	int dst = in->dst_reg, src = in->src_reg;
	bool w32;
	const char *op;

	switch (f->kind) {
	case ISA_KIND_ALU_K:
	case ISA_KIND_ALU_X:
		w32 = BPF_CLASS(f->code) == BPF_ALU;
		op = disasm_c_op(disasm_alu_ops, f->mnem, base_len(f->mnem));
		put(o, "%c%d %s ", w32 ? 'w' : 'r', dst, op ? op : "?");
		if (f->kind == ISA_KIND_ALU_X)
			put(o, "%c%d", w32 ? 'w' : 'r', src);
		else
			put_imm(o, in->imm, op && is_bitwise(op));
		break;
	case ISA_KIND_NEG:
		w32 = BPF_CLASS(f->code) == BPF_ALU;
		put(o, "%c%d = -%c%d", w32 ? 'w' : 'r', dst, w32 ? 'w' : 'r', dst);
		break;
	case ISA_KIND_MOVSX:
		w32 = BPF_CLASS(f->code) == BPF_ALU;
		put(o, "%c%d = (s%d)%c%d", w32 ? 'w' : 'r', dst, f->value, w32 ? 'w' : 'r', src);
		break;
	case ISA_KIND_END:
		put(o, "r%d = %s r%d", dst, f->mnem, dst);
		break;
	case ISA_KIND_JA:
		put(o, "goto %+d", in->off);
		break;
	case ISA_KIND_JA32:
		put(o, "gotol %+d", in->imm);
		break;
	case ISA_KIND_JCC_K:
	case ISA_KIND_JCC_X:
		w32 = BPF_CLASS(f->code) == BPF_JMP32;
		op = disasm_c_op(disasm_jmp_ops, f->mnem, base_len(f->mnem));
		put(o, "if %c%d %s ", w32 ? 'w' : 'r', dst, op ? op : "?");
		if (f->kind == ISA_KIND_JCC_X)
			put(o, "%c%d", w32 ? 'w' : 'r', src);
		else
			put_imm(o, in->imm, op && is_bitwise(op));
		put(o, " goto %+d", in->off);
		break;
	case ISA_KIND_CALL_HELPER:
		put(o, "call %d", in->imm);
		break;
	case ISA_KIND_CALL_LOCAL:
		put(o, "call pc%+d", in->imm);
		break;
	case ISA_KIND_EXIT:
		put(o, "exit");
		break;
	case ISA_KIND_LDX:
		put(o, "r%d = *(%c%d *)", dst, BPF_MODE(f->code) == BPF_MEMSX ? 's' : 'u',
		    isa_access_size(f) * 8);
		put_addr_c(o, src, in->off);
		break;
	case ISA_KIND_ST:
	case ISA_KIND_STX:
		put(o, "*(u%d *)", isa_access_size(f) * 8);
		put_addr_c(o, dst, in->off);
		if (f->kind == ISA_KIND_STX) {
			put(o, " = r%d", src);
		} else {
			put(o, " = ");
			put_imm(o, in->imm, false);
		}
		break;
	case ISA_KIND_ATOMIC: {
		const char *aop;
		size_t aop_len;
		bool fetch;
		int bits = isa_access_size(f) * 8;
		char r = bits == 32 ? 'w' : 'r';
		split_atomic(f->mnem, &aop, &aop_len, &fetch);
		if (aop_len == 4 && memcmp(aop, "xchg", 4) == 0) {
			/* xchg_64 / xchg32_32, cmpxchg_64 / cmpxchg32_32: llvm's spelling. */
			put(o, "%c%d = xchg%s(", r, src, bits == 32 ? "32_32" : "_64");
			put_regoff(o, dst, in->off);
			put(o, ", %c%d)", r, src);
		} else if (aop_len == 7 && memcmp(aop, "cmpxchg", 7) == 0) {
			put(o, "%c0 = cmpxchg%s(", r, bits == 32 ? "32_32" : "_64");
			put_regoff(o, dst, in->off);
			put(o, ", %c0, %c%d)", r, r, src);
		} else if (fetch) {
			put(o, "%c%d = atomic_fetch_%.*s((u%d *)", r, src, (int)aop_len, aop, bits);
			put_addr_c(o, dst, in->off);
			put(o, ", %c%d)", r, src);
		} else {
			op = disasm_c_op(disasm_alu_ops, aop, aop_len);
			put(o, "lock *(u%d *)", bits);
			put_addr_c(o, dst, in->off);
			put(o, " %s %c%d", op ? op : "?", r, src);
		}
		break;
	}
	case ISA_KIND_LDDW:
		if (f->value == 0) {
			put(o, "r%d = 0x%" PRIx64 " ll", dst, lddw_value(in));
		} else {
			put(o, "r%d = %s(%d)", dst, disasm_lddw_names[f->value], in->imm);
			if (in[1].imm)
				put(o, " + %" PRIu32, (uint32_t)in[1].imm);
			put(o, " ll");
		}
		break;
	case ISA_KIND_LDABS:
		put(o, "r0 = *(u%d *)skb[%d]", isa_access_size(f) * 8, in->imm);
		break;
	case ISA_KIND_LDIND:
		/* "skb[r1]" when the offset is 0: the only form llvm-mc reads. */
		put(o, "r0 = *(u%d *)skb[r%d", isa_access_size(f) * 8, src);
		if (in->imm)
			put(o, " %c %" PRId64, in->imm < 0 ? '-' : '+',
			    in->imm < 0 ? -(int64_t)in->imm : (int64_t)in->imm);
		put(o, "]");
		break;
	}
}

static void print_conf(struct out *o, const struct isa_form *f, const struct userbpf_insn *in)
{
	int dst = in->dst_reg, src = in->src_reg;

	switch (f->kind) {
	case ISA_KIND_ALU_K:
	case ISA_KIND_ALU_X: {
		const char *op = disasm_c_op(disasm_alu_ops, f->mnem, base_len(f->mnem));
		put(o, "%s %%r%d, ", f->mnem, dst);
		if (f->kind == ISA_KIND_ALU_X)
			put(o, "%%r%d", src);
		else
			put_imm(o, in->imm, op && is_bitwise(op));
		break;
	}
	case ISA_KIND_NEG:
	case ISA_KIND_END:
		put(o, "%s %%r%d", f->mnem, dst);
		break;
	case ISA_KIND_MOVSX:
		put(o, "%s %%r%d, %%r%d", f->mnem, dst, src);
		break;
	case ISA_KIND_JA:
		put(o, "ja %+d", in->off);
		break;
	case ISA_KIND_JA32:
		put(o, "ja32 %+d", in->imm);
		break;
	case ISA_KIND_JCC_K:
	case ISA_KIND_JCC_X:
		put(o, "%s %%r%d, ", f->mnem, dst);
		if (f->kind == ISA_KIND_JCC_X)
			put(o, "%%r%d", src);
		else
			put_imm(o, in->imm, base_len(f->mnem) == 4 && memcmp(f->mnem, "jset", 4) == 0);
		put(o, ", %+d", in->off);
		break;
	case ISA_KIND_CALL_HELPER:
		put(o, "call %d", in->imm);
		break;
	case ISA_KIND_CALL_LOCAL:
		put(o, "call local %+d", in->imm);
		break;
	case ISA_KIND_EXIT:
		put(o, "exit");
		break;
	case ISA_KIND_LDX:
		put(o, "%s %%r%d, ", f->mnem, dst);
		put_addr_conf(o, src, in->off);
		break;
	case ISA_KIND_ST:
		put(o, "%s ", f->mnem);
		put_addr_conf(o, dst, in->off);
		put(o, ", ");
		put_imm(o, in->imm, false);
		break;
	case ISA_KIND_STX:
	case ISA_KIND_ATOMIC:
		put(o, "%s ", f->mnem);
		put_addr_conf(o, dst, in->off);
		put(o, ", %%r%d", src);
		break;
	case ISA_KIND_LDDW:
		if (f->value == 0) {
			put(o, "lddw %%r%d, 0x%" PRIx64, dst, lddw_value(in));
		} else {
			put(o, "lddw %%r%d, %s(%d)", dst, disasm_lddw_names[f->value], in->imm);
			if (in[1].imm)
				put(o, " + %" PRIu32, (uint32_t)in[1].imm);
		}
		break;
	case ISA_KIND_LDABS:
		put(o, "%s %d", f->mnem, in->imm);
		break;
	case ISA_KIND_LDIND:
		put(o, "%s %%r%d, %d", f->mnem, src, in->imm);
		break;
	}
}

int userbpf_disasm_insn(const struct userbpf_insn *insns, size_t cnt, size_t idx, enum userbpf_syntax syntax,
			char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = buf ? size : 0, .len = 0};

	if (o.size)
		buf[0] = '\0';
	if (!insns || idx >= cnt)
		return -EINVAL;

	const struct userbpf_insn *in = &insns[idx];
	const struct userbpf_insn *next = idx + 1 < cnt ? &insns[idx + 1] : NULL;
	const struct isa_form *f = isa_decode(in);
	if (!f || isa_check_fields(f, in, next) ||
	    (syntax != USERBPF_SYNTAX_C && syntax != USERBPF_SYNTAX_CONFORMANCE)) {
		put(&o, ".insn 0x%016" PRIx64, raw_word(in));
		return -EINVAL;
	}
	if (syntax == USERBPF_SYNTAX_C)
		print_c(&o, f, in);
	else
		print_conf(&o, f, in);
	return isa_slots(f);
}
