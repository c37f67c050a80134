/*
 * packet.h - program types with the kernel's contexts (XDP, TC, socket filter, cgroup skb) and the
 * host's own hooks, and the packet runner that feeds packets to them.
 *
 * Program types. A program loaded with userbpf_prog_opts.prog_type set to a type userbpf knows
 * gets that type's context: the context the program sees has the kernel's layout (struct xdp_md,
 * struct __sk_buff, mirrored below), and at load time every access through the context pointer is
 * checked against the type's field table (offset, size, read or write, as the kernel's
 * is_valid_access) and the loads of the 32-bit pointer fields (data, data_end, data_meta) are
 * rewritten into 64-bit loads of real pointers, as the kernel does. A helper the type may not call
 * is refused at load with its name and number. Types userbpf does not run (kprobe, ...) load with
 * their context as plain memory.
 *
 * Hooks. USERBPF_PROG_TYPE_HOOK programs (section "hook/NAME" in objects) take a context the host
 * describes with a struct userbpf_ctx_desc: its size and which byte ranges are readable and writable.
 * A struct userbpf_hook runs the programs attached to it on the host's struct.
 *
 * Packet runner. A struct userbpf_pktrun runs one packet program on packet after packet with
 * kernel-identical contexts (what BPF_PROG_TEST_RUN builds: XDP headroom and tailroom, skb fields
 * from the Ethernet header), applies the verdict and keeps the packet as the program left it.
 *
 * Errors: 0/-errno, or NULL + errno, with one line in the caller's err/log buffer.
 */
#ifndef USERBPF_PACKET_H
#define USERBPF_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <userbpf/userbpf.h>
#include <userbpf/object.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Program type of host hooks: outside the kernel's numbering. Section "hook/NAME" in objects. */
#define USERBPF_PROG_TYPE_HOOK 0x10000

/* ------------------------------------------------------------------------------------------------ */
/* The contexts programs see, byte for byte the kernel's UAPI (a test checks against linux/bpf.h).  */

struct userbpf_xdp_md {
	uint32_t data;
	uint32_t data_end;
	uint32_t data_meta;
	uint32_t ingress_ifindex;
	uint32_t rx_queue_index;
	uint32_t egress_ifindex;
};

struct userbpf_sk_buff {
	uint32_t len;
	uint32_t pkt_type;
	uint32_t mark;
	uint32_t queue_mapping;
	uint32_t protocol; /* network byte order, as the kernel's */
	uint32_t vlan_present;
	uint32_t vlan_tci;
	uint32_t vlan_proto;
	uint32_t priority;
	uint32_t ingress_ifindex;
	uint32_t ifindex;
	uint32_t tc_index;
	uint32_t cb[5];
	uint32_t hash;
	uint32_t tc_classid;
	uint32_t data;
	uint32_t data_end;
	uint32_t napi_id;
	uint32_t family;
	uint32_t remote_ip4;
	uint32_t local_ip4;
	uint32_t remote_ip6[4];
	uint32_t local_ip6[4];
	uint32_t remote_port;
	uint32_t local_port;
	uint32_t data_meta;
	uint64_t flow_keys; /* pointer field: never readable outside the kernel */
	uint64_t tstamp;
	uint32_t wire_len;
	uint32_t gso_segs;
	uint64_t sk; /* pointer field: never readable outside the kernel */
	uint32_t gso_size;
	uint8_t tstamp_type;
	uint8_t pad_[3];
	uint64_t hwtstamp;
};

/* ------------------------------------------------------------------------------------------------ */
/* Host hooks                                                                                        */

#define USERBPF_CTX_READ  (1u << 0)
#define USERBPF_CTX_WRITE (1u << 1)

/** A byte range of the host's context and what programs may do with it. */
struct userbpf_ctx_field {
	uint32_t off;
	uint32_t size;
	uint32_t flags; /* USERBPF_CTX_READ | USERBPF_CTX_WRITE */
};

/**
 * The host's context for USERBPF_PROG_TYPE_HOOK programs. A program may load 1, 2, 4 or 8 bytes
 * lying inside one readable field and store inside one writable field; every other access through
 * the context is refused at load. `name` matches the section "hook/NAME" of objects.
 */
struct userbpf_ctx_desc {
	const char *name;
	uint32_t size;
	const struct userbpf_ctx_field *fields;
	size_t nr_fields;
};

