// SPDX-License-Identifier: MIT
/* cli_nohelper.bpf.c - a program calling a helper userbpf does not provide (bpf_skb_get_tunnel_key,
 * 20: there are no tunnels outside the kernel), so the CLI's load-time refusal names the helper and
 * the source line. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int redirect_out(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};

	return bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
