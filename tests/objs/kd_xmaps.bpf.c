/* kd_xmaps.bpf.c - for tests/kernel/diff_objects.c: lpm_trie, queue, stack and bloom_filter, which the
 * kernel does not give to sleepable (syscall) programs, so an XDP program that ignores its packet
 * drives them. Each run reads one command from the `cmd` array (written by the host before the run)
 * and applies it; result codes and values go to the `res` array, which the harness compares. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

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
	__uint(max_entries, 4);
} que SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __u32);
	__uint(max_entries, 4);
} stk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
} blm SEC(".maps");

struct cmd {
	__u32 op;
	__u32 arg;   /* value, or address (network order bytes) */
	__u32 plen;  /* prefix length */
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct cmd);
	__uint(max_entries, 1);
} cmd SEC(".maps");

/* res[seq]: rc << 32 | value of the seq-th command run */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} res SEC(".maps");

__u32 seq;

enum { LPM_UPDATE, LPM_LOOKUP, LPM_DELETE, PUSH, POP, PEEK, SPUSH, SPOP, SPEEK, BLOOM_PUSH, BLOOM_PEEK };

SEC("xdp")
int kd_xmaps_op(struct xdp_md *ctx)
{
	__u32 zero = 0, v = 0, s;
	struct cmd *c = bpf_map_lookup_elem(&cmd, &zero);
	struct lpm_key k;
	long rc = 0;
	__u32 *pv;
	__u64 out;

	if (!c)
		return XDP_ABORTED;
	k.prefixlen = c->plen;
	__builtin_memcpy(k.addr, &c->arg, 4);
	v = c->arg;
	switch (c->op) {
	case LPM_UPDATE:
		v = c->plen * 1000 + c->flags;
		rc = bpf_map_update_elem(&lpm, &k, &v, c->flags);
		break;
	case LPM_LOOKUP:
		pv = bpf_map_lookup_elem(&lpm, &k);
		rc = pv ? 0 : -2;
		v = pv ? *pv : 0;
		break;
	case LPM_DELETE:
		rc = bpf_map_delete_elem(&lpm, &k);
		break;
	case PUSH:
		rc = bpf_map_push_elem(&que, &v, c->flags);
		break;
	case POP:
		v = 0;
		rc = bpf_map_pop_elem(&que, &v);
		break;
	case PEEK:
		v = 0;
		rc = bpf_map_peek_elem(&que, &v);
		break;
	case SPUSH:
		rc = bpf_map_push_elem(&stk, &v, c->flags);
		break;
	case SPOP:
		v = 0;
		rc = bpf_map_pop_elem(&stk, &v);
		break;
	case SPEEK:
		v = 0;
		rc = bpf_map_peek_elem(&stk, &v);
		break;
	case BLOOM_PUSH:
		rc = bpf_map_push_elem(&blm, &v, 0);
		break;
	case BLOOM_PEEK:
		rc = bpf_map_peek_elem(&blm, &v);
		break;
	}
	out = ((__u64)(__u32)rc << 32) | v;
	s = seq++ & 63;
	bpf_map_update_elem(&res, &s, &out, BPF_ANY);
	return rc == 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
