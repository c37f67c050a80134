/*
 * test_disasm.c - userbpf_disasm_insn(): exact text of a representative instruction of every kind in
 * both syntaxes, invalid slots and truncated lddw.
 */
#include "test.h"

#include <errno.h>

#include "userbpf/userbpf.h"

#define INSN(CODE, DST, SRC, OFF, IMM) ((struct userbpf_insn){(CODE), (DST), (SRC), (OFF), (IMM)})

/* Disassemble one slot (two for lddw given next) in both syntaxes and compare. */
static void check_one(int line, struct userbpf_insn a, struct userbpf_insn b, size_t cnt, int want_rc,
		      const char *want_c, const char *want_conf)
{
	struct userbpf_insn insns[2] = {a, b};
	char buf[128];
	int rc = userbpf_disasm_insn(insns, cnt, 0, USERBPF_SYNTAX_C, buf, sizeof(buf));
	if (rc != want_rc || strcmp(buf, want_c) != 0) {
		fprintf(stderr, "line %d: C: got %d \"%s\", want %d \"%s\"\n", line, rc, buf, want_rc,
			want_c);
		test_failed_now = 1;
	}
	rc = userbpf_disasm_insn(insns, cnt, 0, USERBPF_SYNTAX_CONFORMANCE, buf, sizeof(buf));
	if (rc != want_rc || strcmp(buf, want_conf) != 0) {
		fprintf(stderr, "line %d: conformance: got %d \"%s\", want %d \"%s\"\n", line, rc, buf,
			want_rc, want_conf);
		test_failed_now = 1;
	}
}

#define D(INS, C, CONF)	  check_one(__LINE__, INS, INSN(0, 0, 0, 0, 0), 1, 1, C, CONF)
#define D2(A, B, C, CONF) check_one(__LINE__, A, B, 2, 2, C, CONF)
#define BAD(INS, TEXT)	  check_one(__LINE__, INS, INSN(0, 0, 0, 0, 0), 1, -EINVAL, TEXT, TEXT)

TEST(alu)
{
	D(INSN(0xb4, 0, 0, 0, 2), "w0 = 2", "mov32 %r0, 2");
	D(INSN(0xbf, 0, 1, 0, 0), "r0 = r1", "mov %r0, %r1");
	D(INSN(0x07, 0, 0, 0, 5), "r0 += 5", "add %r0, 5");
	D(INSN(0x1c, 0, 1, 0, 0), "w0 -= w1", "sub32 %r0, %r1");
	D(INSN(0x3f, 0, 1, 1, 0), "r0 s/= r1", "sdiv %r0, %r1");
	D(INSN(0x97, 0, 0, 1, 3), "r0 s%= 3", "smod %r0, 3");
	D(INSN(0xc7, 0, 0, 0, 2), "r0 s>>= 2", "arsh %r0, 2");
	D(INSN(0x67, 3, 0, 0, 60), "r3 <<= 60", "lsh %r3, 60");
	D(INSN(0x7c, 9, 8, 0, 0), "w9 >>= w8", "rsh32 %r9, %r8");
	D(INSN(0x24, 1, 0, 0, -7), "w1 *= -7", "mul32 %r1, -7");
	D(INSN(0x57, 1, 0, 0, 0xff), "r1 &= 0xff", "and %r1, 0xff");
	D(INSN(0x44, 1, 0, 0, -1), "w1 |= -0x1", "or32 %r1, -0x1");
	D(INSN(0xa7, 1, 0, 0, 16), "r1 ^= 0x10", "xor %r1, 0x10");
	D(INSN(0xb7, 0, 0, 0, 0x11223344), "r0 = 0x11223344", "mov %r0, 0x11223344");
	D(INSN(0xb7, 0, 0, 0, INT32_MIN), "r0 = -0x80000000", "mov %r0, -0x80000000");
	D(INSN(0xb7, 0, 0, 0, 65535), "r0 = 65535", "mov %r0, 65535");
	D(INSN(0xb7, 0, 0, 0, 65536), "r0 = 0x10000", "mov %r0, 0x10000");
	D(INSN(0x9c, 2, 3, 0, 0), "w2 %= w3", "mod32 %r2, %r3");
	D(INSN(0x87, 0, 0, 0, 0), "r0 = -r0", "neg %r0");
	D(INSN(0x84, 0, 0, 0, 0), "w0 = -w0", "neg32 %r0");
	D(INSN(0xbf, 0, 1, 8, 0), "r0 = (s8)r1", "movsx864 %r0, %r1");
	D(INSN(0xbf, 0, 1, 32, 0), "r0 = (s32)r1", "movsx3264 %r0, %r1");
	D(INSN(0xbc, 0, 1, 16, 0), "w0 = (s16)w1", "movsx1632 %r0, %r1");
	D(INSN(0xdc, 0, 0, 0, 16), "r0 = be16 r0", "be16 %r0");
	D(INSN(0xd4, 0, 0, 0, 64), "r0 = le64 r0", "le64 %r0");
	D(INSN(0xd7, 0, 0, 0, 32), "r0 = bswap32 r0", "bswap32 %r0");
}

