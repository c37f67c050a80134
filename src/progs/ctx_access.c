/*
 * ctx_access.c - the load-time context-access pass (progs_ctx_prepare): a forward dataflow over every
 * function of the program that finds which registers and 8-byte stack slots hold the context
 * pointer, then checks each access through it against the type's field table (ctx_tables.c) and
 * rewrites the 4-byte loads of pointer fields into 8-byte loads of the host pointers that follow the
 * UAPI struct in the real context (progs.h).
 *
 * Abstract values: BOT (nothing known yet: unreached or uninitialised), CONST(c), FP(k) (this frame's
 * stack pointer r10 + k), CTX(k) (the context + k), SCALAR (anything that is not the context) and
 * MAYCTX (the context on some paths, something else on others). Merges of different values give
 * SCALAR, or MAYCTX when either side may be the context; the lattice is four high, so the worklist
 * over basic blocks reaches its fixed point in linear time. States are kept per basic block only, and
 * hold r0-r10 and only the stack slots an 8-byte store through r10 writes (where clang spills); a
 * spill of the context anywhere else is refused.
 * Local calls pass r1-r5 into the callee (a context-insensitive merge over call sites; the caller's
 * stack pointers become SCALAR there); callbacks (lddw src 4) start with no context.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "isa/isa.h"
#include "vm/vm.h"

enum { K_BOT, K_SCALAR, K_CONST, K_FP, K_CTX, K_MAYCTX };

typedef uint32_t aval; /* kind in bits 29..31, signed 29-bit payload below */

#define PAYLOAD_MAX ((1 << 28) - 1)
#define NSLOTS	    (USERBPF_STACK_SIZE / 8)
#define NVALS	    (11 + NSLOTS) /* the most values of a state */

static aval mk(unsigned kind, int64_t v)
{
	if (v > PAYLOAD_MAX || v < -PAYLOAD_MAX) {
		if (kind == K_CTX)
			v = PAYLOAD_MAX; /* far outside every context: refused as such */
		else
			return (aval)K_SCALAR << 29;
	}
	return (aval)kind << 29 | ((uint32_t)v & 0x1fffffff);
}

static unsigned kind(aval a)
{
	return a >> 29;
}

static int64_t pay(aval a)
{
	return (int32_t)(a << 3) >> 3;
}

#define BOT    ((aval)0)
#define SCALAR ((aval)K_SCALAR << 29)
#define MAYCTX ((aval)K_MAYCTX << 29)

static bool may_ctx(aval a)
{
	return kind(a) == K_CTX || kind(a) == K_MAYCTX;
}

static aval merge(aval a, aval b)
{
	if (a == b || b == BOT)
		return a;
	if (a == BOT)
		return b;
	return may_ctx(a) || may_ctx(b) ? MAYCTX : SCALAR;
}

struct pass {
	struct userbpf_insn *insns;
	size_t cnt;
	unsigned type, attach;
	const struct userbpf_ctx_desc *desc;
	char *log;
	size_t log_size;
	uint32_t *block_of; /* insn -> block number, UINT32_MAX when not a leader */
	uint32_t *leader;   /* block -> first insn */
	size_t nblocks;
	aval *st;		 /* nblocks * nvals entry states */
	int8_t slot_idx[NSLOTS]; /* stack slot -> index of its value in a state after r0-r10, or -1 */
	int nvals;		 /* 11 + the number of tracked slots */
	uint32_t *queue;
	uint8_t *queued;
	size_t qhead, qlen;
	bool check; /* second walk: check and rewrite */
	int err;
	char ctx_name[64];
};

