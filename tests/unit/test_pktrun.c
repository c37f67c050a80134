/*
 * test_pktrun.c - the packet runner: contexts as the kernel's test run builds them (XDP frame,
 * skb fields from the Ethernet header), verdict mapping of every type, socket-filter truncation,
 * ctx_out, checked-engine faults reported as ABORTED, map regions, batches and bad arguments.
 * Programs are hand-written (loaded as prog_type 0, trusted) and read the context's host pointers
 * at their real offsets; each runs on both engines where the engines could differ.
 */
#include <stddef.h>
#include <stdio.h>

#include "pktbuild.h"
#include "loader_util.h"
#include "pktfx.h"
#include "progs/progs.h"
#include "test.h"

static uint32_t rd32le(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

TEST(action_names)
{
	CHECK_STR(userbpf_pkt_action_name(USERBPF_PKT_ABORTED), "aborted");
	CHECK_STR(userbpf_pkt_action_name(USERBPF_PKT_DROP), "drop");
	CHECK_STR(userbpf_pkt_action_name(USERBPF_PKT_PASS), "pass");
	CHECK_STR(userbpf_pkt_action_name(USERBPF_PKT_TX), "tx");
	CHECK_STR(userbpf_pkt_action_name(USERBPF_PKT_REDIRECT), "redirect");
	CHECK_STR(userbpf_pkt_action_name((enum userbpf_pkt_action)9), "unknown");
}

TEST(new_refuses_non_packet_types)
{
	struct fx f;
	char err[256] = "";
	CHECK(fx_open(&f, "r0 = 0\nexit\n", T_XDP, USERBPF_EXEC_DEFAULT, NULL, 0));
	struct userbpf_pktrun_opts o = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = 2 /* kprobe */,
							 .err_buf = err, .err_size = sizeof(err));
	errno = 0;
	CHECK(userbpf_pktrun__new(f.prog, &o) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_CONTAINS(err, "program type kprobe (2) is not a packet type");
	o.prog_type = T_XDP;
	o.exec = (enum userbpf_exec)7;
	CHECK(userbpf_pktrun__new(f.prog, &o) == NULL);
	CHECK_CONTAINS(err, "unknown engine 7");
	errno = 0;
	CHECK(userbpf_pktrun__new(NULL, NULL) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	fx_close(&f);
}

/* Writes len, data - data_meta, ingress_ifindex, rx_queue_index, egress_ifindex at data[0..20). */
static const char xdp_ctx_prog[] = "r2 = *(u64 *)(r1 + 24)\n"
				   "r3 = *(u64 *)(r1 + 32)\n"
				   "r4 = *(u64 *)(r1 + 40)\n"
				   "r5 = r3\n"
				   "r5 -= r2\n"
				   "*(u32 *)(r2 + 0) = r5\n"
				   "r5 = r2\n"
				   "r5 -= r4\n"
				   "*(u32 *)(r2 + 4) = r5\n"
				   "r5 = *(u32 *)(r1 + 12)\n"
				   "*(u32 *)(r2 + 8) = r5\n"
				   "r5 = *(u32 *)(r1 + 16)\n"
				   "*(u32 *)(r2 + 12) = r5\n"
				   "r5 = *(u32 *)(r1 + 20)\n"
				   "*(u32 *)(r2 + 16) = r5\n"
				   "r0 = 2\n"
				   "exit\n";

TEST(xdp_context)
{
	uint8_t pkt[256];
	uint32_t len = pb_udp4(pkt, 30);
	for (int e = 0; e < 2; e++) {
		struct fx f;
		CHECK(fx_open(&f, xdp_ctx_prog, T_XDP, fx_engines[e], NULL, 0));
		CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
		CHECK_EQ_INT(f.res.action, USERBPF_PKT_PASS);
		CHECK_EQ_U64(f.res.retval, 2);
		CHECK_EQ_INT(f.res.len, len);
		CHECK_EQ_INT(rd32le(f.res.data), len);
		CHECK_EQ_INT(rd32le(f.res.data + 4), 0);  /* data_meta = data */
		CHECK_EQ_INT(rd32le(f.res.data + 8), 1);  /* loopback */
		CHECK_EQ_INT(rd32le(f.res.data + 12), 0); /* queue 0 */
		CHECK_EQ_INT(rd32le(f.res.data + 16), 0); /* egress_ifindex */
		CHECK(memcmp(f.res.data + 20, pkt + 20, len - 20) == 0);
		struct userbpf_pkt_meta m = {.ifindex = 7, .rx_queue = 3};
		CHECK_EQ_INT(fx_run(&f, pkt, len, &m), 0);
		CHECK_EQ_INT(rd32le(f.res.data + 8), 7);
		CHECK_EQ_INT(rd32le(f.res.data + 12), 3);
		CHECK_EQ_INT(f.res.ctx_out_size, sizeof(struct userbpf_xdp_md));
		const struct userbpf_xdp_md *md = f.res.ctx_out;
		CHECK_EQ_INT(md->data, 0);
		CHECK_EQ_INT(md->data_end, len);
		CHECK_EQ_INT(md->data_meta, 0);
		CHECK_EQ_INT(md->ingress_ifindex, 7);
		CHECK_EQ_INT(md->rx_queue_index, 3);
		fx_close(&f);
	}
}

struct verdict_case {
	int64_t r0;
	enum userbpf_pkt_action action;
};

static void check_verdicts(unsigned int type, const struct verdict_case *c, size_t n)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 10);
	for (size_t i = 0; i < n; i++) {
		char text[96];
		struct fx f;
		snprintf(text, sizeof(text), "r0 = %lld ll\nexit\n", (long long)c[i].r0);
		CHECK(fx_open(&f, text, type, USERBPF_EXEC_DEFAULT, NULL, 0));
		CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
		if (f.res.action != c[i].action)
			fprintf(stderr, "type %u r0 %lld: action %d, want %d\n", type, (long long)c[i].r0,
				f.res.action, c[i].action);
		CHECK_EQ_INT(f.res.action, c[i].action);
		CHECK_EQ_U64(f.res.retval, (uint64_t)c[i].r0);
		fx_close(&f);
	}
}

