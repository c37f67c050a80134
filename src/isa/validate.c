/*
 * validate.c - load-time validation of a program (validate_prog), the rules every program must pass
 * before either interpreter runs it: each slot decodes to a form of opcodes.def with its unused
 * fields zero, the form exists at the chosen CPU version, r10 is never written, jumps and local calls
 * land on an instruction of the program (never the second slot of an lddw), execution cannot fall
 * off the end, helper calls name registered helpers, and of the lddw pseudo forms only the object
 * loader's map references (src 5: a map of opts->maps; src 6: a byte of the value of a single-entry
 * array map) are accepted. Each problem is one log line: "insn N: <disassembly>: <rule broken>".
 * Memory safety is not checked here: that is the verifier's job (or the checked interpreter's).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "isa.h"
#include "userbpf/maps.h"
#include "vm/vm.h"

struct vctx {
	const struct userbpf_insn *insns;
	size_t cnt;
	char *log;
	size_t log_size;
	int errors;
};

static void refuse(struct vctx *v, size_t idx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void refuse(struct vctx *v, size_t idx, const char *fmt, ...)
{
	char dis[128], why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vm_fmt_insn(v->insns, v->cnt, idx, dis, sizeof(dis));
	vm_log(v->log, v->log_size, "insn %zu: %s: %s\n", idx, dis, why);
	v->errors++;
}

/* Why a slot does not decode. */
static void refuse_undecodable(struct vctx *v, size_t idx)
{
	const struct userbpf_insn *in = &v->insns[idx];
	if (in->code == (BPF_JMP | BPF_CALL | BPF_X)) {
		refuse(v, idx, "callx (opcode 0x8d) is not part of RFC 9669");
		return;
	}
	if (in->code == (BPF_JMP | BPF_CALL)) {
		if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
			refuse(v, idx, "kfunc calls (src_reg 2) are not supported");
		else
			refuse(v, idx, "call src_reg %u is not 0 (helper) or 1 (local call)", in->src_reg);
		return;
	}
	if (!isa_code_known(in->code)) {
		refuse(v, idx, "unknown opcode 0x%02x", in->code);
		return;
	}
	/* Known opcode byte: the field telling its forms apart holds no valid value. */
	for (int i = 0; i < ISA_NR_OPS; i++) {
		const struct isa_form *f = &isa_forms[i];
		if (f->code != in->code)
			continue;
		switch (f->variant) {
		case ISA_VAR_OFF:
			refuse(v, idx, "offset %d is not valid for opcode 0x%02x", in->off, in->code);
			return;
		case ISA_VAR_IMM:
			refuse(v, idx, "imm %d is not valid for opcode 0x%02x", in->imm, in->code);
			return;
		case ISA_VAR_SRC:
			refuse(v, idx, "src_reg %u is not valid for opcode 0x%02x", in->src_reg, in->code);
			return;
		default:
			break;
		}
	}
	refuse(v, idx, "invalid instruction");
}

/* Does the form write its dst register (or, for fetching atomics, src)? Returns the register. */
static int written_reg(const struct isa_form *f, const struct userbpf_insn *in)
{
	switch (f->kind) {
	case ISA_KIND_ALU_K:
	case ISA_KIND_ALU_X:
	case ISA_KIND_NEG:
	case ISA_KIND_MOVSX:
	case ISA_KIND_END:
	case ISA_KIND_LDX:
	case ISA_KIND_LDDW:
		return in->dst_reg;
	case ISA_KIND_ATOMIC:
		if (in->imm == BPF_CMPXCHG)
			return 0;
		if (in->imm & BPF_FETCH)
			return in->src_reg;
		return -1;
	default:
		return -1;
	}
}

static const char *pseudo_name(int src)
{
	static const char *const names[] = {
	    "", "map fd", "map value", "BTF variable", "function address", "map index", "map index value"};
	return src > 0 && src < 7 ? names[src] : "?";
}

/* Why an lddw src=5/6 (map by index) is refused, or NULL. */
static const char *check_map_ref(const struct userbpf_insn *in, const struct userbpf_insn *next,
				 struct userbpf_map *const *maps, size_t nr_maps, char *buf, size_t size)
{
	struct userbpf_map *m;
	if (in->imm < 0 || (size_t)in->imm >= nr_maps || !maps[in->imm]) {
		snprintf(buf, size, "map index %d, but the program was given %zu maps", in->imm, nr_maps);
		return buf;
	}
	m = maps[in->imm];
	if (in->src_reg == BPF_PSEUDO_MAP_IDX) {
		if (next->imm != 0) {
			snprintf(buf, size,
				 "a map reference (src_reg 5) must have 0 in the second slot's imm");
			return buf;
		}
		return NULL;
	}
	if (userbpf_map__type(m) != USERBPF_MAP_TYPE_ARRAY || userbpf_map__max_entries(m) != 1) {
		snprintf(buf, size,
			 "map value address (src_reg 6) of map '%s', which is not a single-entry array",
			 userbpf_map__name(m) ? userbpf_map__name(m) : "");
		return buf;
	}
	if ((uint32_t)next->imm >= userbpf_map__value_size(m)) {
		snprintf(buf, size, "offset %u is outside the %u-byte value of map '%s'", (uint32_t)next->imm,
			 userbpf_map__value_size(m), userbpf_map__name(m) ? userbpf_map__name(m) : "");
		return buf;
	}
	return NULL;
}

