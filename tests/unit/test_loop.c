/*
 * test_loop.c - bpf_loop (helper 181) through both engines: callbacks given as lddw src=4 function
 * addresses, the sum of indexes, early stop (the count includes the stopping iteration), flags and
 * nr limits, a callback working on its caller's stack (the checked engine allows it), the checked
 * engine's budget counting callback instructions, and refusals of bad function addresses.
 */
#include <errno.h>

#include "insn.h"
#include "test.h"
#include "userbpf/userbpf.h"

#define I_LDFUNC(DST, REL)                                                                                   \
	I_RAW(BPF_LD | BPF_IMM | BPF_DW, DST, BPF_PSEUDO_FUNC, 0, REL), I_RAW(0, 0, 0, 0, 0)

/* ctx: u64 sum, u64 stop_at, u64 nr, u64 flags */
static const struct userbpf_insn sum_prog[] = {
    /* 0 */ I_MOV64_REG(6, 1),
    /* 1 */ I_LDX(BPF_DW, 1, 6, 16),
    /* 2 */ I_LDFUNC(2, 5), /* -> 8 */
    /* 4 */ I_MOV64_REG(3, 6),
    /* 5 */ I_LDX(BPF_DW, 4, 6, 24),
    /* 6 */ I_CALL(181),
    /* 7 */ I_EXIT(),
    /* 8: callback(index, ctx) */ I_LDX(BPF_DW, 3, 2, 0),
    /* 9 */ I_ALU64_REG(BPF_ADD, 3, 1),
    /* 10 */ I_STX(BPF_DW, 2, 3, 0),
    /* 11 */ I_MOV64_IMM(0, 0),
    /* 12 */ I_LDX(BPF_DW, 4, 2, 8),
    /* 13 */ I_JMP_REG(BPF_JNE, 1, 4, 1),
    /* 14 */ I_MOV64_IMM(0, 1),
    /* 15 */ I_EXIT(),
};

/* A counter on the caller's stack, bumped by the callback 5 times: returns count * 100 + bpf_loop's r0. */
static const struct userbpf_insn stack_prog[] = {
    /* 0 */ I_MOV64_REG(6, 1),
    /* 1 */ I_ST(BPF_DW, 10, -8, 0),
    /* 2 */ I_MOV64_IMM(1, 5),
    /* 3 */ I_LDFUNC(2, 10), /* -> 14 */
    /* 5 */ I_MOV64_REG(3, 10),
    /* 6 */ I_ALU64_IMM(BPF_ADD, 3, -8),
    /* 7 */ I_MOV64_IMM(4, 0),
    /* 8 */ I_CALL(181),
    /* 9 */ I_MOV64_REG(7, 0),
    /* 10 */ I_LDX(BPF_DW, 0, 10, -8),
    /* 11 */ I_ALU64_IMM(BPF_MUL, 0, 100),
    /* 12 */ I_ALU64_REG(BPF_ADD, 0, 7),
    /* 13 */ I_EXIT(),
    /* 14 */ I_LDX(BPF_DW, 3, 2, 0),
    /* 15 */ I_ALU64_IMM(BPF_ADD, 3, 1),
    /* 16 */ I_STX(BPF_DW, 2, 3, 0),
    /* 17 */ I_MOV64_IMM(0, 0),
    /* 18 */ I_EXIT(),
};

struct lctx {
	uint64_t sum, stop_at, nr, flags;
};

static struct userbpf_prog *load(const struct userbpf_insn *p, size_t n, char *log, size_t log_size)
{
	static struct userbpf_helpers *h;
	if (!h) {
		h = userbpf_helpers__new();
		userbpf_helpers__add_kernel(h);
	}
	struct userbpf_prog_opts o = USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log,
						       .log_size = log_size, .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *prog = userbpf_prog__load(p, n, &o);
	return prog;
}

static int run(const struct userbpf_prog *p, enum userbpf_exec exec, struct lctx *c, uint64_t budget,
	       uint64_t *r0, uint64_t *count, char *err, size_t err_size)
{
	struct userbpf_run_opts o =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = c, .ctx_size = sizeof(*c), .exec = exec,
			      .insn_budget = budget, .err_buf = err, .err_size = err_size);
	int e = userbpf_prog__run(p, &o);
	*r0 = o.retval;
	if (count)
		*count = o.insn_count;
	return e;
}

