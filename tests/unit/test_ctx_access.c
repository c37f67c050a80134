/*
 * test_ctx_access.c - the load-time context-access pass (src/progs/ctx_access.c, ctx_tables.c):
 * every field of struct xdp_md and struct __sk_buff loaded and stored by each packet type, allowed
 * or refused with its one-line reason; narrow loads; the pointer-field rewrite checked instruction by
 * instruction; the context tracked through moves, constant offsets, spills and fills, subprogram
 * arguments; conflicting paths, pointer arithmetic, ctx stores, atomics and helper arguments refused;
 * unreachable code ignored; helpers refused by type at userbpf_prog__load.
 */
#include <errno.h>
#include <stdlib.h>

#include "insn.h"
#include "progs/progs.h"
#include "test.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"
#include "userbpf/userbpf.h"

#define XDP  USERBPF_PROG_TYPE_XDP
#define SOCK USERBPF_PROG_TYPE_SOCKET_FILTER
#define CLS  USERBPF_PROG_TYPE_SCHED_CLS
#define ACT  USERBPF_PROG_TYPE_SCHED_ACT
#define CG   USERBPF_PROG_TYPE_CGROUP_SKB
#define N(A) (sizeof(A) / sizeof((A)[0]))

static char logbuf[512];

/* Run the pass on `insns` in place; the log line (without its newline) is in logbuf. */
static int pass(unsigned type, unsigned attach, struct userbpf_insn *insns, size_t n)
{
	logbuf[0] = 0;
	int err = progs_ctx_prepare(insns, n, type, attach, NULL, logbuf, sizeof(logbuf));
	size_t len = strlen(logbuf);
	if (len && logbuf[len - 1] == '\n')
		logbuf[len - 1] = 0;
	return err;
}

/* One access: r0 = *(SZ *)(r1 + off) or *(SZ *)(r1 + off) = r2 (STX) / imm (ST). */
static int access1(unsigned type, unsigned attach, int size, int off, int how /* 0 ldx, 1 stx, 2 st */,
		   struct userbpf_insn *out)
{
	struct userbpf_insn p[] = {
	    I_MOV64_IMM(2, 7),
	    how == 0   ? I_LDX(size, 0, 1, off)
	    : how == 1 ? I_STX(size, 1, 2, off)
		       : I_ST(size, 1, off, 5),
	    I_MOV64_IMM(0, 0),
	    I_EXIT(),
	};
	int err = pass(type, attach, p, N(p));
	if (out)
		*out = p[1];
	return err;
}

static int sz(int bytes)
{
	return bytes == 1 ? BPF_B : bytes == 2 ? BPF_H : bytes == 4 ? BPF_W : BPF_DW;
}

/* ---- xdp ----------------------------------------------------------------------------------------- */

TEST(xdp_pointer_fields_rewritten)
{
	static const struct {
		int off, host;
	} f[] = {{0, 24}, {4, 32}, {8, 40}};
	for (size_t i = 0; i < N(f); i++) {
		struct userbpf_insn in;
		CHECK_EQ_INT(access1(XDP, 37, BPF_W, f[i].off, 0, &in), 0);
		CHECK_EQ_INT(in.code, BPF_LDX | BPF_MEM | BPF_DW);
		CHECK_EQ_INT(in.dst_reg, 0);
		CHECK_EQ_INT(in.src_reg, 1);
		CHECK_EQ_INT(in.off, f[i].host);
	}
}

TEST(xdp_plain_fields_in_place)
{
	for (int off = 12; off <= 16; off += 4) {
		struct userbpf_insn in;
		CHECK_EQ_INT(access1(XDP, 37, BPF_W, off, 0, &in), 0);
		CHECK_EQ_INT(in.code, BPF_LDX | BPF_MEM | BPF_W);
		CHECK_EQ_INT(in.off, off);
	}
}

TEST(xdp_egress_ifindex_devmap_only)
{
	CHECK_EQ_INT(access1(XDP, 37, BPF_W, 20, 0, NULL), -EACCES);
	CHECK_STR(logbuf, "insn 1: r0 = *(u32 *)(r1 + 20): xdp_md: egress_ifindex is readable only by devmap "
			  "programs (xdp/devmap)");
	CHECK_EQ_INT(access1(XDP, 33, BPF_W, 20, 0, NULL), 0);
}

