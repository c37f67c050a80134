/* kpkt_clock.bpf.c - XDP programs whose results depend on when they run, for `run -r --compare`
 * (tests/cli/test_kernel_pcap.sh): clock_stamp writes the low 32 bits of bpf_ktime_get_ns() into
 * the packet and into a map (userbpf and the kernel cannot agree); clock_seen keeps whole 64-bit
 * times and a count (the comparison takes times of the run as equal: they must agree). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct seen {
	__u64 first;
	__u64 last;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} stamp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

SEC("xdp")
int clock_stamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 t = (__u32)bpf_ktime_get_ns(), k = 0;

	if (data + 18 > end)
		return XDP_PASS;
	__builtin_memcpy(data + 14, &t, 4);
	bpf_map_update_elem(&stamp, &k, &t, BPF_ANY);
	return XDP_PASS;
}

SEC("xdp")
int clock_seen(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct seen *s = bpf_map_lookup_elem(&seen, &k);
	__u64 now = bpf_ktime_get_ns();

	(void)ctx;
	if (!s)
		return XDP_ABORTED;
	if (!s->first)
		s->first = now;
	s->last = now;
	s->packets++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
