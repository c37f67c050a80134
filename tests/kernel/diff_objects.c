/*
 * diff_objects.c - differential runs of the kd_* test objects (tests/objs/kd_*.bpf.c): each object is
 * loaded in userbpf (object loader, checked and fast engines in turn) and in the kernel
 * (userbpf_kobject__*), the same scripted sequence of operations is applied to both (host map
 * updates and deletes, program runs on given inputs), and everything observable is compared:
 *   - every program run's return value (32 bits, as the kernel reports it), and for SEC("syscall")
 *     programs the context after the run (the kernel copies it back to the caller);
 *   - every host operation's result code;
 *   - after the sequence, the complete contents of every map: keys iterated on both sides, value
 *     bytes compared; per-CPU maps byte for byte (userbpf gets as many slots as the kernel's possible
 *     CPUs and this thread is pinned to CPU 0 in both worlds); queues and stacks by popping both;
 *     bloom filters by host lookups of given values; prog_array and map-in-map by which slots are set
 *     (their values are fds/ids, which differ by nature); ring buffer and perf event records consumed
 *     on both sides and compared in order; bpf_trace_printk lines read from the kernel's trace buffer
 *     (tracefs) against userbpf's trace callback.
 * Values that cannot be equal (ktime, prandom) are reduced to properties by the programs themselves
 * (monotonic, within bounds, not all equal), and the properties are compared. Every case skips with
 * one line where bpf() is refused.
 *
 * Adding an object: a tests/objs/kd_NAME.bpf.c and a TEST that calls kd_scenario("kd_NAME", fn) with
 * a function applying the sequence through kd_run/kd_run_pkt/kd_update/kd_delete/kd_push.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader_util.h"
#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/maps.h"
#include "userbpf/packet.h"

#define MAX_RECS  256
#define MAX_LINES 128

struct rec {
	uint32_t size;
	int cpu;
	uint8_t data[256];
};

struct recs {
	struct rec r[MAX_RECS];
	int n;
};

struct lines {
	char l[MAX_LINES][200];
	int n;
};

/* One object in both worlds, and what the sequence compared so far. */
struct kd {
	const char *name;
	enum userbpf_exec exec;
	struct userbpf_object *obj;
	struct userbpf_helpers *helpers;
	struct userbpf_kobject *k;
	struct perf_buffer *kperf; /* kernel side of the perf event array, if any */
	const char *perf_map;
	struct recs kperf_recs;
	struct lines utrace;
	unsigned int nonce;
	int runs, ops, maps, entries, records, traces;
	int bad;
};

static char logbuf[8192];

static void fail(struct kd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct kd *d, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "    %s (%s): ", d->name, d->exec == USERBPF_EXEC_FAST ? "fast" : "checked");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	d->bad++;
	test_failed_now = 1;
}

static void hex(char *out, size_t size, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && o + 3 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", b[i]);
}

/* Per-CPU values byte for byte: userbpf gets the kernel's possible CPUs as slots, CPU 0 runs. */
static void same_cpu_setup(void)
{
	static int done;
	cpu_set_t set;
	int n;
	if (done)
		return;
	done = 1;
	n = userbpf_kernel_nr_cpus();
	if (n > 0)
		userbpf_set_nr_cpus((unsigned)n);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "note: cannot pin to CPU 0: %s\n", strerror(errno));
	userbpf_set_this_cpu(0);
}

static struct userbpf_map *umap(const struct kd *d, const char *name)
{
	struct userbpf_object_map *m = userbpf_object__find_map_by_name(d->obj, name);
	return m ? userbpf_object_map__map(m) : NULL;
}

static void trace_line(void *cookie, const char *line, size_t len)
{
	struct lines *t = cookie;
	if (t->n < MAX_LINES)
		snprintf(t->l[t->n++], sizeof(t->l[0]), "%.*s", (int)len, line);
}

static void perf_sample(void *cookie, int cpu, void *data, uint32_t size)
{
	struct recs *r = cookie;
	if (r->n >= MAX_RECS)
		return;
	r->r[r->n].cpu = cpu;
	r->r[r->n].size = size;
	memcpy(r->r[r->n].data, data, size < sizeof(r->r[0].data) ? size : sizeof(r->r[0].data));
	r->n++;
}

static void kd_close(struct kd *d)
{
	perf_buffer__free(d->kperf);
	userbpf_kobject__close(d->k);
	userbpf_object__close(d->obj);
	userbpf_helpers__free(d->helpers);
	d->kperf = NULL;
	d->k = NULL;
	d->obj = NULL;
	d->helpers = NULL;
}


static int kd_open(struct kd *d, const char *name, enum userbpf_exec exec)
{
	struct userbpf_object_open_opts oo =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object_map *m;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->exec = exec;
	d->nonce = (unsigned)getpid() * 2654435761u ^ (unsigned)exec;
	same_cpu_setup();
	d->obj = userbpf_object__open_file(lu_obj_path(name), &oo);
	if (!d->obj) {
		fail(d, "open: %s", logbuf);
		return -1;
	}
	d->helpers = userbpf_helpers__new();
	if (!d->helpers || userbpf_helpers__add_maps(d->helpers) || userbpf_helpers__add_std(d->helpers) ||
	    userbpf_helpers__add_kernel(d->helpers) ||
	    userbpf_helpers__add_packet(d->helpers)) {
		fail(d, "helpers");
		goto out;
	}
	struct userbpf_object_load_opts lo =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = d->helpers, .log_buf = logbuf,
			      .log_size = sizeof(logbuf),
			      .prog_flags = exec == USERBPF_EXEC_FAST ? USERBPF_PROG_F_TRUSTED : 0);
	if (userbpf_object__load(d->obj, &lo)) {
		fail(d, "userbpf load: %s", logbuf);
		goto out;
	}
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	d->k = userbpf_kobject__load(d->obj, &ko);
	if (!d->k) {
		fail(d, "kernel load: %s", logbuf);
		goto out;
	}
	/* A perf event array gets the kernel's perf events (one per CPU) through libbpf. */
	userbpf_object__for_each_map(m, d->obj)
	{
		if (userbpf_object_map__type(m) != USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
			continue;
		d->perf_map = userbpf_object_map__name(m);
		d->kperf = perf_buffer__new(userbpf_kobject__map_fd(d->k, d->perf_map), 4, perf_sample, NULL,
					    &d->kperf_recs, NULL);
		if (!d->kperf) {
			fail(d, "perf_buffer__new on map '%s': %s", d->perf_map, strerror(errno));
			goto out;
		}
	}
	return 0;
out:
	kd_close(d);
	return -1;
}