static void refuse(struct pass *p, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void refuse(struct pass *p, size_t i, const char *fmt, ...)
{
	if (!p->check || p->err)
		return;
	char dis[128], why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	progs_fmt_insn(p->insns, p->cnt, i, dis, sizeof(dis));
	vm_log(p->log, p->log_size, "insn %zu: %s: %s\n", i, dis, why);
	p->err = -EACCES;
}

/* Merge `s` into the entry state of the block starting at insn `t`; queue it when it changed. */
static void flow(struct pass *p, size_t t, const aval *s)
{
	if (p->check)
		return;
	uint32_t b = p->block_of[t];
	aval *d = &p->st[(size_t)b * p->nvals];
	bool changed = false;
	for (int k = 0; k < p->nvals; k++) {
		aval m = merge(d[k], s[k]);
		if (m != d[k]) {
			d[k] = m;
			changed = true;
		}
	}
	if (changed && !p->queued[b]) {
		p->queued[b] = 1;
		p->queue[(p->qhead + p->qlen++) % p->nblocks] = b;
	}
}

static void enter_function(struct pass *p, size_t t, const aval *args /* r1..r5 */)
{
	aval s[NVALS];
	memset(s, 0, sizeof(s));
	for (int r = 1; r <= 5; r++)
		s[r] = kind(args[r - 1]) == K_FP ? SCALAR : args[r - 1];
	s[10] = mk(K_FP, 0);
	flow(p, t, s);
}

/* The stack slot an 8-byte-aligned access at FP offset a names, or -1. */
static int slot_of(int64_t a)
{
	if (a < -USERBPF_STACK_SIZE || a > -8 || a % 8)
		return -1;
	return (int)((a + USERBPF_STACK_SIZE) / 8);
}

/* Where the value of the slot at FP offset a is kept in a state, or -1 (not a tracked slot). */
static int tracked(const struct pass *p, int64_t a)
{
	int sl = slot_of(a);
	return sl < 0 || p->slot_idx[sl] < 0 ? -1 : 11 + p->slot_idx[sl];
}

/* Tracked slots overlapped by [a, a + size) become SCALAR. */
static void clobber(const struct pass *p, aval *s, int64_t a, unsigned size)
{
	for (int64_t b = a & ~(int64_t)7; b < a + (int64_t)size; b += 8) {
		int t = tracked(p, b);
		if (t >= 0)
			s[t] = SCALAR;
	}
}

static const unsigned size_bytes[4] = {4, 2, 1, 8}; /* by BPF_SIZE >> 3: W, H, B, DW */

/* An access through a context pointer CTX(k) + off: check, and rewrite a pointer-field load. */
static void ctx_access(struct pass *p, size_t i, aval base, bool write, bool sx)
{
	struct userbpf_insn *in = &p->insns[i];
	unsigned size = size_bytes[BPF_SIZE(in->code) >> 3];
	int64_t off = pay(base) + in->off;
	char why[200];
	int host;
	const char *no =
	    progs_ctx_check(p->type, p->attach, p->desc, off, size, write, sx, &host, why, sizeof(why));
	if (no) {
		refuse(p, i, "%s: %s", p->ctx_name, no);
		return;
	}
	if (host < 0 || !p->check || p->err)
		return;
	int64_t noff = (int64_t)host - pay(base);
	if (noff < INT16_MIN || noff > INT16_MAX) {
		refuse(p, i, "%s: the rewritten offset %lld does not fit", p->ctx_name, (long long)noff);
		return;
	}
	in->code = BPF_LDX | BPF_MEM | BPF_DW;
	in->off = (int16_t)noff;
}

static void alu(struct pass *p, size_t i, aval *s)
{
	const struct userbpf_insn *in = &p->insns[i];
	unsigned op = BPF_OP(in->code), d = in->dst_reg;
	bool x = BPF_SRC(in->code) == BPF_X, is64 = BPF_CLASS(in->code) == BPF_ALU64;
	aval dv = s[d], sv = x ? s[in->src_reg] : mk(K_CONST, in->imm);
	if (op == BPF_END) {
		if (may_ctx(dv))
			refuse(p, i, "byte swap of the context pointer");
		s[d] = SCALAR;
		return;
	}
	if (op == BPF_MOV) {
		if (!is64)
			s[d] = x ? SCALAR : mk(K_CONST, (uint32_t)in->imm);
		else if (x && in->off)
			s[d] = SCALAR; /* movsx */
		else
			s[d] = sv;
		return;
	}
	if (!is64) {
		if (may_ctx(dv) || (x && may_ctx(sv)))
			refuse(p, i, "32-bit arithmetic on the context pointer");
		s[d] = SCALAR;
		return;
	}
	unsigned dk = kind(dv), sk = kind(sv);
	if (op == BPF_ADD || op == BPF_SUB) {
		int64_t sign = op == BPF_ADD ? 1 : -1;
		if ((dk == K_CTX || dk == K_FP || dk == K_CONST) && sk == K_CONST) {
			s[d] = mk(dk, pay(dv) + sign * pay(sv));
			return;
		}
		if (op == BPF_ADD && dk == K_CONST && (sk == K_CTX || sk == K_FP)) {
			s[d] = mk(sk, pay(dv) + pay(sv));
			return;
		}
		if (dk == K_MAYCTX && sk == K_CONST)
			return;
		if (may_ctx(dv) || may_ctx(sv)) {
			refuse(p, i, "context pointer arithmetic with a non-constant");
			s[d] = MAYCTX;
			return;
		}
		s[d] = SCALAR;
		return;
	}
	if (may_ctx(dv) || (x && may_ctx(sv)))
		refuse(p, i, "arithmetic other than adding a constant on the context pointer");
	s[d] = SCALAR;
}

/* Run insn i on state s. Returns the number of slots it takes. */
static size_t step(struct pass *p, size_t i, aval *s)
{
	struct userbpf_insn *in = &p->insns[i];
	unsigned cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);
	unsigned size = size_bytes[BPF_SIZE(in->code) >> 3];

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		alu(p, i, s);
		return 1;
	case BPF_LD:
		if (mode == BPF_IMM) {
			s[in->dst_reg] = SCALAR;
			if (in->src_reg == BPF_PSEUDO_FUNC) {
				aval none[5] = {SCALAR, SCALAR, SCALAR, SCALAR, SCALAR};
				enter_function(p, (size_t)((int64_t)i + 1 + in->imm), none);
			}
			return 2;
		}
		/* legacy packet loads: r0 set, r1-r5 clobbered */
		s[0] = SCALAR;
		for (int r = 1; r <= 5; r++)
			s[r] = BOT;
		return 1;
	case BPF_LDX: {
		aval b = s[in->src_reg];
		aval v = SCALAR;
		if (kind(b) == K_CTX)
			ctx_access(p, i, b, false, mode == BPF_MEMSX);
		else if (kind(b) == K_MAYCTX)
			refuse(p, i, "the base register is the context on some paths and not on others");
		else if (kind(b) == K_FP && size == 8 && mode == BPF_MEM) {
			int t = tracked(p, pay(b) + in->off);
			if (t >= 0)
				v = s[t];
		}
		s[in->dst_reg] = v;
		return 1;
	}
	case BPF_ST:
	case BPF_STX: {
		aval b = s[in->dst_reg];
		bool atomic = cls == BPF_STX && mode == BPF_ATOMIC;
		aval v = cls == BPF_STX ? s[in->src_reg] : mk(K_CONST, in->imm);
		if (v == BOT)
			v = SCALAR;
		if (atomic) {
			if (may_ctx(b))
				refuse(p, i, "atomic operation on the context");
			else if (may_ctx(v))
				refuse(p, i, "atomic store of the context pointer");
			if (kind(b) == K_FP)
				clobber(p, s, pay(b) + in->off, size);
			if (in->imm == BPF_CMPXCHG)
				s[0] = SCALAR;
			else if (in->imm & BPF_FETCH)
				s[in->src_reg] = SCALAR;
			return 1;
		}
		if (kind(b) == K_CTX) {
			if (may_ctx(v))
				refuse(p, i, "storing the context pointer into the context");
			else
				ctx_access(p, i, b, true, false);
		} else if (kind(b) == K_MAYCTX) {
			refuse(p, i, "the base register is the context on some paths and not on others");
		} else if (kind(b) == K_FP) {
			int64_t a = pay(b) + in->off;
			int t = tracked(p, a);
			if (size == 8 && t >= 0)
				s[t] = v;
			else if (may_ctx(v))
				refuse(p, i,
				       "partial, out-of-frame or indirect spill of the context pointer "
				       "(spill it "
				       "with an 8-byte store through r10)");
			else
				clobber(p, s, a, size);
		} else if (may_ctx(v)) {
			refuse(p, i, "storing the context pointer outside the stack");
		}
		return 1;
	}
	default: /* BPF_JMP, BPF_JMP32 */
		break;
	}
	unsigned op = BPF_OP(in->code);
	if (op == BPF_CALL) {
		if (in->src_reg == BPF_PSEUDO_CALL) {
			enter_function(p, (size_t)((int64_t)i + 1 + in->imm), &s[1]);
		} else {
			for (int r = 2; r <= 5; r++)
				if (may_ctx(s[r])) {
					const char *n = userbpf_helper_kernel_name((uint32_t)in->imm);
					refuse(p, i,
					       "the context passed as argument %d (r%d) of %s; only r1 may "
					       "be the context",
					       r, r, n ? n : "the helper");
					break;
				}
		}
		s[0] = SCALAR;
		for (int r = 1; r <= 5; r++)
			s[r] = BOT;
	}
	return 1;
}

