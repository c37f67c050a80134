/*
 * test_kpkt.c - the kernel packet runner (userbpf_kpktrun, src/kernel/kpkt.c) on its own: contexts
 * built from struct userbpf_pkt_meta, packets out (XDP metadata left out, socket filter truncation),
 * verdicts mapped as userbpf maps them, timed runs, and the refusals. Exact values, from the
 * programs of tests/objs/kpkt.bpf.c. And userbpf_kobject__compare_maps on tests/objs/kcmp.bpf.c.
 * Every case skips with one line where bpf() is refused.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "loader_util.h"
#include "test.h"
#include "userbpf/kernel.h"

static char logbuf[4096];

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		char why_[200];                                                                              \
		if (!userbpf_kernel_available(why_, sizeof(why_)))                                           \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

struct fixture {
	struct userbpf_object *obj;
	struct userbpf_kobject *kobj;
};

static int setup(struct fixture *f)
{
	struct userbpf_object_open_opts oo =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));

	f->kobj = NULL;
	f->obj = userbpf_object__open_file(lu_obj_path("kpkt"), &oo);
	if (!f->obj) {
		fprintf(stderr, "open %s: %s\n", lu_obj_path("kpkt"), logbuf);
		return -1;
	}
	f->kobj = userbpf_kobject__load(f->obj, &ko);
	if (!f->kobj) {
		fprintf(stderr, "kernel load: %s\n", logbuf);
		return -1;
	}
	return 0;
}

static void teardown(struct fixture *f)
{
	userbpf_kobject__close(f->kobj);
	userbpf_object__close(f->obj);
}

static uint64_t seen(struct fixture *f, uint32_t k)
{
	uint64_t v = ~0ull;

	if (userbpf_kobject__map_lookup(f->kobj, "seen", &k, &v))
		return ~0ull;
	return v;
}

/* A 60-byte Ethernet frame: dst 02:..:01, src 02:..:02, ethertype, then bytes i. */
static void frame(uint8_t *p, uint16_t proto, uint8_t first)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	for (int i = 0; i < 60; i++)
		p[i] = (uint8_t)i;
	memcpy(p, macs, 12);
	p[12] = proto >> 8;
	p[13] = proto & 0xff;
	p[14] = first;
}

TEST(kpkt_xdp_strips_header_and_maps_verdicts)
{
	struct fixture f;
	struct userbpf_pkt_result res;
	struct userbpf_kpktrun *run;
	uint8_t pkt[60];
	char err[256] = "";

	NEED_KERNEL();
	if (setup(&f)) {
		CHECK(0);
		teardown(&f);
		return;
	}
	run = userbpf_kpktrun__new(f.kobj, "xdp_strip", NULL);
	CHECK(run);
	if (!run)
		goto out;
	CHECK_EQ_INT(userbpf_kpktrun__prog_type(run), BPF_PROG_TYPE_XDP);

	frame(pkt, 0x0800, 0x45); /* 69 % 6 = 3: XDP_TX */
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_U64(res.retval, XDP_TX);
	CHECK_EQ_INT(res.action, USERBPF_PKT_TX);
	CHECK_EQ_INT(res.len, 46);
	CHECK(res.data && !memcmp(res.data, pkt + 14, 46));
	CHECK_EQ_INT(res.ctx_out_size, sizeof(struct userbpf_xdp_md));
	if (res.ctx_out) {
		const struct userbpf_xdp_md *md = res.ctx_out;

		CHECK_EQ_INT(md->data, 8); /* the metadata the program left */
		CHECK_EQ_INT(md->data_end, 54);
		CHECK_EQ_INT(md->ingress_ifindex, 1); /* the kernel's default: loopback */
		/* The 8 bytes of metadata precede the packet in the runner's buffer. */
		uint64_t m;
		memcpy(&m, res.data - 8, 8);
		CHECK_EQ_U64(m, 0x1122334455667788ull);
	}
	CHECK_EQ_U64(seen(&f, 0), 1);
	CHECK_EQ_U64(seen(&f, 1), 1);

	frame(pkt, 0x0800, 5); /* out of range: aborted, with the value kept */
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_U64(res.retval, 5);
	CHECK_EQ_INT(res.action, USERBPF_PKT_ABORTED);
	frame(pkt, 0x0800, 2 + 6 * 7);
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_INT(res.action, USERBPF_PKT_PASS);
	frame(pkt, 0x0800, 1);
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_INT(res.action, USERBPF_PKT_DROP);
	frame(pkt, 0x0800, 4);
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_INT(res.action, USERBPF_PKT_REDIRECT);

	/* Loopback has one queue: queue 0 runs, queue 5 is refused by the kernel. */
	struct userbpf_pkt_meta meta = {.ifindex = 1, .rx_queue = 0};
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), &meta, &res, err, sizeof(err)), 0);
	meta.rx_queue = 5;
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), &meta, &res, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(res.action, USERBPF_PKT_ABORTED);
	CHECK_CONTAINS(err, "xdp_strip");
	CHECK_EQ_U64(seen(&f, 0), 6);
	CHECK_EQ_U64(seen(&f, 1), 6);
