/*
 * cbpf.c - classic BPF to eBPF (userbpf_cbpf_translate, include/userbpf/cbpf.h).
 *
 * Owns the classic program checks (the kernel classic checker's rules: known opcodes, forward jumps
 * inside the program, a final return, scratch words stored before every load on every path,
 * constant divisors non-zero, constant shifts below 32) and the translation, one classic
 * instruction at a time, into eBPF for XDP, TC (sched_cls) or socket filters.
 *
 * Register use of the produced program:
 *   r8 = A, r9 = X (32-bit values, always zero-extended), M[0..15] at r10 - 64 + 4 * k;
 *   XDP / TC: r6 = data, r7 = data_end, r5 = the context; r1..r3 scratch;
 *   socket filter: r6 = the context (LD_ABS/LD_IND take the skb from r6), r0 and r1..r5 clobbered
 *   by every legacy packet load.
 * Every way classic BPF "returns 0" early (a load past the end, a division by X == 0) jumps to one
 * shared block at the end that returns the type's reject verdict; it is only emitted when used,
 * because the kernel verifier refuses unreachable instructions. Classic instructions no path reaches
 * are not translated, for the same reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "userbpf/cbpf.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

/* Classic-only field values (the rest are shared with eBPF: isa.h). */
#define CBPF_RET  0x06
#define CBPF_MISC 0x07
#define CBPF_LEN  0x80
#define CBPF_MSH  0xa0
#define CBPF_RVAL(code) ((code) & 0x18)
#define CBPF_RVAL_A 0x10
#define CBPF_TAX  0x00
#define CBPF_TXA  0x80

/* Ancillary loads: LD ABS at SKF_AD_OFF (-0x1000) + n; below it, SKF_NET_OFF / SKF_LL_OFF. */
#define SKF_AD_OFF_U32 0xfffff000u
#define SKF_AD_PROTOCOL 0
#define SKF_AD_PKTTYPE 4
#define SKF_AD_IFINDEX 8
#define SKF_AD_MARK 20
#define SKF_AD_QUEUE 24
#define SKF_AD_RXHASH 32
#define SKF_AD_VLAN_TAG 44
#define SKF_AD_VLAN_TAG_PRESENT 48
#define SKF_AD_VLAN_TPID 60

/* The largest packet offset the verifier tracks (its MAX_PACKET_OFF); no XDP/TC packet is longer. */
#define PKT_OFF_MAX 0xffffu
/*
 * Socket filters: X and k each kept at most this, so X + k stays a positive 32-bit offset. The
 * legacy loads take a negative one as SKF_NET_OFF/SKF_LL_OFF (the network or MAC header) in the
 * kernel; libpcap simply fails such a load. No packet is 1 GiB long, so this rejects nothing real.
 */
#define SOCK_OFF_MAX 0x3fff0000u

#define R_CTX_SAVED 5 /* XDP/TC: the context */
#define R_DATA 6      /* XDP/TC: data; socket: the context */
#define R_END 7
#define R_A 8
#define R_X 9
#define SCRATCH_OFF(k) ((int16_t)(-64 + 4 * (int)(k)))

#define TARGET_REJECT UINT32_MAX

/* XDP and TC verdicts (kernel UAPI values). */
#define XDP_DROP 1
#define XDP_PASS 2
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

struct fixup {
	size_t at;	 /* the jump instruction */
	uint32_t target; /* classic index, or TARGET_REJECT */
};

struct xlate {
	const struct userbpf_cbpf_insn *in;
	size_t cnt;
	unsigned int type;
	struct userbpf_insn *out;
	size_t n, cap;
	struct fixup *fix;
	size_t nfix, fixcap;
	size_t *start; /* eBPF index of each classic instruction */
	bool need_reject;
	int err;
	char *err_buf;
	size_t err_size;
};

static void fail(struct xlate *x, int err, size_t idx, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct xlate *x, int err, size_t idx, const char *fmt, ...)
{
	if (x->err)
		return;
	x->err = err;
	if (!x->err_buf || !x->err_size)
		return;
	int n = 0;
	if (idx != SIZE_MAX)
		n = snprintf(x->err_buf, x->err_size, "insn %zu (code 0x%04x k 0x%x): ", idx, x->in[idx].code,
			     x->in[idx].k);
	if (n < 0 || (size_t)n >= x->err_size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err_buf + n, x->err_size - (size_t)n, fmt, ap);
	va_end(ap);
}