static int regions_of(const struct kd *d, struct userbpf_region *regions, size_t max)
{
	struct userbpf_object_map *m;
	size_t nr = 0;
	userbpf_object__for_each_map(m, d->obj)
	{
		int n = userbpf_map__regions(userbpf_object_map__map(m), regions + nr, max - nr);
		if (n > 0 && nr + (size_t)n <= max)
			nr += (size_t)n;
	}
	return (int)nr;
}

/* Run program `prog` in userbpf on ctx (copied from the caller's); r0 or -1 after fail(). */
static int64_t urun(struct kd *d, const char *prog, void *ctx, uint32_t ctx_size)
{
	struct userbpf_program *p = userbpf_object__find_program_by_name(d->obj, prog);
	struct userbpf_region regions[64];
	char err[300] = "";
	int nr = regions_of(d, regions, 64), e;
	struct userbpf_run_opts r = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = ctx, .ctx_size = ctx_size, .exec = d->exec, .regions = regions,
	    .nr_regions = (size_t)nr, .err_buf = err, .err_size = sizeof(err), .trace_fn = trace_line,
	    .trace_cookie = &d->utrace);
	if (!p || !userbpf_program__prog(p)) {
		fail(d, "no program '%s' in userbpf", prog);
		return -1;
	}
	e = userbpf_prog__run(userbpf_program__prog(p), &r);
	if (e) {
		fail(d, "userbpf run %s: %d %s", prog, e, err);
		return -1;
	}
	return (int64_t)(uint32_t)r.retval;
}

/*
 * Run a SEC("syscall") program on `ctx` (ctx_size bytes) in both worlds, each on its own copy of the
 * caller's bytes; the return values and the contexts after the run must be equal. The caller's ctx
 * receives the kernel's. Returns the kernel's r0.
 */
static uint32_t kd_run(struct kd *d, const char *prog, void *ctx, uint32_t ctx_size)
{
	uint8_t uctx[512], kctx[512];
	char err[300] = "", h1[300], h2[300];
	int e;

	if (ctx_size > sizeof(uctx))
		abort();
	memcpy(uctx, ctx, ctx_size);
	memcpy(kctx, ctx, ctx_size);
	int64_t u = urun(d, prog, ctx_size ? uctx : NULL, ctx_size);
	struct userbpf_ktest_run_opts t =
	    USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .ctx_in = ctx_size ? kctx : NULL, .ctx_size_in = ctx_size,
			      .err_buf = err, .err_size = sizeof(err));
	e = userbpf_kobject__test_run(d->k, prog, &t);
	d->runs++;
	if (e) {
		fail(d, "%s", err);
		return 0;
	}
	if (u >= 0 && (uint32_t)u != t.retval)
		fail(d, "run %d of '%s' returned %u in userbpf, %u in the kernel", d->runs, prog, (uint32_t)u,
		     t.retval);
	if (memcmp(uctx, kctx, ctx_size)) {
		hex(h1, sizeof(h1), uctx, ctx_size);
		hex(h2, sizeof(h2), kctx, ctx_size);
		fail(d, "run %d of '%s': ctx after the run: userbpf %s, kernel %s", d->runs, prog, h1, h2);
	}
	memcpy(ctx, kctx, ctx_size);
	return t.retval;
}

/*
 * Run a packet program (xdp, tc) on `pkt` in both worlds: the kernel through BPF_PROG_TEST_RUN's
 * data_in, userbpf through the packet runner (packet.h), which builds the same context. r0 and the packet after the
 * run must be equal. Returns the kernel's r0.
 */
