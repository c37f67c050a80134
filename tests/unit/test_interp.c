/*
 * test_interp.c - instruction semantics from RFC 9669, run through both engines (fast, trusted; and
 * checked) with exact expected values: every ALU, jump, memory, atomic, call and packet form, and the
 * edge cases (division by zero, INT_MIN / -1, shift counts past the width, sign extension, 32-bit
 * zero extension, byte swaps, atomics' old values, stack and call-depth limits, callee-saved
 * registers, LD_ABS/LD_IND bounds, helpers with cookies). The last test fails if some form of
 * opcodes.def was never run.
 */
#include "userbpf/maps.h"
#include "vmtest.h"

#define NEG(x)	((uint64_t)(int64_t)(x))
#define I64_MIN 0x8000000000000000ull

/* dst = a; dst op= b (X form, r1) or imm; return dst. */
static uint64_t alu_x(uint8_t code, int16_t off, uint64_t a, uint64_t b, int line)
{
	struct userbpf_insn p[] = {I_LDDW(0, a), I_LDDW(1, b), I_RAW(code, 0, 1, off, 0), I_EXIT()};
	return vt_run(p, 6, NULL, line);
}

static uint64_t alu_k(uint8_t code, int16_t off, uint64_t a, int32_t imm, int line)
{
	struct userbpf_insn p[] = {I_LDDW(0, a), I_RAW(code, 0, 0, off, imm), I_EXIT()};
	return vt_run(p, 4, NULL, line);
}

struct alu_case {
	uint8_t code;
	int16_t off;
	uint64_t a, b; /* b is the imm (as a sign-extended value) for K forms */
	uint64_t want;
};

static void run_alu_table(const struct alu_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t got = BPF_SRC(t[i].code) == BPF_X
				   ? alu_x(t[i].code, t[i].off, t[i].a, t[i].b, __LINE__)
				   : alu_k(t[i].code, t[i].off, t[i].a, (int32_t)t[i].b, __LINE__);
		if (got != t[i].want) {
			fprintf(stderr,
				"alu case %zu: code 0x%02x off %d a 0x%" PRIx64 " b 0x%" PRIx64
				": got 0x%" PRIx64 ", want 0x%" PRIx64 "\n",
				i, t[i].code, t[i].off, t[i].a, t[i].b, got, t[i].want);
			test_failed_now = 1;
		}
	}
}

#define A64X(OP) (BPF_ALU64 | (OP) | BPF_X)
#define A64K(OP) (BPF_ALU64 | (OP) | BPF_K)
#define A32X(OP) (BPF_ALU | (OP) | BPF_X)
#define A32K(OP) (BPF_ALU | (OP) | BPF_K)

TEST(alu64)
{
	static const struct alu_case t[] = {
	    {A64X(BPF_ADD), 0, ~0ull, 2, 1},
	    {A64K(BPF_ADD), 0, 1, NEG(-2), ~0ull},
	    {A64X(BPF_SUB), 0, 1, 2, ~0ull},
	    {A64K(BPF_SUB), 0, 1, NEG(-1), 2},
	    {A64X(BPF_MUL), 0, 0x100000000ull, 0x100000001ull, 0x100000000ull},
	    {A64K(BPF_MUL), 0, 3, NEG(-1), NEG(-3)},
	    {A64X(BPF_OR), 0, 0xf0f0000000000000ull, 0x0f, 0xf0f000000000000full},
	    {A64K(BPF_OR), 0, 0x100000000ull, NEG(-16), ~0ull - 15},
	    {A64X(BPF_AND), 0, 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull, 0x0f000f000f000f00ull},
	    {A64K(BPF_AND), 0, ~0ull, NEG(-16), 0xfffffffffffffff0ull},
	    {A64X(BPF_XOR), 0, 0xffff0000ffff0000ull, 0xff00ff00ff00ff00ull, 0x00ffff0000ffff00ull},
	    {A64K(BPF_XOR), 0, 0, NEG(-1), ~0ull},
	    {A64X(BPF_MOV), 0, 5, 0x123456789abcdefull, 0x123456789abcdefull},
	    {A64K(BPF_MOV), 0, 5, NEG(-1), ~0ull},
	    /* unsigned division and modulo, by zero */
	    {A64X(BPF_DIV), 0, 100, 7, 14},
	    {A64X(BPF_DIV), 0, ~0ull, 2, 0x7fffffffffffffffull},
	    {A64X(BPF_DIV), 0, 100, 0, 0},
	    {A64K(BPF_DIV), 0, 100, 0, 0},
	    {A64K(BPF_DIV), 0, ~0ull, NEG(-1), 1}, /* imm sign-extended: divisor 2^64-1 */
	    {A64K(BPF_DIV), 0, 100, 7, 14},
	    {A64X(BPF_MOD), 0, 100, 7, 2},
	    {A64X(BPF_MOD), 0, 100, 0, 100},
	    {A64X(BPF_MOD), 0, 0xffffffff00000005ull, 0, 0xffffffff00000005ull},
	    {A64K(BPF_MOD), 0, 0xffffffff00000005ull, 0, 0xffffffff00000005ull},
	    {A64K(BPF_MOD), 0, 5, NEG(-1), 5},
	    {A64K(BPF_MOD), 0, 100, 7, 2},
	    /* signed division and modulo (off = 1) */
	    {A64X(BPF_DIV), 1, NEG(-100), 7, NEG(-14)},
	    {A64X(BPF_DIV), 1, 100, NEG(-7), NEG(-14)},
	    {A64X(BPF_DIV), 1, I64_MIN, NEG(-1), I64_MIN},
	    {A64X(BPF_DIV), 1, NEG(-5), 0, 0},
	    {A64K(BPF_DIV), 1, I64_MIN, NEG(-1), I64_MIN},
	    {A64K(BPF_DIV), 1, NEG(-100), 7, NEG(-14)},
	    {A64K(BPF_DIV), 1, NEG(-100), 0, 0},
	    {A64X(BPF_MOD), 1, NEG(-100), 7, NEG(-2)},
	    {A64X(BPF_MOD), 1, 100, NEG(-7), 2},
	    {A64X(BPF_MOD), 1, I64_MIN, NEG(-1), 0},
	    {A64X(BPF_MOD), 1, NEG(-5), 0, NEG(-5)},
	    {A64K(BPF_MOD), 1, I64_MIN, NEG(-1), 0},
	    {A64K(BPF_MOD), 1, NEG(-100), 7, NEG(-2)},
	    {A64K(BPF_MOD), 1, NEG(-5), 0, NEG(-5)},
	    /* shifts: counts masked with 63 */
	    {A64X(BPF_LSH), 0, 1, 63, I64_MIN},
	    {A64X(BPF_LSH), 0, 1, 64, 1},
	    {A64X(BPF_LSH), 0, 1, 65, 2},
	    {A64X(BPF_LSH), 0, 1, 32, 0x100000000ull},
	    {A64X(BPF_LSH), 0, 1, 33, 0x200000000ull},
	    {A64X(BPF_LSH), 0, 1, NEG(-1), I64_MIN},
	    {A64K(BPF_LSH), 0, 1, 63, I64_MIN},
	    {A64K(BPF_LSH), 0, 1, 64, 1},
	    {A64K(BPF_LSH), 0, 1, NEG(-1), I64_MIN},
	    {A64X(BPF_RSH), 0, I64_MIN, 63, 1},
	    {A64X(BPF_RSH), 0, I64_MIN, 64, I64_MIN},
	    {A64X(BPF_RSH), 0, I64_MIN, 65, 0x4000000000000000ull},
	    {A64X(BPF_RSH), 0, I64_MIN, NEG(-1), 1},
	    {A64K(BPF_RSH), 0, I64_MIN, 32, 0x80000000ull},
	    {A64K(BPF_RSH), 0, I64_MIN, 65, 0x4000000000000000ull},
	    {A64X(BPF_ARSH), 0, I64_MIN, 63, ~0ull},
	    {A64X(BPF_ARSH), 0, NEG(-16), 2, NEG(-4)},
	    {A64X(BPF_ARSH), 0, NEG(-16), 64, NEG(-16)},
	    {A64X(BPF_ARSH), 0, NEG(-16), 65, NEG(-8)},
	    {A64X(BPF_ARSH), 0, NEG(-16), NEG(-1), ~0ull},
	    {A64X(BPF_ARSH), 0, 16, 2, 4},
	    {A64K(BPF_ARSH), 0, NEG(-16), 2, NEG(-4)},
	    {A64K(BPF_ARSH), 0, 0x8000000000000000ull, 32, 0xffffffff80000000ull},
	};
	run_alu_table(t, sizeof(t) / sizeof(t[0]));
}