TEST(jumps)
{
	D(INSN(0x2d, 3, 2, 10, 0), "if r3 > r2 goto +10", "jgt %r3, %r2, +10");
	D(INSN(0xc6, 1, 0, -2, -5), "if w1 s< -5 goto -2", "jslt32 %r1, -5, -2");
	D(INSN(0x45, 1, 0, 1, 0x10), "if r1 & 0x10 goto +1", "jset %r1, 0x10, +1");
	D(INSN(0x15, 1, 0, 0, 0), "if r1 == 0 goto +0", "jeq %r1, 0, +0");
	D(INSN(0x5e, 1, 2, 3, 0), "if w1 != w2 goto +3", "jne32 %r1, %r2, +3");
	D(INSN(0x7d, 1, 2, -32768, 0), "if r1 s>= r2 goto -32768", "jsge %r1, %r2, -32768");
	D(INSN(0xb5, 1, 0, 4, 7), "if r1 <= 7 goto +4", "jle %r1, 7, +4");
	D(INSN(0x05, 0, 0, 3, 0), "goto +3", "ja +3");
	D(INSN(0x05, 0, 0, -1, 0), "goto -1", "ja -1");
	D(INSN(0x06, 0, 0, 0, 100000), "gotol +100000", "ja32 +100000");
	D(INSN(0x85, 0, 0, 0, 5), "call 5", "call 5");
	D(INSN(0x85, 0, 1, 0, 3), "call pc+3", "call local +3");
	D(INSN(0x85, 0, 1, 0, -2), "call pc-2", "call local -2");
	D(INSN(0x95, 0, 0, 0, 0), "exit", "exit");
}

TEST(memory)
{
	D(INSN(0x61, 0, 1, 4, 0), "r0 = *(u32 *)(r1 + 4)", "ldxw %r0, [%r1+4]");
	D(INSN(0x89, 0, 1, -2, 0), "r0 = *(s16 *)(r1 - 2)", "ldxsh %r0, [%r1-2]");
	D(INSN(0x79, 2, 10, 0, 0), "r2 = *(u64 *)(r10 + 0)", "ldxdw %r2, [%r10+0]");
	D(INSN(0x91, 2, 3, 1, 0), "r2 = *(s8 *)(r3 + 1)", "ldxsb %r2, [%r3+1]");
	D(INSN(0x7b, 10, 1, -8, 0), "*(u64 *)(r10 - 8) = r1", "stxdw [%r10-8], %r1");
	D(INSN(0x73, 1, 2, 32767, 0), "*(u8 *)(r1 + 32767) = r2", "stxb [%r1+32767], %r2");
	D(INSN(0x62, 1, 0, 2, 0x44332211), "*(u32 *)(r1 + 2) = 0x44332211", "stw [%r1+2], 0x44332211");
	D(INSN(0x6a, 1, 0, 2, 17), "*(u16 *)(r1 + 2) = 17", "sth [%r1+2], 17");
	D(INSN(0x7a, 10, 0, -16, -1), "*(u64 *)(r10 - 16) = -1", "stdw [%r10-16], -1");
}