static uint32_t kd_run_pkt(struct kd *d, const char *prog, const void *pkt, uint32_t len)
{
	struct userbpf_program *p = userbpf_object__find_program_by_name(d->obj, prog);
	uint8_t ubuf[1600], kbuf[1600 + 256];
	uint32_t ulen = len;
	char err[300] = "", h1[300], h2[300];
	int64_t u = -1;
	int e;

	if (len > sizeof(ubuf))
		abort();
	memcpy(ubuf, pkt, len);
	if (p && userbpf_program__prog(p) && userbpf_prog__type(userbpf_program__prog(p)) != 0) {
		struct userbpf_pktrun_opts po =
		    USERBPF_OPTS_INIT(userbpf_pktrun_opts, .exec = d->exec, .trace_fn = trace_line,
				      .trace_cookie = &d->utrace, .err_buf = err, .err_size = sizeof(err));
		struct userbpf_pktrun *run = userbpf_pktrun__new(userbpf_program__prog(p), &po);
		struct userbpf_pkt_result res;
		if (!run) {
			fail(d, "packet runner for '%s': %s", prog, err);
		} else {
			e = userbpf_pktrun__run(run, pkt, len, NULL, &res, err, sizeof(err));
			if (e)
				fail(d, "userbpf packet run %s: %d %s", prog, e, err);
			else {
				u = (uint32_t)res.retval;
				ulen = res.len;
				memcpy(ubuf, res.data, res.len < sizeof(ubuf) ? res.len : sizeof(ubuf));
			}
			userbpf_pktrun__free(run);
		}
	} else {
		u = urun(d, prog, ubuf, len);
	}
	struct userbpf_ktest_run_opts t = USERBPF_OPTS_INIT(
	    userbpf_ktest_run_opts, .data_in = pkt, .data_size_in = len, .data_out = kbuf,
	    .data_size_out = sizeof(kbuf), .err_buf = err, .err_size = sizeof(err));
	e = userbpf_kobject__test_run(d->k, prog, &t);
	d->runs++;
	if (e) {
		fail(d, "%s", err);
		return 0;
	}
	if (u >= 0 && (uint32_t)u != t.retval)
		fail(d, "run %d of '%s' returned %u in userbpf, %u in the kernel", d->runs, prog, (uint32_t)u,
		     t.retval);
	if (u >= 0 && (ulen != t.data_size_out || memcmp(ubuf, kbuf, ulen))) {
		hex(h1, sizeof(h1), ubuf, ulen);
		hex(h2, sizeof(h2), kbuf, t.data_size_out);
		fail(d, "run %d of '%s': packet after the run: userbpf %s, kernel %s", d->runs, prog, h1, h2);
	}
	return t.retval;
}

static void same_rc(struct kd *d, const char *what, const char *map, int e1, int e2)
{
	d->ops++;
	if (e1 != e2)
		fail(d, "%s on map '%s': userbpf %d, kernel %d", what, map, e1, e2);
}

/* Host update in both worlds; the result codes must agree. Returns the kernel's. */
static int kd_update(struct kd *d, const char *map, const void *key, const void *val, uint64_t flags)
{
	int e1 = userbpf_map_update_elem(umap(d, map), key, val, flags);
	int e2 = userbpf_kobject__map_update(d->k, map, key, val, flags);
	same_rc(d, "update", map, e1, e2);
	return e2;
}

static int kd_delete(struct kd *d, const char *map, const void *key)
{
	int e1 = userbpf_map_delete_elem(umap(d, map), key);
	int e2 = userbpf_kobject__map_delete(d->k, map, key);
	same_rc(d, "delete", map, e1, e2);
	return e2;
}

/* Host lookup in both worlds: result codes and value bytes must agree. */
static int kd_lookup(struct kd *d, const char *map, const void *key)
{
	long vs = userbpf_kobject__map_value_size(d->k, map);
	uint8_t uv[4096], kv[4096];
	if (vs <= 0 || vs > (long)sizeof(uv)) {
		fail(d, "map '%s': value size %ld", map, vs);
		return -1;
	}
	int e1 = userbpf_map_lookup_elem(umap(d, map), key, uv);
	int e2 = userbpf_kobject__map_lookup(d->k, map, key, kv);
	same_rc(d, "lookup", map, e1, e2);
	if (!e1 && !e2 && memcmp(uv, kv, (size_t)vs))
		fail(d, "lookup on map '%s': values differ", map);
	return e2;
}

/* prog_array slot := program `prog` (kernel: its fd; userbpf: its id). */
static void kd_set_prog(struct kd *d, const char *map, uint32_t key, const char *prog)
{
	struct userbpf_program *p = userbpf_object__find_program_by_name(d->obj, prog);
	uint32_t id = p && userbpf_program__prog(p) ? userbpf_prog__id(userbpf_program__prog(p)) : 0;
	int fd = userbpf_kobject__prog_fd(d->k, prog);
	int e1 = userbpf_map_update_elem(umap(d, map), &key, &id, BPF_ANY);
	int e2 = userbpf_kobject__map_update(d->k, map, &key, &fd, BPF_ANY);
	same_rc(d, "prog slot update", map, e1, e2);
}

/* Map-in-map slot := map `inner` of the object (kernel: its fd; userbpf: its id). */
static void kd_set_map(struct kd *d, const char *map, uint32_t key, const char *inner)
{
	uint32_t id = umap(d, inner) ? userbpf_map__id(umap(d, inner)) : 0;
	int fd = userbpf_kobject__map_fd(d->k, inner);
	int e1 = userbpf_map_update_elem(umap(d, map), &key, &id, BPF_ANY);
	int e2 = userbpf_kobject__map_update(d->k, map, &key, &fd, BPF_ANY);
	same_rc(d, "map slot update", map, e1, e2);
}

/* Bloom filter membership of `val` (host lookup: key NULL, value = the value looked for). */
static void kd_bloom_check(struct kd *d, const char *map, const void *val)
{
	uint8_t v1[64], v2[64];
	size_t vs = userbpf_map__value_size(umap(d, map));
	memcpy(v1, val, vs);
	memcpy(v2, val, vs);
	int e1 = userbpf_map_lookup_elem(umap(d, map), NULL, v1);
	int e2 = bpf_map_lookup_elem(userbpf_kobject__map_fd(d->k, map), NULL, v2) ? -errno : 0;
	same_rc(d, "bloom lookup", map, e1, e2);
	d->entries++;
}

/* ---- comparing the final state ---- */

