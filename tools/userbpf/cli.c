/*
 * cli.c - shared machinery of the `userbpf` subcommands: one-line error reports, the option parser,
 * hex and number parsing, and loading a program from raw bytecode, assembly text or a `.data` file.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/datafile.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;
	fputs("userbpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_err(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("userbpf: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, " (see 'userbpf help %s')\n", cmd->name);
	else
		fputs(" (see 'userbpf --help')\n", stderr);
	return CLI_EXIT_USAGE;
}

void cli_print_help(const struct cli_command *cmd)
{
	printf("usage: userbpf %s\n\n%s", cmd->usage, cmd->help);
}

const char *cli_display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

const char *cli_first_line(const char *s, char *buf, size_t size)
{
	size_t n = strcspn(s, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* ---------------------------------------------------------------------------------------------- */
/* Options                                                                                          */

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd, const struct cli_opt *opts,
		     int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->idx = 1; /* argv[0] is the command name */
	p->opts = opts;
	p->cmd = cmd;
}

static int take_arg(struct cli_parser *p, const struct cli_opt *o, const char *inline_arg, bool is_long)
{
	if (!o->has_arg) {
		if (inline_arg) {
			cli_usage_err(p->cmd, "option '--%s' takes no argument", o->name);
			return CLI_OPT_ERROR;
		}
		p->arg = NULL;
		return o->id;
	}
	if (inline_arg) {
		p->arg = inline_arg;
		return o->id;
	}
	if (p->idx >= p->argc) {
		if (is_long)
			cli_usage_err(p->cmd, "option '--%s' needs an argument", o->name);
		else
			cli_usage_err(p->cmd, "option '-%c' needs an argument", o->short_name);
		return CLI_OPT_ERROR;
	}
	p->arg = p->argv[p->idx++];
	return o->id;
}

int cli_next_opt(struct cli_parser *p)
{
	if (p->short_rest && *p->short_rest) {
		char c = *p->short_rest++;
		for (const struct cli_opt *o = p->opts; o->name; o++) {
			if (o->short_name && o->short_name == c) {
				const char *inl = NULL;
				if (o->has_arg && *p->short_rest) {
					inl = p->short_rest;
					p->short_rest = NULL;
				}
				return take_arg(p, o, inl, false);
			}
		}
		cli_usage_err(p->cmd, "unknown option '-%c'", c);
		return CLI_OPT_ERROR;
	}
	p->short_rest = NULL;
	if (p->idx >= p->argc)
		return CLI_OPT_END;
	const char *a = p->argv[p->idx++];
	if (p->no_more_opts || a[0] != '-' || a[1] == '\0') {
		p->arg = a;
		return CLI_OPT_OPERAND;
	}
	if (a[1] != '-') {
		p->short_rest = a + 1;
		return cli_next_opt(p);
	}
	if (a[2] == '\0') {
		p->no_more_opts = true;
		return cli_next_opt(p);
	}
	const char *name = a + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	for (const struct cli_opt *o = p->opts; o->name; o++) {
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return take_arg(p, o, eq ? eq + 1 : NULL, true);
	}
	cli_usage_err(p->cmd, "unknown option '--%.*s'", (int)len, name);
	return CLI_OPT_ERROR;
}

/* ---------------------------------------------------------------------------------------------- */
/* Numbers and hex                                                                                  */

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

bool cli_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = hexval((unsigned char)*s);
		if (d < 0 || d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return true;
}

static bool is_sep(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ',' ||
	       c == ':';
}

