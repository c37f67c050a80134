/*
 * diff_filter.c - tcpdump filters translated to eBPF, written as objects and loaded into the Linux
 * kernel: for every test expression (filter_util.c), type xdp and tc, the object written by
 * userbpf_object_write() is opened by userbpf's loader, loaded by the kernel backend, and run with
 * BPF_PROG_TEST_RUN on every generated packet; the kernel's return value must be the verdict
 * libpcap's pcap_offline_filter gives, and the one userbpf gives running the same object (object
 * loader, packet runner, checked engine).
 *
 * The kernel's test run refuses frames shorter than an Ethernet header, so those are left to the
 * unit test (test_filter_pcap). XDP has no wire length: libpcap is asked with len = caplen for XDP;
 * TC passes the wire length in ctx_in (__sk_buff wire_len), which the program's `len` reads.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter_util.h"
#include "pktgen.h"
#include "test.h"
#include "userbpf/cbpf.h"
#include "userbpf/kernel.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

#define NR_PKTS 1500
#define SEED 0x5eed0f11u

#define XDP_DROP 1
#define XDP_PASS 2
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		char why_[256];                                                                              \
		if (!userbpf_kernel_available(why_, sizeof(why_)))                                           \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

static struct pktgen_pkt *pkts(void)
{
	static struct pktgen_pkt *p;
	if (!p)
		p = pktgen_make(SEED, NR_PKTS);
	return p;
}

/* One expression as one type: translate, write, open, load in the kernel, compare every packet. */
static int run_expr(const char *expr, unsigned int type, const char *sec, uint64_t *compared, uint64_t *refused)
{
	struct filter_prog fp;
	char err[512];
	char path[] = "/tmp/userbpf_filterXXXXXX";
	int fails = 0;
	if (filter_compile(expr, &fp, err, sizeof(err))) {
		fprintf(stderr, "'%s': pcap_compile: %s\n", expr, err);
		return 1;
	}
	struct userbpf_insn *insns = NULL;
	size_t n = 0;
	struct userbpf_cbpf_opts copts = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = type, .err_buf = err,
							 .err_size = sizeof(err));
	if (userbpf_cbpf_translate(fp.insns, fp.cnt, &copts, &insns, &n)) {
		fprintf(stderr, "'%s' %s: translate: %s\n", expr, sec, err);
		filter_free(&fp);
		return 1;
	}
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	struct userbpf_object_write_opts wopts = USERBPF_OPTS_INIT(userbpf_object_write_opts, .err_buf = err,
								   .err_size = sizeof(err));
	struct userbpf_object *obj = NULL;
	struct userbpf_kobject *k = NULL;
	struct userbpf_pktrun *urun = NULL;
	if (userbpf_object_write(path, "filter", sec, insns, n, &wopts)) {
		fprintf(stderr, "'%s' %s: write: %s\n", expr, sec, err);
		fails++;
		goto out;
	}
	struct userbpf_object_open_opts oo = USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = err,
							       .log_size = sizeof(err));
	obj = userbpf_object__open_file(path, &oo);
	if (!obj) {
		fprintf(stderr, "'%s' %s: open: %s\n", expr, sec, err);
		fails++;
		goto out;
	}
	struct userbpf_kobject_opts ko = USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = err,
							   .log_size = sizeof(err));
	k = userbpf_kobject__load(obj, &ko);
	if (!k) {
		fprintf(stderr, "'%s' %s: kernel load: %s\n", expr, sec, err);
		fails++;
		goto out;
	}
	/* The same object in userbpf: loaded by the object loader, run by the runner's checked engine. */
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(userbpf_object_load_opts, .log_buf = err,
							       .log_size = sizeof(err));
	if (userbpf_object__load(obj, &lo)) {
		fprintf(stderr, "'%s' %s: userbpf load: %s\n", expr, sec, err);
		fails++;
		goto out;
	}
	struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .exec = USERBPF_EXEC_CHECKED,
							  .err_buf = err, .err_size = sizeof(err));
	urun = userbpf_pktrun__new(userbpf_program__prog(userbpf_object__find_program_by_name(obj, "filter")), &ro);
	if (!urun) {
		fprintf(stderr, "'%s' %s: userbpf runner: %s\n", expr, sec, err);
		fails++;
		goto out;
	}
	const struct pktgen_pkt *p = pkts();
	for (size_t i = 0; i < NR_PKTS && fails < 5; i++) {
		if (p[i].caplen < 14)
			continue;
		uint32_t wire = type == USERBPF_PROG_TYPE_XDP ? p[i].caplen : p[i].wirelen;
		int want = filter_ref(&fp, p[i].data, p[i].caplen, wire) != 0;
		struct userbpf_sk_buff skb = {.wire_len = p[i].wirelen};
		struct userbpf_ktest_run_opts r = USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .data_in = p[i].data,
								    .data_size_in = p[i].caplen, .err_buf = err,
								    .err_size = sizeof(err));
		if (type == USERBPF_PROG_TYPE_SCHED_CLS) {
			r.ctx_in = &skb;
			r.ctx_size_in = sizeof(skb);
		}
		int rc = userbpf_kobject__test_run(k, "filter", &r);
		if (rc == -EINVAL && type == USERBPF_PROG_TYPE_SCHED_CLS) {
			/* The kernel's skb test run refuses frames whose IPv4/IPv6 header is cut short. */
			(*refused)++;
			continue;
		}
		if (rc) {
			fprintf(stderr, "'%s' %s packet %zu: test run: %s\n", expr, sec, i, err);
			fails++;
			continue;
		}
		uint32_t pass = type == USERBPF_PROG_TYPE_XDP ? XDP_PASS : TC_ACT_OK;
		uint32_t drop = type == USERBPF_PROG_TYPE_XDP ? XDP_DROP : TC_ACT_SHOT;
		uint32_t expect = want ? pass : drop;
		struct userbpf_pkt_meta meta = {.wire_len = p[i].wirelen};
		struct userbpf_pkt_result ures;
		rc = userbpf_pktrun__run(urun, p[i].data, p[i].caplen, &meta, &ures, err, sizeof(err));
		if (r.retval != expect || rc || ures.retval != r.retval) {
			fprintf(stderr, "'%s' %s packet %zu (caplen %u wirelen %u): kernel %u, userbpf %d/%" PRIu64
					", libpcap %s\n",
				expr, sec, i, p[i].caplen, p[i].wirelen, r.retval, rc, ures.retval,
				want ? "match" : "no match");
			fails++;
		}
		(*compared)++;
	}
