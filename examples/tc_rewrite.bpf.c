/*
 * tc_rewrite.bpf.c - TC classifier (SEC("tc")) that rewrites the IPv4 destination address and the
 * TCP/UDP destination port of matching packets, NAT-like, with bpf_skb_store_bytes, and keeps both
 * checksums right incrementally: bpf_l3_csum_replace for the IPv4 header checksum, and
 * bpf_l4_csum_replace for the TCP/UDP checksum, whose pseudo-header covers the address
 * (BPF_F_PSEUDO_HDR). Configuration and counters in tc_rewrite.h. Always TC_ACT_OK.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tc_rewrite.h"

const volatile __u32 match_daddr = bpf_htonl(TCRW_MATCH_DADDR);
const volatile __u16 match_dport = bpf_htons(TCRW_MATCH_DPORT);
const volatile __u32 new_daddr = bpf_htonl(TCRW_NEW_DADDR);
const volatile __u16 new_dport = bpf_htons(TCRW_NEW_DPORT);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, TCRW_STAT_MAX);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u32 ip_off = sizeof(*eth), l4_off, csum_off, port_off, csum_flags = 0;
	__be32 old_daddr, to_daddr = new_daddr;
	__be16 old_dport, to_dport = new_dport;
	__be16 *ports;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip->ihl < 5 || (ip->frag_off & bpf_htons(0x1fff)))
		return TC_ACT_OK;
	if (ip->protocol == IPPROTO_TCP) {
		csum_off = offsetof(struct tcphdr, check);
	} else if (ip->protocol == IPPROTO_UDP) {
		csum_off = offsetof(struct udphdr, check);
		csum_flags = BPF_F_MARK_MANGLED_0;
	} else {
		return TC_ACT_OK;
	}
	l4_off = ip_off + ip->ihl * 4;
	ports = data + l4_off;
	/* Room for the checksum field too (TCP's is at 16). */
	if ((void *)ports + csum_off + 2 > data_end)
		return TC_ACT_OK;
	stat_add(TCRW_STAT_SEEN);
	old_daddr = ip->daddr;
	old_dport = ports[1];
	if (old_daddr != match_daddr || old_dport != match_dport)
		return TC_ACT_OK;

	csum_off += l4_off;
	port_off = l4_off + offsetof(struct udphdr, dest);
	/* The pseudo-header holds the address: the L4 checksum changes with it. */
	if (bpf_l4_csum_replace(skb, csum_off, old_daddr, to_daddr, BPF_F_PSEUDO_HDR | csum_flags | 4) ||
	    bpf_l3_csum_replace(skb, ip_off + offsetof(struct iphdr, check), old_daddr, to_daddr, 4) ||
	    bpf_skb_store_bytes(skb, ip_off + offsetof(struct iphdr, daddr), &to_daddr, 4, 0) ||
	    bpf_l4_csum_replace(skb, csum_off, old_dport, to_dport, csum_flags | 2) ||
	    bpf_skb_store_bytes(skb, port_off, &to_dport, 2, 0)) {
		stat_add(TCRW_STAT_FAILED);
		return TC_ACT_OK;
	}
	stat_add(TCRW_STAT_REWRITTEN);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