static bool is_jump(const struct userbpf_insn *in)
{
	unsigned cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static size_t jump_target(const struct userbpf_insn *in, size_t i)
{
	if (in->code == (BPF_JMP32 | BPF_JA))
		return (size_t)((int64_t)i + 1 + in->imm);
	return (size_t)((int64_t)i + 1 + in->off);
}

/* Walk block b from its entry state; in the fixed-point phase propagate to successors. */
static void walk_block(struct pass *p, uint32_t b)
{
	aval s[NVALS];
	memcpy(s, &p->st[(size_t)b * p->nvals], (size_t)p->nvals * sizeof(aval));
	size_t i = p->leader[b];
	for (;;) {
		const struct userbpf_insn *in = &p->insns[i];
		size_t n = step(p, i, s);
		if (p->err)
			return;
		if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_EXIT)
			return;
		if (is_jump(in)) {
			flow(p, jump_target(in, i), s);
			if (BPF_OP(in->code) == BPF_JA)
				return;
		}
		i += n;
		if (i >= p->cnt)
			return;
		if (p->block_of[i] != UINT32_MAX) {
			flow(p, i, s);
			return;
		}
	}
}

static void mark_leader(struct pass *p, size_t t)
{
	if (t < p->cnt && p->block_of[t] == UINT32_MAX)
		p->block_of[t] = 0;
}

