/*
 * ctx_tables.c - the rules of the contexts userbpf knows, learned from the kernel's behaviour
 * (xdp_is_valid_access, sk_filter_is_valid_access, tc_cls_act_is_valid_access,
 * cg_skb_is_valid_access, bpf_skb_is_valid_access, and the func_proto tables of each type):
 * which fields of struct xdp_md and struct __sk_buff each packet type reads and writes and with
 * which sizes, where the pointer fields live in the real context, which helpers each type may call,
 * and the checks of a host hook's context description.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctx.h"
#include "isa/isa.h"
#include "vm/vm.h"
#include "userbpf/object.h"

#define SKB(F) offsetof(struct userbpf_sk_buff, F)
#define XDP(F) offsetof(struct userbpf_xdp_md, F)

enum {
	T_XDP = USERBPF_PROG_TYPE_XDP,
	T_SOCK = USERBPF_PROG_TYPE_SOCKET_FILTER,
	T_CLS = USERBPF_PROG_TYPE_SCHED_CLS,
	T_ACT = USERBPF_PROG_TYPE_SCHED_ACT,
	T_CG = USERBPF_PROG_TYPE_CGROUP_SKB,
};

/* Which types may do what with a field. */
#define M_SOCK (1u << 0)
#define M_TC   (1u << 1) /* SCHED_CLS and SCHED_ACT */
#define M_CG   (1u << 2)
#define M_ALL  (M_SOCK | M_TC | M_CG)

enum fkind {
	F_PLAIN, /* 4 bytes: narrow loads (1, 2, 4), stores of all 4 bytes */
	F_FULL,	 /* 4 bytes, loaded whole: the socket addresses */
	F_CB,	 /* cb[]: any size inside it, loads and stores */
	F_PTR,	 /* data, data_end, data_meta: loads of all 4 bytes, rewritten */
	F_U64,	 /* tstamp, hwtstamp: 8-byte accesses only */
	F_U8,	 /* tstamp_type: 1-byte loads */
	F_KPTR,	 /* flow_keys, sk: kernel pointers, never available here */
	F_PAD,
};

struct field {
	const char *name;
	uint16_t off, size;
	uint8_t kind;
	uint8_t read;  /* M_* of the types that may load it */
	uint8_t write; /* M_* of the types that may store it */
	int16_t host;  /* F_PTR: offset of the host pointer in struct progs_skb_ctx */
};

/* Read sets: sk_filter_is_valid_access refuses tc_classid, data*, the socket fields, tstamp,
 * wire_len, hwtstamp; tc refuses the socket fields (family..local_port); cgroup skb refuses
 * tc_classid, data_meta, wire_len. Write sets: socket filters cb[] only; tc mark, tc_index,
 * priority, tc_classid, cb[], tstamp, queue_mapping; cgroup skb mark, priority, cb[], tstamp. */
