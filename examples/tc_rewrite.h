/*
 * tc_rewrite.h - configuration and counters of the TC rewrite example (examples/tc_rewrite.bpf.c).
 *
 *   .rodata  match_daddr, match_dport: the IPv4 destination and TCP/UDP destination port to rewrite
 *            (network byte order); new_daddr, new_dport: what they become
 *   stats    array, index enum tcrw_stat -> __u64 packets
 *
 * Defaults (set before load to change): 192.0.2.10:8080 -> 10.1.2.3:80, TCP and UDP. Only untagged
 * Ethernet IPv4 frames that are not fragments after the first are rewritten. A UDP checksum of zero
 * (none) stays zero.
 */
#ifndef USERBPF_EXAMPLES_TC_REWRITE_H
#define USERBPF_EXAMPLES_TC_REWRITE_H

#define TCRW_MATCH_DADDR 0xc000020a /* 192.0.2.10 */
#define TCRW_MATCH_DPORT 8080
#define TCRW_NEW_DADDR	 0x0a010203 /* 10.1.2.3 */
#define TCRW_NEW_DPORT	 80

enum tcrw_stat {
	TCRW_STAT_SEEN = 0,	 /* IPv4 TCP/UDP packets looked at */
	TCRW_STAT_REWRITTEN = 1, /* packets rewritten */
	TCRW_STAT_FAILED = 2,	 /* a helper failed: packet left as it was or partly rewritten */
	TCRW_STAT_MAX = 3,
};

#endif /* USERBPF_EXAMPLES_TC_REWRITE_H */
