/*
 * userbpf.h - the public API of libuserbpf: eBPF outside the kernel.
 *
 * Conventions (after libbpf):
 *   - handles are opaque structs reached through functions named object__verb;
 *   - functions returning int give 0 (or a count) on success and -errno on failure;
 *     functions returning a pointer give NULL and set errno on failure;
 *   - options structs start with `size_t sz` (set it with USERBPF_OPTS_INIT); unknown trailing bytes
 *     must be zero, so a program built against an older header keeps working;
 *   - free functions accept NULL;
 *   - error text goes to a buffer the caller supplies (log_buf / err_buf), never to a heap string
 *     the caller must free.
 */
#ifndef USERBPF_USERBPF_H
#define USERBPF_USERBPF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef USERBPF_API
#define USERBPF_API __attribute__((visibility("default")))
#endif

#define USERBPF_VERSION_MAJOR 0
#define USERBPF_VERSION_MINOR 1
#define USERBPF_VERSION_PATCH 0

/** Version of the library the program runs against, e.g. "0.1.0". */
USERBPF_API const char *userbpf_version(void);

/* Initialise an opts struct: `struct userbpf_prog_opts o = USERBPF_OPTS_INIT(userbpf_prog_opts, .x = 1);` */
#define USERBPF_OPTS_INIT(TYPE, ...) ((struct TYPE){.sz = sizeof(struct TYPE), __VA_ARGS__})

/* ------------------------------------------------------------------------------------------------ */
/* Instructions                                                                                      */

/** One 64-bit BPF instruction slot, as RFC 9669 lays it out (little-endian host). */
struct userbpf_insn {
	uint8_t code;      /**< opcode */
	uint8_t dst_reg:4; /**< destination register */
	uint8_t src_reg:4; /**< source register */
	int16_t off;       /**< signed offset */
	int32_t imm;       /**< signed immediate */
};

/** Largest program userbpf accepts, in instruction slots (the kernel's limit for privileged loads). */
#define USERBPF_MAX_INSNS (1u << 20)
/** Stack bytes per BPF frame, and the deepest chain of frames (main program + 7 local calls). */
#define USERBPF_STACK_SIZE 512
#define USERBPF_MAX_FRAMES 8

/* ------------------------------------------------------------------------------------------------ */
/* Helpers: functions BPF programs call with `call IMM`.                                             */

struct userbpf_run_opts;
struct userbpf_prog;

/** What a helper learns about the call besides r1..r5. */
struct userbpf_call {
	void *cookie;                  /**< the pointer given to userbpf_helpers__add() */
	struct userbpf_run_opts *run;  /**< the run making the call */
	const struct userbpf_prog *prog; /**< the program making the call */
};

/**
 * A helper receives r1..r5 and returns r0. The sixth argument costs nothing on x86-64 System V (it is
 * passed in r9) and lets a helper reach its own state and the run's.
 */
typedef uint64_t (*userbpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				      const struct userbpf_call *call);

struct userbpf_helpers;

/** A new, empty helper registry. NULL + errno on failure. */
USERBPF_API struct userbpf_helpers *userbpf_helpers__new(void);
USERBPF_API void userbpf_helpers__free(struct userbpf_helpers *helpers);
/**
 * Register helper number `id` (any value 0..INT32_MAX; use the kernel's numbers for kernel helpers).
 * `name` is copied. -EEXIST if `id` is taken, -EINVAL on a bad id or NULL fn/name, -ENOMEM.
 */
USERBPF_API int userbpf_helpers__add(struct userbpf_helpers *helpers, uint32_t id, const char *name,
				     userbpf_helper_fn fn, void *cookie);
