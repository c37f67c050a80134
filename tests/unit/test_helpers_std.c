/*
 * test_helpers_std.c - the kernel-numbered helpers of userbpf_helpers__add_kernel() and add_std,
 * each called from a program through both engines (fast with USERBPF_PROG_F_TRUSTED, and checked):
 * probe_read* on good and bad addresses, pid/uid/comm against getpid()/getuid()/prctl(), strncmp,
 * trace_printk lines and format errors, snprintf, csum_diff and l3/l4_csum_replace against
 * checksums computed here independently, get_smp_processor_id, and the kernel names table.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "insn.h"
#include "test.h"
#include "userbpf/maps.h"
#include "userbpf/userbpf.h"

static struct userbpf_helpers *kh(void)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	if (!h || userbpf_helpers__add_std(h) || userbpf_helpers__add_kernel(h)) {
		CHECK(!"helpers");
		userbpf_helpers__free(h);
		return NULL;
	}
	return h;
}

/* Trace lines collected by the sink. */
struct trace {
	char lines[8][256];
	int n;
};

static void trace_sink(void *cookie, const char *line, size_t len)
{
	struct trace *t = cookie;
	if (t->n < 8)
		snprintf(t->lines[t->n++], 256, "%.*s", (int)len, line);
}

static const enum userbpf_exec engines[] = {USERBPF_EXEC_FAST, USERBPF_EXEC_CHECKED};

/*
 * Call helper `id` with r1..r5 = args[0..4] from a program (the args are the ctx, read by the
 * program), on engine `exec`. Returns r0; *err gets the run's error.
 */
static uint64_t call_helper(uint32_t id, const uint64_t args[5], enum userbpf_exec exec, void *pkt,
			    size_t pkt_size, struct trace *t)
{
	struct userbpf_insn p[] = {
	    I_MOV64_REG(6, 1),	     I_LDX(BPF_DW, 1, 6, 0),  I_LDX(BPF_DW, 2, 6, 8), I_LDX(BPF_DW, 3, 6, 16),
	    I_LDX(BPF_DW, 4, 6, 24), I_LDX(BPF_DW, 5, 6, 32), I_CALL((int32_t)id),    I_EXIT(),
	};
	struct userbpf_helpers *h = kh();
	char log[256];
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log, .log_size = sizeof(log),
			      .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *prog = userbpf_prog__load(p, sizeof(p) / sizeof(p[0]), &po);
	uint64_t ctx[5];
	memcpy(ctx, args, sizeof(ctx));
	if (!prog) {
		fprintf(stderr, "load: %s", log);
		CHECK(prog);
		userbpf_helpers__free(h);
		return 0xdeadbeef;
	}
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = ctx, .ctx_size = sizeof(ctx),
						       .packet = pkt, .packet_size = pkt_size, .exec = exec,
						       .trace_fn = t ? trace_sink : NULL, .trace_cookie = t);
	int err = userbpf_prog__run(prog, &ro);
	CHECK_EQ_INT(err, 0);
	userbpf_prog__free(prog);
	userbpf_helpers__free(h);
	return ro.retval;
}

#define A5(a, b, c, d, e)                                                                                    \
	(const uint64_t[5])                                                                                  \
	{                                                                                                    \
		(uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), (uint64_t)(e)                    \
	}
#define U(p) ((uint64_t)(uintptr_t)(p))

