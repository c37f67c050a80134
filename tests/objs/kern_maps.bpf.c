/* kern_maps.bpf.c - run in userbpf and in the kernel and compared (tests/kernel/test_kobject.c):
 * legacy and BTF-defined maps of several types, global data (.data, .rodata, .bss), static and
 * global subprograms, a socket filter and an XDP program. The programs never touch their context:
 * their input is the `input` map the test fills, so they mean the same in both worlds. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_arr = {BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0};
struct bpf_map_def SEC("maps") legacy_hash = {BPF_MAP_TYPE_HASH, 4, 8, 16, 0};

struct rec {
	__u32 a;
	__u32 b;
	__u64 c;
};

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} input SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct rec);
	__uint(max_entries, 32);
} recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 8);
} queue SEC(".maps");

const volatile __u64 mult = 5; /* .rodata */
__u64 counter = 11;            /* .data */
__u32 hits;                    /* .bss */
__u64 last[2];                 /* .bss */

static __u64 input_at(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&input, &k);
	return v ? *v : 0;
}

static __noinline __u64 mix(__u64 x, __u64 y)
{
	return (x * 31) ^ (y + mult);
}

__noinline int global_step(__u32 x)
{
	__u32 k = x & 15;
	__u64 v = x * 3, *old;

	old = bpf_map_lookup_elem(&legacy_hash, &k);
	if (old)
		v += *old;
	bpf_map_update_elem(&legacy_hash, &k, &v, BPF_ANY);
	return (int)(v & 0xffff);
}

SEC("socket")
int kmaps_main(void *ctx)
{
	__u64 x = input_at(0), y = input_at(1), *p;
	__u32 k1 = 1, zero = 0, qv, *lpv;
	struct rec r = {};
	struct lpm_key q = {32, (__u32)y};
	__u64 lk;
	int ret;

	hits++;
	counter += x * mult;
	last[hits & 1] = counter;
	p = bpf_map_lookup_elem(&legacy_arr, &k1);
	if (p)
		*p += x;
	ret = global_step((__u32)x);
	r.a = (__u32)x;
	r.b = hits;
	r.c = mix(x, counter);
	k1 = (__u32)x & 31;
	bpf_map_update_elem(&recs, &k1, &r, BPF_ANY);
	p = bpf_map_lookup_elem(&pcpu, &zero);
	if (p)
		*p += x + 1;
	lk = x << 8 | hits;
	bpf_map_update_elem(&lru, &lk, &hits, BPF_NOEXIST);
	lpv = bpf_map_lookup_elem(&lpm, &q);
	qv = lpv ? *lpv : 0xffff;
	bpf_map_push_elem(&queue, &qv, BPF_EXIST);
	return ret + (int)(qv & 0xff) + (int)(mix(hits, x) & 0x7f);
}

SEC("xdp")
int kmaps_xdp(struct xdp_md *ctx)
{
	__u32 k = 1;
	__u64 *p = bpf_map_lookup_elem(&pcpu, &k);

	if (p)
		*p += counter;
	hits += 2;
	bpf_map_delete_elem(&recs, &k);
	return input_at(2) > 3 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