/* Keys and values of an iterable map; fd maps (prog_array, map-in-map) by keys only. */
static void compare_map(struct kd *d, const char *name, bool keys_only)
{
	struct userbpf_map *um = umap(d, name);
	uint32_t ks = userbpf_map__key_size(um);
	long vs = userbpf_kobject__map_value_size(d->k, name);
	uint8_t key[256], next[256], kv[8192], uv[8192];
	char h1[200], h2[200], hk[100];
	int n = 0, un = 0, e;

	if (vs <= 0 || (size_t)vs > sizeof(kv) || ks > sizeof(key)) {
		fail(d, "map '%s': sizes key %u value %ld", name, ks, vs);
		return;
	}
	for (e = userbpf_kobject__map_get_next_key(d->k, name, NULL, next); !e;
	     e = userbpf_kobject__map_get_next_key(d->k, name, key, next)) {
		int e1, e2;
		memcpy(key, next, ks);
		e2 = userbpf_kobject__map_lookup(d->k, name, key, kv);
		e1 = userbpf_map_lookup_elem(um, key, uv);
		if (keys_only) {
			/* The kernel gives back ids for map-in-map lookups from user space, and prog_array
			 * lookups are refused there: only presence is compared. */
			e1 = e1 == -ENOENT ? -ENOENT : 0;
			e2 = e2 == -ENOENT ? -ENOENT : 0;
		}
		if (e1 != e2 || (!keys_only && !e1 && memcmp(uv, kv, (size_t)vs))) {
			hex(hk, sizeof(hk), key, ks);
			hex(h1, sizeof(h1), uv, (size_t)vs);
			hex(h2, sizeof(h2), kv, (size_t)vs);
			fail(d, "map '%s' key %s: userbpf %d %s, kernel %d %s", name, hk, e1, h1, e2, h2);
			return;
		}
		n += e2 == 0;
	}
	for (e = userbpf_map_get_next_key(um, NULL, next); !e; e = userbpf_map_get_next_key(um, key, next)) {
		memcpy(key, next, ks);
		un += !keys_only || userbpf_map_lookup_elem(um, key, uv) != -ENOENT;
	}
	if (un != n && !keys_only)
		fail(d, "map '%s': %d entries in userbpf, %d in the kernel", name, un, n);
	d->maps++;
	d->entries += n;
}

static void compare_pop(struct kd *d, const char *name)
{
	long vs = userbpf_kobject__map_value_size(d->k, name);
	uint8_t kv[256], uv[256];
	int n = 0;
	for (;;) {
		int e1 = userbpf_map_lookup_and_delete_elem(umap(d, name), NULL, uv);
		int e2 = userbpf_kobject__map_lookup_and_delete(d->k, name, NULL, kv);
		if (e1 != e2 || (!e1 && memcmp(uv, kv, (size_t)vs))) {
			fail(d, "map '%s' pop %d: userbpf %d, kernel %d", name, n, e1, e2);
			return;
		}
		if (e1)
			break;
		n++;
	}
	d->maps++;
	d->entries += n;
}

/* Kernel ring buffer records, read through libbpf's consumer. */
static int ring_sample(void *cookie, void *data, size_t size)
{
	struct recs *r = cookie;
	if (r->n < MAX_RECS) {
		r->r[r->n].size = (uint32_t)size;
		memcpy(r->r[r->n].data, data, size < sizeof(r->r[0].data) ? size : sizeof(r->r[0].data));
		r->n++;
	}
	return 0;
}

static int uring_sample(void *cookie, const void *data, size_t size)
{
	return ring_sample(cookie, (void *)data, size);
}

static int uperf_sample(void *cookie, int cpu, const void *data, size_t size)
{
	perf_sample(cookie, cpu, (void *)data, (uint32_t)size);
	return 0;
}

static void compare_recs(struct kd *d, const char *name, const struct recs *u, const struct recs *k,
			 bool perf)
{
	if (u->n != k->n)
		fail(d, "map '%s': %d records in userbpf, %d in the kernel", name, u->n, k->n);
	for (int i = 0; i < u->n && i < k->n; i++) {
		const struct rec *a = &u->r[i], *b = &k->r[i];
		/* The kernel pads perf raw samples to 8 bytes with the u32 size in front: compare the
		 * bytes the program wrote. */
		uint32_t n = perf ? (a->size < b->size ? a->size : b->size) : a->size;
		if ((!perf && a->size != b->size) || (perf && (b->size < a->size || b->size > a->size + 7)) ||
		    memcmp(a->data, b->data, n < sizeof(a->data) ? n : sizeof(a->data)) ||
		    (perf && a->cpu != b->cpu)) {
			char h1[200], h2[200];
			hex(h1, sizeof(h1), a->data, a->size);
			hex(h2, sizeof(h2), b->data, b->size);
			fail(d, "map '%s' record %d: userbpf (cpu %d) %s, kernel (cpu %d) %s", name, i, a->cpu, h1,
			     b->cpu, h2);
			return;
		}
	}
	d->records += k->n;
}

static void compare_ringbuf(struct kd *d, const char *name)
{
	static struct recs u, k;
	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	struct ring_buffer *rb =
	    ring_buffer__new(userbpf_kobject__map_fd(d->k, name), ring_sample, &k, NULL);
	if (!rb) {
		fail(d, "ring_buffer__new on '%s': %s", name, strerror(errno));
		return;
	}
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	int e = userbpf_ringbuf_consume(umap(d, name), uring_sample, &u);
	if (e < 0)
		fail(d, "userbpf_ringbuf_consume '%s': %d", name, e);
	compare_recs(d, name, &u, &k, false);
	d->maps++;
}

static void compare_perf(struct kd *d, const char *name)
{
	static struct recs u;
	memset(&u, 0, sizeof(u));
	if (d->kperf)
		perf_buffer__consume(d->kperf);
	int e = userbpf_perf_consume(umap(d, name), uperf_sample, &u);
	if (e < 0)
		fail(d, "userbpf_perf_consume '%s': %d", name, e);
	compare_recs(d, name, &u, &d->kperf_recs, true);
	d->maps++;
}

/*
 * bpf_trace_printk lines of this process from the kernel's trace buffer (tracefs): lines of the
 * form "<comm>-<tid> [cpu] flags ts: bpf_trace_printk: TEXT" whose TEXT contains the run's nonce
 * (the programs print it, so lines of other runs and processes are told apart). -1 if tracefs is
 * not readable.
 */