struct userbpf_hook;

/** A hook with the given context (copied). NULL + errno (EINVAL: a field out of size or overlapping). */
USERBPF_API struct userbpf_hook *userbpf_hook__new(const struct userbpf_ctx_desc *desc);
USERBPF_API void userbpf_hook__free(struct userbpf_hook *hook);
/**
 * Attach a program loaded as USERBPF_PROG_TYPE_HOOK with a description of the same name and size
 * (-EINVAL otherwise). The hook holds no reference: detach before freeing the program. -EEXIST if
 * already attached.
 */
USERBPF_API int userbpf_hook__attach(struct userbpf_hook *hook, const struct userbpf_prog *prog);
USERBPF_API int userbpf_hook__detach(struct userbpf_hook *hook, const struct userbpf_prog *prog);

struct userbpf_hook_fire_opts {
	size_t sz;
	enum userbpf_exec exec;
	/** Out: r0 of each program in attach order (room for nr_retvals), may be NULL. */
	uint64_t *retvals;
	size_t nr_retvals;
	char *err_buf;
	size_t err_size;
};

/**
 * Run every attached program, in attach order, on the host's `ctx` (desc->size bytes). Returns the
 * number of programs run, or -errno of the first run that failed (later programs do not run).
 */
USERBPF_API int userbpf_hook__fire(struct userbpf_hook *hook, void *ctx, struct userbpf_hook_fire_opts *opts);

/* ------------------------------------------------------------------------------------------------ */
/* Packet runner                                                                                     */

/** What became of a packet, whatever the program type. */
enum userbpf_pkt_action {
	USERBPF_PKT_ABORTED = 0, /* XDP_ABORTED, an XDP return out of range, or a failed run */
	USERBPF_PKT_DROP = 1,	 /* XDP_DROP, TC_ACT_SHOT/STOLEN/QUEUED/TRAP, socket filter 0, cgroup 0 */
	USERBPF_PKT_PASS = 2,	 /* XDP_PASS, TC_ACT_OK/UNSPEC/PIPE/RECLASSIFY/REPEAT, filter > 0, cgroup 1 */
	USERBPF_PKT_TX = 3,	 /* XDP_TX */
	USERBPF_PKT_REDIRECT = 4, /* XDP_REDIRECT, TC_ACT_REDIRECT */
};

/** "aborted", "drop", "pass", "tx", "redirect". */
USERBPF_API const char *userbpf_pkt_action_name(enum userbpf_pkt_action action);
/**
 * The action return value r0 means for a program type (the 32 bits the kernel reports): XDP 0..4
 * in order, anything else ABORTED; TC (direct action) TC_ACT_SHOT/STOLEN/QUEUED/TRAP DROP,
 * TC_ACT_REDIRECT REDIRECT, anything else PASS; socket filter 0 DROP, else PASS; CGROUP_SKB bit 0
 * (1 PASS, 0 DROP). Types without packets: ABORTED. The packet runner and the kernel backend both
 * map verdicts through this function.
 */
USERBPF_API enum userbpf_pkt_action userbpf_pkt_action_of(unsigned int prog_type, uint32_t retval);

/**
 * What the capture knows about one packet. All zero is what BPF_PROG_TEST_RUN gives a packet
 * without ctx_in: the loopback device (ifindex 1), queue 0, no mark.
 */
struct userbpf_pkt_meta {
	uint64_t tstamp_ns; /* skb->tstamp (0: none) */
	uint32_t wire_len;  /* length on the wire (0: the captured length) */
	uint32_t ifindex;   /* receiving interface (0: 1, loopback) */
	uint32_t rx_queue;
	uint32_t mark;
	uint32_t priority;
	uint32_t hash;
	uint32_t cb[5];
	uint16_t vlan_tci;    /* a VLAN tag the capture stripped (AF_PACKET auxdata) */
	uint16_t vlan_proto;  /* its TPID in host order (0x8100), 0 when none was stripped */
};

