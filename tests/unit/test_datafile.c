/*
 * test_datafile.c - datafile_parse(): sections, raw bytes and 64-bit words, mem, result, error,
 * unknown sections, errors with line and column, and every file of the conformance folder.
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>

#include "isa/datafile.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(f);
	return s;
}

TEST(all_sections)
{
	const char *text = "# Copyright\n"
			   "# SPDX\n"
			   "-- asm\n"
			   "mov32 %r0, 1 # one\n"
			   "exit\n"
			   "-- mem\n"
			   "aa bb # comment\n"
			   "0xcc\n"
			   "-- result\n"
			   "0x8877665544332211\n"
			   "-- c\n"
			   "int main() { return 1; }\n"
			   "-- no register offset\n";
	struct datafile df;
	char err[128];
	CHECK_EQ_INT(datafile_parse(text, &df, err, sizeof(err)), 0);
	CHECK_STR(df.asm_text, "mov32 %r0, 1 # one\nexit\n");
	CHECK_EQ_INT(df.asm_line, 4);
	CHECK(df.has_mem);
	CHECK_EQ_INT(df.mem_len, 3);
	CHECK(df.mem && df.mem[0] == 0xaa && df.mem[1] == 0xbb && df.mem[2] == 0xcc);
	CHECK(df.has_result);
	CHECK_EQ_U64(df.result, 0x8877665544332211ull);
	CHECK(!df.has_raw);
	CHECK(df.raw == NULL);
	CHECK(df.error == NULL);
	datafile_free(&df);
	CHECK(df.asm_text == NULL);
	datafile_free(&df);
	datafile_free(NULL);
}

TEST(raw_bytes_and_words)
{
	const char *text = "-- raw\r\n"
			   "b4 00 00 00 02 00 00 00\r\n"
			   "\r\n"
			   "0x5566778800000018\r\n"
			   "0x1122334400000000\r\n"
			   "95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00\r\n"
			   "-- result\r\n"
			   "42\r\n";
	struct datafile df;
	CHECK_EQ_INT(datafile_parse(text, &df, NULL, 0), 0);
	CHECK(df.has_raw);
	CHECK_EQ_INT(df.raw_cnt, 5);
	if (df.raw_cnt == 5) {
		CHECK_EQ_INT(df.raw[0].code, 0xb4);
		CHECK_EQ_INT(df.raw[0].imm, 2);
		CHECK_EQ_INT(df.raw[1].code, 0x18);
		CHECK_EQ_U64((uint32_t)df.raw[1].imm, 0x55667788);
		CHECK_EQ_INT(df.raw[2].code, 0);
		CHECK_EQ_U64((uint32_t)df.raw[2].imm, 0x11223344);
		CHECK_EQ_INT(df.raw[4].code, 0x95);
	}
	CHECK_EQ_U64(df.result, 42);
	CHECK(df.asm_text == NULL);
	datafile_free(&df);
}

TEST(error_section)
{
	struct datafile df;
	CHECK_EQ_INT(datafile_parse("-- asm\nexit\n-- error\nInvalid register\n\n", &df, NULL, 0), 0);
	CHECK_STR(df.error, "Invalid register");
	CHECK(!df.has_result);
	datafile_free(&df);
	CHECK_EQ_INT(datafile_parse("-- raw\n95 00 00 00 00 00 00 00\n-- error", &df, NULL, 0), 0);
	CHECK_STR(df.error, "");
	datafile_free(&df);
}

TEST(empty_and_unknown)
{
	struct datafile df;
	CHECK_EQ_INT(datafile_parse("", &df, NULL, 0), 0);
	CHECK(df.asm_text == NULL && !df.has_raw && !df.has_result && !df.error);
	datafile_free(&df);
	/* An asm section cut short by an unknown section: present and empty. */
	CHECK_EQ_INT(datafile_parse("-- asm\n-- Unknown directive\n-- error\nx\n", &df, NULL, 0), 0);
	CHECK_STR(df.asm_text, "");
	CHECK_EQ_INT(df.asm_line, 2);
	CHECK_STR(df.error, "x");
	datafile_free(&df);
}

