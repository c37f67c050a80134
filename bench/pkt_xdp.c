/*
 * pkt_xdp.c - for bench_pkt.c: keeping an XDP program in the kernel's XDP dispatcher while it is
 * timed. An XDP test run with repeat > 1 adds the program to the dispatcher and removes it after,
 * each a synchronize_rcu (milliseconds on a busy machine), once per packet timed; a program already
 * there (attached to a device) stays, and the test runs skip that. So the harness moves into a
 * network namespace of its own and attaches the program, in generic mode, to that namespace's
 * loopback device, which carries no traffic. Apart from bench_pkt.c because the examples' headers
 * and the kernel's UAPI headers both define __u64.
 */
#include <errno.h>
#include <sched.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "pkt_xdp.h"

int pkt_xdp_private_netns(void)
{
	return unshare(CLONE_NEWNET) ? -errno : 0;
}

int pkt_xdp_hold(int prog_fd)
{
	return bpf_xdp_attach(1, prog_fd, XDP_FLAGS_SKB_MODE, NULL);
}

void pkt_xdp_release(void)
{
	bpf_xdp_detach(1, XDP_FLAGS_SKB_MODE, NULL);
}