static int kernel_trace(struct kd *d, struct lines *out)
{
	static const char *const paths[] = {"/sys/kernel/tracing/trace", "/sys/kernel/debug/tracing/trace"};
	char nonce[32], line[1024];
	FILE *f = NULL;
	snprintf(nonce, sizeof(nonce), "<%08x>", d->nonce);
	for (size_t i = 0; i < 2 && !f; i++)
		f = fopen(paths[i], "r");
	if (!f)
		return -1;
	out->n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *t = strstr(line, "bpf_trace_printk: ");
		size_t n;
		if (!t || !strstr(t, nonce))
			continue;
		t += strlen("bpf_trace_printk: ");
		n = strlen(t);
		while (n && (t[n - 1] == '\n'))
			t[--n] = 0;
		if (out->n < MAX_LINES)
			snprintf(out->l[out->n++], sizeof(out->l[0]), "%s", t);
	}
	fclose(f);
	return 0;
}

static void compare_trace(struct kd *d)
{
	static struct lines k;
	char nonce[32];
	int un = 0;
	snprintf(nonce, sizeof(nonce), "<%08x>", d->nonce);
	for (int i = 0; i < d->utrace.n; i++)
		un += strstr(d->utrace.l[i], nonce) != NULL;
	if (!un)
		return;
	if (kernel_trace(d, &k)) {
		fprintf(stderr, "    %s: trace output not compared: tracefs not readable\n", d->name);
		return;
	}
	if (k.n != d->utrace.n)
		fail(d, "trace: %d lines in userbpf, %d in the kernel", d->utrace.n, k.n);
	for (int i = 0; i < k.n && i < d->utrace.n; i++)
		if (strcmp(k.l[i], d->utrace.l[i]))
			fail(d, "trace line %d: userbpf '%s', kernel '%s'", i, d->utrace.l[i], k.l[i]);
	d->traces += k.n;
}

static void kd_finish(struct kd *d)
{
	struct userbpf_object_map *m;
	userbpf_object__for_each_map(m, d->obj)
	{
		const char *name = userbpf_object_map__name(m);
		switch (userbpf_object_map__type(m)) {
		case USERBPF_MAP_TYPE_QUEUE:
		case USERBPF_MAP_TYPE_STACK:
			compare_pop(d, name);
			break;
		case USERBPF_MAP_TYPE_RINGBUF:
			compare_ringbuf(d, name);
			break;
		case USERBPF_MAP_TYPE_PERF_EVENT_ARRAY:
			compare_perf(d, name);
			break;
		case USERBPF_MAP_TYPE_BLOOM_FILTER:
			break; /* checked by kd_bloom_check in the scenario */
		case USERBPF_MAP_TYPE_PROG_ARRAY:
		case USERBPF_MAP_TYPE_ARRAY_OF_MAPS:
		case USERBPF_MAP_TYPE_HASH_OF_MAPS:
			compare_map(d, name, true);
			break;
		default:
			compare_map(d, name, false);
			break;
		}
	}
	compare_trace(d);
}

/* Totals over the whole file, printed at the end. */
static int tot_objects, tot_runs, tot_ops, tot_maps, tot_entries, tot_records, tot_traces;

/* Run scenario `fn` on object `name` with both engines (a fresh load in both worlds each time). */
static void kd_scenario(const char *name, void (*fn)(struct kd *))
{
	static const enum userbpf_exec engines[] = {USERBPF_EXEC_CHECKED, USERBPF_EXEC_FAST};
	static struct kd d;
	char why[200];
	FILE *f;

	if (!userbpf_kernel_available(why, sizeof(why))) {
		SKIP("kernel: %s", why);
		return;
	}
	f = fopen(lu_obj_path(name), "rb");
	if (!f) {
		SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));
		return;
	}
	fclose(f);
	tot_objects++;
	for (size_t e = 0; e < 2; e++) {
		if (kd_open(&d, name, engines[e]))
			return;
		fn(&d);
		kd_finish(&d);
		fprintf(stderr, "    %s (%s): %d runs, %d host ops, %d maps, %d entries, %d records, %d trace lines compared%s\n",
			name, e ? "fast" : "checked", d.runs, d.ops, d.maps, d.entries, d.records, d.traces,
			d.bad ? ": DIFFERENCES" : "");
		tot_runs += d.runs;
		tot_ops += d.ops;
		tot_maps += d.maps;
		tot_entries += d.entries;
		tot_records += d.records;
		tot_traces += d.traces;
		kd_close(&d);
	}
}

/* ================================================================================================ */
/* Scenarios                                                                                        */

/* kd_maps: arrays and hashes (plain, per-CPU, LRU) through one syscall program. */
struct maps_args {
	uint32_t op, key;
	uint64_t flags, val;
	int64_t rc[6];
	uint64_t found[6];
};

