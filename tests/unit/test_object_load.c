/*
 * test_object_load.c - userbpf_object__load end to end: maps created with their initial contents and
 * map-in-map slots, programs loaded with the object's maps and run on both engines (global data
 * through lddw src=6, maps through src=5 and helpers), all-or-nothing failures with one line per
 * problem and its source position.
 */
#include <errno.h>

#include "loader/loader.h"
#include "loader_util.h"
#include "maps/map.h"
#include "test.h"

static char logbuf[2048];

#define NEED_OBJ(name)                                                                                       \
	do {                                                                                                 \
		FILE *f_ = fopen(lu_obj_path(name), "rb");                                                   \
		if (!f_)                                                                                     \
			SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));            \
		fclose(f_);                                                                                  \
	} while (0)

static uint64_t h_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 const struct userbpf_call *c)
{
	return (uintptr_t)map_lookup((struct userbpf_map *)(uintptr_t)r1, (const void *)(uintptr_t)r2);
}

static uint64_t h_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 const struct userbpf_call *c)
{
	return (uint64_t)map_update((struct userbpf_map *)(uintptr_t)r1, (const void *)(uintptr_t)r2,
				    (const void *)(uintptr_t)r3, r4);
}

static uint64_t h_const10(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  const struct userbpf_call *c)
{
	return 10;
}

static struct userbpf_helpers *test_helpers(void)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	userbpf_helpers__add(h, 1, "map_lookup_elem", h_lookup, NULL);
	userbpf_helpers__add(h, 2, "map_update_elem", h_update, NULL);
	/* ids the test objects call, as stubs */
	userbpf_helpers__add(h, 5, "ktime_get_ns", h_const10, NULL);
	userbpf_helpers__add(h, 6, "trace_printk", h_const10, NULL);
	userbpf_helpers__add(h, 12, "tail_call", h_const10, NULL);
	userbpf_helpers__add(h, 87, "map_push_elem", h_const10, NULL);
	userbpf_helpers__add(h, 130, "ringbuf_output", h_const10, NULL);
	return h;
}

static struct userbpf_object *open_obj(const char *name)
{
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object *obj = userbpf_object__open_file(lu_obj_path(name), &o);
	if (!obj)
		fprintf(stderr, "open %s: %s\n", name, logbuf);
	return obj;
}

static uint64_t lookup_u64(struct userbpf_object *obj, const char *map, uint32_t key, size_t size)
{
	struct userbpf_object_map *m = userbpf_object__find_map_by_name(obj, map);
	uint64_t v = 0;
	if (!m || !userbpf_object_map__map(m) || size > 8 ||
	    userbpf_map_lookup_elem(userbpf_object_map__map(m), &key, &v))
		return (uint64_t)-1;
	return size == 4 ? (uint32_t)v : v;
}

static int run(struct userbpf_object *obj, const char *prog, enum userbpf_exec exec, uint64_t *ret)
{
	struct userbpf_program *p = userbpf_object__find_program_by_name(obj, prog);
	char err[256] = "";
	struct userbpf_run_opts r =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .exec = exec, .err_buf = err, .err_size = sizeof(err));
	int e = p && userbpf_program__prog(p) ? userbpf_prog__run(userbpf_program__prog(p), &r) : -ENOENT;
	if (e)
		fprintf(stderr, "run %s: %d %s\n", prog, e, err);
	*ret = r.retval;
	return e;
}

