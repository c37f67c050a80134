/*
 * parse.h - bounded packet parsing shared by the example programs (BPF side only): Ethernet with up
 * to two VLAN tags (802.1Q, 802.1ad QinQ), IPv4 (options, fragments), IPv6 with up to
 * PARSE_IPV6_EXT_MAX extension headers. Every access is checked against data_end right before it,
 * in the shape the kernel's verifier accepts; offsets stay bounded so pointer arithmetic is provable.
 */
#ifndef USERBPF_EXAMPLES_PARSE_H
#define USERBPF_EXAMPLES_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define PARSE_VLAN_MAX	   2
#define PARSE_IPV6_EXT_MAX 4

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#define PARSE_NEXTHDR_HOP      0
#define PARSE_NEXTHDR_ROUTING  43
#define PARSE_NEXTHDR_FRAGMENT 44
#define PARSE_NEXTHDR_AUTH     51
#define PARSE_NEXTHDR_NONE     59
#define PARSE_NEXTHDR_DEST     60

/* An 802.1Q/802.1ad tag as it follows the MAC addresses (the kernel's is not in the UAPI). */
struct parse_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct parse_l2 {
	__u32 off;    /* offset of the network header */
	__be16 proto; /* EtherType after the tags */
	__u16 vlan;   /* VLAN id of the outer tag, 0 when untagged */
	__u8 nvlan;
};

struct parse_l3 {
	__u32 l4_off;	 /* offset of the transport header */
	__u8 family;	 /* 4 or 6 */
	__u8 proto;	 /* transport protocol (after IPv6 extension headers) */
	__u8 later_frag; /* a fragment other than the first: no transport header */
	__u8 saddr[16];	 /* IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d) */
	__u8 daddr[16];
};

/* Ethernet and up to PARSE_VLAN_MAX tags. 0, or -1 when the frame is too short. */
static __always_inline int parse_l2(void *data, void *data_end, struct parse_l2 *l2)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	l2->vlan = 0;
	l2->nvlan = 0;
#pragma unroll
	for (int i = 0; i < PARSE_VLAN_MAX; i++) {
		struct parse_vlan_hdr *vh = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return -1;
		if (i == 0)
			l2->vlan = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->encap_proto;
		off += sizeof(*vh);
		l2->nvlan++;
	}
	l2->off = off;
	l2->proto = proto;
	return 0;
}

static __always_inline void parse_v4mapped(__u8 *dst, const void *v4)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, v4, 4);
}

/* IPv4 header at `off`. 0, or -1 when truncated or not a valid IPv4 header. */
static __always_inline int parse_ipv4(void *data, void *data_end, __u32 off, struct parse_l3 *l3)
{
	struct iphdr *ip = data + off;
	__u32 hl;

	if ((void *)(ip + 1) > data_end)
		return -1;
	if (ip->version != 4 || ip->ihl < 5)
		return -1;
	hl = ip->ihl * 4;
	if (data + off + hl > data_end)
		return -1;
	l3->family = 4;
	l3->proto = ip->protocol;
	l3->later_frag = (ip->frag_off & bpf_htons(0x1fff)) != 0;
	l3->l4_off = off + hl;
	parse_v4mapped(l3->saddr, &ip->saddr);
	parse_v4mapped(l3->daddr, &ip->daddr);
	return 0;
}

struct parse_ipv6_opt {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* IPv6 header at `off` and up to PARSE_IPV6_EXT_MAX extension headers. 0, or -1 when truncated or
 * when more extension headers follow than the bound. */
static __always_inline int parse_ipv6(void *data, void *data_end, __u32 off, struct parse_l3 *l3)
{
	struct ipv6hdr *ip6 = data + off;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return -1;
	if (ip6->version != 6)
		return -1;
	__builtin_memcpy(l3->saddr, &ip6->saddr, 16);
	__builtin_memcpy(l3->daddr, &ip6->daddr, 16);
	l3->family = 6;
	l3->later_frag = 0;
	nexthdr = ip6->nexthdr;
	off += sizeof(*ip6);
#pragma unroll
	for (int i = 0; i < PARSE_IPV6_EXT_MAX; i++) {
		struct parse_ipv6_opt *opt = data + off;
		__u32 len;

		if (nexthdr != PARSE_NEXTHDR_HOP && nexthdr != PARSE_NEXTHDR_ROUTING &&
		    nexthdr != PARSE_NEXTHDR_FRAGMENT && nexthdr != PARSE_NEXTHDR_AUTH &&
		    nexthdr != PARSE_NEXTHDR_DEST)
			break;
		if ((void *)(opt + 1) > data_end)
			return -1;
		if (nexthdr == PARSE_NEXTHDR_FRAGMENT) {
			__be16 *fo = (void *)(opt + 1);

			if ((void *)(fo + 1) > data_end)
				return -1;
			if (*fo & bpf_htons(0xfff8))
				l3->later_frag = 1;
			len = 8;
		} else if (nexthdr == PARSE_NEXTHDR_AUTH) {
			len = ((__u32)opt->hdrlen + 2) * 4;
		} else {
			len = ((__u32)opt->hdrlen + 1) * 8;
		}
		nexthdr = opt->nexthdr;
		off += len;
	}
	if (nexthdr == PARSE_NEXTHDR_HOP || nexthdr == PARSE_NEXTHDR_ROUTING ||
	    nexthdr == PARSE_NEXTHDR_FRAGMENT || nexthdr == PARSE_NEXTHDR_AUTH ||
	    nexthdr == PARSE_NEXTHDR_DEST)
		return -1;
	if (data + off > data_end)
		return -1;
	l3->proto = nexthdr;
	l3->l4_off = off;
	return 0;
}

/* Bound on header offsets: it keeps the verifier's range of an offset read back from the stack small. */
#define PARSE_MAX_OFF 0x3fff

/* The transport header, `size` bytes of it within the packet, or NULL. */
static __always_inline void *parse_l4(void *data, void *data_end, const struct parse_l3 *l3, __u32 size)
{
	__u32 off = l3->l4_off;
	void *p;

	if (off > PARSE_MAX_OFF)
		return NULL;
	p = data + off;
	if (p + size > data_end)
		return NULL;
	return p;
}

/* L2 then IPv4 or IPv6. 1 when IP parsed, 0 when not IP, -1 when IP failed to parse. */
static __always_inline int parse_ip(void *data, void *data_end, struct parse_l2 *l2, struct parse_l3 *l3)
{
	if (parse_l2(data, data_end, l2) < 0)
		return 0;
	if (l2->proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(data, data_end, l2->off, l3) < 0 ? -1 : 1;
	if (l2->proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(data, data_end, l2->off, l3) < 0 ? -1 : 1;
	return 0;
}

#endif /* USERBPF_EXAMPLES_PARSE_H */
