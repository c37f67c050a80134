/*
 * dns.h - maps of the DNS query counter (examples/dns.bpf.c).
 *
 *   qtypes  hash, QTYPE (__u16, host byte order) -> __u64 queries
 *   tlds    hash, struct dns_tld (last label of the name, lower-cased) -> __u64 queries
 *   stats   array, index enum dns_stat -> __u64
 *
 * A query is a UDP datagram to port 53 (IPv4 or IPv6, after up to two VLAN tags) whose DNS header has
 * QR = 0 and QDCOUNT >= 1. Its first question is read: QNAME as length-prefixed labels of at most 63
 * bytes, the whole encoded name (length bytes and the final zero) at most DNS_NAME_MAX bytes, no
 * compression pointers; then QTYPE. A query whose question breaks any of this, or ends before
 * QTYPE, is malformed: counted in DNS_STAT_MALFORMED and nowhere else. The root name (a lone zero)
 * counts under the empty TLD.
 */
#ifndef USERBPF_EXAMPLES_DNS_H
#define USERBPF_EXAMPLES_DNS_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

#define DNS_PORT      53
#define DNS_NAME_MAX  128 /* bytes of the encoded QNAME, final zero included */
#define DNS_LABEL_MAX 63
#define DNS_TLD_LEN   16 /* a longer last label is cut to its first 15 bytes */

struct dns_tld {
	char name[DNS_TLD_LEN]; /* NUL-padded */
};

enum dns_stat {
	DNS_STAT_QUERIES = 0,	/* well-formed queries counted by qtype */
	DNS_STAT_MALFORMED = 1, /* queries whose question does not parse */
	DNS_STAT_OTHER = 2,	/* UDP to port 53 that is not a query (responses, QDCOUNT 0, too short) */
	DNS_STAT_MAX = 3,
};

#endif /* USERBPF_EXAMPLES_DNS_H */