static void sc_maps(struct kd *d)
{
	enum { LOOKUP, UPDATE, DELETE, ADD };
	static const struct {
		uint32_t op, key;
		uint64_t flags, val;
	} seq[] = {
	    {LOOKUP, 1, 0, 0},	 {UPDATE, 1, BPF_NOEXIST, 10}, {UPDATE, 1, BPF_NOEXIST, 11},
	    {UPDATE, 1, BPF_EXIST, 12}, {UPDATE, 2, BPF_EXIST, 13}, {UPDATE, 2, BPF_ANY, 14},
	    {LOOKUP, 1, 0, 0},	 {LOOKUP, 2, 0, 0},		{ADD, 1, 0, 5},
	    {ADD, 3, 0, 7},	 {ADD, 3, 0, 7},		{DELETE, 2, 0, 0},
	    {DELETE, 2, 0, 0},	 {LOOKUP, 2, 0, 0},		{UPDATE, 9, BPF_ANY, 1},
	    {UPDATE, 7, 5, 1},	 {LOOKUP, 3, 0, 0},		{ADD, 0, 0, 1},
	};
	uint32_t key;
	uint64_t val[64];
	/* Host writes first: the programs see them. */
	key = 4;
	memset(val, 0, sizeof(val));
	val[0] = 400;
	kd_update(d, "arr", &key, val, BPF_ANY);
	kd_update(d, "hsh", &key, val, BPF_NOEXIST);
	kd_update(d, "hsh", &key, val, BPF_NOEXIST);
	kd_update(d, "lru", &key, val, BPF_ANY);
	for (int c = 0; c < 64; c++)
		val[c] = 100 + (uint64_t)c;
	kd_update(d, "parr", &key, val, BPF_ANY);
	kd_update(d, "phsh", &key, val, BPF_ANY);
	kd_update(d, "plru", &key, val, BPF_ANY);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct maps_args a = {.op = seq[i].op, .key = seq[i].key, .flags = seq[i].flags, .val = seq[i].val};
		kd_run(d, "kd_maps_op", &a, sizeof(a));
	}
	/* Fill the hashes: 8 entries max (-E2BIG after), LRU 16 with eviction. */
	for (uint32_t k = 10; k < 40; k++) {
		struct maps_args a = {.op = UPDATE, .key = k, .val = k * 3};
		kd_run(d, "kd_maps_op", &a, sizeof(a));
	}
	for (uint32_t k = 0; k < 12; k++) {
		struct maps_args a = {.op = LOOKUP, .key = k};
		kd_run(d, "kd_maps_op", &a, sizeof(a));
	}
	key = 4;
	kd_delete(d, "hsh", &key);
	kd_delete(d, "hsh", &key);
	kd_lookup(d, "phsh", &key);
	kd_lookup(d, "parr", &key);
	key = 100;
	kd_lookup(d, "arr", &key);
}

TEST(kd_maps)
{
	kd_scenario("kd_maps", sc_maps);
}

/* kd_xmaps: lpm_trie, queue, stack, bloom filter through an XDP program and a command map. */
static void sc_xmaps(struct kd *d)
{
	enum { LPM_UPDATE, LPM_LOOKUP, LPM_DELETE, PUSH, POP, PEEK, SPUSH, SPOP, SPEEK, BLOOM_PUSH, BLOOM_PEEK };
#define A(a, b, c, dd) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(dd) << 24)
	static const struct {
		uint32_t op, arg, plen, flags;
	} seq[] = {
	    {LPM_UPDATE, A(10, 0, 0, 0), 8, 0},	  {LPM_UPDATE, A(10, 1, 0, 0), 16, 0},
	    {LPM_UPDATE, A(10, 1, 2, 0), 24, 0},  {LPM_UPDATE, A(10, 1, 2, 3), 32, 0},
	    {LPM_UPDATE, A(10, 1, 0, 0), 16, 1},  {LPM_UPDATE, A(0, 0, 0, 0), 0, 0},
	    {LPM_UPDATE, A(10, 9, 0, 0), 33, 0},  {LPM_LOOKUP, A(10, 1, 2, 3), 32, 0},
	    {LPM_LOOKUP, A(10, 1, 2, 4), 32, 0},  {LPM_LOOKUP, A(10, 1, 3, 3), 32, 0},
	    {LPM_LOOKUP, A(10, 2, 3, 3), 32, 0},  {LPM_LOOKUP, A(11, 2, 3, 3), 32, 0},
	    {LPM_DELETE, A(10, 1, 0, 0), 16, 0},  {LPM_DELETE, A(10, 1, 0, 0), 16, 0},
	    {LPM_LOOKUP, A(10, 1, 9, 9), 32, 0},  {LPM_DELETE, A(0, 0, 0, 0), 0, 0},
	    {LPM_LOOKUP, A(11, 2, 3, 3), 32, 0},  {LPM_LOOKUP, A(10, 1, 2, 3), 20, 0},
	    {POP, 0, 0, 0},			  {PEEK, 0, 0, 0},
	    {PUSH, 1, 0, 0},			  {PUSH, 2, 0, 0},
	    {PUSH, 3, 0, 0},			  {PUSH, 4, 0, 0},
	    {PUSH, 5, 0, 0},			  {PUSH, 6, 0, BPF_EXIST},
	    {PEEK, 0, 0, 0},			  {POP, 0, 0, 0},
	    {PUSH, 7, 0, 0},			  {SPOP, 0, 0, 0},
	    {SPUSH, 1, 0, 0},			  {SPUSH, 2, 0, 0},
	    {SPUSH, 3, 0, 0},			  {SPUSH, 4, 0, 0},
	    {SPUSH, 5, 0, 0},			  {SPUSH, 6, 0, BPF_EXIST},
	    {SPEEK, 0, 0, 0},			  {SPOP, 0, 0, 0},
	    {BLOOM_PEEK, 42, 0, 0},		  {BLOOM_PUSH, 42, 0, 0},
	    {BLOOM_PUSH, 43, 0, 0},		  {BLOOM_PEEK, 42, 0, 0},
	    {BLOOM_PEEK, 43, 0, 0},
	};
	uint8_t pkt[64] = {0};
	uint32_t zero = 0;
	pkt[12] = 0x08;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		uint32_t c[4] = {seq[i].op, seq[i].arg, seq[i].plen, seq[i].flags};
		kd_update(d, "cmd", &zero, c, BPF_ANY);
		kd_run_pkt(d, "kd_xmaps_op", pkt, sizeof(pkt));
	}
	/* Host side: a queue push (update with NULL key), a bloom push, an LPM entry. */
	uint32_t v = 99;
	kd_update(d, "que", NULL, &v, BPF_ANY);
	kd_update(d, "stk", NULL, &v, BPF_ANY);
	kd_update(d, "blm", NULL, &v, BPF_ANY);
	struct {
		uint32_t plen;
		uint8_t a[4];
	} lk = {12, {192, 168, 0, 0}};
	v = 12;
	kd_update(d, "lpm", &lk, &v, BPF_ANY);
	for (uint32_t b = 40; b < 100; b++)
		kd_bloom_check(d, "blm", &b);
}

