/*
 * diff_helpers.c - differential tests of deterministic helpers against the Linux kernel: csum_diff
 * (28), bpf_loop (181) and bpf_tail_call (12: a present slot, an empty one, indexes out of range),
 * in XDP programs run through the kernel's BPF_PROG_TEST_RUN (raw bpf() syscalls) and through
 * userbpf's checked and fast engines with userbpf_helpers__add_kernel(); r0 must agree. Where bpf()
 * is refused every case skips with one line.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test.h"
#include "userbpf/maps.h"
#include "userbpf/userbpf.h"

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct userbpf_insn), "insn layout");

#define INSN(CODE, DST, SRC, OFF, IMM)                                                                       \
	((struct bpf_insn){.code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM)})
#define MOV64K(D, IMM)	  INSN(BPF_ALU64 | BPF_MOV | BPF_K, D, 0, 0, IMM)
#define MOV64X(D, S)	  INSN(BPF_ALU64 | BPF_MOV | BPF_X, D, S, 0, 0)
#define ADD64K(D, IMM)	  INSN(BPF_ALU64 | BPF_ADD | BPF_K, D, 0, 0, IMM)
#define ADD64X(D, S)	  INSN(BPF_ALU64 | BPF_ADD | BPF_X, D, S, 0, 0)
#define MUL64K(D, IMM)	  INSN(BPF_ALU64 | BPF_MUL | BPF_K, D, 0, 0, IMM)
#define STW(D, OFF, IMM)  INSN(BPF_ST | BPF_MEM | BPF_W, D, 0, OFF, IMM)
#define STDW(D, OFF, IMM) INSN(BPF_ST | BPF_MEM | BPF_DW, D, 0, OFF, IMM)
#define LDXDW(D, S, OFF)  INSN(BPF_LDX | BPF_MEM | BPF_DW, D, S, OFF, 0)
#define STXDW(D, S, OFF)  INSN(BPF_STX | BPF_MEM | BPF_DW, D, S, OFF, 0)
#define JNEK(D, IMM, OFF) INSN(BPF_JMP | BPF_JNE | BPF_K, D, 0, OFF, IMM)
#define CALL(ID)	  INSN(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define EXIT()		  INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LDFUNC(D, REL)	  INSN(BPF_LD | BPF_IMM | BPF_DW, D, BPF_PSEUDO_FUNC, 0, REL), INSN(0, 0, 0, 0, 0)

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static char vlog[1 << 16];

/*
 * BTF for a program with one callback at insn `cb` (the kernel wants func info for callbacks):
 * int main(void) and int cb(int, int), both static. Returns the BTF fd (or -errno); fills fi[2].
 */
static int callback_btf(uint32_t cb, struct bpf_func_info fi[2])
{
	static const char strs[] = "\0int\0main\0cb\0a\0b";
	uint32_t types[] = {
	    /* 1: int */ 1,
	    BTF_KIND_INT << 24,
	    4,
	    (BTF_INT_SIGNED << 24) | 32,
	    /* 2: int (void) */ 0,
	    BTF_KIND_FUNC_PROTO << 24,
	    1,
	    /* 3: main */ 5,
	    BTF_KIND_FUNC << 24,
	    2,
	    /* 4: int (int, int) */ 0,
	    (BTF_KIND_FUNC_PROTO << 24) | 2,
	    1,
	    13,
	    1,
	    15,
	    1,
	    /* 5: cb */ 10,
	    BTF_KIND_FUNC << 24,
	    4,
	};
	static uint8_t blob[256];
	struct btf_header h = {.magic = BTF_MAGIC,
			       .version = BTF_VERSION,
			       .hdr_len = sizeof(h),
			       .type_off = 0,
			       .type_len = sizeof(types),
			       .str_off = sizeof(types),
			       .str_len = sizeof(strs)};
	memcpy(blob, &h, sizeof(h));
	memcpy(blob + sizeof(h), types, sizeof(types));
	memcpy(blob + sizeof(h) + sizeof(types), strs, sizeof(strs));
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = (uintptr_t)blob;
	a.btf_size = (uint32_t)(sizeof(h) + sizeof(types) + sizeof(strs));
	vlog[0] = 0;
	a.btf_log_buf = (uintptr_t)vlog;
	a.btf_log_size = sizeof(vlog);
	a.btf_log_level = 1;
	int fd = sys_bpf(BPF_BTF_LOAD, &a);
	if (fd < 0)
		fprintf(stderr, "%s", vlog);
	fi[0] = (struct bpf_func_info){.insn_off = 0, .type_id = 3};
	fi[1] = (struct bpf_func_info){.insn_off = cb, .type_id = 5};
	return fd < 0 ? -errno : fd;
}