static const enum userbpf_exec engines[] = {USERBPF_EXEC_FAST, USERBPF_EXEC_CHECKED};

TEST(loop_sum_and_stop)
{
	char log[256] = "", err[256];
	struct userbpf_prog *p = load(sum_prog, sizeof(sum_prog) / sizeof(sum_prog[0]), log, sizeof(log));
	if (!p) {
		fprintf(stderr, "load: %s", log);
		CHECK(p);
		return;
	}
	for (int e = 0; e < 2; e++) {
		uint64_t r0, count;
		struct lctx c = {.stop_at = 1000, .nr = 10};
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, &count, err, sizeof(err)), 0);
		CHECK_EQ_U64(r0, 10);
		CHECK_EQ_U64(c.sum, 45);
		if (engines[e] == USERBPF_EXEC_CHECKED)
			CHECK_EQ_U64(count, 7 + 10 * 7); /* the callbacks' instructions count too */
		c = (struct lctx){.stop_at = 3, .nr = 10};
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, NULL, err, sizeof(err)), 0);
		CHECK_EQ_U64(r0, 4); /* 0, 1, 2, 3: stopped at 3 */
		CHECK_EQ_U64(c.sum, 6);
		c = (struct lctx){.stop_at = 1000, .nr = 0};
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, NULL, err, sizeof(err)), 0);
		CHECK_EQ_U64(r0, 0);
		c = (struct lctx){.stop_at = 1000, .nr = 10, .flags = 1};
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, NULL, err, sizeof(err)), 0);
		CHECK_EQ_INT((int64_t)r0, -EINVAL);
		CHECK_EQ_U64(c.sum, 0);
		c = (struct lctx){.stop_at = 1000, .nr = (1u << 23) + 1};
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, NULL, err, sizeof(err)), 0);
		CHECK_EQ_INT((int64_t)r0, -E2BIG);
	}
	/* the checked engine's budget covers the callbacks */
	struct lctx c = {.stop_at = 1000, .nr = 1000};
	uint64_t r0;
	CHECK_EQ_INT(run(p, USERBPF_EXEC_CHECKED, &c, 500, &r0, NULL, err, sizeof(err)), -ETIME);
	CHECK_CONTAINS(err, "instruction budget of 500 spent");
	userbpf_prog__free(p);
}

TEST(loop_caller_stack)
{
	char log[256] = "", err[256];
	struct userbpf_prog *p =
	    load(stack_prog, sizeof(stack_prog) / sizeof(stack_prog[0]), log, sizeof(log));
	CHECK(p);
	if (!p)
		return;
	for (int e = 0; e < 2; e++) {
		uint64_t r0;
		struct lctx c = {0};
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, NULL, err, sizeof(err)), 0);
		CHECK_EQ_U64(r0, 505);
	}
	userbpf_prog__free(p);
}

TEST(loop_bad_function)
{
	char log[256] = "", err[256] = "";
	/* a function address outside the program, and into an lddw's second slot */
	struct userbpf_insn out[] = {I_LDFUNC(2, 10), I_EXIT()};
	CHECK(!load(out, 3, log, sizeof(log)));
	CHECK_CONTAINS(log, "function target 11 is outside the program");
	struct userbpf_insn mid[] = {I_LDFUNC(2, 0), I_EXIT()};
	CHECK(!load(mid, 3, log, sizeof(log)));
	CHECK_CONTAINS(log, "function target 1 is the second slot of an lddw");
	/* a callback value that is no function address of the program ends the run */
	struct userbpf_insn calc[] = {I_MOV64_IMM(1, 3), I_MOV64_IMM(2, 4), I_MOV64_IMM(3, 0),
				      I_MOV64_IMM(4, 0), I_CALL(181),	    I_EXIT()};
	struct userbpf_prog *p = load(calc, 6, log, sizeof(log));
	CHECK(p);
	for (int e = 0; p && e < 2; e++) {
		uint64_t r0;
		struct lctx c = {0};
		err[0] = 0;
		CHECK_EQ_INT(run(p, engines[e], &c, 0, &r0, NULL, err, sizeof(err)), -EINVAL);
		CHECK_CONTAINS(err, "callback at insn 4: not a function of the program");
	}
	userbpf_prog__free(p);
}