TEST(alu32)
{
	static const struct alu_case t[] = {
	    {A32X(BPF_ADD), 0, 0xffffffff, 1, 0},
	    {A32X(BPF_ADD), 0, 0x100000005ull, 1, 6},
	    {A32K(BPF_ADD), 0, 0xffffffff, 1, 0},
	    {A32K(BPF_ADD), 0, 0x500000001ull, NEG(-2), 0xffffffff},
	    {A32X(BPF_SUB), 0, 0, 1, 0xffffffff},
	    {A32K(BPF_SUB), 0, 0x100000000ull, 1, 0xffffffff},
	    {A32X(BPF_MUL), 0, 0x10000, 0x10000, 0},
	    {A32X(BPF_MUL), 0, 3, 0xffffffff, 0xfffffffd},
	    {A32K(BPF_MUL), 0, 3, NEG(-1), 0xfffffffd},
	    {A32X(BPF_OR), 0, 0xff00000000ull, 0xff00000001ull, 1},
	    {A32K(BPF_OR), 0, 0xff00000000ull, NEG(-16), 0xfffffff0},
	    {A32X(BPF_AND), 0, 0xffffffffffffffffull, 0xff000000ff00ull, 0xff00},
	    {A32K(BPF_AND), 0, ~0ull, NEG(-16), 0xfffffff0},
	    {A32X(BPF_XOR), 0, 0xffffffffffffffffull, 0xff, 0xffffff00},
	    {A32K(BPF_XOR), 0, 0x100000000ull, NEG(-1), 0xffffffff},
	    {A32X(BPF_MOV), 0, 5, 0x123456789ull, 0x23456789},
	    {A32K(BPF_MOV), 0, 5, NEG(-1), 0xffffffff}, /* w0 = -1 */
	    /* unsigned division and modulo on the low halves, by zero */
	    {A32X(BPF_DIV), 0, 0x100000010ull, 2, 8},
	    {A32X(BPF_DIV), 0, 100, 0, 0},
	    {A32X(BPF_DIV), 0, 100, 0x100000000ull, 0}, /* divisor's low half is 0 */
	    {A32K(BPF_DIV), 0, 100, 0, 0},
	    {A32K(BPF_DIV), 0, 0xffffffff, NEG(-1), 1},
	    {A32X(BPF_MOD), 0, 17, 5, 2},
	    {A32X(BPF_MOD), 0, 0x100000011ull, 0, 0x11}, /* unchanged, upper half zeroed */
	    {A32K(BPF_MOD), 0, 0x100000011ull, 0, 0x11},
	    {A32K(BPF_MOD), 0, 17, 5, 2},
	    /* signed division and modulo */
	    {A32X(BPF_DIV), 1, 0x80000000, 0xffffffff, 0x80000000}, /* INT32_MIN / -1 */
	    {A32X(BPF_DIV), 1, NEG(-100), 7, 0xfffffff2},
	    {A32X(BPF_DIV), 1, 100, 0, 0},
	    {A32K(BPF_DIV), 1, 0x80000000, NEG(-1), 0x80000000},
	    {A32K(BPF_DIV), 1, 0xfffffff6, 0, 0},
	    {A32K(BPF_DIV), 1, 0xffffff9c, 7, 0xfffffff2},
	    {A32X(BPF_MOD), 1, 0x80000000, 0xffffffff, 0}, /* INT32_MIN % -1 */
	    {A32X(BPF_MOD), 1, NEG(-100), 7, 0xfffffffe},
	    {A32X(BPF_MOD), 1, NEG(-5), 0, 0xfffffffb},
	    {A32K(BPF_MOD), 1, 0x80000000, NEG(-1), 0},
	    {A32K(BPF_MOD), 1, 100, NEG(-7), 2},
	    {A32K(BPF_MOD), 1, NEG(-5), 0, 0xfffffffb},
	    /* shifts: counts masked with 31 */
	    {A32X(BPF_LSH), 0, 1, 31, 0x80000000},
	    {A32X(BPF_LSH), 0, 1, 32, 1},
	    {A32X(BPF_LSH), 0, 1, 33, 2},
	    {A32X(BPF_LSH), 0, 1, 64, 1},
	    {A32X(BPF_LSH), 0, 1, 65, 2},
	    {A32X(BPF_LSH), 0, 1, NEG(-1), 0x80000000},
	    {A32K(BPF_LSH), 0, 1, 33, 2},
	    {A32K(BPF_LSH), 0, 0xffffffff, 4, 0xfffffff0},
	    {A32X(BPF_RSH), 0, 0xffffffff80000000ull, 31, 1},
	    {A32X(BPF_RSH), 0, 0xffffffff80000000ull, 32, 0x80000000},
	    {A32X(BPF_RSH), 0, 0x80000000, 33, 0x40000000},
	    {A32X(BPF_RSH), 0, 0x80000000, NEG(-1), 1},
	    {A32K(BPF_RSH), 0, 0x80000000, 33, 0x40000000},
	    {A32X(BPF_ARSH), 0, 0x80000000, 31, 0xffffffff},
	    {A32X(BPF_ARSH), 0, 0x80000000, 32, 0x80000000},
	    {A32X(BPF_ARSH), 0, 0x80000000, 33, 0xc0000000},
	    {A32X(BPF_ARSH), 0, 0xfffffff0, 64, 0xfffffff0},
	    {A32X(BPF_ARSH), 0, 0xfffffff0, NEG(-1), 0xffffffff},
	    {A32X(BPF_ARSH), 0, 0x7ffffff0, 4, 0x07ffffff},
	    {A32K(BPF_ARSH), 0, 0xfffffff0, 2, 0xfffffffc},
	    {A32K(BPF_ARSH), 0, 0x1fffffff0ull, 2, 0xfffffffc},
	};
	run_alu_table(t, sizeof(t) / sizeof(t[0]));
}

TEST(neg)
{
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 1), I_NEG64(0), I_EXIT()), ~0ull);
	CHECK_EQ_U64(RUN(I_LDDW(0, I64_MIN), I_NEG64(0), I_EXIT()), I64_MIN);
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 1), I_NEG32(0), I_EXIT()), 0xffffffff);
	CHECK_EQ_U64(RUN(I_LDDW(0, 0x100000000ull), I_NEG32(0), I_EXIT()), 0);
	CHECK_EQ_U64(RUN(I_LDDW(0, 0x80000000ull), I_NEG32(0), I_EXIT()), 0x80000000);
}

