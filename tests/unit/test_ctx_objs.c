/*
 * test_ctx_objs.c - the context-access pass on real clang output, through the object loader: each
 * section gives its program type (xdp, tc, socket, cgroup_skb/ingress, hook/NAME), pointer-field
 * loads in subprograms and through a spilled context are rewritten, the programs run on a context
 * laid out as src/progs/progs.h says, on both engines, with exact results; refusals name the source
 * line; a hook section without its description is refused.
 */
#include <errno.h>
#include <stddef.h>

#include "insn.h"
#include "loader_util.h"
#include "progs/progs.h"
#include "test.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"
#include "userbpf/userbpf.h"

static char logbuf[2048];

#define NEED_OBJ(name)                                                                                       \
	do {                                                                                                 \
		FILE *f_ = fopen(lu_obj_path(name), "rb");                                                   \
		if (!f_)                                                                                     \
			SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));            \
		fclose(f_);                                                                                  \
	} while (0)

static struct userbpf_object *open_load(const char *name, const struct userbpf_object_load_opts *lo, int *err)
{
	struct userbpf_object *obj = userbpf_object__open_file(lu_obj_path(name), NULL);
	CHECK(obj);
	if (!obj)
		return NULL;
	struct userbpf_object_load_opts o = lo ? *lo : USERBPF_OPTS_INIT(userbpf_object_load_opts);
	o.log_buf = logbuf;
	o.log_size = sizeof(logbuf);
	o.prog_flags = USERBPF_PROG_F_TRUSTED;
	*err = userbpf_object__load(obj, &o);
	return obj;
}

static const struct userbpf_prog *prog_of(struct userbpf_object *obj, const char *name)
{
	const struct userbpf_program *p = userbpf_object__find_program_by_name(obj, name);
	CHECK(p);
	return p ? userbpf_program__prog(p) : NULL;
}

/* How many 8-byte ctx loads at `off` the loaded program holds. */
static int dw_loads_at(const struct userbpf_prog *prog, int off)
{
	const struct userbpf_insn *in = userbpf_prog__insns(prog);
	int n = 0;
	for (size_t i = 0; i < userbpf_prog__insn_cnt(prog); i++)
		n += in[i].code == (BPF_LDX | BPF_MEM | BPF_DW) && in[i].off == off;
	return n;
}

static uint64_t run(const struct userbpf_prog *prog, void *ctx, size_t ctx_size, void *pkt, size_t pkt_size,
		    enum userbpf_exec exec)
{
	char err[256] = "";
	struct userbpf_region r = {.addr = pkt, .size = pkt_size, .writable = true};
	struct userbpf_run_opts ro =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = ctx, .ctx_size = ctx_size, .regions = &r,
			      .nr_regions = 1, .exec = exec, .err_buf = err, .err_size = sizeof(err));
	int rc = userbpf_prog__run(prog, &ro);
	if (rc)
		fprintf(stderr, "run: %d %s\n", rc, err);
	CHECK_EQ_INT(rc, 0);
	return ro.retval;
}

/* A 60-byte frame at offset 16 of buf (8 bytes of metadata before it), ethertype `proto`. */
static void frame(uint8_t *buf, uint16_t proto)
{
	memset(buf, 0, 128);
	for (int i = 0; i < 60; i++)
		buf[16 + i] = (uint8_t)(0xaa + i);
	buf[16 + 12] = (uint8_t)(proto >> 8);
	buf[16 + 13] = (uint8_t)proto;
}