TEST(xdp_refusals)
{
	CHECK_EQ_INT(access1(XDP, 37, BPF_H, 4, 0, NULL), -EACCES);
	CHECK_STR(logbuf,
		  "insn 1: r0 = *(u16 *)(r1 + 4): xdp_md: narrow load of pointer field data_end; load "
		  "all 4 bytes");
	CHECK_EQ_INT(access1(XDP, 37, BPF_B, 12, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "xdp_md fields are loaded 4 bytes at a time (ingress_ifindex)");
	CHECK_EQ_INT(access1(XDP, 37, BPF_DW, 0, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "narrow load of pointer field data");
	CHECK_EQ_INT(access1(XDP, 37, BPF_W, 24, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "xdp_md: offset 24 is outside xdp_md (24 bytes)");
	CHECK_EQ_INT(access1(XDP, 37, BPF_W, -4, 0, NULL), -EACCES);
	CHECK_EQ_INT(access1(XDP, 37, BPF_W, 12, 1, NULL), -EACCES);
	CHECK_STR(logbuf,
		  "insn 1: *(u32 *)(r1 + 12) = r2: xdp_md: xdp_md is read-only (store to ingress_ifindex)");
	CHECK_EQ_INT(access1(XDP, 37, BPF_W, 16, 2, NULL), -EACCES);
	CHECK_EQ_INT(access1(XDP, 37, BPF_W, 2, 0, NULL), -EACCES);
	struct userbpf_insn sx[] = {I_LDXS(BPF_W, 0, 1, 0), I_EXIT()};
	CHECK_EQ_INT(pass(XDP, 37, sx, N(sx)), -EACCES);
	CHECK_CONTAINS(logbuf, "sign-extending load of pointer field data");
}

/* ---- __sk_buff: every field for every type ------------------------------------------------------ */

struct skb_case {
	const char *name;
	int off, size;	  /* natural access */
	const char *r[4]; /* read result for SOCK, CLS, CG, ACT: NULL allowed, else a substring */
	const char *w[4]; /* write result */
};

#define OK NULL
#define NA "is not available in"
#define RO "is read-only in"
#define KP "is a kernel object"
static const struct skb_case skb_cases[] = {
    {"len", 0, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"pkt_type", 4, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"mark", 8, 4, {OK, OK, OK, OK}, {RO, OK, OK, OK}},
    {"queue_mapping", 12, 4, {OK, OK, OK, OK}, {RO, OK, RO, OK}},
    {"protocol", 16, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"vlan_present", 20, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"vlan_tci", 24, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"vlan_proto", 28, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"priority", 32, 4, {OK, OK, OK, OK}, {RO, OK, OK, OK}},
    {"ingress_ifindex", 36, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"ifindex", 40, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"tc_index", 44, 4, {OK, OK, OK, OK}, {RO, OK, RO, OK}},
    {"cb[0]", 48, 4, {OK, OK, OK, OK}, {OK, OK, OK, OK}},
    {"cb[4]", 64, 4, {OK, OK, OK, OK}, {OK, OK, OK, OK}},
    {"hash", 68, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"tc_classid", 72, 4, {NA, OK, NA, OK}, {NA, OK, NA, OK}},
    {"data", 76, 4, {NA, OK, OK, OK}, {NA, RO, RO, RO}},
    {"data_end", 80, 4, {NA, OK, OK, OK}, {NA, RO, RO, RO}},
    {"napi_id", 84, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"family", 88, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"remote_ip4", 92, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"local_ip4", 96, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"remote_ip6[2]", 108, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"local_ip6[3]", 128, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"remote_port", 132, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"local_port", 136, 4, {NA, NA, OK, NA}, {NA, NA, RO, NA}},
    {"data_meta", 140, 4, {NA, OK, NA, OK}, {NA, RO, NA, RO}},
    {"flow_keys", 144, 8, {KP, KP, KP, KP}, {KP, KP, KP, KP}},
    {"tstamp", 152, 8, {NA, OK, OK, OK}, {NA, OK, OK, OK}},
    {"wire_len", 160, 4, {NA, OK, NA, OK}, {NA, RO, NA, RO}},
    {"gso_segs", 164, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"sk", 168, 8, {KP, KP, KP, KP}, {KP, KP, KP, KP}},
    {"gso_size", 176, 4, {OK, OK, OK, OK}, {RO, RO, RO, RO}},
    {"tstamp_type", 180, 1, {NA, OK, NA, OK}, {NA, RO, NA, RO}},
    {"padding",
     182,
     1,
     {"padding", "padding", "padding", "padding"},
     {"padding", "padding", "padding", "padding"}},
    {"hwtstamp", 184, 8, {NA, OK, OK, OK}, {NA, RO, RO, RO}},
};

TEST(skb_fields_by_type)
{
	static const unsigned types[4] = {SOCK, CLS, CG, ACT};
	for (size_t i = 0; i < N(skb_cases); i++) {
		const struct skb_case *c = &skb_cases[i];
		for (int t = 0; t < 4; t++) {
			for (int how = 0; how < 2; how++) {
				const char *want = how ? c->w[t] : c->r[t];
				struct userbpf_insn in;
				int err = access1(types[t], 0, sz(c->size), c->off, how, &in);
				if (!want) {
					if (err)
						fprintf(stderr, "%s type %u %s: %s\n", c->name, types[t],
							how ? "store" : "load", logbuf);
					CHECK_EQ_INT(err, 0);
				} else {
					if (!err)
						fprintf(stderr, "%s type %u %s allowed\n", c->name, types[t],
							how ? "store" : "load");
					CHECK_EQ_INT(err, -EACCES);
					CHECK_CONTAINS(logbuf, want);
				}
			}
		}
	}
}

TEST(skb_messages_exact)
{
	CHECK_EQ_INT(access1(CLS, 0, BPF_H, 80, 0, NULL), -EACCES);
	CHECK_STR(logbuf, "insn 1: r0 = *(u16 *)(r1 + 80): __sk_buff: narrow load of pointer field data_end; "
			  "load all 4 bytes");
	CHECK_EQ_INT(access1(SOCK, 0, BPF_W, 76, 0, NULL), -EACCES);
	CHECK_STR(logbuf, "insn 1: r0 = *(u32 *)(r1 + 76): __sk_buff: field data is not available in socket "
			  "filter programs");
	CHECK_EQ_INT(access1(SOCK, 0, BPF_W, 8, 1, NULL), -EACCES);
	CHECK_STR(logbuf,
		  "insn 1: *(u32 *)(r1 + 8) = r2: __sk_buff: field mark is read-only in socket filter "
		  "programs");
	CHECK_EQ_INT(access1(CLS, 0, BPF_W, 192, 0, NULL), -EACCES);
	CHECK_STR(logbuf,
		  "insn 1: r0 = *(u32 *)(r1 + 192): __sk_buff: offset 192 is outside __sk_buff (192 bytes)");
}

TEST(skb_pointer_fields_rewritten)
{
	static const struct {
		int off, host;
	} f[] = {{76, 192}, {80, 200}, {140, 208}};
	for (size_t i = 0; i < N(f); i++) {
		struct userbpf_insn in;
		CHECK_EQ_INT(access1(CLS, 0, BPF_W, f[i].off, 0, &in), 0);
		CHECK_EQ_INT(in.code, BPF_LDX | BPF_MEM | BPF_DW);
		CHECK_EQ_INT(in.off, f[i].host);
		CHECK_EQ_INT(in.dst_reg, 0);
		CHECK_EQ_INT(in.src_reg, 1);
	}
	/* cgroup skb reads data and data_end too */
	struct userbpf_insn in;
	CHECK_EQ_INT(access1(CG, 0, BPF_W, 80, 0, &in), 0);
	CHECK_EQ_INT(in.off, 200);
}

TEST(skb_narrow_and_sizes)
{
	struct userbpf_insn in;
	/* narrow loads of plain fields, any aligned part */
	CHECK_EQ_INT(access1(SOCK, 0, BPF_B, 0, 0, &in), 0);
	CHECK_EQ_INT(in.code, BPF_LDX | BPF_MEM | BPF_B);
	CHECK_EQ_INT(access1(SOCK, 0, BPF_B, 3, 0, NULL), 0);
	CHECK_EQ_INT(access1(SOCK, 0, BPF_H, 18, 0, NULL), 0);
	CHECK_EQ_INT(access1(SOCK, 0, BPF_H, 17, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "misaligned 2-byte load at offset 17 (protocol)");
	CHECK_EQ_INT(access1(CLS, 0, BPF_DW, 0, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "8-byte load at offset 0 crosses the end of len");
	/* stores to plain fields are 4 bytes */
	CHECK_EQ_INT(access1(CLS, 0, BPF_H, 8, 1, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "narrow store to mark; store all 4 bytes");
	CHECK_EQ_INT(access1(CLS, 0, BPF_W, 8, 2, NULL), 0);
	/* cb[]: any size inside it */
	CHECK_EQ_INT(access1(SOCK, 0, BPF_DW, 48, 0, NULL), 0);
	CHECK_EQ_INT(access1(SOCK, 0, BPF_DW, 56, 1, NULL), 0);
	CHECK_EQ_INT(access1(SOCK, 0, BPF_B, 67, 1, NULL), 0);
	CHECK_EQ_INT(access1(SOCK, 0, BPF_DW, 64, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "8-byte load at offset 64 crosses the end of cb");
	/* tstamp 8 bytes only; tstamp_type 1 byte */
	CHECK_EQ_INT(access1(CLS, 0, BPF_W, 152, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "tstamp is accessed 8 bytes at a time (4-byte load)");
	CHECK_EQ_INT(access1(CLS, 0, BPF_W, 180, 0, NULL), -EACCES);
	CHECK_EQ_INT(access1(CLS, 0, BPF_W, 184, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "hwtstamp is accessed 8 bytes at a time");
	/* remote_ip6 element by element in cgroup skb */
	CHECK_EQ_INT(access1(CG, 0, BPF_DW, 104, 0, NULL), -EACCES);
	CHECK_EQ_INT(access1(CG, 0, BPF_H, 102, 0, NULL), -EACCES);
	CHECK_CONTAINS(logbuf, "narrow load of remote_ip6[0]; load all 4 bytes");
	CHECK_EQ_INT(access1(CG, 0, BPF_W, 104, 0, NULL), 0);
	CHECK_EQ_INT(access1(CG, 0, BPF_H, 134, 0, NULL), 0); /* remote_port: narrow loads allowed */
}

/* ---- tracking the context ----------------------------------------------------------------------- */

TEST(ctx_spill_fill_and_copies)
{
	struct userbpf_insn p[] = {
	    I_STX(BPF_DW, 10, 1, -16), /* spill */
	    I_MOV64_IMM(1, 0),	       /* r1 is no longer the ctx */
	    I_LDX(BPF_DW, 6, 10, -16), /* fill */
	    I_MOV64_REG(7, 6),	       /* copy */
	    I_LDX(BPF_W, 2, 7, 76),    /* data */
	    I_LDX(BPF_W, 3, 6, 80),    /* data_end */
	    I_LDX(BPF_W, 4, 1, 80),    /* r1 is 0 here: not the ctx, untouched */
	    I_MOV64_IMM(0, 0),	       I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, p, N(p)), 0);
	CHECK_EQ_INT(p[4].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[4].off, 192);
	CHECK_EQ_INT(p[4].dst_reg, 2);
	CHECK_EQ_INT(p[4].src_reg, 7);
	CHECK_EQ_INT(p[5].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[5].off, 200);
	CHECK_EQ_INT(p[6].code, BPF_LDX | BPF_MEM | BPF_W);
	CHECK_EQ_INT(p[6].off, 80);
	/* everything else unchanged */
	CHECK_EQ_INT(p[0].code, BPF_STX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[2].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[2].off, -16);
}

TEST(ctx_constant_offsets)
{
	struct userbpf_insn p[] = {
	    I_ALU64_IMM(BPF_ADD, 1, 70), /* ctx + 70 */
	    I_ALU64_IMM(BPF_SUB, 1, 2),	 /* ctx + 68 */
	    I_LDX(BPF_W, 2, 1, 8),	 /* data at 76 */
	    I_MOV64_IMM(3, 4),
	    I_ALU64_REG(BPF_ADD, 1, 3), /* ctx + 72: register holding a constant */
	    I_LDX(BPF_W, 4, 1, 8),	/* data_end at 80 */
	    I_MOV64_IMM(0, 0),
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, p, N(p)), 0);
	CHECK_EQ_INT(p[2].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[2].off, 192 - 68);
	CHECK_EQ_INT(p[5].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[5].off, 200 - 72);
}

TEST(ctx_into_subprogram)
{
	struct userbpf_insn p[] = {
	    I_MOV64_REG(6, 1), I_CALL_LOCAL(3),	      /* -> 5 */
	    I_MOV64_REG(1, 6), I_CALL_LOCAL(1),	      /* -> 5, again with the ctx */
	    I_EXIT(),	       I_LDX(BPF_W, 0, 1, 4), /* xdp data_end */
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(XDP, 37, p, N(p)), 0);
	CHECK_EQ_INT(p[5].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[5].off, 32);
	/* r6 survived the call */
	CHECK_EQ_INT(p[2].code, BPF_ALU64 | BPF_MOV | BPF_X);

	/* the same subprogram once with the ctx, once with a stack pointer: refused */
	struct userbpf_insn q[] = {
	    I_CALL_LOCAL(4),						      /* -> 5 */
	    I_MOV64_REG(1, 10), I_ALU64_IMM(BPF_ADD, 1, -8), I_CALL_LOCAL(1), /* -> 5 */
	    I_EXIT(),		I_LDX(BPF_W, 0, 1, 4),	     I_EXIT(),
	};
	CHECK_EQ_INT(pass(XDP, 37, q, N(q)), -EACCES);
	CHECK_STR(logbuf, "insn 5: r0 = *(u32 *)(r1 + 4): the base register is the context on some paths and "
			  "not on others");

	/* the ctx as second argument of a subprogram */
	struct userbpf_insn r[] = {
	    I_MOV64_REG(2, 1), I_MOV64_IMM(1, 0),     I_CALL_LOCAL(1), /* -> 4 */
	    I_EXIT(),	       I_LDX(BPF_H, 0, 2, 0),		       /* narrow load of xdp data */
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(XDP, 37, r, N(r)), -EACCES);
	CHECK_STR(
	    logbuf,
	    "insn 4: r0 = *(u16 *)(r2 + 0): xdp_md: narrow load of pointer field data; load all 4 bytes");
}

TEST(ctx_conflict_refused)
{
	struct userbpf_insn p[] = {
	    I_LDX(BPF_W, 2, 1, 0),
	    I_JMP_IMM(BPF_JEQ, 2, 0, 1),
	    I_MOV64_REG(1, 10),
	    I_LDX(BPF_W, 0, 1, -4), /* ctx or stack */
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(SOCK, 0, p, N(p)), -EACCES);
	CHECK_STR(logbuf,
		  "insn 3: r0 = *(u32 *)(r1 - 4): the base register is the context on some paths and not "
		  "on others");
	/* a conflict never used is fine; a merge of equal values is not a conflict */
	struct userbpf_insn q[] = {
	    I_LDX(BPF_W, 2, 1, 0),
	    I_MOV64_REG(3, 1),
	    I_JMP_IMM(BPF_JEQ, 2, 0, 2),
	    I_MOV64_REG(1, 10),
	    I_JA(1),
	    I_MOV64_REG(1, 3),
	    I_LDX(BPF_W, 0, 3, 0), /* r3 is the ctx on both paths */
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(SOCK, 0, q, N(q)), 0);
}

TEST(ctx_misuse_refused)
{
	struct userbpf_insn arith[] = {I_LDX(BPF_W, 2, 1, 0), I_ALU64_REG(BPF_ADD, 1, 2), I_MOV64_IMM(0, 0),
				       I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, arith, N(arith)), -EACCES);
	CHECK_STR(logbuf, "insn 1: r1 += r2: context pointer arithmetic with a non-constant");

	struct userbpf_insn mul[] = {I_ALU64_IMM(BPF_MUL, 1, 2), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, mul, N(mul)), -EACCES);
	CHECK_CONTAINS(logbuf, "arithmetic other than adding a constant on the context pointer");

	struct userbpf_insn a32[] = {I_ALU32_IMM(BPF_ADD, 1, 2), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, a32, N(a32)), -EACCES);
	CHECK_CONTAINS(logbuf, "32-bit arithmetic on the context pointer");

	struct userbpf_insn self[] = {I_STX(BPF_DW, 1, 1, 48), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, self, N(self)), -EACCES);
	CHECK_CONTAINS(logbuf, "storing the context pointer into the context");

	struct userbpf_insn out[] = {I_LDDW(2, 0x1000), I_STX(BPF_DW, 2, 1, 0), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, out, N(out)), -EACCES);
	CHECK_STR(logbuf, "insn 2: *(u64 *)(r2 + 0) = r1: storing the context pointer outside the stack");

	struct userbpf_insn partial[] = {I_STX(BPF_W, 10, 1, -8), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, partial, N(partial)), -EACCES);
	CHECK_STR(logbuf,
		  "insn 0: *(u32 *)(r10 - 8) = r1: partial, out-of-frame or indirect spill of the context "
		  "pointer (spill it with an 8-byte store through r10)");

	/* through a copy of r10: refused unless an r10 store names the same slot */
	struct userbpf_insn indirect[] = {I_MOV64_REG(2, 10), I_ALU64_IMM(BPF_ADD, 2, -8),
					  I_STX(BPF_DW, 2, 1, 0), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, indirect, N(indirect)), -EACCES);
	CHECK_CONTAINS(logbuf, "insn 2: *(u64 *)(r2 + 0) = r1: partial, out-of-frame or indirect spill");
	struct userbpf_insn tracked[] = {
	    I_MOV64_IMM(3, 0),
	    I_STX(BPF_DW, 10, 3, -8), /* r10 store: slot -8 is tracked */
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -16),
	    I_STX(BPF_DW, 2, 1, 8), /* the ctx into slot -8 through r2 */
	    I_LDX(BPF_DW, 4, 10, -8),
	    I_LDX(BPF_W, 0, 4, 80),
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, tracked, N(tracked)), 0);
	CHECK_EQ_INT(tracked[6].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(tracked[6].off, 200);

	struct userbpf_insn atom[] = {I_MOV64_IMM(2, 1), I_ATOMIC(BPF_W, BPF_ADD, 1, 2, 8), I_MOV64_IMM(0, 0),
				      I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, atom, N(atom)), -EACCES);
	CHECK_CONTAINS(logbuf, "atomic operation on the context");

	struct userbpf_insn helper[] = {I_MOV64_REG(2, 1), I_MOV64_IMM(1, 0), I_CALL(1), I_MOV64_IMM(0, 0),
					I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, helper, N(helper)), -EACCES);
	CHECK_STR(logbuf, "insn 2: call bpf_map_lookup_elem#1: the context passed as argument 2 (r2) of "
			  "bpf_map_lookup_elem; only r1 may be the context");

	struct userbpf_insn r1ok[] = {I_CALL(26), I_LDX(BPF_W, 0, 1, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, r1ok, N(r1ok)), 0); /* r1 clobbered by the call: not the ctx after it */
	CHECK_EQ_INT(r1ok[1].code, BPF_LDX | BPF_MEM | BPF_W);

	struct userbpf_insn swap[] = {I_BE(1, 32), I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(pass(CLS, 0, swap, N(swap)), -EACCES);
}

