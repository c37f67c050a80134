/*
 * diff_kernel.c - differential test against the Linux kernel. Each program runs through the kernel's
 * BPF_PROG_TEST_RUN (raw bpf() syscalls, no libbpf) and through userbpf's checked engine and fast
 * engine (trusted); all 64 bits of r0 and the memory block must agree.
 *
 * Programs: the conformance vectors the Linux verifier accepts, hand-written RFC 9669 edge cases,
 * and seeded random programs: straight-line ALU, ALU with forward branches, and memory (loads,
 * stores, atomics on the block and the stack). One known Linux divergence is pinned separately
 * (kernel_cmpxchg32_zext).
 *
 * The kernel wrapper: the program under test becomes a subprogram of a small main program
 *
 *     r1 = map_value(map, 0)      ; or r1 = 0 when there is no memory
 *     r2 = mem_len                ; or 0
 *     call pc+N                   ; the program under test, unchanged
 *     [r0 >>= 32]                 ; second run only: test_run's retval is 32 bits wide
 *     exit
 *
 * so no jump offset needs fixing, local calls keep working and only the program's own main-frame
 * exits return to the wrapper. The memory block is the value of a one-entry BPF_MAP_TYPE_ARRAY
 * (direct value access: BPF_PSEUDO_MAP_VALUE), so the verifier knows its size; it is rewritten
 * before each run and read back after. Programs without memory get r1 = r2 = 0, as userbpf gives
 * them with no ctx. Where bpf() is refused every case skips with one line.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test.h"
#include "userbpf/userbpf.h"

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct userbpf_insn), "insn layout");

/* ------------------------------------------------------------------------------------------------ */
/* Instruction builders (RFC 9669 encoding).                                                         */

#define INSN(CODE, DST, SRC, OFF, IMM)                                                                       \
	((struct bpf_insn){.code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM)})
#define A64K(OP, D, IMM) INSN(BPF_ALU64 | (OP) | BPF_K, D, 0, 0, IMM)
#define A64X(OP, D, S)	 INSN(BPF_ALU64 | (OP) | BPF_X, D, S, 0, 0)
#define A32K(OP, D, IMM) INSN(BPF_ALU | (OP) | BPF_K, D, 0, 0, IMM)
#define A32X(OP, D, S)	 INSN(BPF_ALU | (OP) | BPF_X, D, S, 0, 0)
/* Signed div/mod (off = 1) and sign-extending moves (off = 8/16/32). */
#define S64K(OP, D, IMM)    INSN(BPF_ALU64 | (OP) | BPF_K, D, 0, 1, IMM)
#define S64X(OP, D, S)	    INSN(BPF_ALU64 | (OP) | BPF_X, D, S, 1, 0)
#define S32K(OP, D, IMM)    INSN(BPF_ALU | (OP) | BPF_K, D, 0, 1, IMM)
#define S32X(OP, D, S)	    INSN(BPF_ALU | (OP) | BPF_X, D, S, 1, 0)
#define MOVSX64(D, S, BITS) INSN(BPF_ALU64 | BPF_MOV | BPF_X, D, S, BITS, 0)
#define MOVSX32(D, S, BITS) INSN(BPF_ALU | BPF_MOV | BPF_X, D, S, BITS, 0)
#define MOV64K(D, IMM)	    A64K(BPF_MOV, D, IMM)
#define MOV64X(D, S)	    A64X(BPF_MOV, D, S)
#define MOV32K(D, IMM)	    A32K(BPF_MOV, D, IMM)
#define NEG64(D)	    INSN(BPF_ALU64 | BPF_NEG, D, 0, 0, 0)
#define NEG32(D)	    INSN(BPF_ALU | BPF_NEG, D, 0, 0, 0)
#define ENDBE(D, BITS)	    INSN(BPF_ALU | BPF_END | BPF_TO_BE, D, 0, 0, BITS)
#define ENDLE(D, BITS)	    INSN(BPF_ALU | BPF_END | BPF_TO_LE, D, 0, 0, BITS)
#define BSWAP(D, BITS)	    INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, D, 0, 0, BITS)
#define LDDW(D, V)                                                                                           \
	INSN(BPF_LD | BPF_DW | BPF_IMM, D, 0, 0, (int32_t)(uint32_t)(uint64_t)(V)),                          \
	    INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(V) >> 32))
#define JK(OP, D, IMM, OFF)	INSN(BPF_JMP | (OP) | BPF_K, D, 0, OFF, IMM)
#define JX(OP, D, S, OFF)	INSN(BPF_JMP | (OP) | BPF_X, D, S, OFF, 0)
#define J32K(OP, D, IMM, OFF)	INSN(BPF_JMP32 | (OP) | BPF_K, D, 0, OFF, IMM)
#define J32X(OP, D, S, OFF)	INSN(BPF_JMP32 | (OP) | BPF_X, D, S, OFF, 0)
#define JA(OFF)			INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define JA32(IMM)		INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, IMM)
#define CALL_LOCAL(IMM)		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, IMM)
#define CALL_HELPER(ID)		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LDX(SZ, D, S, OFF)	INSN(BPF_LDX | BPF_MEM | (SZ), D, S, OFF, 0)
#define LDXS(SZ, D, S, OFF)	INSN(BPF_LDX | BPF_MEMSX | (SZ), D, S, OFF, 0)
#define STX(SZ, D, S, OFF)	INSN(BPF_STX | BPF_MEM | (SZ), D, S, OFF, 0)
#define ST(SZ, D, OFF, IMM)	INSN(BPF_ST | BPF_MEM | (SZ), D, 0, OFF, IMM)
#define ATOM(SZ, D, S, OFF, OP) INSN(BPF_STX | BPF_ATOMIC | (SZ), D, S, OFF, OP)

#define MAX_INSNS 4096
#define MAX_MEM	  4096

/* ------------------------------------------------------------------------------------------------ */
/* The kernel side.                                                                                  */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static char verifier_log[1 << 20];

/* Print the last `lines` lines of the verifier log. */
static void print_log_tail(int lines)
{
	size_t n = strlen(verifier_log);
	size_t i = n;
	int seen = 0;
	while (i > 0 && seen <= lines) {
		i--;
		if (verifier_log[i] == '\n')
			seen++;
	}
	fprintf(stderr, "    verifier log tail:\n%s", verifier_log + (i ? i + 1 : 0));
}

static int map_create(size_t value_size)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = (uint32_t)value_size;
	a.max_entries = 1;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static int map_rw(int fd, void *value, bool write)
{
	union bpf_attr a;
	uint32_t key = 0;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)value;
	a.flags = write ? BPF_ANY : 0;
	return sys_bpf(write ? BPF_MAP_UPDATE_ELEM : BPF_MAP_LOOKUP_ELEM, &a);
}

/* Load a socket filter; with `log` the verifier log lands in verifier_log. */
static int prog_load(const struct bpf_insn *insns, size_t cnt, bool log)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uintptr_t) "GPL";
	if (log) {
		verifier_log[0] = 0;
		a.log_level = 1;
		a.log_buf = (uintptr_t)verifier_log;
		a.log_size = sizeof(verifier_log);
	}
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static int prog_test_run(int fd, uint32_t *retval)
{
	union bpf_attr a;
	static uint8_t pkt[64]; /* socket filters want at least an Ethernet header */
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		return -errno;
	*retval = a.test.retval;
	return 0;
}