TEST(xdp_verdicts)
{
	static const struct verdict_case c[] = {
	    {0, USERBPF_PKT_ABORTED}, {1, USERBPF_PKT_DROP},	 {2, USERBPF_PKT_PASS},	    {3, USERBPF_PKT_TX},
	    {4, USERBPF_PKT_REDIRECT}, {5, USERBPF_PKT_ABORTED}, {-1, USERBPF_PKT_ABORTED}, {1000, USERBPF_PKT_ABORTED},
	};
	check_verdicts(T_XDP, c, sizeof(c) / sizeof(c[0]));
}

TEST(tc_verdicts)
{
	static const struct verdict_case c[] = {
	    {-1, USERBPF_PKT_PASS}, {0, USERBPF_PKT_PASS},  {1, USERBPF_PKT_PASS},     {2, USERBPF_PKT_DROP},
	    {3, USERBPF_PKT_PASS},  {4, USERBPF_PKT_DROP},  {5, USERBPF_PKT_DROP},     {6, USERBPF_PKT_PASS},
	    {7, USERBPF_PKT_REDIRECT}, {8, USERBPF_PKT_DROP}, {9, USERBPF_PKT_PASS}, {1000, USERBPF_PKT_PASS},
	};
	check_verdicts(T_CLS, c, sizeof(c) / sizeof(c[0]));
	check_verdicts(T_ACT, c, sizeof(c) / sizeof(c[0]));
}

TEST(cgroup_and_socket_verdicts)
{
	static const struct verdict_case cg[] = {
	    {0, USERBPF_PKT_DROP}, {1, USERBPF_PKT_PASS}, {2, USERBPF_PKT_DROP}, {3, USERBPF_PKT_PASS}};
	static const struct verdict_case sf[] = {{0, USERBPF_PKT_DROP},
						 {1, USERBPF_PKT_PASS},
						 {0xffffffff, USERBPF_PKT_PASS},
						 {0x100000000ll, USERBPF_PKT_DROP}}; /* 32 bits count */
	check_verdicts(T_CG, cg, sizeof(cg) / sizeof(cg[0]));
	check_verdicts(T_SOCK, sf, sizeof(sf) / sizeof(sf[0]));
}

