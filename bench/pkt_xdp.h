/* pkt_xdp.h - XDP programs held in the kernel's dispatcher while bench_pkt times them (pkt_xdp.c). */
#ifndef USERBPF_BENCH_PKT_XDP_H
#define USERBPF_BENCH_PKT_XDP_H

/* Move the process into a new network namespace (its loopback is ifindex 1). 0 or -errno. */
int pkt_xdp_private_netns(void);
/* Attach the XDP program to the loopback device in generic mode. 0 or -errno. */
int pkt_xdp_hold(int prog_fd);
/* Detach it. */
void pkt_xdp_release(void);

#endif