out:
	userbpf_kpktrun__free(run);
	teardown(&f);
}

TEST(kpkt_tc_context_in_and_out)
{
	struct fixture f;
	struct userbpf_pkt_result res;
	struct userbpf_kpktrun *run;
	uint8_t pkt[60];
	char err[256] = "";
	struct userbpf_pkt_meta meta = {.mark = 41, .cb = {0, 9, 0, 0, 0}, .wire_len = 100, .priority = 3};

	NEED_KERNEL();
	if (setup(&f)) {
		CHECK(0);
		teardown(&f);
		return;
	}
	run = userbpf_kpktrun__new(f.kobj, "tc_mark", NULL);
	CHECK(run);
	if (!run)
		goto out;
	CHECK_EQ_INT(userbpf_kpktrun__prog_type(run), BPF_PROG_TYPE_SCHED_CLS);
	frame(pkt, 0x0800, 0x45);
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), &meta, &res, err, sizeof(err)), 0);
	CHECK_EQ_U64(res.retval, TC_ACT_OK);
	CHECK_EQ_INT(res.action, USERBPF_PKT_PASS);
	CHECK_EQ_INT(res.len, 60);
	if (res.data && res.len == 60) {
		CHECK(!memcmp(res.data, pkt + 6, 6));
		CHECK(!memcmp(res.data + 6, pkt, 6));
		CHECK(!memcmp(res.data + 12, pkt + 12, 48));
	}
	CHECK_EQ_INT(res.ctx_out_size, sizeof(struct userbpf_sk_buff));
	if (res.ctx_out) {
		const struct userbpf_sk_buff *skb = res.ctx_out;

		CHECK_EQ_INT(skb->mark, 42);
		CHECK_EQ_INT(skb->priority, 7);
		CHECK_EQ_INT(skb->cb[0], 60);
		CHECK_EQ_INT(skb->cb[1], 9);
		CHECK_EQ_INT(skb->cb[4], 100);
		CHECK_EQ_INT(skb->wire_len, 100);
		CHECK_EQ_INT(skb->ifindex, 1);
		CHECK_EQ_INT(skb->ingress_ifindex, 1);
	}
	CHECK_EQ_U64(seen(&f, 2), 1);

	frame(pkt, 0x86dd, 0x60);
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_U64(res.retval, TC_ACT_SHOT);
	CHECK_EQ_INT(res.action, USERBPF_PKT_DROP);

	/* What the kernel's test run cannot be given, and what it refuses. */
	meta.hash = 7;
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), &meta, &res, err, sizeof(err)), -EOPNOTSUPP);
	CHECK_CONTAINS(err, "hash");
	meta.hash = 0;
	meta.rx_queue = 1;
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), &meta, &res, err, sizeof(err)), -EOPNOTSUPP);
	CHECK_CONTAINS(err, "queue_mapping");
	meta.rx_queue = 0;
	meta.wire_len = 30;
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), &meta, &res, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "wire length 30");
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, 10, NULL, &res, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(res.action, USERBPF_PKT_ABORTED);
	CHECK_CONTAINS(err, "BPF_PROG_TEST_RUN");
	CHECK_EQ_U64(seen(&f, 2), 2);
out:
	userbpf_kpktrun__free(run);
	teardown(&f);
}

