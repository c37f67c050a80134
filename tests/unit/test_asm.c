/*
 * test_asm.c - userbpf_asm(): the conformance negatives (each refused with LINE:COL pointing at the bad
 * token, or classified as a non-assembler negative), every mnemonic family in both syntaxes with exact
 * bytes, labels, range errors, comments and error reporting.
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>

#include "isa/datafile.h"
#include "userbpf/userbpf.h"

/* Assemble `text`; on success the bytes as hex in out, on failure "ERR <rc> <message>". */
static void asm_hex(const char *text, char *out, size_t size)
{
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	char err[256] = "";
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int rc = userbpf_asm(text, &insns, &cnt, &o);
	if (rc) {
		snprintf(out, size, "ERR %d %s", rc, err);
		return;
	}
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < cnt && len + 17 < size; i++) {
		const uint8_t *b = (const uint8_t *)&insns[i];
		for (int j = 0; j < 8; j++)
			len += (size_t)snprintf(out + len, size - len, "%02x", b[j]);
	}
	free(insns);
}

static void check_asm(int line, const char *text, const char *want)
{
	char got[1024];
	asm_hex(text, got, sizeof(got));
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "line %d: \"%s\"\n  got  %s\n  want %s\n", line, text, got, want);
		test_failed_now = 1;
	}
}

/* Refused with exactly this message ("LINE:COL: ..."), err_line/err_col set to match. */
static void check_err(int line, const char *text, const char *want)
{
	struct userbpf_insn *insns = (struct userbpf_insn *)1;
	size_t cnt = 99;
	char err[256] = "";
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int rc = userbpf_asm(text, &insns, &cnt, &o);
	char pos[32];
	snprintf(pos, sizeof(pos), "%d:%d: ", o.err_line, o.err_col);
	if (rc != -EINVAL || strcmp(err, want) != 0 || strncmp(err, pos, strlen(pos)) != 0 || insns || cnt) {
		fprintf(stderr, "line %d: \"%s\"\n  got  %d \"%s\" (at %s)\n  want \"%s\"\n", line, text, rc,
			err, pos, want);
		test_failed_now = 1;
	}
}

#define A(TEXT, HEX) check_asm(__LINE__, TEXT, HEX)
#define E(TEXT, MSG) check_err(__LINE__, TEXT, MSG)

/* ---------------------------------------------------------------------------------------------- */

static const struct {
	const char *file;
	const char *want; /* NULL: assembles (fails for another reason); "" : has no program at all */
	const char *why;  /* for the assembling ones */
} negatives[] = {
    {"empty.data", "", "no asm and no raw section: nothing to run"},
    {"empty_instructions.data", "", "no asm and no raw section: nothing to run"},
    {"error.data", NULL, "assembles: r0 |= r10 reads r0 before it is written (validator/verifier)"},
    {"incorrect_return_value_high_bits.data", NULL, "assembles: its expected result is wrong (runtime)"},
    {"invalid_imm32_dec_range.data",
     "2:12: immediate 2147483648 out of 32-bit range (decimal: -2147483648..2147483647, hex: up to "
     "0xffffffff)",
     NULL},
    {"invalid_imm32_hex_range.data",
     "2:12: immediate 0x100000000 out of 32-bit range (decimal: -2147483648..2147483647, hex: up to "
     "0xffffffff)",
     NULL},
    {"invalid_label.data", "1:4: unknown label 'NOT_A_LABEL'", NULL},
    {"invalid_lock.data", "1:17: 'lock or' needs 2 operands (lock or [%rD+OFF], %rS), got 1", NULL},
    {"invalid_lock2.data",
     "1:5: 'lock' needs an operation and 2 operands: lock [fetch] "
     "add|or|and|xor|xchg|cmpxchg[32] [%rD+OFF], %rS; got end of line",
     NULL},
    {"invalid_mnemonic.data", "2:1: unknown mnemonic 'ldxq'", NULL},
    {"invalid_offset.data", "1:11: 'ldxb' expects a memory operand [%rN+OFF] here", NULL},
    {"invalid_offset_range.data", "2:16: offset 0x10000 out of 16-bit range (-32768..32767)", NULL},
    {"invalid_operand_count.data", "1:9: 'lddw' needs 2 operands (lddw %rD, IMM64), got 1", NULL},
    {"invalid_register.data", "1:9: invalid register '%r50' (r0-r10)", NULL},
    {"invalid_unknown_directive.data", "1:1: no instructions", NULL},
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(f);
	return s;
}