int validate_prog(const struct userbpf_insn *insns, size_t cnt, unsigned int cpu_version,
		  const struct userbpf_helpers *helpers, struct userbpf_map *const *maps, size_t nr_maps,
		  uint16_t *ops, char *log, size_t log_size)
{
	struct vctx v = {.insns = insns, .cnt = cnt, .log = log, .log_size = log_size};

	/* Pass 1: decode every slot, so pass 2 knows where lddw second slots are. */
	for (size_t i = 0; i < cnt; i++) {
		const struct isa_form *f = isa_decode(&insns[i]);
		ops[i] = f ? f->op : ISA_NR_OPS + 1; /* +1: undecodable (refused in pass 2) */
		/* An lddw opcode takes two slots even with a bad src_reg. */
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < cnt)
			ops[++i] = ISA_NR_OPS;
	}

	/* Pass 2: the rules, at most one problem per instruction. */
	size_t last = 0;
	int last_errors = 0; /* problems found up to the last instruction, excluded */
	for (size_t i = 0; i < cnt; i++) {
		const struct userbpf_insn *in = &insns[i];
		if (ops[i] == ISA_NR_OPS)
			continue;
		last = i;
		last_errors = v.errors;
		if (ops[i] > ISA_NR_OPS) {
			refuse_undecodable(&v, i);
			continue;
		}
		const struct isa_form *f = &isa_forms[ops[i]];
		const char *why = isa_check_fields(f, in, i + 1 < cnt ? &insns[i + 1] : NULL);
		if (why) {
			refuse(&v, i, "%s", why);
			continue;
		}
		if (f->cpu > cpu_version) {
			refuse(&v, i, "needs CPU version v%d (the program is loaded for v%u)", f->cpu,
			       cpu_version);
			continue;
		}
		if (written_reg(f, in) == BPF_REG_FP) {
			refuse(&v, i, "r10 is read-only");
			continue;
		}
		int64_t target;
		switch (f->kind) {
		case ISA_KIND_JA:
		case ISA_KIND_JCC_K:
		case ISA_KIND_JCC_X:
		case ISA_KIND_JA32:
		case ISA_KIND_CALL_LOCAL:
			target =
			    (int64_t)i + 1 +
			    (f->kind == ISA_KIND_JA32 || f->kind == ISA_KIND_CALL_LOCAL ? in->imm : in->off);
			if (target < 0 || target >= (int64_t)cnt)
				refuse(&v, i, "%s target %" PRId64 " is outside the program (0..%zu)",
				       f->kind == ISA_KIND_CALL_LOCAL ? "local call" : "jump", target,
				       cnt - 1);
			else if (ops[target] == ISA_NR_OPS)
				refuse(&v, i, "%s target %" PRId64 " is the second slot of an lddw",
				       f->kind == ISA_KIND_CALL_LOCAL ? "local call" : "jump", target);
			break;
		case ISA_KIND_CALL_HELPER:
			if (in->imm < 0 || !helpers_find(helpers, (uint32_t)in->imm)) {
				const char *kn =
				    in->imm > 0 ? userbpf_helper_kernel_name((uint32_t)in->imm) : NULL;
				if (kn)
					refuse(&v, i, "helper %d (%s) is not provided by this host", in->imm,
					       kn);
				else
					refuse(
					    &v, i,
					    "unknown helper %d (not a kernel helper number, not registered)",
					    in->imm);
			}
			break;
		case ISA_KIND_LDDW:
			if ((in->src_reg == BPF_PSEUDO_MAP_IDX || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) &&
			    nr_maps) {
				char buf[160];
				const char *bad =
				    check_map_ref(in, &insns[i + 1], maps, nr_maps, buf, sizeof(buf));
				if (bad)
					refuse(&v, i, "%s", bad);
			} else if (in->src_reg == BPF_PSEUDO_FUNC) {
				/* a callback's address (bpf_loop): like a local call's target */
				target = (int64_t)i + 1 + in->imm;
				if (target < 0 || target >= (int64_t)cnt)
					refuse(&v, i,
					       "function target %" PRId64 " is outside the program (0..%zu)",
					       target, cnt - 1);
				else if (ops[target] == ISA_NR_OPS)
					refuse(&v, i,
					       "function target %" PRId64 " is the second slot of an lddw",
					       target);
				else if (insns[i + 1].imm != 0)
					refuse(&v, i,
					       "a function address (src_reg 4) must have 0 in the second "
					       "slot's imm");
			} else if (in->src_reg != 0)
				refuse(&v, i, "lddw src_reg %u (%s) needs the object loader", in->src_reg,
				       pseudo_name(in->src_reg));
			break;
		default:
			break;
		}
	}

	/* Falling off the end: the last instruction must end the path or jump unconditionally. */
	if (ops[last] < ISA_NR_OPS && v.errors == last_errors) {
		const struct isa_form *f = &isa_forms[ops[last]];
		if (f->kind != ISA_KIND_EXIT && f->kind != ISA_KIND_JA && f->kind != ISA_KIND_JA32)
			refuse(&v, last,
			       "execution falls off the end of the program (the last instruction "
			       "must be exit or ja)");
	}
	return v.errors ? -EINVAL : 0;
}