static void check_fails(int line, const char *text, const char *want)
{
	struct datafile df;
	char err[160] = "";
	int rc = datafile_parse(text, &df, err, sizeof(err));
	if (rc != -EINVAL || strcmp(err, want) != 0) {
		fprintf(stderr, "line %d: got %d \"%s\", want \"%s\"\n", line, rc, err, want);
		test_failed_now = 1;
	}
	if (df.asm_text || df.raw || df.mem || df.error || df.has_raw || df.has_result) {
		fprintf(stderr, "line %d: df not left empty\n", line);
		test_failed_now = 1;
	}
	datafile_free(&df);
}

TEST(errors)
{
	check_fails(__LINE__, "-- raw\nb4 00 zz 00 00 00 00 00\n", "2:7: bad hex byte 'z'");
	check_fails(__LINE__, "-- raw\nb4 00 00\n",
		    "2:1: raw line has 3 bytes, not a multiple of 8 (one instruction is 8 bytes)");
	check_fails(__LINE__, "-- mem\n11 223\n", "2:4: bad hex byte '223'");
	check_fails(__LINE__, "-- raw\n0x123456789abcdef01\n",
		    "2:1: bad 64-bit instruction word '0x123456789abcdef01'");
	check_fails(__LINE__, "-- asm\nexit\n-- result\n  12x\n",
		    "4:3: result '12x' is not a number (0x hex or decimal, 64 bits)");
	check_fails(__LINE__, "-- result\n18446744073709551616\n",
		    "2:1: result '18446744073709551616' is not a number (0x hex or decimal, 64 bits)");
	check_fails(__LINE__, "-- result\n1\n2\n", "3:1: result section has more than one value");
	check_fails(__LINE__, "-- result\n# nothing\n", "2:1: result section has no value");
	check_fails(__LINE__, "# c\nexit\n-- asm\n",
		    "2:1: text outside a section (sections start with '-- NAME')");
	check_fails(__LINE__, "-- asm\nexit\n-- asm\nexit\n", "3:1: section 'asm' appears twice");
}

TEST(result_forms)
{
	struct datafile df;
	CHECK_EQ_INT(datafile_parse("-- result\n-1\n", &df, NULL, 0), 0);
	CHECK_EQ_U64(df.result, UINT64_MAX);
	datafile_free(&df);
	CHECK_EQ_INT(datafile_parse("-- result\n0XFFFFFFFFFFFFFFFF # max\n", &df, NULL, 0), 0);
	CHECK_EQ_U64(df.result, UINT64_MAX);
	datafile_free(&df);
	CHECK_EQ_INT(datafile_parse("-- result\n18446744073709551615\n", &df, NULL, 0), 0);
	CHECK_EQ_U64(df.result, UINT64_MAX);
	datafile_free(&df);
}

/* Every file of the conformance folder parses; each test has a program and an outcome. */
TEST(conformance_files)
{
	static const char *const subdirs[] = {"tests", "negative"};
	int parsed = 0;
	for (int s = 0; s < 2; s++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/%s", test_conformance_dir(), subdirs[s]);
		DIR *d = opendir(dir);
		if (!d)
			SKIP("no conformance folder at %s", dir);
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t n = strlen(e->d_name);
			if (n < 6 || strcmp(e->d_name + n - 5, ".data") != 0)
				continue;
			char path[1024];
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			char *text = slurp(path);
			CHECK(text != NULL);
			if (!text)
				continue;
			struct datafile df;
			char err[160];
			int rc = datafile_parse(text, &df, err, sizeof(err));
			if (rc) {
				fprintf(stderr, "%s: %s\n", path, err);
				test_failed_now = 1;
			} else if (s == 0 && (!df.asm_text || !(df.has_result || df.error))) {
				fprintf(stderr, "%s: no asm or no outcome\n", path);
				test_failed_now = 1;
			} else if (s == 1 && strncmp(e->d_name, "unused-", 7) == 0 &&
				   (!df.has_raw || !df.error)) {
				fprintf(stderr, "%s: unused-* negative without raw or error\n", path);
				test_failed_now = 1;
			}
			if (rc == 0)
				parsed++;
			datafile_free(&df);
			free(text);
		}
		closedir(d);
	}
	printf("datafile: %d conformance files parsed\n", parsed);
	CHECK(parsed >= 370);
}
