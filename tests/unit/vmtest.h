/*
 * vmtest.h - running hand-built programs in the unit tests: load with USERBPF_PROG_F_TRUSTED and
 * run through BOTH engines (fast and checked), each on its own copy of ctx, checking they agree on
 * the result, the error and the final ctx bytes. Also records which forms were run (form_seen[]),
 * for the coverage test of test_interp.c.
 */
#ifndef USERBPF_TEST_VMTEST_H
#define USERBPF_TEST_VMTEST_H

#include <errno.h>
#include <stdbool.h>

#include "insn.h"
#include "test.h"
#include "vm/vm.h"

static bool form_seen[ISA_NR_OPS];
static bool super_seen[VM_NR_OPS]; /* superinstructions the fast engine's records used */

/* Record which superinstructions the pre-decoder chose for `prog` (internal view, tests only). */
static inline void vt_mark_supers(const struct userbpf_prog *prog)
{
	const void *const *labels = interp_labels();
	for (size_t i = 0; i < prog->insn_cnt; i++) {
		if (prog->ops[i] >= ISA_NR_OPS)
			continue;
		for (int op = ISA_NR_OPS; op < VM_NR_OPS; op++)
			if (labels ? prog->code[i].h.label == labels[op]
				   : prog->code[i].h.op == (uintptr_t)op)
				super_seen[op] = true;
	}
}

struct runcfg {
	void *ctx;
	size_t ctx_size;
	const void *pkt;
	size_t pkt_size;
	const struct userbpf_helpers *helpers;
	const struct userbpf_region *regions;
	size_t nr_regions;
	uint64_t budget;
};

struct runres {
	int err;
	uint64_t r0;
	uint64_t count;
	char msg[256];
};

static inline struct userbpf_prog *vt_load(const struct userbpf_insn *p, size_t n,
					   const struct userbpf_helpers *helpers, char *log, size_t log_size)
{
	struct userbpf_prog_opts o = USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = helpers, .log_buf = log,
						       .log_size = log_size, .flags = USERBPF_PROG_F_TRUSTED);
	return userbpf_prog__load(p, n, &o);
}

static inline struct runres vt_exec(const struct userbpf_prog *prog, const struct runcfg *cfg, void *ctx,
				    enum userbpf_exec exec)
{
	struct runres r = {0};
	struct userbpf_run_opts o =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = ctx, .ctx_size = cfg->ctx_size, .packet = cfg->pkt,
			      .packet_size = cfg->pkt_size, .exec = exec, .regions = cfg->regions,
			      .nr_regions = cfg->nr_regions, .insn_budget = cfg->budget, .err_buf = r.msg,
			      .err_size = sizeof(r.msg));
	r.err = userbpf_prog__run(prog, &o);
	r.r0 = o.retval;
	r.count = o.insn_count;
	return r;
}

/* Run through both engines; both must succeed and agree. Returns r0 (and leaves the checked engine's
 * ctx in cfg->ctx). */
static inline uint64_t vt_run(const struct userbpf_insn *p, size_t n, struct runcfg *cfg, int line)
{
	char log[512];
	struct userbpf_prog *prog = vt_load(p, n, cfg ? cfg->helpers : NULL, log, sizeof(log));
	struct runcfg none = {0};
	if (!cfg)
		cfg = &none;
	if (!prog) {
		fprintf(stderr, "line %d: load failed: %s", line, log);
		test_failed_now = 1;
		return 0xdeadbeef;
	}
	vt_mark_supers(prog);
	for (size_t i = 0; i < n; i++) {
		const struct isa_form *f = isa_decode(&p[i]);
		if (f) {
			form_seen[f->op] = true;
			if (f->kind == ISA_KIND_LDDW)
				i++;
		}
	}
	unsigned char *c1 = NULL, *c2 = NULL;
	if (cfg->ctx) {
		c1 = malloc(cfg->ctx_size + 1);
		c2 = malloc(cfg->ctx_size + 1);
		memcpy(c1, cfg->ctx, cfg->ctx_size);
		memcpy(c2, cfg->ctx, cfg->ctx_size);
	}
	struct runres f = vt_exec(prog, cfg, c1, USERBPF_EXEC_FAST);
	struct runres c = vt_exec(prog, cfg, c2, USERBPF_EXEC_CHECKED);
	if (f.err || c.err) {
		fprintf(stderr, "line %d: run failed: fast %d, checked %d (%s)\n", line, f.err, c.err, c.msg);
		test_failed_now = 1;
	} else if (f.r0 != c.r0) {
		fprintf(stderr, "line %d: engines disagree: fast 0x%" PRIx64 ", checked 0x%" PRIx64 "\n",
			line, f.r0, c.r0);
		test_failed_now = 1;
	} else if (cfg->ctx && memcmp(c1, c2, cfg->ctx_size) != 0) {
		fprintf(stderr, "line %d: engines left different ctx bytes\n", line);
		test_failed_now = 1;
	}
	if (cfg->ctx)
		memcpy(cfg->ctx, c2, cfg->ctx_size);
	free(c1);
	free(c2);
	userbpf_prog__free(prog);
	return f.r0;
}

/* Checked engine only; returns the result with its error and message. */
static inline struct runres vt_checked(const struct userbpf_insn *p, size_t n, struct runcfg *cfg)
{
	struct runres r = {.err = -999};
	struct runcfg none = {0};
	if (!cfg)
		cfg = &none;
	struct userbpf_prog *prog = vt_load(p, n, cfg->helpers, r.msg, sizeof(r.msg));
	if (!prog)
		return r;
	r = vt_exec(prog, cfg, cfg->ctx, USERBPF_EXEC_CHECKED);
	userbpf_prog__free(prog);
	return r;
}

#define PROG(...)     ((const struct userbpf_insn[]){__VA_ARGS__})
#define PROG_LEN(...) (sizeof((const struct userbpf_insn[]){__VA_ARGS__}) / sizeof(struct userbpf_insn))
/* r0 of a program run through both engines (which must agree). */
#define RUN(...)	      vt_run(PROG(__VA_ARGS__), PROG_LEN(__VA_ARGS__), NULL, __LINE__)
#define RUN_CFG(CFG, ...)     vt_run(PROG(__VA_ARGS__), PROG_LEN(__VA_ARGS__), (CFG), __LINE__)
#define RUN_CHECKED(CFG, ...) vt_checked(PROG(__VA_ARGS__), PROG_LEN(__VA_ARGS__), (CFG))

#endif /* USERBPF_TEST_VMTEST_H */
