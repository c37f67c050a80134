/*
 * interp_checked.c - the checked interpreter: runs any program that passed load-time validation,
 * proven safe or not, and never touches memory outside the regions the run allows.
 *
 * Every load, store and atomic is checked against: the stacks of the current and calling frames,
 * ctx/ctx_size (writable), opts->regions (writable as flagged) and the global data values the
 * program reaches with lddw src 6 (read-only for .rodata). Alignment is not required
 * (unaligned atomics are done non-atomically, which no other thread can observe on the stack and is
 * the best that can be done elsewhere). Every instruction counts against the budget; local calls
 * are limited to USERBPF_MAX_FRAMES frames. Failures end the run with -EFAULT, -ETIME or -E2BIG and
 * one line in err_buf: "insn N: <disassembly>: <what happened>".
 * Works on the validated program (insns + ops), not on the fast engine's records, except for the
 * helper index of calls, which it reads from prog->code (a call record keeps it in imm even when the
 * fast engine inlines the call).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "semantics.h"
#include "vm.h"

struct cstate {
	const struct userbpf_prog *prog;
	const struct vm_run *run;
	uint8_t *stack;
	int depth;
	const struct cstate *parent; /* the run a callback was called from: its stacks stay reachable */
};

static int fail(const struct cstate *st, size_t pc, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const struct cstate *st, size_t pc, int err, const char *fmt, ...)
{
	if (st->run->err_size) {
		char dis[128], why[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		vm_fmt_insn(st->prog->insns, st->prog->insn_cnt, pc, dis, sizeof(dis));
		snprintf(st->run->err_buf, st->run->err_size, "insn %zu: %s: %s", pc, dis, why);
	}
	return err;
}

/* Is [addr, addr + size) inside [base, base + len)? Written so nothing can overflow. */
static inline bool inside(uint64_t addr, unsigned size, uintptr_t base, size_t len)
{
	return addr >= base && len >= size && addr - base <= len - size;
}

/*
 * The host pointer for an access of `size` bytes at `addr`, or NULL. *ro is set when the bytes are
 * in a region that exists but is read-only (only looked at for writes).
 */
static void *check_mem(const struct cstate *st, uint64_t addr, unsigned size, bool write, bool *ro)
{
	/* Frame k's stack is [top - (k + 1) * 512, top - k * 512): frames 0..depth are live. */
	for (const struct cstate *s = st; s; s = s->parent) {
		uintptr_t top = (uintptr_t)s->stack + USERBPF_MAX_FRAMES * USERBPF_STACK_SIZE;
		size_t live = (size_t)(s->depth + 1) * USERBPF_STACK_SIZE;
		if (inside(addr, size, top - live, live))
			return (void *)(uintptr_t)addr;
	}
	const struct vm_run *run = st->run;
	if (run->ctx && inside(addr, size, (uintptr_t)run->ctx, run->ctx_size))
		return (void *)(uintptr_t)addr;
	for (size_t i = 0; i < run->nr_regions; i++) {
		const struct userbpf_region *r = &run->regions[i];
		if (!r->addr || !inside(addr, size, (uintptr_t)r->addr, r->size))
			continue;
		if (write && !r->writable) {
			*ro = true;
			continue;
		}
		return (void *)(uintptr_t)addr;
	}
	for (size_t i = 0; i < st->prog->nr_map_regions; i++) {
		const struct userbpf_region *r = &st->prog->map_regions[i];
		if (!inside(addr, size, (uintptr_t)r->addr, r->size))
			continue;
		if (write && !r->writable) {
			*ro = true;
			continue;
		}
		return (void *)(uintptr_t)addr;
	}
	return NULL;
}

/* An atomic operation on `size` bytes at p (checked, writable). Aligned: a real atomic; unaligned:
 * a plain read-modify-write. Returns the old value (zero-extended). */
static uint64_t do_atomic(void *p, unsigned size, int32_t op, uint64_t val, uint64_t r0)
{
	if (((uintptr_t)p & (size - 1)) == 0) {
		if (size == 4)
			return SEM_ATOMIC_RMW(uint32_t, p, op, val, r0);
		return SEM_ATOMIC_RMW(uint64_t, p, op, val, r0);
	}
	uint64_t old = 0, mask = size == 4 ? 0xffffffffu : ~(uint64_t)0, nv;
	memcpy(&old, p, size);
	switch (op & ~BPF_FETCH) {
	case BPF_ADD:
		nv = old + val;
		break;
	case BPF_OR:
		nv = old | val;
		break;
	case BPF_AND:
		nv = old & val;
		break;
	case BPF_XOR:
		nv = old ^ val;
		break;
	case BPF_XCHG & ~BPF_FETCH:
		nv = val;
		break;
	default: /* cmpxchg */
		nv = old == (r0 & mask) ? val : old;
		break;
	}
	nv &= mask;
	memcpy(p, &nv, size);
	return old;
}

struct frame {
	size_t ret;
	uint64_t saved[5];
};

int interp_run_checked(const struct userbpf_prog *prog, const struct vm_run *run, uint64_t *retval,
		       uint64_t *count)
{
	struct vm_env env = {.run = run, .checked = true};
	int err = interp_checked_exec(prog, &env, 0, NULL, retval);
	*count = env.count;
	return err;
}

int interp_checked_exec(const struct userbpf_prog *prog, struct vm_env *env, size_t start,
			const uint64_t *args, uint64_t *retval)
{
	const struct vm_run *run = env->run;
	uint8_t stack[USERBPF_MAX_FRAMES * USERBPF_STACK_SIZE] __attribute__((aligned(16)));
	struct frame frames[USERBPF_MAX_FRAMES];
	struct cstate st = {.prog = prog, .run = run, .stack = stack, .parent = env->cstate};
	const void *saved_cstate = env->cstate;
	uint64_t reg[ISA_NR_REGS] = {0};
	const struct userbpf_insn *insns = prog->insns;
	const uint16_t *ops = prog->ops;
	const uint64_t budget = run->budget;
	uint64_t n = env->count;
	uint32_t tail_calls = 0;
	size_t pc = start;
	int err = 0;

	/* Cleared so a read of never-written stack gives zeros, never host data. */
	memset(stack, 0, sizeof(stack));
	if (args)
		memcpy(&reg[1], args, 5 * sizeof(reg[0]));
	else {
		reg[1] = (uint64_t)(uintptr_t)run->ctx;
		reg[2] = run->ctx_size;
	}
	reg[10] = (uint64_t)(uintptr_t)(stack + sizeof(stack));
	env->cstate = &st;

	uint64_t fault_addr = 0;
	unsigned fault_size = 0;
	bool fault_write = false, fault_ro = false;

#define DST reg[in->dst_reg]
#define SRC reg[in->src_reg]
#define IMM in->imm
#define OFF in->off
/* Checked host pointer for `size` bytes at base + off, or to the fault report. */
#define MEM(base, size, wr)                                                                                  \
	({                                                                                                   \
		uint64_t a_ = (base) + (uint64_t)(int64_t)OFF;                                               \
		bool ro_ = false;                                                                            \
		void *p_ = check_mem(&st, a_, (size), (wr), &ro_);                                           \
		if (!p_) {                                                                                   \
			fault_addr = a_;                                                                     \
			fault_size = (size);                                                                 \
			fault_write = (wr);                                                                  \
			fault_ro = ro_;                                                                      \
			goto efault;                                                                         \
		}                                                                                            \
		p_;                                                                                          \
	})

	for (;;) {
		if (n >= budget) {
			err = fail(&st, pc, -ETIME, "instruction budget of %" PRIu64 " spent", budget);
			goto out;
		}
		n++;
		const struct userbpf_insn *in = &insns[pc];
		switch (ops[pc]) {
#define ALU_CASES(OP)                                                                                        \
	case ISA_OP_##OP##64_K: {                                                                            \
		uint64_t a = DST, b = SEM_IMM64(IMM);                                                        \
		(void)a;                                                                                     \
		DST = SEM_##OP(uint64_t, int64_t, 63, a, b);                                                 \
		break;                                                                                       \
	}                                                                                                    \
	case ISA_OP_##OP##64_X: {                                                                            \
		uint64_t a = DST, b = SRC;                                                                   \
		(void)a;                                                                                     \
		DST = SEM_##OP(uint64_t, int64_t, 63, a, b);                                                 \
		break;                                                                                       \
	}                                                                                                    \
	case ISA_OP_##OP##32_K: {                                                                            \
		uint32_t a = (uint32_t)DST, b = SEM_IMM32(IMM);                                              \
		(void)a;                                                                                     \
		DST = (uint32_t)SEM_##OP(uint32_t, int32_t, 31, a, b);                                       \
		break;                                                                                       \
	}                                                                                                    \
	case ISA_OP_##OP##32_X: {                                                                            \
		uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;                                               \
		(void)a;                                                                                     \
		DST = (uint32_t)SEM_##OP(uint32_t, int32_t, 31, a, b);                                       \
		break;                                                                                       \
	}
			SEM_ALU_OPS(ALU_CASES)
