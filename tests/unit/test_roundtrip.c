/*
 * test_roundtrip.c - over every tests/NAME.data of the conformance folder: the asm section assembles to
 * exactly assembled.jsonl's program_hex (callx.data excepted: `call %r2` is refused), and the
 * program disassembled in both syntaxes reassembles to the same bytes. Also the raw section of the
 * files that have one.
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>

#include "isa/datafile.h"
#include "userbpf/userbpf.h"

static char *slurp_n(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	if (len)
		*len = s ? (size_t)n : 0;
	fclose(f);
	return s;
}

static char *slurp(const char *path)
{
	return slurp_n(path, NULL);
}

/* The string value of "key": "..." in one JSON line, copied to out. */
static bool json_str(const char *line, const char *key, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	const char *p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	const char *e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= size)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

static void to_hex(const struct userbpf_insn *insns, size_t cnt, char *out)
{
	const uint8_t *b = (const uint8_t *)insns;
	for (size_t i = 0; i < cnt * 8; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[cnt * 16] = '\0';
}

/* Disassemble a whole program in `syntax`, one line per instruction. NULL on failure. */
static char *disasm_all(const struct userbpf_insn *insns, size_t cnt, enum userbpf_syntax syntax)
{
	size_t cap = cnt * 96 + 1, len = 0;
	char *text = malloc(cap);
	if (!text)
		return NULL;
	text[0] = '\0';
	for (size_t i = 0; i < cnt;) {
		char line[96];
		int rc = userbpf_disasm_insn(insns, cnt, i, syntax, line, sizeof(line));
		len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
		i += rc > 0 ? (size_t)rc : 1;
	}
	return text;
}

/* Round trip through one syntax; true when the bytes come back. */
static bool roundtrip(const char *name, const struct userbpf_insn *insns, size_t cnt,
		      enum userbpf_syntax syntax)
{
	char *text = disasm_all(insns, cnt, syntax);
	struct userbpf_insn *back = NULL;
	size_t back_cnt = 0;
	char err[256] = "";
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int rc = text ? userbpf_asm(text, &back, &back_cnt, &o) : -ENOMEM;
	bool ok = rc == 0 && back_cnt == cnt && memcmp(back, insns, cnt * sizeof(*insns)) == 0;
	if (!ok)
		fprintf(stderr, "%s: %s round trip failed (rc %d, %s)\n--\n%s--\n", name,
			syntax == USERBPF_SYNTAX_C ? "C" : "conformance", rc, err, text ? text : "");
	free(back);
	free(text);
	return ok;
}

TEST(conformance_suite)
{
	char path[1024];
	const char *dir = test_conformance_dir();
	snprintf(path, sizeof(path), "%s/assembled.jsonl", dir);
	char *jsonl = slurp(path);
	if (!jsonl)
		SKIP("no conformance folder at %s", dir);

	int files = 0, assembled = 0, rt_c = 0, rt_conf = 0, raw_ok = 0, refused_callx = 0;
	char *save = NULL;
	for (char *line = strtok_r(jsonl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[256], *hex = malloc(strlen(line) + 1);
		if (!hex || !json_str(line, "name", name, sizeof(name)) ||
		    !json_str(line, "program_hex", hex, strlen(line) + 1)) {
			free(hex);
			continue;
		}
		snprintf(path, sizeof(path), "%s/tests/%s", dir, name);
		char *text = slurp(path);
		CHECK(text != NULL);
		struct datafile df;
		char err[256] = "";
		if (!text || datafile_parse(text, &df, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", name, err);
			test_failed_now = 1;
			free(text);
			free(hex);
			continue;
		}
		files++;
		struct userbpf_insn *insns = NULL;
		size_t cnt = 0;
		struct userbpf_asm_opts o =
		    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
		int rc = userbpf_asm(df.asm_text, &insns, &cnt, &o);
		if (strcmp(name, "callx.data") == 0) {
			/* call %r2 is not RFC 9669: refused, at line 3 column 6. */
			CHECK_EQ_INT(rc, -EINVAL);
			CHECK_CONTAINS(err, "3:6: 'call %rN' (callx) is not part of RFC 9669");
			refused_callx += rc == -EINVAL;
		} else if (rc) {
			fprintf(stderr, "%s: asm failed: %s\n", name, err);
			test_failed_now = 1;
		} else {
			char *got = malloc(cnt * 16 + 1);
			if (got) {
				to_hex(insns, cnt, got);
				if (strcmp(got, hex) == 0) {
					assembled++;
				} else {
					fprintf(stderr, "%s: bytes differ\n  got  %s\n  want %s\n", name, got,
						hex);
					test_failed_now = 1;
				}
				free(got);
			}
			rt_c += roundtrip(name, insns, cnt, USERBPF_SYNTAX_C);
			rt_conf += roundtrip(name, insns, cnt, USERBPF_SYNTAX_CONFORMANCE);
			if (df.has_raw) {
				/* The raw section is the same program. */
				bool same =
				    df.raw_cnt == cnt && memcmp(df.raw, insns, cnt * sizeof(*insns)) == 0;
				if (!same) {
					fprintf(stderr, "%s: raw section differs from the assembled asm\n",
						name);
					test_failed_now = 1;
				}
				raw_ok += same;
			}
		}
		free(insns);
		datafile_free(&df);
		free(text);
		free(hex);
	}
	free(jsonl);
	printf("roundtrip: %d files; %d assembled to program_hex; round trips: %d C, %d conformance; %d raw "
	       "sections match; callx refused: %d\n",
	       files, assembled, rt_c, rt_conf, raw_ok, refused_callx);
	CHECK(files >= 313);
	CHECK_EQ_INT(assembled, files - 1);
	CHECK_EQ_INT(rt_c, files - 1);
	CHECK_EQ_INT(rt_conf, files - 1);
	CHECK_EQ_INT(refused_callx, 1);
}

/* Every opcode byte with a spread of fields: each slot disassembles to text that reassembles to it. */
TEST(every_opcode_byte)
{
	static const int16_t offs[] = {0, 1, 8, 16, 32, -8, 32767, -32768};
	static const int32_t imms[] = {0, 1, 16, 32, 64, -1, 0x7fffffff, INT32_MIN, 0xe1, 0xf1, 0x51, 65536};
	int n = 0, valid = 0;
	for (int code = 0; code < 256; code++)
		for (int regs = 0; regs < 256; regs += 17)
			for (size_t oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++)
				for (size_t ii = 0; ii < sizeof(imms) / sizeof(imms[0]); ii++) {
					struct userbpf_insn p[2] = {{(uint8_t)code, (uint8_t)(regs & 15),
								     (uint8_t)(regs >> 4), offs[oi],
								     imms[ii]},
								    {0, 0, 0, 0, imms[(ii + 3) % 12]}};
					size_t cnt = code == 0x18 ? 2 : 1;
					char buf[2][96];
					int r1 = userbpf_disasm_insn(p, cnt, 0, USERBPF_SYNTAX_C, buf[0],
								     sizeof(buf[0]));
					userbpf_disasm_insn(p, cnt, 0, USERBPF_SYNTAX_CONFORMANCE, buf[1],
							    sizeof(buf[1]));
					size_t used = r1 > 0 ? (size_t)r1 : 1;
					valid += r1 > 0;
					for (int s = 0; s < 2; s++) {
						struct userbpf_insn *back = NULL;
						size_t bc = 0;
						char err[128] = "";
						struct userbpf_asm_opts o =
						    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err,
								      .err_size = sizeof(err));
						int rc = userbpf_asm(buf[s], &back, &bc, &o);
						if (rc || bc != used ||
						    memcmp(back, p, used * sizeof(*p)) != 0) {
							if (n < 10)
								fprintf(
								    stderr,
								    "\"%s\" does not round trip (rc %d %s)\n",
								    buf[s], rc, err);
							n++;
						}
						free(back);
					}
				}
	printf("every_opcode_byte: %d valid slots, %d failures\n", valid, n);
	CHECK_EQ_INT(n, 0);
	CHECK(valid > 1000);
}

/* Run a shell command; true on exit status 0. */
static bool run(const char *cmd)
{
	int rc = system(cmd);
	return rc == 0;
}

/*
 * Against LLVM, when llvm-mc-19 and llvm-objdump-19 are installed: the C-syntax disassembly of the
 * whole suite (as one blob; jumps are relative) assembles with llvm-mc to the same bytes, and
 * llvm-objdump's text of those bytes assembles with userbpf_asm() to the same bytes. Programs with
 * local calls are left out: llvm reads "call pc+3" as a symbol and prints local calls as "call 3".
 */
TEST(llvm_agrees)
{
	if (!run("command -v llvm-mc-19 >/dev/null 2>&1 && command -v llvm-objdump-19 >/dev/null 2>&1 && "
		 "command -v llvm-objcopy-19 >/dev/null 2>&1"))
		SKIP("llvm-mc-19/llvm-objdump-19/llvm-objcopy-19 not installed");
	char path[1024];
	snprintf(path, sizeof(path), "%s/assembled.jsonl", test_conformance_dir());
	char *jsonl = slurp(path);
	if (!jsonl)
		SKIP("no conformance folder at %s", test_conformance_dir());

	size_t cap = 1 << 16, cnt = 0;
	struct userbpf_insn *all = malloc(cap * sizeof(*all));
	char *save = NULL;
	int programs = 0;
	for (char *line = strtok_r(jsonl, "\n", &save); all && line; line = strtok_r(NULL, "\n", &save)) {
		char *hex = malloc(strlen(line) + 1);
		char name[256];
		if (hex && json_str(line, "name", name, sizeof(name)) && strcmp(name, "callx.data") != 0 &&
		    json_str(line, "program_hex", hex, strlen(line) + 1) && !strstr(name, "call_local")) {
			size_t n = strlen(hex) / 16;
			for (size_t i = 0; i < n * 8 && cnt + n < cap; i++) {
				unsigned v;
				sscanf(hex + 2 * i, "%2x", &v);
				((uint8_t *)(all + cnt))[i] = (uint8_t)v;
			}
			cnt += n;
			programs++;
		}
		free(hex);
	}
	free(jsonl);
	CHECK(all != NULL);
	if (!all)
		return;

	char dir[] = "/tmp/userbpf-llvm-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *text = disasm_all(all, cnt, USERBPF_SYNTAX_C);
	snprintf(path, sizeof(path), "%s/ours.s", dir);
	FILE *f = fopen(path, "w");
	if (f && text)
		fputs(text, f);
	if (f)
		fclose(f);
	free(text);

	char cmd[4096];
	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && llvm-mc-19 -triple bpfel -mcpu=v4 -filetype=obj -o ours.o ours.s && "
	    "llvm-objcopy-19 -O binary --only-section=.text ours.o ours.bin && "
	    "llvm-objdump-19 -d --mcpu=v4 --no-show-raw-insn --no-leading-addr ours.o | grep '^\t' > llvm.s",
	    dir);
	CHECK(run(cmd));
	snprintf(path, sizeof(path), "%s/ours.bin", dir);
	size_t bin_len = 0;
	char *bin = slurp_n(path, &bin_len);
	CHECK(bin != NULL);
	if (bin && (bin_len != cnt * 8 || memcmp(bin, all, cnt * 8) != 0)) {
		fprintf(stderr, "llvm-mc does not read our C syntax back to the same bytes\n");
		test_failed_now = 1;
	}
	free(bin);

	snprintf(path, sizeof(path), "%s/llvm.s", dir);
	char *llvm = slurp(path);
	struct userbpf_insn *back = NULL;
	size_t back_cnt = 0;
	char err[256] = "";
	struct userbpf_asm_opts o =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int rc = llvm ? userbpf_asm(llvm, &back, &back_cnt, &o) : -ENOENT;
	if (rc || back_cnt != cnt || memcmp(back, all, cnt * 8) != 0) {
		fprintf(stderr, "llvm-objdump's text does not assemble to the same bytes (rc %d %s)\n", rc,
			err);
		test_failed_now = 1;
	}
	printf("llvm_agrees: %d programs, %zu slots: llvm-mc reads our text, we read llvm-objdump's\n",
	       programs, cnt);
	free(back);
	free(llvm);
	free(all);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
}