TEST(conformance_negatives)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/negative", test_conformance_dir());
	DIR *d = opendir(dir);
	if (!d)
		SKIP("no conformance folder at %s", dir);
	int seen = 0, refused = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".data") != 0 || strncmp(e->d_name, "unused-", 7) == 0)
			continue;
		int k = -1;
		for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++)
			if (strcmp(negatives[i].file, e->d_name) == 0)
				k = (int)i;
		if (k < 0) {
			fprintf(stderr, "%s: negative not classified by this test\n", e->d_name);
			test_failed_now = 1;
			continue;
		}
		seen++;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *text = slurp(path);
		struct datafile df;
		char err[256] = "";
		if (!text || datafile_parse(text, &df, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", e->d_name, err);
			test_failed_now = 1;
			free(text);
			continue;
		}
		const char *want = negatives[k].want;
		if (want && !*want) {
			CHECK(df.asm_text == NULL && !df.has_raw);
		} else {
			struct userbpf_insn *insns = NULL;
			size_t cnt = 0;
			struct userbpf_asm_opts o =
			    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
			int rc = df.asm_text ? userbpf_asm(df.asm_text, &insns, &cnt, &o) : -1;
			if (!want) {
				if (rc != 0 || cnt != 2) {
					fprintf(stderr, "%s: should assemble (%s): %s\n", e->d_name,
						negatives[k].why, err);
					test_failed_now = 1;
				}
			} else if (rc != -EINVAL || strcmp(err, want) != 0) {
				fprintf(stderr, "%s: got %d \"%s\", want \"%s\"\n", e->d_name, rc, err, want);
				test_failed_now = 1;
			} else {
				refused++;
			}
			free(insns);
		}
		datafile_free(&df);
		free(text);
	}
	closedir(d);
	printf("asm negatives: %d classified, %d refused by the assembler with LINE:COL\n", seen, refused);
	CHECK_EQ_INT(seen, (int)(sizeof(negatives) / sizeof(negatives[0])));
	CHECK_EQ_INT(refused, 11);
}

/* ---------------------------------------------------------------------------------------------- */

