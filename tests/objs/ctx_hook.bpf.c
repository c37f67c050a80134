/* ctx_hook.bpf.c - a host hook program (section "hook/NAME") and a packet program that breaks its
 * type's rules, for tests/unit/test_ctx_objs.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct host_ev {
	__u64 id;      /* read-only */
	__u32 counter; /* read-write */
	__u32 secret;  /* no access */
};

SEC("hook/ev")
int on_ev(struct host_ev *ev)
{
	ev->counter += (__u32)ev->id;
	return ev->counter;
}

char LICENSE[] SEC("license") = "GPL";
