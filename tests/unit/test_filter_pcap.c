/*
 * test_filter_pcap.c - tcpdump expressions (filter_util.c) compiled by libpcap, translated to eBPF
 * and run by userbpf on generated packets (pktgen.c: VLAN/QinQ, ARP, IPv4 with options and
 * fragments, IPv6 with extension headers, TCP/UDP/ICMP/ICMPv6/SCTP, truncated and short frames,
 * snap-length cuts): for every expression and every packet, userbpf's verdict must equal libpcap's
 * pcap_offline_filter.
 *
 *   - xdp and tc: through the packet runner (userbpf_pktrun), with the kernel's contexts and the
 *     load-time context rewrite; match = XDP_PASS / TC_ACT_OK. XDP has no wire length, so libpcap
 *     is given len = caplen for it; tc reads __sk_buff wire_len, set from the packet's wire length.
 *   - socket filter: run as a packet socket sees the frame (LD_ABS/LD_IND on the whole frame, `len`
 *     from __sk_buff len); the return value must be libpcap's exactly, not only non-zero.
 *
 * Also: the packets go through a pcap file (written with pcap_dump, read back with libpcap) first,
 * so what is compared is what a capture holds; and the expressions are not vacuous (most match some
 * packets and miss others).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter_util.h"
#include "pktgen.h"
#include "progs/progs.h"
#include "test.h"
#include "userbpf/cbpf.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

#define NR_PKTS 2000
#define SEED 0xf117e25eedull

struct cap {
	struct pcap_pkthdr *hdr;
	uint8_t **data;
	size_t n;
};

/* Generate the packets, write them as a pcap file, read the file back. */
static const struct cap *capture(void)
{
	static struct cap c;
	static int done;
	if (done)
		return c.n ? &c : NULL;
	done = 1;
	struct pktgen_pkt *p = pktgen_make(SEED, NR_PKTS);
	char path[] = "/tmp/userbpf_filter_pcapXXXXXX";
	int fd = mkstemp(path);
	if (!p || fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
	for (size_t i = 0; d && i < NR_PKTS; i++) {
		struct pcap_pkthdr h = {.ts = {.tv_sec = 1700000000 + (long)i, .tv_usec = (long)i},
					.caplen = p[i].caplen, .len = p[i].wirelen};
		pcap_dump((u_char *)d, &h, p[i].data);
	}
	if (d)
		pcap_dump_close(d);
	if (dead)
		pcap_close(dead);
	free(p);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(path, err);
	unlink(path);
	if (!in)
		return NULL;
	c.hdr = calloc(NR_PKTS, sizeof(*c.hdr));
	c.data = calloc(NR_PKTS, sizeof(*c.data));
	struct pcap_pkthdr *h;
	const u_char *bytes;
	while (c.hdr && c.data && c.n < NR_PKTS && pcap_next_ex(in, &h, &bytes) == 1) {
		c.hdr[c.n] = *h;
		c.data[c.n] = malloc(h->caplen ? h->caplen : 1);
		if (!c.data[c.n])
			break;
		memcpy(c.data[c.n], bytes, h->caplen);
		c.n++;
	}
	pcap_close(in);
	return c.n == NR_PKTS ? &c : NULL;
}

TEST(filter_capture_roundtrip)
{
	const struct cap *c = capture();
	CHECK(c != NULL);
	if (!c)
		return;
	/* The generator's spread: short frames, snap-length cuts, VLAN tags, IPv4 and IPv6. */
	size_t short_frames = 0, cut = 0, vlan = 0, v4 = 0, v6 = 0;
	for (size_t i = 0; i < c->n; i++) {
		const uint8_t *d = c->data[i];
		uint32_t len = c->hdr[i].caplen;
		short_frames += len < 14;
		cut += len < c->hdr[i].len;
		if (len >= 14) {
			uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
			vlan += et == 0x8100 || et == 0x88a8;
			v4 += et == 0x0800;
			v6 += et == 0x86dd;
		}
	}
	CHECK(short_frames > 20 && short_frames < 200);
	CHECK(cut > 20 && cut < 200);
	CHECK(vlan > 300);
	CHECK(v4 > 500);
	CHECK(v6 > 300);
}

/*
 * Frames shorter than an Ethernet header, which the runner (as the kernel's test run) refuses: run
 * directly with the context the runner builds, as `userbpf filter` does.
 */
static int run_short(const struct userbpf_prog *prog, unsigned int type, const uint8_t *data, uint32_t caplen,
		     uint32_t wirelen, struct userbpf_pkt_result *res)
{
	struct progs_xdp_ctx x = {0};
	struct progs_skb_ctx s = {0};
	uint64_t start = (uint64_t)(uintptr_t)data;
	bool xdp = type == USERBPF_PROG_TYPE_XDP;
	x.data = x.data_meta = s.data = s.data_meta = start;
	x.data_end = s.data_end = start + caplen;
	s.skb.len = caplen;
	s.skb.wire_len = wirelen;
	struct userbpf_region pkt = {.addr = (void *)data, .size = caplen, .writable = 0};
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = xdp ? (void *)&x : (void *)&s,
						     .ctx_size = xdp ? sizeof(x) : sizeof(s), .regions = &pkt,
						     .nr_regions = 1, .exec = USERBPF_EXEC_CHECKED);
	int rc = userbpf_prog__run(prog, &ro);
	memset(res, 0, sizeof(*res));
	res->retval = ro.retval;
	res->action = ro.retval == (xdp ? 2u : 0u)	 ? USERBPF_PKT_PASS
		      : ro.retval == (xdp ? 1u : 2u) ? USERBPF_PKT_DROP
						     : USERBPF_PKT_ABORTED;
	return rc;
}