TEST(alu_family)
{
	A("mov32 %r0, 0", "b400000000000000");
	A("w0 = 0", "b400000000000000");
	A("mov %r1, %r2", "bf21000000000000");
	A("r1 = r2", "bf21000000000000");
	A("add %r1, 2", "0701000002000000");
	A("r1 += 2", "0701000002000000");
	A("add32 %r1, %r9", "0c91000000000000");
	A("w1 += w9", "0c91000000000000");
	A("sub %r0, -1", "17000000ffffffff");
	A("r0 -= -1", "17000000ffffffff");
	A("mul32 %r3, 0x10", "2403000010000000");
	A("w3 *= 0x10", "2403000010000000");
	A("div %r3, %r4", "3f43000000000000");
	A("r3 /= r4", "3f43000000000000");
	A("sdiv %r3, %r4", "3f43010000000000");
	A("r3 s/= r4", "3f43010000000000");
	A("sdiv32 %r3, 7", "3403010007000000");
	A("w3 s/= 7", "3403010007000000");
	A("or %r1, 0xff", "47010000ff000000");
	A("r1 |= 0xff", "47010000ff000000");
	A("and32 %r1, %r2", "5c21000000000000");
	A("w1 &= w2", "5c21000000000000");
	A("lsh %r1, 3", "6701000003000000");
	A("r1 <<= 3", "6701000003000000");
	A("rsh32 %r1, %r2", "7c21000000000000");
	A("w1 >>= w2", "7c21000000000000");
	A("mod %r1, 3", "9701000003000000");
	A("r1 %= 3", "9701000003000000");
	A("smod %r1, %r2", "9f21010000000000");
	A("r1 s%= r2", "9f21010000000000");
	A("smod32 %r1, -3", "94010100fdffffff");
	A("w1 s%= -3", "94010100fdffffff");
	A("xor %r1, %r1", "af11000000000000");
	A("r1 ^= r1", "af11000000000000");
	A("arsh %r1, 2", "c701000002000000");
	A("r1 s>>= 2", "c701000002000000");
	A("arsh32 %r1, %r2", "cc21000000000000");
	A("w1 s>>= w2", "cc21000000000000");
	A("neg %r4", "8704000000000000");
	A("r4 = -r4", "8704000000000000");
	A("neg32 %r4", "8404000000000000");
	A("w4 = -w4", "8404000000000000");
	A("movsx864 %r1, %r2", "bf21080000000000");
	A("r1 = (s8)r2", "bf21080000000000");
	A("movsx1664 %r1, %r2", "bf21100000000000");
	A("movsx3264 %r1, %r2", "bf21200000000000");
	A("r1 = (s32)r2", "bf21200000000000");
	A("movsx832 %r1, %r2", "bc21080000000000");
	A("movsx1632 %r1, %r2", "bc21100000000000");
	A("w1 = (s16)w2", "bc21100000000000");
	/* ubpf-style 64 aliases */
	A("mov64 %r1, 2", "b701000002000000");
	A("neg64 %r1", "8701000000000000");
}

TEST(byteswap_family)
{
	A("le16 %r0", "d400000010000000");
	A("r0 = le16 r0", "d400000010000000");
	A("le32 %r0", "d400000020000000");
	A("le64 %r0", "d400000040000000");
	A("be16 %r1", "dc01000010000000");
	A("r1 = be16 r1", "dc01000010000000");
	A("be32 %r1", "dc01000020000000");
	A("be64 %r1", "dc01000040000000");
	A("bswap16 %r2", "d702000010000000");
	A("swap16 %r2", "d702000010000000");
	A("swap32 %r2", "d702000020000000");
	A("swap64 %r2", "d702000040000000");
	A("r2 = bswap64 r2", "d702000040000000");
	E("r2 = bswap64 r3", "1:14: byte swap is in place: write r2 = bswap64 r2");
}

TEST(jump_family)
{
	A("ja +3", "0500030000000000");
	A("goto +3", "0500030000000000");
	A("ja -1", "0500ffff00000000");
	A("goto -1", "0500ffff00000000");
	A("ja32 +100000", "06000000a0860100");
	A("gotol +100000", "06000000a0860100");
	A("jeq %r1, 5, +2", "1501020005000000");
	A("if r1 == 5 goto +2", "1501020005000000");
	A("jeq %r1, %r2, +2", "1d21020000000000");
	A("jgt %r3, %r2, +10", "2d230a0000000000");
	A("if r3 > r2 goto +10", "2d230a0000000000");
	A("jge %r3, 1, +1", "3503010001000000");
	A("if r3 >= 1 goto +1", "3503010001000000");
	A("jset %r1, 0x10, +1", "4501010010000000");
	A("if r1 & 0x10 goto +1", "4501010010000000");
	A("jne %r1, %r2, -1", "5d21ffff00000000");
	A("if r1 != r2 goto -1", "5d21ffff00000000");
	A("jsgt %r1, -1, +1", "65010100ffffffff");
	A("if r1 s> -1 goto +1", "65010100ffffffff");
	A("jsge %r1, %r2, +1", "7d21010000000000");
	A("if r1 s>= r2 goto +1", "7d21010000000000");
	A("jlt %r1, 1, +1", "a501010001000000");
	A("if r1 < 1 goto +1", "a501010001000000");
	A("jle %r1, %r2, +1", "bd21010000000000");
	A("if r1 <= r2 goto +1", "bd21010000000000");
	A("jslt %r1, 1, +1", "c501010001000000");
	A("if r1 s< 1 goto +1", "c501010001000000");
	A("jsle %r1, %r2, +1", "dd21010000000000");
	A("if r1 s<= r2 goto +1", "dd21010000000000");
	A("jeq32 %r1, 5, +2", "1601020005000000");
	A("if w1 == 5 goto +2", "1601020005000000");
	A("jslt32 %r1, -5, -2", "c601fefffbffffff");
	A("if w1 s< -5 goto -2", "c601fefffbffffff");
	A("jne32 %r1, %r2, +3", "5e21030000000000");
	A("if w1 != w2 goto +3", "5e21030000000000");
	A("jset32 %r1, %r2, +0", "4e21000000000000");
	A("call 5", "8500000005000000");
	A("call local +3", "8510000003000000");
	A("call pc+3", "8510000003000000");
	A("call pc-2", "85100000feffffff");
	A("exit", "9500000000000000");
}

