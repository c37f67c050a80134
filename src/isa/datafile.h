/*
 * datafile.h - the bpf_conformance `.data` format: sections opened by `-- NAME` lines, `#` comments.
 *
 * Sections: `asm` (program text), `raw` (hex instruction bytes, or 64-bit 0x words), `mem` (hex bytes
 * of the memory block), `result` (expected r0), `error` (the run must fail; body is the expected
 * message, possibly empty). Others (`c`, `no register offset`, ...) are kept as unknown and ignored.
 * Used by the CLI (`userbpf run FILE.data`), the plugin's tests and the conformance tests.
 */
#ifndef USERBPF_DATAFILE_H
#define USERBPF_DATAFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"

struct datafile {
	char *asm_text;   /* text of the asm section, NULL if none */
	int asm_line;     /* 1-based line of the file where asm_text's first line stands */
	struct userbpf_insn *raw; /* instructions of the raw section (malloc'ed) */
	size_t raw_cnt;
	bool has_raw;
	uint8_t *mem;     /* bytes of the mem section (malloc'ed) */
	size_t mem_len;
	bool has_mem;
	uint64_t result;  /* value of the result section */
	bool has_result;
	char *error;      /* body of the error section ("" when empty), NULL if none */
};

/*
 * Parse a whole file's text. 0 on success; -EINVAL with "LINE:COL: what is wrong" in err (a bad hex
 * byte, a result that is not a number, ...); -ENOMEM. On failure df is left empty (safe to free).
 */
USERBPF_HIDDEN int datafile_parse(const char *text, struct datafile *df, char *err, size_t err_size);
USERBPF_HIDDEN void datafile_free(struct datafile *df);

#endif /* USERBPF_DATAFILE_H */