TEST(run_global_data_and_maps)
{
	NEED_OBJ("run");
	struct userbpf_helpers *h = test_helpers();
	struct userbpf_object *obj = open_obj("run");
	struct userbpf_object_load_opts lo =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = h, .log_buf = logbuf,
			      .log_size = sizeof(logbuf), .prog_flags = USERBPF_PROG_F_TRUSTED);
	uint64_t ret = 0;
	if (!obj) {
		CHECK(obj);
		userbpf_helpers__free(h);
		return;
	}
	CHECK_EQ_INT(userbpf_object__load(obj, &lo), 0);
	if (logbuf[0])
		fprintf(stderr, "%s", logbuf);
	/* initial contents */
	CHECK_EQ_U64(lookup_u64(obj, ".data", 0, 8), 100);
	CHECK_EQ_U64(lookup_u64(obj, ".rodata", 0, 4), 3);
	CHECK_EQ_U64(lookup_u64(obj, ".bss", 0, 4), 0);

	/* fast engine (trusted): calls=1, total=100+2*3, arr[1]=106, h[7]=42 */
	CHECK_EQ_INT(run(obj, "run_main", USERBPF_EXEC_FAST, &ret), 0);
	CHECK_EQ_U64(ret, 107);
	CHECK_EQ_U64(lookup_u64(obj, ".bss", 0, 4), 1);
	CHECK_EQ_U64(lookup_u64(obj, ".data", 0, 8), 106);
	CHECK_EQ_U64(lookup_u64(obj, "arr", 1, 8), 106);
	CHECK_EQ_U64(lookup_u64(obj, "h", 7, 4), 42);

	/* checked engine: global data is a region of the program's (calls=11, total=109) */
	CHECK_EQ_INT(run(obj, "data_only", USERBPF_EXEC_CHECKED, &ret), 0);
	CHECK_EQ_U64(ret, 120);
	CHECK_EQ_U64(lookup_u64(obj, ".bss", 0, 4), 11);
	/* the host sees the program's writes and the program the host's */
	{
		uint32_t zero = 0;
		uint64_t t = 1000;
		CHECK_EQ_INT(userbpf_map_update_elem(
				 userbpf_object_map__map(userbpf_object__find_map_by_name(obj, ".data")),
				 &zero, &t, 0),
			     0);
	}
	CHECK_EQ_INT(run(obj, "data_only", USERBPF_EXEC_CHECKED, &ret), 0);
	CHECK_EQ_U64(ret, 1003 + 21);

	CHECK_EQ_INT(userbpf_object__load(obj, &lo), -EBUSY);
	CHECK_CONTAINS(logbuf, "run.o: already loaded");
	CHECK_EQ_INT(
	    userbpf_program__set_autoload(userbpf_object__find_program_by_name(obj, "run_main"), false),
	    -EBUSY);
	userbpf_object__close(obj);
	userbpf_helpers__free(h);
}

TEST(maps_created_with_slots)
{
	NEED_OBJ("maps_btf");
	struct userbpf_helpers *h = test_helpers();
	struct userbpf_object *obj = open_obj("maps_btf");
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = h,
							       .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object_map *m;
	if (!obj) {
		CHECK(obj);
		userbpf_helpers__free(h);
		return;
	}
	CHECK_EQ_INT(userbpf_object__load(obj, &lo), 0);
	if (logbuf[0])
		fprintf(stderr, "%s", logbuf);
	userbpf_object__for_each_map(m, obj)
	{
		struct userbpf_map *rm = userbpf_object_map__map(m);
		CHECK(rm);
		if (!rm)
			continue;
		CHECK_EQ_INT(userbpf_map__type(rm), userbpf_object_map__type(m));
		CHECK_EQ_INT(userbpf_map__max_entries(rm), userbpf_object_map__max_entries(m));
		CHECK_EQ_INT(userbpf_map__value_size(rm), userbpf_object_map__value_size(m));
	}
	{
		uint32_t a = userbpf_map__id(
		    userbpf_object_map__map(userbpf_object__find_map_by_name(obj, "inner_a")));
		uint32_t b = userbpf_map__id(
		    userbpf_object_map__map(userbpf_object__find_map_by_name(obj, "inner_b")));
		CHECK_EQ_U64(lookup_u64(obj, "outer", 1, 4), a);
		CHECK_EQ_U64(lookup_u64(obj, "outer", 3, 4), b);
		CHECK_EQ_U64(lookup_u64(obj, "outer", 0, 4), (uint64_t)-1); /* empty slot */
	}
	CHECK(userbpf_program__prog(userbpf_object__find_program_by_name(obj, "use_maps")));
	userbpf_object__close(obj);
	userbpf_helpers__free(h);
}