TEST(memory_family)
{
	A("ldxw %r0, [%r1+4]", "6110040000000000");
	A("r0 = *(u32 *)(r1 + 4)", "6110040000000000");
	A("ldxh %r0, [%r1]", "6910000000000000");
	A("r0 = *(u16 *)(r1)", "6910000000000000");
	A("ldxb %r0, [%r10-1]", "71a0ffff00000000");
	A("r0 = *(u8 *)(r10 - 1)", "71a0ffff00000000");
	A("ldxdw %r0, [%r1+0x2]", "7910020000000000");
	A("r0 = *(u64 *)(r1 + 0x2)", "7910020000000000");
	A("ldxsw %r0, [%r1-2]", "8110feff00000000");
	A("r0 = *(s32 *)(r1 - 2)", "8110feff00000000");
	A("ldxsh %r0, [%r1-2]", "8910feff00000000");
	A("r0 = *(s16 *)(r1 - 2)", "8910feff00000000");
	A("ldxsb %r0, [%r1+0]", "9110000000000000");
	A("stw [%r1+2], 0x44332211", "6201020011223344");
	A("*(u32 *)(r1 + 2) = 0x44332211", "6201020011223344");
	A("sth [%r1+2], 0x2211", "6a01020011220000");
	A("stb [%r1+2], 0x11", "7201020011000000");
	A("stdw [%r10-16], -1", "7a0af0ffffffffff");
	A("*(u64 *)(r10 - 16) = -1", "7a0af0ffffffffff");
	A("stxw [%r1+2], %r3", "6331020000000000");
	A("stxh [%r1+2], %r3", "6b31020000000000");
	A("stxb [%r1+2], %r3", "7331020000000000");
	A("stxdw [%r10-8], %r1", "7b1af8ff00000000");
	A("*(u64 *)(r10 - 8) = r1", "7b1af8ff00000000");
	A("ldabsw 12", "200000000c000000");
	A("r0 = *(u32 *)skb[12]", "200000000c000000");
	A("ldabsh 12", "280000000c000000");
	A("ldabsb 12", "300000000c000000");
	A("r0 = *(u8 *)skb[12]", "300000000c000000");
	A("ldindw %r1, 12", "401000000c000000");
	A("ldindh %r1, 12", "481000000c000000");
	A("r0 = *(u16 *)skb[r1 + 12]", "481000000c000000");
	A("ldindb %r2, -1", "50200000ffffffff");
	A("r0 = *(u8 *)skb[r2 - 1]", "50200000ffffffff");
	E("ldabsdw 12", "1:1: unknown mnemonic 'ldabsdw'");
	E("r1 = *(u8 *)skb[12]", "1:1: legacy packet loads write r0");
}

