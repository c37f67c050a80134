/*
 * vm.h - internals of a loaded program: struct userbpf_prog, the pre-decoded form the fast
 * interpreter runs, and the internal entry points of the vm/ files (prog.c, interp.c,
 * interp_checked.c), of the validator (isa/validate.c) and of the helper registry
 * (helpers/registry.c). Not installed; depends on isa.h and libc only.
 */
#ifndef USERBPF_VM_H
#define USERBPF_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"
#include "userbpf/userbpf.h"

/*
 * Superinstructions: fused or specialised handlers the pre-decoder substitutes for some forms.
 * Each is listed once here; the fast interpreter has a handler op_<ID> for each, and the pre-decoder
 * in prog.c decides when to use them. VM_OP_<form> == ISA_OP_<form> for the plain forms.
 */
#define VM_SUPER_OPS(S)                                                                                      \
	S(MOV_ADD_X) /* rA = rB; rA += rC                 (clang's address computation) */                   \
	S(TAIL_CALL) /* call 12 (bpf_tail_call) when the registered helper is userbpf's */                   \
	S(ARRAY_LOOKUP) /* call 1 (map_lookup_elem) on an array map fixed by an lddw in the same block */    \
	S(PCPU_ARRAY_LOOKUP) /* the same on a percpu_array: the running thread's slot */                     \
	VM_SUPER_MEM(S, LDXB)                                                                                \
	VM_SUPER_MEM(S, LDXH)                                                                                \
	VM_SUPER_MEM(S, LDXW)                                                                                \
	VM_SUPER_MEM(S, LDXDW)                                                                               \
	VM_SUPER_MEM(S, STB)                                                                                 \
	VM_SUPER_MEM(S, STH)                                                                                 \
	VM_SUPER_MEM(S, STW)                                                                                 \
	VM_SUPER_MEM(S, STDW)                                                                                \
	VM_SUPER_MEM(S, STXB)                                                                                \
	VM_SUPER_MEM(S, STXH)                                                                                \
	VM_SUPER_MEM(S, STXW)                                                                                \
	VM_SUPER_MEM(S, STXDW)                                                                               \
	VM_SUPER_MEM(S, LDXB_STXB)                                                                           \
	VM_SUPER_MEM(S, LDXH_STXH)                                                                           \
	VM_SUPER_MEM(S, LDXW_STXW)                                                                           \
	VM_SUPER_MEM(S, LDXDW_STXDW)                                                                         \
	VM_SUPER_JMP(S, JEQ)                                                                                 \
	VM_SUPER_JMP(S, JGT)                                                                                 \
	VM_SUPER_JMP(S, JGE)                                                                                 \
	VM_SUPER_JMP(S, JSET)                                                                                \
	VM_SUPER_JMP(S, JNE)                                                                                 \
	VM_SUPER_JMP(S, JSGT)                                                                                \
	VM_SUPER_JMP(S, JSGE)                                                                                \
	VM_SUPER_JMP(S, JLT)                                                                                 \
	VM_SUPER_JMP(S, JLE)                                                                                 \
	VM_SUPER_JMP(S, JSLT)                                                                                \
	VM_SUPER_JMP(S, JSLE)
/* rA = rB; rA += rC; then a load or store through rA (rX = *(u8 *)(rA + off), *(u8 *)(rA + off) = ...),
 * or a load through rA whose value is stored at once (*(u8 *)(rD + off2) = rX: a copy loop) */
#define VM_SUPER_MEM(S, MEM) S(MOV_ADD_X_##MEM)
/* rA += imm or rB; then a 64-bit conditional jump (loop counters) */
#define VM_SUPER_JMP(S, OP) S(ADD_K_##OP##64_K) S(ADD_K_##OP##64_X) S(ADD_X_##OP##64_K) S(ADD_X_##OP##64_X)

enum vm_op {
#define X(ID, CODE, VAR, VAL, KIND, CPU, GROUP, MNEM) VM_OP_##ID,
#include "isa/opcodes.def"
#undef X
#define S(ID) VM_OP_##ID,
	VM_SUPER_OPS(S)
#undef S
	    VM_NR_OPS
};

/*
 * One pre-decoded instruction: 16 bytes, so four fit a cache line and indexing is a shift.
 * `h` is the handler: the label address under computed goto, the vm_op under switch dispatch.
 * Jumps keep their displacement (the target is pc + 1 + off, or pc + 1 + imm for ja/ja32, already
 * validated), helper calls hold an index into prog->helpers in imm, and the second slot of an lddw
 * holds the whole 64-bit constant in `u64`.
 */
struct vm_insn {
	union {
		const void *label;
		uintptr_t op;
		uint64_t u64;
	} h;
	uint8_t dst;
	uint8_t src;
	int16_t off;
	int32_t imm;
};

