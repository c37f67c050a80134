/*
 * test_examples_run.c - every example program run on its capture, in userbpf (object loader, packet
 * runner; checked and default engines) and in the Linux kernel (BPF_PROG_TEST_RUN), with exact
 * verdicts, map contents, ring buffer records and output packets checked against what the capture's packet
 * descriptions (examples/gen/gen.h) imply under the rules the example's header states. The models
 * below read only those descriptions, never the packet bytes or a run's results.
 */
#include <arpa/inet.h>

#include "examples_util.h"
#include "net/net.h"

#include "../../examples/dispatch.h"
#include "../../examples/dns.h"
#include "../../examples/firewall.h"
#include "../../examples/flows.h"
#include "../../examples/synflood.h"
#include "../../examples/tc_rewrite.h"
#include "../../examples/xdp_proto_count.h"

/* A capture file read with the project's reader (src/net, libpcap), checked to be the generator's
 * packet list (test_examples.c compares the bytes in depth); gen holds the packets' descriptions. */
struct ex_capture {
	struct gen_capture gen;
	struct net_capture net;
	size_t n;
};

static bool load_capture(const char *name, struct ex_capture *c)
{
	char err[256];
	bool same = true;

	memset(c, 0, sizeof(*c));
	if (net_capture_load(example_path(name, "pcap"), &c->net, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return false;
	}
	if (gen_capture_build(name, &c->gen) || c->net.n != c->gen.n) {
		fprintf(stderr, "%s: capture is not the generator's\n", name);
		return false;
	}
	c->n = c->net.n;
	for (size_t i = 0; i < c->n; i++)
		same &= c->net.pkts[i].len == c->gen.pkts[i].len &&
			!memcmp(c->net.pkts[i].data, c->gen.pkts[i].data, c->gen.pkts[i].len);
	return same;
}

static void free_capture(struct ex_capture *c)
{
	gen_capture_free(&c->gen);
	net_capture_free(&c->net);
}

/* Runs every packet; actions[i] gets each packet's action. false if a run failed. */
static bool run_all(struct ex_run *r, struct ex_capture *c, enum userbpf_pkt_action *actions)
{
	bool ok = true;

	for (size_t i = 0; i < c->n; i++) {
		struct userbpf_pkt_result res;

		if (ex_pkt(r, c->net.pkts[i].data, c->net.pkts[i].len, &res)) {
			ok = false;
			actions[i] = USERBPF_PKT_ABORTED;
			continue;
		}
		actions[i] = res.action;
	}
	return ok;
}

static bool is_ip_ok(const struct gen_pkt *g)
{
	/* What parse_ip() accepts: IPv4/IPv6 whose network headers are whole (the transport may not be). */
	return g->family && g->defect != GEN_TOO_MANY_EXT && g->defect != GEN_BAD_IHL;
}

static bool has_l4(const struct gen_pkt *g)
{
	return is_ip_ok(g) && !g->later_frag && g->defect != GEN_TRUNC_L4;
}

/* Runs a test body on every backend: userbpf's checked engine, its default engine, the kernel. */
#define EVERYWHERE(NAME)                                                                                     \
	static void NAME(enum ex_backend be);                                                                \
	TEST(NAME##_checked)                                                                                 \
	{                                                                                                    \
		NAME(EX_CHECKED);                                                                            \
	}                                                                                                    \
	TEST(NAME##_default)                                                                                 \
	{                                                                                                    \
		NAME(EX_DEFAULT);                                                                            \
	}                                                                                                    \
	TEST(NAME##_kernel)                                                                                  \
	{                                                                                                    \
		NAME(EX_KERNEL);                                                                             \
	}

/* ---------------------------------------------------------------------------------------------- */
/* xdp_proto_count                                                                                 */

static void proto_count_on(enum ex_backend be, const char *capture)
{
	struct pc_stats want[PC_MAX] = {{0}}, got;
	struct ex_capture c;
	struct ex_run r;
	enum userbpf_pkt_action *act;

	NEED_BACKEND("xdp_proto_count", be);
	CHECK(load_capture(capture, &c));
	act = calloc(c.n + 1, sizeof(*act));
	CHECK_EQ_INT(ex_open(&r, "xdp_proto_count", "proto_count_xdp", be, NULL, 0), 0);
	if (!r.obj)
		goto out;
	CHECK(run_all(&r, &c, act));
	for (size_t i = 0; i < c.gen.n; i++) {
		const struct gen_pkt *g = &c.gen.pkts[i];
		int cls = g->ethertype == GEN_ETH_IPV4	 ? PC_IPV4
			  : g->ethertype == GEN_ETH_IPV6 ? PC_IPV6
			  : g->ethertype == GEN_ETH_ARP	 ? PC_ARP
							 : PC_OTHER;
		int l4 = -1;

		CHECK_EQ_INT(act[i], USERBPF_PKT_PASS);
		want[cls].packets++;
		want[cls].bytes += g->len;
		if (has_l4(g)) {
			if (g->proto == GEN_IPPROTO_TCP)
				l4 = PC_TCP;
			else if (g->proto == GEN_IPPROTO_UDP)
				l4 = PC_UDP;
			else if (g->proto == GEN_IPPROTO_ICMP && g->family == 4)
				l4 = PC_ICMP;
			else if (g->proto == GEN_IPPROTO_ICMPV6 && g->family == 6)
				l4 = PC_ICMPV6;
		}
		if (l4 >= 0) {
			want[l4].packets++;
			want[l4].bytes += g->len;
		}
	}
	for (uint32_t k = 0; k < PC_MAX; k++) {
		CHECK_EQ_INT(ex_lookup(&r, "proto_count", &k, &got), 0);
		CHECK_EQ_U64(got.packets, want[k].packets);
		CHECK_EQ_U64(got.bytes, want[k].bytes);
		if (!strcmp(capture, "xdp_proto_count"))
			CHECK(want[k].packets > 0); /* the capture covers every class */
	}
out:
	ex_close(&r);
	free(act);
	free_capture(&c);
}

EVERYWHERE(proto_count)
static void proto_count(enum ex_backend be)
{
	proto_count_on(be, "xdp_proto_count");
}

/* The big mixed capture of the monitor and the benchmarks. */
EVERYWHERE(proto_count_monitor)
static void proto_count_monitor(enum ex_backend be)
{
	proto_count_on(be, "monitor");
}

/* ---------------------------------------------------------------------------------------------- */
/* flows                                                                                           */

struct flow_want {
	struct flow_key key;
	uint64_t packets, bytes;
	uint8_t tcp_flags;
	size_t first; /* index of the first packet */
};

static void flow_key_of(const struct gen_pkt *g, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, g->saddr, 16);
	memcpy(k->daddr, g->daddr, 16);
	k->proto = g->proto;
	k->family = g->family;
	k->vlan = g->nvlan ? g->vlan[0] : 0;
	if (!g->later_frag && (g->proto == GEN_IPPROTO_TCP || g->proto == GEN_IPPROTO_UDP ||
			       g->proto == GEN_IPPROTO_ICMP || g->proto == GEN_IPPROTO_ICMPV6)) {
		k->sport = htons(g->sport);
		k->dport = htons(g->dport);
	}
}

static void flows_on(enum ex_backend be, const char *capture)
{
	struct flow_want *want = NULL;
	size_t nwant = 0;
	struct proto_stats pwant[FLOW_PROTO_MAX] = {{0}}, pgot;
	struct ex_capture c;
	struct ex_run r;
	enum userbpf_pkt_action *act;

	NEED_BACKEND("flows", be);
	CHECK(load_capture(capture, &c));
	act = calloc(c.n + 1, sizeof(*act));
	want = calloc(c.n + 1, sizeof(*want));
	CHECK_EQ_INT(ex_open(&r, "flows", "flows_xdp", be, NULL, 0), 0);
	if (!r.obj)
		goto out;
	CHECK(run_all(&r, &c, act));

	for (size_t i = 0; i < c.gen.n; i++) {
		const struct gen_pkt *g = &c.gen.pkts[i];
		struct flow_key k;
		size_t f;
		int idx;

		CHECK_EQ_INT(act[i], USERBPF_PKT_PASS);
		if (!is_ip_ok(g) || (g->defect == GEN_TRUNC_L4)) {
			pwant[FLOW_PROTO_OTHER].packets++;
			pwant[FLOW_PROTO_OTHER].bytes += g->len;
			continue;
		}
		idx = g->proto == GEN_IPPROTO_TCP				       ? FLOW_PROTO_TCP
		      : g->proto == GEN_IPPROTO_UDP				       ? FLOW_PROTO_UDP
		      : g->proto == GEN_IPPROTO_ICMP || g->proto == GEN_IPPROTO_ICMPV6 ? FLOW_PROTO_ICMP
										       : FLOW_PROTO_IP_OTHER;
		pwant[idx].packets++;
		pwant[idx].bytes += g->len;
		flow_key_of(g, &k);
		for (f = 0; f < nwant; f++)
			if (!memcmp(&want[f].key, &k, sizeof(k)))
				break;
		if (f == nwant) {
			want[nwant].key = k;
			want[nwant].first = i;
			nwant++;
		}
		want[f].packets++;
		want[f].bytes += g->len;
		if (g->proto == GEN_IPPROTO_TCP && !g->later_frag)
			want[f].tcp_flags |= g->tcp_flags;
	}

	CHECK_EQ_INT(ex_count_keys(&r, "flows", sizeof(struct flow_key)), (int)nwant);
	CHECK(nwant >= 16);
	if (!strcmp(capture, "monitor"))
		CHECK(nwant >= 200);
	uint64_t prev_first = 0;
	for (size_t f = 0; f < nwant; f++) {
		struct flow_stats st;

		memset(&st, 0xee, sizeof(st));
		CHECK_EQ_INT(ex_lookup(&r, "flows", &want[f].key, &st), 0);
		CHECK_EQ_U64(st.packets, want[f].packets);
		CHECK_EQ_U64(st.bytes, want[f].bytes);
		CHECK_EQ_INT(st.tcp_flags, want[f].tcp_flags);
		CHECK(st.first_seen > 0 && st.first_seen <= st.last_seen);
		if (want[f].packets == 1)
			CHECK_EQ_U64(st.first_seen, st.last_seen);
		/* Flows are listed by their first packet: first_seen follows that order. */
		CHECK(st.first_seen >= prev_first);
		prev_first = st.first_seen;
	}
	for (uint32_t k = 0; k < FLOW_PROTO_MAX; k++) {
		CHECK_EQ_INT(ex_lookup(&r, "proto", &k, &pgot), 0);
		CHECK_EQ_U64(pgot.packets, pwant[k].packets);
		CHECK_EQ_U64(pgot.bytes, pwant[k].bytes);
		if (!strcmp(capture, "flows"))
			CHECK(pwant[k].packets > 0);
	}
	for (uint32_t v = 0; v < 5; v++) {
		uint64_t n = 99;

		CHECK_EQ_INT(ex_lookup(&r, "verdicts", &v, &n), 0);
		CHECK_EQ_U64(n, v == 2 ? c.n : 0);
	}
out:
	ex_close(&r);
	free(want);
	free(act);
	free_capture(&c);
}

EVERYWHERE(flows)
static void flows(enum ex_backend be)
{
	flows_on(be, "flows");
}

EVERYWHERE(flows_monitor)
static void flows_monitor(enum ex_backend be)
{
	flows_on(be, "monitor");
}

/* ---------------------------------------------------------------------------------------------- */
/* firewall                                                                                        */

static bool prefix_match(const uint8_t *addr, const uint8_t *prefix, uint32_t bits)
{
	for (uint32_t b = 0; b < bits; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));

		if ((addr[b / 8] & m) != (prefix[b / 8] & m))
			return false;
	}
	return true;
}

/* The rule that decides packet g, or NULL for the default action (NULL with *skip for non-IP). */
static const struct gen_fw_rule *fw_model(const struct gen_pkt *g, bool *skip)
{
	const struct gen_fw_rule *best = NULL;

	*skip = !is_ip_ok(g);
	if (*skip)
		return NULL;
	for (size_t i = 0; i < gen_fw_nr_rules; i++) {
		const struct gen_fw_rule *ru = &gen_fw_rules[i];
		const uint8_t *a = g->family == 4 ? g->saddr + 12 : g->saddr;

		if (ru->family != g->family || !prefix_match(a, ru->addr, ru->prefixlen))
			continue;
		if (!best || ru->prefixlen > best->prefixlen)
			best = ru;
	}
	if (best)
		return best;
	if (has_l4(g) && (g->proto == GEN_IPPROTO_TCP || g->proto == GEN_IPPROTO_UDP))
		for (size_t i = 0; i < gen_fw_nr_rules; i++)
			if (!gen_fw_rules[i].family && gen_fw_rules[i].proto == g->proto &&
			    gen_fw_rules[i].port == g->dport)
				return &gen_fw_rules[i];
	return NULL;
}

static void install_rules(struct ex_run *r)
{
	for (size_t i = 0; i < gen_fw_nr_rules; i++) {
		const struct gen_fw_rule *ru = &gen_fw_rules[i];
		struct fw_rule v = {.id = ru->id, .action = ru->action};

		if (ru->family == 4) {
			struct fw_lpm_v4 k = {.prefixlen = ru->prefixlen};

			memcpy(k.addr, ru->addr, 4);
			CHECK_EQ_INT(ex_update(r, "rules_v4", &k, &v), 0);
		} else if (ru->family == 6) {
			struct fw_lpm_v6 k = {.prefixlen = ru->prefixlen};

			memcpy(k.addr, ru->addr, 16);
			CHECK_EQ_INT(ex_update(r, "rules_v6", &k, &v), 0);
		} else {
			struct fw_port_key k = {.proto = ru->proto, .port = ru->port};

			CHECK_EQ_INT(ex_update(r, "ports", &k, &v), 0);
		}
	}
}

static void firewall_case(enum ex_backend be, uint32_t default_action)
{
	uint64_t hits[FW_MAX_RULES] = {0}, drops = 0, got;
	struct ex_rodata rd = {"default_action", &default_action, sizeof(default_action)};
	struct ex_capture c;
	struct ex_run r;
	enum userbpf_pkt_action *act;

	NEED_BACKEND("firewall", be);
	CHECK(load_capture("firewall", &c));
	act = calloc(c.n + 1, sizeof(*act));
	CHECK_EQ_INT(ex_open(&r, "firewall", "firewall_xdp", be, &rd, 1), 0);
	if (!r.obj)
		goto out;
	install_rules(&r);
	CHECK(run_all(&r, &c, act));
	for (size_t i = 0; i < c.gen.n; i++) {
		bool skip;
		const struct gen_fw_rule *ru = fw_model(&c.gen.pkts[i], &skip);
		uint32_t action = ru ? ru->action : default_action;

		if (skip) {
			CHECK_EQ_INT(act[i], USERBPF_PKT_PASS);
			continue;
		}
		hits[ru ? ru->id : FW_RULE_DEFAULT]++;
		drops += action == FW_ACTION_DROP;
		if ((int)act[i] != (int)action)
			fprintf(stderr, "firewall: packet %zu: action %d, want %u\n", i, act[i], action);
		CHECK_EQ_INT(act[i], action);
	}
	for (uint32_t id = 0; id < FW_MAX_RULES; id++) {
		got = 99;
		CHECK_EQ_INT(ex_lookup(&r, "hits", &id, &got), 0);
		CHECK_EQ_U64(got, hits[id]);
		if (id <= gen_fw_nr_rules)
			CHECK(hits[id] > 0); /* every rule and the default are hit */
	}
	uint32_t zero = 0;
	CHECK_EQ_INT(ex_lookup(&r, "drops", &zero, &got), 0);
	CHECK_EQ_U64(got, drops);
out:
	ex_close(&r);
	free(act);
	free_capture(&c);
}

EVERYWHERE(firewall)
static void firewall(enum ex_backend be)
{
	firewall_case(be, FW_ACTION_PASS);
}

/* default_action set in .rodata before load: what no rule matches is dropped. */
EVERYWHERE(firewall_default_drop)
static void firewall_default_drop(enum ex_backend be)
{
	firewall_case(be, FW_ACTION_DROP);
}

/* ---------------------------------------------------------------------------------------------- */
/* synflood                                                                                        */

struct sf_src {
	uint8_t addr[16];
	uint32_t syns, ports, flags;
	uint64_t bitmap[SYN_PORT_BITS / 64];
};

struct sf_alerts {
	struct syn_alert a[16];
	size_t n;
	bool bad_size;
};

static int sf_record(void *cookie, const void *data, size_t size)
{
	struct sf_alerts *al = cookie;

	if (size != sizeof(struct syn_alert)) {
		al->bad_size = true;
		return 0;
	}
	if (al->n < 16)
		memcpy(&al->a[al->n], data, size);
	al->n++;
	return 0;
}

static void synflood_case(enum ex_backend be, uint32_t drop_flagged)
{
	const uint32_t syn_thr = 64, port_thr = 16; /* synflood.bpf.c's defaults */
	struct ex_rodata rd = {"drop_flagged", &drop_flagged, sizeof(drop_flagged)};
	struct sf_src src[64];
	size_t nsrc = 0;
	struct syn_alert want[16];
	size_t nwant = 0;
	uint64_t stats[SYN_STAT_MAX] = {0};
	struct sf_alerts got = {0};
	struct ex_capture c;
	struct ex_run r;
	enum userbpf_pkt_action *act;

	NEED_BACKEND("synflood", be);
	CHECK(load_capture("synflood", &c));
	act = calloc(c.n + 1, sizeof(*act));
	CHECK_EQ_INT(ex_open(&r, "synflood", "synflood_xdp", be, &rd, 1), 0);
	if (!r.obj)
		goto out;
	CHECK(run_all(&r, &c, act));

	for (size_t i = 0; i < c.gen.n; i++) {
		const struct gen_pkt *g = &c.gen.pkts[i];
		enum userbpf_pkt_action a = USERBPF_PKT_PASS;
		struct sf_src *s = NULL;

		if (!is_ip_ok(g))
			goto verdict;
		for (size_t k = 0; k < nsrc; k++)
			if (!memcmp(src[k].addr, g->saddr, 16))
				s = &src[k];
		if (s && drop_flagged && s->flags) {
			stats[SYN_STAT_DROPS]++;
			a = USERBPF_PKT_DROP;
			goto verdict;
		}
		if (!has_l4(g) || g->proto != GEN_IPPROTO_TCP ||
		    (g->tcp_flags & (GEN_TCP_SYN | GEN_TCP_ACK)) != GEN_TCP_SYN)
			goto verdict;
		stats[SYN_STAT_SYNS]++;
		if (!s) {
			s = &src[nsrc++];
			memset(s, 0, sizeof(*s));
			memcpy(s->addr, g->saddr, 16);
		}
		s->syns++;
		uint32_t bit = syn_port_bit((uint32_t)g->dport);
		if (!(s->bitmap[bit / 64] & (1ull << (bit % 64)))) {
			s->bitmap[bit / 64] |= 1ull << (bit % 64);
			s->ports++;
		}
		for (int reason = SYN_REASON_FLOOD; reason <= SYN_REASON_SCAN; reason++) {
			uint32_t count = reason == SYN_REASON_FLOOD ? s->syns : s->ports;
			uint32_t thr = reason == SYN_REASON_FLOOD ? syn_thr : port_thr;

			if (count < thr || (s->flags & (1u << reason)))
				continue;
			s->flags |= 1u << reason;
			memset(&want[nwant], 0, sizeof(want[0]));
			memcpy(want[nwant].saddr, g->saddr, 16);
			want[nwant].family = g->family;
			want[nwant].reason = (uint8_t)reason;
			want[nwant].dport = g->dport;
			want[nwant].count = count;
			nwant++;
			stats[SYN_STAT_ALERTS]++;
		}
		if (drop_flagged && s->flags) {
			stats[SYN_STAT_DROPS]++;
			a = USERBPF_PKT_DROP;
		}
	verdict:
		CHECK_EQ_INT(act[i], a);
	}

	/* Exactly the flood and the scan are reported, by the sources the capture names. */
	uint8_t flooder[16], scanner[16];
	memset(flooder, 0, 16);
	flooder[10] = flooder[11] = 0xff;
	inet_pton(AF_INET, GEN_SYN_FLOODER, flooder + 12);
	inet_pton(AF_INET6, GEN_SYN_SCANNER, scanner);
	CHECK_EQ_INT(nwant, 2);
	/* The scan crosses its threshold (16th port) before the flood does (64th SYN). */
	CHECK(nwant == 2 && !memcmp(want[0].saddr, scanner, 16) && want[0].reason == SYN_REASON_SCAN);
	CHECK(nwant == 2 && !memcmp(want[1].saddr, flooder, 16) && want[1].reason == SYN_REASON_FLOOD);

	CHECK_EQ_INT(ex_ring_consume(&r, "alerts", sf_record, &got), (int)nwant);
	CHECK(!got.bad_size);
	CHECK_EQ_INT(got.n, nwant);
	for (size_t i = 0; i < got.n && i < nwant; i++) {
		CHECK(!memcmp(got.a[i].saddr, want[i].saddr, 16));
		CHECK_EQ_INT(got.a[i].family, want[i].family);
		CHECK_EQ_INT(got.a[i].reason, want[i].reason);
		CHECK_EQ_INT(got.a[i].dport, want[i].dport);
		CHECK_EQ_INT(got.a[i].count, want[i].count);
		CHECK(got.a[i].window_start > 0 && got.a[i].window_start <= got.a[i].ts);
		if (i)
			CHECK(got.a[i].ts >= got.a[i - 1].ts);
	}
	for (uint32_t k = 0; k < SYN_STAT_MAX; k++) {
		uint64_t v = 99;

		CHECK_EQ_INT(ex_lookup(&r, "stats", &k, &v), 0);
		CHECK_EQ_U64(v, stats[k]);
	}
	/* Per-source state: SYN counts and distinct ports. */
	CHECK_EQ_INT(ex_count_keys(&r, "sources", 16), (int)nsrc);
	for (size_t k = 0; k < nsrc; k++) {
		struct syn_source st;

		CHECK_EQ_INT(ex_lookup(&r, "sources", src[k].addr, &st), 0);
		CHECK_EQ_INT(st.syns, src[k].syns);
		CHECK_EQ_INT(st.ports, src[k].ports);
		CHECK_EQ_INT(st.flags, src[k].flags);
		CHECK(!memcmp(st.bitmap, src[k].bitmap, sizeof(st.bitmap)));
	}
out:
	ex_close(&r);
	free(act);
	free_capture(&c);
}

EVERYWHERE(synflood)
static void synflood(enum ex_backend be)
{
	synflood_case(be, 0);
}

/* drop_flagged set in .rodata: packets of flagged sources are dropped from the alert on. */
EVERYWHERE(synflood_drop)
static void synflood_drop(enum ex_backend be)
{
	synflood_case(be, 1);
}

/* ---------------------------------------------------------------------------------------------- */
/* dns                                                                                             */

struct dns_tld_want {
	struct dns_tld tld;
	uint64_t n;
};

static void tld_of(const char *qname, struct dns_tld *t)
{
	const char *dot = strrchr(qname, '.');
	const char *last = dot ? dot + 1 : qname;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < DNS_TLD_LEN - 1 && last[i]; i++)
		t->name[i] = (char)(last[i] >= 'A' && last[i] <= 'Z' ? last[i] + 32 : last[i]);
}

