/*
 * fuzz_asm.c - libFuzzer target for the assembler: userbpf_asm() on arbitrary text must not crash or
 * trip a sanitizer, and when it succeeds, the disassembly of every slot (in both syntaxes, joined
 * into one program so relative offsets keep their meaning) must assemble back to the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userbpf/userbpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Disassemble all of insns[0..cnt) in `syntax`, one line per instruction; malloc'ed text. */
static char *disasm_all(const struct userbpf_insn *insns, size_t cnt, enum userbpf_syntax syntax)
{
	size_t cap = 256 + cnt * 260, len = 0;
	char *text = malloc(cap);
	if (!text)
		abort();
	text[0] = 0;
	for (size_t i = 0; i < cnt;) {
		char line[256];
		int n = userbpf_disasm_insn(insns, cnt, i, syntax, line, sizeof(line));
		if (n != 1 && n != 2 && n != -EINVAL) {
			fprintf(stderr, "userbpf_disasm_insn(slot %zu) returned %d\n", i, n);
			abort();
		}
		if (strlen(line) >= sizeof(line) - 1) {
			fprintf(stderr, "slot %zu: disassembly fills the whole buffer: %s\n", i, line);
			abort();
		}
		len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
		i += n > 0 ? (size_t)n : 1;
	}
	return text;
}

static void roundtrip(const struct userbpf_insn *insns, size_t cnt, enum userbpf_syntax syntax)
{
	char *text = disasm_all(insns, cnt, syntax);
	struct userbpf_insn *again = NULL;
	size_t again_cnt = 0;
	char err[256] = "";
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int ret = userbpf_asm(text, &again, &again_cnt, &o);
	if (ret != 0) {
		fprintf(stderr, "disassembly (syntax %d) does not assemble: %s\n%s", syntax, err, text);
		abort();
	}
	if (again_cnt != cnt || memcmp(again, insns, cnt * sizeof(*insns)) != 0) {
		size_t i = 0;
		while (i < cnt && i < again_cnt && memcmp(&again[i], &insns[i], sizeof(*insns)) == 0)
			i++;
		fprintf(stderr,
			"round trip (syntax %d) changed the program: %zu -> %zu slots, first difference at "
			"slot %zu\n%s",
			syntax, cnt, again_cnt, i, text);
		abort();
	}
	free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;

	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	char err[64]; /* small on purpose: messages must be truncated safely */
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int ret = userbpf_asm(text, &insns, &cnt, &o);
	if (ret == 0) {
		if (cnt && !insns)
			abort();
		roundtrip(insns, cnt, USERBPF_SYNTAX_C);
		roundtrip(insns, cnt, USERBPF_SYNTAX_CONFORMANCE);
		free(insns);
	} else if (ret != -EINVAL && ret != -ENOMEM) {
		fprintf(stderr, "userbpf_asm returned %d\n", ret);
		abort();
	} else if (ret == -EINVAL && (strnlen(err, sizeof(err)) >= sizeof(err) || o.err_line < 1)) {
		fprintf(stderr, "bad error report: line %d, \"%.*s\"\n", o.err_line, (int)sizeof(err), err);
		abort();
	}
	free(text);
	return 0;
}
