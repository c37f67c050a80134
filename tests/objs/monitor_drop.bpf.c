/* monitor_drop.bpf.c - a packet program for tests/cli/test_monitor.sh (`userbpf monitor --prog OBJ`):
 * counts frames by their outer EtherType in a hash map and all frames in an array, drops IPv6
 * (EtherType 0x86dd, untagged), passes the rest. Plus a program of another type, which monitor
 * refuses by name, and monitor_bad, whose every run fails on the checked engine. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} ethertypes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} totals SEC(".maps");

SEC("kprobe/do_nothing")
int not_a_packet_prog(void *ctx)
{
	return 0;
}

SEC("xdp")
int monitor_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0, type;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&totals, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	type = bpf_ntohs(eth->h_proto);
	v = bpf_map_lookup_elem(&ethertypes, &type);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&ethertypes, &type, &one, BPF_NOEXIST);
	return type == ETH_P_IPV6 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

/* Reads far past any packet: every run fails on the checked engine. */
SEC("xdp")
int monitor_bad(struct xdp_md *ctx)
{
	volatile unsigned char *p = (void *)(long)ctx->data;

	return p[70000] ? XDP_PASS : XDP_DROP;
}
