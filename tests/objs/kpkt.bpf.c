/* kpkt.bpf.c - packet programs for tests/kernel/diff_examples.c: the kernel packet runner
 * (userbpf_kpktrun) and userbpf's runner must agree on contexts in and out, packet changes and
 * verdicts. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static void bump(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&seen, &k);

	if (p)
		*p += v;
}

/* Strip the Ethernet header, leave 8 bytes of metadata; the verdict is the first byte after the
 * header modulo 6 (5: out of range, aborted). */
SEC("xdp")
int xdp_strip(struct xdp_md *ctx)
{
	void *data, *end;
	__u8 v;

	bump(0, ctx->ingress_ifindex);
	bump(1, ctx->rx_queue_index + 1);
	if (bpf_xdp_adjust_head(ctx, ETH_HLEN))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_meta(ctx, -8))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if ((void *)(long)ctx->data_meta + 8 > data || data + 1 > end)
		return XDP_ABORTED;
	*(__u64 *)(long)ctx->data_meta = 0x1122334455667788ull;
	v = *(__u8 *)data;
	return v % 6;
}

/* Mark + 1, priority 7, cb[0] = len, cb[4] = wire_len; swap the MAC addresses; drop non-IPv4. */
SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];

	skb->mark += 1;
	skb->priority = 7;
	skb->cb[0] = skb->len;
	skb->cb[4] = skb->wire_len;
	bump(2, skb->ifindex);
	if ((void *)(eth + 1) > end)
		return TC_ACT_SHOT;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return eth->h_proto == bpf_htons(ETH_P_IP) ? TC_ACT_OK : TC_ACT_SHOT;
}

/* Keep 20 bytes (of what a socket filter sees: from the network header). */
SEC("socket")
int sock_keep20(struct __sk_buff *skb)
{
	bump(3, 1);
	return 20;
}

char LICENSE[] SEC("license") = "GPL";