/* An array map whose lookups are inlined (VM_OP_ARRAY_LOOKUP, VM_OP_PCPU_ARRAY_LOOKUP): its values,
 * their spacing, its size, and for a percpu_array its number of slots (0 for an array). */
struct vm_inline_array {
	char *base;
	uint32_t stride;
	uint32_t max_entries;
	uint32_t nr_cpus;
};

/* A helper call resolved at load time. */
struct vm_helper {
	userbpf_helper_fn fn;
	void *cookie;
	uint32_t id;
};

struct userbpf_prog {
	struct userbpf_insn *insns; /* copy of the program */
	size_t insn_cnt;
	uint16_t *ops;		   /* enum isa_op per slot; ISA_NR_OPS on the second slot of an lddw */
	struct vm_insn *code;	   /* pre-decoded form for the fast interpreter (insn_cnt + 1 records) */
	struct vm_helper *helpers; /* resolved helpers, indexed by the imm of pre-decoded calls */
	uint32_t nr_helpers;
	unsigned int flags; /* USERBPF_PROG_F_* */
	unsigned int cpu_version;
	bool has_local_calls;
	bool proven;		   /* set by the verifier (later): safe for the fast interpreter */
	struct userbpf_map **maps; /* maps referenced by lddw src 5/6, one reference each */
	uint32_t nr_maps;
	struct userbpf_region *map_regions; /* values reached by lddw src 6: checked-engine regions */
	uint32_t nr_map_regions;
	struct vm_inline_array *inline_arrays; /* ARRAY_LOOKUP records: imm indexes this */
	uint32_t nr_inline_arrays;
	uint32_t *func_targets; /* instruction indexes named by lddw src 4 (callbacks), sorted */
	uint32_t nr_func_targets;
	uint32_t id;		/* unique, never reused (prog_ids.c); 0 until registered */
	uint32_t refcnt;	/* the host's handle + prog_array slots; under prog_ids.c's lock */
	unsigned int prog_type; /* userbpf_prog_opts.prog_type (0: none) */
	char *hook_name;	/* USERBPF_PROG_TYPE_HOOK: the context description's name and size */
	uint32_t hook_size;
};

/* ---- opts access (libbpf style): fields past opts->sz read as their default ---------------------- */

#define VM_OPTS_HAS(opts, field)                                                                             \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field))
#define VM_OPTS_GET(opts, field, def) (VM_OPTS_HAS(opts, field) ? (opts)->field : (def))
#define VM_OPTS_SET(opts, field, val)                                                                        \
	do {                                                                                                 \
		if (VM_OPTS_HAS(opts, field))                                                                \
			(opts)->field = (val);                                                               \
	} while (0)

/* True when an opts struct of `sz` bytes is acceptable for a struct of `known` bytes: it holds at
 * least `sz` itself, and any bytes past what this library knows are zero. */
USERBPF_HIDDEN bool vm_opts_valid(const void *opts, size_t sz, size_t known);

/* ---- prog.c ------------------------------------------------------------------------------------- */

/* Append formatted text to a NUL-terminated log buffer (truncating; NULL or 0-size: nothing). */
USERBPF_HIDDEN void vm_log(char *log, size_t log_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One-line text of instruction `idx` (C syntax), for logs and run errors. */
USERBPF_HIDDEN void vm_fmt_insn(const struct userbpf_insn *insns, size_t cnt, size_t idx, char *buf,
				size_t size);

/* A run's options, read once from the caller's (possibly shorter) userbpf_run_opts. */
struct vm_run {
	struct userbpf_run_opts *opts; /* handed to helpers in struct userbpf_call */
	void *ctx;
	size_t ctx_size;
	const uint8_t *pkt; /* LD_ABS/LD_IND data: opts->packet, else ctx */
	size_t pkt_size;
	const struct userbpf_region *regions;
	size_t nr_regions;
	uint64_t budget;
	char *err_buf;
	size_t err_size;
};

/* ---- prog_ids.c ------------------------------------------------------------------------------- */

/* Give a loaded program its id and first reference, and make prog_array ids resolve. 0 or -errno. */
USERBPF_HIDDEN int vm_prog_register(struct userbpf_prog *prog);
/* Drop a reference; the last one frees the program (vm_prog_destroy). */
USERBPF_HIDDEN void vm_prog_put(struct userbpf_prog *prog);
/* Free a program's memory (prog.c). */
USERBPF_HIDDEN void vm_prog_destroy(struct userbpf_prog *prog);

/* Most tail calls in one run (the kernel's MAX_TAIL_CALL_CNT). */
#define VM_MAX_TAIL_CALLS 33
/* The bpf_tail_call helper as registered: calls to it become tail calls in both engines. */
USERBPF_HIDDEN uint64_t vm_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
					    const struct userbpf_call *call);
