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
 * Build prog->code from the validated program. Each slot becomes one 16-byte record holding the
 * handler address (so dispatch is a single indirect jump with no table lookup), the registers, off
 * and imm; the ja displacement is moved to imm so ja and ja32 share a handler; helper ids become
 * indexes of prog->helpers; an lddw's second record holds the 64-bit constant.
 */
static int predecode(struct userbpf_prog *prog, const struct userbpf_helpers *helpers)
{
	const void *const *labels = interp_labels();
	size_t n = prog->insn_cnt;
	struct vm_insn *code = calloc(n + 1, sizeof(*code));
	if (!code)
		return -ENOMEM;
	prog->code = code;
	for (size_t i = 0; i < n; i++) {
		const struct userbpf_insn *in = &prog->insns[i];
		unsigned op = prog->ops[i];
		if (op == ISA_NR_OPS) { /* second slot of an lddw */
			code[i].h.u64 = (uint64_t)(uint32_t)prog->insns[i - 1].imm | (uint64_t)in->imm << 32;
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
			if (slot < 0)
				return (int)slot;
			r->imm = (int32_t)slot;
			break;
		}
		case ISA_KIND_CALL_LOCAL:
			prog->has_local_calls = true;
			break;
		default:
			break;
		}
		if (labels)
			r->h.label = labels[op];
		else
			r->h.op = op;
	}
	/* A record past the end, never reached (validation refuses falling off the end). */
	if (labels)
		code[n].h.label = labels[VM_OP_EXIT];
	else
		code[n].h.op = VM_OP_EXIT;
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

	int err = validate_prog(prog->insns, insn_cnt, cpu, helpers, prog->ops, log, log_size);
	if (!err)
		err = predecode(prog, helpers);
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
	if (!prog)
		return;
	free(prog->insns);
	free(prog->ops);
	free(prog->code);
	free(prog->helpers);
	free(prog);
}

size_t userbpf_prog__insn_cnt(const struct userbpf_prog *prog)
{
	return prog ? prog->insn_cnt : 0;
}

const struct userbpf_insn *userbpf_prog__insns(const struct userbpf_prog *prog)
{
	return prog ? prog->insns : NULL;
}

int userbpf_prog__run(const struct userbpf_prog *prog, struct userbpf_run_opts *opts)
{
	if (!prog)
		return -EINVAL;
	if (opts && !vm_opts_valid(opts, opts->sz, sizeof(*opts)))
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
	if (exec == USERBPF_EXEC_FAST)
		err = interp_run(prog, &run, &ret);
	else
		err = interp_run_checked(prog, &run, &ret, &count);
	VM_OPTS_SET(opts, insn_count, count);
	if (!err)
		VM_OPTS_SET(opts, retval, ret);
	return err;
}
