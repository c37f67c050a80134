/*
 * datafile.c - datafile_parse()/datafile_free(): the bpf_conformance `.data` format (see datafile.h).
 *
 * The file is read line by line. `-- NAME` opens a section; text before the first section may only
 * be `#` comments and blank lines. The asm section is kept verbatim (the assembler reads its
 * comments); in raw, mem and result `#` starts a comment. Raw lines are 8*N hex bytes
 * ("b4 00 00 00 00 00 00 00") or one 64-bit little-endian word ("0x0000000000000095").
 */
#include "datafile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum section { SEC_NONE, SEC_ASM, SEC_RAW, SEC_MEM, SEC_RESULT, SEC_ERROR, SEC_OTHER };

struct parser {
	struct datafile *df;
	char *err;
	size_t err_size;
	size_t raw_cap; /* bytes */
	size_t mem_cap;
	uint8_t *raw_bytes;
	size_t raw_len;
	size_t asm_len, asm_cap;
	size_t error_len, error_cap;
	bool seen[SEC_OTHER + 1];
};

__attribute__((format(printf, 5, 6))) static int fail(struct parser *p, int line, int col, int rc,
						      const char *fmt, ...)
{
	if (p->err && p->err_size) {
		int n = snprintf(p->err, p->err_size, "%d:%d: ", line, col);
		if (n >= 0 && (size_t)n < p->err_size) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return rc;
}

static int grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*ptr, n * elem);
	if (!q)
		return -ENOMEM;
	*ptr = q;
	*cap = n;
	return 0;
}

/* Append `len` chars and a newline to a growing NUL-terminated string. */
static int append_line(char **s, size_t *len, size_t *cap, const char *text, size_t n)
{
	void *v = *s;
	if (grow(&v, cap, *len + n + 2, 1))
		return -ENOMEM;
	*s = v;
	memcpy(*s + *len, text, n);
	*len += n;
	(*s)[(*len)++] = '\n';
	(*s)[*len] = '\0';
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of a line's content before a `#` comment, without trailing blanks. */
static size_t content_len(const char *s, size_t n)
{
	const char *hash = memchr(s, '#', n);
	if (hash)
		n = (size_t)(hash - s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return n;
}

/* Hex bytes separated by blanks ("b4 00 0x11"), appended to *buf. */
static int parse_bytes(struct parser *p, int lineno, const char *s, size_t n, uint8_t **buf, size_t *len,
		       size_t *cap)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		size_t start = i;
		if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
			i += 2;
		size_t dstart = i;
		unsigned v = 0;
		while (i < n && !isspace((unsigned char)s[i])) {
			int h = hexval((unsigned char)s[i]);
			if (h < 0 || i - dstart >= 2)
				return fail(p, lineno, (int)start + 1, -EINVAL, "bad hex byte '%.*s'",
					    (int)(i - start + 1), s + start);
			v = v * 16 + (unsigned)h;
			i++;
		}
		if (i == dstart)
			return fail(p, lineno, (int)start + 1, -EINVAL, "bad hex byte '%.*s'",
				    (int)(i - start), s + start);
		void *b = *buf;
		if (grow(&b, cap, *len + 1, 1))
			return -ENOMEM;
		*buf = b;
		(*buf)[(*len)++] = (uint8_t)v;
	}
	return 0;
}

/* A number: 0x hex or decimal, optional leading '-' (two's complement). */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	bool neg = false;
	size_t i = 0;
	uint64_t v = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		i += 2;
		if (i >= n)
			return -EINVAL;
		for (; i < n; i++) {
			int h = hexval((unsigned char)s[i]);
			if (h < 0 || v >> 60)
				return -EINVAL;
			v = v << 4 | (uint64_t)h;
		}
	} else {
		if (i >= n)
			return -EINVAL;
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
			unsigned d = (unsigned)(s[i] - '0');
			if (v > (UINT64_MAX - d) / 10)
				return -EINVAL;
			v = v * 10 + d;
		}
	}
	*out = neg ? (uint64_t)0 - v : v;
	return 0;
}

static int raw_line(struct parser *p, int lineno, const char *s, size_t n)
{
	size_t lead = 0;
	while (lead < n && isspace((unsigned char)s[lead]))
		lead++;
	if (lead == n)
		return 0;
	size_t before = p->raw_len;
	int rc;
	if (n - lead > 2 && s[lead] == '0' && (s[lead + 1] == 'x' || s[lead + 1] == 'X') &&
	    !memchr(s + lead, ' ', n - lead) && !memchr(s + lead, '\t', n - lead)) {
		uint64_t w;
		if (n - lead > 18 || parse_u64(s + lead, n - lead, &w))
			return fail(p, lineno, (int)lead + 1, -EINVAL, "bad 64-bit instruction word '%.*s'",
				    (int)(n - lead), s + lead);
		void *b = p->raw_bytes;
		if (grow(&b, &p->raw_cap, p->raw_len + 8, 1))
			return -ENOMEM;
		p->raw_bytes = b;
		for (int i = 0; i < 8; i++)
			p->raw_bytes[p->raw_len++] = (uint8_t)(w >> (8 * i));
		return 0;
	}
	rc = parse_bytes(p, lineno, s, n, &p->raw_bytes, &p->raw_len, &p->raw_cap);
	if (rc)
		return rc;
	if ((p->raw_len - before) % 8)
		return fail(p, lineno, (int)lead + 1, -EINVAL,
			    "raw line has %zu bytes, not a multiple of 8 (one instruction is 8 bytes)",
			    p->raw_len - before);
	return 0;
}

