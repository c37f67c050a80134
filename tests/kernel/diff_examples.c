/*
 * diff_examples.c - every example of examples/ on its capture, in userbpf and in the Linux kernel,
 * packet by packet: the same return value, action, output packet (length and bytes) and context
 * out, and at the end the same contents of every map.
 *
 * Each example object ($BUILD/examples/NAME.o) is loaded in userbpf (checked engine, then again on
 * the fast engine with the programs trusted) and in the kernel (userbpf_kobject__load), both get
 * the same host setup (the firewall's rules, examples_setup.h), and every packet of its capture
 * ($BUILD/examples/NAME.pcap, net_capture_load) runs through userbpf_pktrun and through
 * userbpf_kpktrun (BPF_PROG_TEST_RUN). The monitor's bigger capture also runs through flows.
 *
 * Maps are compared by userbpf_kobject__compare_maps: keys and values, per-CPU values as the sum
 * over their slots (userbpf's slots are worker threads, the kernel's the CPUs the runs landed on),
 * ring buffer records consumed on both sides and compared in order. What cannot match is masked
 * after a consistency check (examples_setup.h): flows' first_seen/last_seen and synflood's
 * window_start and alert ts are bpf_ktime_get_ns() values, different between any two runs. The
 * dispatcher's prog_array is left out (program ids differ by nature); the tail calls it makes show
 * in its counters, which are compared. The kernel's result lacks the redirect target
 * (BPF_PROG_TEST_RUN does not redirect) and the high half of r0 (it reports 32 bits): those are
 * not compared. Every case skips with one line where bpf() is refused.
 */
#include <errno.h>
#include <stdbool.h>

#include "examples_setup.h"
#include "net/net.h"
#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/packet.h"

#define MAX_REPORTS 5

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		char why_[200];                                                                              \
		if (!userbpf_kernel_available(why_, sizeof(why_)))                                           \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

/* The two sides of one example. */
struct pair {
	struct userbpf_object *obj; /* userbpf */
	struct userbpf_helpers *helpers;
	struct userbpf_pktrun *run;
	struct userbpf_object *kobj_src; /* the object the kernel side was loaded from */
	struct userbpf_kobject *kobj;
	struct userbpf_kpktrun *krun;
	unsigned int prog_type;
};

static void pair_close(struct pair *p)
{
	userbpf_pktrun__free(p->run);
	userbpf_kpktrun__free(p->krun);
	userbpf_kobject__close(p->kobj);
	userbpf_object__close(p->obj);
	userbpf_object__close(p->kobj_src);
	userbpf_helpers__free(p->helpers);
	memset(p, 0, sizeof(*p));
}

static int pair_open(struct pair *p, const char *name, enum userbpf_exec exec)
{
	const struct ex_setup *ex = ex_setup_find(name);
	char path[1024], log[2048] = "";
	struct userbpf_object_open_opts oo =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = log, .log_size = sizeof(log));
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = log, .log_size = sizeof(log));
	struct userbpf_kpktrun_opts kro =
	    USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .err_buf = log, .err_size = sizeof(log));
	struct userbpf_pktrun_opts ro =
	    USERBPF_OPTS_INIT(userbpf_pktrun_opts, .exec = exec, .err_buf = log, .err_size = sizeof(log));
	const char *prog;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "%s/examples/%s.o", build_dir(), name);
	p->obj = userbpf_object__open_file(path, &oo);
	p->kobj_src = userbpf_object__open_file(path, &oo);
	if (!p->obj || !p->kobj_src) {
		fprintf(stderr, "%s: %s\n", path, log);
		return -1;
	}
	prog = ex_entry_prog(p->obj, ex);
	p->helpers = userbpf_helpers__new();
	if (!prog || !p->helpers || userbpf_helpers__add_std(p->helpers) || userbpf_helpers__add_maps(p->helpers) ||
	    userbpf_helpers__add_kernel(p->helpers) ||
	    userbpf_helpers__add_packet(p->helpers)) {
		fprintf(stderr, "%s: no entry program or helpers\n", name);
		return -1;
	}
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(
	    userbpf_object_load_opts, .helpers = p->helpers, .log_buf = log, .log_size = sizeof(log),
	    .prog_flags = exec == USERBPF_EXEC_FAST ? USERBPF_PROG_F_TRUSTED : 0);
	if (userbpf_object__load(p->obj, &lo) || ex_setup_userbpf(ex, p->obj, log, sizeof(log))) {
		fprintf(stderr, "%s: userbpf: %s\n", name, log);
		return -1;
	}
	p->prog_type = userbpf_program__type(userbpf_object__find_program_by_name(p->obj, prog));
	ro.prog_type = p->prog_type;
	p->run = userbpf_pktrun__new(userbpf_program__prog(userbpf_object__find_program_by_name(p->obj, prog)), &ro);
	if (!p->run) {
		fprintf(stderr, "%s: userbpf runner: %s\n", name, log);
		return -1;
	}
	p->kobj = userbpf_kobject__load(p->kobj_src, &ko);
	if (!p->kobj || ex_setup_kernel(ex, p->kobj, log, sizeof(log)) ||
	    !(p->krun = userbpf_kpktrun__new(p->kobj, prog, &kro))) {
		fprintf(stderr, "%s: kernel: %s\n", name, log);
		return -1;
	}
	return 0;
}

