/*
 * plugin.c - userbpf-plugin: the bpf_conformance plugin.
 *
 *   userbpf-plugin [HEX_MEMORY] [--interp | --jit] [--elf] < PROGRAM_HEX
 *
 * Reads the program as whitespace-separated hex bytes of raw instructions on stdin; the optional
 * first argument (unless it starts with "--") is the memory block as whitespace-separated hex bytes.
 * Options may also arrive as one argument holding several (the upstream runner passes them so).
 * Loads the program untrusted with the kernel-numbered standard helpers, runs it on the checked
 * interpreter at CPU v4 with r1 = memory and r2 = its length, and prints r0 in hex. Anything else
 * (refused program, run-time error, bad input) is a message on stderr and exit status 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userbpf/userbpf.h"

#define MAX_INPUT (64u << 20)

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("userbpf-plugin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Whitespace-separated groups of hex digit pairs ("aa bb", "aabb", "0xaa"). NULL on bad input. */
static uint8_t *parse_hex(const char *s, size_t *len, const char **why)
{
	size_t n = 0;
	uint8_t *out = malloc(strlen(s) / 2 + 1);
	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	while (*s) {
		if (is_space((unsigned char)*s)) {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		const char *g = s;
		while (*s && !is_space((unsigned char)*s)) {
			if (hexval((unsigned char)*s) < 0) {
				*why = "not a hex digit";
				free(out);
				return NULL;
			}
			s++;
		}
		if ((s - g) == 0 || (s - g) % 2) {
			*why = "odd number of hex digits";
			free(out);
			return NULL;
		}
		for (; g < s; g += 2)
			out[n++] = (uint8_t)(hexval((unsigned char)g[0]) << 4 | hexval((unsigned char)g[1]));
	}
	*len = n;
	return out;
}

static char *read_stdin(void)
{
	size_t cap = 1 << 14, len = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return NULL;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_INPUT) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *t = realloc(buf, cap * 2 + 1);
			if (!t) {
				free(buf);
				return NULL;
			}
			buf = t;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len, stdin);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
}

/* Apply one option word; 0 on success, else the exit status after a message. */
static int apply_option(const char *opt, size_t len)
{
	if (len == 8 && strncmp(opt, "--interp", len) == 0)
		return 0;
	if (len == 5 && strncmp(opt, "--jit", len) == 0)
		return fail("%s: the JIT is not implemented yet; use --interp", "--jit");
	if (len == 5 && strncmp(opt, "--elf", len) == 0)
		return fail("%s: ELF input is not supported yet; pass raw instructions", "--elf");
	fprintf(stderr, "userbpf-plugin: unknown option '%.*s' (known: --interp, --jit, --elf)\n", (int)len,
		opt);
	return 1;
}

/* An argument may hold several options separated by whitespace ("--interp --elf"), or none. */
static int apply_options(const char *arg)
{
	while (*arg) {
		if (is_space((unsigned char)*arg)) {
			arg++;
			continue;
		}
		size_t len = 0;
		while (arg[len] && !is_space((unsigned char)arg[len]))
			len++;
		int rc = apply_option(arg, len);
		if (rc)
			return rc;
		arg += len;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mem_arg = NULL;
	const char *why = "";
	int first_opt = 1, rc = 1;
	uint8_t *mem = NULL, *code = NULL;
	size_t mem_len = 0, code_len = 0;
	char *text = NULL;
	struct userbpf_helpers *helpers = NULL;
	struct userbpf_prog *prog = NULL;

	if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
		mem_arg = argv[1];
		first_opt = 2;
	}
	for (int i = first_opt; i < argc; i++) {
		rc = apply_options(argv[i]);
		if (rc)
			return rc;
	}
	rc = 1;

	if (mem_arg) {
		mem = parse_hex(mem_arg, &mem_len, &why);
		if (!mem) {
			fail("memory argument: %s", why);
			goto out;
		}
	}
	text = read_stdin();
	if (!text) {
		fail("cannot read the program from standard input: %s", strerror(errno));
		goto out;
	}
	code = parse_hex(text, &code_len, &why);
	if (!code) {
		fail("program on standard input: %s", why);
		goto out;
	}
	if (code_len == 0) {
		fail("%s", "no instructions on standard input");
		goto out;
	}
	if (code_len % sizeof(struct userbpf_insn)) {
		fprintf(stderr,
			"userbpf-plugin: program of %zu bytes is not a whole number of 8-byte instructions\n",
			code_len);
		goto out;
	}

	helpers = userbpf_helpers__new();
	if (!helpers || userbpf_helpers__add_std(helpers) < 0) {
		fail("cannot set up the helpers: %s", strerror(errno));
		goto out;
	}
	static char log[8192];
	struct userbpf_prog_opts po = USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = helpers, .log_buf = log,
							.log_size = sizeof(log), .cpu_version = 4);
	/* `code` comes from malloc, so it is suitably aligned for struct userbpf_insn. */
	prog = userbpf_prog__load((const struct userbpf_insn *)code, code_len / sizeof(struct userbpf_insn),
				  &po);
	if (!prog) {
		int err = errno;
		size_t n = strlen(log);
		while (n && log[n - 1] == '\n')
			log[--n] = '\0';
		fprintf(stderr, "userbpf-plugin: program refused: %s\n", log[0] ? log : strerror(err));
		goto out;
	}

	char err[512] = "";
	struct userbpf_run_opts ro =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = mem_len ? mem : NULL, .ctx_size = mem_len,
			      .exec = USERBPF_EXEC_CHECKED, .err_buf = err, .err_size = sizeof(err));
	int r = userbpf_prog__run(prog, &ro);
	if (r < 0) {
		fprintf(stderr, "userbpf-plugin: run failed: %s\n", err[0] ? err : strerror(-r));
		goto out;
	}
	printf("%" PRIx64 "\n", ro.retval);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	userbpf_prog__free(prog);
	userbpf_helpers__free(helpers);
	free(code);
	free(mem);
	free(text);
	return rc;
}
