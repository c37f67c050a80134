/*
 * bench_interp.c - `make bench`: times the programs of bench/progs/ on userbpf's fast and checked
 * interpreters, natively (the same C compiled for the host) and in the kernel (bench_kernel.c), checks
 * that every engine computes the native result, and prints a table (or JSON lines with --json).
 *
 * Owns: the benchmark list and the memory each program runs on, the timing method (warm-up, then
 * the median over ~0.3 s of batched runs, CLOCK_MONOTONIC), the table and the JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ------------------------------------------------------------------------------------------------ */
/* The programs' memory                                                                              */

static uint64_t rng_state;

/* splitmix64: a fixed seed per benchmark, so every build sees the same input. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void init_sieve(uint8_t *mem, size_t size)
{
	memset(mem, 0xa5, size); /* garbage: the program clears its sieve */
}

static void init_bytecopy(uint8_t *mem, size_t size)
{
	size_t i;

	rng_state = 1;
	for (i = 0; i < size / 2; i++)
		mem[i] = (uint8_t)rng();
	memset(mem + size / 2, 0, size - size / 2);
}

static void init_strmatch(uint8_t *mem, size_t size)
{
	size_t n = size / 2, i;

	rng_state = 2;
	for (i = 0; i + 1 < n; i++)
		mem[i] = (uint8_t)(1 + rng() % 255); /* any byte but NUL */
	mem[n - 1] = 0;
	memcpy(mem + n, mem, n);
}

static void init_random_bytes(uint8_t *mem, size_t size)
{
	size_t i;

	rng_state = 3;
	for (i = 0; i < size; i++)
		mem[i] = (uint8_t)rng();
}

static void init_ilog2(uint8_t *mem, size_t size)
{
	size_t i;

	rng_state = 4;
	for (i = 0; i + 8 <= size; i += 8) {
		uint64_t v = rng() >> (rng() % 64); /* every bit length, and some zeros */

		if (rng() % 64 == 0)
			v = 0;
		memcpy(mem + i, &v, 8);
	}
}

/* Append `s` to the text at *pos if it fits. */
static void put(uint8_t *mem, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n <= size) {
		memcpy(mem + *pos, s, n);
		*pos += n;
	}
}

/* A C-like text: identifiers, numbers, strings with escapes, comments, punctuation, lines. */
static void init_tokenize(uint8_t *mem, size_t size)
{
	static const char *const punct[] = {"(", ")", "{", "}", ";", ",", "+",
					    "-", "*", "=", "<", "/", "[", "]"};
	static const char ident_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
	size_t pos = 0;
	char tok[40];
	int k, n;

	rng_state = 5;
	while (pos + sizeof(tok) < size) {
		switch (rng() % 10) {
		case 0:
		case 1:
		case 2: /* identifier */
			n = 1 + rng() % 12;
			tok[0] = ident_chars[rng() % 53];
			for (k = 1; k < n; k++)
				tok[k] = ident_chars[rng() % 63];
			tok[n] = 0;
			break;
		case 3: /* number */
			snprintf(tok, sizeof(tok), "%llu", (unsigned long long)(rng() % 1000000));
			break;
		case 4: /* string, sometimes with escapes */
			n = 2 + rng() % 16;
			tok[0] = '"';
			for (k = 1; k < n; k++)
				tok[k] = rng() % 8 ? ident_chars[rng() % 63] : '\\';
			if (tok[n - 1] == '\\')
				tok[n++] = 'n'; /* do not escape the closing quote */
			tok[n++] = '"';
			tok[n] = 0;
			break;
		case 5: /* comment to end of line */
			snprintf(tok, sizeof(tok), "// note %llu\n", (unsigned long long)(rng() % 100000));
			break;
		case 6:
		case 7:
			snprintf(tok, sizeof(tok), "%s", punct[rng() % (sizeof(punct) / sizeof(punct[0]))]);
			break;
		case 8:
			snprintf(tok, sizeof(tok), "%s", rng() % 4 ? " " : "\n\t");
			break;
		default:
			snprintf(tok, sizeof(tok), " ");
			break;
		}
		put(mem, size, &pos, tok);
	}
	while (pos < size)
		mem[pos++] = '\n';
}

