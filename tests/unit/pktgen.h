/*
 * pktgen.h - a deterministic generator of Ethernet frames for the filter tests and benchmarks:
 * 802.1Q and QinQ tags, ARP, IPv4 (options, fragments), IPv6 (extension headers), TCP, UDP, ICMP,
 * ICMPv6, SCTP, GRE, odd EtherTypes and 802.3 length frames, drawn from small pools of addresses
 * and ports (so filters match some packets and not others), some cut short (truncated headers,
 * frames below 14 bytes) and some captured with a snap length below their wire length.
 */
#ifndef USERBPF_TEST_PKTGEN_H
#define USERBPF_TEST_PKTGEN_H

#include <stddef.h>
#include <stdint.h>

#define PKTGEN_MAX 1600

struct pktgen_pkt {
	uint8_t data[PKTGEN_MAX];
	uint32_t caplen;  /* bytes in data */
	uint32_t wirelen; /* length on the wire (>= caplen) */
};

/* splitmix64: the state is the seed. */
uint64_t pktgen_rand(uint64_t *state);

/* Fill `p` with the next packet of the sequence seeded by *state. */
void pktgen_next(uint64_t *state, struct pktgen_pkt *p);

/* `n` packets of seed `seed` (malloc'ed array; NULL on out of memory). */
struct pktgen_pkt *pktgen_make(uint64_t seed, size_t n);

#endif /* USERBPF_TEST_PKTGEN_H */
