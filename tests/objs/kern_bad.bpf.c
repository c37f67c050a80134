/* kern_bad.bpf.c - a program the kernel's verifier refuses (a hash map value used without the NULL check),
 * for the kernel backend's error reporting (tests/kernel/test_kobject.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} vals SEC(".maps");

SEC("socket")
int null_deref(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&vals, &k);
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
