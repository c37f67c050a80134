/*
 * prog.c - loaded programs: userbpf_prog__load/free/insn_cnt/insns/run.
 *
 * Owns the opts handling (sz-checked structs, zero unknown tail), the copy of the program, the call
 * into the validator, the pre-decoding into struct vm_insn records for the fast interpreter, and the
 * choice of engine at run time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"
#include "progs/ctx.h"
#include "semantics.h"
#include "vm.h"

bool vm_opts_valid(const void *opts, size_t sz, size_t known)
{
	if (!opts)
		return true;
	if (sz < sizeof(size_t))
		return false;
	for (size_t i = known; i < sz; i++)
		if (((const unsigned char *)opts)[i])
			return false;
	return true;
}

void vm_fmt_insn(const struct userbpf_insn *insns, size_t cnt, size_t idx, char *buf, size_t size)
{
	userbpf_disasm_insn(insns, cnt, idx, USERBPF_SYNTAX_C, buf, size);
}

void vm_log(char *log, size_t log_size, const char *fmt, ...)
{
	if (!log || !log_size)
		return;
	size_t len = strnlen(log, log_size);
	if (len >= log_size - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(log + len, log_size - len, fmt, ap);
	va_end(ap);
}

/* Index of helper `id` in prog->helpers, adding it. -ENOMEM on failure. */
static int64_t helper_slot(struct userbpf_prog *prog, const struct helpers_entry *e)
{
	for (uint32_t i = 0; i < prog->nr_helpers; i++)
		if (prog->helpers[i].id == e->id)
			return i;
	struct vm_helper *h = realloc(prog->helpers, (prog->nr_helpers + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	prog->helpers = h;
	h[prog->nr_helpers] = (struct vm_helper){.fn = e->fn, .cookie = e->cookie, .id = e->id};
	return prog->nr_helpers++;
}

/*
 * Peephole pass: the superinstruction (enum vm_op) to run at slot i instead of its plain form, or -1.
 * Fusing never needs jump-target analysis: the covered records keep their own handlers, so a jump
 * into the middle of a fused sequence still runs the rest of it one by one.
 */
static int fuse(const struct userbpf_prog *prog, size_t i)
{

	const uint16_t *ops = prog->ops;
	const struct userbpf_insn *in = prog->insns;
	size_t n = prog->insn_cnt;

	/* rA = rB; rA += rC (rC != rA), optionally followed by a load or store through rA. */
	if (ops[i] == ISA_OP_MOV64_X && i + 1 < n && ops[i + 1] == ISA_OP_ADD64_X &&
	    in[i + 1].dst_reg == in[i].dst_reg && in[i + 1].src_reg != in[i].dst_reg) {
		unsigned a = in[i].dst_reg;
		const struct userbpf_insn *m = i + 2 < n ? &in[i + 2] : NULL;
		switch (m ? ops[i + 2] : ISA_NR_OPS) {
#define LDX(SZ)                                                                                              \
	case ISA_OP_LDX##SZ:                                                                                 \
		if (m->src_reg != a)                                                                         \
			break;                                                                               \
		if (i + 3 < n && ops[i + 3] == ISA_OP_STX##SZ && in[i + 3].src_reg == m->dst_reg)            \
			return VM_OP_MOV_ADD_X_LDX##SZ##_STX##SZ;                                            \
		return VM_OP_MOV_ADD_X_LDX##SZ;
			LDX(B)
			LDX(H)
			LDX(W)
			LDX(DW)
#undef LDX
#define ST(ST, STX, T)                                                                                       \
	case ISA_OP_##ST:                                                                                    \
		if (m->dst_reg == a)                                                                         \
			return VM_OP_MOV_ADD_X_##ST;                                                         \
		break;                                                                                       \
	case ISA_OP_##STX:                                                                                   \
		if (m->dst_reg == a)                                                                         \
			return VM_OP_MOV_ADD_X_##STX;                                                        \
		break;
			SEM_ST_OPS(ST)
#undef ST
		default:
			break;
		}
		return VM_OP_MOV_ADD_X;
	}
	/* rA += imm or rB; then a 64-bit conditional jump (any registers). */
	if (ops[i] == ISA_OP_ADD64_K && i + 1 < n) {
		switch (ops[i + 1]) {
#define J(OP)                                                                                                \
	case ISA_OP_##OP##64_K:                                                                              \
		return VM_OP_ADD_K_##OP##64_K;                                                               \
	case ISA_OP_##OP##64_X:                                                                              \
		return VM_OP_ADD_K_##OP##64_X;
			SEM_JMP_OPS(J)
#undef J
		default:
			break;
		}
	}
	if (ops[i] == ISA_OP_ADD64_X && i + 1 < n) {
		switch (ops[i + 1]) {
#define J(OP)                                                                                                \
	case ISA_OP_##OP##64_K:                                                                              \
		return VM_OP_ADD_X_##OP##64_K;                                                               \
	case ISA_OP_##OP##64_X:                                                                              \
		return VM_OP_ADD_X_##OP##64_X;
			SEM_JMP_OPS(J)
#undef J
		default:
			break;
		}
	}
	return -1;
}

/*
 * The array map a `call bpf_map_lookup_elem` at slot i looks up, when r1 is a constant there: an
 * `lddw r1, map` (src 5) earlier in the same basic block, with no jump landing after it up to the
 * call and nothing in between that writes r1 or calls. NULL otherwise (or for other map types).
 */
static struct userbpf_map *const_array_at_call(const struct userbpf_prog *prog, const bool *target, size_t i,
					       struct userbpf_map *const *maps)
{
	for (size_t j = i; j-- > 0;) {
		if (target[j + 1])
			return NULL;
		const struct userbpf_insn *in = &prog->insns[j];
		unsigned op = prog->ops[j];
		if (op == ISA_NR_OPS) { /* second slot of an lddw: the first says what it loads */
			const struct userbpf_insn *first = &prog->insns[j - 1];
			if (first->dst_reg != 1) {
				j--;
				continue;
			}
			if (first->src_reg != BPF_PSEUDO_MAP_IDX || !maps)
				return NULL;
			struct userbpf_map *m = maps[first->imm];
			return m && (map_array_base(m) || map_percpu_array_base(m)) ? m : NULL;
		}
		switch (isa_forms[op].kind) {
		case ISA_KIND_ALU_K:
		case ISA_KIND_ALU_X:
		case ISA_KIND_NEG:
		case ISA_KIND_MOVSX:
		case ISA_KIND_END:
		case ISA_KIND_LDX:
			if (in->dst_reg == 1)
				return NULL;
			break;
		case ISA_KIND_ST:
		case ISA_KIND_STX:
			break;
		default: /* jumps, calls, atomics (may write a register), legacy packet loads */
			return NULL;
		}
	}
	return NULL;
}

/* Slots that a jump, a local call or a callback address (lddw src 4) can land on. */
static bool *jump_targets(const struct userbpf_prog *prog)
{
	size_t n = prog->insn_cnt;
	bool *t = calloc(n + 1, sizeof(*t));
	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct userbpf_insn *in = &prog->insns[i];
		unsigned op = prog->ops[i];
		int64_t to;
		if (op == ISA_NR_OPS)
			continue;
		switch (isa_forms[op].kind) {
		case ISA_KIND_JA:
		case ISA_KIND_JCC_K:
		case ISA_KIND_JCC_X:
			to = (int64_t)i + 1 + in->off;
			break;
		case ISA_KIND_JA32:
		case ISA_KIND_CALL_LOCAL:
			to = (int64_t)i + 1 + in->imm;
			break;
		case ISA_KIND_LDDW:
			if (in->src_reg != BPF_PSEUDO_FUNC)
				continue;
			to = (int64_t)i + 1 + in->imm;
			break;
		default:
			continue;
		}
		if (to >= 0 && (size_t)to <= n)
			t[to] = true;
	}
	return t;
}

/* Index of map `m` in prog->inline_arrays (added if new), or -errno. */
static int inline_array(struct userbpf_prog *prog, struct userbpf_map *m)
{
	bool percpu = m->type == USERBPF_MAP_TYPE_PERCPU_ARRAY;
	char *base = percpu ? map_percpu_array_base(m) : map_array_base(m);
	for (uint32_t k = 0; k < prog->nr_inline_arrays; k++)
		if (prog->inline_arrays[k].base == base)
			return (int)k;
	if (prog->nr_inline_arrays >= INT16_MAX)
		return -E2BIG;
	struct vm_inline_array *a =
	    realloc(prog->inline_arrays, (prog->nr_inline_arrays + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	prog->inline_arrays = a;
	a[prog->nr_inline_arrays] =
	    (struct vm_inline_array){.base = base,
				     .stride = m->pcpu_stride,
				     .max_entries = m->max_entries,
				     .nr_cpus = percpu ? m->nr_cpus : 0};
	return (int)prog->nr_inline_arrays++;
}

/*
 * Build prog->code from the validated program. Each slot becomes one 16-byte record holding the
 * handler address (so dispatch is a single indirect jump with no table lookup), the registers, off
 * and imm; the ja displacement is moved to imm so ja and ja32 share a handler; helper ids become
 * indexes of prog->helpers; an lddw's second record holds the 64-bit constant.
 */
static int predecode(struct userbpf_prog *prog, const struct userbpf_helpers *helpers,
		     struct userbpf_map *const *maps)
{
	const void *const *labels = interp_labels();
	/* USERBPF_NOFUSE=1 turns the peephole pass off, to measure what it buys. */
	const char *env = getenv("USERBPF_NOFUSE");
	bool nofuse = env && *env && *env != '0';
	size_t n = prog->insn_cnt;
	struct vm_insn *code = calloc(n + 1, sizeof(*code));
	bool *target = nofuse ? NULL : jump_targets(prog);
	if (!code || (!nofuse && !target)) {
		free(code);
		free(target);
		return -ENOMEM;
	}
	prog->code = code;
	for (size_t i = 0; i < n; i++) {
		const struct userbpf_insn *in = &prog->insns[i];
		unsigned op = prog->ops[i];
		if (op == ISA_NR_OPS) { /* second slot of an lddw */
			const struct userbpf_insn *first = &prog->insns[i - 1];
			code[i].h.u64 = (uint64_t)(uint32_t)first->imm | (uint64_t)in->imm << 32;
			if (first->src_reg == BPF_PSEUDO_MAP_IDX)
				code[i].h.u64 = (uintptr_t)maps[first->imm];
			else if (first->src_reg == BPF_PSEUDO_MAP_IDX_VALUE)
				code[i].h.u64 =
				    (uintptr_t)map_array_base(maps[first->imm]) + (uint32_t)in->imm;
			else if (first->src_reg == BPF_PSEUDO_FUNC) {
				/* a callback: its instruction index, which vm_call_func checks */
				uint32_t t = (uint32_t)((int64_t)i + first->imm);
				code[i].h.u64 = t;
				uint32_t *v =
				    realloc(prog->func_targets, (prog->nr_func_targets + 1) * sizeof(*v));
				if (!v) {
					free(target);
					return -ENOMEM;
				}
				prog->func_targets = v;
				v[prog->nr_func_targets++] = t;
			}
			continue;
		}
		const struct isa_form *f = &isa_forms[op];
		struct vm_insn *r = &code[i];
		r->dst = in->dst_reg;
		r->src = in->src_reg;
		r->off = in->off;
		r->imm = in->imm;
		switch (f->kind) {
		case ISA_KIND_JA:
			r->imm = in->off;
			break;
		case ISA_KIND_CALL_HELPER: {
			const struct helpers_entry *e = helpers_find(helpers, (uint32_t)in->imm);
			int64_t slot = e ? helper_slot(prog, e) : -EINVAL;
			if (slot < 0) {
				free(target);
				return (int)slot;
			}
			r->imm = (int32_t)slot;
			if (e->fn == vm_helper_tail_call) {
				r->h.op = VM_OP_TAIL_CALL;
				if (labels)
					r->h.label = labels[VM_OP_TAIL_CALL];
				continue;
			}
			/* A lookup in an array map known here: inlined. imm keeps the helper (the
			 * checked engine calls it); off holds the inline_arrays index. */
			struct userbpf_map *am = target && map_helper_is_lookup(e->fn)
						     ? const_array_at_call(prog, target, i, maps)
						     : NULL;
			if (am) {
				int k = inline_array(prog, am);
				if (k == -ENOMEM) {
					free(target);
					return k;
				}
				if (k >= 0) {
					enum vm_op lk = prog->inline_arrays[k].nr_cpus ? VM_OP_PCPU_ARRAY_LOOKUP
										      : VM_OP_ARRAY_LOOKUP;
					r->off = (int16_t)k;
					r->h.op = lk;
					if (labels)
						r->h.label = labels[lk];
					continue;
				}
			}
			break;
		}
		case ISA_KIND_CALL_LOCAL:
			prog->has_local_calls = true;
			break;
		default:
			break;
		}
		int fused = nofuse ? -1 : fuse(prog, i);
		if (fused >= 0)
			op = (unsigned)fused;
		if (labels)
			r->h.label = labels[op];
		else
			r->h.op = op;
	}
	/*
	 * Jump threading: a jump whose target is a `goto` goes straight to that goto's target (clang
	 * emits such chains at loop exits and switch ends); one dispatch fewer each time. Bounded hops,
	 * so `goto -1` loops stay as they are.
	 */
	for (size_t i = 0; i < n; i++) {
		unsigned op = prog->ops[i];
		if (op >= ISA_NR_OPS)
			continue;
		unsigned kind = isa_forms[op].kind;
		bool ja = kind == ISA_KIND_JA || kind == ISA_KIND_JA32;
		if (!ja && kind != ISA_KIND_JCC_K && kind != ISA_KIND_JCC_X)
			continue;
		int64_t t = (int64_t)i + 1 + (ja ? code[i].imm : code[i].off);
		for (int hops = 0; hops < 8; hops++) {
			unsigned top = prog->ops[t];
			if (top != ISA_OP_JA && top != ISA_OP_JA32)
				break;
			t = t + 1 + code[t].imm;
		}
		int64_t disp = t - (int64_t)i - 1;
		if (ja)
			code[i].imm = (int32_t)disp;
		else if (disp >= INT16_MIN && disp <= INT16_MAX)
			code[i].off = (int16_t)disp;
	}
	free(target);
	/* A record past the end, never reached (validation refuses falling off the end). */
	if (labels)
		code[n].h.label = labels[VM_OP_EXIT];
	else
		code[n].h.op = VM_OP_EXIT;
	return 0;
}

/*
 * Take a reference to each map the program references (lddw src 5/6), once, and list the values
 * reached by src 6 as regions of the checked engine (read-only for BPF_F_RDONLY_PROG maps).
 */
static int hold_maps(struct userbpf_prog *prog, struct userbpf_map *const *maps)
{
	for (size_t i = 0; i + 1 < prog->insn_cnt; i++) {
		const struct userbpf_insn *in = &prog->insns[i];
		struct userbpf_map *m;
		uint32_t k;
		if (prog->ops[i] == ISA_NR_OPS || (in->code != (BPF_LD | BPF_IMM | BPF_DW)) ||
		    (in->src_reg != BPF_PSEUDO_MAP_IDX && in->src_reg != BPF_PSEUDO_MAP_IDX_VALUE))
			continue;
		m = maps[in->imm];
		for (k = 0; k < prog->nr_maps && prog->maps[k] != m; k++)
			;
		if (k == prog->nr_maps) {
			struct userbpf_map **v = realloc(prog->maps, (prog->nr_maps + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			prog->maps = v;
			prog->maps[prog->nr_maps++] = userbpf_map__get(m);
			if (in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
				struct userbpf_region *r =
				    realloc(prog->map_regions, (prog->nr_map_regions + 1) * sizeof(*r));
				if (!r)
					return -ENOMEM;
				prog->map_regions = r;
				r[prog->nr_map_regions++] = (struct userbpf_region){
				    .addr = map_array_base(m),
				    .size = userbpf_map__value_size(m),
				    .writable = !(userbpf_map__flags(m) & USERBPF_F_RDONLY_PROG)};
			}
		}
	}
	return 0;
}

/*
 * A program with a type: refuse the helpers the type may not call, run the context-access pass
 * (progs/ctx_access.c, which may rewrite pointer-field loads), re-derive the ops of the rewritten
 * program, and keep the type and the hook's name and size.
 */
static int prepare_type(struct userbpf_prog *prog, const struct userbpf_prog_opts *opts,
			const struct userbpf_helpers *helpers, struct userbpf_map *const *maps,
			size_t nr_maps, char *log, size_t log_size)
{
	unsigned int type = opts->prog_type;
	const struct userbpf_ctx_desc *desc = VM_OPTS_GET(opts, ctx_desc, NULL);
	for (size_t i = 0; i < prog->insn_cnt; i++) {
		const struct userbpf_insn *in = &prog->insns[i];
		if (prog->ops[i] == ISA_NR_OPS || in->code != (BPF_JMP | BPF_CALL) || in->src_reg != 0 ||
		    progs_helper_allowed(type, (uint32_t)in->imm))
			continue;
		char dis[128];
		const char *name = userbpf_prog_type_name((enum userbpf_prog_type)type);
		progs_fmt_insn(prog->insns, prog->insn_cnt, i, dis, sizeof(dis));
		vm_log(log, log_size, "insn %zu: %s: not allowed in %s programs\n", i, dis,
		       name ? name : "these");
		return -EACCES;
	}
	int err = progs_ctx_prepare(prog->insns, prog->insn_cnt, type,
				    VM_OPTS_GET(opts, expected_attach_type, 0), desc, log, log_size);
	if (!err)
		err = validate_prog(prog->insns, prog->insn_cnt, prog->cpu_version, helpers, maps, nr_maps,
				    prog->ops, log, log_size);
	if (err)
		return err;
	prog->prog_type = type;
	if (type == USERBPF_PROG_TYPE_HOOK) {
		prog->hook_name = strdup(desc->name ? desc->name : "");
		if (!prog->hook_name)
			return -ENOMEM;
		prog->hook_size = desc->size;
	}
	return 0;
}

struct userbpf_prog *userbpf_prog__load(const struct userbpf_insn *insns, size_t insn_cnt,
					const struct userbpf_prog_opts *opts)
{
	if (opts && !vm_opts_valid(opts, opts->sz, sizeof(*opts))) {
		errno = EINVAL;
		return NULL;
	}
	char *log = VM_OPTS_GET(opts, log_buf, NULL);
	size_t log_size = log ? VM_OPTS_GET(opts, log_size, 0) : 0;
	const struct userbpf_helpers *helpers = VM_OPTS_GET(opts, helpers, NULL);
	unsigned int cpu = VM_OPTS_GET(opts, cpu_version, 0);
	unsigned int flags = VM_OPTS_GET(opts, flags, 0);
	struct userbpf_map *const *maps = VM_OPTS_GET(opts, maps, NULL);
	size_t nr_maps = maps ? VM_OPTS_GET(opts, nr_maps, 0) : 0;
	if (log_size)
		log[0] = '\0';
	if (cpu == 0)
		cpu = 4;
	if (cpu > 4) {
		vm_log(log, log_size, "cpu_version %u is not 1..4\n", cpu);
		errno = EINVAL;
		return NULL;
	}
	if (flags & ~USERBPF_PROG_F_TRUSTED) {
		vm_log(log, log_size, "unknown flags 0x%x\n", flags & ~USERBPF_PROG_F_TRUSTED);
		errno = EINVAL;
		return NULL;
	}
	if (!insns || insn_cnt == 0) {
		vm_log(log, log_size, "the program is empty\n");
		errno = EINVAL;
		return NULL;
	}
	if (insn_cnt > USERBPF_MAX_INSNS) {
		vm_log(log, log_size, "the program has %zu instruction slots, more than %u\n", insn_cnt,
		       USERBPF_MAX_INSNS);
		errno = E2BIG;
		return NULL;
	}

	struct userbpf_prog *prog = calloc(1, sizeof(*prog));
	if (!prog)
		goto nomem;
	prog->insn_cnt = insn_cnt;
	prog->flags = flags;
	prog->cpu_version = cpu;
	prog->insns = malloc(insn_cnt * sizeof(*insns));
	prog->ops = malloc(insn_cnt * sizeof(*prog->ops));
	if (!prog->insns || !prog->ops)
		goto nomem;
	memcpy(prog->insns, insns, insn_cnt * sizeof(*insns));

	int err = validate_prog(prog->insns, insn_cnt, cpu, helpers, maps, nr_maps, prog->ops, log, log_size);
	if (!err && VM_OPTS_GET(opts, prog_type, 0))
		err = prepare_type(prog, opts, helpers, maps, nr_maps, log, log_size);
	if (!err)
		err = predecode(prog, helpers, maps);
	if (!err)
		err = hold_maps(prog, maps);
	if (!err)
		err = vm_prog_register(prog);
	if (err) {
		userbpf_prog__free(prog);
		errno = -err;
		return NULL;
	}
	return prog;
nomem:
	userbpf_prog__free(prog);
	errno = ENOMEM;
	return NULL;
}

void userbpf_prog__free(struct userbpf_prog *prog)
{
	vm_prog_put(prog);
}

void vm_prog_destroy(struct userbpf_prog *prog)
{
	free(prog->func_targets);
	free(prog->inline_arrays);
	free(prog->hook_name);
	free(prog->insns);
	free(prog->ops);
	free(prog->code);
	free(prog->helpers);
	for (uint32_t i = 0; i < prog->nr_maps; i++)
		userbpf_map__free(prog->maps[i]);
	free(prog->maps);
	free(prog->map_regions);
	free(prog);
}

uint64_t vm_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     const struct userbpf_call *call)
{
	/* Never called by the engines, which turn calls to it into tail calls. */
	return (uint64_t)(int64_t)-EOPNOTSUPP;
}

const struct userbpf_prog *vm_tail_call_target(uint64_t r2, uint64_t r3, uint32_t *cnt, bool fast,
					       uint64_t *r0)
{
	struct userbpf_map *m = (struct userbpf_map *)(uintptr_t)r2;
	*r0 = (uint64_t)(int64_t)-ENOENT;
	if (!m || userbpf_map__type(m) != USERBPF_MAP_TYPE_PROG_ARRAY ||
	    (uint32_t)r3 >= userbpf_map__max_entries(m))
		return NULL;
	if (*cnt >= VM_MAX_TAIL_CALLS)
		return NULL;
	++*cnt;
	const struct userbpf_prog *p = map_prog_array_get(m, (uint32_t)r3);
	if (!p)
		return NULL;
	if (fast && !(p->flags & USERBPF_PROG_F_TRUSTED) && !p->proven) {
		*r0 = (uint64_t)(int64_t)-EPERM;
		return NULL;
	}
	return p;
}

int vm_call_func(const struct userbpf_call *call, uint64_t target, const uint64_t args[5], uint64_t *ret)
{
	struct vm_env *env = ((const struct vm_call *)call)->env;
	const struct userbpf_prog *prog = call->prog;
	int err = -EINVAL;
	for (uint32_t i = 0; i < prog->nr_func_targets; i++)
		if (prog->func_targets[i] == target)
			err = 0;
	if (!err && env->nest >= VM_MAX_NEST)
		err = -E2BIG;
	if (!err) {
		env->nest++;
		err = env->checked ? interp_checked_exec(prog, env, (size_t)target, args, ret)
				   : interp_exec(prog, env, (size_t)target, args, ret);
		env->nest--;
	}
	if (err && !env->err) {
		env->err = err;
		const struct vm_run *run = env->run;
		if (run->err_size && !run->err_buf[0])
			snprintf(run->err_buf, run->err_size, "callback at insn %" PRIu64 ": %s", target,
				 err == -EINVAL	 ? "not a function of the program"
				 : err == -E2BIG ? "callbacks or calls nested too deep"
						 : "failed");
	}
	return err;
}

size_t userbpf_prog__insn_cnt(const struct userbpf_prog *prog)
{
	return prog ? prog->insn_cnt : 0;
}

const struct userbpf_insn *userbpf_prog__insns(const struct userbpf_prog *prog)
{
	return prog ? prog->insns : NULL;
}

unsigned int userbpf_prog__type(const struct userbpf_prog *prog)
{
	return prog ? prog->prog_type : 0;
}

int userbpf_prog__run(const struct userbpf_prog *prog, struct userbpf_run_opts *opts)
{
	if (!prog)
		return -EINVAL;
	if (opts && opts->sz != sizeof(*opts) && !vm_opts_valid(opts, opts->sz, sizeof(*opts)))
		return -EINVAL;
	struct vm_run run = {
	    .opts = opts,
	    .ctx = VM_OPTS_GET(opts, ctx, NULL),
	    .ctx_size = VM_OPTS_GET(opts, ctx_size, 0),
	    .pkt = VM_OPTS_GET(opts, packet, NULL),
	    .pkt_size = VM_OPTS_GET(opts, packet_size, 0),
	    .regions = VM_OPTS_GET(opts, regions, NULL),
	    .nr_regions = VM_OPTS_GET(opts, nr_regions, 0),
	    .budget = VM_OPTS_GET(opts, insn_budget, 0),
	    .err_buf = VM_OPTS_GET(opts, err_buf, NULL),
	    .err_size = VM_OPTS_GET(opts, err_size, 0),
	};
	enum userbpf_exec exec = VM_OPTS_GET(opts, exec, USERBPF_EXEC_DEFAULT);
	if (!run.pkt) {
		run.pkt = run.ctx;
		run.pkt_size = run.ctx_size;
	}
	if (!run.pkt)
		run.pkt_size = 0;
	if (!run.ctx)
		run.ctx_size = 0;
	if (!run.regions)
		run.nr_regions = 0;
	if (!run.err_buf)
		run.err_size = 0;
	if (run.err_size)
		run.err_buf[0] = '\0';
	if (!run.budget)
		run.budget = (uint64_t)1 << 32;

	bool fast_ok = (prog->flags & USERBPF_PROG_F_TRUSTED) || prog->proven;
	uint64_t ret = 0, count = 0;
	int err;
	switch (exec) {
	case USERBPF_EXEC_DEFAULT:
		exec = fast_ok ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED;
		break;
	case USERBPF_EXEC_FAST:
		if (!fast_ok) {
			if (run.err_size)
				snprintf(run.err_buf, run.err_size,
					 "the fast engine runs only verified or trusted programs");
			return -EPERM;
		}
		break;
	case USERBPF_EXEC_CHECKED:
		break;
	default:
		return -EINVAL;
	}
	if (exec == USERBPF_EXEC_FAST) {
		err = interp_run(prog, &run, &ret);
		if (err == -E2BIG && run.err_size)
			snprintf(run.err_buf, run.err_size, "call depth exceeds %d frames",
				 USERBPF_MAX_FRAMES);
	} else
		err = interp_run_checked(prog, &run, &ret, &count);
	VM_OPTS_SET(opts, insn_count, count);
	if (!err)
		VM_OPTS_SET(opts, retval, ret);
	return err;
}