TEST(zero_extension)
{
	/* w0 = -1 is 0x00000000ffffffff, and every 32-bit op clears the upper half */
	CHECK_EQ_U64(RUN(I_LDDW(0, ~0ull), I_MOV32_IMM(0, -1), I_EXIT()), 0xffffffff);
	CHECK_EQ_U64(RUN(I_LDDW(0, ~0ull), I_ALU32_IMM(BPF_ADD, 0, 0), I_EXIT()), 0xffffffff);
	CHECK_EQ_U64(RUN(I_LDDW(1, ~0ull), I_MOV32_REG(0, 1), I_EXIT()), 0xffffffff);
	CHECK_EQ_U64(RUN(I_LDDW(0, ~0ull), I_ALU32_IMM(BPF_MOV, 0, 0), I_MOV64_REG(0, 0), I_EXIT()), 0);
}

TEST(movsx)
{
	static const struct alu_case t[] = {
	    {A64X(BPF_MOV), 8, 0, 0x80, 0xffffffffffffff80ull},
	    {A64X(BPF_MOV), 8, 0, 0x17f, 0x7f},
	    {A64X(BPF_MOV), 16, 0, 0x8000, 0xffffffffffff8000ull},
	    {A64X(BPF_MOV), 16, 0, 0xabcd7fff, 0x7fff},
	    {A64X(BPF_MOV), 32, 0, 0x80000000, 0xffffffff80000000ull},
	    {A64X(BPF_MOV), 32, 0, 0x1234567812345678ull, 0x12345678},
	    {A32X(BPF_MOV), 8, 0, 0x180, 0xffffff80},
	    {A32X(BPF_MOV), 8, 0, 0xffffffffffffff7full, 0x7f},
	    {A32X(BPF_MOV), 16, 0, 0x18000, 0xffff8000},
	    {A32X(BPF_MOV), 16, 0, 0xffff7fffull, 0x7fff},
	};
	run_alu_table(t, sizeof(t) / sizeof(t[0]));
}

TEST(byteswap)
{
	const uint64_t v = 0x1122334455667788ull;
	static const struct {
		uint8_t code;
		int32_t imm;
		uint64_t want;
	} t[] = {
	    {BPF_ALU | BPF_END | BPF_TO_LE, 16, 0x7788},
	    {BPF_ALU | BPF_END | BPF_TO_LE, 32, 0x55667788},
	    {BPF_ALU | BPF_END | BPF_TO_LE, 64, 0x1122334455667788ull},
	    {BPF_ALU | BPF_END | BPF_TO_BE, 16, 0x8877},
	    {BPF_ALU | BPF_END | BPF_TO_BE, 32, 0x88776655},
	    {BPF_ALU | BPF_END | BPF_TO_BE, 64, 0x8877665544332211ull},
	    {BPF_ALU64 | BPF_END, 16, 0x8877},
	    {BPF_ALU64 | BPF_END, 32, 0x88776655},
	    {BPF_ALU64 | BPF_END, 64, 0x8877665544332211ull},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_EQ_U64(alu_k(t[i].code, 0, v, t[i].imm, __LINE__), t[i].want);
}

/* Rows of (condition, a, b, taken as 64-bit, taken as 32-bit). */
static const struct jrow {
	uint8_t op;
	uint64_t a, b;
	int t64, t32;
} jrows[] = {
    {BPF_JEQ, 5, 5, 1, 1},
    {BPF_JEQ, 0x100000005ull, 5, 0, 1},
    {BPF_JEQ, ~0ull, NEG(-1), 1, 1},
    {BPF_JEQ, 0xffffffff, NEG(-1), 0, 1},
    {BPF_JGT, ~0ull, 1, 1, 1},
    {BPF_JGT, 0x100000000ull, 1, 1, 0},
    {BPF_JGT, 1, 2, 0, 0},
    {BPF_JGE, 2, 2, 1, 1},
    {BPF_JGE, 1, 2, 0, 0},
    {BPF_JGE, 0x100000001ull, 2, 1, 0},
    {BPF_JSET, 6, 2, 1, 1},
    {BPF_JSET, 6, 1, 0, 0},
    {BPF_JSET, 0x100000000ull, NEG(-1), 1, 0},
    {BPF_JNE, 5, 6, 1, 1},
    {BPF_JNE, 5, 5, 0, 0},
    {BPF_JNE, 0x100000005ull, 5, 1, 0},
    {BPF_JSGT, 1, NEG(-1), 1, 1},
    {BPF_JSGT, NEG(-1), 1, 0, 0},
    {BPF_JSGT, 0xffffffff, 0, 1, 0},
    {BPF_JSGE, NEG(-1), NEG(-1), 1, 1},
    {BPF_JSGE, NEG(-2), NEG(-1), 0, 0},
    {BPF_JSGE, 0x80000000, 0, 1, 0},
    {BPF_JLT, 1, NEG(-1), 1, 1},
    {BPF_JLT, 2, 1, 0, 0},
    {BPF_JLT, 0x100000000ull, 1, 0, 1},
    {BPF_JLE, 2, 2, 1, 1},
    {BPF_JLE, 3, 2, 0, 0},
    {BPF_JLE, 0x100000002ull, 2, 0, 1},
    {BPF_JSLT, NEG(-1), 1, 1, 1},
    {BPF_JSLT, 1, NEG(-1), 0, 0},
    {BPF_JSLT, 0xffffffff, 0, 0, 1},
    {BPF_JSLE, NEG(-2), NEG(-2), 1, 1},
    {BPF_JSLE, 1, NEG(-1), 0, 0},
    {BPF_JSLE, 0x80000000, 0, 0, 1},
};

/* Conditional jumps: r0 = 1 if taken. Each row runs all four forms of the condition (64/32, X/K):
 * b is a sign-extended 32-bit value, so the K forms see the same operand. */
static uint64_t jmp(uint8_t code, uint64_t a, uint64_t b, int line)
{
	struct userbpf_insn p[] = {
	    I_LDDW(1, a),
	    I_LDDW(2, b),
	    I_MOV64_IMM(0, 0),
	    BPF_SRC(code) == BPF_X ? I_RAW(code, 1, 2, 1, 0) : I_RAW(code, 1, 0, 1, (int32_t)b),
	    I_EXIT(),
	    I_MOV64_IMM(0, 1),
	    I_EXIT(),
	};
	return vt_run(p, sizeof(p) / sizeof(p[0]), NULL, line);
}

TEST(jumps)
{
	for (size_t i = 0; i < sizeof(jrows) / sizeof(jrows[0]); i++) {
		uint64_t x64 = jmp(BPF_JMP | jrows[i].op | BPF_X, jrows[i].a, jrows[i].b, __LINE__);
		uint64_t k64 = jmp(BPF_JMP | jrows[i].op | BPF_K, jrows[i].a, jrows[i].b, __LINE__);
		uint64_t x32 = jmp(BPF_JMP32 | jrows[i].op | BPF_X, jrows[i].a, jrows[i].b, __LINE__);
		uint64_t k32 = jmp(BPF_JMP32 | jrows[i].op | BPF_K, jrows[i].a, jrows[i].b, __LINE__);
		if (x64 != (uint64_t)jrows[i].t64 || k64 != (uint64_t)jrows[i].t64 ||
		    x32 != (uint64_t)jrows[i].t32 || k32 != (uint64_t)jrows[i].t32) {
			fprintf(stderr,
				"jump row %zu (op 0x%02x a 0x%" PRIx64 " b 0x%" PRIx64
				"): x64 %d k64 %d x32 %d "
				"k32 %d, want %d %d\n",
				i, jrows[i].op, jrows[i].a, jrows[i].b, (int)x64, (int)k64, (int)x32,
				(int)k32, jrows[i].t64, jrows[i].t32);
			test_failed_now = 1;
		}
	}
}

TEST(ja_and_loops)
{
	/* ja over an instruction, ja32 with a 32-bit displacement, and a backward loop. */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 1), I_JA(1), I_MOV64_IMM(0, 2), I_EXIT()), 1);
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 1), I_JA32(1), I_MOV64_IMM(0, 2), I_EXIT()), 1);
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 0), I_MOV64_IMM(1, 10), I_ALU64_REG(BPF_ADD, 0, 1),
			 I_ALU64_IMM(BPF_SUB, 1, 1), I_JMP_IMM(BPF_JNE, 1, 0, -3), I_EXIT()),
		     55);
	/* ja -1 style loop exit through ja32 backwards */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 0), I_JA(2), I_ALU64_IMM(BPF_ADD, 0, 5), I_EXIT(),
			 I_JMP_IMM(BPF_JEQ, 0, 0, 1), I_EXIT(), I_JA32(-5)),
		     5);
}

