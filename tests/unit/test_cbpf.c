/*
 * test_cbpf.c - classic BPF to eBPF (userbpf_cbpf_translate): hand-written classic programs for
 * every instruction class and edge (loads at and past the end, IND with huge X, MSH, scratch
 * memory, every ALU operation with division by X == 0 and shifts by X >= 32, every jump shape,
 * RET K / RET A) and seeded random classic programs, each translated and run by userbpf (checked
 * engine, and fast engine trusted) and compared with libpcap's own classic interpreter,
 * bpf_filter(), on packets of several lengths; the checks the translator makes (each refusal names
 * the instruction); ancillary loads; the ELF writer's objects read back by userbpf's loader.
 *
 * The socket-filter translation is the one run here (legacy LD_ABS/LD_IND loads of the run's
 * packet, `len` from the __sk_buff in the context), so every classic return value is compared,
 * not only zero versus non-zero. Direct packet access (XDP, TC) is compared in test_filter_pcap.c.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pktgen.h"
#include "test.h"
#include "userbpf/cbpf.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SKF_AD_OFF (-0x1000)

static int translate(const struct bpf_insn *prog, size_t n, unsigned int type, struct userbpf_insn **out,
		     size_t *out_cnt, char *err, size_t err_size)
{
	struct userbpf_cbpf_opts o = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = type, .err_buf = err,
						     .err_size = err_size);
	return userbpf_cbpf_translate((const struct userbpf_cbpf_insn *)prog, n, &o, out, out_cnt);
}

/* Translate as a socket filter and run on both engines; 0 with both return values, or -1. */
static int run_sock(const struct bpf_insn *prog, size_t n, const uint8_t *pkt, uint32_t caplen, uint32_t wirelen,
		    struct userbpf_sk_buff *skb_in, uint32_t *checked, uint32_t *fast)
{
	char err[256];
	struct userbpf_insn *e = NULL;
	size_t ecnt = 0;
	if (translate(prog, n, USERBPF_PROG_TYPE_SOCKET_FILTER, &e, &ecnt, err, sizeof(err))) {
		fprintf(stderr, "translate: %s\n", err);
		return -1;
	}
	char log[512] = "";
	struct userbpf_prog_opts po = USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = log, .log_size = sizeof(log),
						      .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *p = userbpf_prog__load(e, ecnt, &po);
	free(e);
	if (!p) {
		fprintf(stderr, "load: %s\n", log);
		return -1;
	}
	struct userbpf_sk_buff skb = {.len = wirelen};
	if (skb_in)
		skb = *skb_in;
	int rc = 0;
	for (int engine = 0; engine < 2 && rc == 0; engine++) {
		struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = &skb, .ctx_size = sizeof(skb),
							     .packet = pkt, .packet_size = caplen, .err_buf = err,
							     .err_size = sizeof(err));
		ro.exec = engine ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED;
		rc = userbpf_prog__run(p, &ro);
		if (rc) {
			fprintf(stderr, "run: %d %s\n", rc, err);
			break;
		}
		*(engine ? fast : checked) = (uint32_t)ro.retval;
		if (ro.retval >> 32) {
			fprintf(stderr, "retval 0x%llx has high bits\n", (unsigned long long)ro.retval);
			rc = -1;
		}
	}
	userbpf_prog__free(p);
	return rc ? -1 : 0;
}

/* Compare with bpf_filter on the packet cut to every length in 0..len (wire length len + 3). */
static int diff_all_lengths(const struct bpf_insn *prog, size_t n, const uint8_t *pkt, uint32_t len)
{
	int bad = 0;
	for (uint32_t cap = 0; cap <= len; cap++) {
		uint32_t want = bpf_filter(prog, pkt, cap + 3, cap);
		uint32_t c = 0, f = 0;
		if (run_sock(prog, n, pkt, cap, cap + 3, NULL, &c, &f)) {
			bad++;
			break;
		}
		if (c != want || f != want) {
			fprintf(stderr, "caplen %u: bpf_filter %u, checked %u, fast %u\n", cap, want, c, f);
			bad++;
		}
	}
	return bad;
}

static const uint8_t pkt64[64] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00, 0x46, 0x00,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
};