/* Run `insns` as an XDP program in the kernel: 0 with *retval, or -errno. cb: a callback's insn or 0. */
static int kernel_run_cb(const struct bpf_insn *insns, size_t cnt, uint32_t cb, uint32_t *retval)
{
	union bpf_attr a;
	struct bpf_func_info fi[2];
	int btf = -1;
	if (cb) {
		btf = callback_btf(cb, fi);
		if (btf < 0) {
			fprintf(stderr, "    kernel refused the BTF: %s\n", strerror(-btf));
			return btf;
		}
	}
	memset(&a, 0, sizeof(a));
	if (cb) {
		a.prog_btf_fd = (uint32_t)btf;
		a.func_info = (uintptr_t)fi;
		a.func_info_cnt = 2;
		a.func_info_rec_size = sizeof(fi[0]);
	}
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uintptr_t) "GPL";
	vlog[0] = 0;
	a.log_level = 1;
	a.log_buf = (uintptr_t)vlog;
	a.log_size = sizeof(vlog);
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (btf >= 0)
		close(btf);
	if (fd < 0) {
		int e = -errno;
		fprintf(stderr, "    kernel refused the program: %s\n%s", strerror(-e), vlog);
		return e;
	}
	static uint8_t pkt[64];
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = 1;
	int err = sys_bpf(BPF_PROG_TEST_RUN, &a) < 0 ? -errno : 0;
	*retval = a.test.retval;
	close(fd);
	return err;
}

static int kernel_run(const struct bpf_insn *insns, size_t cnt, uint32_t *retval)
{
	return kernel_run_cb(insns, cnt, 0, retval);
}

/* Why bpf() cannot be used here, or NULL. */
static const char *kernel_refused(void)
{
	static char why[128];
	struct bpf_insn p[] = {MOV64K(0, 0), EXIT()};
	uint32_t r;
	int err = kernel_run(p, 2, &r);
	if (!err)
		return NULL;
	snprintf(why, sizeof(why), "%s", strerror(-err));
	return why;
}

/* Both userbpf engines; returns r0 of the checked one after checking the fast one agrees. */
static uint64_t userbpf_run(const struct bpf_insn *insns, size_t cnt)
{
	static struct userbpf_helpers *h;
	if (!h) {
		h = userbpf_helpers__new();
		CHECK_EQ_INT(userbpf_helpers__add_std(h), 0);
		CHECK_EQ_INT(userbpf_helpers__add_kernel(h), 0);
	}
	char log[512] = "";
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log, .log_size = sizeof(log),
			      .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *p = userbpf_prog__load((const struct userbpf_insn *)insns, cnt, &po);
	if (!p) {
		fprintf(stderr, "    userbpf refused: %s", log);
		CHECK(p);
		return 0xdeadbeef;
	}
	uint64_t r[2] = {0};
	for (int e = 0; e < 2; e++) {
		struct userbpf_run_opts ro =
		    USERBPF_OPTS_INIT(userbpf_run_opts, .exec = e ? USERBPF_EXEC_CHECKED : USERBPF_EXEC_FAST);
		CHECK_EQ_INT(userbpf_prog__run(p, &ro), 0);
		r[e] = ro.retval;
	}
	CHECK_EQ_U64(r[0], r[1]);
	userbpf_prog__free(p);
	return r[1];
}

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		const char *why_ = kernel_refused();                                                         \
		if (why_) {                                                                                  \
			SKIP("bpf() refused: %s", why_);                                                     \
			return;                                                                              \
		}                                                                                            \
	} while (0)