TEST(lddw)
{
	CHECK_EQ_U64(RUN(I_LDDW(0, 0x123456789abcdef0ull), I_EXIT()), 0x123456789abcdef0ull);
	CHECK_EQ_U64(RUN(I_LDDW(0, 0xffffffff80000000ull), I_EXIT()), 0xffffffff80000000ull);
	/* a jump over an lddw lands on the instruction after its second slot */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 7), I_JA(2), I_LDDW(0, 1), I_EXIT()), 7);
}

TEST(entry_state)
{
	uint8_t ctx[24] = {0};
	struct runcfg cfg = {.ctx = ctx, .ctx_size = sizeof(ctx)};
	/* r2 = ctx_size; r0 and r3..r9 are 0 */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_REG(0, 2), I_EXIT()), 24);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_ALU64_REG(BPF_OR, 0, 3), I_ALU64_REG(BPF_OR, 0, 4),
			     I_ALU64_REG(BPF_OR, 0, 5), I_ALU64_REG(BPF_OR, 0, 6), I_ALU64_REG(BPF_OR, 0, 7),
			     I_ALU64_REG(BPF_OR, 0, 8), I_ALU64_REG(BPF_OR, 0, 9), I_EXIT()),
		     0);
	/* r1 = ctx: write through it */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_ST(BPF_DW, 1, 8, -2), I_MOV64_IMM(0, 0), I_EXIT()), 0);
	uint64_t v;
	memcpy(&v, ctx + 8, 8);
	CHECK_EQ_U64(v, NEG(-2));
	/* without ctx, r1 and r2 are 0 */
	CHECK_EQ_U64(RUN(I_MOV64_REG(0, 1), I_ALU64_REG(BPF_OR, 0, 2), I_EXIT()), 0);
}

TEST(memory)
{
	uint8_t ctx[16] = {0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 1, 2, 3, 4, 5, 6, 7, 8};
	struct runcfg cfg = {.ctx = ctx, .ctx_size = sizeof(ctx)};
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDX(BPF_B, 0, 1, 0), I_EXIT()), 0x81);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDX(BPF_H, 0, 1, 1), I_EXIT()), 0x8382); /* unaligned */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDX(BPF_W, 0, 1, 4), I_EXIT()), 0x88878685);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDX(BPF_DW, 0, 1, 8), I_EXIT()), 0x0807060504030201ull);
	/* sign-extending loads */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDXS(BPF_B, 0, 1, 0), I_EXIT()), 0xffffffffffffff81ull);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDXS(BPF_B, 0, 1, 8), I_EXIT()), 1);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDXS(BPF_H, 0, 1, 0), I_EXIT()), 0xffffffffffff8281ull);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDXS(BPF_H, 0, 1, 8), I_EXIT()), 0x0201);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDXS(BPF_W, 0, 1, 0), I_EXIT()), 0xffffffff84838281ull);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDXS(BPF_W, 0, 1, 8), I_EXIT()), 0x04030201);
	/* stores of every size, imm and register, to the stack, read back as one dword */
	CHECK_EQ_U64(RUN(I_ST(BPF_DW, 10, -8, -1), I_ST(BPF_B, 10, -8, 0x12), I_ST(BPF_H, 10, -6, 0x3456),
			 I_ST(BPF_W, 10, -4, 0x789abcde), I_LDX(BPF_DW, 0, 10, -8), I_EXIT()),
		     0x789abcde3456ff12ull);
	CHECK_EQ_U64(RUN(I_ST(BPF_DW, 10, -16, -2), I_LDX(BPF_DW, 0, 10, -16), I_EXIT()), NEG(-2));
	CHECK_EQ_U64(RUN(I_LDDW(1, 0x1122334455667788ull), I_ST(BPF_DW, 10, -8, 0), I_STX(BPF_B, 10, 1, -8),
			 I_STX(BPF_H, 10, 1, -6), I_STX(BPF_W, 10, 1, -4), I_LDX(BPF_DW, 0, 10, -8),
			 I_EXIT()),
		     0x5566778877880088ull);
	CHECK_EQ_U64(RUN(I_LDDW(1, 0x1122334455667788ull), I_STX(BPF_DW, 10, 1, -11),
			 I_LDX(BPF_DW, 0, 10, -11), I_EXIT()),
		     0x1122334455667788ull);
	/* a store truncates imm; a 32-bit imm store of -1 */
	CHECK_EQ_U64(
	    RUN(I_ST(BPF_DW, 10, -8, 0), I_ST(BPF_W, 10, -8, -1), I_LDX(BPF_DW, 0, 10, -8), I_EXIT()),
	    0xffffffff);
}

