/*
 * dispatch.h - slots and counters of the tail-call dispatcher (examples/dispatch.bpf.c).
 *
 *   progs   prog_array, enum dispatch_slot -> program; filled from the object (BTF `values`):
 *           ARP, TCP, UDP and ICMP have a program; ICMPv6 and other IP protocols do not
 *   counts  array, enum dispatch_slot or DISPATCH_FALLTHROUGH / DISPATCH_UNHANDLED -> struct dispatch_count
 *
 * The entry program parses Ethernet (up to two VLAN tags) and IP, and tail-calls the slot of the
 * packet's class; each per-protocol program counts the packet under its slot and returns its verdict
 * (ICMP: XDP_DROP, the others XDP_PASS). When the slot is empty the tail call falls through and the
 * entry counts DISPATCH_FALLTHROUGH and passes; frames of no class (neither ARP nor IP, or IP that does
 * not parse) count DISPATCH_UNHANDLED and pass.
 */
#ifndef USERBPF_EXAMPLES_DISPATCH_H
#define USERBPF_EXAMPLES_DISPATCH_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint64_t __u64;
#endif

enum dispatch_slot {
	DISPATCH_ARP = 0,
	DISPATCH_TCP = 1,
	DISPATCH_UDP = 2,
	DISPATCH_ICMP = 3,
	DISPATCH_ICMPV6 = 4,   /* no program: falls through */
	DISPATCH_IP_OTHER = 5, /* no program: falls through */
	DISPATCH_NR_SLOTS = 8,
	DISPATCH_FALLTHROUGH = 8,
	DISPATCH_UNHANDLED = 9,
	DISPATCH_NR_COUNTS = 10,
};

struct dispatch_count {
	__u64 packets;
	__u64 bytes;
};

#endif /* USERBPF_EXAMPLES_DISPATCH_H */