TEST(kernel_names)
{
	CHECK_STR(userbpf_helper_kernel_name(1), "bpf_map_lookup_elem");
	CHECK_STR(userbpf_helper_kernel_name(6), "bpf_trace_printk");
	CHECK_STR(userbpf_helper_kernel_name(12), "bpf_tail_call");
	CHECK_STR(userbpf_helper_kernel_name(165), "bpf_snprintf");
	CHECK_STR(userbpf_helper_kernel_name(181), "bpf_loop");
	CHECK_STR(userbpf_helper_kernel_name(182), "bpf_strncmp");
	CHECK_STR(userbpf_helper_kernel_name(209), "bpf_user_ringbuf_drain");
	CHECK(userbpf_helper_kernel_name(0) == NULL);
	CHECK(userbpf_helper_kernel_name(100000) == NULL);
	for (uint32_t i = 1; i < 210; i++)
		CHECK(userbpf_helper_kernel_name(i) != NULL);
	/* the load-time refusal names the helper */
	struct userbpf_helpers *h = userbpf_helpers__new();
	char log[256];
	struct userbpf_insn p[] = {I_MOV64_IMM(0, 0), I_CALL(12), I_EXIT()};
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h, .log_buf = log, .log_size = sizeof(log));
	CHECK(!userbpf_prog__load(p, 3, &po));
	CHECK_STR(log, "insn 1: call 12: helper 12 (bpf_tail_call) is not provided by this host\n");
	userbpf_helpers__free(h);
}

TEST(probe_read)
{
	char src[32] = "hello, probe", dst[32];
	long page = sysconf(_SC_PAGESIZE);
	/* a mapped page followed by an unmapped one */
	char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	munmap(m + page, (size_t)page);
	memcpy(m + page - 4, "abc", 4);
	memcpy(m + page - 3, "xyz", 3); /* "axyz" then the unmapped page: no NUL */
	for (int e = 0; e < 2; e++) {
		for (uint32_t id = 0; id < 3; id++) {
			uint32_t rd = id == 0 ? 4 : id == 1 ? 112 : 113;
			uint32_t rs = id == 0 ? 45 : id == 1 ? 114 : 115;
			memset(dst, 0x55, sizeof(dst));
			CHECK_EQ_INT(
			    (int64_t)call_helper(rd, A5(dst, 13, src, 0, 0), engines[e], NULL, 0, NULL), 0);
			CHECK(memcmp(dst, "hello, probe", 13) == 0);
			/* a bad address: -EFAULT and the destination zeroed */
			memset(dst, 0x55, sizeof(dst));
			CHECK_EQ_INT(
			    (int64_t)call_helper(rd, A5(dst, 16, 8, 0, 0), engines[e], NULL, 0, NULL),
			    -EFAULT);
			CHECK(dst[0] == 0 && dst[15] == 0 && (unsigned char)dst[16] == 0x55);
			memset(dst, 0x55, sizeof(dst));
			CHECK_EQ_INT((int64_t)call_helper(rd, A5(dst, 8, m + page - 4, 0, 0), engines[e],
							  NULL, 0, NULL),
				     -EFAULT); /* straddles into the unmapped page */
			CHECK(dst[0] == 0 && dst[7] == 0);
			/* strings: length with the NUL; truncation; faults */
			memset(dst, 0x55, sizeof(dst));
			CHECK_EQ_INT(
			    (int64_t)call_helper(rs, A5(dst, 32, src, 0, 0), engines[e], NULL, 0, NULL), 13);
			CHECK_STR(dst, "hello, probe");
			CHECK_EQ_INT(
			    (int64_t)call_helper(rs, A5(dst, 6, src, 0, 0), engines[e], NULL, 0, NULL), 6);
			CHECK_STR(dst, "hello");
			CHECK_EQ_INT(
			    (int64_t)call_helper(rs, A5(dst, 0, src, 0, 0), engines[e], NULL, 0, NULL), 0);
			memset(dst, 0x55, sizeof(dst));
			CHECK_EQ_INT(
			    (int64_t)call_helper(rs, A5(dst, 32, 16, 0, 0), engines[e], NULL, 0, NULL),
			    -EFAULT);
			CHECK(dst[0] == 0 && dst[31] == 0);
			/* ends at a page end with no NUL: a fault; short enough to stop before: fine */
			CHECK_EQ_INT((int64_t)call_helper(rs, A5(dst, 32, m + page - 4, 0, 0), engines[e],
							  NULL, 0, NULL),
				     -EFAULT);
			CHECK_EQ_INT((int64_t)call_helper(rs, A5(dst, 4, m + page - 4, 0, 0), engines[e],
							  NULL, 0, NULL),
				     4);
			CHECK_STR(dst, "axy");
		}
	}
	munmap(m, (size_t)page);
}

