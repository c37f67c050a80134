/* ctx_pkt.bpf.c - xdp_md and __sk_buff read by real clang output, for the context-access pass
 * (tests/unit/test_ctx_objs.c): pointer fields read in subprograms, the context spilled to the stack
 * and reloaded, plain fields read and written in place, one program per packet type. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The ethertype of the frame, or -1 when it is shorter than an Ethernet header. */
static __noinline int xdp_proto_of(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return -1;
	return bpf_ntohs(eth->h_proto);
}

SEC("xdp")
int xdp_proto(struct xdp_md *ctx)
{
	int p = xdp_proto_of(ctx);

	if (p < 0)
		return XDP_ABORTED;
	return p == ETH_P_IP ? XDP_PASS : XDP_DROP;
}

/* Length, meta length, ifindex and queue in one number; the ctx goes through the stack. */
SEC("xdp")
int xdp_fields(struct xdp_md *ctx)
{
	struct xdp_md *volatile spilled = ctx;
	struct xdp_md *c = spilled;
	long len = (long)c->data_end - (long)c->data;
	long meta = (long)c->data - (long)c->data_meta;

	return (int)(len + meta * 100 + c->ingress_ifindex * 10000 + c->rx_queue_index * 1000000);
}

static __noinline __u32 skb_first_byte(struct __sk_buff *skb)
{
	__u8 *d = (__u8 *)(long)skb->data;
	__u8 *e = (__u8 *)(long)skb->data_end;

	if (d + 1 > e)
		return 0x100;
	return d[0];
}

/* tc: read plain and pointer fields, write mark, priority and cb[], return the first byte + len. */
SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	struct __sk_buff *volatile spilled = skb;
	__u32 first = skb_first_byte(skb);
	struct __sk_buff *s = spilled;

	s->mark = s->len * 3;
	s->priority = first;
	s->cb[2] = s->protocol;
	s->tc_index = 7;
	return (int)(first + s->len * 1000 + (s->ifindex << 24));
}

/* socket filter: len, protocol (network order), cb[] read and written; keep 14 bytes */
SEC("socket")
int sock_fields(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	skb->cb[1] = bpf_ntohs(skb->protocol);
	return 14;
}

/* cgroup skb: data and data_end readable, mark written */
SEC("cgroup_skb/ingress")
int cg_fields(struct __sk_buff *skb)
{
	skb->mark = (__u32)((long)skb->data_end - (long)skb->data);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
