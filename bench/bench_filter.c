/*
 * bench_filter.c - tcpdump filters: userbpf's translation to eBPF against libpcap's own classic
 * interpreter on the same packets held in memory.
 *
 * For each expression (compiled by libpcap for Ethernet, snaplen 262144, optimized, as `userbpf
 * filter` does), over the same 4,096 generated frames (tests/unit/pktgen.c, seed fixed; frames of
 * 14 bytes or more, so the packet runner takes every one):
 *
 *   bpf_filter  libpcap's classic interpreter, bpf_filter(insns, pkt, wirelen, caplen)
 *   direct      the XDP translation run by userbpf's fast interpreter (loaded with its type and
 *               USERBPF_PROG_F_TRUSTED) on contexts prepared beforehand, one per frame: the
 *               engine against the engine
 *   runner      the same program through the packet runner (userbpf_pktrun__run), which copies
 *               each frame into its XDP buffer and builds the context: what `userbpf filter -r`
 *               pays per packet
 *
 * Each cell is the median ns per packet of rounds over all frames (CLOCK_MONOTONIC, or the
 * thread's CPU clock with --cpu-time), about -t SECONDS per cell in 3 rounds that take turns over
 * the engines. Every run's verdict is checked against bpf_filter's; a difference fails the run.
 *
 * usage: bench_filter [--json] [--cpu-time] [-t SECONDS_PER_CELL]
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pktgen.h"
#include "progs/progs.h"
#include "userbpf/cbpf.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

#define NR_PKTS 4096
#define SEED 0xbe7cf11eull
#define ROUNDS 3
#define MAX_SAMPLES 4096

static const char *const exprs[] = {
	"", /* accept everything: one classic return; the floor of each engine's per-packet cost */
	"ip",
	"tcp port 80",
	"udp port 53 and not src net 10.0.0.0/8",
	"vlan and ip",
	"tcp[tcpflags] & tcp-syn != 0",
	"ip6 and tcp port 80",
	"host 10.0.0.1 and (tcp or icmp)",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
};
#define NR_EXPRS (sizeof(exprs) / sizeof(exprs[0]))

enum { ENG_PCAP, ENG_DIRECT, ENG_RUNNER, NR_ENG };
static const char *const eng_names[NR_ENG] = {"bpf_filter", "direct", "runner"};