static const struct field skb_fields[] = {
    {"len", SKB(len), 4, F_PLAIN, M_ALL, 0, 0},
    {"pkt_type", SKB(pkt_type), 4, F_PLAIN, M_ALL, 0, 0},
    {"mark", SKB(mark), 4, F_PLAIN, M_ALL, M_TC | M_CG, 0},
    {"queue_mapping", SKB(queue_mapping), 4, F_PLAIN, M_ALL, M_TC, 0},
    {"protocol", SKB(protocol), 4, F_PLAIN, M_ALL, 0, 0},
    {"vlan_present", SKB(vlan_present), 4, F_PLAIN, M_ALL, 0, 0},
    {"vlan_tci", SKB(vlan_tci), 4, F_PLAIN, M_ALL, 0, 0},
    {"vlan_proto", SKB(vlan_proto), 4, F_PLAIN, M_ALL, 0, 0},
    {"priority", SKB(priority), 4, F_PLAIN, M_ALL, M_TC | M_CG, 0},
    {"ingress_ifindex", SKB(ingress_ifindex), 4, F_PLAIN, M_ALL, 0, 0},
    {"ifindex", SKB(ifindex), 4, F_PLAIN, M_ALL, 0, 0},
    {"tc_index", SKB(tc_index), 4, F_PLAIN, M_ALL, M_TC, 0},
    {"cb", SKB(cb), 20, F_CB, M_ALL, M_ALL, 0},
    {"hash", SKB(hash), 4, F_PLAIN, M_ALL, 0, 0},
    {"tc_classid", SKB(tc_classid), 4, F_PLAIN, M_TC, M_TC, 0},
    {"data", SKB(data), 4, F_PTR, M_TC | M_CG, 0, offsetof(struct progs_skb_ctx, data)},
    {"data_end", SKB(data_end), 4, F_PTR, M_TC | M_CG, 0, offsetof(struct progs_skb_ctx, data_end)},
    {"napi_id", SKB(napi_id), 4, F_PLAIN, M_ALL, 0, 0},
    {"family", SKB(family), 4, F_PLAIN, M_CG, 0, 0},
    {"remote_ip4", SKB(remote_ip4), 4, F_FULL, M_CG, 0, 0},
    {"local_ip4", SKB(local_ip4), 4, F_FULL, M_CG, 0, 0},
    {"remote_ip6[0]", SKB(remote_ip6[0]), 4, F_FULL, M_CG, 0, 0},
    {"remote_ip6[1]", SKB(remote_ip6[1]), 4, F_FULL, M_CG, 0, 0},
    {"remote_ip6[2]", SKB(remote_ip6[2]), 4, F_FULL, M_CG, 0, 0},
    {"remote_ip6[3]", SKB(remote_ip6[3]), 4, F_FULL, M_CG, 0, 0},
    {"local_ip6[0]", SKB(local_ip6[0]), 4, F_FULL, M_CG, 0, 0},
    {"local_ip6[1]", SKB(local_ip6[1]), 4, F_FULL, M_CG, 0, 0},
    {"local_ip6[2]", SKB(local_ip6[2]), 4, F_FULL, M_CG, 0, 0},
    {"local_ip6[3]", SKB(local_ip6[3]), 4, F_FULL, M_CG, 0, 0},
    {"remote_port", SKB(remote_port), 4, F_PLAIN, M_CG, 0, 0},
    {"local_port", SKB(local_port), 4, F_PLAIN, M_CG, 0, 0},
    {"data_meta", SKB(data_meta), 4, F_PTR, M_TC, 0, offsetof(struct progs_skb_ctx, data_meta)},
    {"flow_keys", SKB(flow_keys), 8, F_KPTR, 0, 0, 0},
    {"tstamp", SKB(tstamp), 8, F_U64, M_TC | M_CG, M_TC | M_CG, 0},
    {"wire_len", SKB(wire_len), 4, F_PLAIN, M_TC, 0, 0},
    {"gso_segs", SKB(gso_segs), 4, F_PLAIN, M_ALL, 0, 0},
    {"sk", SKB(sk), 8, F_KPTR, 0, 0, 0},
    {"gso_size", SKB(gso_size), 4, F_PLAIN, M_ALL, 0, 0},
    {"tstamp_type", SKB(tstamp_type), 1, F_U8, M_TC, 0, 0},
    {"padding", SKB(pad_), 3, F_PAD, 0, 0, 0},
    {"hwtstamp", SKB(hwtstamp), 8, F_U64, M_TC | M_CG, 0, 0},
};

static const struct field xdp_fields[] = {
    {"data", XDP(data), 4, F_PTR, 1, 0, offsetof(struct progs_xdp_ctx, data)},
    {"data_end", XDP(data_end), 4, F_PTR, 1, 0, offsetof(struct progs_xdp_ctx, data_end)},
    {"data_meta", XDP(data_meta), 4, F_PTR, 1, 0, offsetof(struct progs_xdp_ctx, data_meta)},
    {"ingress_ifindex", XDP(ingress_ifindex), 4, F_PLAIN, 1, 0, 0},
    {"rx_queue_index", XDP(rx_queue_index), 4, F_PLAIN, 1, 0, 0},
    {"egress_ifindex", XDP(egress_ifindex), 4, F_PLAIN, 1, 0, 0},
};