/*
 * The program a tail call from `cur` (r2 = prog_array, r3 = index) jumps to, or NULL to fall through
 * with *r0 set to the error. Counts the call in *cnt as the kernel does (an index in range counts,
 * even for an empty slot). `fast`: the target must be allowed on the fast engine.
 */
USERBPF_HIDDEN const struct userbpf_prog *vm_tail_call_target(uint64_t r2, uint64_t r3, uint32_t *cnt,
							      bool fast, uint64_t *r0);

/*
 * One run's engine state that helpers calling back into BPF need (bpf_loop): the engines hand
 * helpers a struct vm_call whose first member is the public struct userbpf_call.
 */
struct vm_env {
	const struct vm_run *run;
	bool checked;
	int nest;	    /* callbacks running inside helpers */
	int err;	    /* set by a failed callback: the whole run ends with it */
	uint64_t count;	    /* checked engine: instructions executed so far, across callbacks */
	const void *cstate; /* checked engine: the innermost running frame state */
};
struct vm_call {
	struct userbpf_call pub;
	struct vm_env *env;
};
/* Most callbacks nested inside each other (each takes a C stack of its own). */
#define VM_MAX_NEST 8
/*
 * Call the BPF function at instruction `target` of call->prog (a value of lddw src 4) with r1..r5 =
 * args, on the engine of the run, with a stack frame of its own. 0 with *ret set, or -errno (then
 * the run ends with that error: -EINVAL for a target that is not a callback, -E2BIG, or the
 * checked engine's -EFAULT/-ETIME). Only for helpers the engines call.
 */
USERBPF_HIDDEN int vm_call_func(const struct userbpf_call *call, uint64_t target, const uint64_t args[5],
				uint64_t *ret);

/* ---- interp.c: the fast interpreter ------------------------------------------------------------- */

/* Handler addresses indexed by enum vm_op (computed goto); NULL under switch dispatch. */
USERBPF_HIDDEN const void *const *interp_labels(void);
/* Run a trusted or proven program. 0 with *retval set, or -E2BIG on too deep local calls. */
USERBPF_HIDDEN int interp_run(const struct userbpf_prog *prog, const struct vm_run *run, uint64_t *retval);
/* Run from instruction `start` with r1..r5 = args (NULL: r1 = ctx, r2 = ctx_size) in env. */
USERBPF_HIDDEN int interp_exec(const struct userbpf_prog *prog, struct vm_env *env, size_t start,
			       const uint64_t *args, uint64_t *retval);

/* ---- interp_checked.c: the checked interpreter -------------------------------------------------- */

/* Run any loaded program. 0 with *retval set; -EFAULT, -ETIME, -E2BIG with a line in err_buf.
 * *count is the number of instructions executed either way. */
USERBPF_HIDDEN int interp_run_checked(const struct userbpf_prog *prog, const struct vm_run *run,
				      uint64_t *retval, uint64_t *count);
/* The same from instruction `start` with r1..r5 = args (NULL: ctx, ctx_size); env->count counts on. */
USERBPF_HIDDEN int interp_checked_exec(const struct userbpf_prog *prog, struct vm_env *env, size_t start,
				       const uint64_t *args, uint64_t *retval);

/* ---- isa/validate.c ----------------------------------------------------------------------------- */

/*
 * Validate `cnt` slots (lddw src 5/6 against maps[0..nr_maps)). On success fills ops[cnt] (form per slot,
 * ISA_NR_OPS on lddw second slots) and returns 0; else appends one line per problem to log (may be NULL) and
 * returns -EINVAL.
 */
USERBPF_HIDDEN int validate_prog(const struct userbpf_insn *insns, size_t cnt, unsigned int cpu_version,
				 const struct userbpf_helpers *helpers, struct userbpf_map *const *maps,
				 size_t nr_maps, uint16_t *ops, char *log, size_t log_size);

/* ---- helpers/registry.c ------------------------------------------------------------------------- */

struct helpers_entry {
	uint32_t id;
	char *name;
	userbpf_helper_fn fn;
	void *cookie;
};

/* The entry of helper `id`, or NULL. */
USERBPF_HIDDEN const struct helpers_entry *helpers_find(const struct userbpf_helpers *helpers, uint32_t id);

/* One row of a table of helpers with the kernel's numbers, registered with helpers_add_table(). */
struct helpers_def {
	uint32_t id;
	const char *name;
	userbpf_helper_fn fn;
};
/* Register every row (cookie NULL); -EINVAL for NULL helpers, else the first failure of __add. */
USERBPF_HIDDEN int helpers_add_table(struct userbpf_helpers *helpers, const struct helpers_def *tab, size_t n);

#endif /* USERBPF_VM_H */
