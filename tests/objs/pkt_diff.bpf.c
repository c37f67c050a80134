/* pkt_diff.bpf.c - packet programs for tests/kernel/diff_pktrun.c: each shows what its context holds
 * (written into the packet or into cb[], which ctx_out carries) or applies one packet helper chosen
 * by the first bytes of the packet (its destination MAC address: op, then arguments), so that the
 * kernel's BPF_PROG_TEST_RUN and userbpf's runner can be compared on return value, packet out and
 * ctx_out. No maps: everything observable travels in the packet and the context. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

/* One 4-byte context load per field (clang would merge neighbours into 8-byte loads the kernel refuses). */
#define RD(x) (*(volatile __typeof__(x) *)&(x))

static __always_inline __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* ---- XDP ------------------------------------------------------------------------------------- */

/* Bytes 0..11 get len, ingress_ifindex, rx_queue_index (host order). */
SEC("xdp")
int xdp_ctx(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 *w = (__u32 *)data;

	if (data + 12 > end)
		return XDP_DROP;
	w[0] = (__u32)(end - data);
	w[1] = ctx->ingress_ifindex;
	w[2] = ctx->rx_queue_index;
	if ((void *)(long)ctx->data_meta != data)
		return XDP_ABORTED;
	return XDP_PASS;
}

/* The verdict is byte 0. */
SEC("xdp")
int xdp_verdict(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return XDP_DROP;
	return data[0];
}

/*
 * Byte 0: the operation; bytes 1-2: a signed 16-bit argument A; bytes 3-4: B. Returns the helper's
 * result (0 or -errno).
 *   0 adjust_head(A)   1 adjust_meta(A)   2 adjust_tail(A)
 *   3 adjust_meta(-8), fill the metadata, adjust_head(A), then copy the metadata into the packet
 *   4 load_bytes(A, 8) then store_bytes(B, those 8)   5 get_buff_len after adjust_tail(A)
 */
SEC("xdp")
int xdp_adjust(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 buf[8];
	__u8 op;
	int a, b, rc;

	if (data + 5 > end)
		return 1000;
	op = data[0];
	a = (__s16)rd16(data + 1);
	b = (__s16)rd16(data + 3);
	switch (op) {
	case 0:
		return bpf_xdp_adjust_head(ctx, a);
	case 1:
		return bpf_xdp_adjust_meta(ctx, a);
	case 2:
		return bpf_xdp_adjust_tail(ctx, a);
	case 3:
		rc = bpf_xdp_adjust_meta(ctx, -8);
		if (rc)
			return rc;
		data = (void *)(long)ctx->data;
		{
			__u8 *meta = (void *)(long)ctx->data_meta;
			if (meta + 8 > data)
				return 1001;
			*(__u64 *)meta = 0x0102030405060708ull;
		}
		rc = bpf_xdp_adjust_head(ctx, a);
		if (rc)
			return rc;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		{
			__u8 *meta = (void *)(long)ctx->data_meta;
			if (meta + 8 > data || data + 8 > end)
				return 1002;
			*(__u64 *)data = *(__u64 *)meta;
		}
		return 0;
	case 4:
		rc = bpf_xdp_load_bytes(ctx, (__u32)a, buf, sizeof(buf));
		if (rc)
			return rc;
		return bpf_xdp_store_bytes(ctx, (__u32)b, buf, sizeof(buf));
	case 5:
		rc = bpf_xdp_adjust_tail(ctx, a);
		if (rc)
			return rc;
		return bpf_xdp_get_buff_len(ctx);
	}
	return 1003;
}

/* ---- tc -------------------------------------------------------------------------------------- */

/* Bytes 0..55 get the skb's fields; mark, priority, cb[2], tc_index and tstamp are written. */
SEC("tc")
int tc_ctx(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 *w = (__u32 *)data;

	if (data + 60 > end)
		return TC_ACT_SHOT;
	w[0] = RD(skb->len);
	w[1] = RD(skb->pkt_type);
	w[2] = RD(skb->protocol);
	w[3] = RD(skb->vlan_present);
	w[4] = RD(skb->vlan_tci);
	w[5] = RD(skb->vlan_proto);
	w[6] = RD(skb->mark);
	w[7] = RD(skb->priority);
	w[8] = RD(skb->ifindex);
	w[9] = RD(skb->ingress_ifindex);
	w[10] = RD(skb->queue_mapping);
	w[11] = RD(skb->hash);
	w[12] = RD(skb->wire_len);
	w[13] = RD(skb->cb[0]) + RD(skb->cb[4]);
	w[14] = (__u32)skb->tstamp;
	skb->mark = 0x1234;
	skb->priority = 3;
	skb->cb[2] = 0xc2;
	skb->tstamp = 99;
	return TC_ACT_OK;
}