TEST(subprograms_run_checked)
{
	NEED_OBJ("globals");
	struct userbpf_helpers *h = test_helpers();
	struct userbpf_object *obj = open_obj("globals");
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = h,
							       .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_program *xdp_one;
	uint64_t ret = 0;
	if (!obj) {
		CHECK(obj);
		userbpf_helpers__free(h);
		return;
	}
	/* xdp_one calls bpf_loop, which these helpers (no add_kernel) lack: refused by name */
	xdp_one = userbpf_object__find_program_by_name(obj, "xdp_one");
	CHECK_EQ_INT(userbpf_object__load(obj, &lo), -EINVAL);
	CHECK_CONTAINS(logbuf, "globals.o: program 'xdp_one': insn 6: call 181: helper 181 (bpf_loop) is not "
			       "provided by this host");
	CHECK_CONTAINS(logbuf, "(globals.bpf.c:33:2)\n");
	/* all or nothing */
	CHECK(!userbpf_object_map__map(userbpf_object__map_by_index(obj, 0)));
	CHECK(!userbpf_program__prog(userbpf_object__find_program_by_name(obj, "tc_main")));

	CHECK_EQ_INT(userbpf_program__set_autoload(xdp_one, false), 0);
	CHECK_EQ_INT(
	    userbpf_program__set_autoload(userbpf_object__find_program_by_name(obj, "text_entry"), true), 0);
	CHECK_EQ_INT(userbpf_object__load(obj, &lo), 0);
	CHECK(!userbpf_program__prog(xdp_one));
	/* t = 10; shared(10) = add3(10, 1, 2) = 13 + limit; add3(1, 2, 3) = 6 + limit; limit = 7 */
	CHECK_EQ_INT(run(obj, "tc_main", USERBPF_EXEC_CHECKED, &ret), 0);
	CHECK_EQ_U64(ret, 33);
	CHECK_EQ_U64(lookup_u64(obj, ".bss", 0, 4), 1);
	CHECK_EQ_INT(run(obj, "tc_main", USERBPF_EXEC_CHECKED, &ret), 0);
	CHECK_EQ_U64(lookup_u64(obj, ".bss", 0, 4), 2);
	/* a global function of .text, loaded by name */
	{
		struct userbpf_program *p = userbpf_object__find_program_by_name(obj, "text_entry");
		struct userbpf_run_opts r = USERBPF_OPTS_INIT(userbpf_run_opts, .exec = USERBPF_EXEC_CHECKED);
		CHECK(p && userbpf_program__prog(p));
		if (p && userbpf_program__prog(p)) {
			/* r1 = ctx pointer (NULL here): returns 2 * (int)r1 */
			CHECK_EQ_INT(userbpf_prog__run(userbpf_program__prog(p), &r), 0);
			CHECK_EQ_U64(r.retval, 0);
		}
	}
	userbpf_object__close(obj);
	userbpf_helpers__free(h);
}

TEST(load_failures)
{
	NEED_OBJ("maps_legacy");
	struct userbpf_object *obj = open_obj("maps_legacy");
	struct userbpf_object_load_opts lo =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	if (!obj) {
		CHECK(obj);
		return;
	}
	/* no helpers: each refused program names the helper and the source line */
	CHECK_EQ_INT(userbpf_object__load(obj, &lo), -EINVAL);
	CHECK_CONTAINS(logbuf, "maps_legacy.o: program 'count_proto': insn ");
	CHECK_CONTAINS(logbuf, "helper 1 (bpf_map_lookup_elem) is not provided by this host (maps_legacy.bpf.c:");
	CHECK(!userbpf_object_map__map(userbpf_object__find_map_by_name(obj, "counters")));
	userbpf_object__close(obj);

	/* a map type userbpf does not provide (sockmap, 15) */
	{
		size_t size = 0;
		unsigned char *img = lu_read(lu_obj_path("maps_legacy"), &size);
		int maps = img ? lu_sec(img, "maps") : -1;
		CHECK(maps > 0);
		if (maps > 0) {
			uint32_t *def = (uint32_t *)(img + lu_shdr(img, maps)->sh_offset + 20);
			struct userbpf_object_open_opts oo =
			    USERBPF_OPTS_INIT(userbpf_object_open_opts, .object_name = "sockmap.o");
			def[0] = 15;
			obj = userbpf_object__open_mem(img, size, &oo);
			CHECK(obj);
			if (obj) {
				CHECK_EQ_INT(userbpf_object__load(obj, &lo), -EOPNOTSUPP);
				CHECK_CONTAINS(logbuf,
					       "sockmap.o: section 'maps' offset 0x14: map 'flows' (type 15");
				CHECK_CONTAINS(logbuf, "userbpf does not provide this map type");
				CHECK(!userbpf_object_map__map(
				    userbpf_object__find_map_by_name(obj, "counters")));
			}
			userbpf_object__close(obj);
		}
		free(img);
	}
	CHECK_EQ_INT(userbpf_object__load(NULL, NULL), -EINVAL);
}