TEST(socket_filter_truncation_and_view)
{
	uint8_t pkt[256];
	uint32_t len = pb_udp4(pkt, 60); /* 14 + 20 + 8 + 60 = 102 */
	struct fx f;
	CHECK_EQ_INT(len, 102);
	/* returns skb->len + first byte of data * 2^16: the filter sees the frame from the IP header */
	CHECK(fx_open(&f,
		      "r2 = *(u64 *)(r1 + 192)\nr3 = *(u8 *)(r2 + 0)\nr3 <<= 16\nr0 = *(u32 *)(r1 + 0)\nr0 |= r3\nexit\n",
		      T_SOCK, USERBPF_EXEC_CHECKED, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_U64(f.res.retval, 0x450000 | 88);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_PASS);
	CHECK_EQ_INT(f.res.len, len); /* 0x450058 > 88: nothing cut */
	CHECK(f.res.data && memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);

	CHECK(fx_open(&f, "r0 = 20\nexit\n", T_SOCK, USERBPF_EXEC_DEFAULT, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_PASS);
	CHECK_EQ_INT(f.res.len, 14 + 20); /* the Ethernet header, then what the filter kept */
	CHECK(memcmp(f.res.data, pkt, 34) == 0);
	fx_close(&f);

	CHECK(fx_open(&f, "r0 = 0\nexit\n", T_SOCK, USERBPF_EXEC_DEFAULT, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_DROP);
	CHECK_EQ_INT(f.res.len, len); /* dropped packets are shown whole */
	fx_close(&f);

	/* LD_ABS counts from the network header too, as the kernel's test run shows the packet */
	CHECK(fx_open(&f, "r6 = r1\nr0 = *(u8 *)skb[9]\nexit\n", T_SOCK, USERBPF_EXEC_DEFAULT, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_U64(f.res.retval, 17);
	CHECK_EQ_INT(f.res.len, 14 + 17);
	fx_close(&f);

	/* SCHED_CLS sees the Ethernet header */
	CHECK(fx_open(&f, "r2 = *(u64 *)(r1 + 192)\nr0 = *(u8 *)(r2 + 6)\nr1 = *(u32 *)(r1 + 0)\nr1 <<= 8\nr0 |= r1\nexit\n",
		      T_CLS, USERBPF_EXEC_DEFAULT, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_U64(f.res.retval, (102u << 8) | 0x02);
	CHECK_EQ_INT(f.res.len, len);
	fx_close(&f);
}

/* The u32 (or u64 with wide) at `off` of the skb context of `type` for this packet. */
static uint64_t skb_field(unsigned int type, size_t off, int wide, const uint8_t *pkt, uint32_t len,
			  const struct userbpf_pkt_meta *m)
{
	char text[96];
	struct fx f;
	uint64_t v = 0xdeadbeef;
	snprintf(text, sizeof(text), "r0 = *(u%d *)(r1 + %zu)\nexit\n", wide ? 64 : 32, off);
	if (fx_open(&f, text, type, USERBPF_EXEC_CHECKED, NULL, 0) && fx_run(&f, pkt, len, m) == 0)
		v = f.res.retval;
	fx_close(&f);
	return v;
}

#define SKB(T, F, P, L, M) skb_field(T, offsetof(struct userbpf_sk_buff, F), 0, P, L, M)

TEST(skb_fields)
{
	uint8_t pkt[256], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mcast[6] = {0x01, 0, 0x5e, 0, 0, 1},
			  other[6] = {0x02, 0, 0, 0, 0, 5};
	struct pb_opts o = {.vlan = -1, .proto = 6, .sport = 1, .dport = 2, .payload = 4};
	uint32_t len = pb_build(pkt, &o); /* 14 + 20 + 20 + 4 */
	CHECK_EQ_U64(SKB(T_CLS, len, pkt, len, NULL), 58);
	CHECK_EQ_U64(SKB(T_SOCK, len, pkt, len, NULL), 44);
	CHECK_EQ_U64(SKB(T_CG, len, pkt, len, NULL), 44);
	CHECK_EQ_U64(SKB(T_CLS, protocol, pkt, len, NULL), 0x0008);
	CHECK_EQ_U64(SKB(T_CLS, pkt_type, pkt, len, NULL), 0);
	CHECK_EQ_U64(SKB(T_CLS, ifindex, pkt, len, NULL), 1);
	CHECK_EQ_U64(SKB(T_CLS, ingress_ifindex, pkt, len, NULL), 1);
	CHECK_EQ_U64(SKB(T_CLS, wire_len, pkt, len, NULL), 58);
	CHECK_EQ_U64(SKB(T_SOCK, wire_len, pkt, len, NULL), 44);
	CHECK_EQ_U64(SKB(T_CLS, vlan_present, pkt, len, NULL), 0);
	CHECK_EQ_U64(SKB(T_CLS, family, pkt, len, NULL), 2);
	CHECK_EQ_U64(SKB(T_CLS, local_ip4, pkt, len, NULL), 0x0100000a);  /* source 10.0.0.1 */
	CHECK_EQ_U64(SKB(T_CLS, remote_ip4, pkt, len, NULL), 0x0200000a); /* destination 10.0.0.2 */
	CHECK_EQ_U64(SKB(T_CLS, data_meta, pkt, len, NULL), 0);
	o.dst = bcast; /* the loopback device's broadcast address is all zero: multicast, as the kernel says */
	pb_build(pkt, &o);
	CHECK_EQ_U64(SKB(T_CLS, pkt_type, pkt, len, NULL), 2);
	o.dst = mcast;
	pb_build(pkt, &o);
	CHECK_EQ_U64(SKB(T_CLS, pkt_type, pkt, len, NULL), 2);
	o.dst = other;
	pb_build(pkt, &o);
	CHECK_EQ_U64(SKB(T_SOCK, pkt_type, pkt, len, NULL), 3);

	o.dst = NULL;
	o.ipv6 = 1;
	len = pb_build(pkt, &o);
	CHECK_EQ_U64(SKB(T_CLS, protocol, pkt, len, NULL), 0xdd86);
	CHECK_EQ_U64(SKB(T_CLS, family, pkt, len, NULL), 10);
	CHECK_EQ_U64(SKB(T_CLS, local_ip6[3], pkt, len, NULL), 0x01000000);
	CHECK_EQ_U64(SKB(T_CLS, remote_ip6[3], pkt, len, NULL), 0x02000000);

	o.ipv6 = 0;
	o.vlan = 0x2064;
	len = pb_build(pkt, &o);
	CHECK_EQ_U64(SKB(T_CLS, protocol, pkt, len, NULL), 0x0081); /* the tag stays in the frame */
	CHECK_EQ_U64(SKB(T_CLS, vlan_present, pkt, len, NULL), 0);
	CHECK_EQ_U64(SKB(T_CLS, family, pkt, len, NULL), 0);

	/* 802.3 frames: a length, then LLC or raw IPX (0xffff) */
	o.vlan = -1;
	len = pb_build(pkt, &o);
	pkt[12] = 0x00, pkt[13] = 0x2c;
	CHECK_EQ_U64(SKB(T_CLS, protocol, pkt, len, NULL), 0x0400);
	pkt[14] = 0xff, pkt[15] = 0xff;
	CHECK_EQ_U64(SKB(T_CLS, protocol, pkt, len, NULL), 0x0100);

	/* what the meta gives */
	len = pb_build(pkt, &o);
	struct userbpf_pkt_meta m = {.tstamp_ns = 123456789012ull, .wire_len = 1500, .ifindex = 4, .rx_queue = 2,
				     .mark = 0xabc, .priority = 6, .hash = 0x5555, .cb = {1, 2, 3, 4, 5},
				     .vlan_tci = 0x3005, .vlan_proto = 0x88a8};
	CHECK_EQ_U64(SKB(T_CLS, mark, pkt, len, &m), 0xabc);
	CHECK_EQ_U64(SKB(T_CLS, priority, pkt, len, &m), 6);
	CHECK_EQ_U64(SKB(T_CLS, hash, pkt, len, &m), 0x5555);
	CHECK_EQ_U64(SKB(T_CLS, cb[0], pkt, len, &m), 1);
	CHECK_EQ_U64(SKB(T_CLS, cb[4], pkt, len, &m), 5);
	CHECK_EQ_U64(SKB(T_CLS, ifindex, pkt, len, &m), 4);
	CHECK_EQ_U64(SKB(T_CLS, ingress_ifindex, pkt, len, &m), 4);
	CHECK_EQ_U64(SKB(T_CLS, queue_mapping, pkt, len, &m), 2);
	CHECK_EQ_U64(SKB(T_CLS, wire_len, pkt, len, &m), 1500);
	CHECK_EQ_U64(SKB(T_CLS, vlan_present, pkt, len, &m), 1);
	CHECK_EQ_U64(SKB(T_CLS, vlan_tci, pkt, len, &m), 0x3005);
	CHECK_EQ_U64(SKB(T_CLS, vlan_proto, pkt, len, &m), 0xa888);
	CHECK_EQ_U64(skb_field(T_CLS, offsetof(struct userbpf_sk_buff, tstamp), 1, pkt, len, &m), 123456789012ull);
	CHECK_EQ_U64(SKB(T_CLS, gso_segs, pkt, len, &m), 0);
}

TEST(skb_ctx_out)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 10);
	struct fx f;
	CHECK(fx_open(&f, "r2 = 77\n*(u32 *)(r1 + 8) = r2\nr2 = 9\n*(u32 *)(r1 + 52) = r2\nr0 = 0\nexit\n", T_CLS,
		      USERBPF_EXEC_CHECKED, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.ctx_out_size, sizeof(struct userbpf_sk_buff));
	const struct userbpf_sk_buff *s = f.res.ctx_out;
	CHECK_EQ_INT(s->mark, 77);
	CHECK_EQ_INT(s->cb[1], 9);
	CHECK_EQ_INT(s->len, len);
	CHECK_EQ_INT(s->data, 0);
	CHECK_EQ_INT(s->data_end, len);
	CHECK_EQ_INT(s->ifindex, 1);
	CHECK_EQ_INT(s->wire_len, len);
	/* the next packet starts afresh */
	CHECK_EQ_INT(fx_run(&f, pkt, len - 4, NULL), 0);
	CHECK_EQ_INT(s->data_end, len - 4);
	fx_close(&f);
}

TEST(checked_faults_are_aborted)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 10);
	struct fx f;
	/* the frame: a page, then 16 pages of fragments for packets up to 65535 bytes */
	CHECK(fx_open(&f, "r2 = *(u64 *)(r1 + 24)\nr2 += 69376\nr0 = *(u8 *)(r2 + 0)\nexit\n", T_XDP, USERBPF_EXEC_CHECKED,
		      NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), -EFAULT);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_ABORTED);
	CHECK_EQ_U64(f.res.retval, 0);
	CHECK(f.err[0] != '\0');
	CHECK_CONTAINS(f.err, "insn 2");
	/* the whole frame is the program's, headroom and tailroom included */
	fx_close(&f);
	CHECK(fx_open(&f, "r2 = *(u64 *)(r1 + 24)\nr0 = *(u8 *)(r2 - 256)\nr2 += 69375\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit\n",
		      T_XDP, USERBPF_EXEC_CHECKED, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_PASS);
	fx_close(&f);
	CHECK(fx_open(&f, "r2 = *(u64 *)(r1 + 24)\nr0 = *(u8 *)(r2 - 257)\nexit\n", T_XDP, USERBPF_EXEC_CHECKED,
		      NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), -EFAULT);
	fx_close(&f);

	/* the instruction budget */
	CHECK(fx_open(&f, "r0 = 0\nloop:\nr0 += 1\ngoto loop\n", T_CLS, USERBPF_EXEC_CHECKED, NULL, 0));
	struct userbpf_pktrun_opts o = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = T_CLS,
							 .exec = USERBPF_EXEC_CHECKED, .insn_budget = 1000);
	struct userbpf_pktrun *r = userbpf_pktrun__new(f.prog, &o);
	CHECK(r != NULL);
	struct userbpf_pkt_result res;
	char err[200];
	CHECK_EQ_INT(userbpf_pktrun__run(r, pkt, len, NULL, &res, err, sizeof(err)), -ETIME);
	CHECK_EQ_INT(res.action, USERBPF_PKT_ABORTED);
	CHECK(err[0] != '\0');
	userbpf_pktrun__free(r);
	fx_close(&f);
}

TEST(map_values_are_regions)
{
	/* The checked engine lets the program write a map value through the pointer lookup gives. */
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_HASH, "h", 4, 8, 4, 0);
	CHECK(m != NULL);
	uint32_t k = 1;
	uint64_t v = 10;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, 0), 0);
	struct fx f;
	CHECK(fx_open(&f,
		      "r2 = r10\nr2 += -4\nr3 = 1\n*(u32 *)(r10 - 4) = r3\nr1 = map_idx(0) ll\ncall 1\n"
		      "if r0 == 0 goto out\nr1 = *(u64 *)(r0 + 0)\nr1 += 5\n*(u64 *)(r0 + 0) = r1\nout:\nr0 = 2\nexit\n",
		      T_XDP, USERBPF_EXEC_CHECKED, &m, 1));
	uint8_t pkt[64];
	uint32_t len = pb_udp4(pkt, 0);
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), 0);
	CHECK_EQ_U64(v, 20);
	fx_close(&f);
	userbpf_map__free(m);
}