TEST(ctx_stack_overwrite_and_unreachable)
{
	struct userbpf_insn p[] = {
	    I_STX(BPF_DW, 10, 1, -8),
	    I_ST(BPF_DW, 10, -8, 0), /* overwritten with a constant */
	    I_LDX(BPF_DW, 2, 10, -8),
	    I_LDX(BPF_H, 0, 2, 76), /* not the ctx: left alone */
	    I_EXIT(),
	    I_LDX(BPF_H, 0, 1, 76), /* unreachable: ignored */
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, p, N(p)), 0);
	CHECK_EQ_INT(p[3].code, BPF_LDX | BPF_MEM | BPF_H);
	CHECK_EQ_INT(p[5].code, BPF_LDX | BPF_MEM | BPF_H);
}

TEST(ctx_callback_not_ctx)
{
	/* bpf_loop(4, cb, NULL, 0): the callback's r2 is its own ctx argument, not the program's */
	struct userbpf_insn p[] = {
	    I_MOV64_REG(6, 1),
	    I_MOV64_IMM(1, 4),
	    I_RAW(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 7), /* -> 9 */
	    I_RAW(0, 0, 0, 0, 0),
	    I_MOV64_IMM(3, 0),
	    I_MOV64_IMM(4, 0),
	    I_CALL(181),
	    I_LDX(BPF_W, 0, 6, 76), /* the ctx survived in r6 */
	    I_EXIT(),
	    I_LDX(BPF_H, 0, 2, 76), /* callback: r2 is not the ctx */
	    I_LDX(BPF_H, 0, 1, 76), /* nor r1 */
	    I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, p, N(p)), 0);
	CHECK_EQ_INT(p[7].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[7].off, 192);
	CHECK_EQ_INT(p[9].code, BPF_LDX | BPF_MEM | BPF_H);
	CHECK_EQ_INT(p[10].code, BPF_LDX | BPF_MEM | BPF_H);
}

