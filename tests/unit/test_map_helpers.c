/*
 * test_map_helpers.c - the map helpers called from programs: registration and numbers, lookup/update/
 * delete on array and hash, push/pop on a queue, ringbuf reserve/submit/output/query, perf output,
 * lookup_percpu_elem and spin_lock, with the map pointer in an lddw as the loader emits it.
 */
#include "test.h"

#include "insn.h"
#include "maps/map.h"

static struct userbpf_helpers *helpers(void)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK(h && userbpf_helpers__add_maps(h) == 0);
	return h;
}

static uint64_t run(const struct userbpf_insn *p, size_t n, struct userbpf_helpers *h)
{
	char log[512] = "";
	struct userbpf_prog_opts o =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log, .log_size = sizeof(log),
			      .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *prog = userbpf_prog__load(p, n, &o);
	if (!prog) {
		fprintf(stderr, "load failed: %s\n", log);
		test_failed_now = 1;
		return 0xdead;
	}
	struct userbpf_run_opts r = USERBPF_OPTS_INIT(userbpf_run_opts, .exec = USERBPF_EXEC_FAST);
	int err = userbpf_prog__run(prog, &r);
	CHECK_EQ_INT(err, 0);
	userbpf_prog__free(prog);
	return r.retval;
}

#define MAPPTR(m) I_LDDW(1, (uint64_t)(uintptr_t)(m))
#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))

TEST(registered_with_kernel_numbers)
{
	struct userbpf_helpers *h = helpers();
	CHECK_STR(userbpf_helpers__name(h, 1), "map_lookup_elem");
	CHECK_STR(userbpf_helpers__name(h, 2), "map_update_elem");
	CHECK_STR(userbpf_helpers__name(h, 3), "map_delete_elem");
	CHECK_STR(userbpf_helpers__name(h, 25), "perf_event_output");
	CHECK_STR(userbpf_helpers__name(h, 87), "map_push_elem");
	CHECK_STR(userbpf_helpers__name(h, 88), "map_pop_elem");
	CHECK_STR(userbpf_helpers__name(h, 89), "map_peek_elem");
	CHECK_STR(userbpf_helpers__name(h, 130), "ringbuf_output");
	CHECK_STR(userbpf_helpers__name(h, 131), "ringbuf_reserve");
	CHECK_STR(userbpf_helpers__name(h, 132), "ringbuf_submit");
	CHECK_STR(userbpf_helpers__name(h, 133), "ringbuf_discard");
	CHECK_STR(userbpf_helpers__name(h, 134), "ringbuf_query");
	CHECK_STR(userbpf_helpers__name(h, 195), "map_lookup_percpu_elem");
	CHECK_EQ_INT(userbpf_helpers__add_maps(h), -EEXIST);
	CHECK_EQ_INT(userbpf_helpers__add_maps(NULL), -EINVAL);
	userbpf_helpers__free(h);
}

TEST(hash_from_program)
{
	struct userbpf_helpers *h = helpers();
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	CHECK(m);
	/* key 7 = 1000 (NOEXIST), then lookup, add 1 in place, return the value */
	const struct userbpf_insn p[] = {
	    I_ST(BPF_W, 10, -4, 7),
	    I_ST(BPF_DW, 10, -16, 1000),
	    MAPPTR(m),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4),
	    I_MOV64_REG(3, 10),
	    I_ALU64_IMM(BPF_ADD, 3, -16),
	    I_MOV64_IMM(4, USERBPF_NOEXIST),
	    I_CALL(2),
	    I_JMP_IMM(BPF_JNE, 0, 0, 10),
	    MAPPTR(m),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4),
	    I_CALL(1),
	    I_JMP_IMM(BPF_JEQ, 0, 0, 4),
	    I_LDX(BPF_DW, 1, 0, 0),
	    I_ALU64_IMM(BPF_ADD, 1, 1),
	    I_STX(BPF_DW, 0, 1, 0),
	    I_MOV64_REG(0, 1),
	    I_EXIT(),
	};
	CHECK_EQ_U64(run(p, NELEM(p), h), 1001);
	uint32_t k = 7;
	uint64_t v;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), 0);
	CHECK_EQ_U64(v, 1001);
	/* second run: NOEXIST fails with -EEXIST, returned as r0 */
	CHECK_EQ_U64(run(p, NELEM(p), h), (uint64_t)-EEXIST);
	/* delete from a program */
	const struct userbpf_insn d[] = {
	    I_ST(BPF_W, 10, -4, 7),	 MAPPTR(m), I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4), I_CALL(3), I_EXIT(),
	};
	CHECK_EQ_U64(run(d, NELEM(d), h), 0);
	CHECK_EQ_U64(run(d, NELEM(d), h), (uint64_t)-ENOENT);
	userbpf_map__free(m);
	userbpf_helpers__free(h);
}

