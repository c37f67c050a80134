/*
 * gen_pkts.c - the packets of the example captures (gen.h): a serializer from struct gen_pkt to
 * Ethernet frame bytes (VLAN tags, IPv4 with options and fragments, IPv6 with extension headers,
 * TCP, UDP, ICMP, ICMPv6, DNS questions, all checksums), one builder per capture, and the pcap writer.
 * Shared by examples/gen/gen_captures.c and by the tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

const char *const gen_capture_names[] = {
    "xdp_proto_count", "flows", "firewall", "synflood", "dns", "tc_rewrite", "dispatch", "monitor", NULL,
};

/* ---------------------------------------------------------------------------------------------- */
/* Serializer                                                                                      */

uint16_t gen_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Partial sum (not complemented) of the pseudo-header. */
static uint32_t pseudo_sum(const struct gen_pkt *g, uint32_t l4_len)
{
	uint8_t ph[40];
	size_t n;
	uint32_t s = 0;

	if (g->family == 4) {
		memcpy(ph, g->saddr + 12, 4);
		memcpy(ph + 4, g->daddr + 12, 4);
		ph[8] = 0;
		ph[9] = g->proto;
		put16(ph + 10, (uint16_t)l4_len);
		n = 12;
	} else {
		memcpy(ph, g->saddr, 16);
		memcpy(ph + 16, g->daddr, 16);
		put32(ph + 32, l4_len);
		memset(ph + 36, 0, 3);
		ph[39] = g->proto;
		n = 40;
	}
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)ph[i] << 8 | ph[i + 1];
	return s;
}

/* Encoded name: labels from the dotted string. Returns its length, or -1 if it does not fit. */
static int dns_encode_name(const char *name, uint8_t *out, size_t room)
{
	size_t o = 0;
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 255 || o + 1 + l > room)
			return -1;
		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (o + 1 > room)
		return -1;
	out[o++] = 0;
	return (int)o;
}

