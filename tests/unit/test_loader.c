/*
 * test_loader.c - the object loader on objects clang builds (tests/objs/NAME.bpf.c): programs and their
 * types, subprogram linking, relocations into the instruction arrays, legacy/BTF/global data maps,
 * map-in-map and prog_array slots, -mcpu v1..v4, line info.
 * Malformed objects are in test_loader_bad.c.
 */
#include <errno.h>

#include "isa/isa.h"
#include "loader/loader.h"
#include "loader_util.h"
#include "test.h"

static char logbuf[512];

static struct userbpf_object *open_obj(const char *name)
{
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object *obj = userbpf_object__open_file(lu_obj_path(name), &o);
	if (!obj)
		fprintf(stderr, "open %s: %s\n", name, logbuf);
	return obj;
}

#define NEED_OBJ(name)                                                                                       \
	do {                                                                                                 \
		FILE *f_ = fopen(lu_obj_path(name), "rb");                                                   \
		if (!f_)                                                                                     \
			SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));            \
		fclose(f_);                                                                                  \
	} while (0)

/* Every local call and function address of `p` lands on the start of one of its functions. */
static int calls_ok(const struct userbpf_program *p)
{
	const struct userbpf_insn *in = userbpf_program__insns(p);
	size_t n = userbpf_program__insn_cnt(p);
	for (size_t i = 0; i < n; i++) {
		bool call = in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == BPF_PSEUDO_CALL;
		bool addr = in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && in[i].src_reg == BPF_PSEUDO_FUNC;
		bool found = false;
		int64_t t;
		if (!call && !addr)
			continue;
		t = (int64_t)i + in[i].imm + 1;
		for (size_t f = 0; f < userbpf_program__func_cnt(p); f++) {
			size_t off;
			userbpf_program__func(p, f, NULL, &off, NULL, NULL);
			found |= (int64_t)off == t;
		}
		if (!found) {
			fprintf(stderr, "%s: insn %zu: target %lld is no function start\n",
				userbpf_program__name(p), i, (long long)t);
			return 0;
		}
	}
	return 1;
}

static const char *func_name(const struct userbpf_program *p, size_t i)
{
	const char *n = NULL;
	userbpf_program__func(p, i, &n, NULL, NULL, NULL);
	return n;
}

TEST(globals_programs)
{
	NEED_OBJ("globals");
	struct userbpf_object *obj = open_obj("globals");
	struct userbpf_program *p;
	CHECK(obj);
	if (!obj)
		return;
	CHECK_STR(userbpf_object__name(obj), "globals.o");
	CHECK_STR(userbpf_object__license(obj), "Dual BSD/GPL");
	CHECK_EQ_INT(userbpf_object__program_cnt(obj), 5);

	p = userbpf_object__find_program_by_name(obj, "xdp_one");
	CHECK(p);
	CHECK_STR(userbpf_program__section_name(p), "xdp");
	CHECK_EQ_INT(userbpf_program__type(p), USERBPF_PROG_TYPE_XDP);
	CHECK_EQ_INT(userbpf_program__expected_attach_type(p), 37 /* BPF_XDP */);
	CHECK(userbpf_program__autoload(p));
	/* Body, then the callback, then shared() and the add3() it calls, each once. */
	CHECK_EQ_INT(userbpf_program__func_cnt(p), 4);
	CHECK_STR(func_name(p, 0), "xdp_one");
	CHECK_STR(func_name(p, 1), "loop_cb");
	CHECK_STR(func_name(p, 2), "shared");
	CHECK_STR(func_name(p, 3), "add3");
	CHECK(calls_ok(p));

	/* Two programs in one section. */
	p = userbpf_object__find_program_by_name(obj, "xdp_two");
	CHECK(p && userbpf_program__func_cnt(p) == 1);
	CHECK(p && !strcmp(userbpf_program__section_name(p), "xdp"));

	/* shared() (global) is appended to tc_main too, with its own copy of add3(). */
	p = userbpf_object__find_program_by_name(obj, "tc_main");
	CHECK(p);
	CHECK_EQ_INT(userbpf_program__type(p), USERBPF_PROG_TYPE_SCHED_CLS);
	CHECK_EQ_INT(userbpf_program__func_cnt(p), 3);
	CHECK_STR(func_name(p, 1), "shared");
	CHECK_STR(func_name(p, 2), "add3");
	CHECK(calls_ok(p));

	/* Global functions of .text are programs by name, not loaded by default. */
	p = userbpf_object__find_program_by_name(obj, "text_entry");
	CHECK(p);
	CHECK(p && !userbpf_program__autoload(p));
	CHECK(p && userbpf_program__type(p) == USERBPF_PROG_TYPE_UNSPEC);
	CHECK(p && userbpf_program__set_autoload(p, true) == 0 && userbpf_program__autoload(p));
	p = userbpf_object__find_program_by_name(obj, "shared");
	CHECK(p && userbpf_program__func_cnt(p) == 2);
	/* Static functions are not programs. */
	CHECK(!userbpf_object__find_program_by_name(obj, "add3") && errno == ENOENT);
	CHECK(!userbpf_object__find_program_by_name(obj, "loop_cb"));
	userbpf_object__close(obj);
}