TEST(stack_limits)
{
	/* the whole 512 bytes of the frame are usable */
	CHECK_EQ_U64(
	    RUN(I_ST(BPF_DW, 10, -512, 7), I_ST(BPF_B, 10, -1, 1), I_LDX(BPF_DW, 0, 10, -512), I_EXIT()), 7);
	struct runres r = RUN_CHECKED(NULL, I_ST(BPF_B, 10, -513, 7), I_MOV64_IMM(0, 0), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "insn 0: ");
	CHECK_CONTAINS(r.msg, "write of 1 bytes at 0x");
	r = RUN_CHECKED(NULL, I_LDX(BPF_DW, 0, 10, -4), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "read of 8 bytes at 0x");
	r = RUN_CHECKED(NULL, I_LDX(BPF_B, 0, 10, 0), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
}

/* main: r0 = 0; r1 = n; call f; exit.   f: if r1 == 0 goto out; r1 -= 1; call f; out: r0 += 1; exit */
#define DEPTH_PROG(n)                                                                                        \
	I_MOV64_IMM(0, 0), I_MOV64_IMM(1, n), I_CALL_LOCAL(1), I_EXIT(), I_JMP_IMM(BPF_JEQ, 1, 0, 2),        \
	    I_ALU64_IMM(BPF_SUB, 1, 1), I_CALL_LOCAL(-3), I_ALU64_IMM(BPF_ADD, 0, 1), I_EXIT()

TEST(call_depth)
{
	/* n = 6: main + 7 frames of f = 8 frames, the limit */
	CHECK_EQ_U64(RUN(DEPTH_PROG(6)), 7);
	struct runres r = RUN_CHECKED(NULL, DEPTH_PROG(7));
	CHECK_EQ_INT(r.err, -E2BIG);
	CHECK_CONTAINS(r.msg, "insn 6: ");
	CHECK_CONTAINS(r.msg, "call depth exceeds 8 frames");
	/* the fast engine refuses it too rather than overflow its frames */
	struct userbpf_prog *p = vt_load(PROG(DEPTH_PROG(7)), PROG_LEN(DEPTH_PROG(7)), NULL, NULL, 0);
	struct runcfg none = {0};
	CHECK(p);
	struct runres fr = vt_exec(p, &none, NULL, USERBPF_EXEC_FAST);
	CHECK_EQ_INT(fr.err, -E2BIG);
	CHECK_STR(fr.msg, "call depth exceeds 8 frames");
	userbpf_prog__free(p);
}

TEST(local_calls)
{
	/* r6-r9 are callee-saved, r10 is restored, each frame has its own stack, r0 is returned. */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(6, 6), I_MOV64_IMM(7, 7), I_MOV64_IMM(8, 8), I_MOV64_IMM(9, 9),
			 I_ST(BPF_DW, 10, -8, 100), I_MOV64_IMM(1, 1000), I_CALL_LOCAL(8),
			 I_ALU64_REG(BPF_ADD, 0, 6), I_ALU64_REG(BPF_ADD, 0, 7), I_ALU64_REG(BPF_ADD, 0, 8),
			 I_ALU64_REG(BPF_ADD, 0, 9), I_LDX(BPF_DW, 2, 10, -8), I_ALU64_REG(BPF_ADD, 0, 2),
			 I_ALU64_IMM(BPF_ADD, 0, 1000), I_EXIT(),
			 /* callee (insn 15): clobbers r6-r9, writes its own stack, returns r0 */
			 I_MOV64_IMM(6, 0), I_MOV64_IMM(7, 0), I_MOV64_IMM(8, 0), I_MOV64_IMM(9, 0),
			 I_ST(BPF_DW, 10, -8, 5000), I_LDX(BPF_DW, 0, 10, -8), I_EXIT()),
		     /* r0 5000 + r6..r9 30 + caller's stack 100 + 1000 */
		     5000 + 30 + 100 + 1000);
	/* a callee can read its caller's stack through a pointer */
	CHECK_EQ_U64(RUN(I_ST(BPF_DW, 10, -8, 42), I_MOV64_REG(1, 10), I_ALU64_IMM(BPF_ADD, 1, -8),
			 I_CALL_LOCAL(1), I_EXIT(), I_LDX(BPF_DW, 0, 1, 0), I_EXIT()),
		     42);
}

/* A helper returning the sum of its arguments plus *(uint64_t *)cookie, checking call->prog/run. */
static uint64_t sum_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   const struct userbpf_call *call)
{
	if (!call || !call->prog || !call->run || !call->cookie)
		return 0xbad;
	return r1 + r2 + r3 + r4 + r5 + *(const uint64_t *)call->cookie;
}

TEST(helpers)
{
	uint64_t cookie = 1000000;
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK(h);
	CHECK_EQ_INT(userbpf_helpers__add(h, 77, "sum", sum_helper, &cookie), 0);
	struct runcfg cfg = {.helpers = h};
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(1, 1), I_MOV64_IMM(2, 20), I_MOV64_IMM(3, 300),
			     I_MOV64_IMM(4, 4000), I_MOV64_IMM(5, 50000), I_MOV64_IMM(6, 9), I_CALL(77),
			     I_ALU64_REG(BPF_ADD, 0, 6), I_EXIT()),
		     1054330);
	userbpf_helpers__free(h);
}

TEST(packet_loads)
{
	uint8_t pkt[5] = {0x11, 0x22, 0x33, 0x44, 0x55};
	struct runcfg cfg = {.pkt = pkt, .pkt_size = sizeof(pkt)};
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDABS(BPF_B, 0), I_EXIT()), 0x11);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDABS(BPF_H, 1), I_EXIT()), 0x2233);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_LDABS(BPF_W, 1), I_EXIT()), 0x22334455);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(6, 3), I_LDIND(BPF_B, 6, 1), I_EXIT()), 0x55);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(6, 2), I_LDIND(BPF_H, 6, -1), I_EXIT()), 0x2233);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(6, 1), I_LDIND(BPF_W, 6, 0), I_EXIT()), 0x22334455);
	/* r6-r9 survive */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(6, 1), I_MOV64_IMM(9, 9), I_LDIND(BPF_B, 6, 0),
			     I_ALU64_REG(BPF_ADD, 0, 6), I_ALU64_REG(BPF_ADD, 0, 9), I_EXIT()),
		     0x22 + 10);
	/* out of bounds: the program ends at once with r0 = 0 */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(0, 9), I_LDABS(BPF_W, 2), I_MOV64_IMM(0, 7), I_EXIT()), 0);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(0, 9), I_LDABS(BPF_B, 5), I_MOV64_IMM(0, 7), I_EXIT()), 0);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(0, 9), I_LDABS(BPF_H, -1), I_MOV64_IMM(0, 7), I_EXIT()), 0);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(6, -1), I_LDIND(BPF_B, 6, 0), I_MOV64_IMM(0, 7), I_EXIT()), 0);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(6, 4), I_LDIND(BPF_H, 6, 0), I_MOV64_IMM(0, 7), I_EXIT()), 0);
	/* out of bounds inside a local call ends the whole program */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_CALL_LOCAL(2), I_MOV64_IMM(0, 7), I_EXIT(), I_LDABS(BPF_W, 4), I_EXIT()),
		     0);
	/* without a packet, ctx is the packet */
	uint8_t ctx[2] = {0xab, 0xcd};
	struct runcfg c2 = {.ctx = ctx, .ctx_size = sizeof(ctx)};
	CHECK_EQ_U64(RUN_CFG(&c2, I_LDABS(BPF_H, 0), I_EXIT()), 0xabcd);
}

/* Atomics: stack dword = init; r1 = val; r0 = cmp; op; report memory, r1 and r0 through ctx. */
static void atomic_case(uint8_t size, int32_t op, uint64_t init, uint64_t val, uint64_t cmp,
			uint64_t want_mem, uint64_t want_src, uint64_t want_r0, int line)
{
	uint64_t out[3] = {0};
	struct runcfg cfg = {.ctx = out, .ctx_size = sizeof(out)};
	struct userbpf_insn p[] = {
	    I_MOV64_REG(6, 1),	      I_LDDW(2, init),	      I_STX(BPF_DW, 10, 2, -8),
	    I_LDDW(1, val),	      I_LDDW(0, cmp),	      I_ATOMIC(size, op, 10, 1, -8),
	    I_LDX(BPF_DW, 3, 10, -8), I_STX(BPF_DW, 6, 3, 0), I_STX(BPF_DW, 6, 1, 8),
	    I_STX(BPF_DW, 6, 0, 16),  I_MOV64_IMM(0, 0),      I_EXIT(),
	};
	vt_run(p, sizeof(p) / sizeof(p[0]), &cfg, line);
	if (out[0] != want_mem || out[1] != want_src || out[2] != want_r0) {
		fprintf(stderr,
			"line %d: atomic 0x%x size 0x%x: mem 0x%" PRIx64 " src 0x%" PRIx64 " r0 0x%" PRIx64
			", want 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n",
			line, op, size, out[0], out[1], out[2], want_mem, want_src, want_r0);
		test_failed_now = 1;
	}
}