/* The DNS message of the packet into out; its length, or -1. */
static int dns_message(const struct gen_pkt *g, uint8_t *out, size_t room)
{
	int n;

	if (room < 12)
		return -1;
	if (g->dns == GEN_DNS_SHORT) {
		put16(out, 0x5151);
		put16(out + 2, 0x0100);
		put16(out + 4, 1);
		return 6;
	}
	put16(out, (uint16_t)(g->ts_ns / 1000));
	put16(out + 2, g->dns == GEN_DNS_RESPONSE ? 0x8180 : 0x0100);
	put16(out + 4, g->dns == GEN_DNS_NO_QUESTION ? 0 : 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	if (g->dns == GEN_DNS_NO_QUESTION)
		return 12;
	if (g->dns == GEN_DNS_COMPRESSED) {
		/* "www" then a pointer to offset 12 (the start of the name). */
		static const uint8_t name[] = {3, 'w', 'w', 'w', 0xc0, 0x0c};
		memcpy(out + 12, name, sizeof(name));
		n = sizeof(name);
	} else {
		n = dns_encode_name(g->qname, out + 12, room - 12);
		if (n < 0)
			return -1;
	}
	if (g->dns == GEN_DNS_NO_QTYPE)
		return 12 + n;
	if ((size_t)(12 + n + 4) > room)
		return -1;
	put16(out + 12 + n, g->qtype);
	put16(out + 12 + n + 2, 1); /* class IN */
	return 12 + n + 4;
}

int gen_pkt_build(struct gen_pkt *g)
{
	uint8_t *d = g->data;
	size_t o = 12, l3, l4 = 0, end;
	size_t l4_hdr = 0;
	uint8_t body[GEN_PKT_MAX];
	int body_len = g->payload_len;

	memset(d, 0, sizeof(g->data));
	/* MAC addresses: locally administered, fixed. */
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
	memcpy(d, dst, 6);
	memcpy(d + 6, src, 6);
	if (g->nvlan == 2) {
		put16(d + o, GEN_ETH_8021AD);
		put16(d + o + 2, g->vlan[0]);
		put16(d + o + 4, GEN_ETH_8021Q);
		put16(d + o + 6, g->vlan[1]);
		o += 8;
	} else if (g->nvlan == 1) {
		put16(d + o, GEN_ETH_8021Q);
		put16(d + o + 2, g->vlan[0]);
		o += 4;
	}
	put16(d + o, g->ethertype);
	o += 2;
	l3 = o;

	if (g->ethertype == GEN_ETH_ARP) {
		/* Request: who has daddr? tell saddr (IPv4 parts). */
		put16(d + o, 1);
		put16(d + o + 2, GEN_ETH_IPV4);
		d[o + 4] = 6;
		d[o + 5] = 4;
		put16(d + o + 6, 1);
		memcpy(d + o + 8, src, 6);
		memcpy(d + o + 14, g->saddr + 12, 4);
		memcpy(d + o + 24, g->daddr + 12, 4);
		g->len = (uint32_t)(o + 28);
		return 0;
	}
	if (g->family == 0) {
		/* Some other EtherType: a payload pattern. */
		for (int i = 0; i < body_len; i++)
			d[o + i] = (uint8_t)(i * 13 + 5);
		g->len = (uint32_t)(o + body_len);
		return 0;
	}

	/* Transport header and payload into body. */
	if (g->proto == GEN_IPPROTO_UDP && g->dns != GEN_DNS_NONE) {
		body_len = dns_message(g, body + 8, sizeof(body) - 8);
		if (body_len < 0)
			return -EINVAL;
		g->payload_len = (uint16_t)body_len;
	} else {
		if ((size_t)body_len + 60 > sizeof(body))
			return -EINVAL;
	}
	if (!g->later_frag) {
		switch (g->proto) {
		case GEN_IPPROTO_TCP:
			l4_hdr = 20;
			break;
		case GEN_IPPROTO_UDP:
		case GEN_IPPROTO_ICMP:
		case GEN_IPPROTO_ICMPV6:
			l4_hdr = 8;
			break;
		default:
			l4_hdr = 0;
		}
	}
	if (!(g->proto == GEN_IPPROTO_UDP && g->dns != GEN_DNS_NONE)) {
		for (int i = 0; i < body_len; i++)
			body[l4_hdr + i] = (uint8_t)(i * 7 + g->ts_ns / 1000000);
	} else if (l4_hdr != 8) {
		return -EINVAL;
	}
	memset(body, 0, l4_hdr);
	switch (l4_hdr ? g->proto : 0) {
	case GEN_IPPROTO_TCP:
		put16(body, g->sport);
		put16(body + 2, g->dport);
		put32(body + 4, (uint32_t)(g->ts_ns / 1000) * 2654435761u);
		put32(body + 8,
		      g->tcp_flags & GEN_TCP_ACK ? 0x10000001u + (uint32_t)(g->ts_ns / 1000000) : 0);
		body[12] = 5 << 4;
		body[13] = g->tcp_flags;
		put16(body + 14, 65535);
		break;
	case GEN_IPPROTO_UDP:
		put16(body, g->sport);
		put16(body + 2, g->dport);
		put16(body + 4, (uint16_t)(8 + body_len));
		break;
	case GEN_IPPROTO_ICMP:
	case GEN_IPPROTO_ICMPV6:
		body[0] = (uint8_t)g->sport;
		body[1] = (uint8_t)g->dport;
		put16(body + 4, 0x1234);
		put16(body + 6, (uint16_t)(g->ts_ns / 1000000));
		break;
	}
	size_t l4_len = l4_hdr + body_len;

	if (g->family == 4) {
		size_t hl = 20 + g->ip_opt_len;
		size_t tot = hl + l4_len;

		if (o + tot > GEN_PKT_MAX || g->ip_opt_len % 4)
			return -EINVAL;
		d[o] = 0x40 | (uint8_t)(g->defect == GEN_BAD_IHL ? 4 : hl / 4);
		put16(d + o + 2, (uint16_t)tot);
		put16(d + o + 4, (uint16_t)(g->ts_ns / 1000000));
		put16(d + o + 6, g->later_frag ? 185 : 0x4000);
		d[o + 8] = 64;
		d[o + 9] = g->proto;
		memcpy(d + o + 12, g->saddr + 12, 4);
		memcpy(d + o + 16, g->daddr + 12, 4);
		memset(d + o + 20, 1, g->ip_opt_len); /* NOP options */
		put16(d + o + 10, gen_csum(d + o, hl, 0));
		l4 = o + hl;
	} else {
		size_t ext = 8 * (size_t)g->n_ext;
		uint8_t next = g->proto;

		if (o + 40 + ext + l4_len > GEN_PKT_MAX || (g->later_frag && !g->n_ext))
			return -EINVAL;
		put32(d + o, 0x60000000u | (uint32_t)(g->ts_ns / 1000000 & 0xfffff));
		put16(d + o + 4, (uint16_t)(ext + l4_len));
		d[o + 7] = 64;
		memcpy(d + o + 8, g->saddr, 16);
		memcpy(d + o + 24, g->daddr, 16);
		/* Extension headers from the last back: the last is a fragment header for later fragments,
		 * the others destination options (8 bytes: PadN). */
		for (int i = g->n_ext - 1; i >= 0; i--) {
			uint8_t *e = d + o + 40 + 8 * i;
			bool frag = g->later_frag && i == g->n_ext - 1;

			e[0] = next;
			if (frag) {
				put16(e + 2, 185 << 3);
				put32(e + 4, 0xabcd);
				next = 44;
			} else {
				e[1] = 0;
				e[2] = 1; /* PadN */
				e[3] = 4;
				next = 60;
			}
		}
		d[o + 6] = next;
		l4 = o + 40 + ext;
	}
	memcpy(d + l4, body, l4_len);
	end = l4 + l4_len;

	/* Transport checksum over the whole segment. */
	if (l4_hdr) {
		uint8_t *h = d + l4;
		uint16_t c;

		switch (g->proto) {
		case GEN_IPPROTO_TCP:
			put16(h + 16, gen_csum(h, l4_len, pseudo_sum(g, (uint32_t)l4_len)));
			break;
		case GEN_IPPROTO_UDP:
			if (!g->udp_csum_zero) {
				c = gen_csum(h, l4_len, pseudo_sum(g, (uint32_t)l4_len));
				put16(h + 6, c ? c : 0xffff);
			}
			break;
		case GEN_IPPROTO_ICMP:
			put16(h + 2, gen_csum(h, l4_len, 0));
			break;
		case GEN_IPPROTO_ICMPV6:
			put16(h + 2, gen_csum(h, l4_len, pseudo_sum(g, (uint32_t)l4_len)));
			break;
		}
	}
	if (g->defect == GEN_TRUNC_L4)
		end = l4 + 2;
	if (g->defect == GEN_TOO_MANY_EXT && g->n_ext <= 4)
		return -EINVAL;
	(void)l3;
	g->len = (uint32_t)end;
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Building captures                                                                               */

struct builder {
	struct gen_capture *cap;
	int err;
	uint64_t rng;
};

static uint64_t rnd(struct builder *b)
{
	/* xorshift64*: fixed seeds, same sequence everywhere. */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 2685821657736338717ull;
}

static void addr(uint8_t out[16], const char *s)
{
	memset(out, 0, 16);
	if (strchr(s, ':')) {
		inet_pton(AF_INET6, s, out);
	} else {
		out[10] = out[11] = 0xff;
		inet_pton(AF_INET, s, out + 12);
	}
}

/* A new packet at the end of the capture, zeroed, with its timestamp; NULL after an error. */
static struct gen_pkt *new_pkt(struct builder *b)
{
	struct gen_capture *c = b->cap;

	if (b->err)
		return NULL;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct gen_pkt *np = realloc(c->pkts, ncap * sizeof(*np));

		if (!np) {
			b->err = -ENOMEM;
			return NULL;
		}
		c->pkts = np;
		c->cap = ncap;
	}
	struct gen_pkt *g = &c->pkts[c->n];
	memset(g, 0, sizeof(*g));
	g->ts_ns = GEN_TS_BASE + (uint64_t)c->n * 1000000;
	return g;
}

static void commit(struct builder *b, struct gen_pkt *g)
{
	int err;

	if (!g)
		return;
	err = gen_pkt_build(g);
	if (err) {
		fprintf(stderr, "gen: %s: packet %zu cannot be built\n", b->cap->name, b->cap->n);
		b->err = err;
		return;
	}
	b->cap->n++;
}

/* An IP packet (family from the address syntax) with transport proto, not yet committed. */
static struct gen_pkt *ip_pkt(struct builder *b, const char *src, const char *dst, uint8_t proto,
			      uint16_t sport, uint16_t dport, uint16_t payload)
{
	struct gen_pkt *g = new_pkt(b);

	if (!g)
		return NULL;
	g->family = strchr(src, ':') ? 6 : 4;
	g->ethertype = g->family == 4 ? GEN_ETH_IPV4 : GEN_ETH_IPV6;
	addr(g->saddr, src);
	addr(g->daddr, dst);
	g->proto = proto;
	g->sport = sport;
	g->dport = dport;
	g->payload_len = payload;
	return g;
}

static void tcp(struct builder *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		uint8_t flags, uint16_t payload)
{
	struct gen_pkt *g = ip_pkt(b, src, dst, GEN_IPPROTO_TCP, sport, dport, payload);

	if (g)
		g->tcp_flags = flags;
	commit(b, g);
}

static void udp(struct builder *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		uint16_t payload)
{
	commit(b, ip_pkt(b, src, dst, GEN_IPPROTO_UDP, sport, dport, payload));
}

static void icmp(struct builder *b, const char *src, const char *dst, uint8_t type, uint8_t code,
		 uint16_t payload)
{
	uint8_t proto = strchr(src, ':') ? GEN_IPPROTO_ICMPV6 : GEN_IPPROTO_ICMP;

	commit(b, ip_pkt(b, src, dst, proto, type, code, payload));
}

static void arp(struct builder *b, const char *src, const char *dst)
{
	struct gen_pkt *g = new_pkt(b);

	if (!g)
		return;
	g->ethertype = GEN_ETH_ARP;
	addr(g->saddr, src);
	addr(g->daddr, dst);
	commit(b, g);
}

static void other_eth(struct builder *b, uint16_t ethertype, uint16_t payload)
{
	struct gen_pkt *g = new_pkt(b);

	if (!g)
		return;
	g->ethertype = ethertype;
	g->payload_len = payload;
	commit(b, g);
}

static void tag(struct gen_pkt *g, uint16_t outer, uint16_t inner)
{
	if (!g)
		return;
	g->nvlan = inner ? 2 : 1;
	g->vlan[0] = outer;
	g->vlan[1] = inner;
}

/* The odd ones: truncated transport header, too many IPv6 extension headers, IHL 4. */
static void defects(struct builder *b)
{
	struct gen_pkt *g = ip_pkt(b, "10.0.0.1", "10.0.0.2", GEN_IPPROTO_TCP, 1234, 80, 0);

	if (g)
		g->defect = GEN_TRUNC_L4;
	commit(b, g);
	g = ip_pkt(b, "2001:db8::1", "2001:db8::2", GEN_IPPROTO_UDP, 1234, 53, 10);
	if (g) {
		g->defect = GEN_TOO_MANY_EXT;
		g->n_ext = 5;
	}
	commit(b, g);
	g = ip_pkt(b, "10.0.0.1", "10.0.0.2", GEN_IPPROTO_UDP, 1234, 80, 10);
	if (g)
		g->defect = GEN_BAD_IHL;
	commit(b, g);
}

static void build_proto_count(struct builder *b)
{
	struct gen_pkt *g;

	for (int i = 0; i < 5; i++)
		tcp(b, "10.0.0.1", "10.0.0.2", 40000, 80, GEN_TCP_ACK, (uint16_t)(100 * i));
	for (int i = 0; i < 4; i++)
		udp(b, "10.0.0.3", "10.0.0.4", 5000, 6000, (uint16_t)(20 + i));
	for (int i = 0; i < 3; i++)
		icmp(b, "10.0.0.1", "8.8.8.8", 8, 0, 56);
	for (int i = 0; i < 3; i++)
		tcp(b, "2001:db8::1", "2001:db8::2", 443, 50000, GEN_TCP_ACK | GEN_TCP_PSH, 200);
	udp(b, "2001:db8::1", "2001:db8::53", 5353, 53, 40);
	udp(b, "2001:db8::1", "2001:db8::53", 5353, 53, 41);
	for (int i = 0; i < 3; i++)
		icmp(b, "2001:db8::1", "2001:db8::2", 128, 0, 16);
	arp(b, "10.0.0.1", "10.0.0.254");
	arp(b, "10.0.0.2", "10.0.0.254");
	other_eth(b, GEN_ETH_LLDP, 46);
	other_eth(b, 0x88b5, 50);
	g = ip_pkt(b, "192.168.1.1", "192.168.1.2", GEN_IPPROTO_TCP, 22, 60000, 64);
	tag(g, 10, 0);
	commit(b, g);
	g = ip_pkt(b, "192.168.1.1", "192.168.1.2", GEN_IPPROTO_TCP, 22, 60000, 0);
	tag(g, 10, 0);
	commit(b, g);
	g = ip_pkt(b, "2001:db8:1::1", "2001:db8:1::2", GEN_IPPROTO_UDP, 7, 7, 12);
	tag(g, 100, 200);
	commit(b, g);
	commit(b, ip_pkt(b, "10.9.9.9", "10.9.9.10", GEN_IPPROTO_GRE, 0, 0, 24));
	g = ip_pkt(b, "2001:db8::1", "2001:db8::2", GEN_IPPROTO_TCP, 443, 50001, 10);
	if (g)
		g->n_ext = 2;
	commit(b, g);
	g = ip_pkt(b, "10.0.0.3", "10.0.0.4", GEN_IPPROTO_UDP, 0, 0, 100);
	if (g)
		g->later_frag = 1;
	commit(b, g);
	defects(b);
}

/* One flow of the flows capture: its packets are interleaved with the others'. */
struct flow_plan {
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint16_t outer, inner; /* VLAN tags */
	uint8_t n_ext;
	uint8_t later_frag;
	uint8_t ip_opt_len;
	int npkts;
	uint8_t flags[8]; /* TCP: flags of each packet */
};

static const struct flow_plan flow_plans[] = {
    {"10.0.0.1",
     "10.0.0.2",
     GEN_IPPROTO_TCP,
     40000,
     80,
     0,
     0,
     0,
     0,
     0,
     6,
     {GEN_TCP_SYN, GEN_TCP_ACK, GEN_TCP_PSH | GEN_TCP_ACK, GEN_TCP_PSH | GEN_TCP_ACK,
      GEN_TCP_FIN | GEN_TCP_ACK, GEN_TCP_ACK}},
    {"10.0.0.2",
     "10.0.0.1",
     GEN_IPPROTO_TCP,
     80,
     40000,
     0,
     0,
     0,
     0,
     0,
     4,
     {GEN_TCP_SYN | GEN_TCP_ACK, GEN_TCP_ACK, GEN_TCP_PSH | GEN_TCP_ACK, GEN_TCP_FIN | GEN_TCP_ACK}},
    {"10.0.0.3", "224.0.0.251", GEN_IPPROTO_UDP, 5353, 5353, 0, 0, 0, 0, 0, 5, {0}},
    {"10.0.0.1", "8.8.8.8", GEN_IPPROTO_ICMP, 8, 0, 0, 0, 0, 0, 0, 3, {0}},
    {"8.8.8.8", "10.0.0.1", GEN_IPPROTO_ICMP, 0, 0, 0, 0, 0, 0, 0, 3, {0}},
    {"2001:db8::1",
     "2001:db8::2",
     GEN_IPPROTO_TCP,
     51000,
     443,
     0,
     0,
     0,
     0,
     0,
     4,
     {GEN_TCP_SYN, GEN_TCP_ACK, GEN_TCP_RST, GEN_TCP_RST | GEN_TCP_ACK}},
    {"2001:db8::3", "2001:db8::4", GEN_IPPROTO_UDP, 4000, 4001, 0, 0, 2, 0, 0, 3, {0}},
    {"2001:db8::1", "2001:db8::2", GEN_IPPROTO_ICMPV6, 128, 0, 0, 0, 0, 0, 0, 2, {0}},
    {"192.168.100.5", "192.168.100.6", GEN_IPPROTO_UDP, 1000, 2000, 100, 0, 0, 0, 0, 4, {0}},
    {"192.168.100.5", "192.168.100.6", GEN_IPPROTO_UDP, 1000, 2000, 0, 0, 0, 0, 0, 2, {0}},
    {"172.16.0.1",
     "172.16.0.2",
     GEN_IPPROTO_TCP,
     3333,
     4444,
     200,
     300,
     0,
     0,
     0,
     3,
     {GEN_TCP_SYN, GEN_TCP_SYN, GEN_TCP_URG | GEN_TCP_CWR | GEN_TCP_ACK}},
    {"2001:db8:5::1", "2001:db8:5::2", GEN_IPPROTO_UDP, 9, 9, 300, 0, 0, 0, 0, 2, {0}},
    {"10.9.9.9", "10.9.9.10", GEN_IPPROTO_GRE, 0, 0, 0, 0, 0, 0, 0, 2, {0}},
    {"10.0.0.3", "10.0.0.4", GEN_IPPROTO_UDP, 0, 0, 0, 0, 0, 1, 0, 1, {0}},
    {"2001:db8::7", "2001:db8::8", GEN_IPPROTO_UDP, 0, 0, 0, 0, 1, 1, 0, 1, {0}},
    {"10.0.0.5", "10.0.0.6", GEN_IPPROTO_TCP, 7000, 8000, 0, 0, 0, 0, 8, 2, {GEN_TCP_ACK, GEN_TCP_ACK}},
};

static void build_flows(struct builder *b)
{
	const size_t nplans = sizeof(flow_plans) / sizeof(flow_plans[0]);
	int sent[sizeof(flow_plans) / sizeof(flow_plans[0])] = {0};
	int left = 1;

	/* Round robin over the flows so that first/last seen interleave. */
	for (int round = 0; left; round++) {
		left = 0;
		for (size_t f = 0; f < nplans; f++) {
			const struct flow_plan *p = &flow_plans[f];
			struct gen_pkt *g;

			if (sent[f] >= p->npkts)
				continue;
			g = ip_pkt(b, p->src, p->dst, p->proto, p->sport, p->dport,
				   (uint16_t)(10 * f + 33 * sent[f] + round % 3));
			if (g) {
				g->tcp_flags = p->flags[sent[f]];
				g->n_ext = p->n_ext;
				g->later_frag = p->later_frag;
				g->ip_opt_len = p->ip_opt_len;
				if (p->outer)
					tag(g, p->outer, p->inner);
			}
			commit(b, g);
			sent[f]++;
			left |= sent[f] < p->npkts;
		}
		if (round == 1) {
			arp(b, "10.0.0.1", "10.0.0.254");
			other_eth(b, GEN_ETH_LLDP, 46);
		}
		if (round == 2)
			defects(b);
	}
	arp(b, "10.0.0.2", "10.0.0.254");
}

const struct gen_fw_rule gen_fw_rules[] = {
    {1, 1, 4, {10, 1}, 16, 0, 0},
    {2, 2, 4, {10, 1, 2}, 24, 0, 0},
    {3, 1, 4, {203, 0, 113}, 24, 0, 0},
    {4, 1, 6, {0x20, 0x01, 0x0d, 0xb8, 0xde, 0xad}, 48, 0, 0},
    {5, 2, 6, {0x20, 0x01, 0x0d, 0xb8, 0xde, 0xad, 0xbe, 0xef}, 64, 0, 0},
    {6, 1, 0, {0}, 0, GEN_IPPROTO_TCP, 22},
    {7, 2, 0, {0}, 0, GEN_IPPROTO_UDP, 53},
    {8, 1, 0, {0}, 0, GEN_IPPROTO_TCP, 23},
    {9, 1, 0, {0}, 0, GEN_IPPROTO_UDP, 161},
};
const size_t gen_fw_nr_rules = sizeof(gen_fw_rules) / sizeof(gen_fw_rules[0]);

static void build_firewall(struct builder *b)
{
	struct gen_pkt *g;

	tcp(b, "10.1.0.7", "10.0.0.1", 1000, 80, GEN_TCP_SYN, 0);	     /* rule 1 */
	tcp(b, "10.1.0.7", "10.0.0.1", 1000, 22, GEN_TCP_SYN, 0);	     /* rule 1 (prefix before port) */
	udp(b, "10.1.2.3", "10.0.0.1", 1000, 161, 20);			     /* rule 2 */
	udp(b, "10.1.2.200", "10.0.0.1", 1000, 9999, 20);		     /* rule 2 */
	icmp(b, "10.1.2.9", "10.0.0.1", 8, 0, 8);			     /* rule 2 */
	tcp(b, "203.0.113.9", "10.0.0.1", 5555, 443, GEN_TCP_SYN, 0);	     /* rule 3 */
	g = ip_pkt(b, "203.0.113.10", "10.0.0.1", GEN_IPPROTO_UDP, 1, 2, 5); /* rule 3, tagged */
	tag(g, 42, 0);
	commit(b, g);
	tcp(b, "2001:db8:dead::1", "2001:db8::1", 1000, 80, GEN_TCP_SYN, 0); /* rule 4 */
	icmp(b, "2001:db8:dead:1::1", "2001:db8::1", 128, 0, 8);	     /* rule 4 */
	udp(b, "2001:db8:dead:beef::5", "2001:db8::1", 1000, 161, 8);	     /* rule 5 */
	tcp(b, "198.51.100.1", "10.0.0.1", 2000, 22, GEN_TCP_SYN, 0);	     /* rule 6 */
	tcp(b, "2001:db8:1::1", "2001:db8::1", 2000, 22, GEN_TCP_SYN, 0);    /* rule 6 */
	tcp(b, "198.51.100.1", "10.0.0.1", 2000, 22, GEN_TCP_ACK, 10);	     /* rule 6 */
	udp(b, "198.51.100.2", "10.0.0.53", 3000, 53, 30);		     /* rule 7 */
	udp(b, "2001:db8:1::2", "2001:db8::53", 3000, 53, 30);		     /* rule 7 */
	tcp(b, "198.51.100.3", "10.0.0.1", 2001, 23, GEN_TCP_SYN, 0);	     /* rule 8 */
	udp(b, "2001:db8:1::3", "2001:db8::1", 3001, 161, 12);		     /* rule 9 */
	udp(b, "198.51.100.4", "10.0.0.1", 3001, 161, 12);		     /* rule 9 */
	tcp(b, "198.51.100.1", "10.0.0.1", 2000, 443, GEN_TCP_SYN, 0);	     /* default */
	udp(b, "2001:db8:1::1", "2001:db8::1", 123, 123, 48);		     /* default */
	icmp(b, "198.51.100.1", "10.0.0.1", 8, 0, 8);			     /* default */
	tcp(b, "198.51.100.1", "10.0.0.1", 2000, 53, GEN_TCP_SYN, 0);	     /* default: TCP 53 has no rule */
	g = ip_pkt(b, "198.51.100.5", "10.0.0.1", GEN_IPPROTO_UDP, 0, 0, 64); /* default: later fragment */
	if (g)
		g->later_frag = 1;
	commit(b, g);
	g = ip_pkt(b, "198.51.100.5", "10.0.0.1", GEN_IPPROTO_TCP, 9, 22, 0); /* default: ports unreadable */
	if (g)
		g->defect = GEN_TRUNC_L4;
	commit(b, g);
	arp(b, "10.1.0.7", "10.0.0.1");					 /* not IP: passes */
	g = ip_pkt(b, "10.1.0.7", "10.0.0.1", GEN_IPPROTO_UDP, 1, 2, 3); /* bad IPv4: passes */
	if (g)
		g->defect = GEN_BAD_IHL;
	commit(b, g);
}

static void build_synflood(struct builder *b)
{
	char src[64];

	/* Benign handshakes. */
	for (int i = 0; i < 3; i++) {
		tcp(b, "10.0.0.5", "10.0.0.80", (uint16_t)(30000 + i), 443, GEN_TCP_SYN, 0);
		tcp(b, "10.0.0.80", "10.0.0.5", 443, (uint16_t)(30000 + i), GEN_TCP_SYN | GEN_TCP_ACK, 0);
		tcp(b, "10.0.0.5", "10.0.0.80", (uint16_t)(30000 + i), 443, GEN_TCP_ACK, 0);
	}
	/* Flood (100 SYNs to port 80) and scan (40 ports), interleaved, with benign traffic. */
	for (int i = 0; i < 100; i++) {
		tcp(b, GEN_SYN_FLOODER, "10.0.0.80", (uint16_t)(10000 + i), 80, GEN_TCP_SYN, 0);
		if (i < 40)
			tcp(b, GEN_SYN_SCANNER, "2001:db8::80", 45000, (uint16_t)(20 + i), GEN_TCP_SYN, 0);
		if (i % 10 == 0) {
			udp(b, "10.0.0.5", "10.0.0.53", 5000, 53, 30);
			tcp(b, "10.0.0.5", "10.0.0.80", 30000, 443, GEN_TCP_ACK | GEN_TCP_PSH, 100);
		}
		if (i % 25 == 0) {
			/* Single SYNs from many hosts: none crosses a threshold. */
			snprintf(src, sizeof(src), "10.0.1.%d", 1 + i / 25);
			tcp(b, src, "10.0.0.80", 40000, 443, GEN_TCP_SYN, 0);
		}
	}
	/* The scanned host's answers, and the scanner's RSTs: not SYNs. */
	tcp(b, "2001:db8::80", GEN_SYN_SCANNER, 22, 45000, GEN_TCP_SYN | GEN_TCP_ACK, 0);
	tcp(b, GEN_SYN_SCANNER, "2001:db8::80", 45000, 22, GEN_TCP_RST, 0);
	/* After both alerts: more from the flagged sources (dropped when drop_flagged is set). */
	udp(b, GEN_SYN_FLOODER, "10.0.0.53", 5000, 53, 20);
	tcp(b, GEN_SYN_SCANNER, "2001:db8::80", 45001, 8080, GEN_TCP_SYN, 0);
}

static void dns_q(struct builder *b, const char *src, const char *dst, enum gen_dns_kind kind,
		  const char *qname, uint16_t qtype, uint16_t outer)
{
	struct gen_pkt *g = ip_pkt(b, src, dst, GEN_IPPROTO_UDP, 33000, 53, 0);

	if (!g)
		return;
	g->dns = kind;
	g->qtype = qtype;
	snprintf(g->qname, sizeof(g->qname), "%s", qname);
	if (outer)
		tag(g, outer, 0);
	commit(b, g);
}

static void build_dns(struct builder *b)
{
	char bound[200], too_long[200], long_label[100];
	struct gen_pkt *g;

	/* Encoded: 1 + 63 + 1 + 62 + 1 = 128 bytes (the bound); one more byte is malformed. */
	memset(bound, 'a', 63);
	bound[63] = '.';
	memset(bound + 64, 'B', 62);
	bound[126] = 0;
	memset(too_long, 'a', 63);
	too_long[63] = '.';
	memset(too_long + 64, 'b', 63);
	too_long[127] = 0;
	memset(long_label, 'x', 64);
	strcpy(long_label + 64, ".com");

	const char *c4 = "10.0.0.5", *s4 = "10.0.0.53", *c6 = "2001:db8::5", *s6 = "2001:db8::53";
	for (int i = 0; i < 3; i++)
		dns_q(b, c4, s4, GEN_DNS_QUERY, "example.com", 1, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "www.example.org", 28, 0);
	dns_q(b, c6, s6, GEN_DNS_QUERY, "www.example.org", 28, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "mail.example.net", 15, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "x.EXAMPLE.COM", 16, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "", 2, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "4.3.2.1.in-addr.arpa", 12, 0);
	dns_q(b, c6, s6, GEN_DNS_QUERY, "_sip._tcp.example.com", 33, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "cloudflare.dev", 65, 0);
	dns_q(b, c6, s6, GEN_DNS_QUERY, "a.b", 255, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "x.io", 257, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "vlan.example.com", 1, 7);
	dns_q(b, c6, s6, GEN_DNS_QUERY, "ipv6.example.com", 1, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, "averyveryverylongtld.example.thisisalongtld", 1, 0);
	dns_q(b, c4, s4, GEN_DNS_QUERY, bound, 1, 0);
	dns_q(b, c4, s4, GEN_DNS_NAME_TOO_LONG, too_long, 1, 0);
	dns_q(b, c4, s4, GEN_DNS_LONG_LABEL, long_label, 1, 0);
	dns_q(b, c6, s6, GEN_DNS_COMPRESSED, "", 1, 0);
	dns_q(b, c4, s4, GEN_DNS_NO_QTYPE, "example.com", 1, 0);
	dns_q(b, c4, s4, GEN_DNS_RESPONSE, "example.com", 1, 0);
	dns_q(b, c4, s4, GEN_DNS_NO_QUESTION, "", 0, 0);
	dns_q(b, c4, s4, GEN_DNS_SHORT, "", 0, 0);
	/* Not DNS queries: from port 53, TCP to port 53, other UDP. */
	g = ip_pkt(b, s4, c4, GEN_IPPROTO_UDP, 53, 33000, 0);
	if (g) {
		g->dns = GEN_DNS_RESPONSE;
		g->qtype = 1;
		strcpy(g->qname, "example.com");
	}
	commit(b, g);
	tcp(b, c4, s4, 33001, 53, GEN_TCP_SYN, 0);
	udp(b, c4, "10.0.0.123", 123, 123, 48);
	arp(b, c4, s4);
}

static void build_tc_rewrite(struct builder *b)
{
	struct gen_pkt *g;

	tcp(b, "10.0.0.1", "192.0.2.10", 40001, 8080, GEN_TCP_SYN, 0);		       /* rewritten */
	tcp(b, "10.0.0.1", "192.0.2.10", 40001, 8080, GEN_TCP_ACK | GEN_TCP_PSH, 100); /* rewritten */
	udp(b, "10.0.0.1", "192.0.2.10", 5000, 8080, 32);			       /* rewritten */
	g = ip_pkt(b, "10.0.0.2", "192.0.2.10", GEN_IPPROTO_UDP, 5001, 8080, 17); /* rewritten, no csum */
	if (g)
		g->udp_csum_zero = 1;
	commit(b, g);
	g = ip_pkt(b, "10.0.0.3", "192.0.2.10", GEN_IPPROTO_TCP, 40002, 8080, 7); /* rewritten, IP options */
	if (g) {
		g->ip_opt_len = 8;
		g->tcp_flags = GEN_TCP_ACK;
	}
	commit(b, g);
	tcp(b, "10.0.0.1", "192.0.2.10", 40003, 8081, GEN_TCP_SYN, 0);		  /* other port */
	udp(b, "10.0.0.1", "192.0.2.11", 5000, 8080, 32);			  /* other address */
	tcp(b, "192.0.2.10", "10.0.0.1", 8080, 40001, GEN_TCP_ACK, 5);		  /* reverse direction */
	icmp(b, "10.0.0.1", "192.0.2.10", 8, 0, 16);				  /* not TCP/UDP */
	udp(b, "2001:db8::1", "2001:db8::10", 5000, 8080, 32);			  /* IPv6 */
	g = ip_pkt(b, "10.0.0.1", "192.0.2.10", GEN_IPPROTO_UDP, 5000, 8080, 32); /* tagged */
	tag(g, 5, 0);
	commit(b, g);
	arp(b, "10.0.0.1", "192.0.2.10");
	for (int i = 0; i < 4; i++)
		udp(b, "10.0.0.9", "192.0.2.10", (uint16_t)(6000 + 77 * i), 8080, (uint16_t)(1 + 50 * i));
}

static void build_dispatch(struct builder *b)
{
	struct gen_pkt *g;

	arp(b, "10.0.0.1", "10.0.0.2");
	tcp(b, "10.0.0.1", "10.0.0.2", 1000, 80, GEN_TCP_SYN, 0);
	udp(b, "10.0.0.1", "10.0.0.2", 1000, 53, 20);
	icmp(b, "10.0.0.1", "10.0.0.2", 8, 0, 56);
	icmp(b, "2001:db8::1", "2001:db8::2", 128, 0, 56);
	commit(b, ip_pkt(b, "10.9.9.9", "10.9.9.10", GEN_IPPROTO_GRE, 0, 0, 24));
	other_eth(b, GEN_ETH_LLDP, 46);
	tcp(b, "2001:db8::1", "2001:db8::2", 1000, 443, GEN_TCP_ACK, 300);
	tcp(b, "10.0.0.1", "10.0.0.2", 1000, 80, GEN_TCP_ACK, 500);
	g = ip_pkt(b, "2001:db8::1", "2001:db8::2", GEN_IPPROTO_UDP, 1, 2, 100);
	tag(g, 9, 0);
	commit(b, g);
	udp(b, "2001:db8::1", "2001:db8::2", 1, 2, 3);
	icmp(b, "10.0.0.2", "10.0.0.1", 0, 0, 56);
	icmp(b, "10.0.0.2", "10.0.0.1", 3, 3, 28);
	arp(b, "10.0.0.2", "10.0.0.1");
	icmp(b, "2001:db8::2", "2001:db8::1", 129, 0, 56);
	tcp(b, "10.0.0.2", "10.0.0.1", 80, 1000, GEN_TCP_SYN | GEN_TCP_ACK, 0);
	defects(b);
}

/* A few thousand packets over a couple of hundred flows, for the monitor and the benchmarks. */
static void build_monitor(struct builder *b)
{
	enum { NFLOWS = 240, NPKTS = 4000 };
	struct {
		char src[48], dst[48];
		uint8_t proto;
		uint16_t sport, dport, vlan;
		uint16_t size;
	} fl[NFLOWS];

	b->rng = 0x5eed0001u;
	for (int i = 0; i < NFLOWS; i++) {
		uint64_t r = rnd(b);
		int v6 = r % 4 == 0;
		int p = (int)(r >> 8) % 10;

		if (v6) {
			snprintf(fl[i].src, sizeof(fl[i].src), "2001:db8:%x::%x", (unsigned)(r >> 16) % 16,
				 (unsigned)(r >> 24) % 4096 + 1);
			snprintf(fl[i].dst, sizeof(fl[i].dst), "2001:db8:ffff::%x",
				 (unsigned)(r >> 40) % 32 + 1);
		} else {
			snprintf(fl[i].src, sizeof(fl[i].src), "10.%u.%u.%u", (unsigned)(r >> 16) % 8,
				 (unsigned)(r >> 24) % 256, (unsigned)(r >> 32) % 254 + 1);
			snprintf(fl[i].dst, sizeof(fl[i].dst), "192.168.%u.%u", (unsigned)(r >> 40) % 4,
				 (unsigned)(r >> 48) % 254 + 1);
		}
		fl[i].proto = p < 6   ? GEN_IPPROTO_TCP
			      : p < 9 ? GEN_IPPROTO_UDP
				      : (v6 ? GEN_IPPROTO_ICMPV6 : GEN_IPPROTO_ICMP);
		fl[i].sport = (uint16_t)(1024 + (r >> 20) % 60000);
		static const uint16_t svc[] = {80, 443, 53, 22, 8080, 123, 5353, 3306};
		fl[i].dport = svc[(r >> 44) % 8];
		if (fl[i].proto == GEN_IPPROTO_ICMP || fl[i].proto == GEN_IPPROTO_ICMPV6) {
			fl[i].sport = v6 ? 128 : 8;
			fl[i].dport = 0;
		}
		fl[i].vlan = (r >> 56) % 10 == 0 ? (uint16_t)(100 + (r >> 58) % 4) : 0;
		fl[i].size = (uint16_t)((r >> 36) % 1200);
	}
	for (int n = 0; n < NPKTS; n++) {
		uint64_t r = rnd(b);
		/* Skewed: low flow numbers are much busier (elephants and mice). */
		int f = (int)((r % NFLOWS) * ((r >> 16) % NFLOWS) / NFLOWS);
		struct gen_pkt *g;

		if (r % 97 == 0) {
			arp(b, "10.0.0.1", "10.0.0.254");
			continue;
		}
		g = ip_pkt(b, fl[f].src, fl[f].dst, fl[f].proto, fl[f].sport, fl[f].dport,
			   (uint16_t)((fl[f].size + (r >> 40) % 200) % 1400));
		if (g) {
			if (fl[f].proto == GEN_IPPROTO_TCP)
				g->tcp_flags = (r >> 32) % 50 == 0
						   ? GEN_TCP_SYN
						   : GEN_TCP_ACK | ((r >> 33) % 3 == 0 ? GEN_TCP_PSH : 0);
			if (fl[f].vlan)
				tag(g, fl[f].vlan, 0);
		}
		commit(b, g);
	}
}

int gen_capture_build(const char *name, struct gen_capture *cap)
{
	struct builder b = {.cap = cap, .rng = 0x0123456789abcdefull};

	memset(cap, 0, sizeof(*cap));
	if (!strcmp(name, "xdp_proto_count"))
		build_proto_count(&b);
	else if (!strcmp(name, "flows"))
		build_flows(&b);
	else if (!strcmp(name, "firewall"))
		build_firewall(&b);
	else if (!strcmp(name, "synflood"))
		build_synflood(&b);
	else if (!strcmp(name, "dns"))
		build_dns(&b);
	else if (!strcmp(name, "tc_rewrite"))
		build_tc_rewrite(&b);
	else if (!strcmp(name, "dispatch"))
		build_dispatch(&b);
	else if (!strcmp(name, "monitor"))
		build_monitor(&b);
	else
		return -ENOENT;
	cap->name = name;
	if (b.err) {
		gen_capture_free(cap);
		return b.err;
	}
	return 0;
}

void gen_capture_free(struct gen_capture *cap)
{
	if (!cap)
		return;
	free(cap->pkts);
	memset(cap, 0, sizeof(*cap));
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

int gen_capture_write(const struct gen_capture *cap, const char *path)
{
	uint8_t hdr[24] = {0};
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	/* pcap 2.4, little-endian, microseconds, snaplen 65535, Ethernet. */
	le32(hdr, 0xa1b2c3d4);
	hdr[4] = 2;
	hdr[6] = 4;
	le32(hdr + 16, 65535);
	le32(hdr + 20, 1);
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1)
		err = -EIO;
	for (size_t i = 0; !err && i < cap->n; i++) {
		const struct gen_pkt *g = &cap->pkts[i];
		uint8_t rec[16];

		le32(rec, (uint32_t)(g->ts_ns / 1000000000));
		le32(rec + 4, (uint32_t)(g->ts_ns % 1000000000 / 1000));
		le32(rec + 8, g->len);
		le32(rec + 12, g->len);
		if (fwrite(rec, sizeof(rec), 1, f) != 1 || fwrite(g->data, g->len, 1, f) != 1)
			err = -EIO;
	}
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}