/* The map index and offset of every lddw src=6 of `p` against map `m` */
static int count_value_refs(const struct userbpf_program *p, size_t m, int32_t off)
{
	const struct userbpf_insn *in = userbpf_program__insns(p);
	int n = 0;
	for (size_t i = 0; i + 1 < userbpf_program__insn_cnt(p); i++)
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && in[i].src_reg == BPF_PSEUDO_MAP_IDX_VALUE &&
		    (size_t)in[i].imm == m && in[i + 1].imm == off)
			n++;
	return n;
}

TEST(globals_data_maps)
{
	NEED_OBJ("globals");
	struct userbpf_object *obj = open_obj("globals");
	struct userbpf_object_map *m;
	struct userbpf_program *p;
	size_t sz = 99;
	const uint8_t *v;
	if (!obj) {
		CHECK(obj);
		return;
	}
	CHECK_EQ_INT(userbpf_object__map_cnt(obj), 5);
	m = userbpf_object__find_map_by_name(obj, ".rodata");
	CHECK(m);
	CHECK(userbpf_object_map__is_global_data(m));
	CHECK_EQ_INT(userbpf_object_map__type(m), USERBPF_MAP_TYPE_ARRAY);
	CHECK_EQ_INT(userbpf_object_map__key_size(m), 4);
	CHECK_EQ_INT(userbpf_object_map__value_size(m), 4);
	CHECK_EQ_INT(userbpf_object_map__max_entries(m), 1);
	CHECK(userbpf_object_map__map_flags(m) & USERBPF_F_RDONLY_PROG);
	v = userbpf_object_map__initial_value(m, &sz);
	CHECK(v && sz == 4 && v[0] == 7); /* limit = 7 */
	CHECK(userbpf_object_map__btf_value_type_id(m) != 0);

	m = userbpf_object__find_map_by_name(obj, ".data");
	CHECK(m && !(userbpf_object_map__map_flags(m) & USERBPF_F_RDONLY_PROG));
	v = m ? userbpf_object_map__initial_value(m, &sz) : NULL;
	CHECK(v && sz == 8 && v[0] == 3);

	m = userbpf_object__find_map_by_name(obj, ".data.table");
	v = m ? userbpf_object_map__initial_value(m, &sz) : NULL;
	CHECK(v && sz == 16 && v[0] == 10 && v[12] == 40);

	m = userbpf_object__find_map_by_name(obj, ".bss");
	CHECK(m && userbpf_object_map__initial_value(m, &sz) == NULL && sz == 4);

	m = userbpf_object__find_map_by_name(obj, ".rodata.str1.1");
	v = m ? userbpf_object_map__initial_value(m, &sz) : NULL;
	CHECK(v && sz == 18);
	p = userbpf_object__find_program_by_name(obj, "xdp_one");
	if (m && v && p) {
		/* the format string and "hello" (merged into the string section) are reached by offset */
		const char *hello = memmem(v, sz, "hello", 6);
		const char *fmt = memmem(v, sz, "ifindex %d\n", 12);
		CHECK(hello && fmt);
		if (hello && fmt) {
			CHECK_EQ_INT(
			    count_value_refs(p, userbpf_object_map__index(m), (int32_t)(hello - (char *)v)),
			    1);
			CHECK_EQ_INT(
			    count_value_refs(p, userbpf_object_map__index(m), (int32_t)(fmt - (char *)v)), 1);
		}
		/* limit (in add3) and hits (in shared) are reached through their maps at offset 0 */
		CHECK_EQ_INT(
		    count_value_refs(
			p, userbpf_object_map__index(userbpf_object__find_map_by_name(obj, ".rodata")), 0),
		    1);
		CHECK_EQ_INT(
		    count_value_refs(
			p, userbpf_object_map__index(userbpf_object__find_map_by_name(obj, ".bss")), 0),
		    1);
	}
	CHECK(!userbpf_object__find_map_by_name(obj, "nope") && errno == ENOENT);
	CHECK(!userbpf_object__map_by_index(obj, 5) && errno == ENOENT);
	CHECK(userbpf_object_map__map(userbpf_object__map_by_index(obj, 0)) == NULL);
	userbpf_object__close(obj);
}

