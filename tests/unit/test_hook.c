/*
 * test_hook.c - host hooks (src/progs/hook.c): a host struct with read-only, writable and hidden
 * fields; programs loaded as USERBPF_PROG_TYPE_HOOK checked against it at load (messages), attach
 * and detach rules, firing order and return values on both engines, a failing run stopping the rest.
 */
#include <errno.h>
#include <stddef.h>

#include "insn.h"
#include "test.h"
#include "userbpf/packet.h"
#include "userbpf/userbpf.h"

struct host {
	uint64_t id;	  /* read-only */
	uint32_t counter; /* read-write */
	uint32_t secret;  /* no access */
	char name[8];	  /* read-only */
	uint64_t out;	  /* write-only */
};

static const struct userbpf_ctx_field fields[] = {
    {offsetof(struct host, id), 8, USERBPF_CTX_READ},
    {offsetof(struct host, counter), 4, USERBPF_CTX_READ | USERBPF_CTX_WRITE},
    {offsetof(struct host, name), 8, USERBPF_CTX_READ},
    {offsetof(struct host, out), 8, USERBPF_CTX_WRITE},
};
static const struct userbpf_ctx_desc desc = {"ev", sizeof(struct host), fields, 4};

#define N(A) (sizeof(A) / sizeof((A)[0]))
static char logbuf[512];

static struct userbpf_prog *load(const struct userbpf_insn *p, size_t n, const struct userbpf_ctx_desc *d)
{
	logbuf[0] = 0;
	struct userbpf_prog_opts o = USERBPF_OPTS_INIT(
	    userbpf_prog_opts, .log_buf = logbuf, .log_size = sizeof(logbuf),
	    .prog_type = USERBPF_PROG_TYPE_HOOK, .ctx_desc = d, .flags = USERBPF_PROG_F_TRUSTED);
	return userbpf_prog__load(p, n, &o);
}

/* counter += id; out = counter * 2; return counter + K */
#define PROG(K)                                                                                              \
	{                                                                                                    \
		I_LDX(BPF_DW, 2, 1, 0), I_LDX(BPF_W, 3, 1, 8), I_ALU64_REG(BPF_ADD, 3, 2),                   \
		    I_STX(BPF_W, 1, 3, 8), I_MOV64_REG(4, 3), I_ALU64_IMM(BPF_MUL, 4, 2),                    \
		    I_STX(BPF_DW, 1, 4, 24), I_MOV64_REG(0, 3), I_ALU64_IMM(BPF_ADD, 0, K), I_EXIT()         \
	}

TEST(hook_fire_order_and_retvals)
{
	static const struct userbpf_insn a[] = PROG(1000), b[] = PROG(2000);
	struct userbpf_prog *pa = load(a, N(a), &desc), *pb = load(b, N(b), &desc);
	CHECK(pa && pb);
	if (!pa || !pb)
		return;
	CHECK_EQ_INT(userbpf_prog__type(pa), USERBPF_PROG_TYPE_HOOK);
	struct userbpf_hook *h = userbpf_hook__new(&desc);
	CHECK(h);
	CHECK_EQ_INT(userbpf_hook__attach(h, pb), 0);
	CHECK_EQ_INT(userbpf_hook__attach(h, pa), 0);
	CHECK_EQ_INT(userbpf_hook__attach(h, pa), -EEXIST);

	for (int e = 0; e < 2; e++) {
		struct host ctx = {.id = 5, .counter = 1, .secret = 77};
		uint64_t rv[3] = {0, 0, 0xdead};
		struct userbpf_hook_fire_opts fo = USERBPF_OPTS_INIT(
		    userbpf_hook_fire_opts, .exec = e ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED,
		    .retvals = rv, .nr_retvals = 3);
		CHECK_EQ_INT(userbpf_hook__fire(h, &ctx, &fo), 2);
		CHECK_EQ_U64(rv[0], 2006); /* pb first: counter 1 + 5 */
		CHECK_EQ_U64(rv[1], 1011); /* then pa: 6 + 5 */
		CHECK_EQ_U64(rv[2], 0xdead);
		CHECK_EQ_INT(ctx.counter, 11);
		CHECK_EQ_U64(ctx.out, 22);
		CHECK_EQ_INT(ctx.secret, 77);
	}
	CHECK_EQ_INT(userbpf_hook__detach(h, pb), 0);
	CHECK_EQ_INT(userbpf_hook__detach(h, pb), -ENOENT);
	struct host ctx = {.id = 1, .counter = 0};
	uint64_t rv[2] = {0, 0};
	struct userbpf_hook_fire_opts fo =
	    USERBPF_OPTS_INIT(userbpf_hook_fire_opts, .retvals = rv, .nr_retvals = 2);
	CHECK_EQ_INT(userbpf_hook__fire(h, &ctx, &fo), 1);
	CHECK_EQ_U64(rv[0], 1001);
	CHECK_EQ_U64(rv[1], 0);
	CHECK_EQ_INT(userbpf_hook__detach(h, pa), 0);
	CHECK_EQ_INT(userbpf_hook__fire(h, &ctx, NULL), 0);
	userbpf_hook__free(h);
	userbpf_prog__free(pa);
	userbpf_prog__free(pb);
}