TEST(ctx_loop_fixed_point)
{
	/* the ctx is moved around a loop: r3 is the ctx at the loop head on every iteration */
	struct userbpf_insn p[] = {
	    I_MOV64_REG(3, 1),		I_MOV64_IMM(4, 0),
	    I_MOV64_REG(5, 3), /* loop: */
	    I_MOV64_REG(3, 5),		I_LDX(BPF_W, 0, 3, 0),
	    I_ALU64_IMM(BPF_ADD, 4, 1), I_JMP_IMM(BPF_JLT, 4, 10, -5),
	    I_LDX(BPF_W, 0, 3, 80),	I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, p, N(p)), 0);
	CHECK_EQ_INT(p[7].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[7].off, 200);

	/* a loop that moves the ctx pointer by a constant each time: the head merges CTX(0) and CTX(4) */
	struct userbpf_insn q[] = {
	    I_MOV64_IMM(4, 0),		I_LDX(BPF_W, 0, 1, 0), /* loop */
	    I_ALU64_IMM(BPF_ADD, 1, 4), I_ALU64_IMM(BPF_ADD, 4, 1), I_JMP_IMM(BPF_JLT, 4, 10, -4), I_EXIT(),
	};
	CHECK_EQ_INT(pass(CLS, 0, q, N(q)), -EACCES);
	CHECK_CONTAINS(logbuf,
		       "insn 1: r0 = *(u32 *)(r1 + 0): the base register is the context on some paths");
}