/* Compare one program: kernel retval (32 bits) against userbpf's r0. */
static void compare(const struct bpf_insn *insns, size_t cnt, uint32_t cb, const char *what)
{
	uint32_t k = 0;
	int err = kernel_run_cb(insns, cnt, cb, &k);
	CHECK_EQ_INT(err, 0);
	uint64_t u = userbpf_run(insns, cnt);
	if (!err && (uint32_t)u != k) {
		fprintf(stderr, "    %s: kernel 0x%08x, userbpf 0x%08x\n", what, k, (uint32_t)u);
		test_failed_now = 1;
	}
}

TEST(kernel_csum_diff)
{
	NEED_KERNEL();
	static const int32_t words[][4] = {
	    {0x00540045, 0x00403412, 0x0101a8c0, 0x0700000a},
	    {-1, -1, 0, 0},
	    {0, 0, 0, 0},
	    {0x12345678, -0x789abcdf, 0x0badf00d, 0x7fffffff},
	    {-0x10000, 0xffff, 1, -2},
	};
	static const int32_t seeds[] = {0, 1, 0x1234, -1, 0x7fff0000};
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
			for (int form = 0; form < 3; form++) {
				/* form 0: from and to; 1: to only; 2: from only */
				struct bpf_insn p[] = {
				    STW(10, -16, words[w][0]),
				    STW(10, -12, words[w][1]),
				    STW(10, -8, words[w][2]),
				    STW(10, -4, words[w][3]),
				    MOV64X(1, 10),
				    ADD64K(1, -16),
				    MOV64K(2, form == 1 ? 0 : 8),
				    MOV64X(3, 10),
				    ADD64K(3, -8),
				    MOV64K(4, form == 2 ? 0 : 8),
				    MOV64K(5, seeds[s]),
				    CALL(BPF_FUNC_csum_diff),
				    EXIT(),
				};
				char what[64];
				snprintf(what, sizeof(what), "csum_diff words %zu seed %zu form %d", w, s,
					 form);
				compare(p, sizeof(p) / sizeof(p[0]), 0, what);
			}
		}
	}
}

TEST(kernel_loop)
{
	NEED_KERNEL();
	static const int32_t cases[][2] = {{10, 1000}, {10, 3}, {0, 0}, {1, 0}, {100, 57}, {5000, 6000}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* sum of indexes on the stack; returns sum * 1000 + bpf_loop's result (callback stops at
		 * STOP) */
		struct bpf_insn p[] = {
		    /* 0 */ STDW(10, -8, 0),
		    /* 1 */ MOV64K(1, cases[c][0]),
		    /* 2 */ LDFUNC(2, 10), /* -> 13 */
		    /* 4 */ MOV64X(3, 10),
		    /* 5 */ ADD64K(3, -8),
		    /* 6 */ MOV64K(4, 0),
		    /* 7 */ CALL(BPF_FUNC_loop),
		    /* 8 */ MOV64X(7, 0),
		    /* 9 */ LDXDW(0, 10, -8),
		    /* 10 */ MUL64K(0, 1000),
		    /* 11 */ ADD64X(0, 7),
		    /* 12 */ EXIT(),
		    /* 13 */ LDXDW(3, 2, 0),
		    /* 14 */ ADD64X(3, 1),
		    /* 15 */ STXDW(2, 3, 0),
		    /* 16 */ MOV64K(0, 0),
		    /* 17 */ JNEK(1, cases[c][1], 1),
		    /* 18 */ MOV64K(0, 1),
		    /* 19 */ EXIT(),
		};
		char what[64];
		snprintf(what, sizeof(what), "bpf_loop nr %d stop %d", cases[c][0], cases[c][1]);
		compare(p, sizeof(p) / sizeof(p[0]), 13, what);
	}
}

