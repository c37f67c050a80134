/*
 * test_validate.c - load-time validation: every rule of validate.c with its exact log line, the 45
 * negative/unused-*.data programs of the conformance suite (raw bytes parsed here), opts handling
 * (sz, zero tail, flags, cpu_version) and errno values.
 */
#include <dirent.h>
#include <errno.h>

#include "insn.h"
#include "test.h"

static char logbuf[4096];

/* Load at cpu_version `cpu` (0: 4); return the errno (0 on success), log in logbuf. */
static int load_err(const struct userbpf_insn *p, size_t n, unsigned cpu, const struct userbpf_helpers *h)
{
	struct userbpf_prog_opts o = USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = logbuf,
						       .log_size = sizeof(logbuf), .cpu_version = cpu);
	errno = 0;
	struct userbpf_prog *prog = userbpf_prog__load(p, n, &o);
	int err = prog ? 0 : errno;
	if (prog && logbuf[0]) {
		fprintf(stderr, "log not empty after a successful load: %s\n", logbuf);
		test_failed_now = 1;
	}
	userbpf_prog__free(prog);
	return err;
}

/* The expected line: "insn IDX: <disassembly>: RULE\n". */
static const char *line_for(const struct userbpf_insn *p, size_t n, size_t idx, const char *rule)
{
	static char want[512];
	char dis[128];
	userbpf_disasm_insn(p, n, idx, USERBPF_SYNTAX_C, dis, sizeof(dis));
	snprintf(want, sizeof(want), "insn %zu: %s: %s\n", idx, dis, rule);
	return want;
}

#define P(...) ((const struct userbpf_insn[]){__VA_ARGS__})
#define N(...) (sizeof((const struct userbpf_insn[]){__VA_ARGS__}) / sizeof(struct userbpf_insn))
/* The program is refused with EINVAL and exactly one line naming insn IDX and RULE. */
#define REFUSED_AT(CPU, HELPERS, IDX, RULE, ...)                                                             \
	do {                                                                                                 \
		CHECK_EQ_INT(load_err(P(__VA_ARGS__), N(__VA_ARGS__), CPU, HELPERS), EINVAL);                \
		CHECK_STR(logbuf, line_for(P(__VA_ARGS__), N(__VA_ARGS__), IDX, RULE));                      \
	} while (0)
#define REFUSED(IDX, RULE, ...) REFUSED_AT(0, NULL, IDX, RULE, __VA_ARGS__)
#define ACCEPTED(...)		CHECK_EQ_INT(load_err(P(__VA_ARGS__), N(__VA_ARGS__), 0, NULL), 0)

TEST(message_format)
{
	/* the whole line, spelled out once */
	CHECK_EQ_INT(load_err(P(I_RAW(0x07, 0, 1, 0, 1), I_EXIT()), 2, 0, NULL), EINVAL);
	CHECK_STR(logbuf, "insn 0: .insn 0x0000000100001007: src_reg must be 0\n");
	CHECK_EQ_INT(load_err(P(I_LDX(BPF_W, 0, 1, 4), I_CALL(42), I_EXIT()), 3, 0, NULL), EINVAL);
	CHECK_STR(logbuf, "insn 1: call 42: helper 42 (bpf_get_numa_node_id) is not provided by this host\n");
}

TEST(accepts_valid)
{
	ACCEPTED(I_MOV64_IMM(0, 0), I_EXIT());
	ACCEPTED(I_MOV64_IMM(0, 0), I_JA(-2)); /* ends with an unconditional jump */
	ACCEPTED(I_LDDW(0, 1), I_JA32(-3));
	ACCEPTED(I_ST(BPF_DW, 10, -8, 0), I_STX(BPF_DW, 10, 10, -16), I_EXIT()); /* r10 may be read */
	ACCEPTED(I_ATOMIC(BPF_DW, BPF_ADD, 10, 1, -8), I_ATOMIC(BPF_DW, BPF_CMPXCHG, 10, 10, -8), I_EXIT());
	ACCEPTED(I_JMP_IMM(BPF_JEQ, 1, 0, 2), I_LDDW(0, 5), I_EXIT());
	ACCEPTED(I_CALL_LOCAL(1), I_EXIT(), I_EXIT());
}