EVERYWHERE(dns)
static void dns(enum ex_backend be)
{
	static uint64_t qcount[65536];
	struct dns_tld_want tlds[64];
	size_t ntld = 0, nqtypes = 0;
	uint64_t stats[DNS_STAT_MAX] = {0};
	struct ex_capture c;
	struct ex_run r;
	enum userbpf_pkt_action *act;

	NEED_BACKEND("dns", be);
	memset(qcount, 0, sizeof(qcount));
	CHECK(load_capture("dns", &c));
	act = calloc(c.n + 1, sizeof(*act));
	CHECK_EQ_INT(ex_open(&r, "dns", "dns_xdp", be, NULL, 0), 0);
	if (!r.obj)
		goto out;
	CHECK(run_all(&r, &c, act));
	for (size_t i = 0; i < c.gen.n; i++) {
		const struct gen_pkt *g = &c.gen.pkts[i];
		struct dns_tld t;
		size_t k;

		CHECK_EQ_INT(act[i], USERBPF_PKT_PASS);
		if (!has_l4(g) || g->proto != GEN_IPPROTO_UDP || g->dport != DNS_PORT)
			continue;
		switch (g->dns) {
		case GEN_DNS_QUERY:
			stats[DNS_STAT_QUERIES]++;
			nqtypes += qcount[g->qtype]++ == 0;
			tld_of(g->qname, &t);
			for (k = 0; k < ntld; k++)
				if (!memcmp(&tlds[k].tld, &t, sizeof(t)))
					break;
			if (k == ntld) {
				tlds[ntld].tld = t;
				tlds[ntld++].n = 0;
			}
			tlds[k].n++;
			break;
		case GEN_DNS_LONG_LABEL:
		case GEN_DNS_COMPRESSED:
		case GEN_DNS_NAME_TOO_LONG:
		case GEN_DNS_NO_QTYPE:
			stats[DNS_STAT_MALFORMED]++;
			break;
		case GEN_DNS_RESPONSE:
		case GEN_DNS_NO_QUESTION:
		case GEN_DNS_SHORT:
			stats[DNS_STAT_OTHER]++;
			break;
		case GEN_DNS_NONE:
			CHECK(!"UDP to port 53 without a DNS description in the capture");
			break;
		}
	}
	CHECK(nqtypes >= 10 && stats[DNS_STAT_MALFORMED] == 4);
	CHECK_EQ_INT(ex_count_keys(&r, "qtypes", 2), (int)nqtypes);
	for (uint32_t q = 0; q < 65536; q++) {
		uint16_t key = (uint16_t)q;
		uint64_t v = 0;

		if (!qcount[q])
			continue;
		CHECK_EQ_INT(ex_lookup(&r, "qtypes", &key, &v), 0);
		CHECK_EQ_U64(v, qcount[q]);
	}
	CHECK_EQ_INT(ex_count_keys(&r, "tlds", sizeof(struct dns_tld)), (int)ntld);
	for (size_t k = 0; k < ntld; k++) {
		uint64_t v = 0;

		CHECK_EQ_INT(ex_lookup(&r, "tlds", &tlds[k].tld, &v), 0);
		if (v != tlds[k].n)
			fprintf(stderr, "tld '%.16s': %" PRIu64 ", want %" PRIu64 "\n", tlds[k].tld.name, v,
				tlds[k].n);
		CHECK_EQ_U64(v, tlds[k].n);
	}
	for (uint32_t k = 0; k < DNS_STAT_MAX; k++) {
		uint64_t v = 99;

		CHECK_EQ_INT(ex_lookup(&r, "stats", &k, &v), 0);
		CHECK_EQ_U64(v, stats[k]);
	}
out:
	ex_close(&r);
	free(act);
	free_capture(&c);
}