/* Wrap `insns` as a subprogram (see the header comment); returns the wrapped length. */
static size_t wrap(struct bpf_insn *out, const struct bpf_insn *insns, size_t cnt, int map_fd, size_t mem_len,
		   bool high)
{
	size_t n = 0;
	if (map_fd >= 0) {
		out[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_VALUE, 0, map_fd);
		out[n++] = INSN(0, 0, 0, 0, 0); /* offset 0 into the value */
		out[n++] = MOV64K(2, (int32_t)mem_len);
	} else {
		out[n++] = MOV64K(1, 0);
		out[n++] = MOV64K(2, 0);
	}
	size_t call = n++;
	if (high)
		out[n++] = A64K(BPF_RSH, 0, 32);
	out[n++] = EXIT();
	out[call] = CALL_LOCAL((int32_t)(n - call - 1));
	memcpy(out + n, insns, cnt * sizeof(*insns));
	return n + cnt;
}

static int kernel_state = -1; /* -1 unknown, 0 refused, 1 usable */
static char kernel_why[256];

struct kresult {
	uint64_t r0;
	uint8_t mem[MAX_MEM];
};

/*
 * Run through the kernel: 0 with *res set; -1 when the verifier refused (the log tail is printed);
 * -2 on another failure (message printed).
 */
static int kernel_run(const struct bpf_insn *insns, size_t cnt, const uint8_t *mem, size_t mem_len,
		      struct kresult *res, bool quiet)
{
	static struct bpf_insn wrapped[MAX_INSNS + 8];
	static uint8_t mem2[MAX_MEM];
	int map_fd = -1, ret = 0;
	uint32_t half[2] = {0, 0};

	if (mem_len) {
		map_fd = map_create(mem_len);
		if (map_fd < 0) {
			fprintf(stderr, "    BPF_MAP_CREATE: %s\n", strerror(errno));
			return -2;
		}
	}
	for (int high = 0; high < 2 && ret == 0; high++) {
		size_t n = wrap(wrapped, insns, cnt, map_fd, mem_len, high);
		int fd = prog_load(wrapped, n, false);
		if (fd < 0) {
			int err = errno;
			fd = prog_load(wrapped, n, true);
			if (fd >= 0) {
				close(fd);
				fd = -1;
			}
			if (!quiet) {
				fprintf(stderr, "    kernel refused the program: %s\n", strerror(err));
				print_log_tail(12);
			}
			ret = -1;
			break;
		}
		if (mem_len && map_rw(map_fd, (void *)mem, true) < 0) {
			fprintf(stderr, "    BPF_MAP_UPDATE_ELEM: %s\n", strerror(errno));
			ret = -2;
		} else if ((ret = prog_test_run(fd, &half[high])) < 0) {
			fprintf(stderr, "    BPF_PROG_TEST_RUN: %s\n", strerror(-ret));
			ret = -2;
		} else if (mem_len && map_rw(map_fd, high ? mem2 : res->mem, false) < 0) {
			fprintf(stderr, "    BPF_MAP_LOOKUP_ELEM: %s\n", strerror(errno));
			ret = -2;
		} else if (high && mem_len && memcmp(mem2, res->mem, mem_len) != 0) {
			fprintf(stderr, "    kernel: the two runs left different memory\n");
			ret = -2;
		}
		close(fd);
	}
	if (map_fd >= 0)
		close(map_fd);
	res->r0 = (uint64_t)half[1] << 32 | half[0];
	return ret;
}

/* Can we load and run a wrapped program with a map? Sets kernel_why when not. */
static bool kernel_usable(void)
{
	if (kernel_state >= 0)
		return kernel_state;
	const struct bpf_insn probe[] = {LDX(BPF_DW, 0, 1, 0), A64K(BPF_ADD, 0, 1), EXIT()};
	uint8_t mem[8] = {1};
	struct kresult *res = calloc(1, sizeof(*res));
	int map_fd = map_create(8);
	if (map_fd < 0) {
		snprintf(kernel_why, sizeof(kernel_why), "BPF_MAP_CREATE: %s%s", strerror(errno),
			 geteuid() ? " (not root)" : "");
		kernel_state = 0;
	} else {
		close(map_fd);
		errno = 0;
		int ret = res ? kernel_run(probe, 3, mem, 8, res, true) : -2;
		if (ret == 0 && res->r0 == 2) {
			kernel_state = 1;
		} else {
			snprintf(kernel_why, sizeof(kernel_why), "probe program: %s%s",
				 ret == 0 ? "wrong result" : strerror(errno ? errno : EINVAL),
				 geteuid() ? " (not root)" : "");
			kernel_state = 0;
		}
	}
	free(res);
	return kernel_state;
}

/* ------------------------------------------------------------------------------------------------ */
/* The userbpf side and the comparison.                                                              */

static struct userbpf_helpers *helpers;

/* Run through userbpf; 0 with *r0 and mem (in place) set, else -errno (message printed). */
static int userbpf_run(const struct bpf_insn *insns, size_t cnt, uint8_t *mem, size_t mem_len, bool fast,
		       uint64_t *r0)
{
	char log[1024] = "", err[512] = "";
	if (!helpers) {
		helpers = userbpf_helpers__new();
		if (helpers)
			userbpf_helpers__add_std(helpers);
	}
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = helpers, .log_buf = log, .log_size = sizeof(log),
			      .flags = fast ? USERBPF_PROG_F_TRUSTED : 0);
	struct userbpf_prog *prog = userbpf_prog__load((const struct userbpf_insn *)insns, cnt, &po);
	if (!prog) {
		int e = errno;
		fprintf(stderr, "    userbpf refused the program: %s\n%s", strerror(e), log);
		return -(e ? e : EINVAL);
	}
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = mem_len ? mem : NULL, .ctx_size = mem_len,
	    .exec = fast ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED, .err_buf = err, .err_size = sizeof(err));
	int ret = userbpf_prog__run(prog, &ro);
	if (ret)
		fprintf(stderr, "    userbpf %s run failed: %s: %s\n", fast ? "fast" : "checked",
			strerror(-ret), err);
	*r0 = ro.retval;
	userbpf_prog__free(prog);
	return ret;
}

struct stats {
	int compared, equal, refused;
};

static void dump_prog(const struct bpf_insn *insns, size_t cnt)
{
	char buf[128];
	for (size_t i = 0; i < cnt && i < 80;) {
		int n = userbpf_disasm_insn((const struct userbpf_insn *)insns, cnt, i, USERBPF_SYNTAX_C, buf,
					    sizeof(buf));
		fprintf(stderr, "      %4zu: %s\n", i, buf);
		i += n > 0 ? (size_t)n : 1;
	}
}

static void mem_diff(const char *what, const uint8_t *k, const uint8_t *u, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (k[i] != u[i]) {
			fprintf(stderr,
				"    memory differs (%s) first at byte %zu: kernel %02x, userbpf %02x\n",
				what, i, k[i], u[i]);
			return;
		}
	}
}

/*
 * Run one program both ways and compare. `expected` (may be NULL) is the conformance suite's answer,
 * reported when the kernel disagrees with it. A kernel refusal counts as a failure of the wrapper.
 */