/* userbpf's verdict (and, for socket filters, its return value) on every packet vs libpcap. */
static void check_type(unsigned int type)
{
	const struct cap *c = capture();
	CHECK(c != NULL);
	if (!c)
		return;
	uint64_t compared = 0;
	size_t mixed = 0, bad_exprs = 0;
	for (size_t e = 0; e < filter_nr_exprs; e++) {
		const char *expr = filter_exprs[e];
		struct filter_prog fp;
		char err[512];
		int fails = 0;
		size_t matches = 0;
		if (filter_compile(expr, &fp, err, sizeof(err))) {
			fprintf(stderr, "'%s': %s\n", expr, err);
			bad_exprs++;
			continue;
		}
		struct userbpf_insn *insns = NULL;
		size_t n = 0;
		struct userbpf_cbpf_opts co = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = type, .err_buf = err,
							      .err_size = sizeof(err));
		struct userbpf_prog *prog = NULL;
		struct userbpf_pktrun *run = NULL;
		if (userbpf_cbpf_translate(fp.insns, fp.cnt, &co, &insns, &n)) {
			fprintf(stderr, "'%s': translate: %s\n", expr, err);
			fails++;
			goto next;
		}
		bool sock = type == USERBPF_PROG_TYPE_SOCKET_FILTER;
		struct userbpf_prog_opts po = USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = err, .log_size = sizeof(err),
							      .prog_type = sock ? 0 : type,
							      .flags = USERBPF_PROG_F_TRUSTED);
		prog = userbpf_prog__load(insns, n, &po);
		if (!prog) {
			fprintf(stderr, "'%s': load: %s\n", expr, err);
			fails++;
			goto next;
		}
		if (!sock) {
			struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .exec = USERBPF_EXEC_FAST,
									  .err_buf = err, .err_size = sizeof(err));
			run = userbpf_pktrun__new(prog, &ro);
			if (!run) {
				fprintf(stderr, "'%s': runner: %s\n", expr, err);
				fails++;
				goto next;
			}
		}
		for (size_t i = 0; i < c->n && fails < 5; i++) {
			struct pcap_pkthdr h = c->hdr[i];
			if (type == USERBPF_PROG_TYPE_XDP)
				h.len = h.caplen;
			u_int want = pcap_offline_filter(fp.bpf, &h, c->data[i]);
			uint64_t got;
			bool match;
			int rc;
			if (sock) {
				struct userbpf_sk_buff skb = {.len = c->hdr[i].len};
				struct userbpf_run_opts ro = USERBPF_OPTS_INIT(
					userbpf_run_opts, .ctx = &skb, .ctx_size = sizeof(skb), .packet = c->data[i],
					.packet_size = c->hdr[i].caplen, .exec = USERBPF_EXEC_CHECKED);
				rc = userbpf_prog__run(prog, &ro);
				got = ro.retval;
				match = got == want;
			} else {
				struct userbpf_pkt_meta meta = {.wire_len = c->hdr[i].len};
				struct userbpf_pkt_result res;
				if (c->hdr[i].caplen < 14)
					rc = run_short(prog, type, c->data[i], c->hdr[i].caplen, c->hdr[i].len, &res);
				else
					rc = userbpf_pktrun__run(run, c->data[i], c->hdr[i].caplen, &meta, &res, err,
								 sizeof(err));
				got = res.retval;
				match = (res.action == USERBPF_PKT_PASS) == (want != 0) &&
					(res.action == USERBPF_PKT_PASS || res.action == USERBPF_PKT_DROP);
			}
			if (rc || !match) {
				fprintf(stderr, "'%s' packet %zu (caplen %u len %u): rc %d, userbpf %" PRIu64
						", libpcap %u\n",
					expr, i, c->hdr[i].caplen, c->hdr[i].len, rc, got, want);
				fails++;
			}
			matches += want != 0;
			compared++;
		}
		mixed += matches > 0 && matches < c->n;