TEST(current_task)
{
	char comm[16] = {0}, want[17] = {0};
	prctl(PR_SET_NAME, "ubpf-test", 0, 0, 0);
	prctl(PR_GET_NAME, want, 0, 0, 0);
	for (int e = 0; e < 2; e++) {
		uint64_t pt = call_helper(14, A5(0, 0, 0, 0, 0), engines[e], NULL, 0, NULL);
		CHECK_EQ_U64(pt >> 32, (uint32_t)getpid());
		CHECK_EQ_U64((uint32_t)pt, (uint32_t)syscall(SYS_gettid));
		uint64_t ug = call_helper(15, A5(0, 0, 0, 0, 0), engines[e], NULL, 0, NULL);
		CHECK_EQ_U64(ug, (uint64_t)getgid() << 32 | getuid());
		memset(comm, 0x55, sizeof(comm));
		CHECK_EQ_INT((int64_t)call_helper(16, A5(comm, 16, 0, 0, 0), engines[e], NULL, 0, NULL), 0);
		CHECK_STR(comm, want);
		CHECK(comm[15] == 0 && comm[strlen(want) + 1] == 0); /* zero-padded */
		memset(comm, 0x55, sizeof(comm));
		CHECK_EQ_INT((int64_t)call_helper(16, A5(comm, 5, 0, 0, 0), engines[e], NULL, 0, NULL), 0);
		CHECK_STR(comm, "ubpf");
		CHECK((unsigned char)comm[5] == 0x55);
	}
}

TEST(strncmp)
{
	for (int e = 0; e < 2; e++) {
		CHECK_EQ_INT((int64_t)call_helper(182, A5("abc", 3, "abc", 0, 0), engines[e], NULL, 0, NULL),
			     0);
		CHECK_EQ_INT((int64_t)call_helper(182, A5("abd", 3, "abc", 0, 0), engines[e], NULL, 0, NULL),
			     1);
		CHECK_EQ_INT((int64_t)call_helper(182, A5("abc", 3, "abz", 0, 0), engines[e], NULL, 0, NULL),
			     -1);
		CHECK_EQ_INT(
		    (int64_t)call_helper(182, A5("abcX", 3, "abcY", 0, 0), engines[e], NULL, 0, NULL), 0);
		CHECK_EQ_INT((int64_t)call_helper(182, A5("ab", 8, "abc", 0, 0), engines[e], NULL, 0, NULL),
			     -1);
		CHECK_EQ_INT(
		    (int64_t)call_helper(182, A5("a\0x", 8, "a\0y", 0, 0), engines[e], NULL, 0, NULL), 0);
		CHECK_EQ_INT((int64_t)call_helper(182, A5("\xff", 1, "a", 0, 0), engines[e], NULL, 0, NULL),
			     1);
		CHECK_EQ_INT((int64_t)call_helper(182, A5("x", 0, "y", 0, 0), engines[e], NULL, 0, NULL), 0);
	}
}

