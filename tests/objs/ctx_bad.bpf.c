/* ctx_bad.bpf.c - a socket filter writing a field socket filters may not write, loaded by
 * tests/unit/test_ctx_objs.c to check the refusal names the source line. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int bad_mark(struct __sk_buff *skb)
{
	skb->mark = 1; /* LINE-MARK: mark written */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
