/*
 * test_ctx_tables.c - the field tables of src/progs/ctx_tables.c against the running kernel's
 * verifier: for xdp (plain and devmap), socket filter, tc classifier and action and cgroup skb, every
 * byte offset of the context, every access size, load, sign-extending load and store, is offered to both as a
 * two- instruction program, and both must give the same verdict. The deliberate differences are listed (the
 * kernel pointer fields sk and flow_keys, which userbpf never exposes). Skips with one line where bpf() is
 * refused.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <string.h>
#include <unistd.h>

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80 /* older linux/bpf.h */
#endif

#include "progs/progs.h"
#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/packet.h"

#define NEED_KERNEL()                                                                                        \
	do {                                                                                                 \
		char why_[200];                                                                              \
		if (!userbpf_kernel_available(why_, sizeof(why_)))                                           \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

static const unsigned sizes[4] = {BPF_B, BPF_H, BPF_W, BPF_DW};
static const unsigned bytes[4] = {1, 2, 4, 8};

/* One access: r2 = 0; r0 = *(sz *)(r1 + off), *(sz *)(r1 + off) = r2 or r0 = *(s<sz> *)(r1 + off)
 * (how 0, 1, 2); r0 = 0; exit. */
static void build(struct bpf_insn *p, int off, unsigned sz, int how)
{
	bool write = how == 1;
	p[0] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2};
	if (how == 2)
		p[1] = (struct bpf_insn){
		    .code = BPF_LDX | BPF_MEMSX | sz, .dst_reg = 0, .src_reg = 1, .off = (short)off};
	else if (write)
		p[1] = (struct bpf_insn){
		    .code = BPF_STX | BPF_MEM | sz, .dst_reg = 1, .src_reg = 2, .off = (short)off};
	else
		p[1] = (struct bpf_insn){
		    .code = BPF_LDX | BPF_MEM | sz, .dst_reg = 0, .src_reg = 1, .off = (short)off};
	p[2] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0};
	p[3] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
}

static bool deliberate(unsigned type, int off, unsigned size, bool write)
{
	/* sk: the kernel hands out a socket pointer; userbpf has no kernel socket to give */
	return type != USERBPF_PROG_TYPE_XDP && !write && size == 8 &&
	       off == (int)offsetof(struct userbpf_sk_buff, sk);
}

static int compare(unsigned type, unsigned attach, int ctx_size)
{
	int diffs = 0;
	for (int off = -4; off < ctx_size + 4; off++)
		for (int s = 0; s < 4; s++)
			for (int w = 0; w < 3; w++) {
				if (w == 2 && sizes[s] == BPF_DW)
					continue; /* no 8-byte sign extension */
				struct bpf_insn p[4];
				build(p, off, sizes[s], w);
				LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach);
				int fd = bpf_prog_load(type, "ctx_probe", "GPL", p, 4, &o);
				bool kern_ok = fd >= 0;
				if (fd >= 0)
					close(fd);
				struct userbpf_insn u[4];
				memcpy(u, p, sizeof(u));
				char log[256] = "";
				bool ub_ok =
				    progs_ctx_prepare(u, 4, type, attach, NULL, log, sizeof(log)) == 0;
				if (kern_ok != ub_ok && !deliberate(type, off, bytes[s], w == 1)) {
					fprintf(
					    stderr,
					    "type %u attach %u: %u-byte %s at %d: kernel %s, userbpf %s %s",
					    type, attach, bytes[s],
					    w == 1 ? "store"
					    : w	   ? "sign-extending load"
						   : "load",
					    off, kern_ok ? "accepts" : "refuses",
					    ub_ok ? "accepts" : "refuses", ub_ok ? "\n" : log);
					diffs++;
				}
			}
	return diffs;
}

TEST(xdp_table_matches_kernel)
{
	NEED_KERNEL();
	CHECK_EQ_INT(compare(USERBPF_PROG_TYPE_XDP, BPF_XDP, sizeof(struct userbpf_xdp_md)), 0);
	CHECK_EQ_INT(compare(USERBPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, sizeof(struct userbpf_xdp_md)), 0);
}

TEST(socket_filter_table_matches_kernel)
{
	NEED_KERNEL();
	CHECK_EQ_INT(compare(USERBPF_PROG_TYPE_SOCKET_FILTER, 0, sizeof(struct userbpf_sk_buff)), 0);
}

TEST(tc_tables_match_kernel)
{
	NEED_KERNEL();
	CHECK_EQ_INT(compare(USERBPF_PROG_TYPE_SCHED_CLS, 0, sizeof(struct userbpf_sk_buff)), 0);
	CHECK_EQ_INT(compare(USERBPF_PROG_TYPE_SCHED_ACT, 0, sizeof(struct userbpf_sk_buff)), 0);
}

TEST(cgroup_skb_table_matches_kernel)
{
	NEED_KERNEL();
	CHECK_EQ_INT(
	    compare(USERBPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, sizeof(struct userbpf_sk_buff)),
	    0);
}

/* Whether the kernel knows helper `id` for `type`: a lone call is refused for its arguments when it
 * does, and with "unknown func" when the type may not call it. -1 when the log says neither. */
static int kernel_helper_known(unsigned type, unsigned attach, int id)
{
	struct bpf_insn p[3] = {
	    {.code = BPF_JMP | BPF_CALL, .imm = id},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	static char log[65536];
	log[0] = 0;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(type, "helper_probe", "GPL", p, 3, &o);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (strstr(log, "unknown func") || strstr(log, "invalid func") || strstr(log, "cannot use helper"))
		return 0;
	return 1;
}

static int compare_helpers(unsigned type, unsigned attach)
{
	int diffs = 0;
	for (int id = 1; id <= 211; id++) {
		int k = kernel_helper_known(type, attach, id);
		bool u = progs_helper_allowed(type, (uint32_t)id);
		if (k != (int)u) {
			fprintf(stderr, "type %u: helper %d (%s): kernel %s, userbpf %s\n", type, id,
				userbpf_helper_kernel_name((uint32_t)id), k ? "allows" : "refuses",
				u ? "allows" : "refuses");
			diffs++;
		}
	}
	return diffs;
}

TEST(helper_tables_match_kernel)
{
	NEED_KERNEL();
	CHECK_EQ_INT(compare_helpers(USERBPF_PROG_TYPE_XDP, BPF_XDP), 0);
	CHECK_EQ_INT(compare_helpers(USERBPF_PROG_TYPE_SOCKET_FILTER, 0), 0);
	CHECK_EQ_INT(compare_helpers(USERBPF_PROG_TYPE_SCHED_CLS, 0), 0);
	CHECK_EQ_INT(compare_helpers(USERBPF_PROG_TYPE_SCHED_ACT, 0), 0);
	CHECK_EQ_INT(compare_helpers(USERBPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS), 0);
}
