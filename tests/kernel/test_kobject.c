/*
 * test_kobject.c - the kernel backend (include/userbpf/kernel.h): objects loaded into the Linux kernel
 * from userbpf's parse, and the differential runs: the same object run in userbpf (checked engine)
 * and in the kernel (BPF_PROG_TEST_RUN) gives the same return values and the same final map contents,
 * byte for byte. Also: the refusals are one clear line, func/line info reach the kernel, initial
 * slots are filled, and nothing is left behind (no fd, no pin). Every case skips with one line where
 * bpf() is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "loader_util.h"
#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/maps.h"

static char logbuf[4096];

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		char why_[200];                                                                              \
		if (!userbpf_kernel_available(why_, sizeof(why_)))                                           \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

#define NEED_OBJ(name)                                                                                       \
	do {                                                                                                 \
		FILE *f_ = fopen(lu_obj_path(name), "rb");                                                   \
		if (!f_)                                                                                     \
			SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));            \
		fclose(f_);                                                                                  \
	} while (0)

static struct userbpf_object *open_obj(const char *name)
{
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object *obj = userbpf_object__open_file(lu_obj_path(name), &o);
	if (!obj)
		fprintf(stderr, "open %s: %s\n", name, logbuf);
	return obj;
}

static struct userbpf_kobject *kload(const struct userbpf_object *obj)
{
	struct userbpf_kobject_opts o =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_kobject *k = userbpf_kobject__load(obj, &o);
	if (!k)
		fprintf(stderr, "kernel load %s: %s\n", userbpf_object__name(obj), logbuf);
	return k;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Entries under /sys/fs/bpf (recursively one level), -1 if it is not there. */
static int count_pins(void)
{
	DIR *d = opendir("/sys/fs/bpf");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Per-CPU maps: userbpf gets as many slots as the kernel has possible CPUs, and this thread runs on
 * CPU 0 in both worlds, so per-CPU values compare byte for byte. */
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

/* ---- both worlds ---- */

struct both {
	struct userbpf_object *obj;
	struct userbpf_helpers *helpers;
	struct userbpf_kobject *k;
};

static void both_close(struct both *b)
{
	userbpf_kobject__close(b->k);
	userbpf_object__close(b->obj);
	userbpf_helpers__free(b->helpers);
}

static int both_open(struct both *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	same_cpu_setup();
	b->obj = open_obj(name);
	b->helpers = userbpf_helpers__new();
	if (!b->obj || !b->helpers || userbpf_helpers__add_maps(b->helpers) ||
	    userbpf_helpers__add_std(b->helpers))
		goto fail;
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(
	    userbpf_object_load_opts, .helpers = b->helpers, .log_buf = logbuf, .log_size = sizeof(logbuf));
	if (userbpf_object__load(b->obj, &lo)) {
		fprintf(stderr, "userbpf load %s: %s\n", name, logbuf);
		goto fail;
	}
	b->k = kload(b->obj);
	if (!b->k)
		goto fail;
	return 0;
fail:
	both_close(b);
	memset(b, 0, sizeof(*b));
	return -1;
}

static struct userbpf_map *umap(const struct both *b, const char *name)
{
	struct userbpf_object_map *m = userbpf_object__find_map_by_name(b->obj, name);
	return m ? userbpf_object_map__map(m) : NULL;
}

/* Update a map in both worlds. */
static int both_update(const struct both *b, const char *map, const void *key, const void *val)
{
	int e1 = userbpf_map_update_elem(umap(b, map), key, val, USERBPF_ANY);
	int e2 = userbpf_kobject__map_update(b->k, map, key, val, BPF_ANY);
	if (e1 || e2)
		fprintf(stderr, "update %s: userbpf %d, kernel %d\n", map, e1, e2);
	return e1 || e2 ? -1 : 0;
}

/* Run `prog` once in both worlds on a 64-byte packet; 0 when the return values agree. */
static int both_run(const struct both *b, const char *prog, uint32_t *ret)
{
	struct userbpf_program *p = userbpf_object__find_program_by_name(b->obj, prog);
	struct userbpf_region regions[64];
	size_t nr = 0;
	struct userbpf_object_map *m;
	uint8_t pkt[64] = {0}, pkt_out[64];
	char err[300] = "";
	int e;

	userbpf_object__for_each_map(m, b->obj)
	{
		int n = userbpf_map__regions(userbpf_object_map__map(m), regions + nr,
					     sizeof(regions) / sizeof(regions[0]) - nr);
		if (n > 0 && nr + (size_t)n <= sizeof(regions) / sizeof(regions[0]))
			nr += (size_t)n;
	}
	pkt[12] = 0x08; /* IPv4 ethertype, for good measure */
	struct userbpf_run_opts r = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = pkt, .ctx_size = sizeof(pkt), .exec = USERBPF_EXEC_CHECKED,
	    .regions = regions, .nr_regions = nr, .err_buf = err, .err_size = sizeof(err));
	if (!p || !userbpf_program__prog(p)) {
		fprintf(stderr, "%s: no program '%s' in userbpf\n", userbpf_object__name(b->obj), prog);
		return -1;
	}
	e = userbpf_prog__run(userbpf_program__prog(p), &r);
	if (e) {
		fprintf(stderr, "userbpf run %s: %d %s\n", prog, e, err);
		return -1;
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[12] = 0x08;
	struct userbpf_ktest_run_opts t = USERBPF_OPTS_INIT(
	    userbpf_ktest_run_opts, .data_in = pkt, .data_size_in = sizeof(pkt), .data_out = pkt_out,
	    .data_size_out = sizeof(pkt_out), .err_buf = err, .err_size = sizeof(err));
	e = userbpf_kobject__test_run(b->k, prog, &t);
	if (e) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if ((uint32_t)r.retval != t.retval) {
		fprintf(stderr, "%s: program '%s' returned 0x%x in userbpf, 0x%x in the kernel\n",
			userbpf_object__name(b->obj), prog, (uint32_t)r.retval, t.retval);
		return -1;
	}
	*ret = t.retval;
	return 0;
}

static void hex(char *out, size_t size, const uint8_t *p, size_t n)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && o + 3 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
}

