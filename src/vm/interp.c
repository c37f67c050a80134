/*
 * interp.c - the fast interpreter: the dispatch loop over the pre-decoded form (struct vm_insn,
 * built by prog.c). No safety checks: it runs only programs the verifier proved safe or the caller
 * marked USERBPF_PROG_F_TRUSTED. Semantics come from semantics.h, shared with the checked engine.
 *
 * Dispatch is threaded: each handler ends with its own indirect jump to the next handler
 * (`goto *pc->h.label`, GNU C computed goto), so the branch predictor learns per-handler successor
 * patterns instead of sharing one indirect jump. Build with -DUSERBPF_DISPATCH_SWITCH for a portable
 * `switch` (same handlers, written once through vmcase/vmnext).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "semantics.h"
#include "userbpf/maps.h"
#include "vm.h"

#if !defined(__GNUC__) && !defined(USERBPF_DISPATCH_SWITCH)
#define USERBPF_DISPATCH_SWITCH 1
#endif

#ifdef USERBPF_DISPATCH_SWITCH
#define vmcase(ID)   case VM_OP_##ID:
#define vmdispatch() goto dispatch
#else
#define vmcase(ID)   op_##ID:
#define vmdispatch() goto * pc->h.label
#endif
/* Next instruction. */
#define vmnext                                                                                               \
	do {                                                                                                 \
		pc++;                                                                                        \
		vmdispatch();                                                                                \
	} while (0)
/* Jump `disp` records past the next instruction. */
#define vmjump(disp)                                                                                         \
	do {                                                                                                 \
		pc += (disp) + 1;                                                                            \
		vmdispatch();                                                                                \
	} while (0)

/* A caller's state saved by a local call: where to return and its callee-saved r6-r9 and r10. */
struct frame {
	const struct vm_insn *ret;
	uint64_t saved[5];
};

static const void *const *label_table;

/*
 * The loop. Registers live in a local array indexed by the record's dst/src bytes: the array stays
 * in L1 and its address in a register, which measured faster than a switch over register numbers.
 * pc is a pointer into the records, not an index, so the handler fetch is one load.
 */
int interp_run(const struct userbpf_prog *prog, const struct vm_run *run, uint64_t *retval)
{
	if (!prog)
		return interp_exec(NULL, NULL, 0, NULL, NULL);
	struct vm_env env = {.run = run};
	return interp_exec(prog, &env, 0, NULL, retval);
}

