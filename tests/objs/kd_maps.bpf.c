/* kd_maps.bpf.c - for tests/kernel/diff_objects.c: the hash and array families (array, percpu_array,
 * hash, percpu_hash, lru_hash, lru_percpu_hash) driven op by op from a SEC("syscall") program whose
 * context is plain caller memory in both worlds. Each run applies one operation (lookup, update with
 * flags, delete, lookup-and-add) to one key of every map and writes each map's result code and the
 * value found into the context, which the harness compares after the run. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define DEF(NAME, TYPE, N)                                                                                   \
	struct {                                                                                             \
		__uint(type, TYPE);                                                                          \
		__type(key, __u32);                                                                          \
		__type(value, __u64);                                                                        \
		__uint(max_entries, N);                                                                      \
	} NAME SEC(".maps")

DEF(arr, BPF_MAP_TYPE_ARRAY, 8);
DEF(parr, BPF_MAP_TYPE_PERCPU_ARRAY, 8);
DEF(hsh, BPF_MAP_TYPE_HASH, 8);
DEF(phsh, BPF_MAP_TYPE_PERCPU_HASH, 8);
DEF(lru, BPF_MAP_TYPE_LRU_HASH, 16);
DEF(plru, BPF_MAP_TYPE_LRU_PERCPU_HASH, 16);

enum { OP_LOOKUP, OP_UPDATE, OP_DELETE, OP_ADD };

struct args {
	__u32 op;
	__u32 key;
	__u64 flags;
	__u64 val;
	__s64 rc[6];
	__u64 found[6];
};

static __attribute__((noinline)) int one(void *map, struct args *a, int i)
{
	__u32 key = a->key;
	__u64 *v;
	long rc = 0;

	if (i < 0 || i >= 6)
		return 0;
	switch (a->op) {
	case OP_LOOKUP:
		v = bpf_map_lookup_elem(map, &key);
		rc = v ? 0 : -2;
		a->found[i] = v ? *v : 0;
		break;
	case OP_UPDATE:
		rc = bpf_map_update_elem(map, &key, &a->val, a->flags);
		break;
	case OP_DELETE:
		rc = bpf_map_delete_elem(map, &key);
		break;
	case OP_ADD:
		v = bpf_map_lookup_elem(map, &key);
		if (v) {
			*v += a->val;
			a->found[i] = *v;
		} else {
			rc = bpf_map_update_elem(map, &key, &a->val, BPF_NOEXIST);
			a->found[i] = 1000 + rc;
		}
		break;
	}
	a->rc[i] = rc;
	return rc == 0;
}

/* The kernel refuses helper arguments and accesses through a moved context pointer: work on a copy
 * on the stack and write the results back field by field. */
SEC("syscall")
int kd_maps_op(struct args *ctx)
{
	struct args a = {.op = ctx->op, .key = ctx->key, .flags = ctx->flags, .val = ctx->val};
	int ok = 0;

	ok += one(&arr, &a, 0);
	ok += one(&parr, &a, 1);
	ok += one(&hsh, &a, 2);
	ok += one(&phsh, &a, 3);
	ok += one(&lru, &a, 4);
	ok += one(&plru, &a, 5);
#pragma unroll
	for (int i = 0; i < 6; i++) {
		ctx->rc[i] = a.rc[i];
		ctx->found[i] = a.found[i];
	}
	return ok;
}

char _license[] SEC("license") = "GPL";
