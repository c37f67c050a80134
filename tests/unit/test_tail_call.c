/*
 * test_tail_call.c - bpf_tail_call (helper 12) through both engines: program ids, a chain of programs,
 * the 33-call limit (the kernel's MAX_TAIL_CALL_CNT: the first program plus 33 tail calls run),
 * missing entries and out-of-range indexes falling through with r0 = -ENOENT, the reference a
 * prog_array slot holds, and a fast-engine run refusing to enter an untrusted program.
 */
#include <errno.h>

#include "insn.h"
#include "test.h"
#include "userbpf/maps.h"
#include "userbpf/userbpf.h"

#define I_LDMAP(DST, IDX)                                                                                    \
	I_RAW(BPF_LD | BPF_IMM | BPF_DW, DST, BPF_PSEUDO_MAP_IDX, 0, IDX), I_RAW(0, 0, 0, 0, 0)

/* ctx: u64 runs (incremented by every program), u64 index (where to tail call) */
struct tctx {
	uint64_t runs, index;
};

static struct userbpf_helpers *helpers;
static struct userbpf_map *pa;

static struct userbpf_prog *load(const struct userbpf_insn *p, size_t n, unsigned flags)
{
	char log[256] = "";
	struct userbpf_prog_opts o =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = helpers, .log_buf = log, .log_size = sizeof(log),
			      .flags = flags, .maps = &pa, .nr_maps = 1);
	struct userbpf_prog *prog = userbpf_prog__load(p, n, &o);
	if (!prog)
		fprintf(stderr, "load: %s", log);
	CHECK(prog);
	return prog;
}

/* Counts its run, tail calls ctx->index, and on fall-through returns 1000 + runs. */
static const struct userbpf_insn counter[] = {
    I_MOV64_REG(6, 1),
    I_LDX(BPF_DW, 0, 6, 0),
    I_ALU64_IMM(BPF_ADD, 0, 1),
    I_STX(BPF_DW, 6, 0, 0),
    I_MOV64_REG(1, 6),
    I_LDMAP(2, 0),
    I_LDX(BPF_DW, 3, 6, 8),
    I_CALL(12),
    I_LDX(BPF_DW, 0, 6, 0),
    I_ALU64_IMM(BPF_ADD, 0, 1000),
    I_EXIT(),
};
#define NCOUNTER (sizeof(counter) / sizeof(counter[0]))

/* Tail calls ctx->index and returns r0 as the helper left it. */
static const struct userbpf_insn raw[] = {
    I_MOV64_REG(6, 1), I_LDMAP(2, 0), I_LDX(BPF_DW, 3, 6, 8), I_CALL(12), I_EXIT(),
};

/* Returns 77 + ctx->runs. */
static const struct userbpf_insn leaf[] = {
    I_LDX(BPF_DW, 0, 1, 0),
    I_ALU64_IMM(BPF_ADD, 0, 77),
    I_EXIT(),
};

static uint64_t run(const struct userbpf_prog *p, enum userbpf_exec exec, uint64_t index, uint64_t *runs)
{
	struct tctx c = {.runs = 0, .index = index};
	char err[256] = "";
	struct userbpf_run_opts o = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = &c, .ctx_size = sizeof(c),
						      .exec = exec, .err_buf = err, .err_size = sizeof(err));
	int e = userbpf_prog__run(p, &o);
	if (e)
		fprintf(stderr, "run: %d %s\n", e, err);
	CHECK_EQ_INT(e, 0);
	if (runs)
		*runs = c.runs;
	return o.retval;
}

static void setup(void)
{
	helpers = userbpf_helpers__new();
	CHECK_EQ_INT(userbpf_helpers__add_kernel(helpers), 0);
	pa = userbpf_map_create(USERBPF_MAP_TYPE_PROG_ARRAY, "pa", 4, 4, 8, NULL);
	CHECK(pa);
}

static void teardown(void)
{
	for (uint32_t k = 0; k < 8; k++)
		userbpf_map_delete_elem(pa, &k);
	userbpf_map__free(pa);
	userbpf_helpers__free(helpers);
}

static void set_slot(uint32_t k, const struct userbpf_prog *p)
{
	uint32_t id = userbpf_prog__id(p);
	CHECK_EQ_INT(userbpf_map_update_elem(pa, &k, &id, 0), 0);
}