/* ---------------------------------------------------------------------------------------------- */
/* tc_rewrite                                                                                      */

EVERYWHERE(tc_rewrite)
static void tc_rewrite(enum ex_backend be)
{
	uint64_t stats[TCRW_STAT_MAX] = {0};
	struct ex_capture c;
	struct ex_run r;
	size_t checked = 0;

	NEED_BACKEND("tc_rewrite", be);
	CHECK(load_capture("tc_rewrite", &c));
	CHECK_EQ_INT(ex_open(&r, "tc_rewrite", "tc_rewrite", be, NULL, 0), 0);
	if (!r.obj)
		goto out;
	for (size_t i = 0; i < c.gen.n; i++) {
		const struct gen_pkt *g = &c.gen.pkts[i];
		struct gen_pkt want = *g;
		struct userbpf_pkt_result res;
		uint32_t daddr;

		memcpy(&daddr, g->daddr + 12, 4);
		daddr = ntohl(daddr);

		if (g->family == 4 && !g->nvlan && has_l4(g) &&
		    (g->proto == GEN_IPPROTO_TCP || g->proto == GEN_IPPROTO_UDP)) {
			stats[TCRW_STAT_SEEN]++;
			if (daddr == TCRW_MATCH_DADDR && g->dport == TCRW_MATCH_DPORT) {
				/* What the packet must become: the same packet built with the new
				 * destination, every checksum computed from scratch. */
				uint32_t nd = htonl(TCRW_NEW_DADDR);

				memcpy(want.daddr + 12, &nd, 4);
				want.dport = TCRW_NEW_DPORT;
				CHECK_EQ_INT(gen_pkt_build(&want), 0);
				stats[TCRW_STAT_REWRITTEN]++;
			}
		}
		if (ex_pkt(&r, c.net.pkts[i].data, c.net.pkts[i].len, &res)) {
			CHECK(0);
			continue;
		}
		CHECK_EQ_INT(res.action, USERBPF_PKT_PASS);
		CHECK_EQ_U64(res.retval, 0); /* TC_ACT_OK */
		CHECK_EQ_INT(res.len, want.len);
		if (res.len == want.len && memcmp(res.data, want.data, want.len)) {
			fprintf(stderr, "tc_rewrite: packet %zu differs from the expected output\n", i);
			CHECK(0);
		}
		if (res.len == want.len)
			checked++;
		CHECK(verify_checksums(res.data, res.len) >= 0);
	}
	CHECK_EQ_INT(checked, c.n);
	CHECK(stats[TCRW_STAT_REWRITTEN] >= 5);
	for (uint32_t k = 0; k < TCRW_STAT_MAX; k++) {
		uint64_t v = 99;

		CHECK_EQ_INT(ex_lookup(&r, "stats", &k, &v), 0);
		CHECK_EQ_U64(v, stats[k]);
	}
out:
	ex_close(&r);
	free_capture(&c);
}