#define DIFF(...)                                                                                            \
	do {                                                                                                 \
		struct bpf_insn prog_[] = {__VA_ARGS__};                                                     \
		CHECK_EQ_INT(diff_all_lengths(prog_, ARRAY_SIZE(prog_), pkt64, sizeof(pkt64)), 0);           \
	} while (0)

TEST(cbpf_ld_abs_sizes)
{
	DIFF(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 60), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 62), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 63), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, 7));
	DIFF(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0x10000), BPF_STMT(BPF_RET | BPF_K, 7));
	DIFF(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0x7ffffffe), BPF_STMT(BPF_RET | BPF_K, 7));
	/* The value reaches A exactly, big-endian. */
	uint32_t c = 0, f = 0;
	struct bpf_insn p[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 48), BPF_STMT(BPF_RET | BPF_A, 0)};
	CHECK_EQ_INT(run_sock(p, 2, pkt64, 64, 64, NULL, &c, &f), 0);
	CHECK_EQ_U64(c, 0xdeadbeef);
	CHECK_EQ_U64(f, 0xdeadbeef);
}

TEST(cbpf_ld_ind_and_msh)
{
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 10), BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 60), BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 63), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_A, 0));
	/* X + k wraps in 32 bits to a small offset: libpcap rejects, and so must the translation. */
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 0xffffffff), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 2),
	     BPF_STMT(BPF_RET | BPF_K, 9));
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 0x80000000), BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0x80000004),
	     BPF_STMT(BPF_RET | BPF_K, 9));
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 2), BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0xfffffffe),
	     BPF_STMT(BPF_RET | BPF_K, 9));
	/* X + k landing where the kernel's legacy loads would read the MAC header (SKF_LL_OFF). */
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 0x7ff00000), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0x7ff00000),
	     BPF_STMT(BPF_RET | BPF_K, 9));
	DIFF(BPF_STMT(BPF_LDX | BPF_IMM, 0x40000000), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 4), BPF_STMT(BPF_RET | BPF_K, 9));
	/* MSH: X = 4 * (P[14] & 0xf) = 24, then an IND load through it. */
	DIFF(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14),
	     BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 40), BPF_STMT(BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 64), BPF_STMT(BPF_RET | BPF_K, 1));
}

TEST(cbpf_imm_len_mem)
{
	DIFF(BPF_STMT(BPF_LD | BPF_IMM, 0x12345678), BPF_STMT(BPF_RET | BPF_A, 0));
	/* len is the wire length (caplen + 3 here), not the captured one. */
	DIFF(BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0));
	DIFF(BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0));
	/* Every scratch word, with A and X. */
	struct bpf_insn prog[4 * 16 + 3];
	size_t n = 0;
	for (int i = 0; i < 16; i++) {
		prog[n++] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_IMM, 0x1000 + (unsigned)i * 17);
		prog[n++] = (struct bpf_insn)BPF_STMT(BPF_ST, (unsigned)i);
	}
	for (int i = 0; i < 16; i++) {
		prog[n++] = (struct bpf_insn)BPF_STMT(BPF_LDX | BPF_MEM, (unsigned)(15 - i));
		prog[n++] = (struct bpf_insn)BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0);
	}
	prog[n++] = (struct bpf_insn)BPF_STMT(BPF_STX, 3);
	prog[n++] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_MEM, 3);
	prog[n++] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_A, 0);
	CHECK_EQ_INT(diff_all_lengths(prog, n, pkt64, 4), 0);
}