TEST(cpu_versions)
{
	static const char *const names[] = {"globals.v1", "globals.v2", "globals.v3", "globals"};
	for (int v = 0; v < 4; v++) {
		NEED_OBJ(names[v]);
		struct userbpf_object *obj = open_obj(names[v]);
		struct userbpf_program *p;
		CHECK(obj);
		if (!obj)
			continue;
		CHECK_EQ_INT(userbpf_object__program_cnt(obj), 5);
		CHECK_EQ_INT(userbpf_object__map_cnt(obj), 5);
		userbpf_object__for_each_program(p, obj)
		{
			CHECK(calls_ok(p));
			CHECK(userbpf_program__insn_cnt(p) > 0);
			/* every instruction has a source line */
			for (size_t i = 0; i < userbpf_program__insn_cnt(p); i++) {
				unsigned line = 0;
				if (userbpf_program__line_info(p, i, NULL, &line, NULL, NULL) || !line) {
					fprintf(stderr, "%s %s: insn %zu has no line\n", names[v],
						userbpf_program__name(p), i);
					CHECK(0);
					break;
				}
			}
		}
		p = userbpf_object__find_program_by_name(obj, "xdp_one");
		CHECK(p && userbpf_program__func_cnt(p) == 4);
		userbpf_object__close(obj);
	}
}

/* Line number of the first line of `path` containing `needle`, 0 if none. */
static unsigned line_of(const char *path, const char *needle)
{
	char buf[512];
	unsigned n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		n++;
		if (strstr(buf, needle)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	return 0;
}

TEST(line_info_exact)
{
	NEED_OBJ("globals");
	struct userbpf_object *obj = open_obj("globals");
	struct userbpf_program *p = obj ? userbpf_object__find_program_by_name(obj, "tc_main") : NULL;
	unsigned want = line_of("tests/objs/globals.bpf.c", "LINE-MARK");
	const struct userbpf_insn *in;
	size_t call = (size_t)-1;
	CHECK(p);
	if (!p) {
		userbpf_object__close(obj);
		return;
	}
	CHECK(want > 0);
	in = userbpf_program__insns(p);
	for (size_t i = 0; i < userbpf_program__insn_cnt(p); i++)
		if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == 0 &&
		    in[i].imm == 5 /* ktime_get_ns */)
			call = i;
	CHECK(call != (size_t)-1);
	if (call != (size_t)-1) {
		const char *file = NULL, *src = NULL;
		unsigned line = 0, col = 0;
		CHECK_EQ_INT(userbpf_program__line_info(p, call, &file, &line, &col, &src), 0);
		CHECK(file && strlen(file) >= 13 && !strcmp(file + strlen(file) - 13, "globals.bpf.c"));
		CHECK_EQ_INT(line, want);
		CHECK_EQ_INT(col, 12); /* bpf_ktime_get_ns() starts at column 12 (the tab counts 1) */
		CHECK_CONTAINS(src, "__u64 t = bpf_ktime_get_ns();");
	}
	/* Appended subprogram instructions keep their own lines: the last one of tc_main is add3's return. */
	{
		unsigned line = 0;
		const char *src = NULL;
		CHECK_EQ_INT(
		    userbpf_program__line_info(p, userbpf_program__insn_cnt(p) - 1, NULL, &line, NULL, &src),
		    0);
		CHECK_EQ_INT(line, line_of("tests/objs/globals.bpf.c", "return a + b + c + limit;"));
	}
	CHECK_EQ_INT(userbpf_program__line_info(p, userbpf_program__insn_cnt(p), NULL, NULL, NULL, NULL),
		     -EINVAL);
	/* Function BTF ids come from .BTF.ext func info. */
	{
		uint32_t id = 0;
		CHECK_EQ_INT(userbpf_program__func(p, 0, NULL, NULL, NULL, &id), 0);
		CHECK(id != 0);
		CHECK_EQ_INT(userbpf_program__func(p, 99, NULL, NULL, NULL, &id), -ENOENT);
	}
	CHECK(userbpf_object__btf(obj) != NULL);
	userbpf_object__close(obj);
}