/*
 * The native twins: bench/progs/NAME.c compiled for the host, renamed native_NAME by the Makefile.
 * Separate translation units, noinline, and called through a volatile pointer (native_run()): the
 * compiler sees none of the inputs and cannot fold or hoist a run.
 */
#define NATIVE(name) __attribute__((noinline)) uint64_t native_##name(void *mem, uint64_t len)
NATIVE(sieve);
NATIVE(bytecopy);
NATIVE(strmatch);
NATIVE(tokenize);
NATIVE(ilog2);
NATIVE(fnv1a);
NATIVE(empty);

static struct bench benches[] = {
    {"sieve", 10000, 8000, init_sieve, native_sieve, "count primes below 10^4, sieve of Eratosthenes in mem"},
    {"bytecopy", 2 << 20, 2 << 16, init_bytecopy, native_bytecopy, "copy 1 MiB byte by byte"},
    {"strmatch", 2 << 16, 2 << 12, init_strmatch, native_strmatch, "strcmp of two equal 64 KiB strings"},
    {"tokenize", 16 << 10, 1 << 10, init_tokenize, native_tokenize,
     "switch-driven lexer over 16 KiB of text"},
    {"ilog2", 64 << 10, 8 << 10, init_ilog2, native_ilog2, "integer log2 of 8192 64-bit values"},
    {"fnv1a", 64 << 10, 64 << 10, init_random_bytes, native_fnv1a, "FNV-1a 64-bit hash of 64 KiB"},
    {"empty", 64, 64, init_random_bytes, native_empty, "return 0: the fixed cost of one run"},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------------------------------ */
/* Engines                                                                                           */

/* Called through a volatile pointer, so the compiler can neither inline nor fold the program. */
static int native_run(const struct bench_run *br, void *state, uint64_t reps, uint64_t *ret, double *self_ns)
{
	uint64_t (*volatile fn)(void *mem, uint64_t len) = br->bench->native;
	uint64_t r;

	(void)state;
	(void)self_ns;

	for (r = 0; r < reps; r++)
		*ret = fn(br->mem, br->bench->mem_size);
	return 0;
}

static int userbpf_open(const struct bench_run *br, void **state, char *why, size_t size)
{
	struct userbpf_prog_opts opts = USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = why, .log_size = size,
							  .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *prog = userbpf_prog__load(br->insns, br->insn_cnt, &opts);

	if (!prog)
		return -errno; /* our own programs: a refusal is a bug, not a cell */
	*state = prog;
	return 0;
}

static void userbpf_close(void *state)
{
	userbpf_prog__free(state);
}

static int userbpf_run(const struct bench_run *br, void *state, uint64_t reps, uint64_t *ret,
		       enum userbpf_exec exec)
{
	struct userbpf_run_opts opts = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = br->mem,
							 .ctx_size = br->bench->mem_size, .exec = exec);
	uint64_t r;
	int err;

	for (r = 0; r < reps; r++) {
		err = userbpf_prog__run(state, &opts);
		if (err)
			return err;
	}
	*ret = opts.retval;
	return 0;
}

static int interp_run(const struct bench_run *br, void *state, uint64_t reps, uint64_t *ret, double *self_ns)
{
	(void)self_ns;
	return userbpf_run(br, state, reps, ret, USERBPF_EXEC_FAST);
}

static int checked_run(const struct bench_run *br, void *state, uint64_t reps, uint64_t *ret, double *self_ns)
{
	(void)self_ns;
	return userbpf_run(br, state, reps, ret, USERBPF_EXEC_CHECKED);
}