/* One ALU op on A = a, with K = x or X = x, against bpf_filter. */
static int alu_case(uint16_t op, uint32_t a, uint32_t x, int src_x)
{
	struct bpf_insn p[] = {
		BPF_STMT(BPF_LD | BPF_IMM, a),
		BPF_STMT(BPF_LDX | BPF_IMM, x),
		BPF_STMT((uint16_t)(BPF_ALU | op | (src_x ? BPF_X : BPF_K)), src_x ? 0 : x),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	uint32_t want = bpf_filter(p, pkt64, 64, 64), c = 0, f = 0;
	if (run_sock(p, 4, pkt64, 64, 64, NULL, &c, &f))
		return 1;
	if (c != want || f != want) {
		fprintf(stderr, "op 0x%x a 0x%x x 0x%x %s: bpf_filter 0x%x checked 0x%x fast 0x%x\n", op, a, x,
			src_x ? "X" : "K", want, c, f);
		return 1;
	}
	return 0;
}

TEST(cbpf_alu_all_ops)
{
	static const uint16_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND,
				       BPF_OR,	BPF_XOR, BPF_LSH, BPF_RSH};
	static const uint32_t vals[] = {0, 1, 2, 3, 7, 31, 32, 33, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
					0xdeadbeef};
	int bad = 0, cases = 0;
	for (size_t o = 0; o < ARRAY_SIZE(ops); o++)
		for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
			for (size_t j = 0; j < ARRAY_SIZE(vals); j++) {
				uint32_t x = vals[j];
				bad += alu_case(ops[o], vals[i], x, 1);
				cases++;
				/* Constant divisors must be non-zero and constant shifts below 32. */
				if (((ops[o] == BPF_DIV || ops[o] == BPF_MOD) && x == 0) ||
				    ((ops[o] == BPF_LSH || ops[o] == BPF_RSH) && x >= 32))
					continue;
				bad += alu_case(ops[o], vals[i], x, 0);
				cases++;
			}
	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		struct bpf_insn p[] = {BPF_STMT(BPF_LD | BPF_IMM, vals[i]), BPF_STMT(BPF_ALU | BPF_NEG, 0),
				       BPF_STMT(BPF_RET | BPF_A, 0)};
		uint32_t c = 0, f = 0;
		CHECK_EQ_INT(run_sock(p, 3, pkt64, 64, 64, NULL, &c, &f), 0);
		CHECK_EQ_U64(c, (uint32_t)-vals[i]);
		CHECK_EQ_U64(f, (uint32_t)-vals[i]);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(cases, 10 * 14 * 14 * 2 - 2 * 14 * 1 - 2 * 14 * 8);
}

TEST(cbpf_div_by_x_zero_returns_0)
{
	/* Classic: dividing by X == 0 ends the program with 0, whatever comes after. */
	struct bpf_insn p[] = {BPF_STMT(BPF_LD | BPF_IMM, 100), BPF_STMT(BPF_LDX | BPF_IMM, 0),
			       BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 77)};
	uint32_t c = 1, f = 1;
	CHECK_EQ_INT(run_sock(p, 4, pkt64, 64, 64, NULL, &c, &f), 0);
	CHECK_EQ_U64(c, 0);
	CHECK_EQ_U64(f, 0);
	CHECK_EQ_U64(bpf_filter(p, pkt64, 64, 64), 0);
}

TEST(cbpf_jumps)
{
	static const uint16_t jops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
	static const uint32_t ks[] = {0, 0x11, 0x12, 0x13, 0x80000000, 0xffffffff};
	static const uint8_t shapes[][2] = {{0, 1}, {1, 0}, {1, 2}, {2, 1}, {0, 0}, {2, 2}, {0, 2}, {2, 0}};
	int bad = 0;
	for (size_t o = 0; o < ARRAY_SIZE(jops); o++)
		for (size_t s = 0; s < ARRAY_SIZE(shapes); s++)
			for (size_t k = 0; k < ARRAY_SIZE(ks); k++)
				for (int src_x = 0; src_x < 2; src_x++) {
					/* A = P[1] (0x11); compare; three distinct returns. */
					struct bpf_insn p[] = {
						BPF_STMT(BPF_LDX | BPF_IMM, ks[k]),
						BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 1),
						BPF_JUMP((uint16_t)(BPF_JMP | jops[o] | (src_x ? BPF_X : BPF_K)),
							 src_x ? 0 : ks[k], shapes[s][0], shapes[s][1]),
						BPF_STMT(BPF_RET | BPF_K, 100),
						BPF_STMT(BPF_RET | BPF_K, 200),
						BPF_STMT(BPF_RET | BPF_K, 300),
					};
					bad += diff_all_lengths(p, ARRAY_SIZE(p), pkt64, 2) != 0;
				}
	CHECK_EQ_INT(bad, 0);
	/* ja over instructions, and ja 0. */
	DIFF(BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0), BPF_STMT(BPF_RET | BPF_K, 1),
	     BPF_STMT(BPF_RET | BPF_K, 2), BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0), BPF_STMT(BPF_RET | BPF_A, 0));
}

