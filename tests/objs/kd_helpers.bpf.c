/* kd_helpers.bpf.c - for tests/kernel/diff_objects.c: the helpers that have a meaning outside the
 * kernel, from SEC("syscall") programs (the context is caller memory in both worlds):
 * ktime_get_ns / ktime_get_boot_ns / ktime_get_coarse_ns and get_prandom_u32 reduced to properties
 * (monotonic, plausible, not all equal), get_smp_processor_id (the harness pins CPU 0),
 * get_current_pid_tgid / uid_gid / comm (the calling thread in both worlds: equal), snprintf,
 * strncmp, probe_read_user(_str) of a caller buffer whose address is in the context,
 * probe_read_kernel(_str) of the program's own stack, trace_printk (the text compared with the
 * kernel's trace buffer), and bpf_loop with a callback that updates a map and stops early. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} loop_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, char[64]);
	__uint(max_entries, 4);
} text SEC(".maps");

struct io {
	__u64 user_ptr; /* a caller buffer */
	__u32 user_len;
	__u32 nonce;
	__u64 n;
	__s64 r[16];
	char comm[16];
	char s[32];
};

struct loop_ctx {
	__u64 n;
	__u64 sum;
};

static long step(__u64 i, void *c)
{
	struct loop_ctx *lc = c;
	__u32 k = (__u32)i;
	__u64 v = i * i + lc->n;

	bpf_map_update_elem(&loop_out, &k, &v, BPF_ANY);
	lc->sum += v;
	return i + 1 >= lc->n ? 1 : 0; /* stop after n iterations */
}

SEC("syscall")
int kd_time_rand(struct io *ctx)
{
	__u64 a = bpf_ktime_get_ns(), b = bpf_ktime_get_ns();
	__u64 c = bpf_ktime_get_boot_ns(), e = bpf_ktime_get_boot_ns();
	__u32 r1 = bpf_get_prandom_u32(), r2 = bpf_get_prandom_u32(), r3 = bpf_get_prandom_u32();

	ctx->r[0] = a > 0 && b >= a;
	ctx->r[1] = e >= c && c >= a; /* boot time includes suspend: never behind monotonic */
	ctx->r[2] = 1;
	ctx->r[3] = !(r1 == r2 && r2 == r3);
	ctx->r[4] = bpf_get_smp_processor_id();
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} props SEC(".maps");

/* ktime_get_coarse_ns is not given to tracing/syscall programs: from XDP, into a map. */
SEC("xdp")
int kd_coarse(struct xdp_md *ctx)
{
	__u64 a = bpf_ktime_get_ns(), f = bpf_ktime_get_coarse_ns(), b = bpf_ktime_get_ns();
	__u32 k0 = 0, k1 = 1;
	/* coarse: the time of the last tick, behind the precise clock by at most a few ticks */
	__u64 ok = f > 0 && f <= b && f + 100000000ull >= a;
	__u64 *v = bpf_map_lookup_elem(&props, &k0);

	if (v)
		*v += ok;
	v = bpf_map_lookup_elem(&props, &k1);
	if (v)
		*v += 1;
	return XDP_PASS;
}

SEC("syscall")
int kd_identity(struct io *ctx)
{
	char comm[16] = {};

	ctx->r[0] = bpf_get_current_pid_tgid();
	ctx->r[1] = bpf_get_current_uid_gid();
	ctx->r[2] = bpf_get_current_comm(comm, sizeof(comm));
	__builtin_memcpy(ctx->comm, comm, 16);
	ctx->r[3] = bpf_get_current_comm(comm, 5);
	ctx->r[4] = comm[4];
	return 0;
}

SEC("syscall")
int kd_strings(struct io *ctx)
{
	char ubuf[32] = {}, kbuf[16] = {}, src[16] = "kernel-side";
	__u64 args[4];
	char out[64] = {};
	__u32 zero = 0, one = 1;
	__u32 len = ctx->user_len;

	if (len > sizeof(ubuf))
		len = sizeof(ubuf);
	ctx->r[0] = bpf_probe_read_user(ubuf, len, (void *)ctx->user_ptr);
	ctx->r[1] = bpf_probe_read_user_str(ubuf + 16, 16, (void *)ctx->user_ptr);
	ctx->r[2] = bpf_probe_read_kernel(kbuf, 8, src);
	ctx->r[3] = bpf_probe_read_kernel_str(kbuf + 8, 8, src);
	ctx->r[4] = bpf_strncmp(ubuf, 5, "hello");
	ctx->r[5] = bpf_strncmp(kbuf, 6, "kernem");
	ctx->r[6] = bpf_strncmp(src, 16, "kernel-side");
	ctx->r[7] = bpf_probe_read_user(ubuf, 8, (void *)0);
	args[0] = ctx->n;
	args[1] = (__u64)(long)-5;
	args[2] = (__u64)src;
	args[3] = 0xbeef;
	ctx->r[8] = bpf_snprintf(out, sizeof(out), "n=%llu s=%lld str=%s x=%05llx", args, sizeof(args));
	bpf_map_update_elem(&text, &zero, out, BPF_ANY);
	ctx->r[9] = bpf_snprintf(out, 8, "%llu-%llu", args, 16);
	bpf_map_update_elem(&text, &one, out, BPF_ANY);
	__builtin_memcpy(ctx->s, ubuf, 32);
	return 0;
}

SEC("syscall")
int kd_trace(struct io *ctx)
{
	__u32 nonce = ctx->nonce;
	__u64 n = ctx->n;

	ctx->r[0] = bpf_printk("kd <%08x> n=%llu", nonce, n);
	ctx->r[1] = bpf_printk("kd <%08x> neg=%d hex=%x", nonce, -(int)n, (__u32)n * 77);
	ctx->r[2] = bpf_printk("kd <%08x> str=%s c=%c", nonce, "abc", 'Z');
	return 0;
}

SEC("syscall")
int kd_loop(struct io *ctx)
{
	struct loop_ctx lc = {.n = ctx->n};
	long iters = bpf_loop(100, step, &lc, 0);

	ctx->r[0] = iters;
	ctx->r[1] = lc.sum;
	ctx->r[2] = bpf_loop(5, step, &lc, 1); /* flags must be 0: -EINVAL */
	return (int)iters;
}

char _license[] SEC("license") = "GPL";
