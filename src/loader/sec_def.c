/*
 * sec_def.c - program type and expected attach type from the section name, by libbpf's conventions:
 * one row per name. A row "NAME" matches exactly; a row "NAME+" matches "NAME" and "NAME/anything".
 * Names no row matches strictly are tried as libbpf 0.x did: the longest row name that is a prefix of
 * the section name ("xdp_pass" is xdp, "classifier_ingress" is sched_cls), so older objects load.
 * Attach types are numbered as the kernel's enum bpf_attach_type.
 */
#include <string.h>

#include "loader.h"
#include "userbpf/packet.h"

/* Kernel enum bpf_attach_type values used below. */
enum {
	AT_CGROUP_INET_INGRESS = 0,
	AT_CGROUP_INET_EGRESS = 1,
	AT_CGROUP_INET_SOCK_CREATE = 2,
	AT_CGROUP_SOCK_OPS = 3,
	AT_SK_SKB_STREAM_PARSER = 4,
	AT_SK_SKB_STREAM_VERDICT = 5,
	AT_CGROUP_DEVICE = 6,
	AT_SK_MSG_VERDICT = 7,
	AT_CGROUP_INET4_BIND = 8,
	AT_CGROUP_INET6_BIND = 9,
	AT_CGROUP_INET4_CONNECT = 10,
	AT_CGROUP_INET6_CONNECT = 11,
	AT_CGROUP_INET4_POST_BIND = 12,
	AT_CGROUP_INET6_POST_BIND = 13,
	AT_CGROUP_UDP4_SENDMSG = 14,
	AT_CGROUP_UDP6_SENDMSG = 15,
	AT_LIRC_MODE2 = 16,
	AT_FLOW_DISSECTOR = 17,
	AT_CGROUP_SYSCTL = 18,
	AT_CGROUP_UDP4_RECVMSG = 19,
	AT_CGROUP_UDP6_RECVMSG = 20,
	AT_CGROUP_GETSOCKOPT = 21,
	AT_CGROUP_SETSOCKOPT = 22,
	AT_TRACE_RAW_TP = 23,
	AT_TRACE_FENTRY = 24,
	AT_TRACE_FEXIT = 25,
	AT_MODIFY_RETURN = 26,
	AT_LSM_MAC = 27,
	AT_TRACE_ITER = 28,
	AT_CGROUP_INET4_GETPEERNAME = 29,
	AT_CGROUP_INET6_GETPEERNAME = 30,
	AT_CGROUP_INET4_GETSOCKNAME = 31,
	AT_CGROUP_INET6_GETSOCKNAME = 32,
	AT_XDP_DEVMAP = 33,
	AT_CGROUP_INET_SOCK_RELEASE = 34,
	AT_XDP_CPUMAP = 35,
	AT_SK_LOOKUP = 36,
	AT_XDP = 37,
	AT_SK_SKB_VERDICT = 38,
	AT_SK_REUSEPORT_SELECT = 39,
	AT_SK_REUSEPORT_SELECT_OR_MIGRATE = 40,
	AT_PERF_EVENT = 41,
	AT_TRACE_KPROBE_MULTI = 42,
	AT_LSM_CGROUP = 43,
	AT_STRUCT_OPS = 44,
	AT_NETFILTER = 45,
	AT_TCX_INGRESS = 46,
	AT_TCX_EGRESS = 47,
	AT_TRACE_UPROBE_MULTI = 48,
	AT_CGROUP_UNIX_CONNECT = 49,
	AT_CGROUP_UNIX_SENDMSG = 50,
	AT_CGROUP_UNIX_RECVMSG = 51,
	AT_CGROUP_UNIX_GETPEERNAME = 52,
	AT_CGROUP_UNIX_GETSOCKNAME = 53,
};

struct sec_row {
	const char *name; /* trailing '+': also "name/..." */
	enum userbpf_prog_type type;
	uint32_t attach;
};

#define P(T) USERBPF_PROG_TYPE_##T