TEST(atomics)
{
	const uint64_t hi = 0xaaaaaaaa00000000ull, init = hi | 0xf, val = 0xffffffff00000003ull, r0 = 0x77;
	/* 32-bit: the low word at r10-8 changes; fetched values are zero-extended */
	atomic_case(BPF_W, BPF_ADD, init, val, r0, hi | 0x12, val, r0, __LINE__);
	atomic_case(BPF_W, BPF_ADD | BPF_FETCH, init, val, r0, hi | 0x12, 0xf, r0, __LINE__);
	atomic_case(BPF_W, BPF_OR, init, val, r0, hi | 0xf, val, r0, __LINE__);
	atomic_case(BPF_W, BPF_OR | BPF_FETCH, hi | 0x10, val, r0, hi | 0x13, 0x10, r0, __LINE__);
	atomic_case(BPF_W, BPF_AND, init, val, r0, hi | 3, val, r0, __LINE__);
	atomic_case(BPF_W, BPF_AND | BPF_FETCH, init, val, r0, hi | 3, 0xf, r0, __LINE__);
	atomic_case(BPF_W, BPF_XOR, init, val, r0, hi | 0xc, val, r0, __LINE__);
	atomic_case(BPF_W, BPF_XOR | BPF_FETCH, init, val, r0, hi | 0xc, 0xf, r0, __LINE__);
	atomic_case(BPF_W, BPF_XCHG, hi | 0x80000000, val, r0, hi | 3, 0x80000000, r0, __LINE__);
	/* cmpxchg compares the low 32 bits of r0, and r0 gets the old value either way */
	atomic_case(BPF_W, BPF_CMPXCHG, init, val, 0xdead00000000000full, hi | 3, val, 0xf, __LINE__);
	atomic_case(BPF_W, BPF_CMPXCHG, init, val, 5, init, val, 0xf, __LINE__);
	/* 64-bit */
	atomic_case(BPF_DW, BPF_ADD, init, val, r0, 0xaaaaaaa900000012ull, val, r0, __LINE__);
	atomic_case(BPF_DW, BPF_ADD | BPF_FETCH, init, val, r0, 0xaaaaaaa900000012ull, init, r0, __LINE__);
	atomic_case(BPF_DW, BPF_OR, init, val, r0, 0xffffffff0000000full, val, r0, __LINE__);
	atomic_case(BPF_DW, BPF_OR | BPF_FETCH, init, val, r0, 0xffffffff0000000full, init, r0, __LINE__);
	atomic_case(BPF_DW, BPF_AND, init, val, r0, 0xaaaaaaaa00000003ull, val, r0, __LINE__);
	atomic_case(BPF_DW, BPF_AND | BPF_FETCH, init, val, r0, 0xaaaaaaaa00000003ull, init, r0, __LINE__);
	atomic_case(BPF_DW, BPF_XOR, init, val, r0, 0x555555550000000cull, val, r0, __LINE__);
	atomic_case(BPF_DW, BPF_XOR | BPF_FETCH, init, val, r0, 0x555555550000000cull, init, r0, __LINE__);
	atomic_case(BPF_DW, BPF_XCHG, init, val, r0, val, init, r0, __LINE__);
	atomic_case(BPF_DW, BPF_CMPXCHG, init, val, init, val, val, init, __LINE__);
	atomic_case(BPF_DW, BPF_CMPXCHG, init, val, 0xf, init, val, init, __LINE__);
}

TEST(atomic_into_r0_and_unaligned)
{
	/* fetch into r0 itself, and an unaligned atomic (checked engine: plain read-modify-write) */
	CHECK_EQ_U64(RUN(I_ST(BPF_DW, 10, -8, 5), I_MOV64_IMM(0, 3),
			 I_ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 10, 0, -8), I_LDX(BPF_DW, 1, 10, -8),
			 I_ALU64_IMM(BPF_LSH, 1, 8), I_ALU64_REG(BPF_OR, 0, 1), I_EXIT()),
		     (8 << 8) | 5);
	struct runres r =
	    RUN_CHECKED(NULL, I_ST(BPF_DW, 10, -16, 0), I_ST(BPF_DW, 10, -8, 0), I_MOV64_IMM(1, 0x41),
			I_ATOMIC(BPF_W, BPF_ADD | BPF_FETCH, 10, 1, -11), I_LDX(BPF_W, 0, 10, -11), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.r0, 0x41);
}

/*
 * The fast engine's superinstructions (prog.c's peephole pass) must mean exactly what the
 * instructions they cover mean: each idiom is run through both engines (the checked one never
 * fuses), including jumps into the middle of a fused sequence and register overlaps.
 */
TEST(superinstructions)
{
	uint8_t buf[32];
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(0xf0 + i);
	struct runcfg cfg = {.ctx = buf, .ctx_size = sizeof(buf)};
	/* rA = rB; rA += rC alone, and followed by loads of each size through rA */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 5), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_ALU64_REG(BPF_SUB, 4, 1), I_MOV64_REG(0, 4), I_EXIT()),
		     5);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 5), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_LDX(BPF_B, 0, 4, 1), I_EXIT()),
		     0xf6);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 5), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_LDX(BPF_H, 4, 4, 1), I_MOV64_REG(0, 4), I_EXIT()),
		     0xf7f6);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 4), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_LDX(BPF_W, 0, 4, -4), I_EXIT()),
		     0xf3f2f1f0);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 8), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_LDX(BPF_DW, 0, 4, 0), I_EXIT()),
		     0xfffefdfcfbfaf9f8ull);
	/* rA += rA is not fused (would read the moved value): still right */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(2, 7), I_MOV64_REG(0, 2), I_ALU64_REG(BPF_ADD, 0, 0), I_EXIT()), 14);
	/* stores of each size through rA, imm and register, register = rA itself */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 16), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_ST(BPF_B, 4, 0, 0x11), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_ST(BPF_H, 4, 2, 0x2233), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_ST(BPF_W, 4, 4, 0x44556677), I_MOV64_REG(4, 1), I_ALU64_REG(BPF_ADD, 4, 3),
			     I_ST(BPF_DW, 4, 8, -2), I_LDX(BPF_DW, 0, 4, 0), I_EXIT()),
		     0x4455667722330111ull);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 0), I_MOV64_IMM(5, 0x05060708), I_MOV64_REG(4, 1),
			     I_ALU64_REG(BPF_ADD, 4, 3), I_STX(BPF_B, 4, 5, 0), I_MOV64_REG(4, 1),
			     I_ALU64_REG(BPF_ADD, 4, 3), I_STX(BPF_H, 4, 5, 2), I_MOV64_REG(4, 1),
			     I_ALU64_REG(BPF_ADD, 4, 3), I_STX(BPF_W, 4, 5, 4), I_MOV64_REG(4, 1),
			     I_ALU64_REG(BPF_ADD, 4, 3), I_STX(BPF_DW, 4, 5, 8), I_LDX(BPF_DW, 0, 1, 0),
			     I_EXIT()),
		     0x050607080708f108ull);
	/* a store of rA through rA itself stores the sum */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(3, -8), I_MOV64_REG(4, 10), I_ALU64_REG(BPF_ADD, 4, 3),
			 I_STX(BPF_DW, 4, 4, 0), I_LDX(BPF_DW, 0, 10, -8), I_ALU64_REG(BPF_SUB, 0, 10),
			 I_EXIT()),
		     NEG(-8));
	/* jumping into the middle of a fused sequence (mov r4 = r10; r4 += r3; ldx) runs the rest of it */
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(0xf0 + i);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(3, 2), I_MOV64_REG(4, 1), I_JA(1), I_MOV64_REG(4, 10),
			     I_ALU64_REG(BPF_ADD, 4, 3), I_LDX(BPF_B, 0, 4, 0), I_ALU64_REG(BPF_SUB, 0, 3),
			     I_EXIT()),
		     0xf0);
}

