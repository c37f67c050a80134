/*
 * dispatch.bpf.c - XDP tail-call protocol dispatcher (slots and counters in dispatch.h): the entry
 * program `dispatch` classifies the frame and tail-calls the program in that slot of `progs`, whose
 * slots the object fills itself through the BTF `values` initialisation; each per-protocol program
 * counts in the shared `counts` map. An empty slot makes the tail call fall through.
 */
#include "parse.h"

#include "dispatch.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct dispatch_count);
	__uint(max_entries, DISPATCH_NR_COUNTS);
} counts SEC(".maps");

int handle_arp(struct xdp_md *ctx);
int handle_tcp(struct xdp_md *ctx);
int handle_udp(struct xdp_md *ctx);
int handle_icmp(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, DISPATCH_NR_SLOTS);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} progs SEC(".maps") = {
    .values =
	{
	    [DISPATCH_ARP] = (void *)&handle_arp,
	    [DISPATCH_TCP] = (void *)&handle_tcp,
	    [DISPATCH_UDP] = (void *)&handle_udp,
	    [DISPATCH_ICMP] = (void *)&handle_icmp,
	},
};

static __always_inline int count(struct xdp_md *ctx, __u32 idx, int verdict)
{
	struct dispatch_count *c = bpf_map_lookup_elem(&counts, &idx);

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, ctx->data_end - ctx->data);
	}
	return verdict;
}

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_l2 l2;
	struct parse_l3 l3;
	__u32 slot;
	int ip;

	ip = parse_ip(data, data_end, &l2, &l3);
	if (ip == 0 && parse_l2(data, data_end, &l2) == 0 && l2.proto == bpf_htons(ETH_P_ARP))
		slot = DISPATCH_ARP;
	else if (ip != 1)
		return count(ctx, DISPATCH_UNHANDLED, XDP_PASS);
	else if (l3.proto == IPPROTO_TCP)
		slot = DISPATCH_TCP;
	else if (l3.proto == IPPROTO_UDP)
		slot = DISPATCH_UDP;
	else if (l3.proto == IPPROTO_ICMP && l3.family == 4)
		slot = DISPATCH_ICMP;
	else if (l3.proto == IPPROTO_ICMPV6 && l3.family == 6)
		slot = DISPATCH_ICMPV6;
	else
		slot = DISPATCH_IP_OTHER;

	bpf_tail_call(ctx, &progs, slot);
	/* Only reached when the slot is empty. */
	return count(ctx, DISPATCH_FALLTHROUGH, XDP_PASS);
}

SEC("xdp")
int handle_arp(struct xdp_md *ctx)
{
	return count(ctx, DISPATCH_ARP, XDP_PASS);
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	return count(ctx, DISPATCH_TCP, XDP_PASS);
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	return count(ctx, DISPATCH_UDP, XDP_PASS);
}

SEC("xdp")
int handle_icmp(struct xdp_md *ctx)
{
	return count(ctx, DISPATCH_ICMP, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