/* The context fields the kernel's test run reports back, compared; "" when equal. */
static void ctx_diff(unsigned int type, const struct userbpf_pkt_result *u, const struct userbpf_pkt_result *k,
		     char *out, size_t size)
{
	out[0] = 0;
	if (!u->ctx_out || !k->ctx_out)
		return;
	if (type == USERBPF_PROG_TYPE_XDP) {
		const struct userbpf_xdp_md *a = u->ctx_out, *b = k->ctx_out;

		if (a->data != b->data || a->data_end != b->data_end || a->ingress_ifindex != b->ingress_ifindex ||
		    a->rx_queue_index != b->rx_queue_index)
			snprintf(out, size, "xdp_md out: userbpf data %u data_end %u ifindex %u queue %u, kernel %u %u %u %u",
				 a->data, a->data_end, a->ingress_ifindex, a->rx_queue_index, b->data, b->data_end,
				 b->ingress_ifindex, b->rx_queue_index);
		return;
	}
	const struct userbpf_sk_buff *a = u->ctx_out, *b = k->ctx_out;

	if (a->mark != b->mark || a->priority != b->priority || memcmp(a->cb, b->cb, sizeof(a->cb)) ||
	    a->tstamp != b->tstamp || a->ifindex != b->ifindex)
		snprintf(out, size,
			 "__sk_buff out: userbpf mark %u priority %u cb0 %u ifindex %u tstamp %llu, kernel %u %u %u %u "
			 "%llu",
			 a->mark, a->priority, a->cb[0], a->ifindex, (unsigned long long)a->tstamp, b->mark,
			 b->priority, b->cb[0], b->ifindex, (unsigned long long)b->tstamp);
}