TEST(ctx_large_program_linear)
{
	/* 1M instructions: a long chain of diamonds keeps the ctx in r6; the last load is rewritten */
	size_t n = (1u << 20) - 8, i = 0;
	struct userbpf_insn *p = calloc(n, sizeof(*p));
	CHECK(p);
	if (!p)
		return;
	p[i++] = I_MOV64_REG(6, 1);
	p[i++] = I_STX(BPF_DW, 10, 1, -8);
	while (i + 8 < n) {
		p[i++] = I_JMP_IMM(BPF_JEQ, 0, 0, 2);
		p[i++] = I_LDX(BPF_DW, 7, 10, -8);
		p[i++] = I_JA(1);
		p[i++] = I_MOV64_REG(7, 6);
	}
	p[i++] = I_LDX(BPF_W, 0, 7, 80);
	p[i++] = I_EXIT();
	CHECK_EQ_INT(pass(CLS, 0, p, i), 0);
	CHECK_EQ_INT(p[i - 2].code, BPF_LDX | BPF_MEM | BPF_DW);
	CHECK_EQ_INT(p[i - 2].off, 200);
	free(p);
}

/* ---- through userbpf_prog__load ----------------------------------------------------------------- */

static uint64_t fake_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    const struct userbpf_call *call)
{
	return 0;
}

