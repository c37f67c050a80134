/* maps_legacy.bpf.c - legacy `struct bpf_map_def SEC("maps")` (the 5-field layout libbpf 0.x read),
 * legacy section names ("socket1", "xdp_pass", "kprobe/..."), and a `version` section. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") flows = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 8,
	.value_size = 16,
	.max_entries = 1024,
	.map_flags = BPF_F_NO_PREALLOC,
};

/* The key/value annotation of old bpf_helpers.h. */
#define BPF_ANNOTATE_KV_PAIR(name, type_key, type_val)                                                 \
	struct ____btf_map_##name {                                                                    \
		type_key key;                                                                          \
		type_val value;                                                                        \
	};                                                                                             \
	struct ____btf_map_##name __attribute__((section(".maps." #name), used)) ____btf_map_##name = {}

BPF_ANNOTATE_KV_PAIR(counters, __u32, __u64);

SEC("socket1")
int count_proto(struct __sk_buff *skb)
{
	__u32 k = skb->protocol & 0xff;
	__u64 *v = bpf_map_lookup_elem(&counters, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("xdp_pass")
int pass(struct xdp_md *ctx)
{
	__u64 k = ctx->ingress_ifindex;
	return bpf_map_lookup_elem(&flows, &k) ? XDP_DROP : XDP_PASS;
}

SEC("kprobe/sys_write")
int probe(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x050a00;