TEST(xdp_objects)
{
	NEED_OBJ("ctx_pkt");
	int err;
	struct userbpf_object *obj = open_load("ctx_pkt", NULL, &err);
	if (!obj)
		return;
	if (err)
		fprintf(stderr, "%s", logbuf);
	CHECK_EQ_INT(err, 0);
	const struct userbpf_prog *proto = prog_of(obj, "xdp_proto"), *fields = prog_of(obj, "xdp_fields");
	CHECK(proto && fields);
	if (err || !proto || !fields)
		goto out;
	CHECK_EQ_INT(userbpf_prog__type(proto), USERBPF_PROG_TYPE_XDP);
	/* data and data_end read in the subprogram, rewritten */
	CHECK_EQ_INT(dw_loads_at(proto, offsetof(struct progs_xdp_ctx, data)), 1);
	CHECK_EQ_INT(dw_loads_at(proto, offsetof(struct progs_xdp_ctx, data_end)), 1);
	/* through the spilled context: data, data_end, data_meta */
	CHECK_EQ_INT(dw_loads_at(fields, offsetof(struct progs_xdp_ctx, data)), 1);
	CHECK_EQ_INT(dw_loads_at(fields, offsetof(struct progs_xdp_ctx, data_end)), 1);
	CHECK_EQ_INT(dw_loads_at(fields, offsetof(struct progs_xdp_ctx, data_meta)), 1);

	uint8_t buf[128];
	for (int e = 0; e < 2; e++) {
		enum userbpf_exec exec = e ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED;
		struct progs_xdp_ctx x = {.md = {.ingress_ifindex = 3, .rx_queue_index = 2}};
		x.data_meta = (uintptr_t)(buf + 8);
		x.data = (uintptr_t)(buf + 16);
		x.data_end = (uintptr_t)(buf + 16 + 60);
		frame(buf, 0x0800);
		CHECK_EQ_U64(run(proto, &x, sizeof(x), buf, sizeof(buf), exec), 2); /* XDP_PASS */
		frame(buf, 0x0806);
		CHECK_EQ_U64(run(proto, &x, sizeof(x), buf, sizeof(buf), exec), 1); /* XDP_DROP */
		x.data_end = x.data + 10;
		CHECK_EQ_U64(run(proto, &x, sizeof(x), buf, sizeof(buf), exec), 0); /* too short: ABORTED */
		x.data_end = x.data + 60;
		CHECK_EQ_U64(run(fields, &x, sizeof(x), buf, sizeof(buf), exec),
			     60 + 8 * 100 + 3 * 10000 + 2 * 1000000);
	}
out:
	userbpf_object__close(obj);
}

TEST(skb_objects)
{
	NEED_OBJ("ctx_pkt");
	int err;
	struct userbpf_object *obj = open_load("ctx_pkt", NULL, &err);
	if (!obj)
		return;
	CHECK_EQ_INT(err, 0);
	const struct userbpf_prog *tc = prog_of(obj, "tc_fields"), *sock = prog_of(obj, "sock_fields"),
				  *cg = prog_of(obj, "cg_fields");
	CHECK(tc && sock && cg);
	if (err || !tc || !sock || !cg)
		goto out;
	CHECK_EQ_INT(userbpf_prog__type(tc), USERBPF_PROG_TYPE_SCHED_CLS);
	CHECK_EQ_INT(userbpf_prog__type(sock), USERBPF_PROG_TYPE_SOCKET_FILTER);
	CHECK_EQ_INT(userbpf_prog__type(cg), USERBPF_PROG_TYPE_CGROUP_SKB);
	CHECK_EQ_INT(dw_loads_at(tc, offsetof(struct progs_skb_ctx, data)), 1);
	CHECK_EQ_INT(dw_loads_at(tc, offsetof(struct progs_skb_ctx, data_end)), 1);
	CHECK_EQ_INT(dw_loads_at(cg, offsetof(struct progs_skb_ctx, data)), 1);
	CHECK_EQ_INT(dw_loads_at(cg, offsetof(struct progs_skb_ctx, data_end)), 1);
	CHECK_EQ_INT(dw_loads_at(sock, 192), 0);

	uint8_t buf[128];
	for (int e = 0; e < 2; e++) {
		enum userbpf_exec exec = e ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED;
		frame(buf, 0x0800);
		struct progs_skb_ctx s = {.skb = {.len = 60, .protocol = 0x0008, .ifindex = 1}};
		s.data = (uintptr_t)(buf + 16);
		s.data_end = s.data + 60;
		s.data_meta = s.data;
		CHECK_EQ_U64(run(tc, &s, sizeof(s), buf, sizeof(buf), exec), 0xaa + 60 * 1000 + (1u << 24));
		CHECK_EQ_INT(s.skb.mark, 180);
		CHECK_EQ_INT(s.skb.priority, 0xaa);
		CHECK_EQ_INT(s.skb.cb[2], 0x0008);
		CHECK_EQ_INT(s.skb.tc_index, 7);
		s.data_end = s.data; /* empty: first byte 0x100 */
		CHECK_EQ_U64(run(tc, &s, sizeof(s), buf, sizeof(buf), exec), 0x100 + 60 * 1000 + (1u << 24));

		struct progs_skb_ctx k = {.skb = {.len = 60, .protocol = 0x0008}};
		CHECK_EQ_U64(run(sock, &k, sizeof(k), buf, sizeof(buf), exec), 14);
		CHECK_EQ_INT(k.skb.cb[0], 60);
		CHECK_EQ_INT(k.skb.cb[1], 0x0800);

		struct progs_skb_ctx c = {.skb = {.len = 60}};
		c.data = (uintptr_t)(buf + 16);
		c.data_end = c.data + 42;
		CHECK_EQ_U64(run(cg, &c, sizeof(c), buf, sizeof(buf), exec), 1);
		CHECK_EQ_INT(c.skb.mark, 42);
	}
out:
	userbpf_object__close(obj);
}

