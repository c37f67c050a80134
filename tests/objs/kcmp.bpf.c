/* kcmp.bpf.c - one program filling a map of each comparable type, for the map comparison of
 * userbpf_kobject__compare_maps (tests/kernel/test_kpkt.c). A raw tracepoint program, as the kernel
 * test-runs those with any context: two u64 arguments, k and v. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct kcmp_args {
	__u64 k;
	__u64 v;
};

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u64);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u64);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

__u64 total = 0;

SEC("raw_tp")
int fill(__u64 *ctx)
{
	__u32 k = ctx[0], pk = ctx[0] & 3;
	__u64 v = ctx[1], *p;
	struct kcmp_args a = {k, v};
	struct lpm_key lk = {24, k << 8};

	p = bpf_map_lookup_elem(&h, &k);
	if (p)
		*p += v;
	else
		bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST);
	p = bpf_map_lookup_elem(&pc, &pk);
	if (p)
		*p += v;
	bpf_map_update_elem(&lru, &k, &v, BPF_ANY);
	bpf_map_update_elem(&lpm, &lk, &v, BPF_ANY);
	bpf_ringbuf_output(&rb, &a, sizeof(a), 0);
	bpf_map_push_elem(&q, &v, BPF_EXIST);
	total += v;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