#define AT_XDP_DEVMAP 33 /* kernel enum bpf_attach_type */

bool progs_is_packet_type(unsigned int t)
{
	return t == T_XDP || t == T_SOCK || t == T_CLS || t == T_ACT || t == T_CG;
}

bool progs_ctx_has_table(unsigned int t)
{
	return progs_is_packet_type(t) || t == USERBPF_PROG_TYPE_HOOK;
}

const char *progs_type_label(unsigned int t)
{
	switch (t) {
	case T_XDP:
		return "xdp";
	case T_SOCK:
		return "socket filter";
	case T_CLS:
		return "tc classifier";
	case T_ACT:
		return "tc action";
	case T_CG:
		return "cgroup skb";
	case USERBPF_PROG_TYPE_HOOK:
		return "hook";
	default: {
		const char *n = userbpf_prog_type_name((enum userbpf_prog_type)t);
		return n ? n : "unknown";
	}
	}
}

void progs_ctx_name(unsigned int t, const struct userbpf_ctx_desc *desc, char *buf, size_t size)
{
	if (t == T_XDP)
		snprintf(buf, size, "xdp_md");
	else if (t == USERBPF_PROG_TYPE_HOOK)
		snprintf(buf, size, "hook %s", desc && desc->name ? desc->name : "(unnamed)");
	else
		snprintf(buf, size, "__sk_buff");
}

static unsigned int type_mask(unsigned int t)
{
	return t == T_SOCK ? M_SOCK : t == T_CG ? M_CG : M_TC;
}

#define WHY(...) (snprintf(why, why_size, __VA_ARGS__), why)

static const char *check_hook(const struct userbpf_ctx_desc *d, int64_t off, unsigned size, bool write,
			      char *why, size_t why_size)
{
	if (off < 0 || off + size > d->size)
		return WHY("%u-byte %s at offset %lld is outside the context (%u bytes)", size,
			   write ? "store" : "load", (long long)off, d->size);
	uint32_t need = write ? USERBPF_CTX_WRITE : USERBPF_CTX_READ;
	for (size_t i = 0; i < d->nr_fields; i++) {
		const struct userbpf_ctx_field *f = &d->fields[i];
		if (off >= f->off && off + size <= (int64_t)f->off + f->size && (f->flags & need))
			return NULL;
	}
	return WHY("%u-byte %s at offset %lld is not inside one %s field", size, write ? "store" : "load",
		   (long long)off, write ? "writable" : "readable");
}

static const char *check_xdp(unsigned attach, int64_t off, unsigned size, bool write, bool sx, int *host,
			     char *why, size_t why_size)
{
	if (off < 0 || off >= (int64_t)sizeof(struct userbpf_xdp_md))
		return WHY("offset %lld is outside xdp_md (%zu bytes)", (long long)off,
			   sizeof(struct userbpf_xdp_md));
	const struct field *f = &xdp_fields[off / 4];
	if (write)
		return WHY("xdp_md is read-only (store to %s)", f->name);
	if (off % 4 != 0 || size != 4) {
		if (f->kind == F_PTR)
			return WHY("narrow load of pointer field %s; load all 4 bytes", f->name);
		return WHY("%u-byte load at offset %lld: xdp_md fields are loaded 4 bytes at a time (%s)",
			   size, (long long)off, f->name);
	}
	if (f->off == XDP(egress_ifindex) && attach != AT_XDP_DEVMAP)
		return WHY("egress_ifindex is readable only by devmap programs (xdp/devmap)");
	if (f->kind == F_PTR) {
		if (sx)
			return WHY("sign-extending load of pointer field %s", f->name);
		*host = f->host;
	}
	return NULL;
}

static const struct field *skb_field(int64_t off)
{
	for (size_t i = 0; i < sizeof(skb_fields) / sizeof(skb_fields[0]); i++)
		if (off >= skb_fields[i].off && off < skb_fields[i].off + skb_fields[i].size)
			return &skb_fields[i];
	return NULL;
}

