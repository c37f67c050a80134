/* kern_attach.bpf.c - a tracing program whose attach target is not in the kernel's BTF, for the
 * kernel backend's error reporting (tests/kernel/test_kobject.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("fentry/userbpf_no_such_function")
int no_target(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