TEST(kd_xmaps)
{
	kd_scenario("kd_xmaps", sc_xmaps);
}

/* kd_glob: global data of every section kind, static and global subprograms. */
static void sc_glob(struct kd *d)
{
	static const uint64_t ins[] = {0, 1, 2, 7, 100, 999, 1000, 1001, 5, 3};
	uint32_t zero = 0;
	uint64_t v = 77;
	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		uint64_t io[3] = {ins[i], 0, 0};
		kd_run(d, "kd_glob_main", io, sizeof(io));
		io[0] = ins[i];
		kd_run(d, "kd_glob_other", io, sizeof(io));
	}
	/* The host writes .data and .bss; .rodata is frozen in the kernel. */
	kd_lookup(d, ".data", &zero);
	kd_lookup(d, ".rodata", &zero);
	kd_lookup(d, ".rodata.greet", &zero);
	uint8_t bss[64] = {0};
	memcpy(bss, &v, 8);
	kd_update(d, ".bss", &zero, bss, BPF_ANY);
	uint64_t io[3] = {4, 0, 0};
	kd_run(d, "kd_glob_other", io, sizeof(io));
}

TEST(kd_glob)
{
	kd_scenario("kd_glob", sc_glob);
}

/* kd_tail: tail calls (chain, empty slot, out of range, the 33 limit, slots changed by the host). */
static void sc_tail(struct kd *d)
{
	static const uint32_t sels[] = {0, 1, 2, 3, 4, 5, 7, 8, 1000, 0xffffffff, 1, 5};
	uint8_t pkt[64] = {0};
	uint32_t zero = 0, two = 2;
	pkt[12] = 0x08;
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		kd_update(d, "sel", &zero, &sels[i], BPF_ANY);
		kd_run_pkt(d, "kd_tail_main", pkt, sizeof(pkt));
	}
	kd_delete(d, "jmp", &two);
	kd_delete(d, "jmp", &two);
	uint32_t one = 1;
	kd_update(d, "sel", &zero, &one, BPF_ANY);
	kd_run_pkt(d, "kd_tail_main", pkt, sizeof(pkt));
	kd_set_prog(d, "jmp", 2, "chain_c");
	kd_set_prog(d, "jmp", 7, "self_loop");
	kd_run_pkt(d, "kd_tail_main", pkt, sizeof(pkt));
	uint32_t seven = 7;
	kd_update(d, "sel", &zero, &seven, BPF_ANY);
	kd_run_pkt(d, "kd_tail_main", pkt, sizeof(pkt));
	/* Programs reached by tail calls run on their own too. */
	kd_run_pkt(d, "chain_b", pkt, sizeof(pkt));
	kd_run_pkt(d, "self_loop", pkt, sizeof(pkt));
}

TEST(kd_tail)
{
	kd_scenario("kd_tail", sc_tail);
}

/* kd_mim: array_of_maps and hash_of_maps, inner lookups and updates, slots changed by the host. */
struct mim_io {
	uint32_t outer, key;
	uint64_t add;
	int64_t res[4];
};

static void sc_mim(struct kd *d)
{
	static const uint32_t seq[][3] = {{0, 0, 5}, {0, 1, 6}, {1, 0, 7}, {1, 3, 8}, {2, 0, 9}, {3, 0, 10},
					  {3, 0, 11}, {1, 1, 12}, {0, 4, 13}, {3, 3, 14}, {1, 2, 15}};
	uint32_t one = 1;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct mim_io io = {.outer = seq[i][0], .key = seq[i][1], .add = seq[i][2]};
		kd_run(d, "kd_mim_main", &io, sizeof(io));
	}
	kd_delete(d, "aom", &one);
	kd_delete(d, "hom", &one);
	kd_set_map(d, "aom", 2, "in_b");
	kd_set_map(d, "hom", 0, "hin_y");
	kd_set_map(d, "hom", 1, "in_a"); /* wrong inner type: refused in both */
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct mim_io io = {.outer = seq[i][0], .key = seq[i][1], .add = seq[i][2] * 100};
		kd_run(d, "kd_mim_main", &io, sizeof(io));
	}
}

TEST(kd_mim)
{
	kd_scenario("kd_mim", sc_mim);
}

/* kd_ring: ring buffer records and queries, perf event array records. */
struct ring_io {
	uint32_t op, size;
	uint64_t tag;
	int64_t rc;
	uint64_t q[4];
};

static void sc_ring(struct kd *d)
{
	enum { OUTPUT, SUBMIT, DISCARD, TOO_BIG };
	static const uint32_t seq[][2] = {{OUTPUT, 8},	{OUTPUT, 1},  {OUTPUT, 13}, {SUBMIT, 0}, {DISCARD, 0},
					  {OUTPUT, 64}, {TOO_BIG, 0}, {DISCARD, 0}, {SUBMIT, 0}, {OUTPUT, 7}};
	uint8_t pkt[64] = {0};
	pkt[12] = 0x08;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct ring_io io = {.op = seq[i][0], .size = seq[i][1], .tag = 0x10 * i};
		kd_run(d, "kd_ring_op", &io, sizeof(io));
	}
	for (int i = 0; i < 5; i++)
		kd_run_pkt(d, "kd_perf_out", pkt, sizeof(pkt));
	/* Fill the ring (4096 bytes): output fails with -EAGAIN in both once full. */
	for (int i = 0; i < 70; i++) {
		struct ring_io io = {.op = OUTPUT, .size = 56, .tag = (uint64_t)i};
		kd_run(d, "kd_ring_op", &io, sizeof(io));
	}
}

