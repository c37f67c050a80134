/*
 * synflood.bpf.c - XDP SYN flood and port-scan detector (maps, alert records and rules in
 * synflood.h): per-source SYN counts and a destination-port bitmap per time window in an LRU hash,
 * alerts through the ring buffer `alerts` when a source crosses a threshold, and, when drop_flagged
 * is set, XDP_DROP for every packet of a flagged source until its window ends. Otherwise XDP_PASS.
 */
#include "parse.h"
#include <linux/tcp.h>

#include "synflood.h"

const volatile __u32 syn_threshold = 64;
const volatile __u32 port_threshold = 16;
const volatile __u64 window_ns = 10000000000ull; /* 10 s */
const volatile __u32 drop_flagged = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(key_size, 16);
	__type(value, struct syn_source);
	__uint(max_entries, SYN_SOURCES_MAX);
} sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} alerts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SYN_STAT_MAX);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

static __always_inline void raise_alert(const struct parse_l3 *l3, struct syn_source *src, __u8 reason,
					__u16 dport, __u32 count, __u64 now)
{
	struct syn_alert *a;

	src->flags |= 1u << reason;
	a = bpf_ringbuf_reserve(&alerts, sizeof(*a), 0);
	if (!a) {
		stat_add(SYN_STAT_LOST);
		return;
	}
	__builtin_memcpy(a->saddr, l3->saddr, 16);
	a->family = l3->family;
	a->reason = reason;
	a->dport = dport;
	a->count = count;
	a->window_start = src->window_start;
	a->ts = now;
	bpf_ringbuf_submit(a, 0);
	stat_add(SYN_STAT_ALERTS);
}

SEC("xdp")
int synflood_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_l2 l2;
	struct parse_l3 l3;
	struct syn_source *src;
	struct tcphdr *th;
	__u64 now, *word;
	__u16 dport;
	__u32 bit;
	__u8 flags;

	if (parse_ip(data, data_end, &l2, &l3) != 1)
		return XDP_PASS;

	now = bpf_ktime_get_ns();
	src = bpf_map_lookup_elem(&sources, l3.saddr);
	if (src && now - src->window_start > window_ns)
		src = NULL; /* stale: a SYN starts a new window below, anything else passes */
	else if (src && drop_flagged && src->flags) {
		stat_add(SYN_STAT_DROPS);
		return XDP_DROP;
	}

	if (l3.proto != IPPROTO_TCP || l3.later_frag)
		return XDP_PASS;
	th = parse_l4(data, data_end, &l3, sizeof(*th));
	if (!th)
		return XDP_PASS;
	flags = ((__u8 *)th)[13];
	if ((flags & 0x12) != 0x02) /* SYN without ACK */
		return XDP_PASS;
	stat_add(SYN_STAT_SYNS);
	dport = bpf_ntohs(th->dest);

	if (!src) {
		struct syn_source init = {.window_start = now};

		if (bpf_map_update_elem(&sources, l3.saddr, &init, BPF_ANY))
			return XDP_PASS;
		src = bpf_map_lookup_elem(&sources, l3.saddr);
		if (!src)
			return XDP_PASS;
	}

	src->syns++;
	bit = syn_port_bit(dport);
	word = &src->bitmap[(bit / 64) & 3];
	if (!(*word & (1ull << (bit % 64)))) {
		*word |= 1ull << (bit % 64);
		src->ports++;
	}
	if (src->syns >= syn_threshold && !(src->flags & (1u << SYN_REASON_FLOOD)))
		raise_alert(&l3, src, SYN_REASON_FLOOD, dport, src->syns, now);
	if (src->ports >= port_threshold && !(src->flags & (1u << SYN_REASON_SCAN)))
		raise_alert(&l3, src, SYN_REASON_SCAN, dport, src->ports, now);
	if (drop_flagged && src->flags) {
		stat_add(SYN_STAT_DROPS);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
