/*
 * firewall.bpf.c - stateless XDP firewall (maps and rule order in firewall.h): source CIDR rules in
 * LPM tries for IPv4 and IPv6, then (protocol, destination port) rules in a hash, then the default
 * action from .rodata. Every decision counts in `hits` under its rule id; drops also in `drops`.
 */
#include "parse.h"
#include <linux/tcp.h>
#include <linux/udp.h>

#include "firewall.h"

/* Set before load (as libbpf's skeletons do) to drop what no rule matches. */
const volatile __u32 default_action = FW_ACTION_PASS;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct fw_lpm_v4);
	__type(value, struct fw_rule);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} rules_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct fw_lpm_v6);
	__type(value, struct fw_rule);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} rules_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct fw_port_key);
	__type(value, struct fw_rule);
	__uint(max_entries, 1024);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_MAX_RULES);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} drops SEC(".maps");

static __always_inline int decide(__u32 id, __u32 action)
{
	__u64 *cnt;
	__u32 zero = 0;

	cnt = bpf_map_lookup_elem(&hits, &id);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	if (action == FW_ACTION_DROP) {
		cnt = bpf_map_lookup_elem(&drops, &zero);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("xdp")
int firewall_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_l2 l2;
	struct parse_l3 l3;
	struct fw_rule *rule;

	if (parse_ip(data, data_end, &l2, &l3) != 1)
		return XDP_PASS;

	if (l3.family == 4) {
		struct fw_lpm_v4 k4 = {.prefixlen = 32};

		__builtin_memcpy(k4.addr, l3.saddr + 12, 4);
		rule = bpf_map_lookup_elem(&rules_v4, &k4);
	} else {
		struct fw_lpm_v6 k6 = {.prefixlen = 128};

		__builtin_memcpy(k6.addr, l3.saddr, 16);
		rule = bpf_map_lookup_elem(&rules_v6, &k6);
	}
	if (rule)
		return decide(rule->id, rule->action);

	if (!l3.later_frag && (l3.proto == IPPROTO_TCP || l3.proto == IPPROTO_UDP)) {
		/* Source and destination ports sit at the same offsets in TCP and UDP. */
		struct udphdr *uh = parse_l4(data, data_end, &l3, sizeof(*uh));
		struct fw_port_key pk = {.proto = l3.proto};

		if (uh) {
			pk.port = bpf_ntohs(uh->dest);
			rule = bpf_map_lookup_elem(&ports, &pk);
			if (rule)
				return decide(rule->id, rule->action);
		}
	}
	return decide(FW_RULE_DEFAULT, default_action);
}

char LICENSE[] SEC("license") = "GPL";