/*
 * Compare one map: the same keys on both sides and the same value bytes for each; queues and
 * stacks by popping both. Returns the number of entries compared, -1 on a difference.
 */
static int compare_map(const struct both *b, const char *name)
{
	struct userbpf_map *um = umap(b, name);
	uint32_t type = userbpf_map__type(um), ks = userbpf_map__key_size(um);
	long vs = userbpf_kobject__map_value_size(b->k, name);
	uint8_t key[256], next[256], *kv, *uv;
	char h1[200], h2[200];
	int n = 0, un = 0, e;

	if (vs <= 0 || ks > sizeof(key))
		return -1;
	kv = calloc(1, (size_t)vs);
	uv = calloc(1, (size_t)vs);
	if (type == USERBPF_MAP_TYPE_QUEUE || type == USERBPF_MAP_TYPE_STACK) {
		for (;;) {
			int e1 = userbpf_map_lookup_and_delete_elem(um, NULL, uv);
			int e2 = userbpf_kobject__map_lookup_and_delete(b->k, name, NULL, kv);
			if (e1 != e2 || (!e1 && memcmp(uv, kv, (size_t)vs))) {
				hex(h1, sizeof(h1), uv, (size_t)vs);
				hex(h2, sizeof(h2), kv, (size_t)vs);
				fprintf(stderr, "map '%s' pop %d: userbpf %d %s, kernel %d %s\n", name, n, e1,
					h1, e2, h2);
				n = -1;
				break;
			}
			if (e1)
				break;
			n++;
		}
		goto out;
	}
	for (e = userbpf_kobject__map_get_next_key(b->k, name, NULL, next); !e;
	     e = userbpf_kobject__map_get_next_key(b->k, name, key, next)) {
		int e1, e2;
		memcpy(key, next, ks);
		e2 = userbpf_kobject__map_lookup(b->k, name, key, kv);
		e1 = userbpf_map_lookup_elem(um, key, uv);
		if (e1 != e2 || (!e1 && memcmp(uv, kv, (size_t)vs))) {
			char hk[100];
			hex(hk, sizeof(hk), key, ks);
			hex(h1, sizeof(h1), uv, (size_t)vs);
			hex(h2, sizeof(h2), kv, (size_t)vs);
			fprintf(stderr, "map '%s' key %s: userbpf %d %s, kernel %d %s\n", name, hk, e1, h1,
				e2, h2);
			n = -1;
			goto out;
		}
		n++;
	}
	/* No key in userbpf that the kernel lacks. */
	for (e = userbpf_map_get_next_key(um, NULL, next); !e; e = userbpf_map_get_next_key(um, key, next)) {
		memcpy(key, next, ks);
		un++;
	}
	if (un != n) {
		fprintf(stderr, "map '%s': %d entries in userbpf, %d in the kernel\n", name, un, n);
		n = -1;
	}
out:
	free(kv);
	free(uv);
	return n;
}