TEST(atomic_family)
{
	A("lock add [%r10-8], %r1", "db1af8ff00000000");
	A("lock *(u64 *)(r10 - 8) += r1", "db1af8ff00000000");
	A("lock add32 [%r10-4], %r1", "c31afcff00000000");
	A("lock *(u32 *)(r10 - 4) += w1", "c31afcff00000000");
	A("lock or [%r10-8], %r1", "db1af8ff40000000");
	A("lock or32 [%r10-4], %r1", "c31afcff40000000");
	A("lock *(u32 *)(r10 - 4) |= w1", "c31afcff40000000");
	A("lock and [%r10-8], %r1", "db1af8ff50000000");
	A("lock *(u64 *)(r10 - 8) &= r1", "db1af8ff50000000");
	A("lock xor32 [%r10-8], %r1", "c31af8ffa0000000");
	A("lock fetch add [%r10-8], %r1", "db1af8ff01000000");
	A("r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)", "db1af8ff01000000");
	A("lock fetch add32 [%r10-4], %r1", "c31afcff01000000");
	A("lock fetch or [%r10-8], %r3", "db3af8ff41000000");
	A("lock fetch and32 [%r10-4], %r3", "c33afcff51000000");
	A("w3 = atomic_fetch_and((u32 *)(r10 - 4), w3)", "c33afcff51000000");
	A("lock fetch xor32 [%r10-4], %r1", "c31afcffa1000000");
	A("w1 = atomic_fetch_xor((u32 *)(r10 - 4), w1)", "c31afcffa1000000");
	A("lock xchg [%r10-8], %r1", "db1af8ffe1000000");
	A("r1 = xchg_64(r10 - 8, r1)", "db1af8ffe1000000");
	A("lock xchg32 [%r10-8], %r1", "c31af8ffe1000000");
	A("w1 = xchg32_32(r10 - 8, w1)", "c31af8ffe1000000");
	A("lock cmpxchg [%r10-8], %r1", "db1af8fff1000000");
	A("r0 = cmpxchg_64(r10 - 8, r0, r1)", "db1af8fff1000000");
	A("lock cmpxchg32 [%r10-8], %r1", "c31af8fff1000000");
	A("w0 = cmpxchg32_32(r10 - 8, w0, w1)", "c31af8fff1000000");
	E("r1 = cmpxchg_64(r10 - 8, r0, r1)", "1:1: cmpxchg compares with and writes r0");
	E("w1 = atomic_fetch_sub((u32 *)(r10 - 4), w1)", "1:6: unknown atomic operation 'atomic_fetch_sub'");
	E("lock *(u32 *)(r10 - 4) += r1", "1:27: expected a w register here");
	E("lock fetch [%r10-8], %r1", "1:12: 'lock' needs an operation and 2 operands: lock [fetch] "
				      "add|or|and|xor|xchg|cmpxchg[32] [%rD+OFF], %rS; got '['");
	E("lock sub [%r10-8], %r1", "1:1: unknown mnemonic 'lock sub'");
}

TEST(lddw_family)
{
	A("lddw %r0, 0x1122334455667788", "18000000887766550000000044332211");
	A("r0 = 0x1122334455667788 ll", "18000000887766550000000044332211");
	A("lddw %r1, -1", "18010000ffffffff00000000ffffffff");
	A("lddw %r1, 18446744073709551615", "18010000ffffffff00000000ffffffff");
	A("lddw %r1, -9223372036854775808", "180100000000000000000000"
					    "00000080");
	A("lddw %r1, map_fd(5)", "18110000050000000000000000000000");
	A("r1 = map_fd(5) ll", "18110000050000000000000000000000");
	A("r1 = map_value(5) + 16 ll", "18210000050000000000000010000000");
	A("lddw %r1, map_value(5) + 16", "18210000050000000000000010000000");
	A("r2 = btf_var(7) ll", "18320000070000000000000000000000");
	A("r2 = func(-3) ll", "18420000fdffffff0000000000000000");
	A("r2 = map_idx(0) ll", "18520000000000000000000000000000");
	A("r2 = map_idx_value(1) + 4294967295 ll", "1862000001000000"
						   "00000000ffffffff");
	E("lddw %r1, 18446744073709551616", "1:11: immediate 18446744073709551616 out of 64-bit range");
	E("lddw %r1, -9223372036854775809", "1:11: immediate -9223372036854775809 out of 64-bit range");
	E("w1 = 5 ll", "1:1: a 64-bit load needs an r register");
}