TEST(unknown_opcodes)
{
	REFUSED(0, "unknown opcode 0xff", I_RAW(0xff, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "unknown opcode 0x00", I_RAW(0x00, 0, 0, 0, 0), I_EXIT()); /* ld imm (not dw) */
	REFUSED(0, "unknown opcode 0xe7", I_RAW(0xe7, 0, 0, 0, 0), I_EXIT()); /* alu64 op 0xe0 */
	REFUSED(0, "unknown opcode 0x60", I_RAW(0x60, 0, 0, 0, 0), I_EXIT()); /* ld | mem */
	REFUSED(0, "callx (opcode 0x8d) is not part of RFC 9669", I_RAW(0x8d, 0, 1, 0, 0), I_EXIT());
	REFUSED(0, "kfunc calls (src_reg 2) are not supported", I_RAW(0x85, 0, 2, 0, 1), I_EXIT());
	REFUSED(0, "call src_reg 3 is not 0 (helper) or 1 (local call)", I_RAW(0x85, 0, 3, 0, 1), I_EXIT());
	REFUSED(0, "offset must be 0", I_RAW(0x3f, 0, 1, 2, 0), I_EXIT()); /* neither div nor sdiv */
	REFUSED(0, "imm 8 is not valid for opcode 0xdc", I_RAW(0xdc, 0, 0, 0, 8), I_EXIT());
	REFUSED(0, "imm 2 is not valid for opcode 0xc3", I_ATOMIC(BPF_W, 2, 10, 1, -8), I_EXIT());
	REFUSED(0, "src_reg 7 is not valid for opcode 0x18", I_RAW(0x18, 0, 7, 0, 0), I_RAW(0, 0, 0, 0, 0),
		I_EXIT());
}

TEST(unused_fields)
{
	REFUSED(0, "src_reg must be 0", I_RAW(0x07, 0, 1, 0, 1), I_EXIT());
	REFUSED(0, "offset must be 0", I_RAW(0x07, 0, 0, 1, 1), I_EXIT());
	REFUSED(0, "imm must be 0", I_RAW(0x0f, 0, 1, 0, 1), I_EXIT());
	REFUSED(0, "dst_reg must be 0", I_RAW(0x95, 1, 0, 0, 0), I_EXIT());
	REFUSED(1, "imm must be 0", I_MOV64_IMM(0, 0), I_RAW(0x95, 0, 0, 0, 1));
	REFUSED(0, "offset must be 0", I_RAW(0x85, 0, 0, 3, 0), I_EXIT());
}

TEST(registers)
{
	REFUSED(0, "dst_reg is not a register (r0-r10)", I_RAW(0xb7, 11, 0, 0, 1), I_EXIT());
	REFUSED(0, "src_reg is not a register (r0-r10)", I_RAW(0xbf, 0, 12, 0, 0), I_EXIT());
	REFUSED(0, "dst_reg is not a register (r0-r10)", I_RAW(0x7a, 15, 0, 0, 0), I_EXIT());
	REFUSED(0, "src_reg is not a register (r0-r10)", I_RAW(0x61, 0, 11, 0, 0), I_EXIT());
}

TEST(r10_is_read_only)
{
	REFUSED(0, "r10 is read-only", I_MOV64_IMM(10, 1), I_EXIT());
	REFUSED(0, "r10 is read-only", I_MOV32_REG(10, 1), I_EXIT());
	REFUSED(0, "r10 is read-only", I_ALU64_IMM(BPF_ADD, 10, -8), I_EXIT());
	REFUSED(0, "r10 is read-only", I_NEG64(10), I_EXIT());
	REFUSED(0, "r10 is read-only", I_BE(10, 16), I_EXIT());
	REFUSED(0, "r10 is read-only", I_MOVSX64(10, 1, 8), I_EXIT());
	REFUSED(0, "r10 is read-only", I_LDX(BPF_DW, 10, 1, 0), I_EXIT());
	REFUSED(0, "r10 is read-only", I_LDXS(BPF_B, 10, 1, 0), I_EXIT());
	REFUSED(0, "r10 is read-only", I_LDDW(10, 1), I_EXIT());
	REFUSED(0, "r10 is read-only", I_ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 1, 10, 0), I_EXIT());
	REFUSED(0, "r10 is read-only", I_ATOMIC(BPF_W, BPF_XCHG, 1, 10, 0), I_EXIT());
}