TEST(queue_from_program)
{
	struct userbpf_helpers *h = helpers();
	struct userbpf_map *q = userbpf_map_create(USERBPF_MAP_TYPE_QUEUE, "q", 0, 4, 2, NULL);
	uint32_t v = 11;
	CHECK(q && userbpf_map_update_elem(q, NULL, &v, 0) == 0);
	/* push 22, pop (11), peek (22): return pop*100 + peek */
	const struct userbpf_insn p[] = {
	    I_ST(BPF_W, 10, -4, 22),
	    MAPPTR(q),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4),
	    I_MOV64_IMM(3, 0),
	    I_CALL(87),
	    MAPPTR(q),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -8),
	    I_CALL(88),
	    MAPPTR(q),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -12),
	    I_CALL(89),
	    I_LDX(BPF_W, 0, 10, -8),
	    I_ALU64_IMM(BPF_MUL, 0, 100),
	    I_LDX(BPF_W, 1, 10, -12),
	    I_ALU64_REG(BPF_ADD, 0, 1),
	    I_EXIT(),
	};
	CHECK_EQ_U64(run(p, NELEM(p), h), 1122);
	userbpf_map__free(q);
	userbpf_helpers__free(h);
}

static int got_rb(void *cookie, const void *data, size_t size)
{
	uint64_t *sum = cookie;
	for (size_t i = 0; i < size; i++)
		*sum += ((const unsigned char *)data)[i];
	*sum += 1000 * size;
	return 0;
}

TEST(ringbuf_from_program)
{
	struct userbpf_helpers *h = helpers();
	struct userbpf_map *rb = userbpf_map_create(USERBPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
	CHECK(rb);
	/* reserve 8, store 5 in it, submit; output 4 bytes from the stack; return query(AVAIL_DATA) */
	const struct userbpf_insn p[] = {
	    MAPPTR(rb),
	    I_MOV64_IMM(2, 8),
	    I_MOV64_IMM(3, 0),
	    I_CALL(131),
	    I_JMP_IMM(BPF_JEQ, 0, 0, 16),
	    I_ST(BPF_DW, 0, 0, 5),
	    I_MOV64_REG(1, 0),
	    I_MOV64_IMM(2, 0),
	    I_CALL(132),
	    I_ST(BPF_W, 10, -4, 0x01010101),
	    MAPPTR(rb),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4),
	    I_MOV64_IMM(3, 4),
	    I_MOV64_IMM(4, 0),
	    I_CALL(130),
	    MAPPTR(rb),
	    I_MOV64_IMM(2, 0),
	    I_CALL(134),
	    I_EXIT(),
	};
	CHECK_EQ_U64(run(p, NELEM(p), h), 16 + 16);
	uint64_t sum = 0;
	CHECK_EQ_INT(userbpf_ringbuf_consume(rb, got_rb, &sum), 2);
	CHECK_EQ_U64(sum, 8005 + 4004);
	userbpf_map__free(rb);
	userbpf_helpers__free(h);
}

static int got_perf(void *cookie, int cpu, const void *data, size_t size)
{
	*(int *)cookie = cpu * 100 + (int)size;
	return 0;
}

