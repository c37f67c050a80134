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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} hash_churn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} parr_lookup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} parr_update SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} phash_lookup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} phash_update SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u64);
	__uint(max_entries, 1024);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __u64);
	__uint(max_entries, 1024);
} stack SEC(".maps");

/* 16 MiB: the host drains it after every sample (a sample is at most a few thousand runs). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 4096);
} bloom SEC(".maps");

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

/* Insert a key absent from the map (BPF_NOEXIST), then delete it: one insert + delete pair per
 * iteration, the map's free list exercised both ways. Returns the pairs that succeeded. */
SEC("socket")
int hash_churn_prog(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = 4096 + i * 7;
		__u64 val = i;

		if (bpf_map_update_elem(&hash_churn, &key, &val, BPF_NOEXIST) == 0 &&
		    bpf_map_delete_elem(&hash_churn, &key) == 0)
			ok++;
	}
	return ok;
}

SEC("socket")
int percpu_array_lookup(void *ctx __attribute__((unused)))
{
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = (i * 7) & 255;
		__u64 *v = bpf_map_lookup_elem(&parr_lookup, &key);

		if (v)
			sum += *v;
	}
	return sum;
}

SEC("socket")
int percpu_array_update(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = (i * 7) & 255;
		__u64 val = i;

		if (bpf_map_update_elem(&parr_update, &key, &val, BPF_ANY) == 0)
			ok++;
	}
	return ok;
}

SEC("socket")
int percpu_hash_lookup(void *ctx __attribute__((unused)))
{
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = i * 7;
		__u64 *v = bpf_map_lookup_elem(&phash_lookup, &key);

		if (v)
			sum += *v;
	}
	return sum;
}

SEC("socket")
int percpu_hash_update(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 key = (i * 7) & 1023;
		__u64 val = i;

		if (bpf_map_update_elem(&phash_update, &key, &val, BPF_ANY) == 0)
			ok++;
	}
	return ok;
}

/* A push then a pop per iteration; returns the sum of the values popped. */
SEC("socket")
int queue_push_pop(void *ctx __attribute__((unused)))
{
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u64 val = i, out = 0;

		if (bpf_map_push_elem(&queue, &val, 0) == 0 && bpf_map_pop_elem(&queue, &out) == 0)
			sum += out;
	}
	return sum;
}

SEC("socket")
int stack_push_pop(void *ctx __attribute__((unused)))
{
	__u64 sum = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u64 val = i, out = 0;

		if (bpf_map_push_elem(&stack, &val, 0) == 0 && bpf_map_pop_elem(&stack, &out) == 0)
			sum += out;
	}
	return sum;
}

/* 16-byte records: bpf_ringbuf_output copies them in. */
SEC("socket")
int ringbuf_output_prog(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u64 rec[2] = {i, i * 7};

		if (bpf_ringbuf_output(&ring, rec, sizeof(rec), 0) == 0)
			ok++;
	}
	return ok;
}

/* The same records written in place: reserve, fill, submit. */
SEC("socket")
int ringbuf_reserve_prog(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u64 *rec = bpf_ringbuf_reserve(&ring, 16, 0);

		if (!rec)
			continue;
		rec[0] = i;
		rec[1] = i * 7;
		bpf_ringbuf_submit(rec, 0);
		ok++;
	}
	return ok;
}

SEC("socket")
int bloom_push(void *ctx __attribute__((unused)))
{
	__u32 ok = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 val = i * 7;

		if (bpf_map_push_elem(&bloom, &val, 0) == 0)
			ok++;
	}
	return ok;
}

/* The host pushed 0..1023: every value peeked is present (a bloom filter has no false negatives). */
SEC("socket")
int bloom_peek(void *ctx __attribute__((unused)))
{
	__u32 hit = 0;
	__u32 i;

	NOUNROLL
	for (i = 0; i < OPS; i++) {
		__u32 val = (i * 7) & 1023;

		if (bpf_map_peek_elem(&bloom, &val) == 0)
			hit++;
	}
	return hit;
}

char _license[] SEC("license") = "GPL";
