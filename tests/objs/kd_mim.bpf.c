/* kd_mim.bpf.c - for tests/kernel/diff_objects.c: map-in-map. An array of maps and a hash of maps
 * whose slots come from `values`, a SEC("syscall") program that looks an inner map up by the index
 * the caller gives, then looks up and updates in it; a missing slot gives NULL in both worlds. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} in_a SEC(".maps"), in_b SEC(".maps");

struct hinner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} hin_x SEC(".maps"), hin_y SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} aom SEC(".maps") = {
	.values = {[0] = &in_a, [1] = &in_b},
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct hinner);
} hom SEC(".maps") = {
	.values = {[3] = &hin_x, [1] = &hin_y},
};

struct io {
	__u32 outer;  /* index into aom and key into hom */
	__u32 key;    /* key in the inner map */
	__u64 add;
	__s64 res[4];
};

SEC("syscall")
int kd_mim_main(struct io *ctx)
{
	__u32 o = ctx->outer, k = ctx->key;
	__u64 add = ctx->add, *v;
	void *inner;
	int found = 0;

	inner = bpf_map_lookup_elem(&aom, &o);
	if (inner) {
		found |= 1;
		v = bpf_map_lookup_elem(inner, &k);
		if (v) {
			*v += add;
			ctx->res[0] = *v;
		} else {
			ctx->res[0] = -1;
		}
	}
	inner = bpf_map_lookup_elem(&hom, &o);
	if (inner) {
		found |= 2;
		v = bpf_map_lookup_elem(inner, &k);
		if (v) {
			*v += add;
			ctx->res[1] = *v;
		} else {
			ctx->res[1] = bpf_map_update_elem(inner, &k, &add, BPF_NOEXIST);
		}
		ctx->res[2] = bpf_map_delete_elem(inner, &o);
	}
	return found;
}

char _license[] SEC("license") = "GPL";