TEST(atomics)
{
	D(INSN(0xdb, 0, 1, 0, 0x00), "lock *(u64 *)(r0 + 0) += r1", "lock add [%r0+0], %r1");
	D(INSN(0xc3, 10, 1, -4, 0x40), "lock *(u32 *)(r10 - 4) |= w1", "lock or32 [%r10-4], %r1");
	D(INSN(0xdb, 10, 1, -8, 0x50), "lock *(u64 *)(r10 - 8) &= r1", "lock and [%r10-8], %r1");
	D(INSN(0xc3, 10, 1, -8, 0xa0), "lock *(u32 *)(r10 - 8) ^= w1", "lock xor32 [%r10-8], %r1");
	D(INSN(0xdb, 10, 1, -8, 0x01), "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)",
	  "lock fetch add [%r10-8], %r1");
	D(INSN(0xc3, 10, 1, -4, 0xa1), "w1 = atomic_fetch_xor((u32 *)(r10 - 4), w1)",
	  "lock fetch xor32 [%r10-4], %r1");
	D(INSN(0xc3, 10, 3, -4, 0x51), "w3 = atomic_fetch_and((u32 *)(r10 - 4), w3)",
	  "lock fetch and32 [%r10-4], %r3");
	D(INSN(0xdb, 10, 3, -8, 0x41), "r3 = atomic_fetch_or((u64 *)(r10 - 8), r3)",
	  "lock fetch or [%r10-8], %r3");
	D(INSN(0xdb, 10, 1, -8, 0xe1), "r1 = xchg_64(r10 - 8, r1)", "lock xchg [%r10-8], %r1");
	D(INSN(0xc3, 10, 1, -8, 0xe1), "w1 = xchg32_32(r10 - 8, w1)", "lock xchg32 [%r10-8], %r1");
	D(INSN(0xdb, 10, 1, -8, 0xf1), "r0 = cmpxchg_64(r10 - 8, r0, r1)", "lock cmpxchg [%r10-8], %r1");
	D(INSN(0xc3, 10, 1, -8, 0xf1), "w0 = cmpxchg32_32(r10 - 8, w0, w1)", "lock cmpxchg32 [%r10-8], %r1");
}