TEST(bad_packets)
{
	static uint8_t pkt[70000];
	struct fx f;
	CHECK(fx_open(&f, "r0 = 2\nexit\n", T_XDP, USERBPF_EXEC_DEFAULT, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, 13, NULL), -EINVAL);
	CHECK_CONTAINS(f.err, "13 bytes is shorter than an Ethernet header");
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_ABORTED);
	CHECK(f.res.data == pkt); /* reported as it came */
	CHECK_EQ_INT(f.res.len, 13);
	CHECK_EQ_INT(fx_run(&f, pkt, 3520, NULL), 0);
	CHECK_EQ_INT(f.res.len, 3520);
	CHECK_EQ_INT(fx_run(&f, pkt, 3521, NULL), 0); /* one byte in a fragment */
	CHECK_EQ_INT(f.res.len, 3521);
	CHECK_EQ_INT(fx_run(&f, pkt, 65535, NULL), 0);
	CHECK_EQ_INT(f.res.len, 65535);
	CHECK_EQ_INT(fx_run(&f, pkt, 65536, NULL), -EMSGSIZE);
	CHECK_CONTAINS(f.err, "65536 bytes is longer than 65535");
	CHECK_EQ_INT(userbpf_pktrun__run(f.run, NULL, 10, NULL, &f.res, NULL, 0), -EINVAL);
	CHECK_EQ_INT(userbpf_pktrun__run(f.run, pkt, 60, NULL, NULL, NULL, 0), -EINVAL);
	fx_close(&f);

	CHECK(fx_open(&f, "r0 = 0\nexit\n", T_CLS, USERBPF_EXEC_DEFAULT, NULL, 0));
	struct userbpf_pktrun_opts o = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = T_CLS, .max_len = 100);
	struct userbpf_pktrun *r = userbpf_pktrun__new(f.prog, &o);
	struct userbpf_pkt_result res;
	char err[128];
	CHECK_EQ_INT(userbpf_pktrun__run(r, pkt, 100, NULL, &res, err, sizeof(err)), 0);
	CHECK_EQ_INT(userbpf_pktrun__run(r, pkt, 101, NULL, &res, err, sizeof(err)), -EMSGSIZE);
	CHECK_CONTAINS(err, "101 bytes is longer than 100");
	userbpf_pktrun__free(r);
	CHECK_EQ_INT(fx_run(&f, pkt, 4000, NULL), 0); /* skb types take up to max_len (65535) */
	CHECK_EQ_INT(f.res.len, 4000);
	fx_close(&f);
}