/** Name of helper `id`, or NULL if it is not registered. */
USERBPF_API const char *userbpf_helpers__name(const struct userbpf_helpers *helpers, uint32_t id);
/** Register the helpers of the kernel's numbering that need no maps or context (ktime_get_ns, ...). */
USERBPF_API int userbpf_helpers__add_std(struct userbpf_helpers *helpers);
/**
 * Register the kernel-numbered helpers that act on the run or the host process rather than on maps:
 * probe_read (4), trace_printk (6), l3/l4_csum_replace (10, 11), tail_call (12: at most 33 per run,
 * an empty slot or bad index falls through with r0 = -ENOENT; not from a subprogram), get_current_pid_tgid/uid_gid/comm
 * (14-16), csum_diff (28), probe_read_str (45), probe_read_user/kernel and their _str forms
 * (112-115), snprintf (165), loop (181: the callback is an `lddw src=4` function address; at most
 * 1<<23 iterations; a failing callback ends the run), strncmp (182). Reads of host memory are fault-safe (a bad address gives
 * -EFAULT and a zeroed destination); pid/uid/comm are the calling thread's. Kept apart from add_std,
 * which stays free of anything touching host memory or identity.
 */
USERBPF_API int userbpf_helpers__add_kernel(struct userbpf_helpers *helpers);
/** The kernel's name of helper `id` ("bpf_trace_printk" for 6), or NULL for a number the kernel lacks. */
USERBPF_API const char *userbpf_helper_kernel_name(uint32_t id);

/* ------------------------------------------------------------------------------------------------ */
/* Programs                                                                                          */

struct userbpf_prog;
struct userbpf_map;
struct userbpf_ctx_desc;

/** The program may run on the fast interpreter without proof: the caller vouches that it is safe. */
#define USERBPF_PROG_F_TRUSTED (1u << 0)

struct userbpf_prog_opts {
	size_t sz;
	/** Helpers the program may call; the registry must outlive the program. NULL: none. */
	const struct userbpf_helpers *helpers;
	/** Why a load was refused, as one line per problem, NUL-terminated. May be NULL. */
	char *log_buf;
	size_t log_size;
	/** Highest CPU version (1..4) whose instructions are allowed; 0 means 4. */
	unsigned int cpu_version;
	/** USERBPF_PROG_F_* */
	unsigned int flags;
	/**
	 * Maps the program refers to by index, as the object loader writes them: `lddw src=5
	 * (BPF_PSEUDO_MAP_IDX) imm=i` loads maps[i]; `lddw src=6 (BPF_PSEUDO_MAP_IDX_VALUE) imm=i,
	 * next.imm=off` loads the address of byte off of the value of maps[i], a single-entry array.
	 * The program takes a reference to each map it uses and drops it when freed.
	 */
	struct userbpf_map *const *maps;
	size_t nr_maps;
	/**
	 * Program type (enum userbpf_prog_type of object.h, or USERBPF_PROG_TYPE_HOOK of packet.h);
	 * 0: none, r1 is plain memory. A packet type gets the kernel's context: accesses through the
	 * context are checked against its field table and pointer-field loads rewritten (packet.h),
	 * and helpers the type may not call are refused.
	 */
	unsigned int prog_type;
	/** Expected attach type (kernel numbering), where the type's rules depend on it. */
	unsigned int expected_attach_type;
	/** USERBPF_PROG_TYPE_HOOK: the host's context (copied). */
	const struct userbpf_ctx_desc *ctx_desc;
};

/**
 * Copy and validate `insn_cnt` instruction slots. Validation refuses unknown opcodes, non-zero unused
 * fields, bad registers, writes to r10, jumps out of the program or into the middle of an lddw,
 * falling off the end, unknown helpers and bad local call targets; each refusal names the instruction
 * index, its disassembly and the rule broken. NULL + errno (EINVAL, ENOMEM, E2BIG) on failure.
 */
USERBPF_API struct userbpf_prog *userbpf_prog__load(const struct userbpf_insn *insns, size_t insn_cnt,
						    const struct userbpf_prog_opts *opts);
USERBPF_API void userbpf_prog__free(struct userbpf_prog *prog);
USERBPF_API size_t userbpf_prog__insn_cnt(const struct userbpf_prog *prog);
USERBPF_API const struct userbpf_insn *userbpf_prog__insns(const struct userbpf_prog *prog);
/**
 * The program's id: unique in the process and never reused. It is what a prog_array stores: writing
 * the id into a slot makes bpf_tail_call (helper 12) reach the program; the slot holds a reference, so
 * the program lives on after userbpf_prog__free until the slot is cleared.
 */