TEST(cpu_versions)
{
	REFUSED_AT(1, NULL, 0, "needs CPU version v2 (the program is loaded for v1)",
		   I_JMP_IMM(BPF_JLT, 1, 0, 0), I_EXIT());
	REFUSED_AT(2, NULL, 0, "needs CPU version v3 (the program is loaded for v2)",
		   I_JMP32_IMM(BPF_JEQ, 1, 0, 0), I_EXIT());
	REFUSED_AT(2, NULL, 0, "needs CPU version v3 (the program is loaded for v2)",
		   I_ATOMIC(BPF_DW, BPF_ADD, 10, 1, -8), I_EXIT());
	REFUSED_AT(3, NULL, 0, "needs CPU version v4 (the program is loaded for v3)", I_MOVSX64(0, 1, 8),
		   I_EXIT());
	REFUSED_AT(3, NULL, 0, "needs CPU version v4 (the program is loaded for v3)",
		   I_SALU64_IMM(BPF_DIV, 0, 3), I_EXIT());
	REFUSED_AT(3, NULL, 0, "needs CPU version v4 (the program is loaded for v3)", I_JA32(0), I_EXIT());
	REFUSED_AT(3, NULL, 0, "needs CPU version v4 (the program is loaded for v3)", I_BSWAP(0, 16),
		   I_EXIT());
	REFUSED_AT(3, NULL, 0, "needs CPU version v4 (the program is loaded for v3)", I_LDXS(BPF_W, 0, 1, 0),
		   I_EXIT());
	CHECK_EQ_INT(load_err(P(I_MOVSX64(0, 1, 8), I_EXIT()), 2, 4, NULL), 0);
	CHECK_EQ_INT(load_err(P(I_JMP32_IMM(BPF_JEQ, 1, 0, 0), I_EXIT()), 2, 3, NULL), 0);
	CHECK_EQ_INT(load_err(P(I_EXIT()), 1, 5, NULL), EINVAL);
	CHECK_STR(logbuf, "cpu_version 5 is not 1..4\n");
}

TEST(jump_targets)
{
	REFUSED(0, "jump target 6 is outside the program (0..1)", I_JA(5), I_EXIT());
	REFUSED(0, "jump target -2 is outside the program (0..1)", I_JA(-3), I_EXIT());
	REFUSED(0, "jump target 2 is outside the program (0..1)", I_JMP_IMM(BPF_JEQ, 0, 0, 1), I_EXIT());
	REFUSED(0, "jump target 100001 is outside the program (0..1)", I_JA32(100000), I_EXIT());
	REFUSED(0, "jump target 2 is outside the program (0..1)", I_JMP32_REG(BPF_JGT, 0, 1, 1), I_EXIT());
	REFUSED(0, "jump target 2 is the second slot of an lddw", I_JA(1), I_LDDW(0, 1), I_EXIT());
	REFUSED(0, "jump target 2 is the second slot of an lddw", I_JMP_REG(BPF_JNE, 0, 1, 1), I_LDDW(0, 1),
		I_EXIT());
	/* a jump to itself is inside the program */
	ACCEPTED(I_JA(-1), I_EXIT());
}