/* Compare every map of the object; returns the number of maps equal, -1 if any differs. */
static int compare_all(const struct both *b, int *entries)
{
	struct userbpf_object_map *m;
	int maps = 0, bad = 0;
	*entries = 0;
	userbpf_object__for_each_map(m, b->obj)
	{
		enum userbpf_map_type t = userbpf_object_map__type(m);
		int n;
		/* fd-holding maps hold ids that differ by nature; checked in their own test. */
		if (t == USERBPF_MAP_TYPE_PROG_ARRAY || t == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
		    t == USERBPF_MAP_TYPE_HASH_OF_MAPS || t == USERBPF_MAP_TYPE_RINGBUF ||
		    t == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY || t == USERBPF_MAP_TYPE_BLOOM_FILTER)
			continue;
		n = compare_map(b, userbpf_object_map__name(m));
		if (n < 0)
			bad++;
		else {
			maps++;
			*entries += n;
		}
	}
	return bad ? -1 : maps;
}

/* ---- cases ---- */

TEST(kernel_available_says_why)
{
	char why[200] = "x";
	int a = userbpf_kernel_available(why, sizeof(why));
	CHECK(a == 0 || a == 1);
	if (a)
		CHECK_STR(why, "");
	else
		CHECK_CONTAINS(why, "bpf() refused: ");
	if (!a)
		SKIP("kernel: %s", why);
	CHECK(userbpf_kernel_nr_cpus() > 0);
}

TEST(load_every_test_object)
{
	static const char *const names[] = {"globals",	  "globals.v1", "globals.v2",
					    "globals.v3", "maps_btf",	"maps_legacy",
					    "run",	  "kern_maps",	"kern_more"};
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct userbpf_object *obj = open_obj(names[i]);
		struct userbpf_kobject *k;
		struct userbpf_program *p;
		struct userbpf_object_map *m;
		if (!obj) {
			CHECK(obj);
			continue;
		}
		k = kload(obj);
		CHECK(k);
		if (k) {
			userbpf_object__for_each_program(p, obj)
			{
				int fd = userbpf_kobject__prog_fd(k, userbpf_program__name(p));
				if (userbpf_program__autoload(p)) {
					CHECK(fd >= 0);
					CHECK(userbpf_kobject__verifier_log(k, userbpf_program__name(p)));
				} else {
					CHECK_EQ_INT(fd, -ENOENT);
				}
			}
			userbpf_object__for_each_map(m, obj)
			    CHECK(userbpf_kobject__map_fd(k, userbpf_object_map__name(m)) >= 0);
			CHECK_EQ_INT(userbpf_kobject__map_fd(k, "no_such_map"), -ENOENT);
			CHECK_EQ_INT(userbpf_kobject__prog_fd(k, "no_such_prog"), -ENOENT);
			CHECK(userbpf_kobject__verifier_log(k, "no_such_prog") == NULL);
		}
		userbpf_kobject__close(k);
		userbpf_object__close(obj);
	}
}