/* "if (cond) goto +1; ALU" (a compiler's select), every condition and operand kind against several ALU
 * ops, both outcomes, through both engines. */
TEST(selects)
{
	const uint64_t old = 0x8000000000001234ull, r4 = 0x100000005ull;
	static const struct {
		struct userbpf_insn alu;
		uint64_t want; /* r3 when the ALU instruction runs */
	} alus[] = {
	    {I_MOV64_IMM(3, -7), NEG(-7)},
	    {I_MOV64_REG(3, 4), 0x100000005ull},
	    {I_MOV32_IMM(3, -7), 0xfffffff9},
	    {I_MOV32_REG(3, 4), 5},
	    {I_ALU64_IMM(BPF_ADD, 3, -1), 0x8000000000001233ull},
	    {I_ALU64_REG(BPF_ADD, 3, 4), 0x8000000100001239ull},
	    {I_ALU64_IMM(BPF_OR, 3, 0x100), 0x8000000000001334ull},
	    {I_ALU64_IMM(BPF_AND, 3, 0xff0), 0x230},
	    {I_ALU64_IMM(BPF_LSH, 3, 4), 0x12340},
	    {I_ALU64_IMM(BPF_RSH, 3, 4), 0x0800000000000123ull},
	};
	for (size_t r = 0; r < sizeof(jrows) / sizeof(jrows[0]); r++) {
		for (size_t k = 0; k < sizeof(alus) / sizeof(alus[0]); k++) {
			for (int form = 0; form < 4; form++) {
				uint8_t cls = form < 2 ? BPF_JMP : BPF_JMP32, src = form & 1 ? BPF_X : BPF_K;
				uint8_t code = cls | jrows[r].op | src;
				struct userbpf_insn p[] = {
				    I_LDDW(1, jrows[r].a),
				    I_LDDW(2, jrows[r].b),
				    I_LDDW(3, old),
				    I_LDDW(4, r4),
				    src == BPF_X ? I_RAW(code, 1, 2, 1, 0)
						 : I_RAW(code, 1, 0, 1, (int32_t)jrows[r].b),
				    alus[k].alu,
				    I_MOV64_REG(0, 3),
				    I_EXIT(),
				};
				int taken = form < 2 ? jrows[r].t64 : jrows[r].t32;
				uint64_t got = vt_run(p, sizeof(p) / sizeof(p[0]), NULL, __LINE__);
				uint64_t want = taken ? old : alus[k].want;
				if (got != want) {
					fprintf(stderr,
						"select row %zu alu %zu form %d: 0x%" PRIx64 " != 0x%" PRIx64
						"\n",
						r, k, form, got, want);
					test_failed_now = 1;
				}
			}
		}
	}
}

/* Copy loops (load through rA = rB + rC, store the value at once) of every size, storing through
 * another register or through rA itself. */
TEST(copy_loops)
{
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	static const int bytes[] = {1, 2, 4, 8};
	for (int k = 0; k < 4; k++) {
		for (int through_a = 0; through_a < 2; through_a++) {
			uint8_t buf[32];
			for (int i = 0; i < 32; i++)
				buf[i] = (uint8_t)(i < 16 ? 0x30 + i * 7 : 0);
			struct runcfg cfg = {.ctx = buf, .ctx_size = sizeof(buf)};
			struct userbpf_insn p[] = {
			    I_MOV64_IMM(5, 0),
			    I_MOV64_REG(4, 1),
			    I_ALU64_IMM(BPF_ADD, 4, 16),
			    /* loop: r0 = r4 + r5; r6 = r1 + r5; r7 = *(size *)(r6 + 0); store r7 */
			    I_MOV64_REG(0, 4),
			    I_ALU64_REG(BPF_ADD, 0, 5),
			    I_MOV64_REG(6, 1),
			    I_ALU64_REG(BPF_ADD, 6, 5),
			    I_LDX(sizes[k], 7, 6, 0),
			    through_a ? I_STX(sizes[k], 6, 7, 16) : I_STX(sizes[k], 0, 7, 0),
			    I_ALU64_IMM(BPF_ADD, 5, bytes[k]),
			    I_JMP_IMM(BPF_JLT, 5, 16, -8),
			    I_LDX(BPF_DW, 0, 1, 16),
			    I_LDX(BPF_DW, 2, 1, 24),
			    I_ALU64_REG(BPF_XOR, 0, 2),
			    I_EXIT(),
			};
			uint64_t r = vt_run(p, sizeof(p) / sizeof(p[0]), &cfg, __LINE__);
			CHECK(memcmp(buf, buf + 16, 16) == 0);
			uint64_t a, b;
			memcpy(&a, buf, 8);
			memcpy(&b, buf + 8, 8);
			CHECK_EQ_U64(r, a ^ b);
		}
	}
}

/* Loops ending in rA += imm/rB; if ... goto: every condition, K and X, through both engines. */
TEST(superinstruction_loops)
{
	static const uint8_t ops[] = {BPF_JEQ,	BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				      BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};
	for (size_t i = 0; i < sizeof(ops); i++) {
		for (int x = 0; x < 2; x++) {
			for (int addx = 0; addx < 2; addx++) {
				/* r0 counts iterations; r1 runs from -3 by 1 while the condition vs 2 holds,
				 * at most 10 times */
				struct userbpf_insn p[] = {
				    I_MOV64_IMM(0, 0),
				    I_MOV64_IMM(1, -3),
				    I_MOV64_IMM(2, 2),
				    I_MOV64_IMM(3, 1),
				    I_ALU64_IMM(BPF_ADD, 0, 1),
				    I_JMP_IMM(BPF_JGE, 0, 10, 2),
				    addx ? I_ALU64_REG(BPF_ADD, 1, 3) : I_ALU64_IMM(BPF_ADD, 1, 1),
				    x ? I_JMP_REG(ops[i], 1, 2, -4) : I_JMP_IMM(ops[i], 1, 2, -4),
				    I_ALU64_IMM(BPF_LSH, 0, 8),
				    I_ALU64_REG(BPF_OR, 0, 1),
				    I_EXIT(),
				};
				uint64_t r = vt_run(p, sizeof(p) / sizeof(p[0]), NULL, __LINE__);
				/* reference: the same loop in C */
				int64_t r1 = -3, n = 0;
				for (;;) {
					n++;
					if (n >= 10)
						break;
					r1 += 1;
					bool t;
					switch (ops[i]) {
					case BPF_JEQ:
						t = r1 == 2;
						break;
					case BPF_JGT:
						t = (uint64_t)r1 > 2;
						break;
					case BPF_JGE:
						t = (uint64_t)r1 >= 2;
						break;
					case BPF_JSET:
						t = (r1 & 2) != 0;
						break;
					case BPF_JNE:
						t = r1 != 2;
						break;
					case BPF_JSGT:
						t = r1 > 2;
						break;
					case BPF_JSGE:
						t = r1 >= 2;
						break;
					case BPF_JLT:
						t = (uint64_t)r1 < 2;
						break;
					case BPF_JLE:
						t = (uint64_t)r1 <= 2;
						break;
					case BPF_JSLT:
						t = r1 < 2;
						break;
					default:
						t = r1 <= 2;
						break;
					}
					if (!t)
						break;
				}
				uint64_t want = ((uint64_t)n << 8) | (uint64_t)r1;
				if (r != want) {
					fprintf(stderr,
						"loop op 0x%02x x %d addx %d: 0x%" PRIx64 " != 0x%" PRIx64
						"\n",
						ops[i], x, addx, r, want);
					test_failed_now = 1;
				}
			}
		}
	}
}

