/* net_xdp.bpf.c - packet programs for `userbpf run OBJ -r FILE | -i IFACE` (tests/cli/test_run_pcap.sh):
 * a UDP dropper that counts by protocol and UDP port, a VLAN-pushing trimmer (xdp_adjust_head/tail),
 * one that gives every verdict, one that traces, and a TC program. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum proto_idx { P_OTHER, P_TCP, P_UDP, P_ICMP, P_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, P_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u64);
} udp_ports SEC(".maps");

__u64 bytes_seen;

/* IPv4 protocol of the frame between data and end, or -1 when it is not IPv4 (or too short). */
static __always_inline int ip_proto(void *data, void *end, struct iphdr **iph)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	*iph = ip;
	return ip->protocol;
}

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &idx);
	if (c)
		*c += 1;
}

/* Drop UDP, pass the rest; count by protocol, UDP by destination port, and the bytes. */
SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = 0;
	int proto = ip_proto(data, end, &ip);

	bytes_seen += end - data;
	if (proto == IPPROTO_TCP) {
		count(P_TCP);
	} else if (proto == IPPROTO_ICMP) {
		count(P_ICMP);
	} else if (proto == IPPROTO_UDP && ip) {
		struct udphdr *udp = (void *)(ip + 1);
		count(P_UDP);
		if ((void *)(udp + 1) > end)
			return XDP_DROP;
		__u16 port = bpf_ntohs(udp->dest);
		__u64 one = 1, *n = bpf_map_lookup_elem(&udp_ports, &port);
		if (n)
			*n += 1;
		else
			bpf_map_update_elem(&udp_ports, &port, &one, BPF_NOEXIST);
		return XDP_DROP;
	} else {
		count(P_OTHER);
	}
	return XDP_PASS;
}

/* Push an 802.1Q tag (VLAN 100) in front of the ethertype, then cut the frame to 80 bytes. */
SEC("xdp")
int xdp_vlan_trim(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_ABORTED;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	if (data + 18 > end)
		return XDP_ABORTED;
	for (int i = 0; i < 12; i++)
		p[i] = p[i + 4];
	p[12] = 0x81;
	p[13] = 0x00;
	p[14] = 0x00;
	p[15] = 100;
	long len = end - data;
	if (len > 80 && bpf_xdp_adjust_tail(ctx, (int)(80 - len)))
		return XDP_ABORTED;
	return XDP_PASS;
}

/* ICMP: tx; TCP: redirect to ifindex 7; UDP: drop; ARP: pass; anything else: aborted. */
SEC("xdp")
int xdp_verdicts(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = 0;
	int proto = ip_proto(data, end, &ip);

	if (proto == IPPROTO_ICMP)
		return XDP_TX;
	if (proto == IPPROTO_TCP)
		return bpf_redirect(7, 0);
	if (proto == IPPROTO_UDP)
		return XDP_DROP;
	if ((void *)(eth + 1) <= end && eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_PASS;
	return XDP_ABORTED;
}

/* One trace line per frame: its length and last byte. */
SEC("xdp")
int xdp_trace(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *last = end - 1;

	if ((void *)last < data)
		return XDP_ABORTED;
	bpf_printk("len %d last %x", (int)(end - data), *last);
	return XDP_PASS;
}

/* TC: drop UDP over IPv4, count everything else. */
SEC("tc")
int tc_drop_udp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *ip = 0;
	int proto = ip_proto(data, end, &ip);

	if (proto == IPPROTO_UDP)
		return TC_ACT_SHOT;
	count(proto == IPPROTO_TCP ? P_TCP : proto == IPPROTO_ICMP ? P_ICMP : P_OTHER);
	return TC_ACT_OK;
}

/* Not a packet program: -r refuses it. */
SEC("syscall")
int not_packet(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