/* Run `capture` through example `name` on both sides; every difference fails the case. */
static void diff_example(const char *name, const char *capture, enum userbpf_exec exec)
{
	const struct ex_setup *ex = ex_setup_find(name);
	char path[1024], err[512] = "", uerr[512], kerr[512], diff[512], skipped[512];
	struct net_capture cap;
	struct pair p;
	size_t reports = 0, ran = 0, counts[5] = {0};

	snprintf(path, sizeof(path), "%s/examples/%s.pcap", build_dir(), capture);
	if (net_capture_load(path, &cap, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		CHECK(0);
		return;
	}
	if (pair_open(&p, name, exec)) {
		CHECK(0);
		goto out;
	}
	CHECK(cap.n > 0);
	for (size_t i = 0; i < cap.n; i++) {
		const struct userbpf_pkt *pk = &cap.pkts[i];
		struct userbpf_pkt_result u, k;
		char what[512] = "";
		int ue, ke;

		uerr[0] = kerr[0] = 0;
		ue = userbpf_pktrun__run(p.run, pk->data, pk->len, &pk->meta, &u, uerr, sizeof(uerr));
		ke = userbpf_kpktrun__run(p.krun, pk->data, pk->len, &pk->meta, &k, kerr, sizeof(kerr));
		if (ue || ke) {
			if (ue != ke)
				snprintf(what, sizeof(what), "userbpf returned %d (%s), the kernel %d (%s)", ue, uerr,
					 ke, kerr);
		} else if ((uint32_t)u.retval != (uint32_t)k.retval || u.action != k.action) {
			snprintf(what, sizeof(what), "userbpf %s (%u), kernel %s (%u)",
				 userbpf_pkt_action_name(u.action), (uint32_t)u.retval,
				 userbpf_pkt_action_name(k.action), (uint32_t)k.retval);
		} else if (u.len != k.len || (u.len && memcmp(u.data, k.data, u.len))) {
			uint32_t off = 0;

			while (off < u.len && off < k.len && u.data[off] == k.data[off])
				off++;
			snprintf(what, sizeof(what), "output packet: userbpf %u bytes, kernel %u, first difference at byte %u",
				 u.len, k.len, off);
		} else {
			ctx_diff(p.prog_type, &u, &k, what, sizeof(what));
		}
		if (!ue && !ke) {
			ran++;
			if ((unsigned)u.action < 5)
				counts[u.action]++;
		}
		if (what[0]) {
			if (reports++ < MAX_REPORTS)
				fprintf(stderr, "%s on %s.pcap (%s): packet %zu of %zu: %s\n", name, capture,
					exec == USERBPF_EXEC_FAST ? "fast" : "checked", i + 1, cap.n, what);
			test_failed_now = 1;
		}
	}
	if (reports > MAX_REPORTS)
		fprintf(stderr, "%s: %zu packets differed in all\n", name, reports);
	/* The capture really ran: at least one packet on both sides without error. */
	CHECK(ran > 0);

	struct userbpf_kcompare_opts co = USERBPF_OPTS_INIT(
	    userbpf_kcompare_opts, .mask = ex ? ex->mask : NULL, .diff_buf = diff, .diff_size = sizeof(diff),
	    .skipped_buf = skipped, .skipped_size = sizeof(skipped));
	int rc = userbpf_kobject__compare_maps(p.kobj, p.obj, &co);

	if (rc)
		fprintf(stderr, "%s on %s.pcap (%s): maps: %s\n", name, capture,
			exec == USERBPF_EXEC_FAST ? "fast" : "checked", diff);
	CHECK_EQ_INT(rc, 0);
	CHECK(co.entries > 0);
	fprintf(stderr, "%s on %s.pcap (%s): %zu packets (%zu aborted, %zu drop, %zu pass, %zu tx, %zu redirect), "
			"%llu map entries the same%s%s\n",
		name, capture, exec == USERBPF_EXEC_FAST ? "fast" : "checked", cap.n, counts[0], counts[1], counts[2],
		counts[3], counts[4], (unsigned long long)co.entries, skipped[0] ? "; not compared: " : "", skipped);
out:
	pair_close(&p);
	net_capture_free(&cap);
}

static bool need_example(const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/examples/%s.o", build_dir(), name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "SKIP: %s missing (no clang-19 to build examples/?)\n", path);
		test_skipped_now = 1;
		return false;
	}
	fclose(f);
	return true;
}

#define DIFF_CASE(NAME, CAPTURE)                                                                             \
	TEST(NAME##_on_##CAPTURE)                                                                            \
	{                                                                                                    \
		NEED_KERNEL();                                                                               \
		if (!need_example(#NAME))                                                                    \
			return;                                                                              \
		diff_example(#NAME, #CAPTURE, USERBPF_EXEC_CHECKED);                                         \
		diff_example(#NAME, #CAPTURE, USERBPF_EXEC_FAST);                                            \
	}

DIFF_CASE(xdp_proto_count, xdp_proto_count)
DIFF_CASE(flows, flows)
DIFF_CASE(firewall, firewall)
DIFF_CASE(synflood, synflood)
DIFF_CASE(dns, dns)
DIFF_CASE(tc_rewrite, tc_rewrite)
DIFF_CASE(dispatch, dispatch)
/* The bigger mixed capture (4,000 packets, 240 flows) through the flow accounting and the firewall. */
DIFF_CASE(flows, monitor)
DIFF_CASE(firewall, monitor)
DIFF_CASE(xdp_proto_count, monitor)

/* Every example of examples/ has a case here. */
TEST(every_example_is_compared)
{
	static const char *const covered[] = {"xdp_proto_count", "flows", "firewall", "synflood",
					      "dns", "tc_rewrite", "dispatch"};
	const char *names[64];
	char dir[1024];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/examples", build_dir());
	n = ex_list(dir, names, 64);
	if (!n)
		SKIP("no example objects with captures in %s", dir);
	for (size_t i = 0; i < n; i++) {
		bool found = !strcmp(names[i], "monitor"); /* a capture only */

		for (size_t j = 0; j < sizeof(covered) / sizeof(covered[0]); j++)
			found |= !strcmp(names[i], covered[j]);
		if (!found)
			fprintf(stderr, "example %s has no case in diff_examples.c\n", names[i]);
		CHECK(found);
		CHECK(ex_setup_find(names[i]) || !strcmp(names[i], "monitor"));
		free((void *)names[i]);
	}
	CHECK_EQ_INT(n, 7);
}
