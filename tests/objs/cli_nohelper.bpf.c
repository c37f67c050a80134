// SPDX-License-Identifier: MIT
/* cli_nohelper.bpf.c - a program calling a helper userbpf does not provide yet (bpf_redirect, 23:
 * it needs the packet hooks), so the CLI's load-time refusal names the helper and the source line. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int redirect_out(struct __sk_buff *skb)
{
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
