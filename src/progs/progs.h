/*
 * progs.h - internals of src/progs/: the contexts packet programs really run on, the load-time
 * context-access pass, per-type helper rules, and the packet runner's state.
 *
 * The real context of a packet program is the kernel's UAPI struct (struct userbpf_xdp_md or
 * struct userbpf_sk_buff, at offset 0, so every plain field is read and written in place) followed
 * by 64-bit host pointers. The load-time pass (ctx_access.c) rewrites each 4-byte load of a pointer
 * field (data, data_end, data_meta) through the context into an 8-byte load of the pointer here,
 * keeping instruction indices (one slot for one slot), and refuses every access the type's field
 * table forbids. Not installed.
 */
#ifndef USERBPF_PROGS_H
#define USERBPF_PROGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userbpf/packet.h"
#include "userbpf/userbpf.h"

struct progs_pkt; /* the running packet (pkt_run.c), reached by the packet helpers through the ctx */

/* What an XDP program's r1 points to. */
struct progs_xdp_ctx {
	struct userbpf_xdp_md md; /* ingress_ifindex, rx_queue_index, egress_ifindex read in place */
	uint64_t data;		  /* host pointers; md.data/data_end/data_meta loads are rewritten to these */
	uint64_t data_end;
	uint64_t data_meta;
	struct progs_pkt *pkt;
};

/* What a socket filter's, TC program's or cgroup skb program's r1 points to. */
struct progs_skb_ctx {
	struct userbpf_sk_buff skb;
	uint64_t data;
	uint64_t data_end;
	uint64_t data_meta;
	struct progs_pkt *pkt;
};

_Static_assert(sizeof(struct userbpf_xdp_md) == 24, "struct xdp_md layout");
_Static_assert(sizeof(struct userbpf_sk_buff) == 192, "struct __sk_buff layout");
_Static_assert(offsetof(struct progs_xdp_ctx, data) == 24, "xdp ctx layout");
_Static_assert(offsetof(struct progs_skb_ctx, data) == 192, "skb ctx layout");

/** True for the types with a packet context (XDP, SCHED_CLS, SCHED_ACT, SOCKET_FILTER, CGROUP_SKB). */
bool progs_is_packet_type(unsigned int prog_type);

/**
 * The load-time pass over a copy of the program: find every access through the context pointer
 * (tracked from r1 at entry through moves, constant offsets, stack spills and fills, and arguments
 * of local calls), check it against the type's field table (or the hook's `desc`), and rewrite the
 * pointer-field loads. Types without a context table are left alone (0). 0, or -EACCES/-EINVAL with
 * one line in log: "insn 12: r2 = *(u16 *)(r1 + 76): xdp context: narrow load of pointer field
 * data_end; load all 4 bytes".
 */
int progs_ctx_prepare(struct userbpf_insn *insns, size_t cnt, unsigned int prog_type,
		      unsigned int expected_attach_type, const struct userbpf_ctx_desc *desc, char *log,
		      size_t log_size);

/** Whether a program of this type may call helper `id` (kernel numbering). Unknown types: true. */
bool progs_helper_allowed(unsigned int prog_type, uint32_t id);

#endif /* USERBPF_PROGS_H */