TEST(load_refuses_helpers_by_type)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK(h);
	CHECK_EQ_INT(userbpf_helpers__add_kernel(h), 0);
	CHECK_EQ_INT(userbpf_helpers__add(h, 26, "bpf_skb_load_bytes", fake_helper, NULL), 0);
	char log[256];
	struct userbpf_insn p[] = {I_MOV64_IMM(2, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BPF_ADD, 3, -8),
				   I_MOV64_IMM(4, 4), I_CALL(26),	  I_MOV64_IMM(0, 2),
				   I_EXIT()};
	struct userbpf_prog_opts o = USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log,
						       .log_size = sizeof(log), .prog_type = XDP);
	errno = 0;
	CHECK(!userbpf_prog__load(p, N(p), &o));
	CHECK_EQ_INT(errno, EACCES);
	CHECK_STR(log, "insn 4: call bpf_skb_load_bytes#26: not allowed in xdp programs\n");
	/* the same program is a fine tc or socket filter program */
	o.prog_type = CLS;
	struct userbpf_prog *prog = userbpf_prog__load(p, N(p), &o);
	CHECK(prog);
	CHECK_EQ_INT(userbpf_prog__type(prog), CLS);
	userbpf_prog__free(prog);
	o.prog_type = SOCK;
	prog = userbpf_prog__load(p, N(p), &o);
	CHECK(prog);
	userbpf_prog__free(prog);
	/* kprobe has no table here: everything registered is allowed */
	o.prog_type = USERBPF_PROG_TYPE_KPROBE;
	prog = userbpf_prog__load(p, N(p), &o);
	CHECK(prog);
	userbpf_prog__free(prog);
	userbpf_helpers__free(h);
}

