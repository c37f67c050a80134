/*
 * firewall.h - the maps of the stateless firewall (examples/firewall.bpf.c), for the BPF program and
 * for the host that fills the rule maps.
 *
 *   rules_v4  LPM trie, struct fw_lpm_v4 (source prefix) -> struct fw_rule
 *   rules_v6  LPM trie, struct fw_lpm_v6 (source prefix) -> struct fw_rule
 *   ports     hash, struct fw_port_key (protocol, destination port) -> struct fw_rule
 *   hits      array, rule id -> __u64 packets the rule decided (id 0: the default action)
 *   drops     array of one __u64: packets dropped
 *   .rodata   default_action (XDP_PASS unless set before load)
 *
 * Order of evaluation for an IPv4 or IPv6 packet: the longest source prefix in rules_v4/rules_v6;
 * else, for TCP and UDP (not later fragments), the rule of (protocol, destination port); else the
 * default action, counted under rule 0. Frames that are not IP, or IP that does not parse, pass
 * uncounted.
 */
#ifndef USERBPF_EXAMPLES_FIREWALL_H
#define USERBPF_EXAMPLES_FIREWALL_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

#define FW_MAX_RULES	256 /* rule ids 1..255; 0 is the default action */
#define FW_RULE_DEFAULT 0

/* Actions are XDP verdicts. */
#define FW_ACTION_DROP 1 /* XDP_DROP */
#define FW_ACTION_PASS 2 /* XDP_PASS */

struct fw_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4]; /* network byte order */
};

struct fw_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct fw_port_key {
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;   /* zero */
	__u16 port; /* destination port, host byte order */
};

struct fw_rule {
	__u32 id;     /* 1..FW_MAX_RULES-1, index into hits */
	__u32 action; /* FW_ACTION_DROP or FW_ACTION_PASS */
};

#endif /* USERBPF_EXAMPLES_FIREWALL_H */