/* Global data: initial contents, .rodata frozen (user space may not write it). */
TEST(global_data_contents_and_rodata_frozen)
{
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	struct userbpf_object *obj = open_obj("kern_maps");
	struct userbpf_kobject *k = obj ? kload(obj) : NULL;
	uint32_t zero = 0;
	uint64_t v = 0, w = 1;
	CHECK(k);
	if (k) {
		CHECK_EQ_INT(userbpf_kobject__map_value_size(k, ".rodata"), 8);
		CHECK_EQ_INT(userbpf_kobject__map_lookup(k, ".rodata", &zero, &v), 0);
		CHECK_EQ_U64(v, 5);
		CHECK_EQ_INT(userbpf_kobject__map_lookup(k, ".data", &zero, &v), 0);
		CHECK_EQ_U64(v, 11);
		CHECK_EQ_INT(userbpf_kobject__map_update(k, ".rodata", &zero, &w, BPF_ANY), -EPERM);
		CHECK_EQ_INT(userbpf_kobject__map_update(k, ".data", &zero, &w, BPF_ANY), 0);
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* The differential run: the socket filter and the XDP program, several inputs, all maps compared. */
TEST(diff_kern_maps)
{
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	struct both b;
	static const uint64_t xs[] = {1, 2, 3, 17, 2, 40, 1000, 7, 65535, 3};
	uint32_t ret, zero = 0;
	int maps, entries, runs = 0;

	if (both_open(&b, "kern_maps")) {
		CHECK(0);
		return;
	}
	/* LPM prefixes the program looks its input up in. */
	{
		struct {
			uint32_t prefixlen, addr;
		} lk[3] = {{8, 0x00000001}, {16, 0x00000201}, {0, 0}};
		uint32_t lv[3] = {8, 16, 0};
		for (int i = 0; i < 3; i++)
			CHECK_EQ_INT(both_update(&b, "lpm", &lk[i], &lv[i]), 0);
	}
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		uint32_t k1 = 1, k2 = 2;
		uint64_t y = 0x0201 + (i << 16) * (i & 1), sel = i;
		CHECK_EQ_INT(both_update(&b, "input", &zero, &xs[i]), 0);
		CHECK_EQ_INT(both_update(&b, "input", &k1, &y), 0);
		CHECK_EQ_INT(both_update(&b, "input", &k2, &sel), 0);
		CHECK_EQ_INT(both_run(&b, "kmaps_main", &ret), 0);
		runs++;
		if (i % 3 == 2) {
			CHECK_EQ_INT(both_run(&b, "kmaps_xdp", &ret), 0);
			runs++;
		}
	}
	maps = compare_all(&b, &entries);
	CHECK(maps >= 9);
	fprintf(stderr, "kern_maps: %d runs with equal return values; %d maps, %d entries equal\n", runs,
		maps, entries);
	both_close(&b);
}

/* Map-in-map, stack, bloom filter, per-CPU and LRU per-CPU hashes, a growing hash, a spin lock. */
TEST(diff_kern_more)
{
	NEED_KERNEL();
	NEED_OBJ("kern_more");
	struct both b;
	static const uint64_t xs[] = {4, 9, 4, 6, 1, 3, 12, 9, 7, 5, 2, 8, 15, 6};
	uint32_t ret, zero = 0;
	int maps, entries, runs = 0;

	if (both_open(&b, "kern_more")) {
		CHECK(0);
		return;
	}
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		CHECK_EQ_INT(both_update(&b, "in", &zero, &xs[i]), 0);
		CHECK_EQ_INT(both_run(&b, "more_main", &ret), 0);
		CHECK_EQ_INT(both_run(&b, "more_xdp", &ret), 0);
		runs += 2;
	}
	maps = compare_all(&b, &entries);
	CHECK(maps >= 8);
	fprintf(stderr, "kern_more: %d runs with equal return values; %d maps, %d entries equal\n", runs,
		maps, entries);
	both_close(&b);
}

TEST(diff_run_object)
{
	NEED_KERNEL();
	NEED_OBJ("run");
	struct both b;
	uint32_t ret;
	int entries, maps;
	if (both_open(&b, "run")) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(both_run(&b, "run_main", &ret), 0);
		CHECK_EQ_INT(both_run(&b, "data_only", &ret), 0);
	}
	maps = compare_all(&b, &entries);
	CHECK(maps >= 5);
	both_close(&b);
}