TEST(helper_tables)
{
	CHECK(progs_helper_allowed(XDP, 44)); /* xdp_adjust_head */
	CHECK(!progs_helper_allowed(CLS, 44));
	CHECK(progs_helper_allowed(XDP, 51)); /* redirect_map */
	CHECK(progs_helper_allowed(CLS, 23)); /* redirect */
	CHECK(!progs_helper_allowed(SOCK, 23));
	CHECK(progs_helper_allowed(CLS, 10)); /* l3_csum_replace */
	CHECK(!progs_helper_allowed(XDP, 10));
	CHECK(progs_helper_allowed(SOCK, 26)); /* skb_load_bytes */
	CHECK(!progs_helper_allowed(SOCK, 9)); /* skb_store_bytes */
	CHECK(progs_helper_allowed(ACT, 9));
	CHECK(progs_helper_allowed(CG, 26));
	CHECK(!progs_helper_allowed(CG, 9));
	for (unsigned t = 1; t <= 8; t++) {
		CHECK(progs_helper_allowed(t, 1));   /* map_lookup_elem */
		CHECK(progs_helper_allowed(t, 5));   /* ktime_get_ns */
		CHECK(progs_helper_allowed(t, 12));  /* tail_call */
		CHECK(progs_helper_allowed(t, 181)); /* loop */
		CHECK(progs_helper_allowed(t, 130)); /* ringbuf_output */
	}
	CHECK(!progs_helper_allowed(XDP, 121)); /* xdp_output: tracing programs only */
	CHECK(!progs_helper_allowed(SOCK, 28)); /* csum_diff: tc and xdp */
	CHECK(progs_helper_allowed(XDP, 28));
	CHECK(progs_helper_allowed(USERBPF_PROG_TYPE_KPROBE, 14));
	CHECK(progs_helper_allowed(USERBPF_PROG_TYPE_HOOK, 14));
	CHECK(progs_is_packet_type(XDP) && progs_is_packet_type(CG) && !progs_is_packet_type(2) &&
	      !progs_is_packet_type(USERBPF_PROG_TYPE_HOOK) && !progs_is_packet_type(0));
}

