/* globals.bpf.c - global data (.rodata, .data, .bss, .rodata.str1.1, .data.NAME), several programs
 * per section, static and global subprograms, a function shared by two programs, a bpf_loop callback
 * (function address), and a line marker for the line info test. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 limit = 7;          /* .rodata */
__u64 counter = 3;                       /* .data */
__u32 hits;                              /* .bss */
__u32 table[4] SEC(".data.table") = {10, 20, 30, 40};
static const char greeting[] = "hello";  /* .rodata */

static __noinline int add3(int a, int b, int c)
{
	return a + b + c + limit;
}

__noinline int shared(int x)
{
	hits++;
	return add3(x, 1, 2);
}

static long loop_cb(__u32 i, void *ctx)
{
	counter += i;
	return 0;
}

SEC("xdp")
int xdp_one(struct xdp_md *ctx)
{
	bpf_loop(4, loop_cb, 0, 0);
	bpf_trace_printk("ifindex %d\n", sizeof("ifindex %d\n"), ctx->ingress_ifindex);
	return shared(ctx->ingress_ifindex) + greeting[ctx->rx_queue_index & 3];
}

SEC("xdp")
int xdp_two(struct xdp_md *ctx)
{
	return table[ctx->rx_queue_index & 3];
}

SEC("tc")
int tc_main(struct __sk_buff *skb)
{
	__u64 t = bpf_ktime_get_ns(); /* LINE-MARK */
	return shared((int)t) + add3(1, 2, 3);
}

__noinline int text_entry(int v)
{
	return v * 2;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
