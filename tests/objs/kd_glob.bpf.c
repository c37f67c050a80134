/* kd_glob.bpf.c - for tests/kernel/diff_objects.c: global data in every section kind (.rodata,
 * .data, .bss, .data.NAME, .rodata.NAME, a string table), static and global subprograms (a global
 * function verified on its own by the kernel, a static one called from two programs, a call chain
 * four deep), run from SEC("syscall") programs on an input in their context. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 scale = 3;			      /* .rodata */
const volatile __u32 table[8] = {1, 1, 2, 3, 5, 8, 13, 21}; /* .rodata */
__u64 total = 1000;				      /* .data */
__u32 calls;					      /* .bss */
__u64 hist[4];					      /* .bss */
__u64 custom_counter SEC(".data.custom") = 7;	      /* .data.custom */
const char greeting[] SEC(".rodata.greet") = "hello"; /* .rodata.greet */

struct io {
	__u64 in;
	__u64 out;
	__u64 aux;
};

static __attribute__((noinline)) __u64 level3(__u64 x)
{
	return x * scale + table[x & 7];
}

static __attribute__((noinline)) __u64 level2(__u64 x)
{
	return level3(x + 1) ^ 0x55;
}

static __attribute__((noinline)) __u64 shared(__u64 x)
{
	calls++;
	hist[x & 3]++;
	return level2(x) + custom_counter;
}

/* A global function: the kernel verifies it once, for any argument. */
__attribute__((noinline)) int global_mix(__u32 x)
{
	if (x > 1000)
		return -1;
	return (int)(x * 7 + greeting[x & 3]);
}

SEC("syscall")
int kd_glob_main(struct io *ctx)
{
	__u64 x = ctx->in;
	__u64 r = shared(x);

	total += r;
	custom_counter += 1;
	ctx->out = r;
	ctx->aux = (__u64)(__s64)global_mix((__u32)x);
	return (int)(total & 0x7fffffff);
}

SEC("syscall")
int kd_glob_other(struct io *ctx)
{
	__u64 r = shared(ctx->in * 2);

	ctx->out = r + calls;
	return global_mix(calls) + (int)scale;
}

char _license[] SEC("license") = "GPL";