TEST(raw_insn)
{
	A(".insn 0x0000000000000095", "9500000000000000");
	A(".insn 0x08070605030421ff", "ff21040305060708");
	A(".insn 0", "0000000000000000");
	E(".insn -1", "1:7: instruction word -1 does not fit 64 unsigned bits");
	E(".insn 0x10000000000000000",
	  "1:7: instruction word 0x10000000000000000 does not fit 64 unsigned bits");
	E(".insn 1 2", "1:9: unexpected '2'");
}

TEST(labels)
{
	/* forward, backward, several labels on a line, label with instruction on the same line */
	A("ja L1\nL0: exit\nL1:\nL2: ja L0\nja32 L2", "0500010000000000"
						      "9500000000000000"
						      "0500feff00000000"
						      "06000000feffffff");
	A("jne %r1, 0, done\nmov %r0, 1\ndone:\nexit", "5501010000000000b7000000010000009500000000000000");
	/* lddw counts two slots */
	A("ja end\nlddw %r0, 1\nend: exit",
	  "0500020000000000180000000100000000000000000000009500000000000000");
	/* call local to a label */
	A("call local f\nexit\nf: exit", "85100000010000009500000000000000"
					 "9500000000000000");
	A("call f\nexit\nf: exit", "85100000010000009500000000000000"
				   "9500000000000000");
	/* the undefined label `exit` is the first exit instruction */
	A("mov %r0, 0\njne %r0, 0, exit\nexit\nexit",
	  "b700000000000000550000000000000095000000000000009500000000000000");
	A("jeq %r0, 0, exit\nexit\nmov %r0, 1\nexit", "1500000000000000950000000000000"
						      "0b7000000010000009500000000000000");
	/* ... unless it is defined */
	A("ja exit\nexit\nexit:\nexit", "0500010000000000"
					"95000000000000009500000000000000");
	/* a label at the very end (jump past the program: the validator's business) */
	A("ja end\nend:", "0500000000000000");
	E("ja nowhere\nexit", "1:4: unknown label 'nowhere'");
	E("ja exit", "1:4: unknown label 'exit'");
	E("a: exit\na: exit", "2:1: label 'a' already defined at line 1");
	E("r1: exit", "1:1: label 'r1' is a register name");
}

/* "HEAD\n" then n exits then "far: exit\n". */
static char *far_text(const char *head, size_t n)
{
	char *text = malloc(n * 5 + 64);
	if (!text)
		return NULL;
	size_t len = (size_t)sprintf(text, "%s\n", head);
	for (size_t i = 0; i < n; i++, len += 5)
		memcpy(text + len, "exit\n", 5);
	strcpy(text + len, "far: exit\n");
	return text;
}

TEST(label_too_far)
{
	char *text = far_text("ja far", 40000);
	if (text)
		E(text, "1:4: label 'far' is 40000 instructions away: beyond a 16-bit jump offset (use "
			"ja32/gotol)");
	free(text);
	text = far_text("ja32 far", 40000);
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	CHECK_EQ_INT(text ? userbpf_asm(text, &insns, &cnt, NULL) : -ENOMEM, 0);
	CHECK_EQ_U64(cnt, 40002);
	if (insns)
		CHECK_EQ_INT(insns[0].imm, 40000);
	free(insns);
	free(text);
	text = far_text("ja far", 32767 - 1);
	CHECK_EQ_INT(text ? userbpf_asm(text, &insns, &cnt, NULL) : -ENOMEM, 0);
	if (insns)
		CHECK_EQ_INT(insns[0].off, 32766);
	free(insns);
	free(text);
}