static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now(void)
{
	struct timespec ts;
	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct work {
	struct pktgen_pkt *pkts;
	size_t n;
	struct bpf_program bp;
	struct userbpf_prog *prog;
	struct userbpf_pktrun *run;
	struct progs_xdp_ctx *ctx;
	uint8_t *want; /* bpf_filter's verdict per frame */
	size_t ebpf_insns;
};

/* One pass over every frame with engine `e`; the number of verdicts that differ from bpf_filter's. */
static size_t pass(struct work *w, int e, size_t *matches)
{
	size_t bad = 0, m = 0;
	switch (e) {
	case ENG_PCAP:
		for (size_t i = 0; i < w->n; i++) {
			u_int r = bpf_filter(w->bp.bf_insns, w->pkts[i].data, w->pkts[i].wirelen, w->pkts[i].caplen);
			m += r != 0;
		}
		break;
	case ENG_DIRECT: {
		struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx_size = sizeof(*w->ctx),
							     .exec = USERBPF_EXEC_FAST);
		for (size_t i = 0; i < w->n; i++) {
			ro.ctx = &w->ctx[i];
			userbpf_prog__run(w->prog, &ro);
			bool v = ro.retval == 2; /* XDP_PASS */
			m += v;
			bad += v != w->want[i];
		}
		break;
	}
	case ENG_RUNNER:
		for (size_t i = 0; i < w->n; i++) {
			struct userbpf_pkt_result res;
			struct userbpf_pkt_meta meta = {.wire_len = w->pkts[i].wirelen};
			userbpf_pktrun__run(w->run, w->pkts[i].data, w->pkts[i].caplen, &meta, &res, NULL, 0);
			bool v = res.action == USERBPF_PKT_PASS;
			m += v;
			bad += v != w->want[i];
		}
		break;
	}
	if (matches)
		*matches = m;
	return bad;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int setup(struct work *w, const char *expr)
{
	char err[512];
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	if (!p || pcap_compile(p, &w->bp, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		fprintf(stderr, "bench_filter: '%s': %s\n", expr, p ? pcap_geterr(p) : "out of memory");
		if (p)
			pcap_close(p);
		return -EINVAL;
	}
	pcap_close(p);
	struct userbpf_insn *insns;
	size_t n;
	struct userbpf_cbpf_opts co = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = USERBPF_PROG_TYPE_XDP,
						      .err_buf = err, .err_size = sizeof(err));
	if (userbpf_cbpf_translate((const struct userbpf_cbpf_insn *)w->bp.bf_insns, w->bp.bf_len, &co, &insns, &n)) {
		fprintf(stderr, "bench_filter: '%s': %s\n", expr, err);
		return -EINVAL;
	}
	w->ebpf_insns = n;
	struct userbpf_prog_opts po = USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = err, .log_size = sizeof(err),
						      .prog_type = USERBPF_PROG_TYPE_XDP,
						      .flags = USERBPF_PROG_F_TRUSTED);
	w->prog = userbpf_prog__load(insns, n, &po);
	free(insns);
	if (!w->prog) {
		fprintf(stderr, "bench_filter: '%s': load: %s\n", expr, err);
		return -EINVAL;
	}
	struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .exec = USERBPF_EXEC_FAST,
							  .err_buf = err, .err_size = sizeof(err));
	w->run = userbpf_pktrun__new(w->prog, &ro);
	if (!w->run) {
		fprintf(stderr, "bench_filter: runner: %s\n", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < w->n; i++) {
		struct progs_xdp_ctx *c = &w->ctx[i];
		memset(c, 0, sizeof(*c));
		c->data = c->data_meta = (uint64_t)(uintptr_t)w->pkts[i].data;
		c->data_end = c->data + w->pkts[i].caplen;
		c->md.ingress_ifindex = 1;
		/* XDP has no wire length: libpcap's reference for it uses len = caplen, as the CLI does. */
		w->want[i] = bpf_filter(w->bp.bf_insns, w->pkts[i].data, w->pkts[i].caplen, w->pkts[i].caplen) != 0;
	}
	return 0;
}

static void teardown(struct work *w)
{
	userbpf_pktrun__free(w->run);
	userbpf_prog__free(w->prog);
	pcap_freecode(&w->bp);
	w->run = NULL;
	w->prog = NULL;
}