TEST(perf_and_percpu_from_program)
{
	struct userbpf_helpers *h = helpers();
	struct userbpf_map *pe = userbpf_map_create(USERBPF_MAP_TYPE_PERF_EVENT_ARRAY, "pe", 4, 4, 4, NULL);
	struct userbpf_map *pa = userbpf_map_create(USERBPF_MAP_TYPE_PERCPU_ARRAY, "pa", 4, 4, 1, NULL);
	CHECK(pe && pa);
	unsigned int n = userbpf_nr_cpus();
	uint64_t all[64] = {0};
	for (unsigned int c = 0; c < n; c++)
		all[c] = 10 + c;
	uint32_t k = 0;
	CHECK_EQ_INT(userbpf_map_update_elem(pa, &k, all, 0), 0);
	/* perf_event_output(ctx, map, index 1, stack, 6); return *lookup_percpu_elem(pa, 0, n - 1) */
	const struct userbpf_insn p[] = {
	    I_ST(BPF_DW, 10, -8, 0),
	    I_MOV64_IMM(1, 0),
	    I_LDDW(2, (uint64_t)(uintptr_t)pe),
	    I_MOV64_IMM(3, 1),
	    I_MOV64_REG(4, 10),
	    I_ALU64_IMM(BPF_ADD, 4, -8),
	    I_MOV64_IMM(5, 6),
	    I_CALL(25),
	    I_JMP_IMM(BPF_JNE, 0, 0, 7),
	    MAPPTR(pa),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4),
	    I_MOV64_IMM(3, (int32_t)(n - 1)),
	    I_CALL(195),
	    I_LDX(BPF_W, 0, 0, 0),
	    I_EXIT(),
	};
	CHECK_EQ_U64(run(p, NELEM(p), h), 10 + n - 1);
	int seen = 0;
	CHECK_EQ_INT(userbpf_perf_consume(pe, got_perf, &seen), 1);
	CHECK_EQ_INT(seen, 106);
	userbpf_map__free(pe);
	userbpf_map__free(pa);
	userbpf_helpers__free(h);
}

TEST(regions_let_the_checked_engine_use_values)
{
	struct userbpf_helpers *h = helpers();
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	struct userbpf_map *q = userbpf_map_create(USERBPF_MAP_TYPE_QUEUE, "q", 0, 8, 4, NULL);
	uint32_t k = 7;
	uint64_t v = 41;
	CHECK(m && q && userbpf_map_update_elem(m, &k, &v, 0) == 0);
	struct userbpf_region reg[8];
	int n = userbpf_map__regions(m, reg, 8);
	CHECK_EQ_INT(n, 1);
	CHECK(reg[0].writable && reg[0].size >= 4 * 8);
	CHECK_EQ_INT(userbpf_map__regions(q, reg + 1, 7), 0);
	CHECK_EQ_INT(userbpf_map__regions(m, NULL, 0), 1);
	/* *lookup(m, 7) += 1; return it */
	const struct userbpf_insn p[] = {
	    I_ST(BPF_W, 10, -4, 7),
	    MAPPTR(m),
	    I_MOV64_REG(2, 10),
	    I_ALU64_IMM(BPF_ADD, 2, -4),
	    I_CALL(1),
	    I_JMP_IMM(BPF_JEQ, 0, 0, 4),
	    I_LDX(BPF_DW, 1, 0, 0),
	    I_ALU64_IMM(BPF_ADD, 1, 1),
	    I_STX(BPF_DW, 0, 1, 0),
	    I_MOV64_REG(0, 1),
	    I_EXIT(),
	};
	char log[256] = "", err[256] = "";
	struct userbpf_prog_opts o =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log, .log_size = sizeof(log),
			      .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *prog = userbpf_prog__load(p, NELEM(p), &o);
	CHECK(prog);
	struct userbpf_run_opts r =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .exec = USERBPF_EXEC_CHECKED, .regions = reg,
			      .nr_regions = (size_t)n, .err_buf = err, .err_size = sizeof(err));
	CHECK_EQ_INT(userbpf_prog__run(prog, &r), 0);
	CHECK_EQ_U64(r.retval, 42);
	/* without the regions the checked engine refuses the access */
	r.nr_regions = 0;
	CHECK_EQ_INT(userbpf_prog__run(prog, &r), -EFAULT);
	userbpf_prog__free(prog);
	userbpf_map__free(m);
	userbpf_map__free(q);
	userbpf_helpers__free(h);
}
