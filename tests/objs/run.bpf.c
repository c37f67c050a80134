/* run.bpf.c - loaded and run end to end: global data through lddw src=6, maps through src=5 and
 * helpers, a subprogram reading .rodata. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 k_mult = 3;
__u64 total = 100;
__u32 calls;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 8);
} h SEC(".maps");

static __noinline __u64 scale(__u64 v)
{
	return v * k_mult;
}

SEC("socket")
int run_main(void *ctx)
{
	__u32 k = 1, hk = 7, hv = 42;
	__u64 *v;

	calls++;
	total += scale(2);
	v = bpf_map_lookup_elem(&arr, &k);
	if (v)
		*v += total;
	bpf_map_update_elem(&h, &hk, &hv, BPF_ANY);
	return total + calls;
}

SEC("socket")
int data_only(void *ctx)
{
	calls += 10;
	total += scale(1);
	return total + calls;
}

char LICENSE[] SEC("license") = "GPL";