struct batch_seen {
	size_t n;
	size_t idx[8];
	enum userbpf_pkt_action act[8];
	uint32_t len[8];
	size_t stop_at;
};

static int on_res(void *cookie, size_t i, const struct userbpf_pkt_result *res)
{
	struct batch_seen *s = cookie;
	s->idx[s->n] = i;
	s->act[s->n] = res->action;
	s->len[s->n] = res->len;
	s->n++;
	return i == s->stop_at ? 42 : 0;
}

TEST(batches)
{
	uint8_t a[128], b[128];
	uint32_t la = pb_udp4(a, 10), lb = pb_udp4(b, 40);
	struct fx f;
	/* drop (2: TC_ACT_SHOT) packets longer than 60 bytes */
	CHECK(fx_open(&f, "r2 = *(u32 *)(r1 + 0)\nr0 = 2\nif r2 > 60 goto out\nr0 = 0\nout:\nexit\n", T_CLS,
		      USERBPF_EXEC_DEFAULT, NULL, 0));
	struct userbpf_pkt pk[4] = {{.data = a, .len = la}, {.data = b, .len = lb}, {.data = a, .len = 5},
				    {.data = b, .len = lb, .meta = {.mark = 1}}};
	struct batch_seen s = {.stop_at = 99};
	CHECK_EQ_INT(userbpf_pktrun__run_batch(f.run, pk, 4, on_res, &s), 0);
	CHECK_EQ_INT(s.n, 4);
	CHECK_EQ_INT(s.idx[3], 3);
	CHECK_EQ_INT(s.act[0], USERBPF_PKT_PASS);
	CHECK_EQ_INT(s.act[1], USERBPF_PKT_DROP);
	CHECK_EQ_INT(s.act[2], USERBPF_PKT_ABORTED); /* 5 bytes: refused, the batch goes on */
	CHECK_EQ_INT(s.len[2], 5);
	CHECK_EQ_INT(s.act[3], USERBPF_PKT_DROP);
	CHECK_EQ_INT(s.len[1], lb);
	struct batch_seen t = {.stop_at = 1};
	CHECK_EQ_INT(userbpf_pktrun__run_batch(f.run, pk, 4, on_res, &t), 42);
	CHECK_EQ_INT(t.n, 2);
	CHECK_EQ_INT(userbpf_pktrun__run_batch(f.run, pk, 0, on_res, &t), 0);
	CHECK_EQ_INT(userbpf_pktrun__run_batch(f.run, NULL, 1, on_res, &t), -EINVAL);
	CHECK_EQ_INT(userbpf_pktrun__run_batch(f.run, pk, 1, NULL, NULL), -EINVAL);
	fx_close(&f);
}