TEST(kd_ring)
{
	kd_scenario("kd_ring", sc_ring);
}

/* kd_helpers: time, random, identity, strings, snprintf, trace_printk, bpf_loop. */
struct helpers_io {
	uint64_t user_ptr;
	uint32_t user_len, nonce;
	uint64_t n;
	int64_t r[16];
	char comm[16];
	char s[32];
};

static void sc_helpers(struct kd *d)
{
	static const char user_text[] = "hello, user space";
	for (int i = 0; i < 3; i++) {
		struct helpers_io io = {.n = (uint64_t)i};
		kd_run(d, "kd_time_rand", &io, sizeof(io));
		if (io.r[0] != 1 || io.r[1] != 1 || io.r[2] != 1 || io.r[3] != 1 || io.r[4] != 0)
			fail(d, "kd_time_rand: properties %lld %lld %lld %lld cpu %lld", (long long)io.r[0],
			     (long long)io.r[1], (long long)io.r[2], (long long)io.r[3], (long long)io.r[4]);
	}
	uint8_t pkt[64] = {0};
	for (int i = 0; i < 3; i++)
		kd_run_pkt(d, "kd_coarse", pkt, sizeof(pkt));
	struct helpers_io id = {0};
	kd_run(d, "kd_identity", &id, sizeof(id));
	if ((uint32_t)id.r[0] != (uint32_t)gettid() || (uint64_t)id.r[0] >> 32 != (uint64_t)getpid())
		fail(d, "kd_identity: pid_tgid %llx", (unsigned long long)id.r[0]);
	static const uint32_t lens[] = {5, 18, 32, 0};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct helpers_io io = {.user_ptr = (uintptr_t)user_text, .user_len = lens[i], .n = 42 + i};
		kd_run(d, "kd_strings", &io, sizeof(io));
		/* Not only equal, also right: */
		if (i == 0 && (io.r[0] != 0 || io.r[1] != 16 || io.r[2] != 0 || io.r[3] != 8 || io.r[4] != 0 ||
			       io.r[5] == 0 || io.r[6] != 0 || io.r[7] != -EFAULT || io.r[8] != 34 ||
			       io.r[9] != 24 || io.s[0] != 0 /* zeroed by the faulting read */ || memcmp(io.s + 16, "hello, user spa", 16)))
			fail(d, "kd_strings: unexpected results s '%.32s' '%.16s' r0..r9 %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
			     io.s, io.s + 16, (long long)io.r[0], (long long)io.r[1], (long long)io.r[2], (long long)io.r[3],
			     (long long)io.r[4], (long long)io.r[5], (long long)io.r[6], (long long)io.r[7],
			     (long long)io.r[8], (long long)io.r[9]);
	}
	char txt[64];
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(userbpf_kobject__map_fd(d->k, "text"), &zero, txt) ||
	    strcmp(txt, "n=45 s=-5 str=kernel-side x=0beef"))
		fail(d, "kd_strings: snprintf text '%.64s'", txt);
	for (uint64_t n = 0; n < 4; n++) {
		struct helpers_io io = {.nonce = d->nonce, .n = n * 1000 + 7};
		kd_run(d, "kd_trace", &io, sizeof(io));
	}
	static const uint64_t ns[] = {1, 5, 0, 100, 30};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct helpers_io io = {.n = ns[i]};
		kd_run(d, "kd_loop", &io, sizeof(io));
	}
}

TEST(kd_helpers)
{
	kd_scenario("kd_helpers", sc_helpers);
}

/* kd_csum: l3/l4_csum_replace, skb_store_bytes and csum_diff on IPv4 UDP and TCP packets. */
static void sc_csum(struct kd *d)
{
	for (int v = 0; v < 6; v++) {
		uint8_t pkt[74] = {0};
		uint8_t proto = v & 1 ? 6 : 17;
		memset(pkt, 0x11 * (v + 1), 12); /* MACs */
		pkt[12] = 0x08;
		uint8_t ip[20] = {0x45, 0, 0, 60, 0x12, (uint8_t)v, 0x40, 0, 64, proto, 0, 0,
				  10, 0, 0, (uint8_t)(1 + v), 10, 0, (uint8_t)v, 2};
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (uint8_t)(~sum >> 8);
		ip[11] = (uint8_t)~sum;
		memcpy(pkt + 14, ip, 20);
		for (int i = 34; i < 74; i++)
			pkt[i] = (uint8_t)(i * 7 + v);
		if (v >= 4) /* UDP without checksum (0): l4_csum_replace leaves it */
			pkt[34 + 6] = pkt[34 + 7] = 0;
		uint32_t r = kd_run_pkt(d, "kd_csum_nat", pkt, sizeof(pkt));
		if (r == 0 || (r >= 101 && r <= 106))
			fail(d, "kd_csum_nat on packet %d stopped early: %u", v, r);
	}
}

TEST(kd_csum)
{
	kd_scenario("kd_csum", sc_csum);
}

TEST(zz_totals)
{
	fprintf(stderr, "    diff_objects: %d objects; %d program runs, %d host operations, %d maps "
			"(%d entries), %d records, %d trace lines compared (both engines)\n",
		tot_objects, tot_runs, tot_ops, tot_maps, tot_entries, tot_records, tot_traces);
	if (!tot_objects)
		SKIP("no object compared");
}
