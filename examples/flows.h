/*
 * flows.h - the maps of the flow-accounting example (examples/flows.bpf.c), shared by the BPF
 * program and by `userbpf monitor`, which reads them. Plain fixed-width types so that the same
 * header compiles for the BPF target and for the host.
 *
 * Maps of flows.bpf.c (by name):
 *   flows     LRU hash, struct flow_key -> struct flow_stats, FLOWS_MAX_ENTRIES entries
 *   proto     per-CPU array, index enum flow_proto_idx -> struct proto_stats
 *   verdicts  array, index = XDP action (0..4) -> __u64 packets
 */
#ifndef USERBPF_EXAMPLES_FLOWS_H
#define USERBPF_EXAMPLES_FLOWS_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

#define FLOWS_MAX_ENTRIES 65536

/* 5-tuple; IPv4 addresses are IPv4-mapped IPv6 (::ffff:a.b.c.d). Ports 0 for ICMP, whose type and
 * code go in sport/dport instead. Addresses and ports in network byte order, as on the wire. */
struct flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;   /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, ... */
	__u8 family;  /* 4 or 6 */
	__u16 vlan;   /* VLAN id of the outer tag, 0 when untagged */
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;      /* frame length as captured by the program (ctx data_end - data) */
	__u64 first_seen; /* bpf_ktime_get_ns() of the first and last packet */
	__u64 last_seen;
	__u8 tcp_flags;   /* OR of every TCP flags byte seen (FIN 0x01 ... CWR 0x80) */
	__u8 pad[7];
};

enum flow_proto_idx {
	FLOW_PROTO_OTHER = 0, /* not IP, or IP that failed to parse */
	FLOW_PROTO_TCP = 1,
	FLOW_PROTO_UDP = 2,
	FLOW_PROTO_ICMP = 3, /* ICMP and ICMPv6 */
	FLOW_PROTO_IP_OTHER = 4,
	FLOW_PROTO_MAX = 5,
};

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

#endif /* USERBPF_EXAMPLES_FLOWS_H */