TEST(ranges)
{
	A("mov %r0, 2147483647", "b7000000ffffff7f");
	A("mov %r0, -2147483648", "b700000000000080");
	A("mov %r0, 0xffffffff", "b7000000ffffffff");
	A("mov %r0, -0x80000000", "b700000000000080");
	E("mov %r0, -2147483649",
	  "1:10: immediate -2147483649 out of 32-bit range (decimal: -2147483648..2147483647, hex: "
	  "up to 0xffffffff)");
	E("mov %r0, 4294967295",
	  "1:10: immediate 4294967295 out of 32-bit range (decimal: -2147483648..2147483647, hex: "
	  "up to 0xffffffff)");
	E("mov %r0, -0x80000001",
	  "1:10: immediate -0x80000001 out of 32-bit range (decimal: -2147483648..2147483647, hex: "
	  "up to 0xffffffff)");
	E("mov %r0, 99999999999999999999999",
	  "1:10: immediate 99999999999999999999999 out of 32-bit range (decimal: "
	  "-2147483648..2147483647, hex: up to 0xffffffff)");
	A("ldxb %r0, [%r1+32767]", "7110ff7f00000000");
	A("ldxb %r0, [%r1-32768]", "7110008000000000");
	E("ldxb %r0, [%r1-32769]", "1:15: offset -32769 out of 16-bit range (-32768..32767)");
	E("r0 = *(u8 *)(r1 + 32768)", "1:19: offset 32768 out of 16-bit range (-32768..32767)");
	A("ja -32768", "0500008000000000");
	E("ja +32768", "1:5: jump offset 32768 out of 16-bit range (-32768..32767)");
	E("jeq %r1, 0x100000000, +1", "1:10: immediate 0x100000000 out of 32-bit range (decimal: "
				      "-2147483648..2147483647, hex: up to 0xffffffff)");
	E("stw [%r1+2], 0x100000000", "1:14: immediate 0x100000000 out of 32-bit range (decimal: "
				      "-2147483648..2147483647, hex: up to 0xffffffff)");
	E("call 4294967296",
	  "1:6: immediate 4294967296 out of 32-bit range (decimal: -2147483648..2147483647, hex: up "
	  "to 0xffffffff)");
	E("r1 = map_fd(0x100000000) ll", "1:13: value 0x100000000 does not fit 32 bits");
}

TEST(comments_and_layout)
{
	A("# comment\n\n  mov %r0, 1 # trailing\n\texit ; semicolon\n// slashes\n",
	  "b7000000010000009500000000000000");
	A("r0 = 1 // c\r\nexit\r\n", "b7000000010000009500000000000000");
	A("MOV %R0, 1\nEXIT", "b7000000010000009500000000000000");
	A("R0 = 1\nW1 = W2\nexit", "b700000001000000bc210000000000009500000000000000");
	A("MOV %r0, 1\nEXIT", "b7000000010000009500000000000000");
	A("mov\t%r0 ,  1\nexit", "b7000000010000009500000000000000");
	/* mixed syntaxes */
	A("mov %r0, 1\nr0 += 2\nexit", "b70000000100000007000000020000009500000000000000");
	E("", "1:1: no instructions");
	E("# only a comment\n\nL:\n", "1:1: no instructions");
}

