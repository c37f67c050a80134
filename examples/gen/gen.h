/*
 * gen.h - the example captures as data: every packet of every capture of examples/ is built from a
 * struct gen_pkt that says what it is (addresses, ports, flags, VLAN tags, DNS question, what is
 * deliberately wrong with it) next to its bytes. gen_captures writes them as pcap files into
 * $(BUILD)/examples/NAME.pcap; the tests (tests/unit/test_examples.c) build the same lists and derive
 * the expected map contents and verdicts from these descriptions, never from a run of the programs.
 *
 * Everything is deterministic: fixed seeds, fixed timestamps (GEN_TS_BASE plus a fixed step), IPv4
 * header checksums and TCP/UDP/ICMP/ICMPv6 checksums computed correctly.
 */
#ifndef USERBPF_EXAMPLES_GEN_H
#define USERBPF_EXAMPLES_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_PKT_MAX 1518
#define GEN_TS_BASE 1700000000000000000ull /* ns: 2023-11-14 22:13:20 UTC */

#define GEN_ETH_IPV4   0x0800
#define GEN_ETH_IPV6   0x86dd
#define GEN_ETH_ARP    0x0806
#define GEN_ETH_LLDP   0x88cc
#define GEN_ETH_8021Q  0x8100
#define GEN_ETH_8021AD 0x88a8

#define GEN_IPPROTO_ICMP   1
#define GEN_IPPROTO_TCP	   6
#define GEN_IPPROTO_UDP	   17
#define GEN_IPPROTO_GRE	   47
#define GEN_IPPROTO_ICMPV6 58

#define GEN_TCP_FIN 0x01
#define GEN_TCP_SYN 0x02
#define GEN_TCP_RST 0x04
#define GEN_TCP_PSH 0x08
#define GEN_TCP_ACK 0x10
#define GEN_TCP_URG 0x20
#define GEN_TCP_CWR 0x80

/* What is deliberately wrong with a packet. */
enum gen_defect {
	GEN_OK = 0,
	GEN_TRUNC_L4,	  /* IP header fine, frame ends inside the transport header (after 2 bytes of it) */
	GEN_TOO_MANY_EXT, /* IPv6 with more extension headers than the programs walk (5) */
	GEN_BAD_IHL,	  /* IPv4 header with IHL 4 */
};

/* DNS question of a UDP packet to or from port 53. */
enum gen_dns_kind {
	GEN_DNS_NONE = 0,
	GEN_DNS_QUERY,	       /* well-formed query */
	GEN_DNS_RESPONSE,      /* QR = 1 */
	GEN_DNS_NO_QUESTION,   /* QDCOUNT = 0 */
	GEN_DNS_SHORT,	       /* UDP payload shorter than the 12-byte DNS header */
	GEN_DNS_LONG_LABEL,    /* a label of 64 bytes */
	GEN_DNS_COMPRESSED,    /* a compression pointer in the question */
	GEN_DNS_NAME_TOO_LONG, /* encoded name of DNS_NAME_MAX + 1 bytes */
	GEN_DNS_NO_QTYPE,      /* the packet ends after the name, before QTYPE */
};

struct gen_pkt {
	/* What the packet is. */
	uint64_t ts_ns;
	uint8_t nvlan;	    /* 0, 1 (802.1Q) or 2 (802.1ad outer + 802.1Q inner) */
	uint16_t vlan[2];   /* VLAN ids, outer first */
	uint16_t ethertype; /* after the tags, host order */
	uint8_t family;	    /* 4, 6, or 0 when not IP */
	uint8_t saddr[16];  /* IPv4 as ::ffff:a.b.c.d */
	uint8_t daddr[16];
	uint8_t proto;	       /* IP protocol (after IPv6 extension headers) */
	uint8_t n_ext;	       /* IPv6 extension headers (hop-by-hop, destination options...) */
	uint8_t later_frag;    /* a fragment after the first (IPv4 offset or IPv6 fragment header) */
	uint8_t ip_opt_len;    /* IPv4 options (NOPs), a multiple of 4 */
	uint16_t sport, dport; /* host order; for ICMP/ICMPv6: type and code */
	uint8_t tcp_flags;
	uint16_t udp_csum_zero; /* UDP sent without checksum (0) */
	enum gen_defect defect;
	uint16_t payload_len; /* bytes after the transport header (DNS message included) */
	/* DNS (UDP to or from port 53 with dns != GEN_DNS_NONE). */
	enum gen_dns_kind dns;
	uint16_t qtype;
	char qname[300]; /* dotted, "" for the root */
	/* Bytes. */
	uint32_t len;
	uint8_t data[GEN_PKT_MAX];
};

struct gen_capture {
	const char *name; /* "flows": file flows.pcap, program examples/flows.bpf.c */
	struct gen_pkt *pkts;
	size_t n;
	size_t cap;
};

/* Names of every capture, NULL-terminated. */
extern const char *const gen_capture_names[];

/* Build capture `name`: 0, -ENOENT (unknown name), -ENOMEM, -EINVAL (a packet that cannot be built). */
int gen_capture_build(const char *name, struct gen_capture *cap);
void gen_capture_free(struct gen_capture *cap);

/* Fill g->data and g->len from the description (the rest of *g). 0 or -EINVAL. */
int gen_pkt_build(struct gen_pkt *g);

/* Write the capture as a pcap file (microsecond timestamps, Ethernet). 0 or -errno. */
int gen_capture_write(const struct gen_capture *cap, const char *path);

/* Internet checksum of `len` bytes with `sum` as the starting partial sum (host order). */
uint16_t gen_csum(const void *buf, size_t len, uint32_t sum);

/*
 * The firewall capture's rules, which the test installs in the maps: source prefixes and
 * (protocol, destination port) rules, ids and actions as in examples/firewall.h.
 */
struct gen_fw_rule {
	uint32_t id;
	uint32_t action;  /* FW_ACTION_DROP (1) or FW_ACTION_PASS (2) */
	uint8_t family;	  /* 4 or 6: a source prefix; 0: a port rule */
	uint8_t addr[16]; /* prefix (IPv4: the first 4 bytes) */
	uint32_t prefixlen;
	uint8_t proto; /* port rules */
	uint16_t port;
};
extern const struct gen_fw_rule gen_fw_rules[];
extern const size_t gen_fw_nr_rules;

/* The synflood capture's sources. */
#define GEN_SYN_FLOODER "10.66.0.1"
#define GEN_SYN_SCANNER "2001:db8:bad::1"

#endif /* USERBPF_EXAMPLES_GEN_H */
