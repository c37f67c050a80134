/*
 * test_helpers.c - the helper registry: ids across 0..INT32_MAX (sparse, many), copied names,
 * -EEXIST / -EINVAL, the standard kernel-numbered helpers (add_std) called from programs, and
 * userbpf_version().
 */
#include "vmtest.h"

static uint64_t ret_cookie(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   const struct userbpf_call *call)
{
	return (uint64_t)(uintptr_t)call->cookie + r1;
}

TEST(add_and_name)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK(h);
	char name[16] = "first";
	CHECK_EQ_INT(userbpf_helpers__add(h, 7, name, ret_cookie, NULL), 0);
	strcpy(name, "changed");
	CHECK_STR(userbpf_helpers__name(h, 7), "first"); /* copied */
	CHECK_EQ_INT(userbpf_helpers__add(h, 7, "again", ret_cookie, NULL), -EEXIST);
	CHECK_EQ_INT(userbpf_helpers__add(h, 0, "zero", ret_cookie, NULL), 0);
	CHECK_EQ_INT(userbpf_helpers__add(h, INT32_MAX, "max", ret_cookie, NULL), 0);
	CHECK_EQ_INT(userbpf_helpers__add(h, (uint32_t)INT32_MAX + 1, "over", ret_cookie, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_helpers__add(h, 9, NULL, ret_cookie, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_helpers__add(h, 9, "nofn", NULL, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_helpers__add(NULL, 9, "x", ret_cookie, NULL), -EINVAL);
	CHECK_STR(userbpf_helpers__name(h, 0), "zero");
	CHECK_STR(userbpf_helpers__name(h, INT32_MAX), "max");
	CHECK(userbpf_helpers__name(h, 8) == NULL);
	CHECK(userbpf_helpers__name(NULL, 8) == NULL);
	userbpf_helpers__free(h);
	userbpf_helpers__free(NULL);
}

TEST(many_sparse_helpers)
{
	/* 300 helpers at scattered ids, added in a shuffled order; each call reaches its own cookie */
	struct userbpf_helpers *h = userbpf_helpers__new();
	enum { N = 300 };
	for (uint32_t k = 0; k < N; k++) {
		uint32_t i = (k * 7919) % N;
		uint32_t id = i * 7000003u % (uint32_t)INT32_MAX;
		char name[32];
		snprintf(name, sizeof(name), "h%u", i);
		CHECK_EQ_INT(userbpf_helpers__add(h, id, name, ret_cookie, (void *)(uintptr_t)(i * 10)), 0);
	}
	for (uint32_t i = 0; i < N; i += 37) {
		uint32_t id = i * 7000003u % (uint32_t)INT32_MAX;
		char name[32];
		snprintf(name, sizeof(name), "h%u", i);
		CHECK_STR(userbpf_helpers__name(h, id), name);
		struct runcfg cfg = {.helpers = h};
		struct userbpf_insn p[] = {I_MOV64_IMM(1, 3), I_CALL((int32_t)id), I_EXIT()};
		CHECK_EQ_U64(vt_run(p, 3, &cfg, __LINE__), i * 10 + 3);
	}
	/* two calls to different helpers in one program */
	struct runcfg cfg = {.helpers = h};
	uint32_t a = 5 * 7000003u % (uint32_t)INT32_MAX, b = 6 * 7000003u % (uint32_t)INT32_MAX;
	CHECK_EQ_U64(RUN_CFG(&cfg, I_MOV64_IMM(1, 0), I_CALL((int32_t)a), I_MOV64_REG(6, 0),
			     I_MOV64_IMM(1, 0), I_CALL((int32_t)b), I_ALU64_REG(BPF_ADD, 0, 6),
			     I_MOV64_REG(1, 0), I_CALL((int32_t)a), I_EXIT()),
		     50 + 60 + 50);
	userbpf_helpers__free(h);
}

TEST(std_helpers)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK_EQ_INT(userbpf_helpers__add_std(h), 0);
	CHECK_STR(userbpf_helpers__name(h, 5), "ktime_get_ns");
	CHECK_STR(userbpf_helpers__name(h, 7), "get_prandom_u32");
	CHECK_STR(userbpf_helpers__name(h, 8), "get_smp_processor_id");
	CHECK_STR(userbpf_helpers__name(h, 125), "ktime_get_boot_ns");
	CHECK_STR(userbpf_helpers__name(h, 160), "ktime_get_coarse_ns");
	CHECK_STR(userbpf_helpers__name(h, 208), "ktime_get_tai_ns");
	CHECK_EQ_INT(userbpf_helpers__add_std(h), -EEXIST);
	struct runcfg cfg = {.helpers = h};
	/* ktime_get_ns is monotonic and non-zero: t2 >= t1 > 0 */
	CHECK_EQ_U64(RUN_CFG(&cfg, I_CALL(5), I_MOV64_REG(6, 0), I_CALL(5), I_MOV64_REG(1, 0),
			     I_MOV64_IMM(0, 0), I_JMP_IMM(BPF_JEQ, 6, 0, 2), I_JMP_REG(BPF_JLT, 1, 6, 1),
			     I_MOV64_IMM(0, 1), I_EXIT()),
		     1);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_CALL(125), I_JMP_IMM(BPF_JEQ, 0, 0, 1), I_MOV64_IMM(0, 1), I_EXIT()), 1);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_CALL(160), I_JMP_IMM(BPF_JEQ, 0, 0, 1), I_MOV64_IMM(0, 1), I_EXIT()), 1);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_CALL(208), I_JMP_IMM(BPF_JEQ, 0, 0, 1), I_MOV64_IMM(0, 1), I_EXIT()), 1);
	CHECK_EQ_U64(RUN_CFG(&cfg, I_CALL(8), I_EXIT()), 0);
	/* prandom: 32-bit values, not all equal over a few calls */
	uint64_t seen_or = 0, seen_and = ~0ull;
	for (int i = 0; i < 8; i++) {
		struct userbpf_insn p[] = {I_CALL(7), I_EXIT()};
		struct userbpf_prog *prog = vt_load(p, 2, h, NULL, 0);
		struct runres r = vt_exec(prog, &cfg, NULL, USERBPF_EXEC_FAST);
		CHECK_EQ_INT(r.err, 0);
		CHECK(r.r0 <= 0xffffffffu);
		seen_or |= r.r0;
		seen_and &= r.r0;
		userbpf_prog__free(prog);
	}
	CHECK(seen_or != seen_and);
	userbpf_helpers__free(h);
}

TEST(version)
{
	CHECK_STR(userbpf_version(), "0.1.0");
}