out:
	userbpf_pktrun__free(urun);
	userbpf_kobject__close(k);
	userbpf_object__close(obj);
	unlink(path);
	free(insns);
	filter_free(&fp);
	return fails;
}

static void run_all(unsigned int type, const char *sec)
{
	uint64_t compared = 0, refused = 0;
	int bad = 0;
	for (size_t e = 0; e < filter_nr_exprs; e++) {
		int f = run_expr(filter_exprs[e], type, sec, &compared, &refused);
		if (f)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* Only the few frames with a cut-short IP header may be refused (about 3% of them). */
	CHECK(refused * 10 < compared);
	fprintf(stderr, "%s: %zu expressions: %" PRIu64 " kernel verdicts equal to libpcap's (%" PRIu64
		" runs of frames with a cut-short IP header refused by the kernel's test run), and to userbpf's\n",
		sec, filter_nr_exprs, compared, refused);
}

TEST(kernel_filter_xdp)
{
	NEED_KERNEL();
	CHECK(pkts() != NULL);
	run_all(USERBPF_PROG_TYPE_XDP, "xdp");
}

TEST(kernel_filter_tc)
{
	NEED_KERNEL();
	CHECK(pkts() != NULL);
	run_all(USERBPF_PROG_TYPE_SCHED_CLS, "tc");
}

/* The written object is an ordinary BPF object: libbpf opens it and the kernel loads it from there. */
TEST(libbpf_loads_written_object)
{
	NEED_KERNEL();
	static const struct {
		const char *sec;
		unsigned int type;
		enum bpf_prog_type ktype;
	} kinds[] = {{"xdp", USERBPF_PROG_TYPE_XDP, BPF_PROG_TYPE_XDP},
		     {"tc", USERBPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_CLS}};
	const struct pktgen_pkt *p = pkts();
	CHECK(p != NULL);
	for (size_t t = 0; p && t < 2; t++) {
		struct filter_prog fp;
		char err[256], path[] = "/tmp/userbpf_filter_libbpfXXXXXX";
		CHECK_EQ_INT(filter_compile("udp port 53 and not src net 10.0.0.0/8", &fp, err, sizeof(err)), 0);
		struct userbpf_insn *insns = NULL;
		size_t n = 0;
		struct userbpf_cbpf_opts co = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = kinds[t].type);
		CHECK_EQ_INT(userbpf_cbpf_translate(fp.insns, fp.cnt, &co, &insns, &n), 0);
		int fd = mkstemp(path);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_EQ_INT(userbpf_object_write(path, "filter", kinds[t].sec, insns, n, NULL), 0);
		struct bpf_object *bo = bpf_object__open_file(path, NULL);
		CHECK(bo != NULL);
		if (bo) {
			CHECK_EQ_INT(bpf_object__load(bo), 0);
			struct bpf_program *bp = bpf_object__find_program_by_name(bo, "filter");
			CHECK(bp != NULL);
			CHECK(bp && bpf_program__type(bp) == kinds[t].ktype);
			int pfd = bp ? bpf_program__fd(bp) : -1;
			size_t runs = 0, matches = 0;
			for (size_t i = 0; pfd >= 0 && i < NR_PKTS; i++) {
				if (p[i].caplen < 14 || p[i].caplen != p[i].wirelen)
					continue;
				LIBBPF_OPTS(bpf_test_run_opts, r, .data_in = p[i].data, .data_size_in = p[i].caplen);
				int rc = bpf_prog_test_run_opts(pfd, &r);
				if (rc == -EINVAL && kinds[t].type == USERBPF_PROG_TYPE_SCHED_CLS)
					continue; /* a cut-short IP header, refused by the skb test run */
				CHECK_EQ_INT(rc, 0);
				int want = filter_ref(&fp, p[i].data, p[i].caplen, p[i].wirelen) != 0;
				uint32_t expect = kinds[t].type == USERBPF_PROG_TYPE_XDP ? (want ? XDP_PASS : XDP_DROP)
											   : (want ? TC_ACT_OK : TC_ACT_SHOT);
				CHECK_EQ_U64(r.retval, expect);
				runs++;
				matches += want;
			}
			CHECK(runs > NR_PKTS / 2);
			CHECK(matches > 0);
			bpf_object__close(bo);
		}
		unlink(path);
		free(insns);
		filter_free(&fp);
	}
}