TEST(layouts_match_progs_h)
{
	CHECK_EQ_INT(sizeof(struct progs_xdp_ctx), 56);
	CHECK_EQ_INT(offsetof(struct progs_xdp_ctx, data_end), 32);
	CHECK_EQ_INT(offsetof(struct progs_xdp_ctx, data_meta), 40);
	CHECK_EQ_INT(offsetof(struct progs_skb_ctx, data_end), 200);
	CHECK_EQ_INT(offsetof(struct progs_skb_ctx, data_meta), 208);
}

/* ---- clang objects through the object loader (the section gives the type) ----------------------- */

struct objfx {
	struct userbpf_object *obj;
	struct userbpf_helpers *h;
};

static bool obj_open(struct objfx *o)
{
	static char log[4096];
	struct userbpf_object_open_opts oo = USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = log,
							       .log_size = sizeof(log));
	memset(o, 0, sizeof(*o));
	o->h = userbpf_helpers__new();
	if (!o->h || userbpf_helpers__add_packet(o->h) || userbpf_helpers__add_kernel(o->h))
		return false;
	o->obj = userbpf_object__open_file(lu_obj_path("pkt_diff"), &oo);
	if (!o->obj) {
		fprintf(stderr, "%s\n", log);
		return false;
	}
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = o->h,
							       .log_buf = log, .log_size = sizeof(log));
	if (userbpf_object__load(o->obj, &lo)) {
		fprintf(stderr, "%s\n", log);
		return false;
	}
	return true;
}

