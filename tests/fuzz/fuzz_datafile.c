/*
 * fuzz_datafile.c - libFuzzer target for the `.data` parser: datafile_parse() on arbitrary text must
 * not crash or trip a sanitizer, must leave `df` empty with a "LINE:COL: ..." message on failure, and
 * must give the same answer twice. A parsed asm section then goes through userbpf_asm(), as the CLI
 * does.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/datafile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_empty(const struct datafile *df)
{
	return !df->asm_text && !df->raw && !df->raw_cnt && !df->has_raw && !df->mem && !df->mem_len &&
	       !df->has_mem && !df->has_result && !df->error;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;

	struct datafile df, df2;
	char err[128], err2[128];
	memset(&df, 0, sizeof(df));
	memset(&df2, 0, sizeof(df2));
	err[0] = err2[0] = 0;
	int ret = datafile_parse(text, &df, err, sizeof(err));
	int ret2 = datafile_parse(text, &df2, err2, sizeof(err2));
	if (ret != ret2) {
		fprintf(stderr, "datafile_parse is not deterministic: %d then %d\n", ret, ret2);
		abort();
	}
	if (ret == 0) {
		if ((df.raw_cnt && !df.raw) || (df.mem_len && !df.mem) || (df.raw_cnt && !df.has_raw) ||
		    (df.mem_len && !df.has_mem) || (df.asm_text && df.asm_line < 1)) {
			fprintf(stderr, "datafile_parse: inconsistent result\n");
			abort();
		}
		if (df.raw_cnt != df2.raw_cnt || df.mem_len != df2.mem_len || df.result != df2.result ||
		    (df.raw_cnt && memcmp(df.raw, df2.raw, df.raw_cnt * sizeof(*df.raw))) ||
		    (df.mem_len && memcmp(df.mem, df2.mem, df.mem_len)) || !df.asm_text != !df2.asm_text ||
		    (df.asm_text && strcmp(df.asm_text, df2.asm_text))) {
			fprintf(stderr, "datafile_parse: two parses differ\n");
			abort();
		}
		if (df.asm_text) {
			struct userbpf_insn *insns = NULL;
			size_t cnt = 0;
			char aerr[128];
			struct userbpf_asm_opts o =
			    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = aerr, .err_size = sizeof(aerr));
			if (userbpf_asm(df.asm_text, &insns, &cnt, &o) == 0)
				free(insns);
		}
	} else if (ret == -EINVAL) {
		const char *p = err;
		if (!is_empty(&df) || !isdigit((unsigned char)*p)) {
			fprintf(stderr,
				"datafile_parse failed without an empty df / a LINE:COL message: \"%s\"\n",
				err);
			abort();
		}
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != ':') {
			fprintf(stderr, "datafile_parse message is not LINE:COL: \"%s\"\n", err);
			abort();
		}
	} else if (ret != -ENOMEM) {
		fprintf(stderr, "datafile_parse returned %d\n", ret);
		abort();
	}
	datafile_free(&df);
	datafile_free(&df2);
	free(text);
	return 0;
}