TEST(hook_refused_accesses)
{
	static const struct {
		struct userbpf_insn insn;
		const char *msg;
	} bad[] = {
	    {I_STX(BPF_DW, 1, 2, 0),
	     "insn 1: *(u64 *)(r1 + 0) = r2: hook ev: 8-byte store at offset 0 is not inside "
	     "one writable field\n"},
	    {I_LDX(BPF_W, 0, 1, 12),
	     "insn 1: r0 = *(u32 *)(r1 + 12): hook ev: 4-byte load at offset 12 is not "
	     "inside one readable field\n"},
	    {I_LDX(BPF_DW, 0, 1, 8), "insn 1: r0 = *(u64 *)(r1 + 8): hook ev: 8-byte load at offset 8 is not "
				     "inside one readable field\n"},
	    {I_LDX(BPF_DW, 0, 1, 24),
	     "insn 1: r0 = *(u64 *)(r1 + 24): hook ev: 8-byte load at offset 24 is not "
	     "inside one readable field\n"},
	    {I_LDX(BPF_B, 0, 1, 32),
	     "insn 1: r0 = *(u8 *)(r1 + 32): hook ev: 1-byte load at offset 32 is outside "
	     "the context (32 bytes)\n"},
	    {I_ATOMIC(BPF_W, BPF_ADD, 1, 2, 8),
	     "insn 1: lock *(u32 *)(r1 + 8) += w2: atomic operation on the "
	     "context\n"},
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct userbpf_insn p[] = {I_MOV64_IMM(2, 1), bad[i].insn, I_MOV64_IMM(0, 0), I_EXIT()};
		errno = 0;
		CHECK(!load(p, N(p), &desc));
		CHECK_EQ_INT(errno, EACCES);
		CHECK_STR(logbuf, bad[i].msg);
	}
	/* allowed: narrow loads inside a readable field, narrow stores inside a writable one */
	struct userbpf_insn ok[] = {I_LDX(BPF_B, 0, 1, 19), I_LDX(BPF_H, 0, 1, 2), I_ST(BPF_H, 1, 10, 5),
				    I_ST(BPF_B, 1, 31, 5), I_EXIT()};
	struct userbpf_prog *p = load(ok, N(ok), &desc);
	CHECK(p);
	userbpf_prog__free(p);
}

TEST(hook_desc_and_attach_rules)
{
	static const struct userbpf_ctx_field overlap[] = {{0, 8, USERBPF_CTX_READ},
							   {4, 4, USERBPF_CTX_READ}};
	static const struct userbpf_ctx_field outside[] = {{28, 8, USERBPF_CTX_READ}};
	static const struct userbpf_ctx_field flags[] = {{0, 8, 0x10}};
	const struct userbpf_ctx_desc d1 = {"x", 32, overlap, 2}, d2 = {"x", 32, outside, 1},
				      d3 = {"x", 32, flags, 1};
	errno = 0;
	CHECK(!userbpf_hook__new(&d1));
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(!userbpf_hook__new(&d2));
	CHECK(!userbpf_hook__new(&d3));
	CHECK(!userbpf_hook__new(NULL));
	struct userbpf_insn p[] = {I_MOV64_IMM(0, 0), I_EXIT()};
	CHECK(!load(p, N(p), &d1));
	CHECK_STR(logbuf, "hook context x: fields 0 and 1 overlap\n");
	CHECK(!load(p, N(p), &d2));
	CHECK_STR(logbuf,
		  "hook context x: field 0 (offset 28, 8 bytes) is empty or outside the 32-byte context\n");
	CHECK(!load(p, N(p), NULL));
	CHECK_STR(logbuf, "hook programs need a context description (opts.ctx_desc)\n");

	/* attach: same name and size only; hook programs only */
	const struct userbpf_ctx_desc other = {"other", sizeof(struct host), fields, 4};
	const struct userbpf_ctx_desc small = {"ev", 16, fields, 1};
	struct userbpf_prog *po = load(p, N(p), &other), *ps = load(p, N(p), &small);
	struct userbpf_prog_opts plain =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .flags = USERBPF_PROG_F_TRUSTED);
	struct userbpf_prog *pp = userbpf_prog__load(p, N(p), &plain);
	CHECK(po && ps && pp);
	struct userbpf_hook *h = userbpf_hook__new(&desc);
	CHECK_EQ_INT(userbpf_hook__attach(h, po), -EINVAL);
	CHECK_EQ_INT(userbpf_hook__attach(h, ps), -EINVAL);
	CHECK_EQ_INT(userbpf_hook__attach(h, pp), -EINVAL);
	CHECK_EQ_INT(userbpf_hook__attach(h, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_hook__fire(h, NULL, NULL), -EINVAL);
	userbpf_hook__free(h);
	userbpf_hook__free(NULL);
	userbpf_prog__free(po);
	userbpf_prog__free(ps);
	userbpf_prog__free(pp);
}

TEST(hook_failed_run_stops)
{
	/* the first program loads through a null pointer (checked engine: -EFAULT) */
	struct userbpf_insn bad[] = {I_MOV64_IMM(2, 0), I_LDX(BPF_DW, 0, 2, 0), I_EXIT()};
	static const struct userbpf_insn good[] = PROG(0);
	struct userbpf_prog *pbad = load(bad, N(bad), &desc), *pgood = load(good, N(good), &desc);
	CHECK(pbad && pgood);
	struct userbpf_hook *h = userbpf_hook__new(&desc);
	CHECK_EQ_INT(userbpf_hook__attach(h, pbad), 0);
	CHECK_EQ_INT(userbpf_hook__attach(h, pgood), 0);
	struct host ctx = {.id = 3, .counter = 4};
	char err[256];
	struct userbpf_hook_fire_opts fo = USERBPF_OPTS_INIT(
	    userbpf_hook_fire_opts, .exec = USERBPF_EXEC_CHECKED, .err_buf = err, .err_size = sizeof(err));
	CHECK_EQ_INT(userbpf_hook__fire(h, &ctx, &fo), -EFAULT);
	CHECK_CONTAINS(err, "hook ev: program 0 (id ");
	CHECK_EQ_INT(ctx.counter, 4); /* the second program did not run */
	userbpf_hook__free(h);
	userbpf_prog__free(pbad);
	userbpf_prog__free(pgood);
}
