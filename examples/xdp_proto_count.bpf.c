/*
 * xdp_proto_count.bpf.c - XDP per-protocol counter: packets and bytes per network class (IPv4, IPv6,
 * ARP, other) and per transport class (TCP, UDP, ICMP, ICMPv6) in the per-CPU array `proto_count`
 * (xdp_proto_count.h). VLAN tags (up to two) are skipped. Always XDP_PASS.
 */
#include "parse.h"

#include "xdp_proto_count.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pc_stats);
	__uint(max_entries, PC_MAX);
} proto_count SEC(".maps");

static __always_inline void count(__u32 cls, __u64 bytes)
{
	struct pc_stats *st = bpf_map_lookup_elem(&proto_count, &cls);

	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

SEC("xdp")
int proto_count_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct parse_l2 l2;
	struct parse_l3 l3;

	if (parse_l2(data, data_end, &l2) < 0) {
		count(PC_OTHER, bytes);
		return XDP_PASS;
	}
	if (l2.proto == bpf_htons(ETH_P_ARP)) {
		count(PC_ARP, bytes);
		return XDP_PASS;
	}
	if (l2.proto == bpf_htons(ETH_P_IP)) {
		count(PC_IPV4, bytes);
		if (parse_ipv4(data, data_end, l2.off, &l3) < 0)
			return XDP_PASS;
	} else if (l2.proto == bpf_htons(ETH_P_IPV6)) {
		count(PC_IPV6, bytes);
		if (parse_ipv6(data, data_end, l2.off, &l3) < 0)
			return XDP_PASS;
	} else {
		count(PC_OTHER, bytes);
		return XDP_PASS;
	}
	if (l3.later_frag)
		return XDP_PASS;
	if (l3.proto == IPPROTO_TCP) {
		if (parse_l4(data, data_end, &l3, 20))
			count(PC_TCP, bytes);
	} else if (l3.proto == IPPROTO_UDP) {
		if (parse_l4(data, data_end, &l3, 8))
			count(PC_UDP, bytes);
	} else if (l3.proto == IPPROTO_ICMP && l3.family == 4) {
		if (parse_l4(data, data_end, &l3, 4))
			count(PC_ICMP, bytes);
	} else if (l3.proto == IPPROTO_ICMPV6 && l3.family == 6) {
		if (parse_l4(data, data_end, &l3, 4))
			count(PC_ICMPV6, bytes);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