/*
 * Socket filters: the kernel's test run shows them the packet from its network header, unlike a
 * packet socket (and libpcap), so their verdicts are not compared here; the kernel must still
 * verify and load every expression's translation (legacy LD_ABS/LD_IND, ctx loads).
 */
TEST(kernel_filter_socket_loads)
{
	NEED_KERNEL();
	size_t loaded = 0;
	for (size_t e = 0; e < filter_nr_exprs; e++) {
		struct filter_prog fp;
		char err[512], path[] = "/tmp/userbpf_filter_sockXXXXXX";
		if (filter_compile(filter_exprs[e], &fp, err, sizeof(err))) {
			CHECK(0);
			continue;
		}
		struct userbpf_insn *insns = NULL;
		size_t n = 0;
		struct userbpf_cbpf_opts co = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = USERBPF_PROG_TYPE_SOCKET_FILTER);
		CHECK_EQ_INT(userbpf_cbpf_translate(fp.insns, fp.cnt, &co, &insns, &n), 0);
		int fd = mkstemp(path);
		if (fd >= 0)
			close(fd);
		if (insns && fd >= 0 && userbpf_object_write(path, "filter", "socket", insns, n, NULL) == 0) {
			struct userbpf_object *obj = userbpf_object__open_file(path, NULL);
			struct userbpf_kobject_opts ko = USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = err,
									   .log_size = sizeof(err));
			struct userbpf_kobject *k = obj ? userbpf_kobject__load(obj, &ko) : NULL;
			if (!k)
				fprintf(stderr, "'%s' socket: kernel load: %s\n", filter_exprs[e], err);
			loaded += k != NULL;
			userbpf_kobject__close(k);
			userbpf_object__close(obj);
		}
		unlink(path);
		free(insns);
		filter_free(&fp);
	}
	CHECK_EQ_INT(loaded, filter_nr_exprs);
}