static void diff_one(struct stats *st, const char *name, const struct bpf_insn *insns, size_t cnt,
		     const uint8_t *mem, size_t mem_len, const uint64_t *expected)
{
	static struct kresult kres;
	static uint8_t cmem[MAX_MEM], fmem[MAX_MEM];
	uint64_t cr0 = 0, fr0 = 0;

	if (cnt > MAX_INSNS || mem_len > MAX_MEM) {
		fprintf(stderr, "%s: too big for the test (%zu insns, %zu bytes)\n", name, cnt, mem_len);
		st->refused++;
		return;
	}
	int kr = kernel_run(insns, cnt, mem, mem_len, &kres, false);
	if (kr < 0) {
		fprintf(stderr, "%s: kernel run failed (wrapper problem)\n", name);
		st->refused++;
		return;
	}
	st->compared++;
	memcpy(cmem, mem, mem_len);
	memcpy(fmem, mem, mem_len);
	int cret = userbpf_run(insns, cnt, cmem, mem_len, false, &cr0);
	int fret = userbpf_run(insns, cnt, fmem, mem_len, true, &fr0);
	bool ok = cret == 0 && fret == 0 && cr0 == kres.r0 && fr0 == kres.r0 &&
		  memcmp(cmem, kres.mem, mem_len) == 0 && memcmp(fmem, kres.mem, mem_len) == 0;
	if (expected && *expected != kres.r0)
		fprintf(stderr, "note: %s: kernel r0 0x%" PRIx64 " differs from the suite's 0x%" PRIx64 "\n",
			name, kres.r0, *expected);
	if (ok) {
		st->equal++;
		return;
	}
	fprintf(stderr,
		"%s: MISMATCH kernel r0=0x%" PRIx64 " checked r0=0x%" PRIx64 " (ret %d) fast r0=0x%" PRIx64
		" (ret %d)\n",
		name, kres.r0, cr0, cret, fr0, fret);
	if (cret == 0)
		mem_diff("checked", kres.mem, cmem, mem_len);
	if (fret == 0)
		mem_diff("fast", kres.mem, fmem, mem_len);
	dump_prog(insns, cnt);
}

static void report(const char *what, const struct stats *st)
{
	fprintf(stderr, "%s: compared %d, equal %d, kernel refused %d\n", what, st->compared, st->equal,
		st->refused);
	CHECK(st->refused == 0);
	CHECK_EQ_INT(st->equal, st->compared);
}

/* ------------------------------------------------------------------------------------------------ */
/* Conformance vectors.                                                                              */

/* The string value of "key" in a one-line JSON object, copied into buf; false when absent. */
static bool json_str(const char *line, const char *key, char *buf, size_t size)
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
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = 0;
	return true;
}

static long hex_bytes(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (const char *p = hex; *p;) {
		unsigned v;
		if (p[1] == 0 || sscanf(p, "%2x", &v) != 1 || n >= max)
			return -1;
		out[n++] = (uint8_t)v;
		p += 2;
	}
	return (long)n;
}

TEST(conformance)
{
	if (!kernel_usable())
		SKIP("bpf() refused: %s", kernel_why);
	char path[512];
	snprintf(path, sizeof(path), "%s/assembled.jsonl", test_conformance_dir());
	FILE *f = fopen(path, "r");
	if (!f)
		SKIP("cannot open %s: %s", path, strerror(errno));
	static char line[1 << 17], name[256], prog_hex[1 << 16], mem_hex[1 << 14], verdict[32], result[64];
	static struct bpf_insn insns[MAX_INSNS];
	static uint8_t mem[MAX_MEM];
	struct stats st = {0, 0, 0};
	int skipped_error = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!json_str(line, "name", name, sizeof(name)) ||
		    !json_str(line, "program_hex", prog_hex, sizeof(prog_hex)) ||
		    !json_str(line, "linux_kernel_verdict", verdict, sizeof(verdict))) {
			fprintf(stderr, "assembled.jsonl: unreadable line: %.80s\n", line);
			st.refused++;
			continue;
		}
		if (strcmp(verdict, "PASS") != 0) {
			skipped_error++;
			continue;
		}
		if (!json_str(line, "mem_hex", mem_hex, sizeof(mem_hex)))
			mem_hex[0] = 0;
		long plen = hex_bytes(prog_hex, (uint8_t *)insns, sizeof(insns));
		long mlen = hex_bytes(mem_hex, mem, sizeof(mem));
		if (plen <= 0 || plen % 8 || mlen < 0) {
			fprintf(stderr, "%s: bad hex\n", name);
			st.refused++;
			continue;
		}
		uint64_t expected = 0;
		bool has_expected = json_str(line, "expected_result", result, sizeof(result)) && result[0];
		if (has_expected)
			expected = strtoull(result, NULL, 0);
		diff_one(&st, name, insns, (size_t)plen / 8, mem, (size_t)mlen,
			 has_expected ? &expected : NULL);
	}
	fclose(f);
	fprintf(stderr, "conformance: %d vectors left out (linux_kernel_verdict ERROR)\n", skipped_error);
	CHECK(st.compared > 0);
	report("conformance", &st);
}

/* ------------------------------------------------------------------------------------------------ */
/* Hand-written edge cases (RFC 9669).                                                               */

#define MIN64 ((uint64_t)1 << 63)

struct edge {
	const char *name;
	size_t mem_len; /* memory block, filled with edge_mem_byte() */
	struct bpf_insn insns[64];
};

static uint8_t edge_mem_byte(size_t i)
{
	return (uint8_t)(0x81 + i * 37);
}

