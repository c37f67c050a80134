/*
 * test.h - the unit-test harness: TEST() cases registered at startup, CHECK macros, a main() that runs
 * them (optionally only those named on the command line) and ends with the line
 *   "RESULT <binary>: N passed, N failed, N skipped"
 * that tests/run_tests.sh adds up. Define TEST_NO_MAIN before including to supply your own main().
 */
#ifndef USERBPF_TEST_H
#define USERBPF_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

extern struct test_case *test_list;
extern int test_failed_now;  /* set by a failing CHECK in the running case */
extern int test_skipped_now; /* set by SKIP() */
void test_register(struct test_case *tc);

#define TEST(NAME)                                                                                     \
	static void test_##NAME(void);                                                                 \
	static struct test_case tc_##NAME = {#NAME, test_##NAME, NULL};                                \
	__attribute__((constructor)) static void reg_##NAME(void)                                      \
	{                                                                                              \
		test_register(&tc_##NAME);                                                             \
	}                                                                                              \
	static void test_##NAME(void)

#define CHECK(COND)                                                                                    \
	do {                                                                                           \
		if (!(COND)) {                                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #COND);       \
			test_failed_now = 1;                                                           \
		}                                                                                      \
	} while (0)

#define CHECK_EQ_U64(A, B)                                                                             \
	do {                                                                                           \
		uint64_t a_ = (uint64_t)(A), b_ = (uint64_t)(B);                                       \
		if (a_ != b_) {                                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (0x%" PRIx64 " != 0x%" PRIx64  \
					")\n",                                                         \
				__FILE__, __LINE__, #A, #B, a_, b_);                                   \
			test_failed_now = 1;                                                           \
		}                                                                                      \
	} while (0)

#define CHECK_EQ_INT(A, B)                                                                             \
	do {                                                                                           \
		long long a_ = (long long)(A), b_ = (long long)(B);                                    \
		if (a_ != b_) {                                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__,    \
				__LINE__, #A, #B, a_, b_);                                             \
			test_failed_now = 1;                                                           \
		}                                                                                      \
	} while (0)

#define CHECK_STR(A, B)                                                                                \
	do {                                                                                           \
		const char *a_ = (A), *b_ = (B);                                                       \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                               \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__,\
				__LINE__, #A, #B, a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
			test_failed_now = 1;                                                           \
		}                                                                                      \
	} while (0)

/* Substring check, for error messages. */
#define CHECK_CONTAINS(HAY, NEEDLE)                                                                    \
	do {                                                                                           \
		const char *h_ = (HAY), *n_ = (NEEDLE);                                                \
		if (!h_ || !strstr(h_, n_)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: \"%s\" contains \"%s\"\n", __FILE__,      \
				__LINE__, h_ ? h_ : "(null)", n_);                                     \
			test_failed_now = 1;                                                           \
		}                                                                                      \
	} while (0)

/* Mark the running case skipped, with one visible reason line, and leave it. */
#define SKIP(...)                                                                                      \
	do {                                                                                           \
		fprintf(stderr, "SKIP: " __VA_ARGS__);                                                 \
		fputc('\n', stderr);                                                                   \
		test_skipped_now = 1;                                                                  \
		return;                                                                                \
	} while (0)

/* Path of the shared conformance folder (env USERBPF_CONFORMANCE or ../shared/bpf_conformance). */
const char *test_conformance_dir(void);

#endif /* USERBPF_TEST_H */