/* ---------------------------------------------------------------------------------------------- */
/* dispatch                                                                                        */

EVERYWHERE(dispatch)
static void dispatch(enum ex_backend be)
{
	struct dispatch_count want[DISPATCH_NR_COUNTS] = {{0}}, got;
	struct ex_capture c;
	struct ex_run r;
	enum userbpf_pkt_action *act;

	NEED_BACKEND("dispatch", be);
	CHECK(load_capture("dispatch", &c));
	act = calloc(c.n + 1, sizeof(*act));
	CHECK_EQ_INT(ex_open(&r, "dispatch", "dispatch", be, NULL, 0), 0);
	if (!r.obj)
		goto out;
	CHECK(run_all(&r, &c, act));
	for (size_t i = 0; i < c.gen.n; i++) {
		const struct gen_pkt *g = &c.gen.pkts[i];
		int slot;
		enum userbpf_pkt_action a = USERBPF_PKT_PASS;

		if (g->ethertype == GEN_ETH_ARP)
			slot = DISPATCH_ARP;
		else if (!is_ip_ok(g))
			slot = DISPATCH_UNHANDLED;
		else if (g->proto == GEN_IPPROTO_TCP)
			slot = DISPATCH_TCP;
		else if (g->proto == GEN_IPPROTO_UDP)
			slot = DISPATCH_UDP;
		else if (g->proto == GEN_IPPROTO_ICMP && g->family == 4)
			slot = DISPATCH_ICMP;
		else
			slot = DISPATCH_FALLTHROUGH; /* ICMPv6 and other IP: empty slots */
		if (slot == DISPATCH_ICMP)
			a = USERBPF_PKT_DROP;
		want[slot].packets++;
		want[slot].bytes += g->len;
		CHECK_EQ_INT(act[i], a);
	}
	for (uint32_t k = 0; k < DISPATCH_NR_COUNTS; k++) {
		CHECK_EQ_INT(ex_lookup(&r, "counts", &k, &got), 0);
		CHECK_EQ_U64(got.packets, want[k].packets);
		CHECK_EQ_U64(got.bytes, want[k].bytes);
		if (k <= DISPATCH_ICMP || k >= DISPATCH_FALLTHROUGH)
			CHECK(want[k].packets > 0);
	}
out:
	ex_close(&r);
	free(act);
	free_capture(&c);
}