/* A prog_array in the kernel with `prog_fd` at index 1. */
static int kernel_prog_array(int prog_fd)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_PROG_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 4;
	int fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return -errno;
	uint32_t key = 1, val = (uint32_t)prog_fd;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&val;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

TEST(kernel_tail_call)
{
	NEED_KERNEL();
	/* B returns 42; A tail calls index `i` of the prog_array (B at 1) and returns 7 on fall-through */
	struct bpf_insn b[] = {MOV64K(0, 42), EXIT()};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uintptr_t)b;
	a.insn_cnt = 2;
	a.license = (uintptr_t) "GPL";
	int bfd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(bfd >= 0);
	int pa = bfd >= 0 ? kernel_prog_array(bfd) : -1;
	CHECK(pa >= 0);

	struct userbpf_helpers *h = userbpf_helpers__new();
	userbpf_helpers__add_kernel(h);
	struct userbpf_map *upa = userbpf_map_create(USERBPF_MAP_TYPE_PROG_ARRAY, "pa", 4, 4, 4, NULL);
	struct userbpf_prog_opts bo = USERBPF_OPTS_INIT(userbpf_prog_opts, .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *ub = userbpf_prog__load((const struct userbpf_insn *)b, 2, &bo);
	uint32_t key = 1, id = userbpf_prog__id(ub);
	CHECK_EQ_INT(userbpf_map_update_elem(upa, &key, &id, 0), 0);

	static const int32_t idx[] = {1, 0, 2, 3, 4, 100, -1};
	for (size_t i = 0; pa >= 0 && i < sizeof(idx) / sizeof(idx[0]); i++) {
		struct bpf_insn p[] = {
		    INSN(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_FD, 0, pa),
		    INSN(0, 0, 0, 0, 0),
		    MOV64K(3, idx[i]),
		    CALL(BPF_FUNC_tail_call),
		    MOV64K(0, 7),
		    EXIT(),
		};
		uint32_t k = 0;
		CHECK_EQ_INT(kernel_run(p, sizeof(p) / sizeof(p[0]), &k), 0);
		/* userbpf: the same program with the map by index (lddw src=5) */
		p[0].src_reg = BPF_PSEUDO_MAP_IDX;
		p[0].imm = 0;
		struct userbpf_prog_opts po =
		    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .flags = USERBPF_PROG_F_TRUSTED,
				      .maps = &upa, .nr_maps = 1);
		struct userbpf_prog *up = userbpf_prog__load((const struct userbpf_insn *)p, 6, &po);
		CHECK(up);
		for (int e = 0; up && e < 2; e++) {
			struct userbpf_run_opts ro = USERBPF_OPTS_INIT(
			    userbpf_run_opts, .exec = e ? USERBPF_EXEC_CHECKED : USERBPF_EXEC_FAST);
			CHECK_EQ_INT(userbpf_prog__run(up, &ro), 0);
			if ((uint32_t)ro.retval != k) {
				fprintf(stderr, "    tail call index %d: kernel %u, userbpf %u\n", idx[i], k,
					(uint32_t)ro.retval);
				test_failed_now = 1;
			}
		}
		userbpf_prog__free(up);
	}
	for (key = 0; key < 4; key++)
		userbpf_map_delete_elem(upa, &key);
	userbpf_map__free(upa);
	userbpf_prog__free(ub);
	userbpf_helpers__free(h);
	if (pa >= 0)
		close(pa);
	if (bfd >= 0)
		close(bfd);
}