#undef ALU_CASES

		case ISA_OP_NEG64:
			DST = (uint64_t)0 - DST;
			break;
		case ISA_OP_NEG32:
			DST = (uint32_t)((uint32_t)0 - (uint32_t)DST);
			break;
#define UNARY(ID)                                                                                            \
	case ISA_OP_##ID:                                                                                    \
		DST = SEM_##ID(DST);                                                                         \
		break;
			UNARY(LE16)
			UNARY(LE32)
			UNARY(LE64)
			UNARY(BE16)
			UNARY(BE32)
			UNARY(BE64)
			UNARY(BSWAP16)
			UNARY(BSWAP32)
			UNARY(BSWAP64)
#undef UNARY
#define MOVSX(ID)                                                                                            \
	case ISA_OP_##ID:                                                                                    \
		DST = SEM_##ID(SRC);                                                                         \
		break;
			MOVSX(MOVSX8_64)
			MOVSX(MOVSX16_64)
			MOVSX(MOVSX32_64)
			MOVSX(MOVSX8_32)
			MOVSX(MOVSX16_32)
#undef MOVSX

		case ISA_OP_JA:
			pc += OFF;
			break;
		case ISA_OP_JA32:
			pc += IMM;
			break;
#define JMP_CASES(OP)                                                                                        \
	case ISA_OP_##OP##64_K:                                                                              \
		if (SEM_##OP(uint64_t, int64_t, DST, SEM_IMM64(IMM)))                                        \
			pc += OFF;                                                                           \
		break;                                                                                       \
	case ISA_OP_##OP##64_X:                                                                              \
		if (SEM_##OP(uint64_t, int64_t, DST, SRC))                                                   \
			pc += OFF;                                                                           \
		break;                                                                                       \
	case ISA_OP_##OP##32_K:                                                                              \
		if (SEM_##OP(uint32_t, int32_t, (uint32_t)DST, SEM_IMM32(IMM)))                              \
			pc += OFF;                                                                           \
		break;                                                                                       \
	case ISA_OP_##OP##32_X:                                                                              \
		if (SEM_##OP(uint32_t, int32_t, (uint32_t)DST, (uint32_t)SRC))                               \
			pc += OFF;                                                                           \
		break;
			SEM_JMP_OPS(JMP_CASES)
#undef JMP_CASES

		case ISA_OP_CALL: {
			const struct vm_helper *h = &prog->helpers[prog->code[pc].imm];
			if (h->fn == vm_helper_tail_call) {
				/* bpf_tail_call: the target runs from insn 0 on this frame, r1 kept; from a
				 * subprogram it is not supported and falls through. */
				const struct userbpf_prog *t = NULL;
				if (st.depth || env->nest)
					reg[0] = (uint64_t)(int64_t)-EOPNOTSUPP;
				else
					t = vm_tail_call_target(reg[2], reg[3], &tail_calls, false, &reg[0]);
				if (t) {
					prog = st.prog = t;
					insns = t->insns;
					ops = t->ops;
					pc = (size_t)-1; /* the pc++ below makes it 0 */
				}
				break;
			}
			const struct vm_call call = {
			    .pub = {.cookie = h->cookie, .run = run->opts, .prog = prog}, .env = env};
			env->count = n;
			reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], &call.pub);
			n = env->count;
			if (env->err) { /* a callback failed: its message is in err_buf */
				err = env->err;
				goto out;
			}
			break;
		}
		case ISA_OP_CALL_LOCAL: {
			if (st.depth == USERBPF_MAX_FRAMES - 1) {
				err =
				    fail(&st, pc, -E2BIG, "call depth exceeds %d frames", USERBPF_MAX_FRAMES);
				goto out;
			}
			struct frame *f = &frames[st.depth++];
			f->ret = pc;
			memcpy(f->saved, &reg[6], sizeof(f->saved));
			reg[10] -= USERBPF_STACK_SIZE;
			pc += IMM;
			break;
		}
		case ISA_OP_EXIT: {
			if (st.depth == 0) {
				*retval = reg[0];
				goto out;
			}
			struct frame *f = &frames[--st.depth];
			memcpy(&reg[6], f->saved, sizeof(f->saved));
			pc = f->ret;
			break;
		}

#define LDX_CASE(ID, T)                                                                                      \
	case ISA_OP_##ID:                                                                                    \
		DST = (uint64_t)(int64_t)SEM_LOAD(T, (uintptr_t)MEM(SRC, sizeof(T), false));                 \
		break;
			SEM_LDX_OPS(LDX_CASE)
#undef LDX_CASE
#define ST_CASES(ST, STX, T)                                                                                 \
	case ISA_OP_##ST:                                                                                    \
		SEM_STORE(T, (uintptr_t)MEM(DST, sizeof(T), true), (int64_t)IMM);                            \
		break;                                                                                       \
	case ISA_OP_##STX:                                                                                   \
		SEM_STORE(T, (uintptr_t)MEM(DST, sizeof(T), true), SRC);                                     \
		break;
			SEM_ST_OPS(ST_CASES)
#undef ST_CASES

#define ATOMIC_CASE(ID, T, OPIMM)                                                                            \
	case ISA_OP_##ID: {                                                                                  \
		void *ap = MEM(DST, sizeof(T), true);                                                        \
		uint64_t old = do_atomic(ap, sizeof(T), OPIMM, SRC, reg[0]);                                 \
		SEM_ATOMIC_RESULT(OPIMM, reg, in->src_reg, old);                                             \
		break;                                                                                       \
	}
			SEM_ATOMIC_OPS(ATOMIC_CASE)
#undef ATOMIC_CASE

		case ISA_OP_LDDW:
			DST = (uint64_t)(uint32_t)IMM | (uint64_t)(uint32_t)insns[pc + 1].imm << 32;
			pc++;
			break;
		case ISA_OP_LDDW_MAP_IDX:
		case ISA_OP_LDDW_MAP_IDX_VALUE: /* map pointer or value address, resolved at load */
		case ISA_OP_LDDW_CODE_ADDR:	/* function: its instruction index */
			DST = st.prog->code[pc + 1].h.u64;
			pc++;
			break;

#define LDPKT_CASE(ID, SIZE, IND)                                                                            \
	case ISA_OP_##ID: {                                                                                  \
		int64_t o = SEM_PKT_OFF(IND, SRC, IMM);                                                      \
		if (o < 0 || (uint64_t)o + (SIZE) > run->pkt_size) {                                         \
			*retval = 0;                                                                         \
			goto out;                                                                            \
		}                                                                                            \
		reg[0] = sem_load_be(run->pkt + o, SIZE);                                                    \
		break;                                                                                       \
	}
			SEM_LDPKT_OPS(LDPKT_CASE)
#undef LDPKT_CASE

		default:
			/* Unreachable for a validated program (other pseudo lddw forms are refused). */
			err = fail(&st, pc, -EINVAL, "instruction not executable");
			goto out;
		}
		pc++;
	}

efault:
	if (fault_ro)
		err = fail(&st, pc, -EFAULT, "write of %u bytes at 0x%" PRIx64 " to a read-only region",
			   fault_size, fault_addr);
	else
		err = fail(&st, pc, -EFAULT, "%s of %u bytes at 0x%" PRIx64 " is outside every region",
			   fault_write ? "write" : "read", fault_size, fault_addr);
out:
	env->count = n;
	env->cstate = saved_cstate;
	return err;
#undef DST
#undef SRC
#undef IMM
#undef OFF
#undef MEM
}