TEST(cbpf_ret_and_misc)
{
	DIFF(BPF_STMT(BPF_RET | BPF_K, 0));
	DIFF(BPF_STMT(BPF_RET | BPF_K, 0xffffffff));
	DIFF(BPF_STMT(BPF_LD | BPF_IMM, 0xabcdef), BPF_STMT(BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_IMM, 0),
	     BPF_STMT(BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0));
}

/* Seeded random classic programs: forward jumps, all classes, scratch words stored up front. */
static size_t random_prog(uint64_t *s, struct bpf_insn *p, size_t max)
{
	size_t n = 0;
	for (unsigned i = 0; i < 16; i++) {
		p[n++] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_IMM, (uint32_t)pktgen_rand(s));
		p[n++] = (struct bpf_insn)BPF_STMT(BPF_ST, i);
	}
	size_t body = 8 + pktgen_rand(s) % (max - n - 8);
	size_t end = n + body;
	while (n < end) {
		uint32_t r = (uint32_t)(pktgen_rand(s) % 22);
		uint32_t k = (uint32_t)pktgen_rand(s);
		uint32_t off = (uint32_t)(pktgen_rand(s) % 70);
		static const uint16_t sizes[] = {BPF_W, BPF_H, BPF_B};
		uint16_t sz = sizes[pktgen_rand(s) % 3];
		static const uint16_t aluops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD,
						  BPF_AND, BPF_OR,  BPF_XOR, BPF_LSH, BPF_RSH};
		uint16_t aop = aluops[pktgen_rand(s) % 10];
		size_t left = end - n; /* instructions until the final returns */
		switch (r) {
		case 0: case 1: case 2:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_LD | sz | BPF_ABS, off);
			break;
		case 3: case 4:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_LD | sz | BPF_IND, off % 20);
			break;
		case 5:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, off);
			break;
		case 6:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_LDX | BPF_IMM, k % 48);
			break;
		case 7:
			p[n++] = (struct bpf_insn)BPF_STMT(k & 1 ? BPF_LD | BPF_W | BPF_LEN : BPF_LDX | BPF_W | BPF_LEN, 0);
			break;
		case 8:
			p[n++] = (struct bpf_insn)BPF_STMT(k & 1 ? BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM, k % 16);
			break;
		case 9:
			p[n++] = (struct bpf_insn)BPF_STMT(k & 1 ? BPF_ST : BPF_STX, (k >> 1) % 16);
			break;
		case 10: case 11: case 12: {
			uint32_t kk = k;
			if (aop == BPF_LSH || aop == BPF_RSH)
				kk %= 32;
			if ((aop == BPF_DIV || aop == BPF_MOD) && kk == 0)
				kk = 3;
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_ALU | aop | BPF_K, kk);
			break;
		}
		case 13: case 14:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_ALU | aop | BPF_X, 0);
			break;
		case 15:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_ALU | BPF_NEG, 0);
			break;
		case 16:
			p[n++] = (struct bpf_insn)BPF_STMT(k & 1 ? BPF_TAX : BPF_TXA, 0);
			break;
		case 17: case 18: case 19: {
			static const uint16_t jops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
			uint8_t jt = (uint8_t)(pktgen_rand(s) % (left + 1 < 255 ? left + 1 : 255));
			uint8_t jf = (uint8_t)(pktgen_rand(s) % (left + 1 < 255 ? left + 1 : 255));
			uint32_t kk = k & 2 ? k % 256 : k;
			p[n++] = (struct bpf_insn)BPF_JUMP((uint16_t)(BPF_JMP | jops[k % 4] | (k & 4 ? BPF_X : BPF_K)),
							   kk, jt, jf);
			break;
		}
		case 20:
			p[n++] = (struct bpf_insn)BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)(pktgen_rand(s) % (left + 1)), 0, 0);
			break;
		default:
			p[n++] = (struct bpf_insn)BPF_STMT(BPF_RET | (k & 1 ? BPF_A : BPF_K), k % 5);
		}
	}
	/* Jumps may land on either of the two final returns. */
	p[n++] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_A, 0);
	p[n++] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 0xfeed);
	return n;
}