struct host_ev {
	uint64_t id;
	uint32_t counter, secret;
};

TEST(hook_object)
{
	NEED_OBJ("ctx_hook");
	int err;
	/* without the description: refused */
	struct userbpf_object *obj = open_load("ctx_hook", NULL, &err);
	if (!obj)
		return;
	CHECK_EQ_INT(err, -ENOENT);
	CHECK_CONTAINS(logbuf,
		       "program 'on_ev' (section 'hook/ev'): no hook context named 'ev' in the load options");
	CHECK_EQ_INT(userbpf_program__type(userbpf_object__find_program_by_name(obj, "on_ev")),
		     USERBPF_PROG_TYPE_HOOK);
	CHECK_STR(userbpf_prog_type_name((enum userbpf_prog_type)USERBPF_PROG_TYPE_HOOK), "hook");
	userbpf_object__close(obj);

	static const struct userbpf_ctx_field f[] = {
	    {offsetof(struct host_ev, id), 8, USERBPF_CTX_READ},
	    {offsetof(struct host_ev, counter), 4, USERBPF_CTX_READ | USERBPF_CTX_WRITE},
	};
	const struct userbpf_ctx_desc other = {"other", 8, f, 1}, ev = {"ev", sizeof(struct host_ev), f, 2};
	const struct userbpf_ctx_desc *descs[] = {&other, &ev};
	struct userbpf_object_load_opts lo =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .ctx_descs = descs, .nr_ctx_descs = 2);
	obj = open_load("ctx_hook", &lo, &err);
	if (!obj)
		return;
	if (err)
		fprintf(stderr, "%s", logbuf);
	CHECK_EQ_INT(err, 0);
	const struct userbpf_prog *p = prog_of(obj, "on_ev");
	struct userbpf_hook *h = userbpf_hook__new(&ev);
	CHECK(p && h);
	if (p && h) {
		CHECK_EQ_INT(userbpf_hook__attach(h, p), 0);
		struct host_ev e = {.id = 40, .counter = 2, .secret = 9};
		uint64_t rv = 0;
		struct userbpf_hook_fire_opts fo =
		    USERBPF_OPTS_INIT(userbpf_hook_fire_opts, .retvals = &rv, .nr_retvals = 1);
		CHECK_EQ_INT(userbpf_hook__fire(h, &e, &fo), 1);
		CHECK_EQ_U64(rv, 42);
		CHECK_EQ_INT(e.counter, 42);
		CHECK_EQ_INT(e.secret, 9);
		CHECK_EQ_INT(userbpf_hook__detach(h, p), 0);
	}
	userbpf_hook__free(h);
	userbpf_object__close(obj);

	/* a description where the program's store is not allowed */
	static const struct userbpf_ctx_field ro[] = {{0, 16, USERBPF_CTX_READ}};
	const struct userbpf_ctx_desc ev_ro = {"ev", sizeof(struct host_ev), ro, 1};
	const struct userbpf_ctx_desc *d2[] = {&ev_ro};
	lo.ctx_descs = d2;
	lo.nr_ctx_descs = 1;
	obj = open_load("ctx_hook", &lo, &err);
	CHECK_EQ_INT(err, -EACCES);
	CHECK_CONTAINS(logbuf,
		       "hook ev: 4-byte store at offset 8 is not inside one writable field (ctx_hook.bpf.c:");
	userbpf_object__close(obj);
}

TEST(refusal_names_source_line)
{
	NEED_OBJ("ctx_bad");
	int err;
	struct userbpf_object *obj = open_load("ctx_bad", NULL, &err);
	if (!obj)
		return;
	CHECK_EQ_INT(err, -EACCES);
	CHECK_CONTAINS(logbuf, "program 'bad_mark': insn ");
	CHECK_CONTAINS(logbuf,
		       "__sk_buff: field mark is read-only in socket filter programs (ctx_bad.bpf.c:9:");
	userbpf_object__close(obj);
}