struct userbpf_pktrun_opts {
	size_t sz;
	/** Program type; 0: the type the program was loaded with. Must be a packet type. */
	unsigned int prog_type;
	/** Fast or checked engine, as userbpf_run_opts.exec. */
	enum userbpf_exec exec;
	/** Checked engine: instruction budget per packet (0: 1<<32). */
	uint64_t insn_budget;
	/** Largest packet accepted (0: 65535); larger ones get -EMSGSIZE. */
	uint32_t max_len;
	/** bpf_trace_printk output, as userbpf_run_opts. */
	void (*trace_fn)(void *cookie, const char *line, size_t len);
	void *trace_cookie;
	/** Why new failed: one line. May be NULL. */
	char *err_buf;
	size_t err_size;
};

/**
 * A runner for `prog` (a program loaded with a packet type: XDP, SCHED_CLS, SCHED_ACT,
 * SOCKET_FILTER, CGROUP_SKB). It owns one packet buffer with the kernel's XDP headroom (256 bytes)
 * and tailroom, and, for the checked engine, the regions of every map the program holds. NULL +
 * errno (EINVAL: not a packet program; ENOMEM). One runner serves one thread at a time.
 */
USERBPF_API struct userbpf_pktrun *userbpf_pktrun__new(const struct userbpf_prog *prog,
						       const struct userbpf_pktrun_opts *opts);
USERBPF_API void userbpf_pktrun__free(struct userbpf_pktrun *run);

struct userbpf_pkt_result {
	/** r0 as the program returned it. */
	uint64_t retval;
	enum userbpf_pkt_action action;
	/**
	 * The packet after the program: head/tail/meta adjustments, stores and truncation (socket
	 * filter: the first min(retval, len) bytes) applied. Points into the runner; valid until its
	 * next run. For DROP and ABORTED it is the packet as the program left it.
	 */
	const uint8_t *data;
	uint32_t len;
	/** REDIRECT: bpf_redirect's ifindex, or bpf_redirect_map's key with the map's id; flags. */
	uint32_t redirect_ifindex;
	uint32_t redirect_map_id;
	uint64_t redirect_flags;
	/** The context after the run, as BPF_PROG_TEST_RUN's ctx_out (struct userbpf_xdp_md or
	 * struct userbpf_sk_buff with data/data_end as offsets), in the runner. */
	const void *ctx_out;
	uint32_t ctx_out_size;
};

/**
 * Run the program once on `len` bytes at `pkt` (copied into the runner's buffer). `meta` may be
 * NULL. 0 with *res filled; -EMSGSIZE (too long), or the run's -errno (checked engine: -EFAULT,
 * -ETIME...) with res->action = USERBPF_PKT_ABORTED and the reason in err_buf.
 */
USERBPF_API int userbpf_pktrun__run(struct userbpf_pktrun *run, const void *pkt, uint32_t len,
				    const struct userbpf_pkt_meta *meta, struct userbpf_pkt_result *res,
				    char *err_buf, size_t err_size);

/** One packet of a batch. */
struct userbpf_pkt {
	const void *data;
	uint32_t len;
	struct userbpf_pkt_meta meta;
};

/**
 * Run `n` packets in turn, calling on_result(cookie, i, result) after each (the result's data is
 * valid during the call). A non-zero return from on_result stops the batch and is returned; a
 * failed run is reported as an ABORTED result and the batch goes on. Returns 0 or that value.
 */
USERBPF_API int userbpf_pktrun__run_batch(struct userbpf_pktrun *run, const struct userbpf_pkt *pkts, size_t n,
					  int (*on_result)(void *cookie, size_t i,
							   const struct userbpf_pkt_result *res),
					  void *cookie);

/**
 * Register the packet helpers with the kernel's numbers: skb_store_bytes (9), skb_load_bytes (26),
 * skb_load_bytes_relative (68), redirect (23), redirect_map (51), get_hash_recalc (34),
 * skb_change_tail (38), skb_pull_data (39), skb_change_head (43), skb_vlan_push/pop (18, 19),
 * xdp_adjust_head (44), xdp_adjust_meta (54), xdp_adjust_tail (65), xdp_get_buff_len (188),
 * xdp_load_bytes (189), xdp_store_bytes (190). They act on the packet of the running
 * userbpf_pktrun; l3/l4_csum_replace and csum_diff (userbpf_helpers__add_kernel) see the same packet.
 */
USERBPF_API int userbpf_helpers__add_packet(struct userbpf_helpers *helpers);

#ifdef __cplusplus
}
#endif

#endif /* USERBPF_PACKET_H */