int interp_exec(const struct userbpf_prog *prog, struct vm_env *env, size_t start, const uint64_t *args,
		uint64_t *retval)
{
#ifndef USERBPF_DISPATCH_SWITCH
	static const void *const labels[VM_NR_OPS] = {
#define X(ID, CODE, VAR, VAL, KIND, CPU, GROUP, MNEM) [VM_OP_##ID] = &&op_##ID,
#include "isa/opcodes.def"
#undef X
#define S(ID) [VM_OP_##ID] = &&op_##ID,
	    VM_SUPER_OPS(S)
#undef S
	};
	if (!prog) {
		__atomic_store_n(&label_table, labels, __ATOMIC_RELEASE);
		return 0;
	}
#else
	if (!prog)
		return 0;
#endif
	/* Each frame's 512 bytes lie below its caller's; frame 0 is at the top. Not cleared: the
	 * verifier (or the caller, for trusted programs) guarantees no read before write. */
	uint8_t stack[USERBPF_MAX_FRAMES * USERBPF_STACK_SIZE] __attribute__((aligned(16)));
	struct frame frames[USERBPF_MAX_FRAMES];
	int depth = 0;
	uint32_t tail_calls = 0;
	/* r0-r10 start defined (r1-r5 the arguments, the rest 0); the record's register bytes never
	 * name r11-r15. Stored one by one: `= {0}` became a `rep stos`, a third of an empty run. */
	uint64_t reg[16];
	const struct vm_run *run = env->run;
	const struct vm_insn *pc = prog->code + start;
	const uint8_t *pkt = run->pkt;
	size_t pkt_size = run->pkt_size;

	reg[0] = 0;
	if (args)
		memcpy(&reg[1], args, 5 * sizeof(reg[0]));
	else {
		reg[1] = (uint64_t)(uintptr_t)run->ctx;
		reg[2] = run->ctx_size;
		reg[3] = reg[4] = reg[5] = 0;
	}
	reg[6] = reg[7] = reg[8] = reg[9] = 0;
	reg[10] = (uint64_t)(uintptr_t)(stack + sizeof(stack));

#define DST reg[pc->dst]
#define SRC reg[pc->src]
#define IMM pc->imm
#define OFF pc->off

	vmdispatch();
#ifdef USERBPF_DISPATCH_SWITCH
dispatch:
	switch (pc->h.op) {
#endif

#define ALU_HANDLERS(OP)                                                                                     \
	vmcase(OP##64_K)                                                                                     \
	{                                                                                                    \
		uint64_t a = DST, b = SEM_IMM64(IMM);                                                        \
		(void)a;                                                                                     \
		DST = SEM_##OP(uint64_t, int64_t, 63, a, b);                                                 \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(OP##64_X)                                                                                     \
	{                                                                                                    \
		uint64_t a = DST, b = SRC;                                                                   \
		(void)a;                                                                                     \
		DST = SEM_##OP(uint64_t, int64_t, 63, a, b);                                                 \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(OP##32_K)                                                                                     \
	{                                                                                                    \
		uint32_t a = (uint32_t)DST, b = SEM_IMM32(IMM);                                              \
		(void)a;                                                                                     \
		DST = (uint32_t)SEM_##OP(uint32_t, int32_t, 31, a, b);                                       \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(OP##32_X)                                                                                     \
	{                                                                                                    \
		uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;                                               \
		(void)a;                                                                                     \
		DST = (uint32_t)SEM_##OP(uint32_t, int32_t, 31, a, b);                                       \
		vmnext;                                                                                      \
	}
		SEM_ALU_OPS(ALU_HANDLERS)
#undef ALU_HANDLERS

		vmcase(NEG64)
		{
			DST = (uint64_t)0 - DST;
			vmnext;
		}
		vmcase(NEG32)
		{
			DST = (uint32_t)((uint32_t)0 - (uint32_t)DST);
			vmnext;
		}

#define UNARY(ID)                                                                                            \
	vmcase(ID)                                                                                           \
	{                                                                                                    \
		DST = SEM_##ID(DST);                                                                         \
		vmnext;                                                                                      \
	}
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
	vmcase(ID)                                                                                           \
	{                                                                                                    \
		DST = SEM_##ID(SRC);                                                                         \
		vmnext;                                                                                      \
	}
		MOVSX(MOVSX8_64)
		MOVSX(MOVSX16_64)
		MOVSX(MOVSX32_64)
		MOVSX(MOVSX8_32)
		MOVSX(MOVSX16_32)
#undef MOVSX

		/* ja and ja32 both keep their displacement in imm (prog.c moves ja's off there). */
		vmcase(JA) vmcase(JA32)
		{
			vmjump(IMM);
		}

#define JMP_HANDLERS(OP)                                                                                     \
	vmcase(OP##64_K)                                                                                     \
	{                                                                                                    \
		if (SEM_##OP(uint64_t, int64_t, DST, SEM_IMM64(IMM)))                                        \
			vmjump(OFF);                                                                         \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(OP##64_X)                                                                                     \
	{                                                                                                    \
		if (SEM_##OP(uint64_t, int64_t, DST, SRC))                                                   \
			vmjump(OFF);                                                                         \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(OP##32_K)                                                                                     \
	{                                                                                                    \
		if (SEM_##OP(uint32_t, int32_t, (uint32_t)DST, SEM_IMM32(IMM)))                              \
			vmjump(OFF);                                                                         \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(OP##32_X)                                                                                     \
	{                                                                                                    \
		if (SEM_##OP(uint32_t, int32_t, (uint32_t)DST, (uint32_t)SRC))                               \
			vmjump(OFF);                                                                         \
		vmnext;                                                                                      \
	}
		SEM_JMP_OPS(JMP_HANDLERS)
#undef JMP_HANDLERS

		vmcase(CALL)
		{
			/* imm was turned into an index of the helpers resolved at load time. */
			const struct vm_helper *h = &prog->helpers[IMM];
			const struct vm_call call = {
			    .pub = {.cookie = h->cookie, .run = run->opts, .prog = prog}, .env = env};
			reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], &call.pub);
			vmnext;
		}
		vmcase(ARRAY_LOOKUP)
		{
			/* bpf_map_lookup_elem on an array map fixed at load (prog.c): the value's address,
			 * or NULL past the end, as array_lookup computes it, without the call. */
			const struct vm_inline_array *a = &prog->inline_arrays[OFF];
			uint32_t idx;
			memcpy(&idx, (const void *)(uintptr_t)reg[2], sizeof(idx));
			reg[0] = idx < a->max_entries ? (uint64_t)(uintptr_t)(a->base + (size_t)idx * a->stride) : 0;
			vmnext;
		}
		vmcase(PCPU_ARRAY_LOOKUP)
		{
			/* The same on a percpu_array: the slot of this thread, as percpu_array_lookup picks
			 * it (userbpf_this_cpu() modulo the map's slots). */
			const struct vm_inline_array *a = &prog->inline_arrays[OFF];
			uint32_t idx;
			memcpy(&idx, (const void *)(uintptr_t)reg[2], sizeof(idx));
			if (idx < a->max_entries) {
				unsigned int cpu = userbpf_this_cpu();
				if (cpu >= a->nr_cpus)
					cpu %= a->nr_cpus;
				reg[0] = (uint64_t)(uintptr_t)(a->base +
								((size_t)cpu * a->max_entries + idx) * a->stride);
			} else
				reg[0] = 0;
			vmnext;
		}
		vmcase(TAIL_CALL)
		{
			/* bpf_tail_call: run the target from its first instruction on this frame, r1 kept.
			 * From a subprogram it is not supported and falls through. */
			const struct userbpf_prog *t = NULL;
			if (depth || env->nest)
				reg[0] = (uint64_t)(int64_t)-EOPNOTSUPP;
			else
				t = vm_tail_call_target(reg[2], reg[3], &tail_calls, true, &reg[0]);
			if (!t)
				vmnext;
			prog = t;
			pc = t->code;
			vmdispatch();
		}
		vmcase(CALL_LOCAL)
		{
			/* Kept even on the fast path: a C-level overflow of frames[] must not depend on the
			 * caller's promise, and calls are rare enough for one compare not to matter. */
			if (depth == USERBPF_MAX_FRAMES - 1)
				return -E2BIG;
			struct frame *f = &frames[depth++];
			f->ret = pc;
			memcpy(f->saved, &reg[6], sizeof(f->saved));
			reg[10] -= USERBPF_STACK_SIZE;
			vmjump(IMM);
		}
		vmcase(EXIT)
		{
			if (depth == 0) {
				*retval = reg[0];
				return env->err;
			}
			struct frame *f = &frames[--depth];
			memcpy(&reg[6], f->saved, sizeof(f->saved));
			pc = f->ret;
			vmnext;
		}

#define LDX_HANDLER(ID, T)                                                                                   \
	vmcase(ID)                                                                                           \
	{                                                                                                    \
		DST = (uint64_t)(int64_t)SEM_LOAD(T, SRC + (uint64_t)(int64_t)OFF);                          \
		vmnext;                                                                                      \
	}
		SEM_LDX_OPS(LDX_HANDLER)
#undef LDX_HANDLER
#define ST_HANDLERS(ST, STX, T)                                                                              \
	vmcase(ST)                                                                                           \
	{                                                                                                    \
		SEM_STORE(T, DST + (uint64_t)(int64_t)OFF, (int64_t)IMM);                                    \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(STX)                                                                                          \
	{                                                                                                    \
		SEM_STORE(T, DST + (uint64_t)(int64_t)OFF, SRC);                                             \
		vmnext;                                                                                      \
	}
		SEM_ST_OPS(ST_HANDLERS)
#undef ST_HANDLERS

#define ATOMIC_HANDLER(ID, T, OPIMM)                                                                         \
	vmcase(ID)                                                                                           \
	{                                                                                                    \
		void *p_ = (void *)(uintptr_t)(DST + (uint64_t)(int64_t)OFF);                                \
		uint64_t old = SEM_ATOMIC_RMW(T, p_, OPIMM, SRC, reg[0]);                                    \
		SEM_ATOMIC_RESULT(OPIMM, reg, pc->src, old);                                                 \
		vmnext;                                                                                      \
	}
		SEM_ATOMIC_OPS(ATOMIC_HANDLER)
#undef ATOMIC_HANDLER

		/* Map forms (src 5/6) carry the map pointer or value address resolved at load in the second
		 * record, a function address (src 4) its instruction index; the other pseudo forms are
		 * refused at load and share the handler to fill the table.
		 */
		vmcase(LDDW) vmcase(LDDW_MAP_FD) vmcase(LDDW_MAP_VALUE) vmcase(LDDW_VAR_ADDR)
		    vmcase(LDDW_CODE_ADDR) vmcase(LDDW_MAP_IDX) vmcase(LDDW_MAP_IDX_VALUE)
		{
			DST = pc[1].h.u64;
			pc++;
			vmnext;
		}

		/* Kernel semantics: an out-of-bounds packet load ends the program with r0 = 0. */
#define LDPKT_HANDLER(ID, SIZE, IND)                                                                         \
	vmcase(ID)                                                                                           \
	{                                                                                                    \
		int64_t o = SEM_PKT_OFF(IND, SRC, IMM);                                                      \
		if (o < 0 || (uint64_t)o + (SIZE) > pkt_size) {                                              \
			*retval = 0;                                                                         \
			return env->err;                                                                     \
		}                                                                                            \
		reg[0] = sem_load_be(pkt + o, SIZE);                                                         \
		vmnext;                                                                                      \
	}
		SEM_LDPKT_OPS(LDPKT_HANDLER)
#undef LDPKT_HANDLER

		/*
		 * Superinstructions, chosen by prog.c's peephole pass: one dispatch for a whole clang idiom,
		 * because on every machine measured the indirect jump and the register-file round trips of a
		 * dispatch cost more than the work of these instructions. The records of the instructions a
		 * superinstruction covers stay intact, so a jump into the middle runs them one by one.
		 * Measured with make bench (min of 3 rounds, USERBPF_NOFUSE=1 for the baseline, a loaded
		 * 2-core 1.4 GHz VM): interp/native went bytecopy 503 -> 221, strmatch 21.8 -> 16.1,
		 * sieve 26.5 -> 20.5, fnv1a 5.4 -> 4.1, tokenize 11.4 -> 10.7. Tried and dropped: a
		 * branch-free select for "if (cond) goto +1; alu" (cmov instead of a branch): no gain
		 * measurable above this machine's noise on ilog2 (random bit lengths), so not worth 40
		 * handlers.
		 */
		vmcase(MOV_ADD_X)
		{
			DST = SRC + reg[pc[1].src];
			pc += 2;
			vmdispatch();
		}
#define MOV_ADD_LDX(MEM, T)                                                                                  \
	vmcase(MOV_ADD_X_##MEM)                                                                              \
	{                                                                                                    \
		uint64_t a = SRC + reg[pc[1].src];                                                           \
		DST = a;                                                                                     \
		reg[pc[2].dst] = SEM_LOAD(T, a + (uint64_t)(int64_t)pc[2].off);                              \
		pc += 3;                                                                                     \
		vmdispatch();                                                                                \
	}
		MOV_ADD_LDX(LDXB, uint8_t)
		MOV_ADD_LDX(LDXH, uint16_t)
		MOV_ADD_LDX(LDXW, uint32_t)
		MOV_ADD_LDX(LDXDW, uint64_t)
#undef MOV_ADD_LDX
#define MOV_ADD_LDX_STX(MEM, T)                                                                              \
	vmcase(MOV_ADD_X_##MEM)                                                                              \
	{                                                                                                    \
		uint64_t a = SRC + reg[pc[1].src];                                                           \
		DST = a;                                                                                     \
		uint64_t v = SEM_LOAD(T, a + (uint64_t)(int64_t)pc[2].off);                                  \
		reg[pc[2].dst] = v;                                                                          \
		SEM_STORE(T, reg[pc[3].dst] + (uint64_t)(int64_t)pc[3].off, v);                              \
		pc += 4;                                                                                     \
		vmdispatch();                                                                                \
	}
		MOV_ADD_LDX_STX(LDXB_STXB, uint8_t)
		MOV_ADD_LDX_STX(LDXH_STXH, uint16_t)
		MOV_ADD_LDX_STX(LDXW_STXW, uint32_t)
		MOV_ADD_LDX_STX(LDXDW_STXDW, uint64_t)
#undef MOV_ADD_LDX_STX
#define MOV_ADD_ST(ST, STX, T)                                                                               \
	vmcase(MOV_ADD_X_##ST)                                                                               \
	{                                                                                                    \
		uint64_t a = SRC + reg[pc[1].src];                                                           \
		DST = a;                                                                                     \
		SEM_STORE(T, a + (uint64_t)(int64_t)pc[2].off, (int64_t)pc[2].imm);                          \
		pc += 3;                                                                                     \
		vmdispatch();                                                                                \
	}                                                                                                    \
	vmcase(MOV_ADD_X_##STX)                                                                              \
	{                                                                                                    \
		uint64_t a = SRC + reg[pc[1].src];                                                           \
		DST = a;                                                                                     \
		SEM_STORE(T, a + (uint64_t)(int64_t)pc[2].off, reg[pc[2].src]);                              \
		pc += 3;                                                                                     \
		vmdispatch();                                                                                \
	}
		SEM_ST_OPS(MOV_ADD_ST)
#undef MOV_ADD_ST
#define ADD_JMP(OP, KX, ADDEND, CMP)                                                                         \
	vmcase(ADD_##KX##_##OP##64_K)                                                                        \
	{                                                                                                    \
		DST += ADDEND;                                                                               \
		pc++;                                                                                        \
		if (SEM_##OP(uint64_t, int64_t, DST, SEM_IMM64(IMM)))                                        \
			vmjump(OFF);                                                                         \
		vmnext;                                                                                      \
	}                                                                                                    \
	vmcase(ADD_##KX##_##OP##64_X)                                                                        \
	{                                                                                                    \
		DST += ADDEND;                                                                               \
		pc++;                                                                                        \
		if (SEM_##OP(uint64_t, int64_t, DST, SRC))                                                   \
			vmjump(OFF);                                                                         \
		vmnext;                                                                                      \
	}
#define ADD_K_JMP(OP) ADD_JMP(OP, K, SEM_IMM64(IMM), )
#define ADD_X_JMP(OP) ADD_JMP(OP, X, SRC, )
		SEM_JMP_OPS(ADD_K_JMP)
		SEM_JMP_OPS(ADD_X_JMP)
#undef ADD_K_JMP
#undef ADD_X_JMP
#undef ADD_JMP

#ifdef USERBPF_DISPATCH_SWITCH
	default:
		__builtin_unreachable();
	}
#endif
#undef DST
#undef SRC
#undef IMM
#undef OFF
}

const void *const *interp_labels(void)
{
	if (!__atomic_load_n(&label_table, __ATOMIC_ACQUIRE))
		interp_run(NULL, NULL, NULL);
	return __atomic_load_n(&label_table, __ATOMIC_ACQUIRE);
}