/* clang-format off */
static const struct edge edges[] = {
	/* Division and modulo by zero (registers: the verifier refuses a zero immediate). */
	{"div64_by_zero", 0, {MOV64K(0, 7), MOV64K(1, 0), A64X(BPF_DIV, 0, 1), EXIT()}},
	{"mod64_by_zero", 0, {MOV64K(0, -5), MOV64K(1, 0), A64X(BPF_MOD, 0, 1), EXIT()}},
	{"div32_by_zero", 0, {LDDW(0, 0xffffffff00000007), MOV32K(1, 0), A32X(BPF_DIV, 0, 1), EXIT()}},
	{"mod32_by_zero", 0, {LDDW(0, 0xffffffff00000007), MOV64K(1, 0), A32X(BPF_MOD, 0, 1), EXIT()}},
	{"mod32_by_zero_low_half", 0, {LDDW(0, 0xabcdef0187654321), LDDW(1, 0x100000000),
		A32X(BPF_MOD, 0, 1), EXIT()}},
	{"div32_by_zero_low_half", 0, {LDDW(0, 0xabcdef0187654321), LDDW(1, 0x100000000),
		A32X(BPF_DIV, 0, 1), EXIT()}},
	{"div64_big_divisor", 0, {MOV64K(0, -1), LDDW(1, 0x100000000), A64X(BPF_DIV, 0, 1), EXIT()}},
	{"mod64_big_divisor", 0, {MOV64K(0, -1), LDDW(1, 0x100000003), A64X(BPF_MOD, 0, 1), EXIT()}},
	{"div64_neg_imm", 0, {MOV64K(0, -1), A64K(BPF_DIV, 0, (int32_t)0x80000000), EXIT()}},
	{"mod64_neg_imm", 0, {LDDW(0, 0xfffffffffffffff0), A64K(BPF_MOD, 0, -7), EXIT()}},
	{"div32_neg_imm", 0, {LDDW(0, 0x12345678fffffffe), A32K(BPF_DIV, 0, -1), EXIT()}},
	{"mod32_neg_imm", 0, {LDDW(0, 0x12345678fffffffe), A32K(BPF_MOD, 0, -3), EXIT()}},
	/* Signed division: overflow, by zero, truncation toward zero. */
	{"sdiv64_min_by_neg1", 0, {LDDW(0, MIN64), MOV64K(1, -1), S64X(BPF_DIV, 0, 1), EXIT()}},
	{"smod64_min_by_neg1", 0, {LDDW(0, MIN64), MOV64K(1, -1), S64X(BPF_MOD, 0, 1), EXIT()}},
	{"sdiv64_min_by_neg1_imm", 0, {LDDW(0, MIN64), S64K(BPF_DIV, 0, -1), EXIT()}},
	{"smod64_min_by_neg1_imm", 0, {LDDW(0, MIN64), S64K(BPF_MOD, 0, -1), EXIT()}},
	{"sdiv32_min_by_neg1", 0, {LDDW(0, 0xffffffff80000000), MOV32K(1, -1), S32X(BPF_DIV, 0, 1), EXIT()}},
	{"smod32_min_by_neg1", 0, {LDDW(0, 0x0000000180000000), MOV64K(1, -1), S32X(BPF_MOD, 0, 1), EXIT()}},
	{"sdiv32_min_by_neg1_imm", 0, {MOV32K(0, (int32_t)0x80000000), S32K(BPF_DIV, 0, -1), EXIT()}},
	{"smod32_min_by_neg1_imm", 0, {MOV32K(0, (int32_t)0x80000000), S32K(BPF_MOD, 0, -1), EXIT()}},
	{"sdiv64_by_zero", 0, {MOV64K(0, -9), MOV64K(1, 0), S64X(BPF_DIV, 0, 1), EXIT()}},
	{"smod64_by_zero", 0, {MOV64K(0, -9), MOV64K(1, 0), S64X(BPF_MOD, 0, 1), EXIT()}},
	{"sdiv32_by_zero", 0, {MOV64K(0, -9), MOV64K(1, 0), S32X(BPF_DIV, 0, 1), EXIT()}},
	{"smod32_by_zero", 0, {MOV64K(0, -9), MOV64K(1, 0), S32X(BPF_MOD, 0, 1), EXIT()}},
	{"sdiv64_trunc", 0, {MOV64K(0, -7), S64K(BPF_DIV, 0, 2), EXIT()}},
	{"smod64_signs", 0, {MOV64K(0, -7), S64K(BPF_MOD, 0, 3), MOV64K(1, 7), MOV64K(2, -3),
		S64X(BPF_MOD, 1, 2), A64K(BPF_LSH, 0, 8), A64X(BPF_XOR, 0, 1), EXIT()}},
	{"sdiv32_signs", 0, {MOV32K(0, -100), S32K(BPF_DIV, 0, 7), MOV32K(1, 100), MOV32K(2, -7),
		S32X(BPF_DIV, 1, 2), A64K(BPF_LSH, 1, 32), A64X(BPF_OR, 0, 1), EXIT()}},
	{"smod32_signs", 0, {MOV32K(0, -100), S32K(BPF_MOD, 0, 7), MOV32K(1, 100), MOV32K(2, -7),
		S32X(BPF_MOD, 1, 2), A64K(BPF_LSH, 1, 32), A64X(BPF_OR, 0, 1), EXIT()}},
	/* Shifts: register counts are masked to 63 / 31. */
	{"lsh64_reg_masked", 0, {MOV64K(0, 3), MOV64K(1, 65), A64X(BPF_LSH, 0, 1), EXIT()}},
	{"rsh64_reg_masked", 0, {MOV64K(0, -1), MOV64K(1, 64 + 60), A64X(BPF_RSH, 0, 1), EXIT()}},
	{"arsh64_reg_masked", 0, {LDDW(0, MIN64), MOV64K(1, 128 + 62), A64X(BPF_ARSH, 0, 1), EXIT()}},
	{"lsh32_reg_masked", 0, {MOV64K(0, 3), MOV64K(1, 33), A32X(BPF_LSH, 0, 1), EXIT()}},
	{"rsh32_reg_masked", 0, {MOV64K(0, -1), LDDW(1, 0x100000024), A32X(BPF_RSH, 0, 1), EXIT()}},
	{"arsh32_reg_masked", 0, {MOV32K(0, (int32_t)0x80000000), MOV64K(1, 63), A32X(BPF_ARSH, 0, 1), EXIT()}},
	{"arsh32_zero_ext", 0, {LDDW(0, 0x1234567880000000), A32K(BPF_ARSH, 0, 4), EXIT()}},
	{"shift64_imm_edges", 0, {MOV64K(0, 1), A64K(BPF_LSH, 0, 63), MOV64X(1, 0), A64K(BPF_ARSH, 1, 63),
		MOV64X(2, 0), A64K(BPF_RSH, 2, 63), A64X(BPF_XOR, 0, 1), A64X(BPF_XOR, 0, 2), EXIT()}},
	{"shift32_imm_edges", 0, {MOV64K(0, -1), A32K(BPF_LSH, 0, 31), MOV64K(1, -1), A32K(BPF_RSH, 1, 31),
		A64K(BPF_LSH, 1, 32), A64X(BPF_OR, 0, 1), EXIT()}},
	{"shift_by_zero", 0, {MOV64K(0, -1), A32K(BPF_LSH, 0, 0), MOV64K(1, 0), MOV64K(2, -2),
		A64X(BPF_ARSH, 2, 1), A64X(BPF_ADD, 0, 2), EXIT()}},
	/* Sign extension: moves, loads, immediates. */
	{"movsx8_64", 0, {MOV64K(1, 0x1280), MOVSX64(0, 1, 8), EXIT()}},
	{"movsx16_64", 0, {MOV64K(1, 0x18000), MOVSX64(0, 1, 16), EXIT()}},
	{"movsx32_64", 0, {LDDW(1, 0x1234567880000001), MOVSX64(0, 1, 32), EXIT()}},
	{"movsx8_64_pos", 0, {MOV64K(1, 0x17f), MOVSX64(0, 1, 8), EXIT()}},
	{"movsx8_32", 0, {LDDW(1, 0xffffffff000000ff), MOVSX32(0, 1, 8), EXIT()}},
	{"movsx16_32", 0, {LDDW(1, 0x123456789abc8001), MOVSX32(0, 1, 16), EXIT()}},
	{"ldxs_mem", 16, {LDXS(BPF_B, 0, 1, 0), LDXS(BPF_H, 3, 1, 2), LDXS(BPF_W, 4, 1, 8),
		A64X(BPF_XOR, 0, 3), A64K(BPF_LSH, 4, 3), A64X(BPF_ADD, 0, 4), EXIT()}},
	{"ldxs_store_back", 16, {LDXS(BPF_B, 3, 1, 1), STX(BPF_DW, 1, 3, 0), LDXS(BPF_H, 3, 1, 9),
		STX(BPF_DW, 1, 3, 8), MOV64K(0, 0), EXIT()}},
	{"ldx_zero_ext", 16, {MOV64K(0, -1), LDX(BPF_B, 0, 1, 0), MOV64K(3, -1), LDX(BPF_H, 3, 1, 2),
		MOV64K(4, -1), LDX(BPF_W, 4, 1, 4), A64X(BPF_ADD, 0, 3), A64X(BPF_ADD, 0, 4), EXIT()}},
	{"ldx_unaligned", 16, {LDX(BPF_DW, 0, 1, 3), LDX(BPF_W, 3, 1, 5), A64X(BPF_XOR, 0, 3), EXIT()}},
	{"mov64_imm_sext", 0, {MOV64K(0, -2), EXIT()}},
	{"mov32_imm_zext", 0, {MOV64K(0, 7), MOV32K(0, -2), EXIT()}},
	{"mov32_reg_zext", 0, {MOV64K(0, -1), A32X(BPF_MOV, 0, 0), EXIT()}},
	{"and64_imm_sext", 0, {LDDW(0, 0xffffffff12345678), A64K(BPF_AND, 0, (int32_t)0x80000000), EXIT()}},
	{"or64_imm_sext", 0, {MOV64K(0, 0), A64K(BPF_OR, 0, -16), EXIT()}},
	{"add64_imm_sext", 0, {LDDW(0, 0x100000000), A64K(BPF_ADD, 0, -1), EXIT()}},
	{"mul64_imm_sext", 0, {MOV64K(0, 3), A64K(BPF_MUL, 0, -5), EXIT()}},
	{"st_imm_sext", 16, {ST(BPF_DW, 1, 0, -2), ST(BPF_W, 1, 8, -3), ST(BPF_H, 1, 12, 0x12345),
		ST(BPF_B, 1, 15, 0x1ff), MOV64K(0, 1), EXIT()}},
	/* 32-bit operations zero the upper half. */
	{"add32_wrap", 0, {LDDW(0, 0x55555555ffffffff), A32K(BPF_ADD, 0, 1), EXIT()}},
	{"sub32_wrap", 0, {LDDW(0, 0xdeadbeef00000001), A32K(BPF_SUB, 0, 2), EXIT()}},
	{"mul32_wrap", 0, {LDDW(0, 0x1234567800010000), LDDW(1, 0xabcdef0000010001), A32X(BPF_MUL, 0, 1), EXIT()}},
	{"mul64_wrap", 0, {LDDW(0, 0x123456789abcdef1), LDDW(1, 0xfedcba9876543211), A64X(BPF_MUL, 0, 1), EXIT()}},
	{"neg32", 0, {LDDW(0, 0xffffffff00000001), NEG32(0), EXIT()}},
	{"neg32_min", 0, {MOV32K(0, (int32_t)0x80000000), NEG32(0), EXIT()}},
	{"neg64_min", 0, {LDDW(0, MIN64), NEG64(0), MOV64K(1, 5), NEG64(1), A64X(BPF_XOR, 0, 1), EXIT()}},
	{"xor32_and32_or32", 0, {LDDW(0, 0xf0f0f0f0f0f0f0f0), LDDW(1, 0x0ff00ff00ff00ff0),
		A32X(BPF_XOR, 0, 1), MOV64X(2, 1), A32K(BPF_AND, 2, -1), A32K(BPF_OR, 1, 0),
		A64K(BPF_LSH, 2, 16), A64X(BPF_ADD, 0, 2), A64X(BPF_ADD, 0, 1), EXIT()}},
	/* Byte swaps. */
	{"be16", 0, {LDDW(0, 0x0123456789abcdef), ENDBE(0, 16), EXIT()}},
	{"be32", 0, {LDDW(0, 0x0123456789abcdef), ENDBE(0, 32), EXIT()}},
	{"be64", 0, {LDDW(0, 0x0123456789abcdef), ENDBE(0, 64), EXIT()}},
	{"le16", 0, {LDDW(0, 0x0123456789abcdef), ENDLE(0, 16), EXIT()}},
	{"le32", 0, {LDDW(0, 0x0123456789abcdef), ENDLE(0, 32), EXIT()}},
	{"le64", 0, {LDDW(0, 0x0123456789abcdef), ENDLE(0, 64), EXIT()}},
	{"bswap16", 0, {LDDW(0, 0x0123456789abcdef), BSWAP(0, 16), EXIT()}},
	{"bswap32", 0, {LDDW(0, 0x0123456789abcdef), BSWAP(0, 32), EXIT()}},
	{"bswap64", 0, {LDDW(0, 0x0123456789abcdef), BSWAP(0, 64), EXIT()}},
	/* jmp32 looks at the low halves only; signed compares; sign-extended immediates. */
	{"jeq32_ignores_high", 0, {LDDW(1, 0x100000000), MOV64K(0, 1), J32K(BPF_JEQ, 1, 0, 1), MOV64K(0, 2),
		JK(BPF_JEQ, 1, 0, 1), A64K(BPF_ADD, 0, 10), EXIT()}},
	{"jslt32_low_negative", 0, {LDDW(1, 0x0000000080000000), MOV64K(0, 0), J32K(BPF_JSLT, 1, 0, 1),
		A64K(BPF_ADD, 0, 1), JK(BPF_JSLT, 1, 0, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jset32_high_only", 0, {LDDW(1, 0xff00000000000000), MOV64K(0, 0), J32K(BPF_JSET, 1, -1, 1),
		A64K(BPF_ADD, 0, 1), JK(BPF_JSET, 1, -1, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jgt32_reg_high", 0, {LDDW(1, 0xffffffff00000001), LDDW(2, 0x0000000100000002), MOV64K(0, 0),
		J32X(BPF_JGT, 1, 2, 1), A64K(BPF_ADD, 0, 1), JX(BPF_JGT, 1, 2, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jsge32_reg", 0, {LDDW(1, 0x00000000ffffffff), MOV64K(2, 0), MOV64K(0, 0), J32X(BPF_JSGE, 1, 2, 1),
		A64K(BPF_ADD, 0, 1), JX(BPF_JSGE, 1, 2, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jle32_imm_neg", 0, {MOV64K(1, 5), MOV64K(0, 0), J32K(BPF_JLE, 1, -1, 1), A64K(BPF_ADD, 0, 1),
		J32K(BPF_JSLE, 1, -1, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jgt64_imm_neg", 0, {LDDW(1, 0xfffffffffffffffe), MOV64K(0, 0), JK(BPF_JGT, 1, -1, 1),
		A64K(BPF_ADD, 0, 1), JK(BPF_JLT, 1, -1, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jsgt64_imm_neg", 0, {MOV64K(1, -1), MOV64K(0, 0), JK(BPF_JSGT, 1, -2, 1), A64K(BPF_ADD, 0, 1),
		JK(BPF_JSGT, 1, 0, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"jsge64_imm_sext", 0, {LDDW(1, 0x00000000ffffffff), MOV64K(0, 0), JK(BPF_JSGE, 1, -1, 1),
		A64K(BPF_ADD, 0, 1), JK(BPF_JEQ, 1, -1, 1), A64K(BPF_ADD, 0, 2), EXIT()}},
	{"ja_zero_and_ja32", 0, {MOV64K(0, 1), JA(0), JK(BPF_JEQ, 0, 2, 1), JA32(1), A64K(BPF_ADD, 0, 4),
		JA32(0), A64K(BPF_ADD, 0, 8), EXIT()}},
	/* Atomics, on the stack and on the memory block. */
	{"atomic_add64_stack", 0, {ST(BPF_DW, 10, -8, 10), MOV64K(1, 5), ATOM(BPF_DW, 10, 1, -8, BPF_ADD),
		MOV64K(2, -3), ATOM(BPF_DW, 10, 2, -8, BPF_ADD | BPF_FETCH), LDX(BPF_DW, 0, 10, -8),
		A64K(BPF_LSH, 0, 16), A64X(BPF_ADD, 0, 2), EXIT()}},
	{"atomic_fetch32_zext", 0, {ST(BPF_W, 10, -4, -1), LDDW(1, 0xffffffff00000001),
		ATOM(BPF_W, 10, 1, -4, BPF_ADD | BPF_FETCH), LDX(BPF_W, 0, 10, -4), A64K(BPF_LSH, 0, 32),
		A64X(BPF_OR, 0, 1), EXIT()}},
	{"atomic_bitops64", 0, {LDDW(3, 0xff00ff00ff00ff00), STX(BPF_DW, 10, 3, -8), LDDW(1, 0x0ff00ff00ff00ff0),
		ATOM(BPF_DW, 10, 1, -8, BPF_AND), MOV64K(2, 0x55), ATOM(BPF_DW, 10, 2, -8, BPF_OR | BPF_FETCH),
		MOV64K(4, -1), ATOM(BPF_DW, 10, 4, -8, BPF_XOR | BPF_FETCH), LDX(BPF_DW, 0, 10, -8),
		A64X(BPF_XOR, 0, 2), A64X(BPF_ADD, 0, 4), EXIT()}},
	{"atomic_bitops32", 0, {ST(BPF_W, 10, -8, 0x0ff0f00f), LDDW(1, 0x12345678f0f0f0f0),
		ATOM(BPF_W, 10, 1, -8, BPF_AND | BPF_FETCH), LDDW(2, 0x1234567800000101),
		ATOM(BPF_W, 10, 2, -8, BPF_OR | BPF_FETCH), LDDW(3, 0xffffffffffffffff),
		ATOM(BPF_W, 10, 3, -8, BPF_XOR | BPF_FETCH), LDX(BPF_W, 0, 10, -8), A64X(BPF_XOR, 0, 1),
		A64K(BPF_LSH, 2, 3), A64X(BPF_ADD, 0, 2), A64K(BPF_LSH, 3, 5), A64X(BPF_ADD, 0, 3), EXIT()}},
	{"atomic_xchg", 0, {ST(BPF_DW, 10, -8, 7), LDDW(1, 0x8000000000000001), ATOM(BPF_DW, 10, 1, -8, BPF_XCHG),
		ST(BPF_W, 10, -12, -5), LDDW(2, 0xabcdef0012345678), ATOM(BPF_W, 10, 2, -12, BPF_XCHG),
		LDX(BPF_DW, 0, 10, -8), A64X(BPF_XOR, 0, 1), LDX(BPF_W, 3, 10, -12), A64X(BPF_ADD, 0, 3),
		A64K(BPF_LSH, 2, 4), A64X(BPF_ADD, 0, 2), EXIT()}},
	{"atomic_cmpxchg64", 0, {ST(BPF_DW, 10, -8, 42), MOV64K(0, 42), MOV64K(1, 99),
		ATOM(BPF_DW, 10, 1, -8, BPF_CMPXCHG), MOV64X(6, 0), MOV64K(0, 1), MOV64K(1, 7),
		ATOM(BPF_DW, 10, 1, -8, BPF_CMPXCHG), LDX(BPF_DW, 2, 10, -8), A64K(BPF_LSH, 6, 16),
		A64X(BPF_ADD, 0, 6), A64K(BPF_LSH, 2, 32), A64X(BPF_ADD, 0, 2), EXIT()}},
	{"atomic_cmpxchg32", 0, {ST(BPF_W, 10, -4, -1), LDDW(0, 0x12345678ffffffff), MOV64K(1, 3),
		ATOM(BPF_W, 10, 1, -4, BPF_CMPXCHG), MOV64X(6, 0), LDDW(0, 0x1234567800000000), MOV64K(1, 9),
		ATOM(BPF_W, 10, 1, -4, BPF_CMPXCHG), LDX(BPF_W, 2, 10, -4), A64K(BPF_LSH, 0, 40),
		A64X(BPF_ADD, 0, 6), A64K(BPF_LSH, 2, 36), A64X(BPF_ADD, 0, 2), EXIT()}},
	{"atomic_on_mem", 32, {MOV64K(3, 5), ATOM(BPF_DW, 1, 3, 0, BPF_ADD), MOV64K(4, -1),
		ATOM(BPF_W, 1, 4, 8, BPF_ADD | BPF_FETCH), MOV64K(5, 0x33), ATOM(BPF_DW, 1, 5, 16, BPF_XCHG),
		LDX(BPF_DW, 0, 1, 24), ATOM(BPF_DW, 1, 0, 24, BPF_CMPXCHG), MOV64K(0, 0),
		MOV64K(3, 1), ATOM(BPF_W, 1, 3, 28, BPF_CMPXCHG), A64X(BPF_ADD, 0, 4), A64X(BPF_ADD, 0, 5),
		EXIT()}},
	/* Local calls: arguments, r6-r9 preserved, separate stacks, pointers to the caller's stack. */
	{"call_args_and_callee_saved", 0, {MOV64K(6, 6), MOV64K(7, 7), MOV64K(8, 8), MOV64K(9, 9), MOV64K(1, 100),
		MOV64K(2, 20), CALL_LOCAL(5), A64X(BPF_ADD, 0, 6), A64X(BPF_ADD, 0, 7), A64X(BPF_ADD, 0, 8),
		A64X(BPF_ADD, 0, 9), EXIT(),
		/* callee */ MOV64X(0, 1), A64X(BPF_SUB, 0, 2), MOV64K(6, -1), MOV64K(7, -1), MOV64K(8, -1),
		MOV64K(9, -1), EXIT()}},
	{"call_separate_stacks", 0, {ST(BPF_DW, 10, -8, 11), CALL_LOCAL(3), LDX(BPF_DW, 1, 10, -8),
		A64X(BPF_ADD, 0, 1), EXIT(),
		/* callee */ ST(BPF_DW, 10, -8, 1000), LDX(BPF_DW, 0, 10, -8), EXIT()}},
	{"call_pointer_to_caller_stack", 0, {ST(BPF_DW, 10, -16, 5), MOV64X(1, 10), A64K(BPF_ADD, 1, -16),
		CALL_LOCAL(3), LDX(BPF_DW, 0, 10, -16), A64K(BPF_MUL, 0, 3), EXIT(),
		/* callee */ LDX(BPF_DW, 2, 1, 0), A64K(BPF_ADD, 2, 37), STX(BPF_DW, 1, 2, 0), MOV64K(0, 0),
		EXIT()}},
	{"call_chain_depth", 0, {MOV64K(1, 1), CALL_LOCAL(2), A64K(BPF_MUL, 0, 3), EXIT(),
		/* f1 */ A64K(BPF_ADD, 1, 1), CALL_LOCAL(2), A64K(BPF_MUL, 0, 5), EXIT(),
		/* f2 */ A64K(BPF_ADD, 1, 2), CALL_LOCAL(2), A64K(BPF_MUL, 0, 7), EXIT(),
		/* f3 */ A64K(BPF_ADD, 1, 3), CALL_LOCAL(2), A64K(BPF_MUL, 0, 11), EXIT(),
		/* f4 */ A64K(BPF_ADD, 1, 4), CALL_LOCAL(2), A64K(BPF_MUL, 0, 13), EXIT(),
		/* f5 */ A64K(BPF_ADD, 1, 5), CALL_LOCAL(2), A64K(BPF_MUL, 0, 17), EXIT(),
		/* f6 */ MOV64X(0, 1), A64K(BPF_LSH, 0, 40), EXIT()}},
	{"call_mem_pointer", 16, {MOV64X(6, 1), CALL_LOCAL(3), LDX(BPF_DW, 3, 6, 0), A64X(BPF_ADD, 0, 3), EXIT(),
		/* callee: r1 still the memory block */ LDX(BPF_DW, 0, 1, 8), ST(BPF_DW, 1, 0, 77), EXIT()}},
	{"call_exit_in_branch", 0, {MOV64K(1, 3), CALL_LOCAL(4), J32K(BPF_JEQ, 0, 9, 1), EXIT(), MOV64K(0, -1),
		EXIT(),
		/* callee */ MOV64K(0, 9), JK(BPF_JGT, 1, 2, 1), EXIT(), MOV64K(0, 8), EXIT()}},
	{"call_helper_ktime", 0, {CALL_HELPER(5), MOV64K(0, 3), EXIT()}},
	/* lddw. */
	{"lddw_high", 0, {LDDW(0, 0x8000000000000000), LDDW(1, 0x00000001ffffffff), A64X(BPF_ADD, 0, 1), EXIT()}},
	{"lddw_sign_bits", 0, {LDDW(0, 0x0000000080000000), LDDW(1, 0xffffffff00000000), A64X(BPF_XOR, 0, 1), EXIT()}},
};
/* clang-format on */

static size_t edge_len(const struct edge *e)
{
	size_t n = sizeof(e->insns) / sizeof(e->insns[0]);
	while (n > 0 && e->insns[n - 1].code == 0)
		n--;
	return n;
}

TEST(edge_cases)
{
	if (!kernel_usable())
		SKIP("bpf() refused: %s", kernel_why);
	struct stats st = {0, 0, 0};
	uint8_t mem[256];
	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = edge_mem_byte(i);
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		diff_one(&st, edges[i].name, edges[i].insns, edge_len(&edges[i]), mem, edges[i].mem_len,
			 NULL);
	report("edge cases", &st);
}

/*
 * A divergence of Linux itself (found by the random memory programs, seen on 6.18 x86-64): a 32-bit
 * cmpxchg must leave r0 = the old value zero-extended (RFC 9669), but x86 `lock cmpxchg` does not
 * write eax when the compare succeeds, so the verifier has to add the zero extension; it only does
 * so when it sees a 64-bit read of r0 after the cmpxchg, and here that read is on a path it prunes
 * (the state at the join equals the one the other branch brought). The kernel then returns r0 with
 * its old upper half. userbpf must give the RFC's answer; the kernel's answer is only reported.
 */
TEST(kernel_cmpxchg32_zext)
{
	const struct bpf_insn p[] = {
	    MOV64X(9, 1),
	    LDX(BPF_DW, 7, 9, 0),
	    LDDW(0, 0x5cc0000000000000),
	    MOV64K(1, 5),
	    JK(BPF_JEQ, 7, 0, 2),
	    LDX(BPF_W, 0, 9, 12), /* the branch the verifier walks first */
	    JA(1),
	    ATOM(BPF_W, 9, 1, 8, BPF_CMPXCHG), /* the one that runs: mem[8..12) == w0 == 0 */
	    EXIT(),
	};
	const size_t cnt = sizeof(p) / sizeof(p[0]);
	uint8_t mem[16] = {0}, cmem[16] = {0}, fmem[16] = {0};
	uint64_t cr0 = 1, fr0 = 1;
	CHECK_EQ_INT(userbpf_run(p, cnt, cmem, sizeof(cmem), false, &cr0), 0);
	CHECK_EQ_INT(userbpf_run(p, cnt, fmem, sizeof(fmem), true, &fr0), 0);
	CHECK_EQ_U64(cr0, 0);
	CHECK_EQ_U64(fr0, 0);
	CHECK_EQ_INT(cmem[8], 5);
	CHECK_EQ_INT(fmem[8], 5);
	if (!kernel_usable())
		return;
	static struct kresult kres;
	if (kernel_run(p, cnt, mem, sizeof(mem), &kres, false) == 0)
		fprintf(stderr, "kernel_cmpxchg32_zext: kernel r0 = 0x%" PRIx64 " (%s)\n", kres.r0,
			kres.r0 ? "the kernel bug is present" : "the kernel follows the RFC");
}

/* ------------------------------------------------------------------------------------------------ */
/* Random programs (fixed seed).                                                                     */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* A value likely to hit an edge: 0, ±1, the sign bits, all ones, or plain random. */
static uint64_t rnd_value(void)
{
	static const uint64_t special[] = {0,
					   1,
					   2,
					   3,
					   (uint64_t)-1,
					   (uint64_t)-2,
					   0x7fffffff,
					   0x80000000,
					   0xffffffff,
					   0x100000000,
					   0xffffffff80000000,
					   0x7fffffffffffffff,
					   0x8000000000000000,
					   0x80,
					   0xff,
					   0x8000,
					   0xffff,
					   31,
					   32,
					   63,
					   64};
	switch (rnd_below(4)) {
	case 0:
		return special[rnd_below(sizeof(special) / sizeof(special[0]))];
	case 1:
		return (uint64_t)(int64_t)(int8_t)rnd();
	case 2:
		return (uint32_t)rnd();
	default:
		return rnd();
	}
}

static int32_t rnd_imm(void)
{
	return (int32_t)(uint32_t)rnd_value();
}

/* One random ALU instruction on r0..r(nregs - 1). */
static struct bpf_insn rnd_alu(uint32_t nregs)
{
	static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND,  BPF_LSH,
				      BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
	uint8_t dst = (uint8_t)rnd_below(nregs), src = (uint8_t)rnd_below(nregs);
	bool is64 = rnd_below(2);
	uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
	int bits = is64 ? 64 : 32;
	uint8_t op = ops[rnd_below(sizeof(ops))];
	bool reg = rnd_below(2);
	int16_t off = 0;

	switch (op) {
	case BPF_NEG:
		return INSN(cls | BPF_NEG, dst, 0, 0, 0);
	case BPF_END: {
		static const int widths[] = {16, 32, 64};
		int w = widths[rnd_below(3)];
		if (is64) /* bswap */
			return INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, w);
		return INSN(BPF_ALU | BPF_END | (rnd_below(2) ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0, w);
	}
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		if (!reg)
			return INSN(cls | op | BPF_K, dst, 0, 0, (int32_t)rnd_below((uint32_t)bits));
		break;
	case BPF_DIV:
	case BPF_MOD:
		off = rnd_below(2); /* signed half the time */
		if (!reg) {
			int32_t imm = rnd_imm();
			return INSN(cls | op | BPF_K, dst, 0, off, imm ? imm : -1);
		}
		break;
	case BPF_MOV:
		if (reg && rnd_below(3) == 0) { /* sign-extending move */
			static const int16_t w64[] = {8, 16, 32}, w32[] = {8, 16};
			off = is64 ? w64[rnd_below(3)] : w32[rnd_below(2)];
		}
		break;
	default:
		break;
	}
	if (reg)
		return INSN(cls | op | BPF_X, dst, src, off, 0);
	return INSN(cls | op | BPF_K, dst, 0, off, rnd_imm());
}

/* A random forward conditional (or unconditional) jump over at most `room` instructions. */
static struct bpf_insn rnd_jump(size_t room, uint32_t nregs)
{
	static const uint8_t ops[] = {BPF_JEQ,	BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE,  BPF_JSGT,
				      BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE, BPF_JA};
	uint8_t op = ops[rnd_below(sizeof(ops))];
	int16_t off = (int16_t)rnd_below((uint32_t)(room < 8 ? room : 8) + 1);
	/* An unconditional jump over anything leaves it unreachable, which the verifier refuses. */
	if (op == BPF_JA)
		return rnd_below(2) ? INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0)
				    : INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 0);
	uint8_t cls = rnd_below(2) ? BPF_JMP : BPF_JMP32;
	uint8_t dst = (uint8_t)rnd_below(nregs), src = (uint8_t)rnd_below(nregs);
	if (rnd_below(2))
		return INSN(cls | op | BPF_X, dst, src, off, 0);
	return INSN(cls | op | BPF_K, dst, 0, off, rnd_imm());
}

/*
 * A random program over an 80-byte memory block (10 u64 slots). It saves the block pointer on the
 * stack, sets r0..r9 from lddw constants or from the block, runs `body` random instructions (forward
 * jumps only when `branches`), then stores r0..r9 into the block: the memory comparison sees every
 * register's 64 bits. Returns the length.
 */
static size_t rnd_program(struct bpf_insn *p, size_t body, bool branches)
{
	size_t n = 0;
	p[n++] = STX(BPF_DW, 10, 1, -8);
	/* r1, the block pointer, is set last. */
	static const int order[] = {9, 8, 7, 6, 5, 4, 3, 2, 0, 1};
	for (int k = 0; k < 10; k++) {
		int r = order[k];
		if (rnd_below(2)) {
			uint64_t v = rnd_value();
			p[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, (uint8_t)r, 0, 0, (int32_t)(uint32_t)v);
			p[n++] = INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
		} else {
			p[n++] = LDX(BPF_DW, (uint8_t)r, 1, (int16_t)(8 * r));
		}
	}
	size_t end = n + body;
	while (n < end) {
		if (branches && rnd_below(4) == 0)
			p[n] = rnd_jump(end - n - 1, 10);
		else
			p[n] = rnd_alu(10);
		n++;
	}
	p[n++] = STX(BPF_DW, 10, 1, -16);
	p[n++] = LDX(BPF_DW, 1, 10, -8);
	for (int r = 0; r <= 9; r++)
		if (r != 1)
			p[n++] = STX(BPF_DW, 1, (uint8_t)r, (int16_t)(8 * r));
	p[n++] = LDX(BPF_DW, 2, 10, -16);
	p[n++] = STX(BPF_DW, 1, 2, 8);
	p[n++] = EXIT();
	return n;
}

/*
 * Random programs over memory: r9 holds the block pointer, r0..r8 are set from constants or the
 * block, 64 bytes of stack are initialised, then the body mixes ALU, forward jumps, loads (plain and
 * sign-extending), stores and atomics on the block's first 80 bytes and on the stack. The epilogue
 * copies r0..r8 to bytes 80..151 and the stack to bytes 152..215, so the memory comparison sees all.
 */
#define MEMPROG_MEM 216

static struct bpf_insn rnd_mem_access(void)
{
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	static const int bytes[] = {1, 2, 4, 8};
	static const int32_t atomic_ops[] = {BPF_ADD,
					     BPF_OR,
					     BPF_AND,
					     BPF_XOR,
					     BPF_ADD | BPF_FETCH,
					     BPF_OR | BPF_FETCH,
					     BPF_AND | BPF_FETCH,
					     BPF_XOR | BPF_FETCH,
					     BPF_XCHG,
					     BPF_CMPXCHG};
	bool stack = rnd_below(3) == 0;
	uint8_t base = stack ? 10 : 9;
	uint8_t reg = (uint8_t)rnd_below(9);
	uint32_t kind = rnd_below(10);
	if (kind >= 8) { /* atomic: aligned, 32 or 64 bits */
		int sz = rnd_below(2) ? 3 : 2;
		int32_t op = atomic_ops[rnd_below(sizeof(atomic_ops) / sizeof(atomic_ops[0]))];
		int16_t off = (int16_t)(bytes[sz] * (int)rnd_below(64 / (uint32_t)bytes[sz]));
		return ATOM(sizes[sz], base, reg, stack ? (int16_t)(off - 64) : off, op);
	}
	uint32_t sz = rnd_below(4);
	/* The stack is only read and written aligned; the block takes unaligned accesses too. */
	int16_t off = stack ? (int16_t)(bytes[sz] * (int)rnd_below(64 / (uint32_t)bytes[sz]) - 64)
			    : (int16_t)rnd_below(80 - (uint32_t)bytes[sz] + 1);
	switch (kind) {
	case 0:
	case 1:
	case 2:
		return LDX(sizes[sz], reg, base, off);
	case 3:
		return sz < 3 ? LDXS(sizes[sz], reg, base, off) : LDX(sizes[sz], reg, base, off);
	case 4:
		return ST(sizes[sz], base, off, rnd_imm());
	default:
		return STX(sizes[sz], base, reg, off);
	}
}

static bool is_cmpxchg32(const struct bpf_insn *insn)
{
	return insn->code == (BPF_STX | BPF_ATOMIC | BPF_W) && insn->imm == BPF_CMPXCHG;
}

static size_t rnd_mem_program(struct bpf_insn *p, size_t body)
{
	size_t n = 0;
	p[n++] = MOV64X(9, 1);
	for (int r = 0; r <= 8; r++) {
		if (rnd_below(2)) {
			uint64_t v = rnd_value();
			p[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, (uint8_t)r, 0, 0, (int32_t)(uint32_t)v);
			p[n++] = INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
		} else {
			p[n++] = LDX(BPF_DW, (uint8_t)r, 9, (int16_t)(8 * r));
		}
	}
	for (int k = 1; k <= 8; k++)
		p[n++] = rnd_below(2) ? STX(BPF_DW, 10, (uint8_t)rnd_below(9), (int16_t)(-8 * k))
				      : ST(BPF_DW, 10, (int16_t)(-8 * k), rnd_imm());
	size_t start = n, end = n + body;
	bool no_target[512] = {false};
	while (n < end) {
		uint32_t what = rnd_below(8);
		if (what == 0) {
			p[n] = rnd_jump(end - n - 1, 9);
		} else if (what < 4) {
			p[n] = rnd_alu(9);
		} else {
			struct bpf_insn insn = rnd_mem_access();
			if (is_cmpxchg32(&insn)) {
				/* Linux drops the zero extension of r0 (see kernel_cmpxchg32_zext): clear
				 * r0's upper half first, and let no jump land between the two. */
				if (end - n < 2)
					continue;
				p[n++] = A32X(BPF_MOV, 0, 0);
				no_target[n] = true;
			}
			p[n] = insn;
		}
		n++;
	}
	for (size_t j = start; j < end; j++) {
		uint8_t cls = BPF_CLASS(p[j].code);
		if ((cls == BPF_JMP || cls == BPF_JMP32) && no_target[j + 1 + (size_t)p[j].off])
			p[j].off--;
	}
	for (int r = 0; r <= 8; r++)
		p[n++] = STX(BPF_DW, 9, (uint8_t)r, (int16_t)(80 + 8 * r));
	for (int k = 1; k <= 8; k++) {
		p[n++] = LDX(BPF_DW, 0, 10, (int16_t)(-8 * k));
		p[n++] = STX(BPF_DW, 9, 0, (int16_t)(152 + 8 * (k - 1)));
	}
	p[n++] = LDX(BPF_DW, 0, 9, 80);
	p[n++] = EXIT();
	return n;
}

static void random_programs(const char *what, uint64_t seed, int count, size_t body, int kind)
{
	static struct bpf_insn prog[512];
	uint8_t mem[MEMPROG_MEM];
	char name[64];
	struct stats st = {0, 0, 0};
	rng_state = seed;
	for (int i = 0; i < count; i++) {
		for (size_t r = 0; r < sizeof(mem) / 8; r++) {
			uint64_t v = rnd_value();
			memcpy(mem + 8 * r, &v, 8);
		}
		size_t n = kind == 2 ? rnd_mem_program(prog, body) : rnd_program(prog, body, kind == 1);
		snprintf(name, sizeof(name), "%s#%d", what, i);
		diff_one(&st, name, prog, n, mem, kind == 2 ? sizeof(mem) : 80, NULL);
	}
	report(what, &st);
}

TEST(random_straight_line)
{
	if (!kernel_usable())
		SKIP("bpf() refused: %s", kernel_why);
	random_programs("random straight-line", 0x5eed0001, 400, 48, 0);
}

TEST(random_branching)
{
	if (!kernel_usable())
		SKIP("bpf() refused: %s", kernel_why);
	random_programs("random branching", 0x5eed0002, 400, 40, 1);
}

TEST(random_memory)
{
	if (!kernel_usable())
		SKIP("bpf() refused: %s", kernel_why);
	random_programs("random memory", 0x5eed0003, 300, 40, 2);
}
