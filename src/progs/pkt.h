/*
 * pkt.h - the packet runner's state (pkt_run.c), shared with the packet helpers (pkt_helpers.c):
 * the frame buffer with its headroom and tailroom, the current data/data_end/data_meta, the skb's
 * header marks and VLAN tag, the redirect target, and the run options reused packet after packet.
 * Not installed.
 */
#ifndef USERBPF_PROGS_PKT_H
#define USERBPF_PROGS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progs/progs.h"
#include "userbpf/packet.h"
#include "userbpf/userbpf.h"

/* The kernel's numbers the runner and helpers follow (x86-64, 4 KiB pages). */
#define PKT_PAGE_SIZE 4096u
#define PKT_XDP_HEADROOM 256u	  /* XDP_PACKET_HEADROOM */
#define PKT_SHINFO_SIZE 320u	  /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
#define PKT_XDP_FRAME_SIZE 40u	  /* sizeof(struct xdp_frame): kept free at the head of an XDP frame */
#define PKT_XDP_MAX_LINEAR (PKT_PAGE_SIZE - PKT_XDP_HEADROOM - PKT_SHINFO_SIZE) /* 3520 */
#define PKT_XDP_META_MAX 255u	  /* largest XDP metadata: skb_shared_info.meta_len is a u8 (6.18) */
#define PKT_SKB_MAX_LEN (4u * PKT_PAGE_SIZE - PKT_SHINFO_SIZE) /* BPF_SKB_MAX_LEN = SKB_MAX_ALLOC */
#define PKT_XDP_MAX_FRAGS 17u	  /* MAX_SKB_FRAGS: an XDP packet holds 3520 + 17 * 4096 bytes at most */
#define PKT_ETH_HLEN 14u
#define PKT_VLAN_HLEN 4u

/* The running packet. r1 of the program points to ctx (xdp or skb); ctx.*.pkt points back here. */
struct progs_pkt {
	unsigned int prog_type;
	bool xdp; /* XDP: struct progs_xdp_ctx */
	bool l2;  /* skb types that see the Ethernet header (SCHED_CLS, SCHED_ACT) */
	uint8_t *buf;	 /* the whole frame: [0, buf_size) */
	size_t buf_size;
	size_t head;	 /* where a packet's first byte is copied (the headroom) */
	uint8_t *hard_end; /* the packet may not grow past this (XDP: the page minus the tailroom) */
	uint32_t max_len;  /* largest packet accepted and largest it may grow to */
	uint8_t *data, *data_end, *data_meta;
	/* XDP: bytes past the first 3520 are in fragments, one page each after the first page of buf
	 * (all full but the last, as the kernel's test run fills them); frags_len bytes in all. */
	uint32_t frags_len;
	uint8_t *out; /* XDP with fragments: the packet out, linear part and fragments joined */
	uint8_t *mac, *net; /* skb: the MAC and network headers */
	uint8_t *frame;	    /* the Ethernet header as given (output of non-L2 types starts here) */
	uint32_t eth_len;   /* non-L2 types: bytes between frame and data */
	bool redirected;
	uint32_t redirect_ifindex, redirect_map_id;
	uint64_t redirect_flags;
	union {
		struct progs_xdp_ctx xdp;
		struct progs_skb_ctx skb;
	} ctx;
	union {
		struct userbpf_xdp_md xdp;
		struct userbpf_sk_buff skb;
	} ctx_out;
	struct userbpf_run_opts ropts;
	struct userbpf_region *regions; /* [0]: the frame buffer; then every map's */
	size_t nr_regions, cap_regions;
	const struct userbpf_prog *prog;
	bool maps_grow;
	uint64_t insn_budget;
	enum userbpf_exec exec;
	bool fast;	     /* the runs take the fast engine (no access outside the packet's bounds) */
	bool headroom_dirty; /* XDP: data_meta went below frame since the headroom was last cleared */
	void (*trace_fn)(void *cookie, const char *line, size_t len);
	void *trace_cookie;
};

/* The packet of the run making a helper call, or NULL when the call does not come from a running
 * userbpf_pktrun on this thread (or `ctx` is not its context, for helpers taking the context). */
struct progs_pkt *progs_pkt_current(const struct userbpf_call *call);
/* After a helper moved data, data_end or data_meta: refresh the context's pointers, the skb's len
 * and run->packet. */
void progs_pkt_sync(struct progs_pkt *p);
/* The start of the XDP fragment area (fragment i at + i * PKT_PAGE_SIZE). */
static inline uint8_t *progs_pkt_frags(const struct progs_pkt *p)
{
	return p->buf + PKT_PAGE_SIZE;
}

#endif /* USERBPF_PROGS_PKT_H */