int cli_parse_hex(const char *s, uint8_t **bytes, size_t *len, char *err, size_t err_size)
{
	size_t n = 0, cap = 0;
	uint8_t *out = NULL;
	const char *start = s;

	*bytes = NULL;
	*len = 0;
	while (*s) {
		if (is_sep((unsigned char)*s)) {
			s++;
			continue;
		}
		/* One group: [0x]HH[HH...] */
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		const char *g = s;
		while (*s && !is_sep((unsigned char)*s)) {
			if (hexval((unsigned char)*s) < 0) {
				snprintf(err, err_size, "'%c' at offset %zu is not a hex digit", *s,
					 (size_t)(s - start));
				free(out);
				return -EINVAL;
			}
			s++;
		}
		size_t digits = (size_t)(s - g);
		if (digits == 0 || digits % 2) {
			snprintf(err, err_size, "odd number of hex digits at offset %zu",
				 (size_t)(g - start));
			free(out);
			return -EINVAL;
		}
		if (n + digits / 2 > cap) {
			size_t ncap = cap ? cap * 2 : 64;
			while (ncap < n + digits / 2)
				ncap *= 2;
			uint8_t *t = realloc(out, ncap);
			if (!t) {
				free(out);
				snprintf(err, err_size, "out of memory");
				return -ENOMEM;
			}
			out = t;
			cap = ncap;
		}
		for (size_t i = 0; i < digits; i += 2)
			out[n++] =
			    (uint8_t)(hexval((unsigned char)g[i]) << 4 | hexval((unsigned char)g[i + 1]));
	}
	*bytes = out;
	*len = n;
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Files                                                                                            */

int cli_read_file(const char *path, char **bufp, size_t *lenp)
{
	const char *name = cli_display_name(path);
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		cli_err("%s: %s", name, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	int rc = 0;
	if (!buf) {
		cli_err("%s: out of memory", name);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap > CLI_MAX_FILE_SIZE) {
				cli_err("%s: file is too large (more than %u MiB)", name,
					CLI_MAX_FILE_SIZE >> 20);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			char *t = realloc(buf, cap * 2 + 1);
			if (!t) {
				cli_err("%s: out of memory", name);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			buf = t;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				cli_err("%s: %s", name, strerror(errno ? errno : EIO));
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Text: valid UTF-8 without NUL or C0 control characters other than whitespace (DEL is allowed). */
static bool looks_like_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v')
				return false;
			p++;
			continue;
		}
		int extra;
		if (c >= 0xc2 && c <= 0xdf)
			extra = 1;
		else if (c >= 0xe0 && c <= 0xef)
			extra = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			extra = 3;
		else
			return false;
		if (end - p <= extra)
			return false;
		for (int i = 1; i <= extra; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += extra + 1;
	}
	return true;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Report an assembler failure. The library gives "LINE:COL: what is wrong" plus err_line/err_col;
 * `line_base` shifts the line for text that starts inside a larger file (a .data asm section).
 */
static int report_asm_error(const char *name, const struct userbpf_asm_opts *ao, int line_base)
{
	const char *msg = ao->err_buf;
	char line[512];
	/* Drop the library's own "LINE:COL: " prefix: we print the position relative to the file. */
	const char *p = msg;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p != msg && *p == ':') {
		const char *q = p + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q != p + 1 && q[0] == ':' && q[1] == ' ')
			msg = q + 2;
	}
	cli_first_line(msg, line, sizeof(line));
	if (!*line)
		snprintf(line, sizeof(line), "malformed assembly");
	if (ao->err_line > 0)
		cli_err("%s:%d:%d: %s", name, ao->err_line + line_base, ao->err_col > 0 ? ao->err_col : 1,
			line);
	else
		cli_err("%s: %s", name, line);
	return CLI_EXIT_USAGE;
}

static int assemble(const char *name, const char *text, int line_base, struct cli_input *in)
{
	char err[512] = "";
	struct userbpf_asm_opts ao =
	    USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = err, .err_size = sizeof(err));
	int rc = userbpf_asm(text, &in->insns, &in->cnt, &ao);
	if (rc == -ENOMEM) {
		cli_err("%s: out of memory", name);
		return CLI_EXIT_USAGE;
	}
	if (rc < 0)
		return report_asm_error(name, &ao, line_base);
	return 0;
}

static int load_data(const char *name, const char *text, struct cli_input *in)
{
	struct datafile df;
	char err[512] = "";
	int rc;

	memset(&df, 0, sizeof(df));
	rc = datafile_parse(text, &df, err, sizeof(err));
	if (rc == -ENOMEM) {
		cli_err("%s: out of memory", name);
		return CLI_EXIT_USAGE;
	}
	if (rc < 0) {
		char line[512];
		cli_first_line(err, line, sizeof(line));
		cli_err("%s:%s", name, *line ? line : " malformed .data file");
		datafile_free(&df);
		return CLI_EXIT_USAGE;
	}
	in->kind = CLI_INPUT_DATA;
	if (df.has_raw) {
		/* The raw section is the exact bytecode; prefer it over re-assembling the asm text. */
		in->insns = df.raw;
		in->cnt = df.raw_cnt;
		df.raw = NULL;
		df.raw_cnt = 0;
	} else if (df.asm_text) {
		rc = assemble(name, df.asm_text, df.asm_line > 0 ? df.asm_line - 1 : 0, in);
		if (rc) {
			datafile_free(&df);
			return rc;
		}
	} else {
		cli_err("%s: no '-- asm' or '-- raw' section", name);
		datafile_free(&df);
		return CLI_EXIT_USAGE;
	}
	if (df.has_mem) {
		in->mem = df.mem;
		in->mem_len = df.mem_len;
		in->has_mem = true;
		df.mem = NULL;
	}
	in->result = df.result;
	in->has_result = df.has_result;
	datafile_free(&df);
	return 0;
}

int cli_load_input(const char *path, struct cli_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(in, 0, sizeof(*in));
	in->name = cli_display_name(path);
	rc = cli_read_file(path, &buf, &len);
	if (rc)
		return rc;
	return cli_load_input_buf(path, buf, len, in);
}

int cli_load_input_buf(const char *path, char *buf, size_t len, struct cli_input *in)
{
	int rc = 0;

	memset(in, 0, sizeof(*in));
	in->name = cli_display_name(path);
	if (has_suffix(path, ".data")) {
		if (memchr(buf, '\0', len)) {
			cli_err("%s: not a text file (it holds NUL bytes)", in->name);
			rc = CLI_EXIT_USAGE;
		} else {
			rc = load_data(in->name, buf, in);
		}
	} else if (len > 0 && !looks_like_text(buf, len)) {
		in->kind = CLI_INPUT_RAW;
		if (len % sizeof(struct userbpf_insn)) {
			cli_err("%s: raw bytecode of %zu bytes is not a whole number of 8-byte instructions",
				in->name, len);
			rc = CLI_EXIT_USAGE;
		} else {
			in->cnt = len / sizeof(struct userbpf_insn);
			in->insns = malloc(len);
			if (!in->insns) {
				cli_err("%s: out of memory", in->name);
				rc = CLI_EXIT_USAGE;
			} else {
				memcpy(in->insns, buf, len);
			}
		}
	} else {
		in->kind = CLI_INPUT_ASM;
		rc = assemble(in->name, buf, 0, in);
	}
	free(buf);
	if (!rc && in->cnt == 0) {
		cli_err("%s: no instructions", in->name);
		rc = CLI_EXIT_USAGE;
	}
	if (rc)
		cli_input_free(in);
	return rc;
}

void cli_input_free(struct cli_input *in)
{
	free(in->insns);
	free(in->mem);
	in->insns = NULL;
	in->mem = NULL;
	in->cnt = in->mem_len = 0;
}