USERBPF_API uint32_t userbpf_prog__id(const struct userbpf_prog *prog);
/** The prog_type the program was loaded with (0 when none). */
USERBPF_API unsigned int userbpf_prog__type(const struct userbpf_prog *prog);

/** How a run executes. */
enum userbpf_exec {
	USERBPF_EXEC_DEFAULT = 0, /**< fastest engine the program is allowed (proven or trusted), else checked */
	USERBPF_EXEC_FAST,        /**< fast interpreter; -EPERM if the program is neither proven nor trusted */
	USERBPF_EXEC_CHECKED,     /**< every access bounds-checked, instruction budget enforced */
};

/** A memory region a checked run may touch besides the stack and ctx. */
struct userbpf_region {
	void *addr;
	size_t size;
	int writable;
};

struct userbpf_run_opts {
	size_t sz;
	/** r1 = ctx and r2 = ctx_size at entry; the checked engine lets the program read and write it. */
	void *ctx;
	size_t ctx_size;
	/** Packet seen by the legacy LD_ABS/LD_IND instructions; NULL means ctx/ctx_size. */
	const void *packet;
	size_t packet_size;
	enum userbpf_exec exec;
	/** Checked engine: more regions the program may touch. */
	const struct userbpf_region *regions;
	size_t nr_regions;
	/** Checked engine: most instructions to execute; 0 means 1<<32 (about a second of work). */
	uint64_t insn_budget;
	/** Out: r0 at exit. */
	uint64_t retval;
	/** Out: instructions executed (checked engine only; 0 otherwise). */
	uint64_t insn_count;
	/** Out: why a run failed (checked engine), one line naming the instruction. May be NULL. */
	char *err_buf;
	size_t err_size;
	/**
	 * Where bpf_trace_printk sends its lines: trace_fn(trace_cookie, line, len), the line without
	 * its trailing newline (len = strlen(line)). NULL: each line goes to stderr with a newline.
	 */
	void (*trace_fn)(void *cookie, const char *line, size_t len);
	void *trace_cookie;
};

/**
 * Run the program once. 0 on success with opts->retval set; -EPERM (fast engine on an unproven
 * program), -EFAULT (checked: access outside every region), -ETIME (checked: budget spent),
 * -E2BIG (checked: more than USERBPF_MAX_FRAMES frames), -EINVAL (bad opts).
 */
USERBPF_API int userbpf_prog__run(const struct userbpf_prog *prog, struct userbpf_run_opts *opts);

/* ------------------------------------------------------------------------------------------------ */
/* Text forms                                                                                        */

/** Syntax of disassembly: the kernel verifier's / llvm-objdump's, or bpf_conformance's. */
enum userbpf_syntax {
	USERBPF_SYNTAX_C = 0,     /**< r0 = *(u32 *)(r1 + 4), if r3 > r2 goto +10, w0 = 2 ... */
	USERBPF_SYNTAX_CONFORMANCE, /**< ldxw %r0, [%r1+4], jgt %r3, %r2, +10, mov32 %r0, 2 ... */
};

/**
 * Disassemble the instruction at index `idx` of `insns` (`cnt` slots) into `buf` (NUL-terminated,
 * truncated to `size`). Returns the slots it used (1, or 2 for lddw), or -EINVAL for an invalid or
 * truncated instruction, in which case buf holds a `.insn` line that still assembles to its bytes.
 */
USERBPF_API int userbpf_disasm_insn(const struct userbpf_insn *insns, size_t cnt, size_t idx,
				    enum userbpf_syntax syntax, char *buf, size_t size);

struct userbpf_asm_opts {
	size_t sz;
	/** On failure: "LINE:COL: what is wrong", NUL-terminated. May be NULL. */
	char *err_buf;
	size_t err_size;
	/** On failure: the 1-based line and column of the fault. */
	int err_line;
	int err_col;
};

/**
 * Assemble `text` (either syntax, mixed freely, with labels and `;`/`#`/`//` comments). On success
 * *insns (malloc'ed; free() it) and *cnt are set and 0 is returned; -EINVAL on malformed text,
 * -ENOMEM.
 */
USERBPF_API int userbpf_asm(const char *text, struct userbpf_insn **insns, size_t *cnt,
			    struct userbpf_asm_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* USERBPF_USERBPF_H */
