/* cli_run.bpf.c - for tests/cli/test_obj.sh: `userbpf run` on an object whose maps print by their BTF
 * types (structs with char arrays, nested structs, arrays, enums, bitfields, signed values, struct
 * keys), values without BTF types in hex, per-CPU values, a queue, ring buffer records, global data
 * with several variables per section, the input bytes as ctx (read and written), a subprogram, a
 * program the kernel can run too (fill_k, no ctx access), and a program that faults. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum color { RED = 1, GREEN = 2, BLUE = 4 };

struct point {
	__s32 x, y;
};

struct rec {
	char name[8];
	struct point at;
	__u16 hist[3];
	enum color color;
	__u32 flag : 1, level : 3;
	__s64 delta;
};

struct key2 {
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct rec);
	__uint(max_entries, 8);
} recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key2);
	__type(value, __u64);
	__uint(max_entries, 8);
} by_key SEC(".maps");

/* sizes without types: printed in hex */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, 4);
	__uint(value_size, 6);
	__uint(max_entries, 2);
} raw SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, __u32);
	__uint(max_entries, 4);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

const volatile __u32 scale = 3;
const volatile __s16 offset = -2;
__u64 runs = 40;
__s32 last = -1;
__u32 seen;
char tag[6];

static __noinline __u32 sum4(const __u8 *d)
{
	return d[0] + d[1] + d[2] + d[3];
}

/* Everything but the ctx: the same in userbpf and in the kernel (test_obj.sh compares them). */
static __always_inline void fill_maps(__u32 s)
{
	__u32 k = 5, zero = 0, qv = 11;
	struct rec r = {
	    .name = "alpha",
	    .at = {.x = -3, .y = 4},
	    .hist = {1, 2, 3},
	    .color = GREEN,
	    .flag = 1,
	    .level = 5,
	    .delta = -100,
	};
	struct key2 kk = {.port = 80, .proto = 6};
	__u64 v = 7, *pc;
	__u8 bytes[6] = {'a', 'b', 'c', 0, 1, 2};

	bpf_map_update_elem(&raw, &k, bytes, BPF_ANY);
	bpf_map_update_elem(&recs, &k, &r, BPF_ANY);
	bpf_map_update_elem(&by_key, &kk, &v, BPF_ANY);
	pc = bpf_map_lookup_elem(&pcpu, &zero);
	if (pc)
		*pc += 9;
	bpf_map_push_elem(&q, &qv, 0);
	qv = 12;
	bpf_map_push_elem(&q, &qv, 0);
	bpf_ringbuf_output(&events, &s, sizeof(s), 0);
	runs += 1;
	seen = s * scale;
	last = offset;
	tag[0] = 'o';
	tag[1] = 'k';
}

/* syscall: the context is plain memory the caller passes (the kernel's BPF_PROG_TYPE_SYSCALL), so
 * reading and writing its bytes is allowed here as in the kernel; a socket filter may not. */
SEC("syscall")
int fill(void *ctx)
{
	__u8 *d = (__u8 *)ctx;
	__u32 s = sum4(d);

	fill_maps(s);
	d[0] = 0xee; /* LINE-MARK: ctx written */
	return s;
}

SEC("socket")
int fill_k(struct __sk_buff *ctx)
{
	fill_maps(10);
	return 10;
}

SEC("syscall")
int oob(void *ctx)
{
	return *(volatile __u32 *)((char *)ctx + 64);
}

char LICENSE[] SEC("license") = "GPL";