int progs_ctx_prepare(struct userbpf_insn *insns, size_t cnt, unsigned int prog_type,
		      unsigned int expected_attach_type, const struct userbpf_ctx_desc *desc, char *log,
		      size_t log_size)
{
	if (!progs_ctx_has_table(prog_type))
		return 0;
	if (prog_type == USERBPF_PROG_TYPE_HOOK && progs_desc_check(desc, log, log_size))
		return -EINVAL;
	struct pass p = {.insns = insns,
			 .cnt = cnt,
			 .type = prog_type,
			 .attach = expected_attach_type,
			 .desc = desc,
			 .log = log,
			 .log_size = log_size};
	progs_ctx_name(prog_type, desc, p.ctx_name, sizeof(p.ctx_name));
	int err = -ENOMEM;
	p.block_of = malloc(cnt * sizeof(*p.block_of));
	if (!p.block_of)
		goto out;
	memset(p.block_of, 0xff, cnt * sizeof(*p.block_of));
	memset(p.slot_idx, 0xff, sizeof(p.slot_idx));
	p.nvals = 11;
	mark_leader(&p, 0);
	for (size_t i = 0; i < cnt; i++) {
		const struct userbpf_insn *in = &insns[i];
		/* The slots tracked: those an 8-byte store through r10 writes (how clang spills). */
		if (in->code == (BPF_STX | BPF_MEM | BPF_DW) && in->dst_reg == 10) {
			int sl = slot_of(in->off);
			if (sl >= 0 && p.slot_idx[sl] < 0)
				p.slot_idx[sl] = (int8_t)(p.nvals++ - 11);
		}
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			if (in->src_reg == BPF_PSEUDO_FUNC)
				mark_leader(&p, (size_t)((int64_t)i + 1 + in->imm));
			i++;
			continue;
		}
		if (is_jump(in)) {
			mark_leader(&p, jump_target(in, i));
			mark_leader(&p, i + 1);
		} else if (in->code == (BPF_JMP | BPF_EXIT)) {
			mark_leader(&p, i + 1);
		} else if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) {
			mark_leader(&p, (size_t)((int64_t)i + 1 + in->imm));
		}
	}
	for (size_t i = 0; i < cnt; i++)
		if (p.block_of[i] != UINT32_MAX)
			p.nblocks++;
	p.leader = malloc(p.nblocks * sizeof(*p.leader));
	p.st = calloc(p.nblocks, (size_t)p.nvals * sizeof(aval));
	p.queue = malloc(p.nblocks * sizeof(*p.queue));
	p.queued = calloc(p.nblocks, 1);
	if (!p.leader || !p.st || !p.queue || !p.queued)
		goto out;
	for (size_t i = 0, b = 0; i < cnt; i++)
		if (p.block_of[i] != UINT32_MAX) {
			p.block_of[i] = (uint32_t)b;
			p.leader[b++] = (uint32_t)i;
		}

	/* The main program: r1 is the context. */
	aval entry[NVALS];
	memset(entry, 0, sizeof(entry));
	entry[1] = mk(K_CTX, 0);
	entry[10] = mk(K_FP, 0);
	flow(&p, 0, entry);
	while (p.qlen) {
		uint32_t b = p.queue[p.qhead];
		p.qhead = (p.qhead + 1) % p.nblocks;
		p.qlen--;
		p.queued[b] = 0;
		walk_block(&p, b);
	}

	/* Check and rewrite, block by block in program order; unreached blocks are skipped. */
	p.check = true;
	for (uint32_t b = 0; b < p.nblocks && !p.err; b++)
		if (p.st[(size_t)b * p.nvals + 10] != BOT)
			walk_block(&p, b);
	err = p.err;
out:
	free(p.block_of);
	free(p.leader);
	free(p.st);
	free(p.queue);
	free(p.queued);
	return err;
}
