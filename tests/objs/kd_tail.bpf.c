/* kd_tail.bpf.c - for tests/kernel/diff_objects.c: bpf_tail_call between XDP programs: from the main
 * program to a slot the host chooses, a chain of three, an empty slot and an index out of range
 * (both fall through), a program that tail-calls itself until the limit of 33 tail calls per run
 * stops it, and a slot the host clears or sets between runs. Every program counts its executions in
 * `hits`; the slots come from the prog_array's `values`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} sel SEC(".maps");

static __always_inline void hit(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &i);

	if (v)
		(*v)++;
}

int chain_a(struct xdp_md *ctx);
int chain_b(struct xdp_md *ctx);
int chain_c(struct xdp_md *ctx);
int self_loop(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, int(struct xdp_md *));
} jmp SEC(".maps") = {
	.values = {[1] = (void *)&chain_a, [2] = (void *)&chain_b, [3] = (void *)&chain_c,
		   [5] = (void *)&self_loop},
};

SEC("xdp")
int chain_a(struct xdp_md *ctx)
{
	hit(1);
	bpf_tail_call(ctx, &jmp, 2);
	return 10;
}

SEC("xdp")
int chain_b(struct xdp_md *ctx)
{
	hit(2);
	bpf_tail_call(ctx, &jmp, 3);
	return 20;
}

SEC("xdp")
int chain_c(struct xdp_md *ctx)
{
	hit(3);
	return 30;
}

SEC("xdp")
int self_loop(struct xdp_md *ctx)
{
	hit(5);
	bpf_tail_call(ctx, &jmp, 5);
	return 55;
}

SEC("xdp")
int kd_tail_main(struct xdp_md *ctx)
{
	__u32 zero = 0, *s = bpf_map_lookup_elem(&sel, &zero);
	__u32 slot = s ? *s : 0;

	hit(0);
	bpf_tail_call(ctx, &jmp, slot);
	return 100 + slot;
}

char _license[] SEC("license") = "GPL";