static const char *check_skb(unsigned t, int64_t off, unsigned size, bool write, bool sx, int *host,
			     char *why, size_t why_size)
{
	const char *acc = write ? "store" : "load";
	if (off < 0 || off >= (int64_t)sizeof(struct userbpf_sk_buff))
		return WHY("offset %lld is outside __sk_buff (%zu bytes)", (long long)off,
			   sizeof(struct userbpf_sk_buff));
	const struct field *f = skb_field(off);
	if (off % size != 0)
		return WHY("misaligned %u-byte %s at offset %lld (%s)", size, acc, (long long)off, f->name);
	if (f->kind == F_KPTR)
		return WHY("pointer field %s is a kernel object, not available in userbpf", f->name);
	if (f->kind == F_PAD)
		return WHY("access to padding at offset %lld", (long long)off);
	unsigned m = type_mask(t);
	if (!(f->read & m))
		return WHY("field %s is not available in %s programs", f->name, progs_type_label(t));
	if (write && !(f->write & m))
		return WHY("field %s is read-only in %s programs", f->name, progs_type_label(t));
	if (off + size > f->off + f->size)
		return WHY("%u-byte %s at offset %lld crosses the end of %s", size, acc, (long long)off,
			   f->name);
	switch (f->kind) {
	case F_PTR:
		if (size != 4)
			return WHY("narrow load of pointer field %s; load all 4 bytes", f->name);
		if (sx)
			return WHY("sign-extending load of pointer field %s", f->name);
		*host = f->host;
		return NULL;
	case F_U64:
		if (size != 8)
			return WHY("%s is accessed 8 bytes at a time (%u-byte %s)", f->name, size, acc);
		return NULL;
	case F_U8:
		if (size != 1)
			return WHY("%s is loaded 1 byte at a time (%u-byte load)", f->name, size);
		return NULL;
	case F_FULL:
		if (size != 4)
			return WHY("narrow load of %s; load all 4 bytes", f->name);
		return NULL;
	case F_PLAIN:
		if (write && size != 4)
			return WHY("narrow store to %s; store all 4 bytes", f->name);
		return NULL;
	default: /* F_CB */
		return NULL;
	}
}

const char *progs_ctx_check(unsigned int t, unsigned int attach, const struct userbpf_ctx_desc *desc,
			    int64_t off, unsigned int size, bool write, bool sx, int *host_off, char *why,
			    size_t why_size)
{
	*host_off = -1;
	if (t == USERBPF_PROG_TYPE_HOOK)
		return check_hook(desc, off, size, write, why, why_size);
	if (t == T_XDP)
		return check_xdp(attach, off, size, write, sx, host_off, why, why_size);
	return check_skb(t, off, size, write, sx, host_off, why, why_size);
}

int progs_desc_check(const struct userbpf_ctx_desc *d, char *log, size_t log_size)
{
	char line[200] = "";
	if (!d)
		snprintf(line, sizeof(line), "hook programs need a context description (opts.ctx_desc)");
	else if (d->nr_fields && !d->fields)
		snprintf(line, sizeof(line), "hook context %s: %zu fields but no field array",
			 d->name ? d->name : "(unnamed)", d->nr_fields);
	for (size_t i = 0; d && !line[0] && i < d->nr_fields; i++) {
		const struct userbpf_ctx_field *f = &d->fields[i];
		const char *n = d->name ? d->name : "(unnamed)";
		if (f->flags & ~(USERBPF_CTX_READ | USERBPF_CTX_WRITE))
			snprintf(line, sizeof(line), "hook context %s: field %zu has unknown flags 0x%x", n,
				 i, f->flags);
		else if (!f->size || (uint64_t)f->off + f->size > d->size)
			snprintf(line, sizeof(line),
				 "hook context %s: field %zu (offset %u, %u bytes) is empty or outside the "
				 "%u-byte "
				 "context",
				 n, i, f->off, f->size, d->size);
		for (size_t j = 0; !line[0] && j < i; j++) {
			const struct userbpf_ctx_field *g = &d->fields[j];
			if (f->off < (uint64_t)g->off + g->size && g->off < (uint64_t)f->off + f->size)
				snprintf(line, sizeof(line), "hook context %s: fields %zu and %zu overlap", n,
					 j, i);
		}
	}
	if (!line[0])
		return 0;
	if (log && log_size) {
		size_t len = strnlen(log, log_size);
		if (len + 1 < log_size)
			snprintf(log + len, log_size - len, "%s\n", line);
	}
	return -EINVAL;
}

