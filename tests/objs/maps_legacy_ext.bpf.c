/* maps_legacy_ext.bpf.c - legacy map definitions with extra trailing fields (28-byte entries, as
 * samples/bpf and iproute2-era objects had), and program types by section name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx;
	unsigned int numa_node;
};

struct bpf_map_def SEC("maps") a = {BPF_MAP_TYPE_ARRAY, 4, 4, 2, 0, 0, 0};
struct bpf_map_def SEC("maps") b = {BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 64, 0, 0, 0};
struct bpf_map_def SEC("maps") c = {BPF_MAP_TYPE_LRU_HASH, 16, 8, 100, 0, 0, 0};

#define PROG(sec, name)                                                                                \
	SEC(sec) int name(void *ctx)                                                                   \
	{                                                                                              \
		__u32 k = 0;                                                                           \
		return bpf_map_lookup_elem(&a, &k) != 0;                                               \
	}

PROG("classifier", p_classifier)
PROG("tc", p_tc)
PROG("socket", p_socket)
PROG("kprobe/do_exit", p_kprobe)
PROG("kretprobe/do_exit", p_kretprobe)
PROG("tracepoint/syscalls/sys_enter_write", p_tracepoint)
PROG("tp/sched/sched_switch", p_tp)
PROG("raw_tp/sys_enter", p_raw_tp)
PROG("raw_tracepoint/sys_exit", p_raw_tracepoint)
PROG("uprobe/bin:func", p_uprobe)
PROG("uretprobe/bin:func", p_uretprobe)
PROG("perf_event", p_perf_event)
PROG("cgroup_skb/ingress", p_cgroup_skb_ingress)
PROG("cgroup_skb/egress", p_cgroup_skb_egress)
PROG("cgroup/sock_create", p_cgroup_sock)
PROG("cgroup/connect4", p_connect4)
PROG("cgroup/sysctl", p_sysctl)
PROG("cgroup/dev", p_dev)
PROG("sk_skb/stream_parser", p_sk_skb_parser)
PROG("sk_skb/stream_verdict", p_sk_skb_verdict)
PROG("sk_msg", p_sk_msg)
PROG("sockops", p_sockops)
PROG("lwt_in", p_lwt_in)
PROG("lwt_xmit", p_lwt_xmit)
PROG("flow_dissector", p_flow_dissector)
PROG("syscall", p_syscall)
PROG("fentry/do_exit", p_fentry)
PROG("xdp.frags", p_xdp_frags)
PROG("sk_lookup", p_sk_lookup)
PROG("custom_unknown", p_unknown)
PROG("?tc", p_optional)

char _license[] SEC("license") = "GPL";