TEST(errors)
{
	E("mov %r0, 1\nfoo %r0", "2:1: unknown mnemonic 'foo'");
	E("mov %r0, [%r1]", "1:10: 'mov' expects an immediate or a register here");
	E("mov %r0", "1:8: 'mov' needs 2 operands (mov %rD, IMM), got 1");
	E("exit %r0", "1:6: too many operands for 'exit' (exit )");
	E("add %r0, 1, 2", "1:13: too many operands for 'add' (add %rD, IMM)");
	E("mov %r0, 1 2", "1:12: expected ',' or end of line, got '2'");
	E("mov %r11, 1", "1:5: invalid register '%r11' (r0-r10)");
	E("mov %x1, 1", "1:5: invalid register '%x1' (registers are %r0-%r10)");
	E("mov %r0, 12ab", "1:10: bad number '12ab'");
	E("mov %r0, 0x", "1:10: bad number '0x': no hex digits after 0x");
	E("mov %r0, @", "1:10: unexpected character '@'");
	E("ldxw %r0, [%r1+4", "1:17: expected ']', got end of line");
	E("ldxw %r0, [%r1*4]", "1:15: expected ']', got '*'");
	E("call %r2",
	  "1:6: 'call %rN' (callx) is not part of RFC 9669: use 'call IMM' for a helper or 'call local "
	  "LABEL'");
	E("callx %r2", "1:1: unknown mnemonic 'callx'");
	E("call r2",
	  "1:6: 'call %rN' (callx) is not part of RFC 9669: use 'call IMM' for a helper or 'call local "
	  "LABEL'");
	E("w0 = r1", "1:6: mixing w and r registers in one instruction");
	E("w0 += r1", "1:7: mixing w and r registers in one instruction");
	E("if w1 > r2 goto +1", "1:9: mixing w and r registers in one instruction");
	E("r0 = -r1", "1:7: negation is in place: write r0 = -r0");
	E("if r1 > 2 +1", "1:11: expected 'goto', got '+'");
	E("if r1 ~ 2 goto +1", "1:7: unexpected character '~'");
	E("if r1 = 2 goto +1", "1:7: expected a comparison (==, !=, >, s<, & ...), got '='");
	E("r0 ! 2", "1:4: unexpected character '!'");
	E("r0 == 2", "1:4: expected an assignment operator (=, +=, s>>= ...), got '=='");
	E("r0 = *(u128 *)(r1 + 0)", "1:8: expected a size (u8, u16, u32, u64, s8, s16, s32), got 'u128'");
	E("r0 = *(s64 *)(r1 + 0)", "1:6: s64 loads do not exist; use u64");
	E("w0 = *(u64 *)(r1 + 0)", "1:1: a 64-bit load needs an r register");
	E("*(s32 *)(r1 + 0) = r2", "1:1: stores are unsigned (u8, u16, u32, u64)");
	E("w0 = (s32)w1", "1:7: expected s8, s16 in a sign-extending move");
	E("r0 = foo", "1:6: unexpected 'foo' after '='");
	E("123", "1:1: expected an instruction, got '123'");
	E("L1: : exit", "1:5: expected an instruction, got ':'");
}

TEST(opts_handling)
{
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	/* NULL opts: still works, still fails cleanly. */
	CHECK_EQ_INT(userbpf_asm("exit", &insns, &cnt, NULL), 0);
	CHECK_EQ_U64(cnt, 1);
	free(insns);
	CHECK_EQ_INT(userbpf_asm("bad", &insns, &cnt, NULL), -EINVAL);
	CHECK(insns == NULL && cnt == 0);
	CHECK_EQ_INT(userbpf_asm(NULL, &insns, &cnt, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_asm("exit", NULL, &cnt, NULL), -EINVAL);
	/* Truncated message buffer. */
	char small[8];
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = small, .err_size = sizeof(small));
	CHECK_EQ_INT(userbpf_asm("exit\nbad", &insns, &cnt, &o), -EINVAL);
	CHECK_STR(small, "2:1: un");
	CHECK_EQ_INT(o.err_line, 2);
	CHECK_EQ_INT(o.err_col, 1);
	/* A success clears the previous error. */
	CHECK_EQ_INT(userbpf_asm("exit", &insns, &cnt, &o), 0);
	CHECK_STR(small, "");
	CHECK_EQ_INT(o.err_line, 0);
	free(insns);
}
