/*
 * pktgen.c - deterministic random Ethernet frames for the filter tests and benchmarks (pktgen.h).
 * Headers are built field by field in network byte order; checksums are left zero (filters do not
 * look at them).
 */
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

uint64_t pktgen_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return (uint32_t)(pktgen_rand(s) % n);
}

struct buf {
	uint8_t *p;
	uint32_t len;
};

static void put8(struct buf *b, uint32_t v)
{
	if (b->len < PKTGEN_MAX)
		b->p[b->len++] = (uint8_t)v;
}

static void put16(struct buf *b, uint32_t v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v);
}

static void put_bytes(struct buf *b, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		put8(b, src[i]);
}

static void put_random(uint64_t *s, struct buf *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		put8(b, rnd(s, 256));
}

static void put_mac(uint64_t *s, struct buf *b)
{
	static const uint8_t pool[][6] = {
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb},
		{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
		{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}, {0x02, 0x00, 0x00, 0x00, 0x00, 0x03},
		{0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e},
	};
	uint32_t r = rnd(s, 10);
	if (r < 7)
		put_bytes(b, pool[r], 6);
	else
		put_random(s, b, 6);
}

static uint32_t ip4_addr(uint64_t *s)
{
	static const uint32_t pool[] = {0x0a000001, 0x0a000002, 0x0a0a0a0a, 0xc0a80101, 0xc0a801fe, 0xac100005,
					0xac1f0001, 0x08080808, 0xe00000fb, 0xffffffff, 0x7f000001};
	uint32_t r = rnd(s, 14);
	if (r < 11)
		return pool[r];
	if (r == 11)
		return 0x0a000000 | rnd(s, 1u << 24);
	return (uint32_t)pktgen_rand(s);
}

static void put_ip6_addr(uint64_t *s, struct buf *b)
{
	static const uint8_t pool[][16] = {
		{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10},
		{0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
	};
	uint32_t r = rnd(s, 7);
	if (r < 5) {
		put_bytes(b, pool[r], 16);
	} else {
		put16(b, 0x2001);
		put16(b, 0x0db8);
		put_random(s, b, 12);
	}
}

static uint32_t port(uint64_t *s)
{
	static const uint16_t pool[] = {80, 443, 22, 53, 8080, 123, 67, 68, 5353, 1500, 1023, 1024, 2905, 9};
	uint32_t r = rnd(s, 18);
	if (r < 14)
		return pool[r];
	return rnd(s, 65536);
}

/* L4 header and payload for IP protocol `proto`; `v6` picks ICMPv6 for ICMP. */
static void put_l4(uint64_t *s, struct buf *b, uint32_t proto)
{
	uint32_t payload = rnd(s, 4) == 0 ? 0 : rnd(s, 120);
	switch (proto) {
	case 6: { /* TCP */
		put16(b, port(s));
		put16(b, port(s));
		put32(b, (uint32_t)pktgen_rand(s));
		put32(b, (uint32_t)pktgen_rand(s));
		uint32_t doff = rnd(s, 3) == 0 ? 5 + rnd(s, 4) : 5;
		static const uint8_t flags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0x29};
		uint32_t f = rnd(s, 10);
		put8(b, doff << 4);
		put8(b, f < 9 ? flags[f] : rnd(s, 256));
		put16(b, rnd(s, 65536));
		put32(b, 0);
		for (uint32_t i = 5; i < doff; i++)
			put32(b, 0x01010402);
		if (rnd(s, 4) == 0) {
			put32(b, 0x47455420); /* "GET " */
			payload = payload > 4 ? payload - 4 : 0;
		}
		put_random(s, b, payload);
		break;
	}
	case 17: /* UDP */
		put16(b, port(s));
		put16(b, port(s));
		put16(b, 8 + payload);
		put16(b, 0);
		if (rnd(s, 4) == 0) {
			put16(b, 0x1234);
			payload = payload > 2 ? payload - 2 : 0;
		}
		put_random(s, b, payload);
		break;
	case 1:  /* ICMP */
	case 58: { /* ICMPv6 */
		static const uint8_t t4[] = {8, 0, 3, 11, 5};
		static const uint8_t t6[] = {128, 129, 135, 136, 1, 133};
		put8(b, proto == 1 ? t4[rnd(s, 5)] : t6[rnd(s, 6)]);
		put8(b, rnd(s, 3));
		put16(b, 0);
		put32(b, (uint32_t)pktgen_rand(s));
		put_random(s, b, payload);
		break;
	}
	case 132: /* SCTP */
		put16(b, port(s));
		put16(b, port(s));
		put32(b, (uint32_t)pktgen_rand(s));
		put32(b, 0);
		put_random(s, b, payload);
		break;
	case 47: /* GRE */
		put16(b, 0);
		put16(b, 0x0800);
		put_random(s, b, payload);
		break;
	default:
		put_random(s, b, payload);
	}
}

