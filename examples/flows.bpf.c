/*
 * flows.bpf.c - XDP 5-tuple flow accounting (maps in flows.h): per flow (addresses, ports, protocol,
 * family, outer VLAN id) packets, bytes, first and last seen (bpf_ktime_get_ns) and the OR of the TCP
 * flags, in the LRU hash `flows`; per-protocol packets and bytes in the per-CPU array `proto`; the
 * verdict of every packet in `verdicts`. IPv4 and IPv6 (up to PARSE_IPV6_EXT_MAX extension headers),
 * TCP, UDP, ICMP, ICMPv6 (type in sport, code in dport, network byte order like ports), other IP
 * protocols with ports 0, 802.1Q and QinQ frames. Fragments after the first have ports 0. A frame
 * that is not IP, or IP that does not parse, is counted under FLOW_PROTO_OTHER only. Always XDP_PASS.
 */
#include "parse.h"
#include <linux/tcp.h>
#include <linux/udp.h>

#include "flows.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, FLOWS_MAX_ENTRIES);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct proto_stats);
	__uint(max_entries, FLOW_PROTO_MAX);
} proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 5);
} verdicts SEC(".maps");

static __always_inline int finish(__u32 idx, __u64 bytes, int verdict)
{
	struct proto_stats *ps = bpf_map_lookup_elem(&proto, &idx);
	__u32 v = verdict;
	__u64 *cnt;

	if (ps) {
		ps->packets++;
		ps->bytes += bytes;
	}
	cnt = bpf_map_lookup_elem(&verdicts, &v);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return verdict;
}

SEC("xdp")
int flows_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct parse_l2 l2;
	struct parse_l3 l3;
	struct flow_key key;
	struct flow_stats *st;
	__u8 tcp_flags = 0;
	__u32 idx;
	__u64 now;

	if (parse_ip(data, data_end, &l2, &l3) != 1)
		return finish(FLOW_PROTO_OTHER, bytes, XDP_PASS);

	__builtin_memset(&key, 0, sizeof(key));
	__builtin_memcpy(key.saddr, l3.saddr, 16);
	__builtin_memcpy(key.daddr, l3.daddr, 16);
	key.proto = l3.proto;
	key.family = l3.family;
	key.vlan = l2.vlan;

	if (l3.proto == IPPROTO_TCP) {
		struct tcphdr *th;

		idx = FLOW_PROTO_TCP;
		if (!l3.later_frag) {
			th = parse_l4(data, data_end, &l3, sizeof(*th));
			if (!th)
				return finish(FLOW_PROTO_OTHER, bytes, XDP_PASS);
			key.sport = th->source;
			key.dport = th->dest;
			tcp_flags = ((__u8 *)th)[13];
		}
	} else if (l3.proto == IPPROTO_UDP) {
		struct udphdr *uh;

		idx = FLOW_PROTO_UDP;
		if (!l3.later_frag) {
			uh = parse_l4(data, data_end, &l3, sizeof(*uh));
			if (!uh)
				return finish(FLOW_PROTO_OTHER, bytes, XDP_PASS);
			key.sport = uh->source;
			key.dport = uh->dest;
		}
	} else if (l3.proto == IPPROTO_ICMP || l3.proto == IPPROTO_ICMPV6) {
		__u8 *ih;

		idx = FLOW_PROTO_ICMP;
		if (!l3.later_frag) {
			ih = parse_l4(data, data_end, &l3, 2);
			if (!ih)
				return finish(FLOW_PROTO_OTHER, bytes, XDP_PASS);
			key.sport = bpf_htons(ih[0]);
			key.dport = bpf_htons(ih[1]);
		}
	} else {
		idx = FLOW_PROTO_IP_OTHER;
	}

	now = bpf_ktime_get_ns();
	st = bpf_map_lookup_elem(&flows, &key);
	if (!st) {
		struct flow_stats init = {
		    .packets = 1,
		    .bytes = bytes,
		    .first_seen = now,
		    .last_seen = now,
		    .tcp_flags = tcp_flags,
		};

		if (bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST) == 0)
			return finish(idx, bytes, XDP_PASS);
		/* Another CPU created it meanwhile: account below. */
		st = bpf_map_lookup_elem(&flows, &key);
		if (!st)
			return finish(idx, bytes, XDP_PASS);
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, bytes);
	st->last_seen = now;
	st->tcp_flags |= tcp_flags;
	return finish(idx, bytes, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