static void obj_close(struct objfx *o)
{
	userbpf_object__close(o->obj);
	userbpf_helpers__free(o->h);
}

static struct userbpf_pktrun *obj_runner(struct objfx *o, const char *name)
{
	struct userbpf_program *p = userbpf_object__find_program_by_name(o->obj, name);
	char err[256] = "";
	struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .err_buf = err, .err_size = sizeof(err));
	struct userbpf_pktrun *r = p ? userbpf_pktrun__new(userbpf_program__prog(p), &ro) : NULL;
	if (!r)
		fprintf(stderr, "%s: %s\n", name, err);
	return r;
}

TEST(clang_objects)
{
	struct objfx o;
	struct userbpf_pkt_result res;
	char err[256];
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 30); /* 72 bytes, IP total length 58 */
	if (!obj_open(&o)) {
		CHECK(!"pkt_diff.o loads");
		obj_close(&o);
		return;
	}
	struct userbpf_pktrun *r = obj_runner(&o, "xdp_ctx");
	CHECK(r && userbpf_pktrun__run(r, pkt, len, NULL, &res, err, sizeof(err)) == 0);
	if (r) {
		CHECK_EQ_U64(res.retval, 2);
		CHECK_EQ_INT(rd32le(res.data), 72);
		CHECK_EQ_INT(rd32le(res.data + 4), 1);
		CHECK_EQ_INT(rd32le(res.data + 8), 0);
	}
	userbpf_pktrun__free(r);

	struct userbpf_pkt_meta m = {.mark = 0x77, .cb = {1, 0, 0, 0, 2}};
	r = obj_runner(&o, "tc_ctx");
	CHECK(r && userbpf_pktrun__run(r, pkt, len, &m, &res, err, sizeof(err)) == 0);
	if (r) {
		const struct userbpf_sk_buff *s = res.ctx_out;
		CHECK_EQ_INT(rd32le(res.data), 72);
		CHECK_EQ_INT(rd32le(res.data + 8), 0x0008);
		CHECK_EQ_INT(rd32le(res.data + 24), 0x77);
		CHECK_EQ_INT(rd32le(res.data + 32), 1);
		CHECK_EQ_INT(rd32le(res.data + 48), 72);
		CHECK_EQ_INT(rd32le(res.data + 52), 3);
		CHECK_EQ_INT(s->mark, 0x1234);
		CHECK_EQ_INT(s->priority, 3);
		CHECK_EQ_INT(s->cb[2], 0xc2);
		CHECK_EQ_U64(s->tstamp, 99);
	}
	userbpf_pktrun__free(r);

	r = obj_runner(&o, "sock_ctx");
	CHECK(r && userbpf_pktrun__run(r, pkt, len, NULL, &res, err, sizeof(err)) == 0);
	if (r) {
		const struct userbpf_sk_buff *s = res.ctx_out;
		CHECK_EQ_U64(res.retval, 58);
		CHECK_EQ_INT(res.len, 72);
		CHECK_EQ_INT(s->cb[0], 58);
		CHECK_EQ_INT(s->cb[2], 0x0008);
		CHECK_EQ_INT(s->cb[3], 1);
	}
	userbpf_pktrun__free(r);

	r = obj_runner(&o, "sock_ldabs");
	CHECK(r && userbpf_pktrun__run(r, pkt, len, NULL, &res, err, sizeof(err)) == 0);
	if (r) {
		const struct userbpf_sk_buff *s = res.ctx_out;
		CHECK_EQ_U64(res.retval, 0x1140); /* UDP, TTL 64 */
		CHECK_EQ_INT(res.len, 14 + 58);
		CHECK_EQ_INT(s->cb[0], 58);
		CHECK_EQ_INT(s->cb[1], 0x4011);
	}
	userbpf_pktrun__free(r);

	r = obj_runner(&o, "cg_ctx");
	CHECK(r && userbpf_pktrun__run(r, pkt, len, NULL, &res, err, sizeof(err)) == 0);
	if (r) {
		CHECK_EQ_U64(res.retval, 1);
		CHECK_EQ_INT(res.action, USERBPF_PKT_PASS);
		CHECK_EQ_INT(((const struct userbpf_sk_buff *)res.ctx_out)->cb[2], 2);
	}
	userbpf_pktrun__free(r);

	/* vlan_push twice, then pop: the first tag ends in the frame, then back as the skb's */
	r = obj_runner(&o, "tc_helpers");
	pkt[0] = 7;
	CHECK(r && userbpf_pktrun__run(r, pkt, len, NULL, &res, err, sizeof(err)) == 0);
	if (r) {
		const struct userbpf_sk_buff *s = res.ctx_out;
		CHECK_EQ_U64(res.retval, 0);
		CHECK_EQ_INT(res.len, len);
		CHECK(memcmp(res.data, pkt, len) == 0);
		CHECK_EQ_INT(s->cb[1], 1);
		CHECK_EQ_INT(s->cb[2], 5);
		CHECK_EQ_INT(s->cb[3], 0x0081);
		CHECK_EQ_INT(s->cb[4], 0x0008);
	}
	userbpf_pktrun__free(r);

	/* a program keeps the type it was loaded with */
	struct userbpf_program *p = userbpf_object__find_program_by_name(o.obj, "xdp_ctx");
	struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = T_CLS, .err_buf = err,
							  .err_size = sizeof(err));
	errno = 0;
	CHECK(userbpf_pktrun__new(userbpf_program__prog(p), &ro) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_CONTAINS(err, "a program loaded as xdp (6) cannot run as sched_cls (3)");
	ro.prog_type = T_XDP;
	r = userbpf_pktrun__new(userbpf_program__prog(p), &ro);
	CHECK(r != NULL);
	userbpf_pktrun__free(r);
	obj_close(&o);
}
