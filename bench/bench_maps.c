/*
 * bench_maps.c - map operations from inside BPF programs, userbpf against the kernel (`make bench`).
 *
 * Loads maps/map_ops.bpf.o twice: in userbpf (userbpf_object__load, programs trusted, run on the
 * fast interpreter) and in Linux (userbpf_kobject__load, timed by BPF_PROG_TEST_RUN with repeat).
 * Both get the same prefilled maps. Each program does OPS map operations per run; a cell is
 * (median ns per run - median ns per run of `base`, the same loop without map operations) / OPS.
 * Results are checked: the last run's return value (a sum of the values found, or the count of
 * successful updates) must be the same in both engines and equal what the host computes from the
 * prefill; a difference prints FAIL and exits 1.
 *
 * Usage: bench_maps [--json] [--cpu-time] [-t SECONDS_PER_CELL] [-o OBJECT]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include <userbpf/kernel.h>
#include <userbpf/maps.h>
#include <userbpf/object.h>
#include <userbpf/userbpf.h>

#define OPS	    256 /* map operations per run, as in maps/map_ops.bpf.c */
#define ROUNDS	    5
#define SAMPLES_MAX 4096

struct bench {
	const char *label; /* map op, as the table prints it */
	const char *prog;  /* program name in the object */
	bool all_ok;	   /* returns the count of successful operations: must be OPS */
	bool ring;	   /* writes the ring buffer: drained (untimed) after every sample */
};

static const struct bench benches[] = {
    {"base (empty loop)", "base", false, false},
    {"array lookup", "array_lookup", false, false},
    {"array update", "array_update", true, false},
    {"hash lookup (1024 keys, 147/256 hit)", "hash_lookup_prog", false, false},
    {"hash update (existing key)", "hash_update_prog", true, false},
    {"lru_hash update (churn, evicts)", "lru_update_prog", true, false},
    {"lpm_trie lookup (/8../32)", "lpm_lookup_prog", false, false},
    {"hash insert + delete (pair)", "hash_churn_prog", true, false},
    {"percpu_array lookup", "percpu_array_lookup", false, false},
    {"percpu_array update", "percpu_array_update", true, false},
    {"percpu_hash lookup (1024 keys, 147/256 hit)", "percpu_hash_lookup", false, false},
    {"percpu_hash update (existing key)", "percpu_hash_update", true, false},
    {"queue push + pop (pair)", "queue_push_pop", false, false},
    {"stack push + pop (pair)", "stack_push_pop", false, false},
    {"ringbuf output (16 B)", "ringbuf_output_prog", true, true},
    {"ringbuf reserve + submit (16 B)", "ringbuf_reserve_prog", true, true},
    {"bloom_filter push", "bloom_push", true, false},
    {"bloom_filter peek (all present)", "bloom_peek", true, false},
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))

struct cell {
	double samples[SAMPLES_MAX]; /* ns per run */
	size_t n;
	double median;
};

/* CLOCK_MONOTONIC, or with --cpu-time the thread's CPU clock (leaves out time the harness is
 * preempted, as the kernel's test-run timer does; use it on a busy machine). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(struct cell *c)
{
	qsort(c->samples, c->n, sizeof(double), cmp_double);
	return c->n ? c->samples[c->n / 2] : 0;
}

static void add_sample(struct cell *c, double ns)
{
	if (c->n < SAMPLES_MAX)
		c->samples[c->n++] = ns;
}

/* The same prefill for both engines, through `update`. */
typedef int (*update_fn)(void *ctx, const char *map, const void *key, const void *val);

static int prefill(update_fn update, void *ctx)
{
	uint32_t i;
	int err;

	for (i = 0; i < 256; i++) {
		uint64_t v = (uint64_t)i * 3 + 1;

		if ((err = update(ctx, "arr_lookup", &i, &v)))
			return err;
	}
	for (i = 0; i < 1024; i++) {
		uint64_t v = (uint64_t)i * 5 + 1;

		if ((err = update(ctx, "hash_lookup", &i, &v)) || (err = update(ctx, "hash_update", &i, &v)) ||
		    (err = update(ctx, "phash_lookup", &i, &v)) || (err = update(ctx, "phash_update", &i, &v)))
			return err;
		if ((err = update(ctx, "bloom", NULL, &i)))
			return err;
	}
	for (i = 0; i < 256; i++) {
		uint64_t v = (uint64_t)i * 3 + 1;

		if ((err = update(ctx, "parr_lookup", &i, &v)))
			return err;
	}
	/* The programs look up 10.x.y.z with x.y.z = (i * 2654435761) >> 8; prefix i covers lookup i
	 * for i < 256 with prefix length 8 + i % 25, so matches are found at every depth. */
	for (i = 0; i < 600; i++) {
		uint32_t plen = 8 + i % 25;
		uint32_t addr = 0x0a000000u | ((i * 2654435761u) >> 8);
		uint32_t mask = plen == 32 ? ~0u : ~(~0u >> plen);
		struct {
			uint32_t prefixlen;
			uint32_t addr;
		} key = {plen, htonl(addr & mask)};
		uint64_t v = (uint64_t)plen << 16 | i;

		if ((err = update(ctx, "lpm_lookup", &key, &v)))
			return err;
	}
	return 0;
}