static const struct sec_row rows[] = {
    {"socket", P(SOCKET_FILTER), 0},
    {"sk_reuseport/migrate", P(SK_REUSEPORT), AT_SK_REUSEPORT_SELECT_OR_MIGRATE},
    {"sk_reuseport", P(SK_REUSEPORT), AT_SK_REUSEPORT_SELECT},
    {"kprobe+", P(KPROBE), 0},
    {"uprobe+", P(KPROBE), 0},
    {"uprobe.s+", P(KPROBE), 0},
    {"kretprobe+", P(KPROBE), 0},
    {"uretprobe+", P(KPROBE), 0},
    {"uretprobe.s+", P(KPROBE), 0},
    {"kprobe.multi+", P(KPROBE), AT_TRACE_KPROBE_MULTI},
    {"kretprobe.multi+", P(KPROBE), AT_TRACE_KPROBE_MULTI},
    {"uprobe.multi+", P(KPROBE), AT_TRACE_UPROBE_MULTI},
    {"uretprobe.multi+", P(KPROBE), AT_TRACE_UPROBE_MULTI},
    {"uprobe.multi.s+", P(KPROBE), AT_TRACE_UPROBE_MULTI},
    {"uretprobe.multi.s+", P(KPROBE), AT_TRACE_UPROBE_MULTI},
    {"ksyscall+", P(KPROBE), 0},
    {"kretsyscall+", P(KPROBE), 0},
    {"usdt+", P(KPROBE), 0},
    {"usdt.s+", P(KPROBE), 0},
    {"tc/ingress", P(SCHED_CLS), AT_TCX_INGRESS},
    {"tc/egress", P(SCHED_CLS), AT_TCX_EGRESS},
    {"tcx/ingress", P(SCHED_CLS), AT_TCX_INGRESS},
    {"tcx/egress", P(SCHED_CLS), AT_TCX_EGRESS},
    {"tc", P(SCHED_CLS), 0},
    {"classifier", P(SCHED_CLS), 0},
    {"action", P(SCHED_ACT), 0},
    {"tracepoint+", P(TRACEPOINT), 0},
    {"tp+", P(TRACEPOINT), 0},
    {"raw_tracepoint+", P(RAW_TRACEPOINT), 0},
    {"raw_tp+", P(RAW_TRACEPOINT), 0},
    {"raw_tracepoint.w+", P(RAW_TRACEPOINT_WRITABLE), 0},
    {"raw_tp.w+", P(RAW_TRACEPOINT_WRITABLE), 0},
    {"tp_btf+", P(TRACING), AT_TRACE_RAW_TP},
    {"fentry+", P(TRACING), AT_TRACE_FENTRY},
    {"fmod_ret+", P(TRACING), AT_MODIFY_RETURN},
    {"fexit+", P(TRACING), AT_TRACE_FEXIT},
    {"fentry.s+", P(TRACING), AT_TRACE_FENTRY},
    {"fmod_ret.s+", P(TRACING), AT_MODIFY_RETURN},
    {"fexit.s+", P(TRACING), AT_TRACE_FEXIT},
    {"freplace+", P(EXT), 0},
    {"lsm+", P(LSM), AT_LSM_MAC},
    {"lsm.s+", P(LSM), AT_LSM_MAC},
    {"lsm_cgroup+", P(LSM), AT_LSM_CGROUP},
    {"iter+", P(TRACING), AT_TRACE_ITER},
    {"iter.s+", P(TRACING), AT_TRACE_ITER},
    {"syscall", P(SYSCALL), 0},
    {"xdp.frags/devmap", P(XDP), AT_XDP_DEVMAP},
    {"xdp/devmap", P(XDP), AT_XDP_DEVMAP},
    {"xdp.frags/cpumap", P(XDP), AT_XDP_CPUMAP},
    {"xdp/cpumap", P(XDP), AT_XDP_CPUMAP},
    {"xdp.frags", P(XDP), AT_XDP},
    {"xdp", P(XDP), AT_XDP},
    {"perf_event", P(PERF_EVENT), 0},
    {"lwt_in", P(LWT_IN), 0},
    {"lwt_out", P(LWT_OUT), 0},
    {"lwt_xmit", P(LWT_XMIT), 0},
    {"lwt_seg6local", P(LWT_SEG6LOCAL), 0},
    {"sockops", P(SOCK_OPS), AT_CGROUP_SOCK_OPS},
    {"sk_skb/stream_parser", P(SK_SKB), AT_SK_SKB_STREAM_PARSER},
    {"sk_skb/stream_verdict", P(SK_SKB), AT_SK_SKB_STREAM_VERDICT},
    {"sk_skb/verdict", P(SK_SKB), AT_SK_SKB_VERDICT},
    {"sk_skb", P(SK_SKB), 0},
    {"sk_msg", P(SK_MSG), AT_SK_MSG_VERDICT},
    {"lirc_mode2", P(LIRC_MODE2), AT_LIRC_MODE2},
    {"flow_dissector", P(FLOW_DISSECTOR), AT_FLOW_DISSECTOR},
    {"cgroup_skb/ingress", P(CGROUP_SKB), AT_CGROUP_INET_INGRESS},
    {"cgroup_skb/egress", P(CGROUP_SKB), AT_CGROUP_INET_EGRESS},
    {"cgroup/skb", P(CGROUP_SKB), 0},
    {"cgroup/sock_create", P(CGROUP_SOCK), AT_CGROUP_INET_SOCK_CREATE},
    {"cgroup/sock_release", P(CGROUP_SOCK), AT_CGROUP_INET_SOCK_RELEASE},
    {"cgroup/sock", P(CGROUP_SOCK), AT_CGROUP_INET_SOCK_CREATE},
    {"cgroup/post_bind4", P(CGROUP_SOCK), AT_CGROUP_INET4_POST_BIND},
    {"cgroup/post_bind6", P(CGROUP_SOCK), AT_CGROUP_INET6_POST_BIND},
    {"cgroup/bind4", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET4_BIND},
    {"cgroup/bind6", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET6_BIND},
    {"cgroup/connect4", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET4_CONNECT},
    {"cgroup/connect6", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET6_CONNECT},
    {"cgroup/connect_unix", P(CGROUP_SOCK_ADDR), AT_CGROUP_UNIX_CONNECT},
    {"cgroup/sendmsg4", P(CGROUP_SOCK_ADDR), AT_CGROUP_UDP4_SENDMSG},
    {"cgroup/sendmsg6", P(CGROUP_SOCK_ADDR), AT_CGROUP_UDP6_SENDMSG},
    {"cgroup/sendmsg_unix", P(CGROUP_SOCK_ADDR), AT_CGROUP_UNIX_SENDMSG},
    {"cgroup/recvmsg4", P(CGROUP_SOCK_ADDR), AT_CGROUP_UDP4_RECVMSG},
    {"cgroup/recvmsg6", P(CGROUP_SOCK_ADDR), AT_CGROUP_UDP6_RECVMSG},
    {"cgroup/recvmsg_unix", P(CGROUP_SOCK_ADDR), AT_CGROUP_UNIX_RECVMSG},
    {"cgroup/getpeername4", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET4_GETPEERNAME},
    {"cgroup/getpeername6", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET6_GETPEERNAME},
    {"cgroup/getpeername_unix", P(CGROUP_SOCK_ADDR), AT_CGROUP_UNIX_GETPEERNAME},
    {"cgroup/getsockname4", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET4_GETSOCKNAME},
    {"cgroup/getsockname6", P(CGROUP_SOCK_ADDR), AT_CGROUP_INET6_GETSOCKNAME},
    {"cgroup/getsockname_unix", P(CGROUP_SOCK_ADDR), AT_CGROUP_UNIX_GETSOCKNAME},
    {"cgroup/sysctl", P(CGROUP_SYSCTL), AT_CGROUP_SYSCTL},
    {"cgroup/getsockopt", P(CGROUP_SOCKOPT), AT_CGROUP_GETSOCKOPT},
    {"cgroup/setsockopt", P(CGROUP_SOCKOPT), AT_CGROUP_SETSOCKOPT},
    {"cgroup/dev", P(CGROUP_DEVICE), AT_CGROUP_DEVICE},
    {"struct_ops+", P(STRUCT_OPS), 0},
    {"struct_ops.s+", P(STRUCT_OPS), 0},
    {"sk_lookup", P(SK_LOOKUP), AT_SK_LOOKUP},
    {"netfilter", P(NETFILTER), AT_NETFILTER},
    /* userbpf's own: host hooks (packet.h); libbpf has no such section */
    {"hook+", (enum userbpf_prog_type)USERBPF_PROG_TYPE_HOOK, 0},
};

