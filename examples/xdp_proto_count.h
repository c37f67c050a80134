/*
 * xdp_proto_count.h - the map of the per-protocol counter (examples/xdp_proto_count.bpf.c), for the
 * BPF program and for hosts that read it.
 *
 *   proto_count  per-CPU array, index enum pc_class -> struct pc_stats
 *
 * A frame counts once in its network class (IPv4, IPv6, ARP, or PC_OTHER for any other EtherType or
 * a frame too short for its headers) and, when it is IPv4 or IPv6 with a TCP, UDP, ICMP or ICMPv6
 * header after it (IPv6 extension headers skipped, up to 4), once more in that transport class.
 */
#ifndef USERBPF_EXAMPLES_XDP_PROTO_COUNT_H
#define USERBPF_EXAMPLES_XDP_PROTO_COUNT_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint64_t __u64;
#endif

enum pc_class {
	PC_IPV4 = 0,
	PC_IPV6 = 1,
	PC_ARP = 2,
	PC_TCP = 3,
	PC_UDP = 4,
	PC_ICMP = 5,
	PC_ICMPV6 = 6,
	PC_OTHER = 7,
	PC_MAX = 8,
};

struct pc_stats {
	__u64 packets;
	__u64 bytes; /* frame length (ctx data_end - data) */
};

#endif /* USERBPF_EXAMPLES_XDP_PROTO_COUNT_H */