static struct userbpf_object_map *map_named(struct userbpf_object *obj, const char *name)
{
	struct userbpf_object_map *m = userbpf_object__find_map_by_name(obj, name);
	if (!m)
		fprintf(stderr, "no map %s\n", name);
	return m;
}

#define CHECK_MAP(obj, name, type, ks, vs, max, flags)                                                       \
	do {                                                                                                 \
		struct userbpf_object_map *m_ = map_named(obj, name);                                        \
		CHECK(m_);                                                                                   \
		if (m_) {                                                                                    \
			CHECK_EQ_INT(userbpf_object_map__type(m_), type);                                    \
			CHECK_EQ_INT(userbpf_object_map__key_size(m_), ks);                                  \
			CHECK_EQ_INT(userbpf_object_map__value_size(m_), vs);                                \
			CHECK_EQ_INT(userbpf_object_map__max_entries(m_), max);                              \
			CHECK_EQ_INT(userbpf_object_map__map_flags(m_), flags);                              \
		}                                                                                            \
	} while (0)

TEST(btf_maps)
{
	NEED_OBJ("maps_btf");
	struct userbpf_object *obj = open_obj("maps_btf");
	struct userbpf_object_map *m;
	const struct userbpf_object_map *in;
	if (!obj) {
		CHECK(obj);
		return;
	}
	CHECK_EQ_INT(userbpf_object__map_cnt(obj), 14);
	CHECK_MAP(obj, "locked_map", USERBPF_MAP_TYPE_HASH, 4, 16, 4, 0);
	CHECK_EQ_INT(userbpf_object_map__spin_lock_off(map_named(obj, "locked_map")), 8);
	CHECK_EQ_INT(userbpf_object_map__spin_lock_off(map_named(obj, "hash_map")), -1);
	CHECK_MAP(obj, "hash_map", USERBPF_MAP_TYPE_HASH, 4, 16, 128, 0);
	CHECK_MAP(obj, "sized_array", USERBPF_MAP_TYPE_ARRAY, 4, 24, 8, 0);
	CHECK_MAP(obj, "pcpu", USERBPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
	CHECK_MAP(obj, "lru", USERBPF_MAP_TYPE_LRU_HASH, 8, 4, 32, 0);
	CHECK_MAP(obj, "lpm", USERBPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, USERBPF_F_NO_PREALLOC);
	CHECK_MAP(obj, "rb", USERBPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	CHECK_MAP(obj, "queue", USERBPF_MAP_TYPE_QUEUE, 0, 4, 10, 0);
	CHECK_MAP(obj, "bloom", USERBPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 64, 0);
	CHECK_MAP(obj, "outer", USERBPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0);
	CHECK_MAP(obj, "outer_hash", USERBPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, 0);
	CHECK_MAP(obj, "jmp", USERBPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);

	m = map_named(obj, "hash_map");
	CHECK(m && userbpf_object_map__pinning(m) == USERBPF_PIN_BY_NAME);
	CHECK(m && userbpf_object_map__btf_key_type_id(m) && userbpf_object_map__btf_value_type_id(m));
	CHECK(m && !strcmp(userbpf_object_map__section_name(m), ".maps"));
	CHECK(m && !userbpf_object_map__is_global_data(m) && !userbpf_object_map__initial_value(m, NULL));
	m = map_named(obj, "sized_array");
	CHECK(m && userbpf_object_map__pinning(m) == USERBPF_PIN_NONE &&
	      !userbpf_object_map__btf_key_type_id(m));
	m = map_named(obj, "bloom");
	CHECK(m && userbpf_object_map__map_extra(m) == 3);

	/* Inner map definitions and initial slots. */
	m = map_named(obj, "outer");
	in = m ? userbpf_object_map__inner_map(m) : NULL;
	CHECK(in);
	if (in) {
		CHECK_STR(userbpf_object_map__name(in), "outer.inner");
		CHECK_EQ_INT(userbpf_object_map__type(in), USERBPF_MAP_TYPE_ARRAY);
		CHECK_EQ_INT(userbpf_object_map__max_entries(in), 2);
		CHECK_EQ_INT(userbpf_object_map__value_size(in), 4);
	}
	if (m) {
		CHECK_EQ_INT(m->nr_slots, 2);
		if (m->nr_slots == 2) {
			CHECK_EQ_INT(m->slots[0].key, 1);
			CHECK_STR(obj->maps[m->slots[0].target]->name, "inner_a");
			CHECK_EQ_INT(m->slots[1].key, 3);
			CHECK_STR(obj->maps[m->slots[1].target]->name, "inner_b");
		}
	}
	m = map_named(obj, "outer_hash");
	in = m ? userbpf_object_map__inner_map(m) : NULL;
	CHECK(in && userbpf_object_map__type(in) == USERBPF_MAP_TYPE_HASH &&
	      userbpf_object_map__value_size(in) == 8);
	CHECK(m && m->nr_slots == 0);
	m = map_named(obj, "jmp");
	CHECK(m && m->nr_slots == 1);
	if (m && m->nr_slots == 1)
		CHECK_STR(obj->progs[m->slots[0].target].name, "tail");

	/* Map references are lddw src=5 with the map's index. */
	{
		struct userbpf_program *p = userbpf_object__find_program_by_name(obj, "use_maps");
		const struct userbpf_insn *ins = p ? userbpf_program__insns(p) : NULL;
		static const char *const used[] = {"hash_map", "outer", "pcpu", "queue", "rb", "jmp"};
		unsigned seen = 0;
		CHECK(p);
		for (size_t i = 0; p && i < userbpf_program__insn_cnt(p); i++) {
			if (ins[i].code != (BPF_LD | BPF_IMM | BPF_DW) ||
			    ins[i].src_reg != BPF_PSEUDO_MAP_IDX)
				continue;
			CHECK(ins[i + 1].imm == 0);
			for (unsigned u = 0; u < 6; u++)
				if ((size_t)ins[i].imm == userbpf_object_map__index(map_named(obj, used[u])))
					seen |= 1u << u;
		}
		CHECK_EQ_INT(seen, 0x3f);
	}
	userbpf_object__close(obj);
}

TEST(legacy_maps)
{
	NEED_OBJ("maps_legacy");
	struct userbpf_object *obj = open_obj("maps_legacy");
	struct userbpf_program *p;
	if (!obj) {
		CHECK(obj);
		return;
	}
	CHECK_EQ_INT(userbpf_object__kversion(obj), 0x050a00);
	CHECK_EQ_INT(userbpf_object__map_cnt(obj), 2);
	CHECK_MAP(obj, "counters", USERBPF_MAP_TYPE_ARRAY, 4, 8, 256, 0);
	CHECK_MAP(obj, "flows", USERBPF_MAP_TYPE_HASH, 8, 16, 1024, USERBPF_F_NO_PREALLOC);
	CHECK_STR(userbpf_object_map__section_name(map_named(obj, "flows")), "maps");
	/* BPF_ANNOTATE_KV_PAIR gives the legacy map its BTF types */
	CHECK(userbpf_object_map__btf_key_type_id(map_named(obj, "counters")) != 0);
	CHECK(userbpf_object_map__btf_value_type_id(map_named(obj, "counters")) != 0);
	CHECK(userbpf_object_map__btf_key_type_id(map_named(obj, "flows")) == 0);
	/* Section names of libbpf 0.x: prefixes. */
	p = userbpf_object__find_program_by_name(obj, "count_proto");
	CHECK(p && userbpf_program__type(p) == USERBPF_PROG_TYPE_SOCKET_FILTER);
	p = userbpf_object__find_program_by_name(obj, "pass");
	CHECK(p && userbpf_program__type(p) == USERBPF_PROG_TYPE_XDP);
	p = userbpf_object__find_program_by_name(obj, "probe");
	CHECK(p && userbpf_program__type(p) == USERBPF_PROG_TYPE_KPROBE);
	p = userbpf_object__find_program_by_name(obj, "pass");
	if (p) {
		const struct userbpf_insn *in = userbpf_program__insns(p);
		int refs = 0;
		for (size_t i = 0; i < userbpf_program__insn_cnt(p); i++)
			refs += in[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
				in[i].src_reg == BPF_PSEUDO_MAP_IDX && in[i].imm == 1;
		CHECK_EQ_INT(refs, 1);
	}
	userbpf_object__close(obj);

	NEED_OBJ("maps_legacy_ext");
	obj = open_obj("maps_legacy_ext");
	CHECK(obj);
	if (!obj)
		return;
	CHECK_EQ_INT(userbpf_object__map_cnt(obj), 3);
	CHECK_MAP(obj, "a", USERBPF_MAP_TYPE_ARRAY, 4, 4, 2, 0);
	CHECK_MAP(obj, "b", USERBPF_MAP_TYPE_PERCPU_HASH, 4, 8, 64, 0);
	CHECK_MAP(obj, "c", USERBPF_MAP_TYPE_LRU_HASH, 16, 8, 100, 0);
	userbpf_object__close(obj);
}

TEST(section_types)
{
	static const struct {
		const char *prog;
		enum userbpf_prog_type type;
		uint32_t attach;
	} want[] = {
	    {"p_classifier", USERBPF_PROG_TYPE_SCHED_CLS, 0},
	    {"p_tc", USERBPF_PROG_TYPE_SCHED_CLS, 0},
	    {"p_socket", USERBPF_PROG_TYPE_SOCKET_FILTER, 0},
	    {"p_kprobe", USERBPF_PROG_TYPE_KPROBE, 0},
	    {"p_kretprobe", USERBPF_PROG_TYPE_KPROBE, 0},
	    {"p_tracepoint", USERBPF_PROG_TYPE_TRACEPOINT, 0},
	    {"p_tp", USERBPF_PROG_TYPE_TRACEPOINT, 0},
	    {"p_raw_tp", USERBPF_PROG_TYPE_RAW_TRACEPOINT, 0},
	    {"p_raw_tracepoint", USERBPF_PROG_TYPE_RAW_TRACEPOINT, 0},
	    {"p_uprobe", USERBPF_PROG_TYPE_KPROBE, 0},
	    {"p_uretprobe", USERBPF_PROG_TYPE_KPROBE, 0},
	    {"p_perf_event", USERBPF_PROG_TYPE_PERF_EVENT, 0},
	    {"p_cgroup_skb_ingress", USERBPF_PROG_TYPE_CGROUP_SKB, 0},
	    {"p_cgroup_skb_egress", USERBPF_PROG_TYPE_CGROUP_SKB, 1},
	    {"p_cgroup_sock", USERBPF_PROG_TYPE_CGROUP_SOCK, 2},
	    {"p_connect4", USERBPF_PROG_TYPE_CGROUP_SOCK_ADDR, 10},
	    {"p_sysctl", USERBPF_PROG_TYPE_CGROUP_SYSCTL, 18},
	    {"p_dev", USERBPF_PROG_TYPE_CGROUP_DEVICE, 6},
	    {"p_sk_skb_parser", USERBPF_PROG_TYPE_SK_SKB, 4},
	    {"p_sk_skb_verdict", USERBPF_PROG_TYPE_SK_SKB, 5},
	    {"p_sk_msg", USERBPF_PROG_TYPE_SK_MSG, 7},
	    {"p_sockops", USERBPF_PROG_TYPE_SOCK_OPS, 3},
	    {"p_lwt_in", USERBPF_PROG_TYPE_LWT_IN, 0},
	    {"p_lwt_xmit", USERBPF_PROG_TYPE_LWT_XMIT, 0},
	    {"p_flow_dissector", USERBPF_PROG_TYPE_FLOW_DISSECTOR, 17},
	    {"p_syscall", USERBPF_PROG_TYPE_SYSCALL, 0},
	    {"p_fentry", USERBPF_PROG_TYPE_TRACING, 24},
	    {"p_xdp_frags", USERBPF_PROG_TYPE_XDP, 37},
	    {"p_sk_lookup", USERBPF_PROG_TYPE_SK_LOOKUP, 36},
	    {"p_unknown", USERBPF_PROG_TYPE_UNSPEC, 0},
	    {"p_optional", USERBPF_PROG_TYPE_SCHED_CLS, 0},
	};
	NEED_OBJ("maps_legacy_ext");
	struct userbpf_object *obj = open_obj("maps_legacy_ext");
	if (!obj) {
		CHECK(obj);
		return;
	}
	CHECK_EQ_INT(userbpf_object__program_cnt(obj), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct userbpf_program *p = userbpf_object__find_program_by_name(obj, want[i].prog);
		CHECK(p);
		if (!p)
			continue;
		if (userbpf_program__type(p) != want[i].type ||
		    userbpf_program__expected_attach_type(p) != want[i].attach) {
			fprintf(stderr, "%s (%s): type %d attach %u\n", want[i].prog,
				userbpf_program__section_name(p), userbpf_program__type(p),
				userbpf_program__expected_attach_type(p));
			CHECK(0);
		}
	}
	/* SEC("?tc"): typed, but not loaded unless asked for */
	CHECK(!userbpf_program__autoload(userbpf_object__find_program_by_name(obj, "p_optional")));
	CHECK(userbpf_program__autoload(userbpf_object__find_program_by_name(obj, "p_tc")));
	userbpf_object__close(obj);
}

TEST(section_table)
{
	static const struct {
		const char *sec;
		enum userbpf_prog_type type;
		uint32_t attach;
		bool known;
	} rows[] = {
	    {"xdp", USERBPF_PROG_TYPE_XDP, 37, true},
	    {"xdp/devmap", USERBPF_PROG_TYPE_XDP, 33, true},
	    {"xdp.frags/cpumap", USERBPF_PROG_TYPE_XDP, 35, true},
	    {"xdp_prog", USERBPF_PROG_TYPE_XDP, 37, true}, /* libbpf 0.x prefix */
	    {"tp_btf/sched_switch", USERBPF_PROG_TYPE_TRACING, 23, true},
	    {"tp/x/y", USERBPF_PROG_TYPE_TRACEPOINT, 0, true},
	    {"raw_tp.w/x", USERBPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, true},
	    {"fexit/f", USERBPF_PROG_TYPE_TRACING, 25, true},
	    {"fmod_ret.s/f", USERBPF_PROG_TYPE_TRACING, 26, true},
	    {"lsm.s/file_open", USERBPF_PROG_TYPE_LSM, 27, true},
	    {"iter/task", USERBPF_PROG_TYPE_TRACING, 28, true},
	    {"freplace/f", USERBPF_PROG_TYPE_EXT, 0, true},
	    {"cgroup/getsockopt", USERBPF_PROG_TYPE_CGROUP_SOCKOPT, 21, true},
	    {"cgroup/recvmsg6", USERBPF_PROG_TYPE_CGROUP_SOCK_ADDR, 20, true},
	    {"cgroup/sock_release", USERBPF_PROG_TYPE_CGROUP_SOCK, 34, true},
	    {"cgroup/skb", USERBPF_PROG_TYPE_CGROUP_SKB, 0, true},
	    {"sk_reuseport/migrate", USERBPF_PROG_TYPE_SK_REUSEPORT, 40, true},
	    {"tcx/egress", USERBPF_PROG_TYPE_SCHED_CLS, 47, true},
	    {"action", USERBPF_PROG_TYPE_SCHED_ACT, 0, true},
	    {"lwt_seg6local", USERBPF_PROG_TYPE_LWT_SEG6LOCAL, 0, true},
	    {"usdt/bin:p:n", USERBPF_PROG_TYPE_KPROBE, 0, true},
	    {"kprobe.multi/do_*", USERBPF_PROG_TYPE_KPROBE, 42, true},
	    {"netfilter", USERBPF_PROG_TYPE_NETFILTER, 45, true},
	    {"struct_ops/init", USERBPF_PROG_TYPE_STRUCT_OPS, 0, true},
	    {"foo", USERBPF_PROG_TYPE_UNSPEC, 0, false},
	    {".text", USERBPF_PROG_TYPE_UNSPEC, 0, false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum userbpf_prog_type t;
		uint32_t a;
		bool k = loader_sec_def(rows[i].sec, &t, &a);
		if (k != rows[i].known || t != rows[i].type || a != rows[i].attach) {
			fprintf(stderr, "%s: known %d type %d attach %u\n", rows[i].sec, k, t, a);
			CHECK(0);
		}
	}
	CHECK_STR(userbpf_prog_type_name(USERBPF_PROG_TYPE_SCHED_CLS), "sched_cls");
	CHECK_STR(userbpf_prog_type_name(USERBPF_PROG_TYPE_NETFILTER), "netfilter");
	CHECK(userbpf_prog_type_name((enum userbpf_prog_type)1000) == NULL);
}

TEST(open_mem_same_as_file)
{
	NEED_OBJ("maps_btf");
	size_t size = 0;
	unsigned char *img = lu_read(lu_obj_path("maps_btf"), &size);
	struct userbpf_object *a = open_obj("maps_btf"), *b;
	b = userbpf_object__open_mem(img, size, NULL);
	free(img); /* the object keeps its own copy */
	CHECK(a && b);
	if (a && b) {
		struct userbpf_program *pa, *pb;
		CHECK_STR(userbpf_object__name(b), "mem");
		CHECK_EQ_INT(userbpf_object__program_cnt(a), userbpf_object__program_cnt(b));
		CHECK_EQ_INT(userbpf_object__map_cnt(a), userbpf_object__map_cnt(b));
		for (pa = userbpf_object__next_program(a, NULL), pb = userbpf_object__next_program(b, NULL);
		     pa && pb;
		     pa = userbpf_object__next_program(a, pa), pb = userbpf_object__next_program(b, pb)) {
			CHECK_EQ_INT(userbpf_program__insn_cnt(pa), userbpf_program__insn_cnt(pb));
			CHECK(!memcmp(userbpf_program__insns(pa), userbpf_program__insns(pb),
				      userbpf_program__insn_cnt(pa) * sizeof(struct userbpf_insn)));
		}
	}
	userbpf_object__close(a);
	userbpf_object__close(b);
}

TEST(open_errors)
{
	char log[256] = "x";
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = log, .log_size = sizeof(log));
	struct {
		struct userbpf_object_open_opts o;
		char extra[8];
	} big = {.o = USERBPF_OPTS_INIT(userbpf_object_open_opts), .extra = {1}};

	CHECK(!userbpf_object__open_file("/nonexistent/x.o", &o) && errno == ENOENT);
	CHECK_CONTAINS(log, "/nonexistent/x.o: cannot open");
	CHECK(!userbpf_object__open_file("/", &o) && errno == EINVAL);
	big.o.sz = sizeof(big);
	CHECK(!userbpf_object__open_mem("x", 1, &big.o) && errno == EINVAL);
	CHECK(!userbpf_object__open_mem(NULL, 0, &o) && errno == EINVAL);
	CHECK_CONTAINS(log, "mem: file of 0 bytes is too short");
	userbpf_object__close(NULL);
}