/* Instructions one run executes, as the checked engine counts them: gives ns per instruction. */
static uint64_t count_executed(const struct bench_run *br)
{
	struct userbpf_run_opts opts = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = br->mem, .ctx_size = br->bench->mem_size, .exec = USERBPF_EXEC_CHECKED);
	struct userbpf_prog_opts lopts =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *prog = userbpf_prog__load(br->insns, br->insn_cnt, &lopts);
	uint64_t n = 0;

	if (prog && userbpf_prog__run(prog, &opts) == 0)
		n = opts.insn_count;
	userbpf_prog__free(prog);
	return n;
}

/* The columns, left to right. Ratios are taken against the engine named "native". */
static const struct engine engine_list[] = {
    {.name = "interp", .open = userbpf_open, .run = interp_run, .close = userbpf_close},
    {.name = "checked", .open = userbpf_open, .run = checked_run, .close = userbpf_close},
    {.name = "native", .run = native_run},
};

static const struct engine *engines[ARRAY_SIZE(engine_list) + 1];
static size_t nr_engines;

/* ------------------------------------------------------------------------------------------------ */
/* Timing                                                                                            */

static double cell_seconds = 0.3;
/*
 * CLOCK_MONOTONIC by default. --cpu-time: CLOCK_THREAD_CPUTIME_ID, which does not count the time the
 * thread is preempted; on a busy machine a run of milliseconds is often preempted and the wall clock
 * then varies by 3x (the kernel's test-run timer already leaves preemption out).
 */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* What one cell of the table ends up holding, and how it gets there. */
struct cell {
	int state;	    /* 0 measured, ENGINE_REFUSED, or -errno of a failed open or run */
	double ns;	    /* median ns per run */
	double min;	    /* fastest sample's ns per run: steadier than the median on a busy machine */
	void *priv;	    /* the engine's state between open and close */
	uint64_t reps;	    /* runs per sample */
	uint64_t per_round; /* samples per round */
	double *samples;
	size_t nr;
	char why[256];
};

static int check_result(const struct engine *e, const struct bench_run *br, uint64_t got)
{
	uint64_t want = e->fold ? e->fold(br->expect) : br->expect;

	if (got == want)
		return 0;
	fprintf(stderr, "FAIL: %s on %s returned 0x%llx, native returned 0x%llx\n", br->bench->name, e->name,
		(unsigned long long)got, (unsigned long long)want);
	return -EDOM;
}

/*
 * One timed sample of `reps` runs, in ns per run. The result of every sample is checked: an engine
 * that drifts (state left in mem, a miscompiled loop) fails the benchmark, not just its first run.
 */
static int sample(const struct engine *e, const struct bench_run *br, void *priv, uint64_t reps, double *ns)
{
	double self_ns = -1, t0, t1;
	uint64_t ret = 0;
	int err;

	t0 = now_ns();
	err = e->run(br, priv, reps, &ret, &self_ns);
	t1 = now_ns();
	if (err)
		return err;
	*ns = self_ns >= 0 ? self_ns : (t1 - t0) / reps;
	return check_result(e, br, ret);
}

static void cell_fail(struct cell *c, int err)
{
	c->state = err;
	if (err != -EDOM && !c->why[0])
		snprintf(c->why, sizeof(c->why), "run failed: %s", strerror(-err));
}

/* The samples are taken in this many rounds, each going over every engine in turn. */
#define ROUNDS 3

/*
 * Warm up (at least 2 runs and 20 ms), then size the samples: runs are batched so one sample lasts
 * ~50 us (the clock's overhead stays under 0.1%), and as many samples as fit in cell_seconds (at
 * least 3 per round) are planned.
 */