/* What each program must return, computed on the host from the prefill (0: not checked here). */
static uint32_t expected(const char *prog)
{
	uint64_t sum = 0;
	uint32_t i, j;

	if (!strcmp(prog, "base"))
		for (i = 0; i < OPS; i++)
			sum += i * 7;
	else if (!strcmp(prog, "array_lookup") || !strcmp(prog, "percpu_array_lookup"))
		for (i = 0; i < OPS; i++)
			sum += (uint64_t)((i * 7) & 255) * 3 + 1;
	else if (!strcmp(prog, "queue_push_pop") || !strcmp(prog, "stack_push_pop"))
		for (i = 0; i < OPS; i++)
			sum += i;
	else if (!strcmp(prog, "hash_lookup_prog") || !strcmp(prog, "percpu_hash_lookup"))
		for (i = 0; i < OPS; i++)
			sum += i * 7 < 1024 ? (uint64_t)i * 7 * 5 + 1 : 0;
	else if (!strcmp(prog, "lpm_lookup_prog"))
		for (i = 0; i < OPS; i++) { /* longest of the prefixes (a later duplicate wins) */
			uint32_t addr = 0x0a000000u | ((i * 2654435761u) >> 8), best = 0;
			uint64_t v = 0;

			for (j = 0; j < 600; j++) {
				uint32_t plen = 8 + j % 25, mask = plen == 32 ? ~0u : ~(~0u >> plen);

				if (((0x0a000000u | ((j * 2654435761u) >> 8)) & mask) == (addr & mask) &&
				    plen >= best) {
					best = plen;
					v = (uint64_t)plen << 16 | j;
				}
			}
			sum += v;
		}
	else
		return 0;
	return (uint32_t)sum;
}

/* Per-CPU maps take one value per CPU slot: the same value in every slot. Bloom filters take the
 * value with a NULL key. */
static int ub_update(void *ctx, const char *name, const void *key, const void *val)
{
	struct userbpf_object_map *m = userbpf_object__find_map_by_name(ctx, name);
	struct userbpf_map *map = m ? userbpf_object_map__map(m) : NULL;
	enum userbpf_map_type t;
	uint64_t vals[1024];

	if (!map)
		return -ENOENT;
	t = userbpf_map__type(map);
	if (t == USERBPF_MAP_TYPE_PERCPU_ARRAY || t == USERBPF_MAP_TYPE_PERCPU_HASH) {
		for (unsigned c = 0; c < userbpf_nr_cpus() && c < 1024; c++)
			memcpy(&vals[c], val, 8);
		val = vals;
	}
	return userbpf_map_update_elem(map, key, val, USERBPF_ANY);
}

static int k_update(void *ctx, const char *name, const void *key, const void *val)
{
	long vs = userbpf_kobject__map_value_size(ctx, name);
	uint64_t vals[1024];

	if (vs > 8 && vs <= (long)sizeof(vals) && !strncmp(name, "p", 1)) { /* parr_*, phash_* */
		for (long c = 0; c < vs / 8; c++)
			memcpy(&vals[c], val, 8);
		val = vals;
	}
	return userbpf_kobject__map_update(ctx, name, key, val, 0);
}