static const enum userbpf_exec engines[] = {USERBPF_EXEC_FAST, USERBPF_EXEC_CHECKED};

TEST(prog_ids)
{
	setup();
	struct userbpf_prog *a = load(leaf, 3, 0), *b = load(leaf, 3, 0);
	CHECK(userbpf_prog__id(a) && userbpf_prog__id(b) > userbpf_prog__id(a));
	uint32_t old = userbpf_prog__id(b);
	userbpf_prog__free(b);
	b = load(leaf, 3, 0);
	CHECK(userbpf_prog__id(b) > old); /* never reused */
	CHECK_EQ_INT(userbpf_prog__id(NULL), 0);
	uint32_t k = 0, bad = old;
	CHECK(userbpf_map_update_elem(pa, &k, &bad, 0) < 0); /* a freed program's id resolves to nothing */
	userbpf_prog__free(a);
	userbpf_prog__free(b);
	teardown();
}

TEST(limit_33)
{
	setup();
	struct userbpf_prog *p = load(counter, NCOUNTER, USERBPF_PROG_F_TRUSTED);
	set_slot(0, p);
	for (int e = 0; e < 2; e++) {
		uint64_t runs = 0;
		/* slot 0 is the program itself: it runs once, then 33 times by tail call, then falls through
		 */
		CHECK_EQ_U64(run(p, engines[e], 0, &runs), 1000 + 34);
		CHECK_EQ_U64(runs, 34);
	}
	userbpf_prog__free(p); /* the slot keeps it alive */
	teardown();
}

TEST(fall_through)
{
	setup();
	struct userbpf_prog *p = load(counter, NCOUNTER, USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *r = load(raw, sizeof(raw) / sizeof(raw[0]), USERBPF_PROG_F_TRUSTED);
	set_slot(0, p);
	for (int e = 0; e < 2; e++) {
		uint64_t runs = 0;
		CHECK_EQ_U64(run(p, engines[e], 5, &runs), 1001); /* empty slot */
		CHECK_EQ_U64(runs, 1);
		CHECK_EQ_U64(run(p, engines[e], 8, &runs), 1001);	   /* index out of range */
		CHECK_EQ_U64(run(p, engines[e], 1ull << 32, &runs), 1034); /* index is u32: 1<<32 is 0 */
		CHECK_EQ_INT((int64_t)run(r, engines[e], 3, NULL), -ENOENT);
	}
	userbpf_prog__free(p);
	userbpf_prog__free(r);
	teardown();
}

TEST(chain)
{
	setup();
	struct userbpf_prog *p = load(counter, NCOUNTER, USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *l = load(leaf, 3, USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *r = load(raw, sizeof(raw) / sizeof(raw[0]), USERBPF_PROG_F_TRUSTED);
	set_slot(1, p);
	set_slot(2, l);
	userbpf_prog__free(l); /* held by slot 2 */
	for (int e = 0; e < 2; e++) {
		uint64_t runs = 0;
		/* raw -> counter (index 1) -> counter ... : counter tail calls index 1 too */
		CHECK_EQ_U64(run(r, engines[e], 1, &runs), 1000 + 33);
		CHECK_EQ_U64(runs, 33);
		/* raw -> leaf: the leaf's value, nothing after the call in raw runs */
		CHECK_EQ_U64(run(r, engines[e], 2, &runs), 77);
	}
	uint32_t k = 2;
	CHECK_EQ_INT(userbpf_map_delete_elem(pa, &k), 0); /* the leaf goes */
	CHECK_EQ_INT((int64_t)run(r, USERBPF_EXEC_CHECKED, 2, NULL), -ENOENT);
	userbpf_prog__free(p);
	userbpf_prog__free(r);
	teardown();
}

TEST(fast_refuses_untrusted_target)
{
	setup();
	struct userbpf_prog *r = load(raw, sizeof(raw) / sizeof(raw[0]), USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *l = load(leaf, 3, 0);
	set_slot(0, l);
	CHECK_EQ_INT((int64_t)run(r, USERBPF_EXEC_FAST, 0, NULL), -EPERM);
	CHECK_EQ_U64(run(r, USERBPF_EXEC_CHECKED, 0, NULL), 77);
	userbpf_prog__free(l);
	userbpf_prog__free(r);
	teardown();
}