static void calibrate(const struct engine *e, const struct bench_run *br, struct cell *c)
{
	double start = now_ns(), est = INFINITY, ns;
	uint64_t warm = 0, nr;
	int err;

	while (warm < 2 || now_ns() - start < 20e6) {
		err = sample(e, br, c->priv, 1, &ns);
		if (err) {
			cell_fail(c, err);
			return;
		}
		est = ns < est ? ns : est;
		warm++;
	}
	c->reps = est >= 50e3 ? 1 : (uint64_t)(50e3 / (est > 1 ? est : 1));
	nr = (uint64_t)(cell_seconds * 1e9 / (est * c->reps) / ROUNDS);
	c->per_round = nr < 3 ? 3 : nr > 100000 ? 100000 : nr;
	c->samples = calloc(c->per_round * ROUNDS, sizeof(*c->samples));
	if (!c->samples)
		cell_fail(c, -ENOMEM);
}

static void take_samples(const struct engine *e, const struct bench_run *br, struct cell *c)
{
	uint64_t i;
	int err;

	for (i = 0; i < c->per_round; i++) {
		err = sample(e, br, c->priv, c->reps, &c->samples[c->nr]);
		if (err) {
			cell_fail(c, err);
			return;
		}
		c->nr++;
	}
}

/*
 * Time every engine on one benchmark. The engines take turns (ROUNDS rounds), so a slow spell of a
 * shared 2-core machine hits them all rather than one column; a cell is the median of its samples,
 * not the mean, so a preemption does not count.
 */
static void measure_all(const struct bench_run *br, struct cell *cells)
{
	size_t i;
	int round;

	for (i = 0; i < nr_engines; i++) {
		const struct engine *e = engines[i];
		struct cell *c = &cells[i];

		memset(c, 0, sizeof(*c));
		br->bench->init(br->mem, br->bench->mem_size);
		c->state = e->open ? e->open(br, &c->priv, c->why, sizeof(c->why)) : 0;
		if (c->state < 0 && !c->why[0])
			snprintf(c->why, sizeof(c->why), "open failed: %s", strerror(-c->state));
		if (c->state == 0)
			calibrate(e, br, c);
	}
	for (round = 0; round < ROUNDS; round++)
		for (i = 0; i < nr_engines; i++)
			if (cells[i].state == 0)
				take_samples(engines[i], br, &cells[i]);
	for (i = 0; i < nr_engines; i++) {
		struct cell *c = &cells[i];

		if (c->state == 0) {
			qsort(c->samples, c->nr, sizeof(*c->samples), cmp_double);
			c->min = c->samples[0];
			c->ns = c->nr % 2 ? c->samples[c->nr / 2]
					  : (c->samples[c->nr / 2 - 1] + c->samples[c->nr / 2]) / 2;
		}
		if (c->priv && engines[i]->close)
			engines[i]->close(c->priv);
		free(c->samples);
		c->samples = NULL;
	}
}

/* ------------------------------------------------------------------------------------------------ */
/* Driver                                                                                            */

static int read_prog(const char *dir, const char *name, struct userbpf_insn **insns, size_t *cnt)
{
	char path[4096];
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || size % 8 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "bench: %s is not a whole number of instructions\n", path);
		fclose(f);
		return -EINVAL;
	}
	*insns = malloc(size);
	if (!*insns || fread(*insns, 1, size, f) != (size_t)size) {
		fprintf(stderr, "bench: cannot read %s\n", path);
		fclose(f);
		free(*insns);
		return -EIO;
	}
	fclose(f);
	*cnt = size / 8;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: bench_interp [--json] [--small] [--cpu-time] [-d PROGS_DIR] [-t SECONDS_PER_CELL] "
	      "[BENCH...]\n"
	      "  Times each program of bench/progs on every engine; fails if a result differs from native.\n"
	      "  --json      one JSON object per program, then a geomean object\n"
	      "  --small     smaller inputs, which the kernel's verifier can walk (for the kernel column)\n"
	      "  --cpu-time  time with the thread's CPU clock, not CLOCK_MONOTONIC (for a busy machine)\n"
	      "  PROGS_DIR holds NAME.bin (raw bytecode); default: progs/ next to this binary.\n",
	      f);
}

