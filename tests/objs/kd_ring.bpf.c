/* kd_ring.bpf.c - for tests/kernel/diff_objects.c: ring buffer records from a SEC("syscall") program
 * (bpf_ringbuf_output, reserve + submit, reserve + discard, a reservation too large, query of
 * AVAIL_DATA / RING_SIZE / CONS_POS / PROD_POS), and perf event array records from an XDP program
 * (bpf_perf_event_output with BPF_F_CURRENT_CPU). The harness consumes the records of both worlds
 * and compares them in order, and compares the query results the programs write back. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 64); /* libbpf would default 0 to the number of CPUs; userbpf does not */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} perf_in SEC(".maps");

struct io {
	__u32 op;
	__u32 size; /* record size, 1..64 */
	__u64 tag;
	__s64 rc;
	__u64 q[4];
};

enum { OUTPUT, SUBMIT, DISCARD, TOO_BIG };

SEC("syscall")
int kd_ring_op(struct io *ctx)
{
	__u8 buf[64];
	__u32 size = ctx->size;
	__u64 tag = ctx->tag;
	__s64 rc = 0;
	__u8 *r;
	int i;

	for (i = 0; i < 64; i++)
		buf[i] = (__u8)(tag + i);
	if (size < 1 || size > 64)
		size = 8;
	switch (ctx->op) {
	case OUTPUT:
		rc = bpf_ringbuf_output(&rb, buf, size, 0);
		break;
	case SUBMIT:
		r = bpf_ringbuf_reserve(&rb, 24, 0);
		if (!r) {
			rc = -1;
			break;
		}
		__builtin_memcpy(r, buf, 24);
		r[0] = 0xaa;
		bpf_ringbuf_submit(r, 0);
		break;
	case DISCARD:
		r = bpf_ringbuf_reserve(&rb, 16, 0);
		if (!r) {
			rc = -1;
			break;
		}
		r[0] = 0xdd;
		bpf_ringbuf_discard(r, 0);
		break;
	case TOO_BIG:
		r = bpf_ringbuf_reserve(&rb, 8192, 0);
		rc = r ? 1 : -1;
		if (r)
			bpf_ringbuf_discard(r, 0);
		break;
	}
	ctx->rc = rc;
	ctx->q[0] = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
	ctx->q[1] = bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE);
	ctx->q[2] = bpf_ringbuf_query(&rb, BPF_RB_CONS_POS);
	ctx->q[3] = bpf_ringbuf_query(&rb, BPF_RB_PROD_POS);
	return (int)rc;
}

SEC("xdp")
int kd_perf_out(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&perf_in, &zero);
	struct {
		__u64 seq;
		__u32 cpu;
		__u8 tail[5];
	} rec = {};
	long rc;

	if (!v)
		return XDP_ABORTED;
	rec.seq = (*v)++;
	rec.cpu = bpf_get_smp_processor_id();
	rec.tail[4] = 0x5a;
	rc = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &rec, sizeof(rec));
	if (rc)
		return 100 - (int)rc;
	/* a record of 3 bytes: padded by the kernel */
	rc = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &rec, 3);
	return rc ? 200 - (int)rc : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
