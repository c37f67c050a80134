/* map_ops.bpf.c - programs of the map benchmark (bench/bench_maps.c): each ignores its context
 * and does OPS map operations in a loop, then returns a result (a sum of values found or a count
 * of successes) that the harness compares between userbpf and the kernel. `base` is the same loop
 * with no map operation, subtracted from the others. The loops are bounded and not unrolled, so
 * the kernel's verifier walks them (OPS iterations) and both engines execute the same bytecode. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define OPS 256 /* map operations per run; bench_maps.c's OPS must agree */

#define NOUNROLL _Pragma("clang loop unroll(disable)")

struct lpm_key {
	__u32 prefixlen;
	__u32 addr; /* network byte order, as the host fills it */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} arr_lookup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} arr_update SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} hash_lookup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} hash_update SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} lru_update SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u64);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} lpm_lookup SEC(".maps");

/* LRU churn: every run inserts OPS keys never seen before. */
__u32 lru_round;

SEC("socket")
int base(void *ctx __attribute__((unused)))
{
	__u64 acc = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = i * 7;

		asm volatile("" : "+r"(key)); /* as opaque as a helper call's argument */
		acc += key;
	}
	return acc;
}

SEC("socket")
int array_lookup(void *ctx __attribute__((unused)))
{
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = (i * 7) & 255;
		__u64 *v = bpf_map_lookup_elem(&arr_lookup, &key);

		if (v)
			sum += *v;
	}
	return sum;
}

SEC("socket")
int array_update(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = (i * 7) & 255;
		__u64 val = i;

		if (bpf_map_update_elem(&arr_update, &key, &val, BPF_ANY) == 0)
			ok++;
	}
	return ok;
}

/* hash_lookup holds keys 0..1023 (the host fills it): keys i * 7 hit while below 1024. */
SEC("socket")
int hash_lookup_prog(void *ctx __attribute__((unused)))
{
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = i * 7;
		__u64 *v = bpf_map_lookup_elem(&hash_lookup, &key);

		if (v)
			sum += *v;
	}
	return sum;
}

/* hash_update holds keys 0..1023: each update replaces an existing element (BPF_ANY). */
SEC("socket")
int hash_update_prog(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = (i * 7) & 1023;
		__u64 val = i;

		if (bpf_map_update_elem(&hash_update, &key, &val, BPF_ANY) == 0)
			ok++;
	}
	return ok;
}

/* New keys on every run: once the map is full (after 4 runs), every insert evicts. */
SEC("socket")
int lru_update_prog(void *ctx __attribute__((unused)))
{
	__u32 start = lru_round * OPS;
	__u32 ok = 0;
	__u32 i;

	lru_round++;
	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = start + i;
		__u64 val = i;

		if (bpf_map_update_elem(&lru_update, &key, &val, BPF_ANY) == 0)
			ok++;
	}
	return ok;
}

/* lpm_lookup holds /8../32 prefixes (the host fills it, value = prefix length << 16 | index):
 * the sum of values found checks that both engines find the same (longest) prefix. */
SEC("socket")
int lpm_lookup_prog(void *ctx __attribute__((unused)))
{
	struct lpm_key key;
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 x = i * 2654435761u;

		key.prefixlen = 32;
		key.addr = __builtin_bswap32(0x0a000000u | (x >> 8)); /* 10.x.y.z */
		__u64 *v = bpf_map_lookup_elem(&lpm_lookup, &key);

		if (v)
			sum += *v;
	}
	return sum;
}

char _license[] SEC("license") = "GPL";
