/*
 * test_checked.c - the checked interpreter's guarantees: every access bounds-checked against the
 * stacks, ctx and the run's regions (read-only ones refuse writes), exact -EFAULT / -ETIME / -E2BIG
 * messages naming the instruction and the faulting address, the instruction budget and count, and a
 * random-program smoke test (no crash whatever the program does; meant for ASan runs).
 */
#include "vmtest.h"

static char expect[512];

/* "insn IDX: <disassembly>: WHY" */
static const char *msg_for(const struct userbpf_insn *p, size_t n, size_t idx, const char *why)
{
	char dis[128];
	userbpf_disasm_insn(p, n, idx, USERBPF_SYNTAX_C, dis, sizeof(dis));
	snprintf(expect, sizeof(expect), "insn %zu: %s: %s", idx, dis, why);
	return expect;
}

TEST(ctx_bounds)
{
	uint8_t ctx[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct runcfg cfg = {.ctx = ctx, .ctx_size = sizeof(ctx)};
	struct runres r = RUN_CHECKED(&cfg, I_LDX(BPF_W, 0, 1, 4), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.r0, 0x08070605);
	CHECK_STR(r.msg, "");
	const struct userbpf_insn p[] = {I_MOV64_IMM(0, 0), I_LDX(BPF_DW, 0, 1, 1), I_EXIT()};
	r = vt_checked(p, 3, &cfg);
	CHECK_EQ_INT(r.err, -EFAULT);
	char why[128];
	snprintf(why, sizeof(why), "read of 8 bytes at 0x%" PRIxPTR " is outside every region",
		 (uintptr_t)ctx + 1);
	CHECK_STR(r.msg, msg_for(p, 3, 1, why));
	CHECK_EQ_U64(r.count, 2); /* the faulting instruction counts */
	r = RUN_CHECKED(&cfg, I_LDX(BPF_B, 0, 1, 8), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	r = RUN_CHECKED(&cfg, I_LDX(BPF_B, 0, 1, -1), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	r = RUN_CHECKED(&cfg, I_ST(BPF_B, 1, 7, 9), I_LDX(BPF_B, 0, 1, 7), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.r0, 9);
	CHECK_EQ_U64(ctx[7], 9);
}

TEST(wild_pointers)
{
	/* NULL, the top of the address space (wrap-around), a pointer just below the stack */
	struct runres r = RUN_CHECKED(NULL, I_LDX(BPF_DW, 0, 1, 0), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "read of 8 bytes at 0x0 is outside every region");
	r = RUN_CHECKED(NULL, I_MOV64_IMM(1, -1), I_LDX(BPF_DW, 0, 1, 4), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "at 0x3 is outside");
	r = RUN_CHECKED(NULL, I_MOV64_IMM(1, -1), I_ST(BPF_DW, 1, -3, 1), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "write of 8 bytes at 0xfffffffffffffffc is outside every region");
	r = RUN_CHECKED(NULL, I_ATOMIC(BPF_DW, BPF_ADD, 1, 1, 0), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	r = RUN_CHECKED(NULL, I_ST(BPF_DW, 10, -516, 1), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	/* stack straddling its top */
	r = RUN_CHECKED(NULL, I_ST(BPF_DW, 10, -4, 1), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "insn 0: *(u64 *)(r10 - 4) = 1: write of 8 bytes at 0x");
}

TEST(regions)
{
	uint64_t ro = 0x1122334455667788ull, rw = 0;
	const struct userbpf_region regs[] = {{&ro, sizeof(ro), 0}, {&rw, sizeof(rw), 1}};
	struct runcfg cfg = {.regions = regs, .nr_regions = 2};
	struct runres r;
	/* r1 = &ro, r2 = &rw via lddw of the host addresses */
	r = RUN_CHECKED(&cfg, I_LDDW(1, (uintptr_t)&ro), I_LDDW(2, (uintptr_t)&rw), I_LDX(BPF_DW, 0, 1, 0),
			I_STX(BPF_DW, 2, 0, 0), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(rw, ro);
	const struct userbpf_insn p[] = {I_LDDW(1, (uintptr_t)&ro), I_ST(BPF_W, 1, 4, 0), I_EXIT()};
	r = vt_checked(p, 4, &cfg);
	CHECK_EQ_INT(r.err, -EFAULT);
	char why[128];
	snprintf(why, sizeof(why), "write of 4 bytes at 0x%" PRIxPTR " to a read-only region",
		 (uintptr_t)&ro + 4);
	CHECK_STR(r.msg, msg_for(p, 4, 2, why));
	CHECK_EQ_U64(ro, 0x1122334455667788ull);
	/* atomics need a writable region too */
	r = RUN_CHECKED(&cfg, I_LDDW(1, (uintptr_t)&ro), I_ATOMIC(BPF_DW, BPF_ADD, 1, 1, 0), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	r = RUN_CHECKED(&cfg, I_LDDW(1, (uintptr_t)&rw), I_MOV64_IMM(3, 5),
			I_ATOMIC(BPF_DW, BPF_XCHG, 1, 3, 0), I_MOV64_REG(0, 3), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.r0, ro);
	CHECK_EQ_U64(rw, 5);
	/* one byte past a region */
	r = RUN_CHECKED(&cfg, I_LDDW(1, (uintptr_t)&rw), I_LDX(BPF_W, 0, 1, 5), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
}

TEST(stack_of_returned_frames)
{
	/* the callee returns a pointer into its own stack; the caller may not use it */
	struct runres r =
	    RUN_CHECKED(NULL, I_CALL_LOCAL(2), I_LDX(BPF_DW, 0, 0, 0), I_EXIT(), I_ST(BPF_DW, 10, -8, 1),
			I_MOV64_REG(0, 10), I_ALU64_IMM(BPF_ADD, 0, -8), I_EXIT());
	CHECK_EQ_INT(r.err, -EFAULT);
	CHECK_CONTAINS(r.msg, "insn 1: ");
	/* never-written stack reads as 0 */
	r = RUN_CHECKED(NULL, I_LDX(BPF_DW, 0, 10, -512), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.r0, 0);
}

TEST(budget)
{
	struct runcfg cfg = {.budget = 1000};
	const struct userbpf_insn p[] = {I_MOV64_IMM(0, 0), I_ALU64_IMM(BPF_ADD, 0, 1), I_JA(-2)};
	struct runres r = vt_checked(p, 3, &cfg);
	CHECK_EQ_INT(r.err, -ETIME);
	CHECK_EQ_U64(r.count, 1000);
	/* executed: insn 0, then add (insn 1) and ja (insn 2) in turn: the 1001st would be a ja */
	CHECK_STR(r.msg, msg_for(p, 3, 2, "instruction budget of 1000 spent"));
	/* exactly enough */
	cfg.budget = 3;
	r = RUN_CHECKED(&cfg, I_MOV64_IMM(0, 1), I_MOV64_IMM(0, 2), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.count, 3);
	cfg.budget = 2;
	r = RUN_CHECKED(&cfg, I_MOV64_IMM(0, 1), I_MOV64_IMM(0, 2), I_EXIT());
	CHECK_EQ_INT(r.err, -ETIME);
	/* the default budget is large: a 1e6-iteration loop runs */
	cfg.budget = 0;
	r = RUN_CHECKED(&cfg, I_MOV64_IMM(0, 0), I_MOV64_IMM(1, 1000000), I_ALU64_IMM(BPF_ADD, 0, 2),
			I_ALU64_IMM(BPF_SUB, 1, 1), I_JMP_IMM(BPF_JNE, 1, 0, -3), I_EXIT());
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_U64(r.r0, 2000000);
	CHECK_EQ_U64(r.count, 2 + 3 * 1000000 + 1);
}

TEST(no_err_buf)
{
	const struct userbpf_insn p[] = {I_LDX(BPF_DW, 0, 1, 0), I_EXIT()};
	struct userbpf_prog *prog = userbpf_prog__load(p, 2, NULL);
	struct userbpf_run_opts o = USERBPF_OPTS_INIT(userbpf_run_opts, .exec = USERBPF_EXEC_CHECKED);
	CHECK_EQ_INT(userbpf_prog__run(prog, &o), -EFAULT);
	/* an older run opts struct without the output fields: still runs, outputs not written */
	struct userbpf_run_opts old = {.sz = offsetof(struct userbpf_run_opts, exec)};
	CHECK_EQ_INT(userbpf_prog__run(prog, &old), -EFAULT);
	userbpf_prog__free(prog);
}

/* xorshift for the smoke test */
static uint64_t rnd_state = 0x123456789abcdefull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t smoke_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     const struct userbpf_call *call)
{
	return r1 ^ r2;
}

/*
 * Random programs built from the form table, with registers biased to r1 (ctx), r10 and small
 * offsets so that many accesses are in bounds and many are just outside. Whatever they do, the
 * checked engine must return 0 or one of its errors, never crash (run this under SANITIZE=1).
 */
TEST(random_programs_smoke)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	userbpf_helpers__add(h, 1, "x", smoke_helper, NULL);
	uint8_t ctx[64], rw[32];
	const struct userbpf_region regs[] = {{rw, sizeof(rw), 1}};
	int loaded = 0, ok = 0;
	for (int iter = 0; iter < 20000; iter++) {
		struct userbpf_insn p[24];
		size_t n = 2 + rnd() % 20;
		for (size_t i = 0; i < n; i++) {
			const struct isa_form *f = &isa_forms[rnd() % ISA_NR_OPS];
			struct userbpf_insn in = {.code = f->code};
			static const uint8_t regpick[] = {0, 1, 1, 2, 3, 6, 10, 10};
			in.dst_reg = regpick[rnd() % 8];
			in.src_reg = f->variant == ISA_VAR_SRC ? (uint8_t)f->value : regpick[rnd() % 8];
			in.off =
			    f->variant == ISA_VAR_OFF ? (int16_t)f->value : (int16_t)((int)(rnd() % 80) - 40);
			in.imm = f->variant == ISA_VAR_IMM ? f->value : (int32_t)((int)(rnd() % 80) - 40);
			if (f->kind == ISA_KIND_CALL_HELPER)
				in.imm = 1;
			if (f->kind == ISA_KIND_CALL_LOCAL || f->kind == ISA_KIND_JA32)
				in.imm = (int32_t)(rnd() % 5) - 2;
			p[i] = in;
		}
		p[n - 1] = I_EXIT();
		/* let the validator clear unused fields by retrying with them zeroed */
		struct userbpf_prog *prog = NULL;
		for (int attempt = 0; attempt < 2 && !prog; attempt++) {
			prog = userbpf_prog__load(p, n,
						  &(struct userbpf_prog_opts){
						      .sz = sizeof(struct userbpf_prog_opts), .helpers = h});
			if (!prog)
				for (size_t i = 0; i < n; i++) {
					const struct isa_form *f = isa_decode(&p[i]);
					if (f && f->kind != ISA_KIND_LDDW &&
					    isa_check_fields(f, &p[i], i + 1 < n ? &p[i + 1] : NULL)) {
						if (f->kind == ISA_KIND_ALU_K || f->kind == ISA_KIND_JCC_K)
							p[i].src_reg = 0;
						if (f->kind == ISA_KIND_ALU_X || f->kind == ISA_KIND_JCC_X ||
						    f->kind == ISA_KIND_LDX || f->kind == ISA_KIND_STX ||
						    f->kind == ISA_KIND_ATOMIC)
							p[i].imm = 0;
						if (f->kind == ISA_KIND_ALU_K || f->kind == ISA_KIND_ALU_X ||
						    f->kind == ISA_KIND_NEG || f->kind == ISA_KIND_END)
							p[i].off = f->variant == ISA_VAR_OFF ? p[i].off : 0;
						if (f->kind == ISA_KIND_NEG || f->kind == ISA_KIND_END)
							p[i].src_reg = 0,
							p[i].imm = f->variant == ISA_VAR_IMM ? p[i].imm : 0;
					}
				}
		}
		if (!prog)
			continue;
		loaded++;
		memset(ctx, 0x5a, sizeof(ctx));
		struct runcfg cfg = {.ctx = ctx,
				     .ctx_size = sizeof(ctx),
				     .regions = regs,
				     .nr_regions = 1,
				     .budget = 10000,
				     .helpers = h};
		struct runres r = vt_exec(prog, &cfg, ctx, USERBPF_EXEC_CHECKED);
		CHECK(r.err == 0 || r.err == -EFAULT || r.err == -ETIME || r.err == -E2BIG);
		ok += r.err == 0;
		userbpf_prog__free(prog);
	}
	fprintf(stderr, "random programs: %d loaded, %d ran to exit\n", loaded, ok);
	CHECK(loaded > 500);
	userbpf_helpers__free(h);
}