/* The verdict is byte 0 (as a signed byte: 0xff is TC_ACT_UNSPEC). */
SEC("tc")
int tc_verdict(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + 1 > end)
		return TC_ACT_SHOT;
	return (__s8)data[0];
}

/*
 * Byte 0: the operation; bytes 1-2: A; bytes 3-4: B; byte 5: flags. Returns the helper's result;
 * cb[0..4] get len, vlan_present, vlan_tci, vlan_proto, protocol afterwards.
 *   0 store_bytes(A, 4 bytes, flags)  1 load_bytes(A, 4) -> the word   2 load_bytes_relative(A, 4, B)
 *   3 change_tail(A, flags)  4 change_head(A, flags)  5 vlan_push(htons(A), B)  6 vlan_pop
 *   7 vlan_push twice then pop   8 pull_data(A)   9 redirect(A, flags)
 */
SEC("tc")
int tc_helpers(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 word = 0xa1b2c3d4;
	__u32 a, b, flags;
	long rc = 1003;
	__u8 op;

	if (data + 6 > end)
		return 1000;
	op = data[0];
	a = rd16(data + 1);
	b = rd16(data + 3);
	flags = data[5];
	switch (op) {
	case 0:
		rc = bpf_skb_store_bytes(skb, a, &word, 4, flags);
		break;
	case 1:
		rc = bpf_skb_load_bytes(skb, a, &word, 4);
		if (!rc)
			rc = word;
		else if (word)
			rc = 1004;
		break;
	case 2:
		rc = bpf_skb_load_bytes_relative(skb, a, &word, 4, b);
		if (!rc)
			rc = word;
		else if (word)
			rc = 1004;
		break;
	case 3:
		rc = bpf_skb_change_tail(skb, a, flags);
		break;
	case 4:
		rc = bpf_skb_change_head(skb, a, flags);
		break;
	case 5:
		rc = bpf_skb_vlan_push(skb, bpf_htons((__u16)a), (__u16)b);
		break;
	case 6:
		rc = bpf_skb_vlan_pop(skb);
		break;
	case 7:
		rc = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 5);
		rc |= bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), 7);
		rc |= bpf_skb_vlan_pop(skb) << 8;
		break;
	case 8:
		rc = bpf_skb_pull_data(skb, a);
		break;
	case 9:
		rc = bpf_redirect(a, flags);
		break;
	}
	skb->cb[0] = RD(skb->len);
	skb->cb[1] = RD(skb->vlan_present);
	skb->cb[2] = RD(skb->vlan_tci);
	skb->cb[3] = RD(skb->vlan_proto);
	skb->cb[4] = RD(skb->protocol);
	return rc;
}

/* ---- socket filter and cgroup skb --------------------------------------------------------------- */

/* cb[] gets len, pkt_type, protocol, ifindex, mark; keeps as many bytes as byte 2 of the IP header
 * (its total length's low byte) says. */
SEC("socket")
int sock_ctx(struct __sk_buff *skb)
{
	skb->cb[0] = RD(skb->len);
	skb->cb[1] = RD(skb->pkt_type);
	skb->cb[2] = RD(skb->protocol);
	skb->cb[3] = RD(skb->ifindex);
	skb->cb[4] = RD(skb->mark) + (RD(skb->vlan_present) << 16) + RD(skb->priority);
	return load_byte(skb, 3);
}

/* LD_ABS and skb_load_bytes see the same offsets; returns the IP protocol and TTL. */
SEC("socket")
int sock_ldabs(struct __sk_buff *skb)
{
	__u8 b[2] = {0, 0};

	if (bpf_skb_load_bytes(skb, 8, b, 2))
		return 0;
	skb->cb[0] = load_half(skb, 2);
	skb->cb[1] = b[0] << 8 | b[1];
	skb->cb[2] = RD(skb->queue_mapping);
	skb->cb[3] = RD(skb->vlan_tci);
	return load_byte(skb, 9) << 8 | load_byte(skb, 8);
}

SEC("cgroup_skb/ingress")
int cg_ctx(struct __sk_buff *skb)
{
	__u8 b[4] = {0};

	skb->cb[0] = RD(skb->len);
	skb->cb[1] = RD(skb->protocol);
	skb->cb[2] = RD(skb->family);
	skb->cb[3] = RD(skb->local_ip4) ^ RD(skb->remote_ip4) ^ RD(skb->local_ip6[3]) ^ RD(skb->remote_ip6[3]);
	if (bpf_skb_load_bytes_relative(skb, 0, b, 4, BPF_HDR_START_NET))
		return 0;
	skb->cb[4] = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	return (b[1] & 1) ^ 1;
}

char LICENSE[] SEC("license") = "GPL";
