/* kd_csum.bpf.c - for tests/kernel/diff_objects.c: the checksum helpers on packets, in a SEC("tc")
 * program: rewrite the IPv4 destination address with bpf_skb_store_bytes and fix the IP checksum
 * with bpf_l3_csum_replace and the UDP/TCP checksum with bpf_l4_csum_replace (pseudo-header flag,
 * 4-byte form; a 2-byte port rewrite too), and bpf_csum_diff over header words. The packet after
 * the run and the return value (a fold of the csum_diff results) are compared. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define IP_OFF	  ETH_HLEN
#define DST_OFF	  (IP_OFF + offsetof(struct iphdr, daddr))
#define IPCSUM	  (IP_OFF + offsetof(struct iphdr, check))
#define L4_OFF	  (IP_OFF + sizeof(struct iphdr))

SEC("tc")
int kd_csum_nat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + IP_OFF;
	__u32 new_dst = bpf_htonl(0xc0a80a01); /* 192.168.10.1 */
	__u32 old_dst;
	__u16 old_port, new_port = bpf_htons(8080);
	__u32 l4csum_off;
	__s64 d1, d2;
	__u8 proto;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return TC_ACT_OK;
	old_dst = ip->daddr;
	proto = ip->protocol;
	if (proto == IPPROTO_UDP)
		l4csum_off = L4_OFF + offsetof(struct udphdr, check);
	else if (proto == IPPROTO_TCP)
		l4csum_off = L4_OFF + 16;
	else
		return TC_ACT_OK;
	if (data + L4_OFF + 20 > end)
		return TC_ACT_OK;
	old_port = *(__u16 *)(data + L4_OFF + 2);

	d1 = bpf_csum_diff(&old_dst, 4, &new_dst, 4, 0);
	if (bpf_l4_csum_replace(skb, l4csum_off, old_dst, new_dst, BPF_F_PSEUDO_HDR | 4))
		return 101;
	if (bpf_l3_csum_replace(skb, IPCSUM, old_dst, new_dst, 4))
		return 102;
	if (bpf_skb_store_bytes(skb, DST_OFF, &new_dst, 4, 0))
		return 103;
	if (bpf_l4_csum_replace(skb, l4csum_off, old_port, new_port, 2))
		return 104;
	if (bpf_skb_store_bytes(skb, L4_OFF + 2, &new_port, 2, 0))
		return 105;

	/* csum_diff over the rewritten header, pulled back in */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + L4_OFF > end)
		return 106;
	d2 = bpf_csum_diff(0, 0, data + IP_OFF, 20, 0x1234);
	return (int)((((__u64)d1 & 0xffff) << 16) ^ ((__u64)d2 & 0xffffffff));
}

char _license[] SEC("license") = "GPL";