TEST(cbpf_random_programs_vs_bpf_filter)
{
	uint64_t s = 0xc1a55eedull;
	struct pktgen_pkt pkt;
	struct bpf_insn prog[128];
	int bad = 0, runs = 0, nonzero = 0;
	for (int i = 0; i < 400 && bad < 5; i++) {
		size_t n = random_prog(&s, prog, ARRAY_SIZE(prog) - 2);
		for (int j = 0; j < 8; j++) {
			pktgen_next(&s, &pkt);
			uint32_t want = bpf_filter(prog, pkt.data, pkt.wirelen, pkt.caplen), c = 0, f = 0;
			if (run_sock(prog, n, pkt.data, pkt.caplen, pkt.wirelen, NULL, &c, &f) || c != want || f != want) {
				fprintf(stderr, "random program %d packet %d: bpf_filter %u checked %u fast %u\n", i, j,
					want, c, f);
				bad++;
				break;
			}
			runs++;
			nonzero += want != 0;
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(runs, 400 * 8);
	/* The programs are not trivially rejecting everything. */
	CHECK(nonzero > runs / 10);
}

/* A refused program: the error, and the message naming the instruction and the rule. */
static void refuse(const struct bpf_insn *p, size_t n, unsigned int type, int want_err, const char *msg)
{
	char err[256] = "";
	struct userbpf_insn *e = (struct userbpf_insn *)1;
	size_t cnt = 99;
	int rc = translate(p, n, type, &e, &cnt, err, sizeof(err));
	CHECK_EQ_INT(rc, want_err);
	CHECK_CONTAINS(err, msg);
	CHECK(e == (struct userbpf_insn *)1 && cnt == 99); /* outputs untouched */
	CHECK(strchr(err, '\n') == NULL);
}

#define REFUSE(TYPE, MSG, ...)                                                                               \
	do {                                                                                                 \
		struct bpf_insn prog_[] = {__VA_ARGS__};                                                     \
		refuse(prog_, ARRAY_SIZE(prog_), TYPE, -EINVAL, MSG);                                        \
	} while (0)

TEST(cbpf_refusals_name_the_instruction)
{
	const unsigned int xdp = USERBPF_PROG_TYPE_XDP;
	struct bpf_insn one[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	refuse(one, 0, xdp, -EINVAL, "classic program of 0 instructions (1..4096 allowed)");
	REFUSE(xdp, "insn 1 (code 0x0070 k 0x0): unknown classic opcode", BPF_STMT(BPF_LD | BPF_IMM, 1),
	       BPF_STMT(0x70, 0), BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "insn 0 (code 0x0015 k 0x1): jump to 4 past the end (3 instructions)",
	       BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 3, 0), BPF_STMT(BPF_RET | BPF_K, 1), BPF_STMT(BPF_RET | BPF_K, 0));
	REFUSE(xdp, "insn 1 (code 0x0005 k 0xfffffffe): jump backwards to insn 0", BPF_STMT(BPF_LD | BPF_IMM, 1),
	       BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)-2, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0));
	REFUSE(xdp, "insn 0 (code 0x0000 k 0x1): the last instruction is not a return", BPF_STMT(BPF_LD | BPF_IMM, 1));
	REFUSE(xdp, "insn 0 (code 0x0002 k 0x10): scratch word M[16] out of range", BPF_STMT(BPF_ST, 16),
	       BPF_STMT(BPF_RET | BPF_K, 0));
	REFUSE(xdp, "insn 2 (code 0x0060 k 0x4): M[4] is read before it is stored on some path",
	       BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), BPF_STMT(BPF_ST, 4), BPF_STMT(BPF_LD | BPF_MEM, 4),
	       BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "insn 0 (code 0x0034 k 0x0): division by constant zero", BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
	       BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "insn 0 (code 0x0094 k 0x0): division by constant zero", BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0),
	       BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "insn 0 (code 0x0064 k 0x20): constant shift by 32", BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
	       BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "ancillary load SKF_AD_OFF+36 is not supported for xdp",
	       BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 36), BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "ancillary load SKF_AD_OFF+0 is not supported for xdp",
	       BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + 0), BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(USERBPF_PROG_TYPE_SCHED_CLS, "ancillary load SKF_AD_OFF+56 is not supported for tc",
	       BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 56), BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(xdp, "insn 0 (code 0x0030 k 0xfff00000): negative offset (SKF_NET_OFF/SKF_LL_OFF)",
	       BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)-0x100000), BPF_STMT(BPF_RET | BPF_A, 0));
	REFUSE(USERBPF_PROG_TYPE_KPROBE, "program type 2: classic BPF translates to xdp, tc or socket filter",
	       BPF_STMT(BPF_RET | BPF_K, 0));
	/* A read of M[] stored on every path is fine (both branches store M[2]). */
	struct bpf_insn ok[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2), BPF_STMT(BPF_ST, 2),
				BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), BPF_STMT(BPF_STX, 2), BPF_STMT(BPF_LD | BPF_MEM, 2),
				BPF_STMT(BPF_RET | BPF_A, 0)};
	struct userbpf_insn *e = NULL;
	size_t cnt = 0;
	char err[256];
	CHECK_EQ_INT(translate(ok, ARRAY_SIZE(ok), xdp, &e, &cnt, err, sizeof(err)), 0);
	free(e);
	/* The longest program is accepted, one more is not. */
	struct bpf_insn *big = calloc(USERBPF_CBPF_MAXINSNS + 1, sizeof(*big));
	CHECK(big != NULL);
	if (big) {
		for (size_t i = 0; i <= USERBPF_CBPF_MAXINSNS; i++)
			big[i] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 0);
		CHECK_EQ_INT(translate(big, USERBPF_CBPF_MAXINSNS, xdp, &e, &cnt, err, sizeof(err)), 0);
		free(e);
		refuse(big, USERBPF_CBPF_MAXINSNS + 1, xdp, -EINVAL, "classic program of 4097 instructions");
		free(big);
	}
}

