/* kern_more.bpf.c - more map types run in userbpf and in the kernel and compared
 * (tests/kernel/test_kobject.c): map-in-map (array and hash of maps, slots from `values`), stack,
 * bloom filter, per-CPU hash, LRU per-CPU hash, a hash without preallocation, bpf_spin_lock in an
 * array value (in the XDP program), next to a socket filter. Input comes from the `in` map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} in SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} inner_x SEC(".maps"), inner_y SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {[0] = &inner_x, [1] = &inner_y},
};

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __u64);
	__uint(max_entries, 6);
} stk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 32);
} bloom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 8);
} pch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} lpch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} dyn SEC(".maps");

struct locked {
	struct bpf_spin_lock lock;
	__u32 n;
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct locked);
	__uint(max_entries, 1);
} lk SEC(".maps");

static __u64 arg(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&in, &k);
	return v ? *v : 0;
}

SEC("socket")
int more_main(void *ctx)
{
	__u64 x = arg(0), popped = 0, *p;
	__u32 sel = (__u32)x & 1, k = (__u32)x & 3, small = (__u32)x & 7, bv = (__u32)x;
	void *inner = bpf_map_lookup_elem(&outer, &sel);
	__u32 one = 1, *pc;
	int ret = 0;

	if (inner) {
		p = bpf_map_lookup_elem(inner, &k);
		if (p)
			*p += x;
	}
	if (bpf_map_push_elem(&stk, &x, 0) < 0) {
		bpf_map_pop_elem(&stk, &popped);
		ret += 1000;
	}
	if (bpf_map_peek_elem(&bloom, &bv) == 0)
		ret += 100;
	bpf_map_push_elem(&bloom, &bv, 0);
	pc = bpf_map_lookup_elem(&pch, &small);
	if (pc)
		*pc += 1;
	else
		bpf_map_update_elem(&pch, &small, &one, BPF_NOEXIST);
	bpf_map_update_elem(&lpch, &small, &x, BPF_ANY);
	if (x % 3 == 0)
		bpf_map_delete_elem(&dyn, &popped);
	else
		bpf_map_update_elem(&dyn, &x, &popped, BPF_ANY);
	return ret + (int)(popped & 0xff);
}

SEC("xdp")
int more_xdp(struct xdp_md *ctx)
{
	__u32 k = 1, zero = 0;
	void *inner = bpf_map_lookup_elem(&outer, &k);
	struct locked *l = bpf_map_lookup_elem(&lk, &zero);
	__u64 *p, v = 0, x = arg(0);

	if (l) { /* socket filters may not take spin locks */
		bpf_spin_lock(&l->lock);
		l->n++;
		l->sum += x;
		bpf_spin_unlock(&l->lock);
	}

	if (!inner)
		return XDP_ABORTED;
	p = bpf_map_lookup_elem(inner, &k);
	if (p)
		v = *p;
	return v & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