int main(int argc, char **argv)
{
	bool json = false;
	double secs = 0.3;
	static const struct option lopts[] = {{"json", no_argument, NULL, 'j'},
					      {"cpu-time", no_argument, NULL, 'c'},
					      {NULL, 0, NULL, 0}};
	for (int c; (c = getopt_long(argc, argv, "jct:", lopts, NULL)) != -1;) {
		if (c == 'j') {
			json = true;
		} else if (c == 'c') {
			bench_clock = CLOCK_THREAD_CPUTIME_ID;
		} else if (c == 't') {
			secs = atof(optarg);
			if (secs <= 0) {
				fprintf(stderr, "bench_filter: -t wants a positive number of seconds\n");
				return 2;
			}
		} else {
			fprintf(stderr, "usage: bench_filter [--json] [--cpu-time] [-t SECONDS_PER_CELL]\n");
			return 2;
		}
	}
	struct work w = {0};
	/* Frames the runner takes (>= 14 bytes), all from the same seeded sequence. */
	w.pkts = malloc(NR_PKTS * sizeof(*w.pkts));
	w.ctx = calloc(NR_PKTS, sizeof(*w.ctx));
	w.want = calloc(NR_PKTS, 1);
	if (!w.pkts || !w.ctx || !w.want) {
		fprintf(stderr, "bench_filter: out of memory\n");
		return 1;
	}
	uint64_t seed = SEED;
	while (w.n < NR_PKTS) {
		pktgen_next(&seed, &w.pkts[w.n]);
		if (w.pkts[w.n].caplen >= 14)
			w.n++;
	}
	if (!json) {
		printf("tcpdump filters over %zu generated frames in memory: ns per packet (median), Mpps\n", w.n);
		printf("%-46s %5s %5s %7s | %10s %10s %10s | %6s %6s %6s | %7s\n", "expression", "cbpf", "ebpf", "matched",
		       "bpf_filter", "direct", "runner", "Mpps", "Mpps", "Mpps", "direct/");
		printf("%-46s %5s %5s %7s | %10s %10s %10s | %6s %6s %6s | %7s\n", "", "insns", "insns", "", "ns", "ns",
		       "ns", "pcap", "direct", "runner", "pcap");
	}
	int failed = 0;
	for (size_t e = 0; e < NR_EXPRS; e++) {
		if (setup(&w, exprs[e])) {
			failed = 1;
			teardown(&w);
			continue;
		}
		static double samples[NR_ENG][MAX_SAMPLES];
		size_t ns_cnt[NR_ENG] = {0};
		size_t matched = 0;
		/* Warm up, and check every engine's verdicts once. */
		for (int g = 0; g < NR_ENG; g++) {
			size_t m = 0, bad = pass(&w, g, &m);
			if (bad) {
				fprintf(stderr, "FAIL: '%s': %s disagrees with bpf_filter on %zu frames\n", exprs[e],
					eng_names[g], bad);
				failed = 1;
			}
			if (g == ENG_DIRECT)
				matched = m;
		}
		for (int r = 0; r < ROUNDS; r++) {
			for (int g = 0; g < NR_ENG; g++) {
				double end = now() + secs * 1e9 / ROUNDS;
				while (ns_cnt[g] < MAX_SAMPLES) {
					double t0 = now();
					size_t bad = pass(&w, g, NULL);
					double t1 = now();
					if (bad) {
						fprintf(stderr, "FAIL: '%s': %s disagrees with bpf_filter\n", exprs[e],
							eng_names[g]);
						failed = 1;
					}
					samples[g][ns_cnt[g]++] = (t1 - t0) / (double)w.n;
					if (t1 > end)
						break;
				}
			}
		}
		double med[NR_ENG];
		for (int g = 0; g < NR_ENG; g++) {
			qsort(samples[g], ns_cnt[g], sizeof(double), cmp_double);
			med[g] = samples[g][ns_cnt[g] / 2];
		}
		if (json) {
			printf("{\"expr\":\"%s\",\"cbpf_insns\":%u,\"ebpf_insns\":%zu,\"packets\":%zu,\"matched\":%zu",
			       exprs[e], w.bp.bf_len, w.ebpf_insns, w.n, matched);
			for (int g = 0; g < NR_ENG; g++)
				printf(",\"%s_ns\":%.2f,\"%s_mpps\":%.2f", eng_names[g], med[g], eng_names[g], 1e3 / med[g]);
			printf("}\n");
		} else {
			printf("%-46s %5u %5zu %7zu | %10.1f %10.1f %10.1f | %6.1f %6.1f %6.1f | %7.2f\n",
			       exprs[e][0] ? exprs[e] : "'' (accept all)",
			       w.bp.bf_len, w.ebpf_insns, matched, med[ENG_PCAP], med[ENG_DIRECT], med[ENG_RUNNER],
			       1e3 / med[ENG_PCAP], 1e3 / med[ENG_DIRECT], 1e3 / med[ENG_RUNNER],
			       med[ENG_DIRECT] / med[ENG_PCAP]);
		}
		teardown(&w);
	}
	free(w.pkts);
	free(w.ctx);
	free(w.want);
	return failed;
}