next:
		bad_exprs += fails != 0;
		userbpf_pktrun__free(run);
		userbpf_prog__free(prog);
		free(insns);
		filter_free(&fp);
	}
	CHECK_EQ_INT(bad_exprs, 0);
	CHECK_EQ_U64(compared, (uint64_t)filter_nr_exprs * NR_PKTS);
	CHECK(filter_nr_exprs >= 60);
	/* Only "" (everything) and a couple of rare combinations may match all or nothing. */
	CHECK(mixed + 4 >= filter_nr_exprs);
	fprintf(stderr, "%s: %zu expressions x %d packets = %" PRIu64 " verdicts equal to libpcap's (%zu "
			"expressions match some packets and miss others)\n",
		type == USERBPF_PROG_TYPE_XDP ? "xdp" : type == USERBPF_PROG_TYPE_SCHED_CLS ? "tc" : "socket",
		filter_nr_exprs, NR_PKTS, compared, mixed);
}

TEST(filter_xdp_vs_libpcap)
{
	check_type(USERBPF_PROG_TYPE_XDP);
}

TEST(filter_tc_vs_libpcap)
{
	check_type(USERBPF_PROG_TYPE_SCHED_CLS);
}

TEST(filter_socket_vs_libpcap)
{
	check_type(USERBPF_PROG_TYPE_SOCKET_FILTER);
}

TEST(filter_bad_expression_message)
{
	struct filter_prog fp;
	char err[512];
	CHECK_EQ_INT(filter_compile("tcp port", &fp, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "syntax error");
	CHECK_EQ_INT(filter_compile("host nosuchhost.invalid.", &fp, err, sizeof(err)), -EINVAL);
	/* protochain compiles to a loop, which the translation refuses by name. */
	CHECK_EQ_INT(filter_compile("ip6 protochain 6", &fp, err, sizeof(err)), 0);
	struct userbpf_insn *insns = NULL;
	size_t n = 0;
	struct userbpf_cbpf_opts co = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .err_buf = err, .err_size = sizeof(err));
	CHECK_EQ_INT(userbpf_cbpf_translate(fp.insns, fp.cnt, &co, &insns, &n), -EINVAL);
	CHECK_CONTAINS(err, "jump backwards");
	CHECK_CONTAINS(err, "protochain");
	filter_free(&fp);
}