TEST(trace_printk)
{
	for (int e = 0; e < 2; e++) {
		struct trace t = {0};
		static const char f1[] = "v=%d u=%u x=%x\n";
		CHECK_EQ_INT((int64_t)call_helper(6, A5(f1, sizeof(f1), -5, 0xffffffffffull, 255), engines[e],
						  NULL, 0, &t),
			     23);
		CHECK_EQ_INT(t.n, 1);
		CHECK_STR(t.lines[0], "v=-5 u=4294967295 x=ff");
		static const char f2[] = "%ld %lld %llu %lx %i";
		CHECK_EQ_INT(
		    (int64_t)call_helper(6, A5(f2, sizeof(f2), -5, 1ull << 40, -1), engines[e], NULL, 0, &t),
		    -EINVAL); /* 4 conversions, 3 arguments */
		static const char f3[] = "%ld %llu %lx";
		call_helper(6, A5(f3, sizeof(f3), -5, 1ull << 40, 0xabcdef123ull), engines[e], NULL, 0, &t);
		CHECK_STR(t.lines[1], "-5 1099511627776 abcdef123");
		static const char f5[] = "%s and %c and %p";
		call_helper(6, A5(f5, sizeof(f5), "str", 'Z', 0x1234), engines[e], NULL, 0, &t);
		CHECK_STR(t.lines[2], "str and Z and 0x0000000000001234");
		static const char f6[] = "bad %s"; /* a faulting %s prints nothing */
		call_helper(6, A5(f6, sizeof(f6), 8, 0, 0), engines[e], NULL, 0, &t);
		CHECK_STR(t.lines[3], "bad ");
		/* format errors: unknown conversion, %pI4, no NUL in fmt_size, non-printable byte */
		static const char b1[] = "%q", b2[] = "%pI4", b3[] = "abc", b4[] = "a\x01";
		CHECK_EQ_INT((int64_t)call_helper(6, A5(b1, sizeof(b1), 0, 0, 0), engines[e], NULL, 0, &t),
			     -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(6, A5(b2, sizeof(b2), 0, 0, 0), engines[e], NULL, 0, &t),
			     -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(6, A5(b3, 3, 0, 0, 0), engines[e], NULL, 0, &t), -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(6, A5(b4, sizeof(b4), 0, 0, 0), engines[e], NULL, 0, &t),
			     -EINVAL);
		CHECK_EQ_INT(t.n, 4);
	}
}

TEST(trace_printk_widths)
{
	struct trace t = {0};
	static const char f[] = "[%5d|%-4u|%03x]";
	call_helper(6, A5(f, sizeof(f), 42, 7, 10), USERBPF_EXEC_CHECKED, NULL, 0, &t);
	CHECK_STR(t.lines[0], "[   42|7   |00a]");
	static const char g[] = "[%X|%05d|%-3d]";
	call_helper(6, A5(g, sizeof(g), 0xabc, -42, 1), USERBPF_EXEC_CHECKED, NULL, 0, &t);
	CHECK_STR(t.lines[1], "[ABC|-0042|1  ]");
	static const char g3[] = "[%+d|% d|%-3c]";
	call_helper(6, A5(g3, sizeof(g3), 3, 4, 'q'), USERBPF_EXEC_CHECKED, NULL, 0, &t);
	CHECK_STR(t.lines[2], "[+3| 4|q  ]");
}

TEST(snprintf)
{
	for (int e = 0; e < 2; e++) {
		char out[64];
		uint64_t data[4] = {7, (uint64_t)-2, U("name"), 0xff};
		static const char f[] = "n=%d m=%lld s=%s x=%llx";
		CHECK_EQ_INT(
		    (int64_t)call_helper(165, A5(out, sizeof(out), f, data, 32), engines[e], NULL, 0, NULL),
		    21);
		CHECK_STR(out, "n=7 m=-2 s=name x=ff");
		/* truncation: the untruncated length + 1 comes back */
		CHECK_EQ_INT((int64_t)call_helper(165, A5(out, 5, f, data, 32), engines[e], NULL, 0, NULL),
			     21);
		CHECK_STR(out, "n=7 ");
		/* more conversions than data; data_len not a multiple of 8; too many args */
		CHECK_EQ_INT(
		    (int64_t)call_helper(165, A5(out, sizeof(out), f, data, 24), engines[e], NULL, 0, NULL),
		    -EINVAL);
		CHECK_EQ_INT(
		    (int64_t)call_helper(165, A5(out, sizeof(out), f, data, 30), engines[e], NULL, 0, NULL),
		    -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(165, A5(out, sizeof(out), f, data, 13 * 8), engines[e],
						  NULL, 0, NULL),
			     -EINVAL);
		static const char plain[] = "no args";
		CHECK_EQ_INT(
		    (int64_t)call_helper(165, A5(out, sizeof(out), plain, 0, 0), engines[e], NULL, 0, NULL),
		    8);
		CHECK_STR(out, "no args");
	}
}