/* Ring buffer drains, outside the timed part. */
static int drop_record(void *ctx, const void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

static int k_drop_record(void *ctx, void *data, size_t size)
{
	return drop_record(ctx, data, size);
}

static struct userbpf_map *ub_ring;
static struct ring_buffer *k_ring;

static void drain(void)
{
	if (ub_ring)
		userbpf_ringbuf_consume(ub_ring, drop_record, NULL);
	if (k_ring)
		ring_buffer__consume(k_ring);
}

static uint8_t ctx_buf[64]; /* context / packet: the programs ignore it */

/* userbpf: `reps` runs, wall clock; ns per run. */
static int ub_sample(const struct userbpf_prog *prog, uint64_t reps, double *ns, uint32_t *ret)
{
	struct userbpf_run_opts opts = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = ctx_buf, .ctx_size = sizeof(ctx_buf), .exec = USERBPF_EXEC_FAST);
	double t0 = now_ns();
	uint64_t r;
	int err;

	for (r = 0; r < reps; r++)
		if ((err = userbpf_prog__run(prog, &opts)))
			return err;
	*ns = (now_ns() - t0) / reps;
	*ret = (uint32_t)opts.retval;
	return 0;
}

/* Kernel: BPF_PROG_TEST_RUN with repeat; the kernel's mean ns per run. */
static int k_sample(struct userbpf_kobject *kobj, const char *prog, uint32_t reps, double *ns, uint32_t *ret)
{
	char err_buf[256] = "";
	struct userbpf_ktest_run_opts opts =
	    USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .data_in = ctx_buf, .data_size_in = sizeof(ctx_buf),
			      .repeat = reps, .err_buf = err_buf, .err_size = sizeof(err_buf));
	int err = userbpf_kobject__test_run(kobj, prog, &opts);

	if (err) {
		fprintf(stderr, "bench_maps: kernel test run of %s: %s\n", prog, err_buf);
		return err;
	}
	*ns = opts.duration;
	*ret = opts.retval;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = "build/bench/maps/map_ops.bpf.o";
	static struct cell ub_cells[NBENCH], k_cells[NBENCH];
	uint32_t ub_ret[NBENCH], k_ret[NBENCH];
	bool json = false, have_kernel;
	double secs = 0.3;
	char log[1024] = "", why[256] = "";
	struct userbpf_kobject *kobj = NULL;
	struct userbpf_helpers *helpers;
	struct userbpf_object *obj;
	int i, failed = 0;
	size_t b;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--cpu-time"))
			clock_id = CLOCK_THREAD_CPUTIME_ID;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			path = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--json] [--cpu-time] [-t SECONDS_PER_CELL] [-o OBJECT]\n", argv[0]);
			return 2;
		}
	}

	struct userbpf_object_open_opts oopts =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = log, .log_size = sizeof(log));
	obj = userbpf_object__open_file(path, &oopts);
	if (!obj) {
		fprintf(stderr, "bench_maps: %s: %s\n", path, log[0] ? log : strerror(errno));
		return 1;
	}
	helpers = userbpf_helpers__new();
	if (!helpers || userbpf_helpers__add_maps(helpers)) {
		fprintf(stderr, "bench_maps: helpers: %s\n", strerror(errno));
		return 1;
	}
	struct userbpf_object_load_opts lopts =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = helpers, .log_buf = log,
			      .log_size = sizeof(log), .prog_flags = USERBPF_PROG_F_TRUSTED);
	if (userbpf_object__load(obj, &lopts) || prefill(ub_update, obj)) {
		fprintf(stderr, "bench_maps: userbpf load/prefill: %s\n", log);
		return 1;
	}

	ub_ring = userbpf_object_map__map(userbpf_object__find_map_by_name(obj, "ring"));
	have_kernel = userbpf_kernel_available(why, sizeof(why)) == 1;
	if (!have_kernel) {
		printf("kernel: %s: kernel column left out\n", why);
	} else {
		struct userbpf_kobject_opts kopts =
		    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = log, .log_size = sizeof(log));
		kobj = userbpf_kobject__load(obj, &kopts);
		if (!kobj || prefill(k_update, kobj)) {
			printf("kernel: load/prefill failed: %s: kernel column left out\n", log);
			userbpf_kobject__close(kobj);
			kobj = NULL;
			have_kernel = false;
		}
	}
	if (kobj) {
		k_ring = ring_buffer__new(userbpf_kobject__map_fd(kobj, "ring"), k_drop_record, NULL, NULL);
		if (!k_ring) {
			fprintf(stderr, "bench_maps: kernel ring buffer: %s\n", strerror(errno));
			return 1;
		}
	}

	/* Calibrate: runs per sample so that one sample takes ~2 ms in userbpf. */
	for (int round = 0; round < ROUNDS; round++) {
		for (b = 0; b < NBENCH; b++) {
			const struct userbpf_prog *prog =
			    userbpf_program__prog(userbpf_object__find_program_by_name(obj, benches[b].prog));
			double ns, deadline;
			uint32_t ret;
			uint64_t reps = 1;

			if (!prog) {
				fprintf(stderr, "bench_maps: no program %s\n", benches[b].prog);
				return 1;
			}
			/* Warm up and size the batch. */
			for (;;) {
				double t0 = now_ns();

				if (ub_sample(prog, reps, &ns, &ret))
					return fprintf(stderr, "bench_maps: %s: run failed\n",
						       benches[b].prog),
					       1;
				if (benches[b].ring)
					drain();
				if (now_ns() - t0 > 2e6 || reps >= 1u << 20)
					break;
				reps *= 2;
			}
			deadline = now_ns() + secs * 1e9 / ROUNDS;
			while (now_ns() < deadline) {
				if (ub_sample(prog, reps, &ns, &ret))
					return 1;
				if (benches[b].ring)
					drain();
				add_sample(&ub_cells[b], ns);
				ub_ret[b] = ret;
			}
			if (!have_kernel)
				continue;
			if (k_sample(kobj, benches[b].prog, reps, &ns, &ret)) /* warm-up */
				return 1;
			if (benches[b].ring)
				drain();
			deadline = now_ns() + secs * 1e9 / ROUNDS;
			while (now_ns() < deadline) {
				if (k_sample(kobj, benches[b].prog, reps, &ns, &ret))
					return 1;
				if (benches[b].ring)
					drain();
				add_sample(&k_cells[b], ns);
				k_ret[b] = ret;
			}
			if (k_ret[b] != ub_ret[b]) {
				printf("FAIL: %s: userbpf returned %u, the kernel %u\n", benches[b].prog,
				       ub_ret[b], k_ret[b]);
				failed = 1;
			}
		}
	}
	for (b = 0; b < NBENCH; b++) {
		uint32_t want = expected(benches[b].prog);

		if (want && ub_ret[b] != want) {
			printf("FAIL: %s: userbpf returned %u, expected %u\n", benches[b].prog, ub_ret[b],
			       want);
			failed = 1;
		}
		if (benches[b].all_ok && ub_ret[b] != OPS) {
			printf("FAIL: %s: %u of %u operations succeeded in userbpf\n", benches[b].prog,
			       ub_ret[b], OPS);
			failed = 1;
		}
		ub_cells[b].median = median(&ub_cells[b]);
		k_cells[b].median = median(&k_cells[b]);
	}

	if (!json) {
		printf("map ops: %d per run; ns/op = (median ns per run - median of `base`) / %d\n", OPS,
		       OPS);
		printf("userbpf: fast interpreter (programs loaded USERBPF_PROG_F_TRUSTED); kernel: "
		       "BPF_PROG_TEST_RUN repeat (JIT if enabled)\n\n");
		printf("| map op | userbpf ns/op |%s\n",
		       have_kernel ? " kernel ns/op | userbpf/kernel |" : "");
		printf("|---|---:|%s\n", have_kernel ? "---:|---:|" : "");
	}
	for (b = 0; b < NBENCH; b++) {
		double u = b ? (ub_cells[b].median - ub_cells[0].median) / OPS : ub_cells[0].median / OPS;
		double k = b ? (k_cells[b].median - k_cells[0].median) / OPS : k_cells[0].median / OPS;

		if (json) {
			printf("{\"op\": \"%s\", \"userbpf_ns_per_op\": %.2f, \"userbpf_ns_per_run\": %.1f",
			       benches[b].prog, u, ub_cells[b].median);
			if (have_kernel)
				printf(", \"kernel_ns_per_op\": %.2f, \"kernel_ns_per_run\": %.1f, "
				       "\"ratio\": %.2f",
				       k, k_cells[b].median, k > 0 ? u / k : 0);
			printf(", \"retval\": %u}\n", ub_ret[b]);
			continue;
		}
		printf("| %s | %.2f |", benches[b].label, u);
		if (have_kernel)
			printf(" %.2f | %.2f |", k, k > 0 ? u / k : 0);
		printf("\n");
	}
	if (!json)
		printf("\n(base row: the loop's own cost per iteration, not subtracted from itself)\n");

	ring_buffer__free(k_ring);
	userbpf_kobject__close(kobj);
	userbpf_object__close(obj);
	userbpf_helpers__free(helpers);
	return failed;
}