static bool strict_match(const struct sec_row *r, const char *sec)
{
	size_t n = strlen(r->name);
	if (r->name[n - 1] != '+')
		return strcmp(r->name, sec) == 0;
	n--;
	return strncmp(r->name, sec, n) == 0 && (sec[n] == 0 || sec[n] == '/');
}

bool loader_sec_def(const char *sec, enum userbpf_prog_type *type, uint32_t *attach)
{
	const struct sec_row *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strict_match(&rows[i], sec)) {
			best = &rows[i];
			goto found;
		}
	}
	/* libbpf 0.x: the longest row name that prefixes the section name. */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = strlen(rows[i].name);
		if (rows[i].name[n - 1] == '+')
			n--;
		if (n > best_len && strncmp(rows[i].name, sec, n) == 0) {
			best = &rows[i];
			best_len = n;
		}
	}
	if (!best) {
		*type = USERBPF_PROG_TYPE_UNSPEC;
		*attach = 0;
		return false;
	}
found:
	*type = best->type;
	*attach = best->attach;
	return true;
}

static const char *const type_names[] = {
    [P(UNSPEC)] = "unspec",
    [P(SOCKET_FILTER)] = "socket_filter",
    [P(KPROBE)] = "kprobe",
    [P(SCHED_CLS)] = "sched_cls",
    [P(SCHED_ACT)] = "sched_act",
    [P(TRACEPOINT)] = "tracepoint",
    [P(XDP)] = "xdp",
    [P(PERF_EVENT)] = "perf_event",
    [P(CGROUP_SKB)] = "cgroup_skb",
    [P(CGROUP_SOCK)] = "cgroup_sock",
    [P(LWT_IN)] = "lwt_in",
    [P(LWT_OUT)] = "lwt_out",
    [P(LWT_XMIT)] = "lwt_xmit",
    [P(SOCK_OPS)] = "sock_ops",
    [P(SK_SKB)] = "sk_skb",
    [P(CGROUP_DEVICE)] = "cgroup_device",
    [P(SK_MSG)] = "sk_msg",
    [P(RAW_TRACEPOINT)] = "raw_tracepoint",
    [P(CGROUP_SOCK_ADDR)] = "cgroup_sock_addr",
    [P(LWT_SEG6LOCAL)] = "lwt_seg6local",
    [P(LIRC_MODE2)] = "lirc_mode2",
    [P(SK_REUSEPORT)] = "sk_reuseport",
    [P(FLOW_DISSECTOR)] = "flow_dissector",
    [P(CGROUP_SYSCTL)] = "cgroup_sysctl",
    [P(RAW_TRACEPOINT_WRITABLE)] = "raw_tracepoint_writable",
    [P(CGROUP_SOCKOPT)] = "cgroup_sockopt",
    [P(TRACING)] = "tracing",
    [P(STRUCT_OPS)] = "struct_ops",
    [P(EXT)] = "ext",
    [P(LSM)] = "lsm",
    [P(SK_LOOKUP)] = "sk_lookup",
    [P(SYSCALL)] = "syscall",
    [P(NETFILTER)] = "netfilter",
};

const char *userbpf_prog_type_name(enum userbpf_prog_type type)
{
	if ((unsigned)type == USERBPF_PROG_TYPE_HOOK)
		return "hook";
	if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}