TEST(jump_threading)
{
	/* chains of gotos, a conditional jump to a goto, and a goto loop that must stay a loop */
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 1), I_JA(1), I_EXIT(), I_JA(1), I_JA(-3), I_JA(-2)), 1);
	CHECK_EQ_U64(RUN(I_MOV64_IMM(0, 1), I_JMP_IMM(BPF_JEQ, 0, 1, 2), I_MOV64_IMM(0, 2), I_EXIT(),
			 I_JA32(1), I_EXIT(), I_MOV64_IMM(0, 3), I_EXIT()),
		     3);
	struct runcfg cfg = {.budget = 100};
	struct runres r = RUN_CHECKED(&cfg, I_MOV64_IMM(0, 0), I_JA(-1), I_EXIT());
	CHECK_EQ_INT(r.err, -ETIME);
}

/* Array lookups inlined by the fast engine (VM_OP_ARRAY_LOOKUP, VM_OP_PCPU_ARRAY_LOOKUP): the value's
 * address in range (a percpu_array's: the running thread's slot), NULL past the end, the same as the
 * helper the checked engine calls; not inlined when r1 may not hold the map at the call (rewritten,
 * or a jump lands between the lddw and the call). */
static int array_lookup_records(const struct userbpf_prog *prog, enum vm_op op)
{
	const void *const *labels = interp_labels();
	int n = 0;
	for (size_t i = 0; i < prog->insn_cnt; i++)
		if (prog->ops[i] < ISA_NR_OPS &&
		    (labels ? prog->code[i].h.label == labels[op] : prog->code[i].h.op == (uintptr_t)op))
			n++;
	return n;
}

static void array_lookup_case(enum userbpf_map_type type)
{
	bool percpu = type == USERBPF_MAP_TYPE_PERCPU_ARRAY;
	enum vm_op op = percpu ? VM_OP_PCPU_ARRAY_LOOKUP : VM_OP_ARRAY_LOOKUP;
	unsigned int nr_cpus = percpu ? userbpf_nr_cpus() : 1, orig_cpu = userbpf_this_cpu();
	unsigned int runs_on = nr_cpus < 3 ? nr_cpus : 3;
	struct userbpf_map *m = userbpf_map_create(type, "arr", 4, 12, 5, NULL);
	struct userbpf_helpers *h = userbpf_helpers__new();
	uint32_t *v = calloc(nr_cpus, 16);
	CHECK(m && h && v);
	if (!m || !h || !v)
		goto out;
	CHECK_EQ_INT(userbpf_helpers__add_maps(h), 0);
	for (uint32_t k = 0; k < 5; k++) {
		/* slot c of entry k: {100 + k, 200 + k, 300 + k + 1000 c}, slots 16 bytes apart */
		for (uint32_t c = 0; c < nr_cpus; c++) {
			v[c * 4] = 100 + k;
			v[c * 4 + 1] = 200 + k;
			v[c * 4 + 2] = 300 + k + 1000 * c;
		}
		CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_ANY), 0);
	}
	struct userbpf_region regions[4];
	int nr = userbpf_map__regions(m, regions, 4);
	CHECK(nr > 0);
	static const uint32_t keys[] = {0, 3, 4, 5, 0xffffffffu};
	for (int variant = 0; variant < 3; variant++) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			/* variant 1: r1 rewritten with itself (not inlined); 2: a jump lands on the call */
			struct userbpf_insn p[] = {
			    I_ST(BPF_W, 10, -4, (int32_t)keys[k]),
			    I_MOV64_REG(2, 10),
			    I_ALU64_IMM(BPF_ADD, 2, -4),
			    I_RAW(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_IDX, 0, 0),
			    I_RAW(0, 0, 0, 0, 0),
			    variant == 1 ? I_MOV64_REG(1, 1) : variant == 2 ? I_JA(0) : I_MOV64_IMM(3, 0),
			    I_CALL(1), /* bpf_map_lookup_elem */
			    I_JMP_IMM(BPF_JEQ, 0, 0, 2),
			    I_LDX(BPF_W, 0, 0, 8),
			    I_EXIT(),
			    I_MOV64_IMM(0, 0xdead),
			    I_EXIT(),
			};
			char log[256] = "";
			struct userbpf_map *maps[1] = {m};
			struct userbpf_prog_opts o = USERBPF_OPTS_INIT(
			    userbpf_prog_opts, .helpers = h, .log_buf = log, .log_size = sizeof(log),
			    .flags = USERBPF_PROG_F_TRUSTED, .maps = maps, .nr_maps = 1);
			struct userbpf_prog *prog = userbpf_prog__load(p, sizeof(p) / sizeof(p[0]), &o);
			if (!prog) {
				fprintf(stderr, "load: %s\n", log);
				CHECK(prog);
				continue;
			}
			vt_mark_supers(prog);
			CHECK_EQ_INT(array_lookup_records(prog, op), variant == 0 ? 1 : 0);
			for (unsigned int c = 0; c < runs_on; c++) {
				CHECK_EQ_INT(userbpf_set_this_cpu(c), 0);
				uint64_t want = keys[k] < 5 ? 300 + keys[k] + 1000 * c : 0xdead;
				struct runcfg cfg = {.regions = regions, .nr_regions = (size_t)nr};
				struct runres f = vt_exec(prog, &cfg, NULL, USERBPF_EXEC_FAST);
				struct runres ch = vt_exec(prog, &cfg, NULL, USERBPF_EXEC_CHECKED);
				CHECK_EQ_INT(f.err, 0);
				CHECK_EQ_INT(ch.err, 0);
				CHECK_EQ_U64(f.r0, want);
				CHECK_EQ_U64(ch.r0, want);
			}
			userbpf_prog__free(prog);
		}
	}
out:
	userbpf_set_this_cpu(orig_cpu);
	free(v);
	userbpf_helpers__free(h);
	userbpf_map__free(m);
}

TEST(array_lookup_inlined)
{
	array_lookup_case(USERBPF_MAP_TYPE_ARRAY);
}

TEST(percpu_array_lookup_inlined)
{
	array_lookup_case(USERBPF_MAP_TYPE_PERCPU_ARRAY);
}

/* Every form of opcodes.def that can run was run by some test above. */
TEST(form_coverage)
{
	int missing = 0;
	for (int i = 0; i < ISA_NR_OPS; i++) {
		const struct isa_form *f = &isa_forms[i];
		/* pseudo lddw forms are refused at load until the object loader exists */
		if (f->kind == ISA_KIND_LDDW && f->value != 0)
			continue;
		if (!form_seen[i]) {
			fprintf(stderr, "form %s was never run\n", f->id);
			missing++;
		}
	}
	CHECK_EQ_INT(missing, 0);
}

/* ... and every superinstruction of the fast engine was chosen by some test above. */
TEST(superinstruction_coverage)
{
	static const char *const names[] = {
#define S(ID) [VM_OP_##ID] = #ID,
	    VM_SUPER_OPS(S)
#undef S
	};
	int missing = 0;
	for (int op = ISA_NR_OPS; op < VM_NR_OPS; op++) {
		if (op == VM_OP_TAIL_CALL) /* not a fused form: test_tail_call.c runs it */
			continue;
		if (!super_seen[op]) {
			fprintf(stderr, "superinstruction %s was never run\n", names[op]);
			missing++;
		}
	}
	CHECK_EQ_INT(missing, 0);
}