static uint32_t l4_proto(uint64_t *s, int v6)
{
	static const uint8_t p4[] = {6, 6, 6, 17, 17, 17, 1, 132, 47, 2};
	static const uint8_t p6[] = {6, 6, 6, 17, 17, 17, 58, 58, 132, 47};
	uint32_t r = rnd(s, 11);
	if (r == 10)
		return rnd(s, 256);
	return v6 ? p6[r] : p4[r];
}

static void put_ipv4(uint64_t *s, struct buf *b)
{
	uint32_t start = b->len;
	uint32_t ihl = rnd(s, 5) == 0 ? 6 + rnd(s, 4) : 5;
	uint32_t proto = l4_proto(s, 0);
	static const uint8_t tos[] = {0, 0, 0, 0xb8, 0x10, 0x02};
	static const uint8_t ttl[] = {64, 128, 255, 1, 30};
	put8(b, 0x40 | ihl);
	put8(b, tos[rnd(s, 6)]);
	put16(b, 0); /* total length: patched below */
	put16(b, rnd(s, 65536));
	uint32_t fr = rnd(s, 10);
	put16(b, fr == 0 ? 0x2000 : fr == 1 ? 0x2000 | rnd(s, 0x1fff) : fr == 2 ? 1 + rnd(s, 0x1ffe) : fr == 3 ? 0x4000 : 0);
	put8(b, ttl[rnd(s, 5)]);
	put8(b, proto);
	put16(b, 0);
	put32(b, ip4_addr(s));
	put32(b, ip4_addr(s));
	for (uint32_t i = 5; i < ihl; i++)
		put32(b, i == 5 ? 0x94040000 : 0x01010101); /* router alert, then NOPs */
	put_l4(s, b, proto);
	uint32_t tot = b->len - start;
	if (rnd(s, 16) == 0)
		tot += rnd(s, 40); /* a total length that lies */
	b->p[start + 2] = (uint8_t)(tot >> 8);
	b->p[start + 3] = (uint8_t)tot;
}

static void put_ipv6(uint64_t *s, struct buf *b)
{
	uint32_t start = b->len;
	uint32_t proto = l4_proto(s, 1);
	/* Extension headers before the upper layer: hop-by-hop, routing, fragment, destination. */
	static const uint8_t ext[] = {0, 43, 44, 60};
	uint32_t next[5], n = 0;
	uint32_t want = rnd(s, 3) == 0 ? 1 + rnd(s, 3) : 0;
	for (uint32_t i = 0; i < want; i++)
		next[n++] = ext[rnd(s, 4)];
	put32(b, 0x60000000 | rnd(s, 1u << 20));
	put16(b, 0); /* payload length: patched below */
	put8(b, n ? next[0] : proto);
	static const uint8_t hl[] = {64, 255, 1};
	put8(b, hl[rnd(s, 3)]);
	put_ip6_addr(s, b);
	put_ip6_addr(s, b);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t nh = i + 1 < n ? next[i + 1] : proto;
		put8(b, nh);
		if (next[i] == 44) {
			put8(b, 0);
			put16(b, rnd(s, 2) ? 0 : (rnd(s, 0x1fff) << 3) | rnd(s, 2));
			put32(b, (uint32_t)pktgen_rand(s));
		} else {
			uint32_t len8 = rnd(s, 2);
			put8(b, len8);
			put_random(s, b, 6 + 8 * len8);
		}
	}
	put_l4(s, b, proto);
	uint32_t plen = b->len - start - 40;
	b->p[start + 4] = (uint8_t)(plen >> 8);
	b->p[start + 5] = (uint8_t)plen;
}

