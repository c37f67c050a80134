/*
 * harness.c - the harness behind test.h: registration, the runner and its RESULT line.
 */
#include "test.h"

#include <unistd.h>

struct test_case *test_list;
int test_failed_now;
int test_skipped_now;

void test_register(struct test_case *tc)
{
	/* Constructors run in reverse order of definition with gcc; append to keep file order. */
	struct test_case **p = &test_list;
	while (*p)
		p = &(*p)->next;
	*p = tc;
}

const char *test_conformance_dir(void)
{
	const char *env = getenv("USERBPF_CONFORMANCE");
	if (env && *env)
		return env;
	return "../shared/bpf_conformance";
}

#ifndef TEST_NO_MAIN
int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	for (struct test_case *tc = test_list; tc; tc = tc->next) {
		if (argc > 1) {
			int want = 0;
			for (int i = 1; i < argc; i++)
				want |= strcmp(argv[i], tc->name) == 0;
			if (!want)
				continue;
		}
		test_failed_now = test_skipped_now = 0;
		tc->fn();
		if (test_failed_now) {
			failed++;
			fprintf(stderr, "FAIL %s.%s\n", prog, tc->name);
		} else if (test_skipped_now) {
			skipped++;
		} else {
			passed++;
		}
	}
	printf("RESULT %s: %d passed, %d failed, %d skipped\n", prog, passed, failed, skipped);
	return failed ? 1 : 0;
}
#endif