/* Independent reference: the 16-bit one's-complement sum of big-endian 16-bit words. */
static uint32_t ref_sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

/* Fold a 32-bit partial checksum (host order, little-endian memory) to the 16-bit sum as the
 * bytes would read big-endian. */
static uint16_t fold_le(uint32_t c)
{
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (uint16_t)((c >> 8 | c << 8) & 0xffff);
}

TEST(csum_diff)
{
	uint8_t from[8] = {0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00};
	uint8_t to[12] = {0xc0, 0xa8, 0x01, 0x01, 0x0a, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
	for (int e = 0; e < 2; e++) {
		/* to only: the sum of `to` plus the seed */
		uint64_t r = call_helper(28, A5(0, 0, to, 12, 0), engines[e], NULL, 0, NULL);
		CHECK_EQ_U64(fold_le((uint32_t)r), ref_sum16(to, 12, 0));
		CHECK((r >> 32) == 0);
		/* exact 32-bit value: 64-bit accumulation with end-around carry, folded to 32 bits */
		uint32_t w[3];
		memcpy(w, to, 12);
		uint64_t s = (uint64_t)w[0] + ((uint64_t)w[1] << 32);
		s = s + w[2];
		uint64_t f = (s >> 32) + (s & 0xffffffff);
		f = (f >> 32) + (f & 0xffffffff);
		f = (f & 0xffff) + (f >> 16);
		f = (f & 0xffff) + (f >> 16);
		CHECK_EQ_U64(r, f); /* folded to 16 bits, not inverted */
		/* from and to: sum(to) - sum(from) in one's complement */
		r = call_helper(28, A5(from, 8, to, 12, 0x1234), engines[e], NULL, 0, NULL);
		uint32_t want = ref_sum16(to, 12, 0);
		want = want + (0xffff - ref_sum16(from, 8, 0)) + 0x3412; /* seed is little-endian 0x1234 */
		while (want >> 16)
			want = (want & 0xffff) + (want >> 16);
		CHECK_EQ_U64(fold_le((uint32_t)r) % 0xffff, want % 0xffff);
		/* seed only */
		CHECK_EQ_U64(call_helper(28, A5(0, 0, 0, 0, 0xabcd), engines[e], NULL, 0, NULL), 0xabcd);
		/* sizes not multiples of 4, or over 512 bytes together */
		CHECK_EQ_INT((int64_t)call_helper(28, A5(from, 6, to, 12, 0), engines[e], NULL, 0, NULL),
			     -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(28, A5(from, 8, to, 2, 0), engines[e], NULL, 0, NULL),
			     -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(28, A5(from, 256, to, 260, 0), engines[e], NULL, 0, NULL),
			     -EINVAL);
	}
}

/* An IPv4 header with a correct checksum at bytes 10..11. */
static void ip_header(uint8_t h[20])
{
	static const uint8_t base[20] = {0x45, 0x00, 0x00, 0x54, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x01,
					 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02};
	memcpy(h, base, 20);
	uint16_t c = (uint16_t)~ref_sum16(h, 20, 0);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

TEST(l3_l4_csum_replace)
{
	for (int e = 0; e < 2; e++) {
		uint8_t pkt[24] = {0}, want[20];
		/* change the destination address 192.168.1.2 -> 10.0.0.7 (4-byte form) */
		ip_header(pkt);
		memcpy(want, pkt, 20);
		uint32_t from, to;
		memcpy(&from, pkt + 16, 4);
		const uint8_t nd[4] = {10, 0, 0, 7};
		memcpy(&to, nd, 4);
		memcpy(pkt + 16, nd, 4);
		memcpy(want + 16, nd, 4);
		want[10] = want[11] = 0;
		uint16_t c = (uint16_t)~ref_sum16(want, 20, 0);
		CHECK_EQ_INT(
		    (int64_t)call_helper(10, A5(0, 10, from, to, 4), engines[e], pkt, sizeof(pkt), NULL), 0);
		CHECK_EQ_U64(pkt[10] << 8 | pkt[11], c);
		CHECK_EQ_U64(ref_sum16(pkt, 20, 0), 0xffff); /* the header verifies */
		/* the 2-byte form: TTL/proto word 0x4001 -> 0x3f01 */
		uint16_t f16, t16;
		memcpy(&f16, pkt + 8, 2);
		pkt[8] = 0x3f;
		memcpy(&t16, pkt + 8, 2);
		CHECK_EQ_INT(
		    (int64_t)call_helper(10, A5(0, 10, f16, t16, 2), engines[e], pkt, sizeof(pkt), NULL), 0);
		CHECK_EQ_U64(ref_sum16(pkt, 20, 0), 0xffff);
		/* the diff form (flags size 0) with a csum_diff-like value: from must be 0 */
		CHECK_EQ_INT((int64_t)call_helper(10, A5(0, 10, 1, 0, 0), engines[e], pkt, sizeof(pkt), NULL),
			     -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(10, A5(0, 10, 0, 0, 0), engines[e], pkt, sizeof(pkt), NULL),
			     0);
		CHECK_EQ_U64(ref_sum16(pkt, 20, 0), 0xffff);
		/* bad size, unknown flags, out of the packet */
		CHECK_EQ_INT((int64_t)call_helper(10, A5(0, 10, 0, 0, 3), engines[e], pkt, sizeof(pkt), NULL),
			     -EINVAL);
		CHECK_EQ_INT(
		    (int64_t)call_helper(10, A5(0, 10, 0, 0, 0x14), engines[e], pkt, sizeof(pkt), NULL),
		    -EINVAL);
		CHECK_EQ_INT((int64_t)call_helper(10, A5(0, 23, 0, 0, 4), engines[e], pkt, sizeof(pkt), NULL),
			     -EFAULT);
		CHECK_EQ_INT(
		    (int64_t)call_helper(10, A5(0, 0x10000, 0, 0, 4), engines[e], pkt, sizeof(pkt), NULL),
		    -EFAULT);

		/* l4: same arithmetic; BPF_F_MARK_MANGLED_0 (0x20) keeps a 0 field and writes 0xffff for 0 */
		uint8_t u[8] = {0, 0, 0, 0, 0x12, 0x34, 0, 0};
		CHECK_EQ_INT(
		    (int64_t)call_helper(11, A5(0, 6, 0, 5, 0x20 | 4), engines[e], u, sizeof(u), NULL), 0);
		CHECK(u[6] == 0 && u[7] == 0); /* a zero (unused) UDP checksum stays 0 */
		u[6] = 0xff, u[7] = 0xfa;      /* ~sum = 5 */
		uint32_t d;
		memcpy(&d, (uint8_t[4]){0, 0, 0xff, 0xfa}, 4);
		CHECK_EQ_INT(
		    (int64_t)call_helper(11, A5(0, 6, 0, d, 0x20 | 0x10 | 0), engines[e], u, sizeof(u), NULL),
		    0);
		CHECK_EQ_U64(u[6] << 8 | u[7], 0xffff); /* fold gives 0: marked mangled */
		CHECK_EQ_INT((int64_t)call_helper(11, A5(0, 6, 0, 0, 0x100), engines[e], u, sizeof(u), NULL),
			     -EINVAL);
	}
}

TEST(smp_processor_id)
{
	CHECK_EQ_INT(userbpf_set_this_cpu(0), 0);
	CHECK_EQ_U64(call_helper(8, A5(0, 0, 0, 0, 0), USERBPF_EXEC_FAST, NULL, 0, NULL), userbpf_this_cpu());
	CHECK_EQ_U64(call_helper(8, A5(0, 0, 0, 0, 0), USERBPF_EXEC_CHECKED, NULL, 0, NULL), 0);
}
