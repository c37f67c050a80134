/*
 * fuzz_interp.c - libFuzzer target for the loader and the checked interpreter. Input layout:
 *
 *     byte 0      bits 0-2: cpu_version (0..7; above 4 must be refused cleanly), bit 3: tiny log buffer
 *     bytes 1-2   ctx length L, little-endian (capped at 1024)
 *     L bytes     the ctx block
 *     the rest    instruction slots (a partial last slot is dropped)
 *
 * The program goes to userbpf_prog__load() without the trusted flag; if accepted it runs on the
 * checked engine with a 100000-instruction budget and a ctx buffer of exactly L bytes (so ASan sees
 * any stray access). Checked: no crash, no sanitizer report, only documented errors, and a run that
 * returns 0 stayed within its budget. When the fast engine is allowed too (the program was proven)
 * and the program calls no helper, it must agree with the checked run on r0 and on the ctx bytes.
 * Before loading, the slots (up to 256) are disassembled in both syntaxes and must assemble back to
 * the same bytes: invalid slots come out as `.insn` lines that do.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userbpf/userbpf.h"

#define BUDGET	100000
#define MAX_CTX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct userbpf_helpers *helpers;

static int calls_helper(const struct userbpf_insn *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (insns[i].code == 0x85 && insns[i].src_reg == 0)
			return 1;
	return 0;
}

/* Arbitrary slots -> disassembly -> assembler -> the same slots. */
static void disasm_roundtrip(const struct userbpf_insn *insns, size_t cnt, enum userbpf_syntax syntax)
{
	static char text[256 * 200];
	size_t len = 0;
	for (size_t i = 0; i < cnt;) {
		char line[192];
		int n = userbpf_disasm_insn(insns, cnt, i, syntax, line, sizeof(line));
		if (n != 1 && n != 2 && n != -EINVAL) {
			fprintf(stderr, "userbpf_disasm_insn(slot %zu) returned %d\n", i, n);
			abort();
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", line);
		i += n > 0 ? (size_t)n : 1;
	}
	struct userbpf_insn *again = NULL;
	size_t again_cnt = 0;
	char err[128] = "";
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	if (userbpf_asm(text, &again, &again_cnt, &o) != 0) {
		fprintf(stderr, "disassembly (syntax %d) does not assemble: %s\n%s", syntax, err, text);
		abort();
	}
	if (again_cnt != cnt || memcmp(again, insns, cnt * sizeof(*insns)) != 0) {
		size_t i = 0;
		while (i < cnt && i < again_cnt && memcmp(&again[i], &insns[i], sizeof(*insns)) == 0)
			i++;
		fprintf(stderr, "disassembly (syntax %d) reassembles differently from slot %zu\n%s", syntax,
			i, text);
		abort();
	}
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	if (!helpers) {
		helpers = userbpf_helpers__new();
		if (!helpers || userbpf_helpers__add_std(helpers) < 0)
			abort();
	}
	unsigned cpu = data[0] & 7;
	int tiny_log = data[0] & 8;
	size_t ctx_len = (size_t)(data[1] | data[2] << 8);
	data += 3;
	size -= 3;
	if (ctx_len > MAX_CTX)
		ctx_len = MAX_CTX;
	if (ctx_len > size)
		ctx_len = size;
	size_t cnt = (size - ctx_len) / sizeof(struct userbpf_insn);

	/* Exact-size heap copies, so ASan catches reads past either end. */
	uint8_t *ctx = malloc(ctx_len ? ctx_len : 1);
	uint8_t *ctx2 = malloc(ctx_len ? ctx_len : 1);
	struct userbpf_insn *insns = malloc(cnt ? cnt * sizeof(*insns) : 1);
	if (!ctx || !ctx2 || !insns)
		abort();
	memcpy(ctx, data, ctx_len);
	memcpy(ctx2, data, ctx_len);
	memcpy(insns, data + ctx_len, cnt * sizeof(*insns));

	if (cnt > 0 && cnt <= 256) {
		disasm_roundtrip(insns, cnt, USERBPF_SYNTAX_C);
		disasm_roundtrip(insns, cnt, USERBPF_SYNTAX_CONFORMANCE);
	}

	char log[1024];
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = helpers, .log_buf = log,
			      .log_size = tiny_log ? 16 : sizeof(log), .cpu_version = cpu);
	struct userbpf_prog *prog = userbpf_prog__load(insns, cnt, &po);
	if (!prog) {
		if (errno != EINVAL && errno != ENOMEM && errno != E2BIG) {
			fprintf(stderr, "userbpf_prog__load: unexpected errno %d\n", errno);
			abort();
		}
		goto out;
	}
	if (cpu > 4) {
		fprintf(stderr, "userbpf_prog__load accepted cpu_version %u\n", cpu);
		abort();
	}
	if (userbpf_prog__insn_cnt(prog) != cnt)
		abort();

	char err[128];
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = ctx_len ? ctx : NULL, .ctx_size = ctx_len, .exec = USERBPF_EXEC_CHECKED,
	    .insn_budget = BUDGET, .err_buf = err, .err_size = sizeof(err));
	int ret = userbpf_prog__run(prog, &ro);
	if (ret != 0 && ret != -EFAULT && ret != -ETIME && ret != -E2BIG) {
		fprintf(stderr, "checked run: unexpected return %d\n", ret);
		abort();
	}
	if (ret == 0 && ro.insn_count > BUDGET) {
		fprintf(stderr, "checked run used %llu instructions, budget %d\n",
			(unsigned long long)ro.insn_count, BUDGET);
		abort();
	}
	if (ret == 0 && !calls_helper(insns, cnt)) {
		struct userbpf_run_opts fo =
		    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = ctx_len ? ctx2 : NULL, .ctx_size = ctx_len,
				      .exec = USERBPF_EXEC_FAST);
		int fret = userbpf_prog__run(prog, &fo);
		if (fret != -EPERM &&
		    (fret != 0 || fo.retval != ro.retval || memcmp(ctx, ctx2, ctx_len) != 0)) {
			fprintf(stderr,
				"fast run (ret %d, r0 0x%llx) disagrees with checked run (r0 0x%llx)\n", fret,
				(unsigned long long)fo.retval, (unsigned long long)ro.retval);
			abort();
		}
	}
	userbpf_prog__free(prog);
out:
	free(insns);
	free(ctx);
	free(ctx2);
	return 0;
}