static void put_arp(uint64_t *s, struct buf *b)
{
	put16(b, 1);
	put16(b, 0x0800);
	put8(b, 6);
	put8(b, 4);
	put16(b, 1 + rnd(s, 2));
	put_mac(s, b);
	put32(b, ip4_addr(s));
	put_mac(s, b);
	put32(b, ip4_addr(s));
}

void pktgen_next(uint64_t *s, struct pktgen_pkt *p)
{
	struct buf b = {p->data, 0};
	memset(p->data, 0, sizeof(p->data));
	put_mac(s, &b);
	put_mac(s, &b);
	uint32_t tags = rnd(s, 10);
	if (tags >= 7) {
		static const uint16_t vids[] = {100, 200, 1, 4094};
		if (tags == 9) { /* QinQ: service tag, then customer tag */
			put16(&b, 0x88a8);
			put16(&b, vids[rnd(s, 4)] | (rnd(s, 8) << 13));
		}
		put16(&b, 0x8100);
		put16(&b, rnd(s, 3) ? vids[rnd(s, 4)] | (rnd(s, 8) << 13) : rnd(s, 65536));
	}
	uint32_t l3 = rnd(s, 40);
	if (l3 < 18) {
		put16(&b, 0x0800);
		put_ipv4(s, &b);
	} else if (l3 < 30) {
		put16(&b, 0x86dd);
		put_ipv6(s, &b);
	} else if (l3 < 34) {
		put16(&b, 0x0806);
		put_arp(s, &b);
	} else if (l3 < 36) {
		put16(&b, 0x88cc); /* LLDP */
		put_random(s, &b, 20 + rnd(s, 40));
	} else if (l3 < 38) {
		uint32_t n = 3 + rnd(s, 60);
		put16(&b, n); /* 802.3 length, LLC */
		put8(&b, 0x42);
		put8(&b, 0x42);
		put8(&b, 0x03);
		put_random(s, &b, n - 3);
	} else {
		put16(&b, rnd(s, 65536));
		put_random(s, &b, rnd(s, 80));
	}
	/* Ethernet minimum (without FCS), as most captures show it. */
	while (b.len < 60 && rnd(s, 8) != 0)
		put8(&b, 0);
	p->caplen = b.len;
	p->wirelen = b.len;
	uint32_t cut = rnd(s, 20);
	if (cut == 0) /* a truncated frame: headers cut short, as a runt on the wire */
		p->caplen = p->wirelen = 1 + rnd(s, b.len);
	else if (cut == 1) /* shorter than an Ethernet header */
		p->caplen = p->wirelen = rnd(s, 14);
	else if (cut == 2) /* captured with a small snap length */
		p->caplen = 14 + rnd(s, b.len - 13 < 60 ? b.len - 13 : 60);
	if (p->caplen > p->wirelen)
		p->caplen = p->wirelen;
}

struct pktgen_pkt *pktgen_make(uint64_t seed, size_t n)
{
	struct pktgen_pkt *v = malloc(n * sizeof(*v));
	if (!v)
		return NULL;
	uint64_t s = seed;
	for (size_t i = 0; i < n; i++)
		pktgen_next(&s, &v[i]);
	return v;
}