TEST(kpkt_socket_filter_truncates)
{
	struct fixture f;
	struct userbpf_pkt_result res;
	struct userbpf_kpktrun *run;
	uint8_t pkt[60];
	char err[256] = "";

	NEED_KERNEL();
	if (setup(&f)) {
		CHECK(0);
		teardown(&f);
		return;
	}
	run = userbpf_kpktrun__new(f.kobj, "sock_keep20", NULL);
	CHECK(run);
	if (!run)
		goto out;
	frame(pkt, 0x0800, 0x45);
	CHECK_EQ_INT(userbpf_kpktrun__run(run, pkt, sizeof(pkt), NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_U64(res.retval, 20);
	CHECK_EQ_INT(res.action, USERBPF_PKT_PASS);
	CHECK_EQ_INT(res.len, 14 + 20); /* the Ethernet header, then 20 bytes from the network header */
	CHECK(res.data && !memcmp(res.data, pkt, 34));
	CHECK_EQ_U64(seen(&f, 3), 1);
out:
	userbpf_kpktrun__free(run);
	teardown(&f);
}

TEST(kpkt_time_repeats)
{
	struct fixture f;
	struct userbpf_kpktrun *run;
	uint8_t pkt[60];
	uint32_t ns = ~0u, ret = 0;
	char err[256] = "";

	NEED_KERNEL();
	if (setup(&f)) {
		CHECK(0);
		teardown(&f);
		return;
	}
	run = userbpf_kpktrun__new(f.kobj, "tc_mark", NULL);
	CHECK(run);
	if (!run)
		goto out;
	frame(pkt, 0x0800, 0x45);
	CHECK_EQ_INT(userbpf_kpktrun__time(run, pkt, sizeof(pkt), NULL, 1000, &ns, &ret, err, sizeof(err)), 0);
	CHECK_EQ_U64(ret, TC_ACT_OK);
	CHECK(ns < 1000000); /* a mean per run, not a total */
	CHECK_EQ_U64(seen(&f, 2), 1000);
	CHECK_EQ_INT(userbpf_kpktrun__time(run, pkt, 70000, NULL, 1, &ns, &ret, err, sizeof(err)), -EMSGSIZE);
	CHECK_CONTAINS(err, "70000 bytes");
out:
	userbpf_kpktrun__free(run);
	teardown(&f);
}

TEST(kpkt_new_refusals)
{
	struct fixture f;
	char err[256] = "";
	struct userbpf_kpktrun_opts o =
	    USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .err_buf = err, .err_size = sizeof(err));

	NEED_KERNEL();
	if (setup(&f)) {
		CHECK(0);
		teardown(&f);
		return;
	}
	errno = 0;
	CHECK(!userbpf_kpktrun__new(f.kobj, "nope", &o));
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_CONTAINS(err, "no loaded program 'nope'");
	teardown(&f);
}

TEST(kpkt_action_table)
{
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_XDP, 0), USERBPF_PKT_ABORTED);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_XDP, 1), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_XDP, 2), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_XDP, 3), USERBPF_PKT_TX);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_XDP, 4), USERBPF_PKT_REDIRECT);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_XDP, 5), USERBPF_PKT_ABORTED);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, (uint32_t)TC_ACT_UNSPEC), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_RECLASSIFY), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_ACT, TC_ACT_SHOT), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_PIPE), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_STOLEN), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_QUEUED), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_REPEAT), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_REDIRECT), USERBPF_PKT_REDIRECT);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_TRAP), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SOCKET_FILTER, 0), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_SOCKET_FILTER, 1), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_CGROUP_SKB, 0), USERBPF_PKT_DROP);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_CGROUP_SKB, 1), USERBPF_PKT_PASS);
	CHECK_EQ_INT(userbpf_pkt_action_of(BPF_PROG_TYPE_KPROBE, 1), USERBPF_PKT_ABORTED);
}

/* ------------------------------------------------------------------------------------------------ */
/* userbpf_kobject__compare_maps, on tests/objs/kcmp.bpf.c                                           */

struct kcmp_args {
	uint64_t k;
	uint64_t v;
};

struct kcmp {
	struct userbpf_object *obj;
	struct userbpf_kobject *kobj;
	struct userbpf_helpers *helpers;
};

static int kcmp_setup(struct kcmp *c)
{
	struct userbpf_object_open_opts oo =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));

	memset(c, 0, sizeof(*c));
	c->helpers = userbpf_helpers__new();
	if (!c->helpers || userbpf_helpers__add_maps(c->helpers))
		return -1;
	/* Fast engine: the checked one would need every map's regions in the run options. */
	struct userbpf_object_load_opts lo =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = c->helpers, .prog_flags = USERBPF_PROG_F_TRUSTED,
			      .log_buf = logbuf, .log_size = sizeof(logbuf));
	c->obj = userbpf_object__open_file(lu_obj_path("kcmp"), &oo);
	if (!c->obj || userbpf_object__load(c->obj, &lo)) {
		fprintf(stderr, "userbpf %s: %s\n", lu_obj_path("kcmp"), logbuf);
		return -1;
	}
	c->kobj = userbpf_kobject__load(c->obj, &ko);
	if (!c->kobj) {
		fprintf(stderr, "kernel load: %s\n", logbuf);
		return -1;
	}
	return 0;
}

static void kcmp_teardown(struct kcmp *c)
{
	userbpf_kobject__close(c->kobj);
	userbpf_object__close(c->obj);
	userbpf_helpers__free(c->helpers);
}