TEST(cbpf_ancillary_socket_filter)
{
	struct userbpf_sk_buff skb = {.len = 64, .pkt_type = 3, .mark = 0xabc, .queue_mapping = 5,
				      .protocol = 0xdd86 /* htons(0x86dd) */, .vlan_present = 1, .vlan_tci = 0x2064,
				      .vlan_proto = 0x0081, .ifindex = 7, .hash = 0x12345678};
	static const struct {
		int32_t off;
		uint32_t want;
	} cases[] = {{0, 0x86dd}, {4, 3}, {8, 7}, {20, 0xabc}, {24, 5}, {32, 0x12345678},
		     {44, 0x2064}, {48, 1}, {60, 0x8100}};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bpf_insn p[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + cases[i].off)),
				       BPF_STMT(BPF_RET | BPF_A, 0)};
		uint32_t c = 0, f = 0;
		CHECK_EQ_INT(run_sock(p, 2, pkt64, 64, 64, &skb, &c, &f), 0);
		CHECK_EQ_U64(c, cases[i].want);
		CHECK_EQ_U64(f, cases[i].want);
	}
}

TEST(cbpf_xdp_shape)
{
	/* "ret #1" for XDP: data/data_end, A = X = 0, then w0 = XDP_PASS; exit. Nothing else. */
	struct bpf_insn p[] = {BPF_STMT(BPF_RET | BPF_K, 1)};
	struct userbpf_insn *e = NULL;
	size_t cnt = 0;
	char err[256], line[128];
	CHECK_EQ_INT(translate(p, 1, USERBPF_PROG_TYPE_XDP, &e, &cnt, err, sizeof(err)), 0);
	static const char *const want[] = {"r6 = *(u32 *)(r1 + 0)", "r7 = *(u32 *)(r1 + 4)", "w8 = 0", "w9 = 0",
					   "w0 = 2", "exit"};
	CHECK_EQ_INT(cnt, ARRAY_SIZE(want));
	for (size_t i = 0; i < cnt && i < ARRAY_SIZE(want); i++) {
		userbpf_disasm_insn(e, cnt, i, USERBPF_SYNTAX_C, line, sizeof(line));
		CHECK_STR(line, want[i]);
	}
	free(e);
	/* A packet load for TC: a bounds check against data_end, then the load and the byte swap. */
	struct bpf_insn q[] = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_STMT(BPF_RET | BPF_A, 0)};
	CHECK_EQ_INT(translate(q, 2, USERBPF_PROG_TYPE_SCHED_CLS, &e, &cnt, err, sizeof(err)), 0);
	static const char *const want_tc[] = {
		"r6 = *(u32 *)(r1 + 76)", "r7 = *(u32 *)(r1 + 80)", "w8 = 0", "w9 = 0", "r2 = r6", "r2 += 14",
		"if r2 > r7 goto +6", "r8 = *(u16 *)(r6 + 12)", "r8 = be16 r8", "w0 = 0", "if w8 != 0 goto +1",
		"w0 = 2", "exit", "w0 = 2", "exit"};
	CHECK_EQ_INT(cnt, ARRAY_SIZE(want_tc));
	for (size_t i = 0; i < cnt && i < ARRAY_SIZE(want_tc); i++) {
		userbpf_disasm_insn(e, cnt, i, USERBPF_SYNTAX_C, line, sizeof(line));
		CHECK_STR(line, want_tc[i]);
	}
	free(e);
}