static enum section section_of(const char *name, size_t n)
{
	static const struct {
		const char *name;
		enum section sec;
	} known[] = {{"asm", SEC_ASM},
		     {"raw", SEC_RAW},
		     {"mem", SEC_MEM},
		     {"result", SEC_RESULT},
		     {"error", SEC_ERROR}};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && memcmp(known[i].name, name, n) == 0)
			return known[i].sec;
	return SEC_OTHER;
}

static int parse(struct parser *p, const char *text)
{
	struct datafile *df = p->df;
	enum section sec = SEC_NONE;
	int lineno = 0;
	bool result_seen_value = false;
	const char *s = text;

	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		const char *next = eol ? eol + 1 : s + n;
		if (n && s[n - 1] == '\r')
			n--;
		lineno++;

		if (n >= 2 && s[0] == '-' && s[1] == '-') {
			size_t a = 2, b = n;
			while (a < b && isspace((unsigned char)s[a]))
				a++;
			while (b > a && isspace((unsigned char)s[b - 1]))
				b--;
			sec = section_of(s + a, b - a);
			if (sec != SEC_OTHER && p->seen[sec])
				return fail(p, lineno, 1, -EINVAL, "section '%.*s' appears twice",
					    (int)(b - a), s + a);
			p->seen[sec] = true;
			if (sec == SEC_ASM) {
				df->asm_line = lineno + 1;
				if (append_line(&df->asm_text, &p->asm_len, &p->asm_cap, "", 0))
					return -ENOMEM;
				p->asm_len = 0;
				df->asm_text[0] = '\0';
			} else if (sec == SEC_RAW) {
				df->has_raw = true;
			} else if (sec == SEC_MEM) {
				df->has_mem = true;
			} else if (sec == SEC_ERROR) {
				if (append_line(&df->error, &p->error_len, &p->error_cap, "", 0))
					return -ENOMEM;
				p->error_len = 0;
				df->error[0] = '\0';
			}
			s = next;
			continue;
		}

		size_t cn = content_len(s, n);
		int rc = 0;
		switch (sec) {
		case SEC_NONE: {
			size_t i = 0;
			while (i < cn && isspace((unsigned char)s[i]))
				i++;
			if (i < cn)
				return fail(p, lineno, (int)i + 1, -EINVAL,
					    "text outside a section (sections start with '-- NAME')");
			break;
		}
		case SEC_ASM:
			rc = append_line(&df->asm_text, &p->asm_len, &p->asm_cap, s, n);
			break;
		case SEC_RAW:
			rc = raw_line(p, lineno, s, cn);
			break;
		case SEC_MEM:
			rc = parse_bytes(p, lineno, s, cn, &df->mem, &df->mem_len, &p->mem_cap);
			break;
		case SEC_RESULT: {
			size_t i = 0;
			while (i < cn && isspace((unsigned char)s[i]))
				i++;
			if (i == cn)
				break;
			if (result_seen_value)
				return fail(p, lineno, (int)i + 1, -EINVAL,
					    "result section has more than one value");
			if (parse_u64(s + i, cn - i, &df->result))
				return fail(p, lineno, (int)i + 1, -EINVAL,
					    "result '%.*s' is not a number (0x hex or decimal, 64 bits)",
					    (int)(cn - i), s + i);
			result_seen_value = true;
			df->has_result = true;
			break;
		}
		case SEC_ERROR:
			rc = append_line(&df->error, &p->error_len, &p->error_cap, s, n);
			break;
		case SEC_OTHER:
			break;
		}
		if (rc)
			return rc;
		s = next;
	}

	if (p->seen[SEC_RESULT] && !result_seen_value)
		return fail(p, lineno, 1, -EINVAL, "result section has no value");
	if (df->error) {
		/* Trim the body: "" when empty. */
		size_t n = strlen(df->error);
		while (n && isspace((unsigned char)df->error[n - 1]))
			n--;
		df->error[n] = '\0';
	}
	if (p->raw_len) {
		df->raw_cnt = p->raw_len / 8;
		df->raw = malloc(p->raw_len);
		if (!df->raw)
			return -ENOMEM;
		memcpy(df->raw, p->raw_bytes, p->raw_len);
	}
	return 0;
}

int datafile_parse(const char *text, struct datafile *df, char *err, size_t err_size)
{
	struct parser p = {.df = df, .err = err, .err_size = err_size};

	if (err && err_size)
		err[0] = '\0';
	if (!df)
		return -EINVAL;
	memset(df, 0, sizeof(*df));
	if (!text)
		return fail(&p, 1, 1, -EINVAL, "no text");

	int rc = parse(&p, text);
	free(p.raw_bytes);
	if (rc) {
		if (rc == -ENOMEM)
			fail(&p, 0, 0, rc, "out of memory");
		datafile_free(df);
	}
	return rc;
}

void datafile_free(struct datafile *df)
{
	if (!df)
		return;
	free(df->asm_text);
	free(df->raw);
	free(df->mem);
	free(df->error);
	memset(df, 0, sizeof(*df));
}