/* ---- helpers by type (the kernel's func_proto tables) ------------------------------------------ */

/*
 * What every packet type may call: bpf_base_func_proto as a privileged loader (CAP_BPF, CAP_PERFMON)
 * sees it on Linux 6.18 (map helpers, ktime, prandom, cpu, tail_call, trace_printk, snprintf, loop,
 * ringbuf_*, timers, dynptrs, strncmp, strtol, the current task's pid/uid/comm/cgroup, probe_read_*,
 * task and cgroup storage, ...). tests/kernel/test_ctx_tables.c checks these lists against the
 * running kernel.
 */
static const uint16_t base_helpers[] = {
    1,	 2,   3,   5,	6,   7,	  8,   12,  14,	 15,  16,  17,	22,  25,  35,  37,  42,	 55,  80,  87,	88,
    89,	 93,  94,  105, 106, 109, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136,
    137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176,
    177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211,
};
/* sk_filter_func_proto: skb_load_bytes(_relative), socket cookie and uid, netns cookie */
static const uint16_t sock_helpers[] = {26, 46, 47, 68, 122};
/* tc_cls_act_func_proto: skb_store_bytes, csum helpers, redirect(_neigh/_peer), vlan, tunnels,
 * change_tail/head/proto/type, adjust_room, fib_lookup, socket lookups, check_mtu, set_tstamp, ... */
static const uint16_t tc_helpers[] = {
    9,	10, 11,	 13,  18,  19,	20,  21,  23,  24,  26,	 28,  29,  30,	31,  32,  33,  34,  38,
    39, 40, 41,	 43,  46,  47,	48,  50,  66,  68,  69,	 79,  83,  84,	85,  86,  95,  96,  97,
    98, 99, 100, 107, 108, 110, 122, 124, 135, 151, 152, 155, 163, 192, 204, 205, 206, 207,
};
/* xdp_func_proto: redirect(_map), csum_diff, xdp_adjust_head/meta/tail, fib_lookup, socket lookups,
 * check_mtu, xdp_get_buff_len, xdp_load/store_bytes, syncookies */
static const uint16_t xdp_helpers[] = {23,  28,	 44,  51,  54,	65,  69,  84,  85,  86, 99,
				       100, 110, 163, 188, 189, 190, 204, 205, 206, 207};
/* cg_skb_func_proto: skb_load_bytes(_relative), local storage, socket helpers, cgroup ids, ecn */
static const uint16_t cg_helpers[] = {26, 46, 47, 68, 79, 81,  83,  84,	 85,  86,
				      95, 96, 97, 98, 99, 107, 108, 122, 128, 129};

static bool in(const uint16_t *v, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

#define IN(V, ID) in(V, sizeof(V) / sizeof(V[0]), ID)

bool progs_helper_allowed(unsigned int t, uint32_t id)
{
	if (!progs_is_packet_type(t))
		return true;
	if (IN(base_helpers, id))
		return true;
	switch (t) {
	case T_SOCK:
		return IN(sock_helpers, id);
	case T_CLS:
	case T_ACT:
		return IN(tc_helpers, id);
	case T_XDP:
		return IN(xdp_helpers, id);
	default:
		return IN(cg_helpers, id);
	}
}

void progs_fmt_insn(const struct userbpf_insn *insns, size_t cnt, size_t idx, char *buf, size_t size)
{
	const struct userbpf_insn *in = &insns[idx];
	const char *name = userbpf_helper_kernel_name((uint32_t)in->imm);
	if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0 && name)
		snprintf(buf, size, "call %s#%d", name, in->imm);
	else
		vm_fmt_insn(insns, cnt, idx, buf, size);
}