TEST(cbpf_object_write_reads_back)
{
	struct bpf_insn p[] = {BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
	struct userbpf_insn *e = NULL;
	size_t cnt = 0;
	char err[256], path[] = "/tmp/userbpf_cbpf_objXXXXXX";
	CHECK_EQ_INT(translate(p, 2, USERBPF_PROG_TYPE_XDP, &e, &cnt, err, sizeof(err)), 0);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0 || !e) {
		free(e);
		return;
	}
	close(fd);
	struct userbpf_object_write_opts wo = USERBPF_OPTS_INIT(userbpf_object_write_opts, .license = "Dual BSD/GPL",
								.err_buf = err, .err_size = sizeof(err));
	CHECK_EQ_INT(userbpf_object_write(path, "my_filter", "xdp", e, cnt, &wo), 0);
	struct userbpf_object *obj = userbpf_object__open_file(path, NULL);
	CHECK(obj != NULL);
	if (obj) {
		CHECK_STR(userbpf_object__license(obj), "Dual BSD/GPL");
		CHECK_EQ_INT(userbpf_object__program_cnt(obj), 1);
		struct userbpf_program *prog = userbpf_object__find_program_by_name(obj, "my_filter");
		CHECK(prog != NULL);
		if (prog) {
			CHECK_STR(userbpf_program__section_name(prog), "xdp");
			CHECK_EQ_INT(userbpf_program__type(prog), USERBPF_PROG_TYPE_XDP);
			CHECK_EQ_INT(userbpf_program__insn_cnt(prog), cnt);
			CHECK(memcmp(userbpf_program__insns(prog), e, cnt * sizeof(*e)) == 0);
		}
		userbpf_object__close(obj);
	}
	/* tc and socket sections give their types. */
	CHECK_EQ_INT(userbpf_object_write(path, "f", "tc", e, cnt, NULL), 0);
	obj = userbpf_object__open_file(path, NULL);
	CHECK(obj && userbpf_program__type(userbpf_object__next_program(obj, NULL)) == USERBPF_PROG_TYPE_SCHED_CLS);
	userbpf_object__close(obj);
	CHECK_EQ_INT(userbpf_object_write(path, "f", "socket", e, cnt, NULL), 0);
	obj = userbpf_object__open_file(path, NULL);
	CHECK(obj && userbpf_program__type(userbpf_object__next_program(obj, NULL)) ==
			     USERBPF_PROG_TYPE_SOCKET_FILTER);
	CHECK(obj && strcmp(userbpf_object__license(obj), "GPL") == 0);
	userbpf_object__close(obj);
	unlink(path);
	/* Bad arguments and an unwritable path. */
	CHECK_EQ_INT(userbpf_object_write(path, "", "xdp", e, cnt, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_object_write(path, "f", "xdp", e, 0, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_object_write("/nonexistent/dir/x.o", "f", "xdp", e, cnt, &wo), -ENOENT);
	CHECK_CONTAINS(err, "/nonexistent/dir/x.o: No such file or directory");
	free(e);
}