TEST(lddw)
{
	D2(INSN(0x18, 0, 0, 0, 0x123), INSN(0, 0, 0, 0, 0), "r0 = 0x123 ll", "lddw %r0, 0x123");
	D2(INSN(0x18, 0, 0, 0, 0x55667788), INSN(0, 0, 0, 0, 0x11223344), "r0 = 0x1122334455667788 ll",
	   "lddw %r0, 0x1122334455667788");
	D2(INSN(0x18, 9, 0, 0, -1), INSN(0, 0, 0, 0, -1), "r9 = 0xffffffffffffffff ll",
	   "lddw %r9, 0xffffffffffffffff");
	D2(INSN(0x18, 1, 1, 0, 5), INSN(0, 0, 0, 0, 0), "r1 = map_fd(5) ll", "lddw %r1, map_fd(5)");
	D2(INSN(0x18, 1, 2, 0, 5), INSN(0, 0, 0, 0, 16), "r1 = map_value(5) + 16 ll",
	   "lddw %r1, map_value(5) + 16");
	D2(INSN(0x18, 2, 3, 0, 7), INSN(0, 0, 0, 0, 0), "r2 = btf_var(7) ll", "lddw %r2, btf_var(7)");
	D2(INSN(0x18, 2, 4, 0, -3), INSN(0, 0, 0, 0, 0), "r2 = func(-3) ll", "lddw %r2, func(-3)");
	D2(INSN(0x18, 2, 5, 0, 0), INSN(0, 0, 0, 0, 0), "r2 = map_idx(0) ll", "lddw %r2, map_idx(0)");
	D2(INSN(0x18, 2, 6, 0, 1), INSN(0, 0, 0, 0, -1), "r2 = map_idx_value(1) + 4294967295 ll",
	   "lddw %r2, map_idx_value(1) + 4294967295");
	/* Index of a later lddw: the pair at idx 1..2. */
	struct userbpf_insn p[3] = {INSN(0x95, 0, 0, 0, 0), INSN(0x18, 3, 0, 0, 1), INSN(0, 0, 0, 0, 2)};
	char buf[64];
	CHECK_EQ_INT(userbpf_disasm_insn(p, 3, 1, USERBPF_SYNTAX_C, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "r3 = 0x200000001 ll");
}

TEST(packet)
{
	D(INSN(0x30, 0, 0, 0, 12), "r0 = *(u8 *)skb[12]", "ldabsb 12");
	D(INSN(0x20, 0, 0, 0, -4), "r0 = *(u32 *)skb[-4]", "ldabsw -4");
	D(INSN(0x48, 0, 1, 0, 12), "r0 = *(u16 *)skb[r1 + 12]", "ldindh %r1, 12");
	D(INSN(0x50, 0, 2, 0, -1), "r0 = *(u8 *)skb[r2 - 1]", "ldindb %r2, -1");
	D(INSN(0x40, 0, 3, 0, 0), "r0 = *(u32 *)skb[r3]", "ldindw %r3, 0");
}

TEST(invalid_slots)
{
	/* Unknown opcode byte. */
	BAD(INSN(0x00, 0, 0, 0, 0), ".insn 0x0000000000000000");
	BAD(INSN(0xff, 1, 2, 0x0304, 0x08070605), ".insn 0x08070605030421ff");
	/* Known opcode, bad variant: sdiv with off 2, le with imm 8. */
	BAD(INSN(0x3f, 0, 1, 2, 0), ".insn 0x000000000002103f");
	BAD(INSN(0xd4, 0, 0, 0, 8), ".insn 0x00000008000000d4");
	/* Unused fields not zero. */
	BAD(INSN(0x95, 0, 0, 0, 1), ".insn 0x0000000100000095");
	BAD(INSN(0x84, 0, 0, 0, 1), ".insn 0x0000000100000084");
	BAD(INSN(0x07, 0, 1, 0, 1), ".insn 0x0000000100001007");
	BAD(INSN(0x05, 1, 0, 0, 0), ".insn 0x0000000000000105");
	/* Register out of range. */
	BAD(INSN(0xbf, 11, 1, 0, 0), ".insn 0x0000000000001bbf");
	/* Atomic with an op that does not exist. */
	BAD(INSN(0xdb, 10, 1, -8, 0x02), ".insn 0x00000002fff81adb");
}

TEST(invalid_exact_words)
{
	char buf[64];
	struct userbpf_insn i = INSN(0x05, 1, 0, 0, 0);
	CHECK_EQ_INT(userbpf_disasm_insn(&i, 1, 0, USERBPF_SYNTAX_C, buf, sizeof(buf)), -EINVAL);
	CHECK_STR(buf, ".insn 0x0000000000000105");
	i = INSN(0xbf, 11, 1, 0, 0);
	CHECK_EQ_INT(userbpf_disasm_insn(&i, 1, 0, USERBPF_SYNTAX_C, buf, sizeof(buf)), -EINVAL);
	CHECK_STR(buf, ".insn 0x0000000000001bbf");
}

TEST(truncated_lddw)
{
	char buf[64];
	struct userbpf_insn p[2] = {INSN(0x18, 0, 0, 0, 0x123), INSN(0x95, 0, 0, 0, 0)};
	/* Missing second slot. */
	CHECK_EQ_INT(userbpf_disasm_insn(p, 1, 0, USERBPF_SYNTAX_C, buf, sizeof(buf)), -EINVAL);
	CHECK_STR(buf, ".insn 0x0000012300000018");
	/* Second slot is not a valid continuation (code 0x95). */
	CHECK_EQ_INT(userbpf_disasm_insn(p, 2, 0, USERBPF_SYNTAX_CONFORMANCE, buf, sizeof(buf)), -EINVAL);
	CHECK_STR(buf, ".insn 0x0000012300000018");
	/* The second slot of a good lddw alone is invalid. */
	struct userbpf_insn q[2] = {INSN(0x18, 0, 0, 0, 1), INSN(0, 0, 0, 0, 2)};
	CHECK_EQ_INT(userbpf_disasm_insn(q, 2, 1, USERBPF_SYNTAX_C, buf, sizeof(buf)), -EINVAL);
	CHECK_STR(buf, ".insn 0x0000000200000000");
}

TEST(bad_args_and_truncation)
{
	char buf[8];
	struct userbpf_insn i = INSN(0x61, 0, 1, 4, 0);
	CHECK_EQ_INT(userbpf_disasm_insn(&i, 1, 1, USERBPF_SYNTAX_C, buf, sizeof(buf)), -EINVAL);
	CHECK_STR(buf, "");
	CHECK_EQ_INT(userbpf_disasm_insn(NULL, 1, 0, USERBPF_SYNTAX_C, buf, sizeof(buf)), -EINVAL);
	/* Truncated output still NUL-terminated; the return is the slot count. */
	CHECK_EQ_INT(userbpf_disasm_insn(&i, 1, 0, USERBPF_SYNTAX_C, buf, sizeof(buf)), 1);
	CHECK_STR(buf, "r0 = *(");
	CHECK_EQ_INT(userbpf_disasm_insn(&i, 1, 0, USERBPF_SYNTAX_C, NULL, 0), 1);
	CHECK_EQ_INT(userbpf_disasm_insn(&i, 1, 0, (enum userbpf_syntax)7, buf, sizeof(buf)), -EINVAL);
}