static void emit(struct xlate *x, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (x->err)
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct userbpf_insn *p = realloc(x->out, cap * sizeof(*p));
		if (!p) {
			fail(x, -ENOMEM, SIZE_MAX, "out of memory");
			return;
		}
		x->out = p;
		x->cap = cap;
	}
	x->out[x->n++] = (struct userbpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* A jump (code is a full JMP/JMP32 opcode) to classic instruction `target` or to the reject block. */
static void emit_jump(struct xlate *x, uint8_t code, uint8_t dst, uint8_t src, int32_t imm, uint32_t target)
{
	if (x->err)
		return;
	if (x->nfix == x->fixcap) {
		size_t cap = x->fixcap ? x->fixcap * 2 : 32;
		struct fixup *p = realloc(x->fix, cap * sizeof(*p));
		if (!p) {
			fail(x, -ENOMEM, SIZE_MAX, "out of memory");
			return;
		}
		x->fix = p;
		x->fixcap = cap;
	}
	if (target == TARGET_REJECT)
		x->need_reject = true;
	x->fix[x->nfix++] = (struct fixup){.at = x->n, .target = target};
	emit(x, code, dst, src, 0, imm);
}

#define ALU32_K(OP, D, IMM) emit(x, BPF_ALU | (OP) | BPF_K, D, 0, 0, (int32_t)(IMM))
#define ALU32_X(OP, D, S)   emit(x, BPF_ALU | (OP) | BPF_X, D, S, 0, 0)
#define ALU64_K(OP, D, IMM) emit(x, BPF_ALU64 | (OP) | BPF_K, D, 0, 0, (int32_t)(IMM))
#define ALU64_X(OP, D, S)   emit(x, BPF_ALU64 | (OP) | BPF_X, D, S, 0, 0)
#define LDX_MEM(SZ, D, S, OFF) emit(x, BPF_LDX | BPF_MEM | (SZ), D, S, (int16_t)(OFF), 0)
#define EXIT() emit(x, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static const char *type_label(unsigned int type)
{
	switch (type) {
	case USERBPF_PROG_TYPE_XDP:
		return "xdp";
	case USERBPF_PROG_TYPE_SCHED_CLS:
		return "tc";
	default:
		return "socket filter";
	}
}

/* ------------------------------------------------------------------------------------------------ */
/* Checks                                                                                            */

static bool code_known(uint16_t code)
{
	switch (code) {
	case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LD | BPF_W | CBPF_LEN:
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM:
	case BPF_LDX | BPF_W | CBPF_LEN:
	case BPF_LDX | BPF_B | CBPF_MSH:
	case BPF_ST:
	case BPF_STX:
	case CBPF_RET | BPF_K:
	case CBPF_RET | CBPF_RVAL_A:
	case CBPF_MISC | CBPF_TAX:
	case CBPF_MISC | CBPF_TXA:
	case BPF_JMP | BPF_JA:
	case BPF_ALU | BPF_NEG:
		return true;
	}
	if (BPF_CLASS(code) == BPF_ALU && (code & ~0xf8u) == BPF_ALU) {
		switch (BPF_OP(code)) {
		case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV: case BPF_MOD:
		case BPF_AND: case BPF_OR: case BPF_XOR: case BPF_LSH: case BPF_RSH:
			return true;
		}
	}
	if (BPF_CLASS(code) == BPF_JMP && (code & ~0xf8u) == BPF_JMP) {
		switch (BPF_OP(code)) {
		case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET:
			return true;
		}
	}
	return false;
}

/*
 * Per-instruction rules, then one forward pass (classic jumps only go forward) computing which
 * instructions some path reaches and which scratch words every path into them has stored.
 */
static int check_program(struct xlate *x, bool *reach)
{
	const struct userbpf_cbpf_insn *in = x->in;
	size_t cnt = x->cnt;
	if (cnt == 0 || cnt > USERBPF_CBPF_MAXINSNS) {
		fail(x, -EINVAL, SIZE_MAX, "classic program of %zu instructions (1..%u allowed)", cnt,
		     USERBPF_CBPF_MAXINSNS);
		return x->err;
	}
	for (size_t i = 0; i < cnt; i++) {
		uint16_t code = in[i].code;
		if (!code_known(code)) {
			fail(x, -EINVAL, i, "unknown classic opcode");
			return x->err;
		}
		switch (code) {
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (in[i].k >= USERBPF_CBPF_MEMWORDS) {
				fail(x, -EINVAL, i, "scratch word M[%u] out of range (M[0..15])", in[i].k);
				return x->err;
			}
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
		case BPF_ALU | BPF_MOD | BPF_K:
			if (in[i].k == 0) {
				fail(x, -EINVAL, i, "division by constant zero");
				return x->err;
			}
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (in[i].k >= 32) {
				fail(x, -EINVAL, i, "constant shift by %u (0..31 allowed)", in[i].k);
				return x->err;
			}
			break;
		case BPF_JMP | BPF_JA:
			if (in[i].k >= 0x80000000u) {
				fail(x, -EINVAL, i, "jump backwards to insn %" PRId64 ": a loop (libpcap's protochain "
					  "makes one), which classic BPF for the kernel and eBPF translation refuse",
				     (int64_t)i + 1 + (int32_t)in[i].k);
				return x->err;
			}
			if ((uint64_t)i + 1 + in[i].k >= cnt) {
				fail(x, -EINVAL, i, "jump to %" PRIu64 " past the end (%zu instructions)",
				     (uint64_t)i + 1 + in[i].k, cnt);
				return x->err;
			}
			break;
		default:
			if (BPF_CLASS(code) == BPF_JMP &&
			    (i + 1 + in[i].jt >= cnt || i + 1 + in[i].jf >= cnt)) {
				fail(x, -EINVAL, i, "jump to %zu past the end (%zu instructions)",
				     i + 1 + (in[i].jt > in[i].jf ? in[i].jt : in[i].jf), cnt);
				return x->err;
			}
		}
	}
	if (BPF_CLASS(in[cnt - 1].code) != CBPF_RET) {
		fail(x, -EINVAL, cnt - 1, "the last instruction is not a return");
		return x->err;
	}

	uint16_t *valid = malloc(cnt * sizeof(*valid));
	if (!valid) {
		fail(x, -ENOMEM, SIZE_MAX, "out of memory");
		return x->err;
	}
	memset(reach, 0, cnt * sizeof(*reach));
	reach[0] = true;
	valid[0] = 0;
	for (size_t i = 0; i < cnt && !x->err; i++) {
		if (!reach[i])
			continue;
		uint16_t m = valid[i];
		uint16_t code = in[i].code;
		size_t succ[2];
		int nsucc = 0;
		switch (BPF_CLASS(code)) {
		case BPF_ST:
		case BPF_STX:
			m |= (uint16_t)(1u << in[i].k);
			break;
		case BPF_LD:
		case BPF_LDX:
			if (BPF_MODE(code) == BPF_MEM && !(m & (1u << in[i].k)))
				fail(x, -EINVAL, i, "M[%u] is read before it is stored on some path", in[i].k);
			break;
		}
		if (BPF_CLASS(code) == CBPF_RET) {
			nsucc = 0;
		} else if (code == (BPF_JMP | BPF_JA)) {
			succ[nsucc++] = i + 1 + in[i].k;
		} else if (BPF_CLASS(code) == BPF_JMP) {
			succ[nsucc++] = i + 1 + in[i].jt;
			succ[nsucc++] = i + 1 + in[i].jf;
		} else {
			succ[nsucc++] = i + 1; /* never past the end: the last instruction is a return */
		}
		for (int s = 0; s < nsucc; s++) {
			if (!reach[succ[s]]) {
				reach[succ[s]] = true;
				valid[succ[s]] = m;
			} else {
				valid[succ[s]] &= m;
			}
		}
	}
	free(valid);
	return x->err;
}

/* ------------------------------------------------------------------------------------------------ */
/* Translation                                                                                       */

static int size_bytes(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

/* Load `size` packet bytes at data + (IND ? X : 0) + k into `dst`, host order, or reject. */
static void emit_pkt_load(struct xlate *x, int dst, bool ind, uint32_t k, int size)
{
	uint8_t sz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
	if (x->type == USERBPF_PROG_TYPE_SOCKET_FILTER) {
		/* Legacy loads: r0 = the big-endian value converted, or the program ends returning 0. */
		if (k > SOCK_OFF_MAX) {
			emit_jump(x, BPF_JMP | BPF_JA, 0, 0, 0, TARGET_REJECT);
			return;
		}
		if (ind) {
			emit_jump(x, BPF_JMP32 | BPF_JGT | BPF_K, R_X, 0, (int32_t)SOCK_OFF_MAX, TARGET_REJECT);
			emit(x, BPF_LD | BPF_IND | sz, 0, R_X, 0, (int32_t)k);
		} else {
			emit(x, BPF_LD | BPF_ABS | sz, 0, 0, 0, (int32_t)k);
		}
		ALU32_X(BPF_MOV, dst, 0);
		return;
	}

	/* Direct access: ptr = data (+ X) + k; reject unless ptr + size <= data_end. */
	if ((uint64_t)k + (uint64_t)size > PKT_OFF_MAX) {
		emit_jump(x, BPF_JMP | BPF_JA, 0, 0, 0, TARGET_REJECT);
		return;
	}
	int base = R_DATA;
	if (ind) {
		/* r1 = X, at most PKT_OFF_MAX - k - size, so the verifier knows the pointer's range. */
		ALU32_X(BPF_MOV, 1, R_X);
		emit_jump(x, BPF_JMP | BPF_JGT | BPF_K, 1, 0, (int32_t)(PKT_OFF_MAX - k - (uint32_t)size),
			  TARGET_REJECT);
		ALU64_X(BPF_ADD, 1, R_DATA);
		base = 1;
	}
	int32_t off = (int32_t)k;
	if (k > 0x7fffu - (uint32_t)size) {
		/* Beyond the 16-bit load offset: move the pointer instead. */
		if (base != 1) {
			ALU64_X(BPF_MOV, 1, base);
			base = 1;
		}
		ALU64_K(BPF_ADD, 1, k);
		off = 0;
	}
	ALU64_X(BPF_MOV, 2, base);
	ALU64_K(BPF_ADD, 2, off + size);
	emit_jump(x, BPF_JMP | BPF_JGT | BPF_X, 2, R_END, 0, TARGET_REJECT);
	LDX_MEM(sz, dst, base, off);
	if (size > 1)
		emit(x, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
}

/* An ancillary load (LD ABS at SKF_AD_OFF + n) into A, from the context's fields. */
static void emit_ancillary(struct xlate *x, size_t i, uint32_t k)
{
	uint32_t n = k - SKF_AD_OFF_U32;
	int ctx = x->type == USERBPF_PROG_TYPE_SOCKET_FILTER ? R_DATA : R_CTX_SAVED;
	int32_t off = -1;
	bool swap16 = false;
	if (x->type == USERBPF_PROG_TYPE_XDP) {
		if (n == SKF_AD_IFINDEX)
			off = offsetof(struct userbpf_xdp_md, ingress_ifindex);
		else if (n == SKF_AD_QUEUE)
			off = offsetof(struct userbpf_xdp_md, rx_queue_index);
	} else {
		switch (n) {
		case SKF_AD_PROTOCOL:
			off = offsetof(struct userbpf_sk_buff, protocol), swap16 = true;
			break;
		case SKF_AD_PKTTYPE:
			off = offsetof(struct userbpf_sk_buff, pkt_type);
			break;
		case SKF_AD_IFINDEX:
			off = offsetof(struct userbpf_sk_buff, ifindex);
			break;
		case SKF_AD_MARK:
			off = offsetof(struct userbpf_sk_buff, mark);
			break;
		case SKF_AD_QUEUE:
			off = offsetof(struct userbpf_sk_buff, queue_mapping);
			break;
		case SKF_AD_RXHASH:
			off = offsetof(struct userbpf_sk_buff, hash);
			break;
		case SKF_AD_VLAN_TAG:
			off = offsetof(struct userbpf_sk_buff, vlan_tci);
			break;
		case SKF_AD_VLAN_TAG_PRESENT:
			off = offsetof(struct userbpf_sk_buff, vlan_present);
			break;
		case SKF_AD_VLAN_TPID:
			off = offsetof(struct userbpf_sk_buff, vlan_proto), swap16 = true;
			break;
		}
	}
	if (off < 0) {
		fail(x, -EINVAL, i, "ancillary load SKF_AD_OFF+%u is not supported for %s", n, type_label(x->type));
		return;
	}
	LDX_MEM(BPF_W, R_A, ctx, off);
	if (swap16)
		emit(x, BPF_ALU | BPF_END | BPF_TO_BE, R_A, 0, 0, 16);
}

static void emit_len(struct xlate *x, int dst)
{
	switch (x->type) {
	case USERBPF_PROG_TYPE_XDP:
		ALU64_X(BPF_MOV, dst, R_END);
		ALU64_X(BPF_SUB, dst, R_DATA);
		ALU32_X(BPF_MOV, dst, dst);
		break;
	case USERBPF_PROG_TYPE_SCHED_CLS:
		LDX_MEM(BPF_W, dst, R_CTX_SAVED, offsetof(struct userbpf_sk_buff, wire_len));
		break;
	default:
		LDX_MEM(BPF_W, dst, R_DATA, offsetof(struct userbpf_sk_buff, len));
		break;
	}
}

/* r0 = the verdict for "classic returned non-zero" or "returned zero", then exit. */
static void emit_verdict(struct xlate *x, bool accept)
{
	int32_t v;
	if (x->type == USERBPF_PROG_TYPE_XDP)
		v = accept ? XDP_PASS : XDP_DROP;
	else
		v = accept ? TC_ACT_OK : TC_ACT_SHOT;
	ALU32_K(BPF_MOV, 0, v);
	EXIT();
}

static void emit_ret(struct xlate *x, const struct userbpf_cbpf_insn *ci)
{
	bool is_a = CBPF_RVAL(ci->code) == CBPF_RVAL_A;
	if (x->type == USERBPF_PROG_TYPE_SOCKET_FILTER) {
		if (is_a)
			ALU32_X(BPF_MOV, 0, R_A);
		else
			ALU32_K(BPF_MOV, 0, ci->k);
		EXIT();
		return;
	}
	if (!is_a) {
		emit_verdict(x, ci->k != 0);
		return;
	}
	int32_t pass = x->type == USERBPF_PROG_TYPE_XDP ? XDP_PASS : TC_ACT_OK;
	int32_t drop = x->type == USERBPF_PROG_TYPE_XDP ? XDP_DROP : TC_ACT_SHOT;
	ALU32_K(BPF_MOV, 0, pass);
	emit(x, BPF_JMP32 | BPF_JNE | BPF_K, R_A, 0, 1, 0);
	ALU32_K(BPF_MOV, 0, drop);
	EXIT();
}

static void emit_cond_jump(struct xlate *x, size_t i, const struct userbpf_cbpf_insn *ci)
{
	uint32_t t = (uint32_t)(i + 1 + ci->jt), f = (uint32_t)(i + 1 + ci->jf);
	bool src_x = BPF_SRC(ci->code) == BPF_X;
	uint8_t op = BPF_OP(ci->code);
	uint8_t srcf = src_x ? BPF_X : BPF_K;
	uint8_t sreg = src_x ? R_X : 0;
	int32_t imm = src_x ? 0 : (int32_t)ci->k;
	if (ci->jt == ci->jf) {
		if (ci->jt)
			emit_jump(x, BPF_JMP | BPF_JA, 0, 0, 0, t);
		return;
	}
	if (ci->jt == 0 && op != BPF_JSET) {
		/* Only the false edge leaves: jump on the opposite condition. */
		uint8_t inv = op == BPF_JEQ ? BPF_JNE : op == BPF_JGT ? BPF_JLE : BPF_JLT;
		emit_jump(x, BPF_JMP32 | inv | srcf, R_A, sreg, imm, f);
		return;
	}
	if (ci->jt == 0) {
		/* jset without an inverse: skip the jump to the false target when bits are set. */
		emit(x, BPF_JMP32 | BPF_JSET | srcf, R_A, sreg, 1, imm);
		emit_jump(x, BPF_JMP | BPF_JA, 0, 0, 0, f);
		return;
	}
	emit_jump(x, BPF_JMP32 | op | srcf, R_A, sreg, imm, t);
	if (ci->jf)
		emit_jump(x, BPF_JMP | BPF_JA, 0, 0, 0, f);
}

static void emit_alu(struct xlate *x, const struct userbpf_cbpf_insn *ci)
{
	uint8_t op = BPF_OP(ci->code);
	bool src_x = BPF_SRC(ci->code) == BPF_X;
	if (op == BPF_NEG) {
		emit(x, BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
		return;
	}
	if (!src_x) {
		ALU32_K(op, R_A, ci->k);
		return;
	}
	switch (op) {
	case BPF_DIV:
	case BPF_MOD:
		/* Classic: dividing by X == 0 ends the program returning 0. */
		emit_jump(x, BPF_JMP32 | BPF_JEQ | BPF_K, R_X, 0, 0, TARGET_REJECT);
		ALU32_X(op, R_A, R_X);
		break;
	case BPF_LSH:
	case BPF_RSH:
		/* libpcap: a shift by X >= 32 gives 0 (eBPF would mask the count). */
		emit(x, BPF_JMP32 | BPF_JGT | BPF_K, R_X, 0, 2, 31);
		ALU32_X(op, R_A, R_X);
		emit(x, BPF_JMP | BPF_JA, 0, 0, 1, 0);
		ALU32_K(BPF_MOV, R_A, 0);
		break;
	default:
		ALU32_X(op, R_A, R_X);
	}
}

static void translate_one(struct xlate *x, size_t i)
{
	const struct userbpf_cbpf_insn *ci = &x->in[i];
	uint16_t code = ci->code;
	switch (BPF_CLASS(code)) {
	case BPF_LD:
		switch (BPF_MODE(code)) {
		case BPF_IMM:
			ALU32_K(BPF_MOV, R_A, ci->k);
			return;
		case BPF_MEM:
			LDX_MEM(BPF_W, R_A, 10, SCRATCH_OFF(ci->k));
			return;
		case CBPF_LEN:
			emit_len(x, R_A);
			return;
		case BPF_ABS:
			if (ci->k >= SKF_AD_OFF_U32) {
				emit_ancillary(x, i, ci->k);
				return;
			}
			if (ci->k >= 0x80000000u) {
				fail(x, -EINVAL, i, "negative offset (SKF_NET_OFF/SKF_LL_OFF) is not supported");
				return;
			}
			emit_pkt_load(x, R_A, false, ci->k, size_bytes(code));
			return;
		case BPF_IND:
			emit_pkt_load(x, R_A, true, ci->k, size_bytes(code));
			return;
		}
		break;
	case BPF_LDX:
		switch (BPF_MODE(code)) {
		case BPF_IMM:
			ALU32_K(BPF_MOV, R_X, ci->k);
			return;
		case BPF_MEM:
			LDX_MEM(BPF_W, R_X, 10, SCRATCH_OFF(ci->k));
			return;
		case CBPF_LEN:
			emit_len(x, R_X);
			return;
		case CBPF_MSH:
			/* X = 4 * (P[k] & 0xf): the IPv4 header length. */
			if (ci->k >= 0x80000000u) {
				fail(x, -EINVAL, i, "negative offset (SKF_NET_OFF/SKF_LL_OFF) is not supported");
				return;
			}
			emit_pkt_load(x, R_X, false, ci->k, 1);
			ALU32_K(BPF_AND, R_X, 0xf);
			ALU32_K(BPF_LSH, R_X, 2);
			return;
		}
		break;
	case BPF_ST:
	case BPF_STX:
		emit(x, BPF_STX | BPF_MEM | BPF_W, 10, BPF_CLASS(code) == BPF_ST ? R_A : R_X, SCRATCH_OFF(ci->k), 0);
		return;
	case BPF_ALU:
		emit_alu(x, ci);
		return;
	case BPF_JMP:
		if (code == (BPF_JMP | BPF_JA)) {
			if (ci->k)
				emit_jump(x, BPF_JMP | BPF_JA, 0, 0, 0, (uint32_t)(i + 1 + ci->k));
			return;
		}
		emit_cond_jump(x, i, ci);
		return;
	case CBPF_RET:
		emit_ret(x, ci);
		return;
	case CBPF_MISC:
		if (code == (CBPF_MISC | CBPF_TAX))
			ALU32_X(BPF_MOV, R_X, R_A);
		else
			ALU32_X(BPF_MOV, R_A, R_X);
		return;
	}
	fail(x, -EINVAL, i, "cannot translate this instruction");
}

static bool uses_ctx(const struct xlate *x)
{
	for (size_t i = 0; i < x->cnt; i++) {
		uint16_t c = x->in[i].code;
		if (BPF_MODE(c) == CBPF_LEN && (BPF_CLASS(c) == BPF_LD || BPF_CLASS(c) == BPF_LDX))
			return true;
		if (c == (BPF_LD | BPF_W | BPF_ABS) || c == (BPF_LD | BPF_H | BPF_ABS) ||
		    c == (BPF_LD | BPF_B | BPF_ABS))
			if (x->in[i].k >= SKF_AD_OFF_U32)
				return true;
	}
	return false;
}

int userbpf_cbpf_translate(const struct userbpf_cbpf_insn *insns, size_t cnt, const struct userbpf_cbpf_opts *opts,
			   struct userbpf_insn **out, size_t *out_cnt)
{
	if (!insns || !out || !out_cnt || (opts && opts->sz < sizeof(size_t)))
		return -EINVAL;
	struct xlate xs = {.in = insns, .cnt = cnt, .type = USERBPF_PROG_TYPE_XDP};
	struct xlate *x = &xs;
	if (opts) {
		size_t sz = opts->sz < sizeof(*opts) ? opts->sz : sizeof(*opts);
		struct userbpf_cbpf_opts o = {0};
		memcpy(&o, opts, sz);
		if (o.prog_type)
			x->type = o.prog_type;
		x->err_buf = o.err_buf;
		x->err_size = o.err_size;
		if (x->err_buf && x->err_size)
			x->err_buf[0] = 0;
	}
	if (x->type != USERBPF_PROG_TYPE_XDP && x->type != USERBPF_PROG_TYPE_SCHED_CLS &&
	    x->type != USERBPF_PROG_TYPE_SOCKET_FILTER) {
		fail(x, -EINVAL, SIZE_MAX, "program type %u: classic BPF translates to xdp, tc or socket filter",
		     x->type);
		return x->err;
	}
	bool *reach = cnt && cnt <= USERBPF_CBPF_MAXINSNS ? calloc(cnt, sizeof(*reach)) : NULL;
	x->start = cnt && cnt <= USERBPF_CBPF_MAXINSNS ? calloc(cnt, sizeof(*x->start)) : NULL;
	if (cnt && cnt <= USERBPF_CBPF_MAXINSNS && (!reach || !x->start)) {
		fail(x, -ENOMEM, SIZE_MAX, "out of memory");
		goto out;
	}
	if (check_program(x, reach))
		goto out;

	/* Prologue: A = X = 0; the packet pointers (or the context for the legacy loads). */
	if (x->type == USERBPF_PROG_TYPE_SOCKET_FILTER) {
		ALU64_X(BPF_MOV, R_DATA, 1);
	} else {
		int32_t doff = x->type == USERBPF_PROG_TYPE_XDP ? (int32_t)offsetof(struct userbpf_xdp_md, data)
								 : (int32_t)offsetof(struct userbpf_sk_buff, data);
		int32_t eoff = x->type == USERBPF_PROG_TYPE_XDP
				       ? (int32_t)offsetof(struct userbpf_xdp_md, data_end)
				       : (int32_t)offsetof(struct userbpf_sk_buff, data_end);
		if (uses_ctx(x))
			ALU64_X(BPF_MOV, R_CTX_SAVED, 1);
		LDX_MEM(BPF_W, R_DATA, 1, doff);
		LDX_MEM(BPF_W, R_END, 1, eoff);
	}
	ALU32_K(BPF_MOV, R_A, 0);
	ALU32_K(BPF_MOV, R_X, 0);

	for (size_t i = 0; i < cnt && !x->err; i++) {
		x->start[i] = x->n;
		if (reach[i])
			translate_one(x, i);
	}
	size_t reject_at = x->n;
	if (x->need_reject) {
		if (x->type == USERBPF_PROG_TYPE_SOCKET_FILTER) {
			ALU32_K(BPF_MOV, 0, 0);
			EXIT();
		} else {
			emit_verdict(x, false);
		}
	}
	if (x->err)
		goto out;
	for (size_t f = 0; f < x->nfix; f++) {
		size_t to = x->fix[f].target == TARGET_REJECT ? reject_at : x->start[x->fix[f].target];
		long off = (long)to - (long)x->fix[f].at - 1;
		if (off < INT16_MIN || off > INT16_MAX) {
			fail(x, -E2BIG, SIZE_MAX, "translated program too large: a jump of %ld instructions", off);
			goto out;
		}
		x->out[x->fix[f].at].off = (int16_t)off;
	}
	*out = x->out;
	*out_cnt = x->n;
	x->out = NULL;
out:
	free(reach);
	free(x->start);
	free(x->fix);
	free(x->out);
	return x->err;
}
