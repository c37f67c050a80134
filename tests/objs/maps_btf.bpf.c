/* maps_btf.bpf.c - BTF-defined maps of several types and forms: key/value types and key_size/
 * value_size, map_flags, pinning, map_extra, map-in-map with initial slots, a prog_array with
 * initial programs, and programs referencing them. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
	__u32 a;
	__u64 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct pair);
	__uint(max_entries, 128);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 24);
	__uint(max_entries, 8);
} sized_array SEC(".maps");

struct locked {
	__u64 count;
	struct bpf_spin_lock lock;
	__u32 tail;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct locked);
	__uint(max_entries, 4);
} locked_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 32);
} lru SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 10);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 2);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = {[1] = &inner_a, [3] = &inner_b},
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__type(key, __u32);
		__type(value, __u64);
		__uint(max_entries, 8);
	});
} outer_hash SEC(".maps");

int tail(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jmp SEC(".maps") = {
	.values = {[0] = (void *)&tail},
};

SEC("xdp")
int tail(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int use_maps(struct xdp_md *ctx)
{
	__u32 k = 0, v = 1;
	struct pair *p = bpf_map_lookup_elem(&hash_map, &k);
	void *inner = bpf_map_lookup_elem(&outer, &k);
	__u64 *c = bpf_map_lookup_elem(&pcpu, &k);

	if (c)
		*c += 1;
	if (inner)
		bpf_map_update_elem(inner, &k, &v, BPF_ANY);
	bpf_map_push_elem(&queue, &v, 0);
	bpf_ringbuf_output(&rb, &v, sizeof(v), 0);
	bpf_tail_call(ctx, &jmp, 0);
	return p ? p->a : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