TEST(local_call_targets)
{
	REFUSED(0, "local call target 3 is outside the program (0..1)", I_CALL_LOCAL(2), I_EXIT());
	REFUSED(0, "local call target -1 is outside the program (0..1)", I_CALL_LOCAL(-2), I_EXIT());
	REFUSED(0, "local call target 3 is the second slot of an lddw", I_CALL_LOCAL(2), I_EXIT(),
		I_LDDW(0, 1), I_EXIT());
}

TEST(falls_off_the_end)
{
	const char *rule =
	    "execution falls off the end of the program (the last instruction must be exit or ja)";
	REFUSED(0, rule, I_MOV64_IMM(0, 0));
	REFUSED(1, rule, I_MOV64_IMM(0, 0), I_JMP_IMM(BPF_JEQ, 0, 0, -2));
	REFUSED(1, rule, I_MOV64_IMM(0, 0), I_LDDW(0, 1));
	REFUSED(1, rule, I_EXIT(), I_CALL_LOCAL(-2));
}

static uint64_t nop_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   const struct userbpf_call *call)
{
	return 0;
}

TEST(helper_ids)
{
	REFUSED(0, "helper 42 (bpf_get_numa_node_id) is not provided by this host", I_CALL(42), I_EXIT());
	REFUSED(0, "unknown helper -1 (not a kernel helper number, not registered)", I_CALL(-1), I_EXIT());
	REFUSED(0, "helper 6 (bpf_trace_printk) is not provided by this host", I_CALL(6), I_EXIT());
	REFUSED(0, "unknown helper 5000 (not a kernel helper number, not registered)", I_CALL(5000), I_EXIT());
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK_EQ_INT(userbpf_helpers__add(h, 41, "f", nop_helper, NULL), 0);
	REFUSED_AT(0, h, 0, "helper 42 (bpf_get_numa_node_id) is not provided by this host", I_CALL(42), I_EXIT());
	CHECK_EQ_INT(load_err(P(I_CALL(41), I_EXIT()), 2, 0, h), 0);
	userbpf_helpers__free(h);
}