/* Random programs built from ctx-heavy pieces (moves, constant adds, loads and stores at context
 * offsets, spills and fills, branches, helper calls): each either loads or is refused with exactly
 * one line; both outcomes occur often. */
TEST(random_programs_one_line_or_load)
{
	uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
	static const int offs[] = {0, 4, 8, 48, 64, 76, 80, 140, 152, 180, 184, -8, -16};
	int loaded = 0, refused = 0;
	for (int round = 0; round < 3000; round++) {
		struct userbpf_insn p[40];
		size_t n = 0, len = 4 + RND() % 30;
		while (n < len) {
			unsigned r = RND() % 10, a = 1 + RND() % 5, b = RND() % 10,
				 w = (unsigned)sz(1 << (RND() % 4));
			int off = offs[RND() % (sizeof(offs) / sizeof(offs[0]))];
			switch (r) {
			case 0:
				p[n++] = I_MOV64_REG(a, b);
				break;
			case 1:
				p[n++] = I_ALU64_IMM(BPF_ADD, a, (int)(RND() % 16) - 8);
				break;
			case 2:
				p[n++] = I_LDX(w, a, b, off);
				break;
			case 3:
				p[n++] = I_STX(w, b, a, off);
				break;
			case 4:
				p[n++] = I_STX(BPF_DW, 10, b, -8 * (1 + (int)(RND() % 3)));
				break;
			case 5:
				p[n++] = I_LDX(BPF_DW, a, 10, -8 * (1 + (int)(RND() % 3)));
				break;
			case 6:
				p[n++] = I_JMP_IMM(BPF_JEQ, a, 0, (int)(RND() % 3));
				break;
			case 7:
				p[n++] = I_MOV64_IMM(a, (int)RND());
				break;
			case 8:
				p[n++] = I_ST(w, a, off, 1);
				break;
			default:
				p[n++] = I_CALL(5);
				break;
			}
		}
		/* jumps must land inside: clamp them to the end */
		for (size_t i = 0; i < n; i++)
			if (BPF_CLASS(p[i].code) == BPF_JMP && BPF_OP(p[i].code) == BPF_JEQ &&
			    i + 1 + p[i].off > n)
				p[i].off = (int16_t)(n - i - 1);
		p[n++] = I_MOV64_IMM(0, 0);
		p[n++] = I_EXIT();
		struct userbpf_helpers *h = userbpf_helpers__new();
		userbpf_helpers__add_std(h);
		char log[512] = "";
		struct userbpf_prog_opts o =
		    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log,
				      .log_size = sizeof(log), .prog_type = CLS);
		errno = 0;
		struct userbpf_prog *prog = userbpf_prog__load(p, n, &o);
		if (prog) {
			loaded++;
		} else if (errno == EACCES) {
			refused++;
			size_t l = strlen(log);
			CHECK(l > 0 && log[l - 1] == '\n' && strchr(log, '\n') == log + l - 1);
			CHECK(!strncmp(log, "insn ", 5));
		} else {
			CHECK_EQ_INT(errno, EINVAL); /* the validator's refusals (r10 written, ...) */
		}
		userbpf_prog__free(prog);
		userbpf_helpers__free(h);
	}
#undef RND
	CHECK(loaded > 100);
	CHECK(refused > 100);
}