/* Run `fill` with (k, v) on both sides. */
static int kcmp_fill(struct kcmp *c, uint32_t k, uint64_t v)
{
	struct kcmp_args a = {k, v};
	struct userbpf_run_opts ro =
	    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = &a, .ctx_size = sizeof(a), .exec = USERBPF_EXEC_FAST);
	struct userbpf_ktest_run_opts ko =
	    USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .ctx_in = &a, .ctx_size_in = sizeof(a));
	int err = userbpf_prog__run(userbpf_program__prog(userbpf_object__find_program_by_name(c->obj, "fill")), &ro);

	return err ? err : userbpf_kobject__test_run(c->kobj, "fill", &ko);
}

/* Mask: clear the hash's values of keys >= 100 (as a test for timestamps would). */
static int mask_big_keys(void *cookie, const char *map, const void *key, void *value, uint32_t size, char *why,
			 size_t why_size)
{
	uint32_t k;

	(*(int *)cookie)++;
	if (strcmp(map, "h") || !key)
		return 0;
	memcpy(&k, key, 4);
	if (k == 999) {
		snprintf(why, why_size, "key 999 is refused");
		return -EBADMSG;
	}
	if (k >= 100)
		memset(value, 0, size);
	return 0;
}

TEST(kcompare_maps_same_then_different)
{
	struct kcmp c;
	char diff[512], skipped[256];
	struct userbpf_kcompare_opts o = USERBPF_OPTS_INIT(userbpf_kcompare_opts, .diff_buf = diff,
							   .diff_size = sizeof(diff), .skipped_buf = skipped,
							   .skipped_size = sizeof(skipped));
	uint64_t v;
	uint32_t k;

	NEED_KERNEL();
	if (kcmp_setup(&c)) {
		CHECK(0);
		kcmp_teardown(&c);
		return;
	}
	for (k = 1; k <= 10; k++)
		CHECK_EQ_INT(kcmp_fill(&c, k % 7, k * 3), 0);
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 0);
	CHECK_STR(diff, "");
	CHECK_STR(skipped, "progs (prog_array)");
	/* h 7 keys + pc 4 + lru 7 + lpm 7 + rb 10 records + q 10 values + .bss 1 */
	CHECK_EQ_U64(o.entries, 7 + 4 + 7 + 7 + 10 + 10 + 1);
	/* The ring buffer and the queue were drained on both sides: still the same. */
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 0);
	CHECK_EQ_U64(o.entries, 7 + 4 + 7 + 7 + 1);

	/* A value changed on one side. */
	k = 3;
	v = 12345;
	CHECK_EQ_INT(userbpf_map_update_elem(userbpf_object_map__map(userbpf_object__find_map_by_name(c.obj, "h")),
					     &k, &v, USERBPF_ANY),
		     0);
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 1);
	CHECK_STR(diff, "map 'h': key 03000000: values differ from byte 0: userbpf 3930000000000000, kernel "
			"2700000000000000"); /* 3*3 + 10*3 */
	CHECK_EQ_INT(userbpf_kobject__map_update(c.kobj, "h", &k, &v, 0), 0);

	/* A key on one side only, then masked values and a mask's refusal. */
	k = 100;
	v = 1;
	CHECK_EQ_INT(userbpf_kobject__map_update(c.kobj, "h", &k, &v, 0), 0);
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 1);
	CHECK_STR(diff, "map 'h': key 64000000 only in the kernel (7 entries in userbpf, 8 in the kernel)");
	v = 2;
	CHECK_EQ_INT(userbpf_map_update_elem(userbpf_object_map__map(userbpf_object__find_map_by_name(c.obj, "h")),
					     &k, &v, USERBPF_ANY),
		     0);
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 1);
	int calls = 0;
	o.mask = mask_big_keys;
	o.cookie = &calls;
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 0);
	CHECK(calls > 16);
	k = 999;
	CHECK_EQ_INT(userbpf_kobject__map_update(c.kobj, "h", &k, &v, 0), 0);
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), -EBADMSG);
	CHECK_STR(diff, "map 'h' in the kernel: key 999 is refused");

	/* Per-CPU: the sum over slots is compared, wherever the runs landed. */
	o.mask = NULL;
	CHECK_EQ_INT(userbpf_kobject__map_delete(c.kobj, "h", &k), 0);
	k = 100;
	CHECK_EQ_INT(userbpf_kobject__map_update(c.kobj, "h", &k, &v, 0), 0);
	CHECK_EQ_INT(kcmp_fill(&c, 2, 5), 0);
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 0);
	struct kcmp_args a = {2, 1};
	struct userbpf_ktest_run_opts ko = USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .ctx_in = &a, .ctx_size_in = sizeof(a));
	CHECK_EQ_INT(userbpf_kobject__test_run(c.kobj, "fill", &ko), 0); /* the kernel only */
	CHECK_EQ_INT(userbpf_kobject__compare_maps(c.kobj, c.obj, &o), 1);
	CHECK_CONTAINS(diff, "map 'h': key 02000000: values differ");
	kcmp_teardown(&c);
}