TEST(lddw_forms)
{
	REFUSED(0, "lddw src_reg 1 (map fd) needs the object loader", I_RAW(0x18, 1, 1, 0, 3),
		I_RAW(0, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "lddw src_reg 2 (map value) needs the object loader", I_RAW(0x18, 1, 2, 0, 3),
		I_RAW(0, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "lddw src_reg 3 (BTF variable) needs the object loader", I_RAW(0x18, 1, 3, 0, 3),
		I_RAW(0, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "function target 4 is outside the program (0..2)", I_RAW(0x18, 1, 4, 0, 3),
		I_RAW(0, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "lddw src_reg 5 (map index) needs the object loader", I_RAW(0x18, 1, 5, 0, 3),
		I_RAW(0, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "lddw src_reg 6 (map index value) needs the object loader", I_RAW(0x18, 1, 6, 0, 3),
		I_RAW(0, 0, 0, 0, 0), I_EXIT());
	REFUSED(1, "lddw needs a second instruction slot", I_EXIT(), I_RAW(0x18, 0, 0, 0, 1));
	REFUSED(0, "second slot of lddw must have code, registers and offset 0", I_RAW(0x18, 0, 0, 0, 1),
		I_RAW(0x07, 0, 0, 0, 0), I_EXIT());
	REFUSED(0, "second slot of lddw must have code, registers and offset 0", I_RAW(0x18, 0, 0, 0, 1),
		I_RAW(0, 1, 0, 0, 0), I_EXIT());
	REFUSED(0, "offset must be 0", I_RAW(0x18, 0, 0, 1, 1), I_RAW(0, 0, 0, 0, 0), I_EXIT());
}

TEST(several_problems)
{
	const struct userbpf_insn p[] = {I_MOV64_IMM(10, 0), I_RAW(0xff, 0, 0, 0, 0), I_MOV64_IMM(0, 0)};
	CHECK_EQ_INT(load_err(p, 3, 0, NULL), EINVAL);
	char want[1024];
	snprintf(want, sizeof(want), "%s", line_for(p, 3, 0, "r10 is read-only"));
	strcat(want, line_for(p, 3, 1, "unknown opcode 0xff"));
	strcat(want, line_for(p, 3, 2,
			      "execution falls off the end of the program (the last instruction must be "
			      "exit or ja)"));
	CHECK_STR(logbuf, want);
	/* a small log is truncated, NUL-terminated */
	char small[16];
	struct userbpf_prog_opts o =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = small, .log_size = sizeof(small));
	CHECK(!userbpf_prog__load(p, 3, &o));
	CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
	CHECK(strncmp(small, "insn 0: ", 8) == 0);
	/* no log at all */
	CHECK(!userbpf_prog__load(p, 3, NULL));
	CHECK_EQ_INT(errno, EINVAL);
}

TEST(sizes_and_opts)
{
	const struct userbpf_insn ok[] = {I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK_EQ_INT(load_err(NULL, 0, 0, NULL), EINVAL);
	CHECK_STR(logbuf, "the program is empty\n");
	CHECK_EQ_INT(load_err(ok, 0, 0, NULL), EINVAL);
	CHECK_EQ_INT(load_err(ok, (size_t)USERBPF_MAX_INSNS + 1, 0, NULL), E2BIG);
	/* NULL opts: fine */
	struct userbpf_prog *prog = userbpf_prog__load(ok, 2, NULL);
	CHECK(prog);
	CHECK_EQ_INT(userbpf_prog__insn_cnt(prog), 2);
	CHECK(userbpf_prog__insns(prog) && userbpf_prog__insns(prog) != ok &&
	      memcmp(userbpf_prog__insns(prog), ok, sizeof(ok)) == 0);
	userbpf_prog__free(prog);
	userbpf_prog__free(NULL);
	CHECK_EQ_INT(userbpf_prog__insn_cnt(NULL), 0);
	/* a bigger opts struct from a newer header: zero tail accepted, non-zero refused */
	struct {
		struct userbpf_prog_opts o;
		uint64_t future;
	} big = {.o = {.sz = sizeof(big)}};
	prog = userbpf_prog__load(ok, 2, &big.o);
	CHECK(prog);
	userbpf_prog__free(prog);
	big.future = 1;
	errno = 0;
	CHECK(!userbpf_prog__load(ok, 2, &big.o));
	CHECK_EQ_INT(errno, EINVAL);
	/* an older, shorter struct: fields past sz are ignored */
	struct userbpf_prog_opts old = {.sz = offsetof(struct userbpf_prog_opts, log_buf), .cpu_version = 1};
	old.cpu_version = 99; /* past sz: ignored */
	prog = userbpf_prog__load(ok, 2, &old);
	CHECK(prog);
	userbpf_prog__free(prog);
	/* sz too small to hold sz */
	struct userbpf_prog_opts tiny = {.sz = 2};
	CHECK(!userbpf_prog__load(ok, 2, &tiny));
	/* unknown flags */
	struct userbpf_prog_opts fl = USERBPF_OPTS_INIT(userbpf_prog_opts, .flags = 0x80);
	CHECK(!userbpf_prog__load(ok, 2, &fl));
	CHECK_EQ_INT(errno, EINVAL);
}

TEST(engine_choice)
{
	const struct userbpf_insn p[] = {I_MOV64_IMM(0, 3), I_EXIT()};
	struct userbpf_prog *untrusted = userbpf_prog__load(p, 2, NULL);
	CHECK(untrusted);
	char err[128];
	struct userbpf_run_opts o = USERBPF_OPTS_INIT(userbpf_run_opts, .exec = USERBPF_EXEC_FAST,
						      .err_buf = err, .err_size = sizeof(err));
	CHECK_EQ_INT(userbpf_prog__run(untrusted, &o), -EPERM);
	o.exec = USERBPF_EXEC_DEFAULT;
	CHECK_EQ_INT(userbpf_prog__run(untrusted, &o), 0);
	CHECK_EQ_U64(o.retval, 3);
	CHECK_EQ_U64(o.insn_count, 2); /* the checked engine ran it */
	o.exec = (enum userbpf_exec)7;
	CHECK_EQ_INT(userbpf_prog__run(untrusted, &o), -EINVAL);
	CHECK_EQ_INT(userbpf_prog__run(NULL, &o), -EINVAL);
	/* NULL run opts */
	CHECK_EQ_INT(userbpf_prog__run(untrusted, NULL), 0);
	userbpf_prog__free(untrusted);

	struct userbpf_prog_opts lo = USERBPF_OPTS_INIT(userbpf_prog_opts, .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *trusted = userbpf_prog__load(p, 2, &lo);
	o.exec = USERBPF_EXEC_DEFAULT;
	o.insn_count = 99;
	CHECK_EQ_INT(userbpf_prog__run(trusted, &o), 0);
	CHECK_EQ_U64(o.retval, 3);
	CHECK_EQ_U64(o.insn_count, 0); /* the fast engine ran it */
	userbpf_prog__free(trusted);
}

/* ---- the conformance suite's negative/unused-*.data ------------------------------------------- */

/* Instructions of the `-- raw` section (hex bytes, 8 per instruction). Returns the count, -1 if none. */
static int parse_raw(const char *text, struct userbpf_insn *out, int max)
{
	const char *s = strstr(text, "-- raw");
	if (!s)
		return -1;
	s = strchr(s, '\n');
	uint8_t bytes[8 * 64];
	int nb = 0;
	while (s && *s) {
		s++;
		if (s[0] == '-' && s[1] == '-')
			break;
		const char *eol = strchr(s, '\n');
		if (!eol)
			eol = s + strlen(s);
		for (const char *q = s; q < eol;) {
			if (*q == '#')
				break;
			unsigned v;
			int used;
			if (sscanf(q, "%2x%n", &v, &used) == 1 && nb < (int)sizeof(bytes)) {
				bytes[nb++] = (uint8_t)v;
				q += used;
			} else {
				q++;
			}
		}
		s = *eol ? eol : NULL;
	}
	int n = nb / 8;
	if (n > max)
		n = max;
	memcpy(out, bytes, (size_t)n * 8);
	return n;
}

TEST(conformance_unused_fields)
{
	char dirpath[1024];
	snprintf(dirpath, sizeof(dirpath), "%s/negative", test_conformance_dir());
	DIR *d = opendir(dirpath);
	if (!d)
		SKIP("no conformance vectors at %s", dirpath);
	int seen = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "unused-", 7) != 0)
			continue;
		char path[2048], text[4096];
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		FILE *f = fopen(path, "r");
		CHECK(f);
		if (!f)
			continue;
		size_t len = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[len] = '\0';
		struct userbpf_insn p[64];
		int n = parse_raw(text, p, 64);
		CHECK(n > 0);
		if (n <= 0)
			continue;
		seen++;
		/* unused-<insn>-<field>.data: the rule names the field */
		const char *field = strrchr(de->d_name, '-') + 1;
		const char *rule = strncmp(field, "offset", 6) == 0 ? "offset must be 0"
				   : strncmp(field, "src", 3) == 0  ? "src_reg must be 0"
				   : strncmp(field, "imm", 3) == 0  ? "imm must be 0"
				   : strncmp(field, "dst", 3) == 0  ? "dst_reg must be 0"
								    : "?";
		int err = load_err(p, (size_t)n, 0, NULL);
		if (err != EINVAL || strcmp(logbuf, line_for(p, (size_t)n, 0, rule)) != 0) {
			fprintf(stderr, "%s: errno %d, log \"%s\", want rule \"%s\"\n", de->d_name, err,
				logbuf, rule);
			test_failed_now = 1;
		}
	}
	closedir(d);
	CHECK_EQ_INT(seen, 45);
}