/* func and line info reached the kernel with the program. */
TEST(func_and_line_info_loaded)
{
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	struct userbpf_object *obj = open_obj("kern_maps");
	struct userbpf_kobject *k = obj ? kload(obj) : NULL;
	CHECK(k);
	if (k) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		CHECK_EQ_INT(bpf_obj_get_info_by_fd(userbpf_kobject__prog_fd(k, "kmaps_main"), &info, &len),
			     0);
		CHECK(info.nr_func_info >= 3); /* kmaps_main, global_step, mix */
		CHECK(info.nr_line_info > 10);
		CHECK(info.btf_id != 0);
		CHECK_STR(info.name, "kmaps_main");
		CHECK(userbpf_kobject__btf_fd(k) >= 0);
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* no_btf: maps without type ids, programs without func/line info; still the same results. */
TEST(no_btf_option)
{
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	struct userbpf_object *obj = open_obj("kern_maps");
	struct userbpf_kobject_opts o = USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf,
							  .log_size = sizeof(logbuf), .no_btf = true);
	struct userbpf_kobject *k = obj ? userbpf_kobject__load(obj, &o) : NULL;
	CHECK(k);
	if (k) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		CHECK_EQ_INT(userbpf_kobject__btf_fd(k), -ENOENT);
		CHECK_EQ_INT(bpf_obj_get_info_by_fd(userbpf_kobject__prog_fd(k, "kmaps_main"), &info, &len),
			     0);
		CHECK_EQ_INT(info.nr_func_info, 0);
		CHECK_EQ_INT(info.nr_line_info, 0);
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* A level-2 verifier log grows past a small starting room and is kept whole. */
TEST(verifier_log_kept_and_grown)
{
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	struct userbpf_object *obj = open_obj("kern_maps");
	struct userbpf_kobject_opts o =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf),
			      .verifier_log_level = 2, .verifier_log_size = 256);
	struct userbpf_kobject *k = obj ? userbpf_kobject__load(obj, &o) : NULL;
	CHECK(k);
	if (k) {
		const char *l = userbpf_kobject__verifier_log(k, "kmaps_main");
		CHECK(l && strlen(l) > 256);
		CHECK_CONTAINS(l, "processed ");
		CHECK_STR(userbpf_kobject__verifier_log(k, "global_step"), ""); /* not loaded on its own */
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* Many program types and legacy section names, with their expected attach types and flags
 * (syscall sleepable, xdp.frags, cgroup hooks...); the one of an unknown section is refused by name. */
TEST(many_program_types)
{
	NEED_KERNEL();
	NEED_OBJ("maps_legacy_ext");
	struct userbpf_object *obj = open_obj("maps_legacy_ext");
	struct userbpf_kobject_opts o =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_kobject *k;
	struct userbpf_program *p;
	int loaded = 0;
	if (!obj) {
		CHECK(obj);
		return;
	}
	/* fentry needs kernel support (ftrace direct calls) some kernels lack: off here. */
	userbpf_program__set_autoload(userbpf_object__find_program_by_name(obj, "p_fentry"), false);
	k = userbpf_kobject__load(obj, &o);
	CHECK(!k);
	CHECK_CONTAINS(logbuf, "program 'p_unknown' (section 'custom_unknown'): no program type");
	userbpf_program__set_autoload(userbpf_object__find_program_by_name(obj, "p_unknown"), false);
	k = kload(obj);
	CHECK(k);
	userbpf_object__for_each_program(p, obj) loaded +=
	    userbpf_kobject__prog_fd(k, userbpf_program__name(p)) >= 0;
	CHECK(loaded >= 25);
	if (k) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		CHECK_EQ_INT(bpf_obj_get_info_by_fd(userbpf_kobject__prog_fd(k, "p_connect4"), &info, &len),
			     0);
		CHECK_EQ_INT(info.type, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* Initial `values` slots: map-in-map holds the inner map, prog_array the program. */
TEST(initial_slots_filled)
{
	NEED_KERNEL();
	NEED_OBJ("maps_btf");
	struct userbpf_object *obj = open_obj("maps_btf");
	struct userbpf_kobject *k = obj ? kload(obj) : NULL;
	CHECK(k);
	if (k) {
		uint32_t key = 1, id = 0, key0 = 0;
		struct bpf_map_info mi;
		struct bpf_prog_info pi;
		uint32_t len = sizeof(mi);
		int fd;
		CHECK_EQ_INT(userbpf_kobject__map_lookup(k, "outer", &key, &id), 0);
		fd = bpf_map_get_fd_by_id(id);
		CHECK(fd >= 0);
		memset(&mi, 0, sizeof(mi));
		if (fd >= 0) {
			CHECK_EQ_INT(bpf_obj_get_info_by_fd(fd, &mi, &len), 0);
			CHECK_STR(mi.name, "inner_a");
			close(fd);
		}
		CHECK_EQ_INT(userbpf_kobject__map_lookup(k, "outer", &key0, &id), -ENOENT);
		CHECK_EQ_INT(userbpf_kobject__map_lookup(k, "jmp", &key0, &id), 0);
		len = sizeof(pi);
		memset(&pi, 0, sizeof(pi));
		CHECK_EQ_INT(bpf_obj_get_info_by_fd(userbpf_kobject__prog_fd(k, "tail"), &pi, &len), 0);
		CHECK_EQ_INT(id, pi.id);
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* A program the kernel refuses: one line naming it, the errno and the verifier's reason. */
TEST(refusal_is_one_clear_line)
{
	NEED_KERNEL();
	NEED_OBJ("kern_bad");
	struct userbpf_object *obj = open_obj("kern_bad");
	int before = count_fds();
	struct userbpf_kobject_opts o =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_kobject *k = obj ? userbpf_kobject__load(obj, &o) : NULL;
	CHECK(obj && !k);
	CHECK_EQ_INT(errno, EACCES);
	CHECK_CONTAINS(logbuf, "kern_bad.o: program 'null_deref'");
	CHECK_CONTAINS(logbuf, "errno 13");
	CHECK_CONTAINS(logbuf, "invalid mem access");
	CHECK(!strchr(logbuf, '\n'));
	CHECK_EQ_INT(count_fds(), before);
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* fentry & co. take their attach target from the kernel's BTF: a missing one is named. */
TEST(missing_attach_target_is_named)
{
	NEED_KERNEL();
	NEED_OBJ("kern_attach");
	struct userbpf_object *obj = open_obj("kern_attach");
	struct userbpf_kobject_opts o =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_kobject *k;
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP("no /sys/kernel/btf/vmlinux");
	k = obj ? userbpf_kobject__load(obj, &o) : NULL;
	CHECK(obj && !k);
	CHECK_EQ_INT(errno, ESRCH);
	CHECK_CONTAINS(logbuf, "program 'no_target' (section 'fentry/userbpf_no_such_function'): attach "
			       "target 'userbpf_no_such_function' is not in the kernel's BTF");
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

TEST(test_run_errors_and_data_out)
{
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	struct userbpf_object *obj = open_obj("kern_maps");
	struct userbpf_kobject *k = obj ? kload(obj) : NULL;
	uint8_t in[64], out[64];
	char err[200] = "";
	CHECK(k);
	if (k) {
		struct userbpf_ktest_run_opts t = USERBPF_OPTS_INIT(
		    userbpf_ktest_run_opts, .data_in = in, .data_size_in = sizeof(in), .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 10, .err_buf = err, .err_size = sizeof(err));
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)i;
		CHECK_EQ_INT(userbpf_kobject__test_run(k, "kmaps_xdp", &t), 0);
		CHECK_EQ_INT(t.retval, 1); /* XDP_DROP: input[2] is 0 */
		CHECK_EQ_INT(t.data_size_out, sizeof(in));
		CHECK(!memcmp(in, out, sizeof(in)));
		CHECK_EQ_INT(userbpf_kobject__test_run(k, "global_step", &t), -ENOENT);
		CHECK_CONTAINS(err, "no loaded program 'global_step'");
		t.data_size_in = 2; /* shorter than an Ethernet header */
		CHECK(userbpf_kobject__test_run(k, "kmaps_main", &t) < 0);
		CHECK_CONTAINS(err, "program 'kmaps_main': BPF_PROG_TEST_RUN refused");
	}
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
}

/* Nothing left behind: as many fds after close as before, nothing pinned. */
TEST(no_fd_leak_no_pins)
{
	static const char *const names[] = {"kern_maps", "maps_btf", "maps_legacy", "globals", "run"};
	NEED_KERNEL();
	NEED_OBJ("kern_maps");
	int fds = count_fds(), pins = count_pins();
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct userbpf_object *obj = open_obj(names[i]);
			struct userbpf_kobject *k = obj ? kload(obj) : NULL;
			CHECK(k);
			userbpf_kobject__close(k);
			userbpf_object__close(obj);
		}
	/* A failed load leaves nothing either. */
	{
		struct userbpf_object *obj = open_obj("kern_bad");
		struct userbpf_kobject *k = obj ? userbpf_kobject__load(obj, NULL) : NULL;
		CHECK(!k);
		userbpf_object__close(obj);
	}
	CHECK_EQ_INT(count_fds(), fds);
	CHECK_EQ_INT(count_pins(), pins);
}

TEST(bad_arguments)
{
	struct userbpf_kobject_opts o = {.sz = 1};
	char big[sizeof(struct userbpf_kobject_opts) + 8] = {0};
	errno = 0;
	CHECK(!userbpf_kobject__load(NULL, NULL));
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(!userbpf_kobject__load(NULL, &o));
	((struct userbpf_kobject_opts *)big)->sz = sizeof(big);
	big[sizeof(big) - 1] = 1;
	CHECK(!userbpf_kobject__load(NULL, (struct userbpf_kobject_opts *)big));
	userbpf_kobject__close(NULL);
	CHECK_EQ_INT(userbpf_kobject__map_fd(NULL, "x"), -ENOENT);
}