static int selected(const char *name, int argc, char **argv, int first)
{
	int i;

	if (first >= argc)
		return 1;
	for (i = first; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

static void default_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 16);
	char *slash;

	if (n <= 0) {
		snprintf(dir, size, "progs");
		return;
	}
	dir[n] = 0;
	slash = strrchr(dir, '/');
	strcpy(slash ? slash + 1 : dir, "progs");
}

static size_t engine_index(const char *name)
{
	size_t i;

	for (i = 0; i < nr_engines; i++)
		if (!strcmp(engines[i]->name, name))
			return i;
	return (size_t)-1;
}

int main(int argc, char **argv)
{
	static struct cell cells[ARRAY_SIZE(benches)][ARRAY_SIZE(engines)];
	double log_ratio_sum[ARRAY_SIZE(engines)] = {0};
	int ratio_cnt[ARRAY_SIZE(engines)] = {0};
	size_t b, i, native;
	char dir[4096] = "", why[256];
	int json = 0, small = 0, failed = 0, nr_run = 0, opt;

	while ((opt = getopt(argc, argv, "hjsd:t:-:")) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 's':
			small = 1;
			break;
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 't':
			cell_seconds = atof(optarg);
			break;
		case '-':
			if (!strcmp(optarg, "json")) {
				json = 1;
				break;
			}
			if (!strcmp(optarg, "small")) {
				small = 1;
				break;
			}
			if (!strcmp(optarg, "cpu-time")) {
				bench_clock = CLOCK_THREAD_CPUTIME_ID;
				break;
			}
			/* fall through */
		case 'h':
		default:
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!dir[0])
		default_dir(dir, sizeof(dir));
	if (small)
		for (b = 0; b < ARRAY_SIZE(benches); b++)
			benches[b].mem_size = benches[b].small_size;

	for (i = 0; i < ARRAY_SIZE(engine_list); i++)
		engines[nr_engines++] = &engine_list[i];
	if (kernel_engine.probe(why, sizeof(why)) == 0)
		engines[nr_engines++] = &kernel_engine;
	else
		printf("kernel column left out: %s\n", why);
	native = engine_index("native");

	if (!json) {
		printf("%-10s %6s %10s", "program", "insns", "executed");
		for (i = 0; i < nr_engines; i++)
			printf(" %12s", engines[i]->name);
		for (i = 0; i < nr_engines; i++)
			if (i != native)
				printf(" %15s", engines[i]->name);
		printf("\n%-10s %6s %10s", "", "", "per run");
		for (i = 0; i < nr_engines; i++)
			printf(" %12s", "ns");
		for (i = 0; i < nr_engines; i++)
			if (i != native)
				printf(" %15s", "/native");
		printf("\n");
		fflush(stdout);
	}

	for (b = 0; b < ARRAY_SIZE(benches); b++) {
		const struct bench *bn = &benches[b];
		struct userbpf_insn *insns = NULL;
		struct bench_run br = {.bench = bn};

		if (!selected(bn->name, argc, argv, optind))
			continue;
		if (read_prog(dir, bn->name, &insns, &br.insn_cnt))
			return 1;
		br.insns = insns;
		br.mem = aligned_alloc(4096, (bn->mem_size + 4095) & ~(size_t)4095);
		if (!br.mem) {
			fprintf(stderr, "bench: out of memory\n");
			return 1;
		}
		bn->init(br.mem, bn->mem_size);
		br.expect = bn->native(br.mem, bn->mem_size);
		br.executed = count_executed(&br);

		measure_all(&br, cells[b]);
		nr_run++;
		for (i = 0; i < nr_engines; i++) {
			struct cell *c = &cells[b][i];
			size_t n = strlen(c->why);

			while (n && c->why[n - 1] == '\n')
				c->why[--n] = 0;
			if (c->state < 0)
				failed = 1;
		}

		if (json) {
			printf("{\"bench\":\"%s\",\"insns\":%zu,\"executed\":%llu,\"mem_bytes\":%zu,"
			       "\"result\":\"0x%llx\"",
			       bn->name, br.insn_cnt, (unsigned long long)br.executed, bn->mem_size,
			       (unsigned long long)br.expect);
			for (i = 0; i < nr_engines; i++) {
				struct cell *c = &cells[b][i];

				if (c->state == 0)
					printf(",\"%s_ns\":%.1f,\"%s_min_ns\":%.1f", engines[i]->name, c->ns,
					       engines[i]->name, c->min);
				else
					printf(",\"%s_ns\":\"%s\"", engines[i]->name,
					       c->state == ENGINE_REFUSED ? "refused" : "failed");
			}
			for (i = 0; i < nr_engines; i++)
				if (i != native && cells[b][i].state == 0 && cells[b][native].state == 0)
					printf(",\"%s_native\":%.3f", engines[i]->name,
					       cells[b][i].ns / cells[b][native].ns);
			for (i = 0; i < nr_engines; i++)
				if (i != native && cells[b][i].state == 0 && br.executed)
					printf(",\"%s_ns_per_insn\":%.3f", engines[i]->name,
					       cells[b][i].ns / br.executed);
			printf("}\n");
		} else {
			printf("%-10s %6zu %10llu", bn->name, br.insn_cnt, (unsigned long long)br.executed);
			for (i = 0; i < nr_engines; i++) {
				struct cell *c = &cells[b][i];

				if (c->state == 0)
					printf(" %12.0f", c->ns);
				else
					printf(" %12s", c->state == ENGINE_REFUSED ? "refused" : "FAILED");
			}
			for (i = 0; i < nr_engines; i++) {
				if (i == native)
					continue;
				if (cells[b][i].state == 0 && cells[b][native].state == 0)
					printf(" %15.2f", cells[b][i].ns / cells[b][native].ns);
				else
					printf(" %15s", "-");
			}
			printf("\n");
		}
		fflush(stdout);
		for (i = 0; i < nr_engines; i++) {
			if (i != native && cells[b][i].state == 0 && cells[b][native].state == 0) {
				log_ratio_sum[i] += log(cells[b][i].ns / cells[b][native].ns);
				ratio_cnt[i]++;
			}
		}
		free(br.mem);
		free(insns);
	}

	if (json) {
		printf("{\"geomean\":{");
		for (i = 0, b = 0; i < nr_engines; i++)
			if (i != native && ratio_cnt[i])
				printf("%s\"%s_native\":%.3f,\"%s_count\":%d", b++ ? "," : "",
				       engines[i]->name, exp(log_ratio_sum[i] / ratio_cnt[i]),
				       engines[i]->name, ratio_cnt[i]);
		printf("}}\n");
	} else {
		printf("%-10s %6s %10s", "geomean", "", "");
		for (i = 0; i < nr_engines; i++)
			printf(" %12s", "");
		for (i = 0; i < nr_engines; i++) {
			if (i == native)
				continue;
			if (ratio_cnt[i] && ratio_cnt[i] < nr_run) {
				snprintf(why, sizeof(why), "%.2f (%d of %d)",
					 exp(log_ratio_sum[i] / ratio_cnt[i]), ratio_cnt[i], nr_run);
				printf(" %15s", why);
			} else if (ratio_cnt[i]) {
				printf(" %15.2f", exp(log_ratio_sum[i] / ratio_cnt[i]));
			} else
				printf(" %15s", "-");
		}
		printf("\n");
	}
	/* Why cells are empty, after the table so it stays readable. */
	fflush(stdout);
	for (b = 0; b < ARRAY_SIZE(benches); b++)
		for (i = 0; i < nr_engines; i++)
			if (cells[b][i].state && cells[b][i].why[0])
				fprintf(stderr, "%s on %s: %s\n", benches[b].name, engines[i]->name,
					cells[b][i].why);
	if (failed)
		fprintf(stderr, "bench: FAILED (a result differed from native, or a run failed)\n");
	return failed;
}
