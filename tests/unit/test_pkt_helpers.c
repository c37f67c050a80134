/*
 * test_pkt_helpers.c - the packet helpers with the kernel's numbers: every helper's success and
 * error paths with exact return codes and packet bytes (XDP head/meta/tail limits within the
 * frame, skb load/store/relative loads, head and tail changes, VLAN push/pop, the flow hash,
 * redirects to an ifindex and through devmap/cpumap/xskmap), and the packet the csum helpers see
 * after data moved. Programs are hand-written and run through the runner on the checked engine
 * (and the fast one where noted).
 */
#include <stdio.h>

#include "pktbuild.h"
#include "pktfx.h"
#include "test.h"

/* Open, run once on the checked engine; returns r0 as a signed value (-9999 when the run failed). */
static int64_t xrun(struct fx *f, unsigned int type, const char *text, const uint8_t *pkt, uint32_t len,
		    const struct userbpf_pkt_meta *m)
{
	if (!fx_open(f, text, type, USERBPF_EXEC_CHECKED, NULL, 0))
		return -9999;
	if (fx_run(f, pkt, len, m)) {
		fprintf(stderr, "run: %s\n", f->err);
		return -9999;
	}
	return (int64_t)f->res.retval;
}

/* r0 = helper(ctx, A) */
static int64_t call1(struct fx *f, unsigned int type, int id, long long a, const uint8_t *pkt, uint32_t len,
		     const struct userbpf_pkt_meta *m)
{
	char text[128];
	snprintf(text, sizeof(text), "r2 = %lld ll\ncall %d\nexit\n", a, id);
	return xrun(f, type, text, pkt, len, m);
}

/* r0 = helper(ctx, A, B) */
static int64_t call2(struct fx *f, unsigned int type, int id, long long a, long long b, const uint8_t *pkt,
		     uint32_t len, const struct userbpf_pkt_meta *m)
{
	char text[160];
	snprintf(text, sizeof(text), "r2 = %lld ll\nr3 = %lld ll\ncall %d\nexit\n", a, b, id);
	return xrun(f, type, text, pkt, len, m);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- XDP ------------------------------------------------------------------------------------- */

TEST(xdp_adjust_head)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	/* the headroom is 256 bytes of which the xdp_frame keeps 40 */
	CHECK_EQ_INT(call1(&f, T_XDP, 44, -216, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, len + 216);
	CHECK(all_zero(f.res.data, 216));
	CHECK(memcmp(f.res.data + 216, pkt, len) == 0);
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data_end, len + 216);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 44, -217, pkt, len, NULL), -EINVAL);
	CHECK_EQ_INT(f.res.len, len);
	fx_close(&f);
	/* forward: an Ethernet header must remain */
	CHECK_EQ_INT(call1(&f, T_XDP, 44, len - 14, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, 14);
	CHECK(memcmp(f.res.data, pkt + len - 14, 14) == 0);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 44, len - 13, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	/* the offset is an int: 2^32 - 14 is -14 */
	CHECK_EQ_INT(call1(&f, T_XDP, 44, 0xfffffff2ll, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, len + 14);
	fx_close(&f);
	/* headroom is fresh for every packet, on both engines (the fast one clears it only after a
	 * run exposed it), also when the exposing run moved data back */
	static const char *const dirty[] = {
	    "r6 = r1\nr2 = -16\ncall 44\nr2 = *(u64 *)(r6 + 24)\nr0 = *(u64 *)(r2 + 0)\n"
	    "r3 = -1\n*(u64 *)(r2 + 0) = r3\nexit\n",
	    "r6 = r1\nr2 = -16\ncall 44\nr2 = *(u64 *)(r6 + 24)\nr7 = *(u64 *)(r2 + 0)\n"
	    "r3 = -1\n*(u64 *)(r2 + 0) = r3\nr1 = r6\nr2 = 16\ncall 44\nr0 = r7\nexit\n",
	    "r6 = r1\nr2 = -16\ncall 54\nr2 = *(u64 *)(r6 + 40)\nr0 = *(u64 *)(r2 + 0)\n"
	    "r3 = -1\n*(u64 *)(r2 + 0) = r3\nexit\n",
	};
	for (size_t i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		for (int e = 0; e < 2; e++) {
			CHECK(fx_open(&f, dirty[i], T_XDP, fx_engines[e], NULL, 0));
			for (int k = 0; k < 3; k++) {
				CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
				CHECK_EQ_U64(f.res.retval, 0);
			}
			fx_close(&f);
		}
}

TEST(xdp_adjust_meta)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	CHECK_EQ_INT(call1(&f, T_XDP, 54, -32, pkt, len, NULL), 0);
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data, 32);
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data_end, 32 + len);
	CHECK_EQ_INT(f.res.len, len); /* the output packet is data..data_end */
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, -36, pkt, len, NULL), 0); /* the kernel's limit is 255 now, not 32 */
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, -216, pkt, len, NULL), 0); /* the whole headroom past the xdp_frame */
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data, 216);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, -220, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, -6, pkt, len, NULL), -EACCES);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, 4, pkt, len, NULL), -EINVAL); /* past data */
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, -217, pkt, len, NULL), -EINVAL); /* into the xdp_frame */
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 54, 0, pkt, len, NULL), 0);
	fx_close(&f);
	/* metadata moves with the head, and limits the head's room */
	CHECK(fx_open(&f,
		      "r6 = r1\nr2 = -8\ncall 54\nr2 = *(u64 *)(r6 + 40)\nr3 = 0x1122334455667788 ll\n"
		      "*(u64 *)(r2 + 0) = r3\nr1 = r6\nr2 = -208\ncall 44\nif r0 != 0 goto out\n"
		      "r1 = r6\nr2 = -1\ncall 44\nif r0 != -22 goto out\n"
		      "r2 = *(u64 *)(r6 + 40)\nr0 = *(u64 *)(r2 + 0)\nout:\nexit\n",
		      T_XDP, USERBPF_EXEC_CHECKED, NULL, 0));
	CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
	CHECK_EQ_U64(f.res.retval, 0x1122334455667788ull);
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data, 8);
	CHECK_EQ_INT(f.res.len, len + 208);
	fx_close(&f);
}

TEST(xdp_adjust_tail)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	/* grow into the tailroom: the frame is 4096 bytes, 256 of headroom and 320 of skb_shared_info */
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 3520 - len, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, 3520);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	CHECK(all_zero(f.res.data + len, 3520 - len));
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 3521 - len, pkt, len, NULL), -EINVAL);
	CHECK_EQ_INT(f.res.len, len);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 14 - (int)len, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, 14);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 13 - (int)len, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	/* xdp_get_buff_len follows */
	CHECK_EQ_INT(xrun(&f, T_XDP, "r6 = r1\nr2 = -10\ncall 65\nr1 = r6\ncall 188\nexit\n", pkt, len, NULL), len - 10);
	fx_close(&f);
	CHECK_EQ_INT(xrun(&f, T_XDP, "call 188\nexit\n", pkt, len, NULL), len);
	fx_close(&f);
}

/* xdp_load_bytes(ctx, OFF, r10 - 16, LEN): r0 = rc, or the 8 bytes read when rc is 0 */
static int64_t xdp_load(struct fx *f, long long off, long long n, const uint8_t *pkt, uint32_t len)
{
	char text[256];
	snprintf(text, sizeof(text),
		 "r2 = %lld ll\nr3 = r10\nr3 += -16\nr4 = %lld ll\ncall 189\nif r0 != 0 goto out\n"
		 "r0 = *(u64 *)(r10 - 16)\nout:\nexit\n",
		 off, n);
	return xrun(f, T_XDP, text, pkt, len, NULL);
}

TEST(xdp_load_store_bytes)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	uint64_t want;
	memcpy(&want, pkt + len - 8, 8);
	CHECK_EQ_U64(xdp_load(&f, len - 8, 8, pkt, len), want);
	fx_close(&f);
	CHECK_EQ_INT(xdp_load(&f, len - 7, 8, pkt, len), -EINVAL);
	fx_close(&f);
	CHECK_EQ_INT(xdp_load(&f, 0x10000, 8, pkt, len), -EFAULT);
	fx_close(&f);
	CHECK_EQ_INT(xdp_load(&f, 0, 0x10000, pkt, len), -EFAULT);
	fx_close(&f);
	/* store 8 bytes at offset 2 */
	CHECK_EQ_INT(xrun(&f, T_XDP,
			  "r2 = 0x0807060504030201 ll\n*(u64 *)(r10 - 8) = r2\nr2 = 2\nr3 = r10\nr3 += -8\nr4 = 8\n"
			  "call 190\nexit\n",
			  pkt, len, NULL),
		     0);
	CHECK(memcmp(f.res.data + 2, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
	CHECK(memcmp(f.res.data + 10, pkt + 10, len - 10) == 0);
	fx_close(&f);
	char text[200];
	snprintf(text, sizeof(text), "r2 = %u\nr3 = r10\nr3 += -8\nr4 = 8\ncall 190\nexit\n", len - 7);
	CHECK_EQ_INT(xrun(&f, T_XDP, text, pkt, len, NULL), -EINVAL);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);
}

TEST(xdp_fragments)
{
	/* 5000 bytes: 3520 in the page, 1480 in one fragment */
	static uint8_t pkt[9000];
	for (int i = 0; i < 9000; i++)
		pkt[i] = (uint8_t)(i * 7);
	struct fx f;
	/* the program sees the linear part */
	CHECK_EQ_INT(xrun(&f, T_XDP, "r2 = *(u64 *)(r1 + 24)\nr0 = *(u64 *)(r1 + 32)\nr0 -= r2\nexit\n", pkt, 5000,
			  NULL),
		     3520);
	CHECK_EQ_INT(f.res.len, 5000);
	CHECK(memcmp(f.res.data, pkt, 5000) == 0);
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data_end, 3520);
	fx_close(&f);
	CHECK_EQ_INT(xrun(&f, T_XDP, "call 188\nexit\n", pkt, 5000, NULL), 5000);
	fx_close(&f);
	/* bytes across the boundary */
	uint64_t want;
	memcpy(&want, pkt + 3516, 8);
	CHECK_EQ_U64(xdp_load(&f, 3516, 8, pkt, 5000), want);
	fx_close(&f);
	CHECK_EQ_INT(xdp_load(&f, 4993, 8, pkt, 5000), -EINVAL);
	fx_close(&f);
	CHECK_EQ_INT(xrun(&f, T_XDP,
			  "r2 = -1\n*(u64 *)(r10 - 8) = r2\nr2 = 3518\nr3 = r10\nr3 += -8\nr4 = 8\ncall 190\nexit\n", pkt,
			  5000, NULL),
		     0);
	CHECK(memcmp(f.res.data, pkt, 3518) == 0);
	CHECK(memcmp(f.res.data + 3518, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
	CHECK(memcmp(f.res.data + 3526, pkt + 3526, 5000 - 3526) == 0);
	fx_close(&f);
	/* the last fragment grows within its page */
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 4096 - 1480, pkt, 5000, NULL), 0);
	CHECK_EQ_INT(f.res.len, 5000 + 2616);
	CHECK(all_zero(f.res.data + 5000, 2616));
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 4097 - 1480, pkt, 5000, NULL), -EINVAL);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 0, pkt, 5000, NULL), 0);
	fx_close(&f);
	/* shrinking releases fragments, then cuts the linear part */
	CHECK_EQ_INT(call1(&f, T_XDP, 65, -1480, pkt, 5000, NULL), 0);
	CHECK_EQ_INT(f.res.len, 3520);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, -2000, pkt, 5000, NULL), 0);
	CHECK_EQ_INT(f.res.len, 3000);
	CHECK_EQ_INT(((const struct userbpf_xdp_md *)f.res.ctx_out)->data_end, 3000);
	CHECK(memcmp(f.res.data, pkt, 3000) == 0);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 14 - 5000, pkt, 5000, NULL), 0);
	CHECK_EQ_INT(f.res.len, 14);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 13 - 5000, pkt, 5000, NULL), -EINVAL);
	fx_close(&f);
	/* 9000 bytes: two fragments, the first full */
	CHECK_EQ_INT(xrun(&f, T_XDP, "r6 = r1\nr2 = -5000\ncall 65\nr1 = r6\ncall 188\nexit\n", pkt, 9000, NULL), 4000);
	CHECK(memcmp(f.res.data, pkt, 3520) == 0);
	CHECK(memcmp(f.res.data + 3520, pkt + 3520, 480) == 0);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_XDP, 65, 4096 - (9000 - 3520 - 4096), pkt, 9000, NULL), 0);
	CHECK_EQ_INT(f.res.len, 3520 + 2 * 4096);
	fx_close(&f);
}

/* ---- skb ------------------------------------------------------------------------------------- */

/* skb_store_bytes(ctx, OFF, r10 - 8 = 0xa1a2a3a4a5a6a7a8 (LE), LEN, FLAGS) */
static int64_t skb_store(struct fx *f, unsigned int type, long long off, int n, long long flags,
			 const uint8_t *pkt, uint32_t len, const struct userbpf_pkt_meta *m)
{
	char text[256];
	snprintf(text, sizeof(text),
		 "r2 = 0xa8a7a6a5a4a3a2a1 ll\n*(u64 *)(r10 - 8) = r2\nr2 = %lld ll\nr3 = r10\nr3 += -8\nr4 = %d\n"
		 "r5 = %lld ll\ncall 9\nexit\n",
		 off, n, flags);
	return xrun(f, type, text, pkt, len, m);
}

TEST(skb_store_bytes)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	struct userbpf_pkt_meta m = {.hash = 0x77};
	CHECK_EQ_INT(skb_store(&f, T_CLS, 0, 6, 0, pkt, len, &m), 0);
	CHECK(memcmp(f.res.data, "\xa1\xa2\xa3\xa4\xa5\xa6", 6) == 0);
	CHECK(memcmp(f.res.data + 6, pkt + 6, len - 6) == 0);
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->hash, 0x77);
	fx_close(&f);
	CHECK_EQ_INT(skb_store(&f, T_CLS, len - 8, 8, 3, pkt, len, &m), 0); /* RECOMPUTE_CSUM | INVALIDATE_HASH */
	CHECK(memcmp(f.res.data + len - 8, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 8) == 0);
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->hash, 0);
	fx_close(&f);
	CHECK_EQ_INT(skb_store(&f, T_CLS, len - 7, 8, 0, pkt, len, NULL), -EFAULT);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);
	CHECK_EQ_INT(skb_store(&f, T_CLS, 0x80000000ll, 1, 0, pkt, len, NULL), -EFAULT);
	fx_close(&f);
	CHECK_EQ_INT(skb_store(&f, T_CLS, 0, 1, 4, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	/* non-L2 types count from the network header */
	CHECK_EQ_INT(skb_store(&f, T_CG, 0, 1, 0, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.data[14], 0xa1);
	CHECK_EQ_INT(f.res.len, len);
	fx_close(&f);
}

/* skb_load_bytes(ctx, OFF, r10 - 8 (pre-filled with ones), LEN): r0 = rc << 32 | low word read */
static int64_t skb_load(struct fx *f, unsigned int type, long long off, int n, const uint8_t *pkt, uint32_t len)
{
	char text[320];
	snprintf(text, sizeof(text),
		 "r2 = -1\n*(u64 *)(r10 - 8) = r2\nr2 = %lld ll\nr3 = r10\nr3 += -8\nr4 = %d\ncall 26\n"
		 "r0 <<= 32\nr1 = *(u32 *)(r10 - 8)\nr0 |= r1\nexit\n",
		 off, n);
	return xrun(f, type, text, pkt, len, NULL);
}

TEST(skb_load_bytes)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	uint32_t w;
	memcpy(&w, pkt + 6, 4);
	CHECK_EQ_U64(skb_load(&f, T_CLS, 6, 4, pkt, len), w);
	fx_close(&f);
	memcpy(&w, pkt + 14, 4);
	CHECK_EQ_U64(skb_load(&f, T_SOCK, 0, 4, pkt, len), w);
	fx_close(&f);
	/* failures zero the destination */
	CHECK_EQ_U64(skb_load(&f, T_CLS, len - 3, 4, pkt, len), (uint64_t)(int64_t)-EFAULT << 32);
	fx_close(&f);
	CHECK_EQ_U64(skb_load(&f, T_CLS, 0x80000000ll, 4, pkt, len), (uint64_t)(int64_t)-EFAULT << 32);
	fx_close(&f);
}

/* skb_load_bytes_relative(ctx, OFF, r10 - 8, LEN, START): r0 = rc << 32 | word read */
static int64_t skb_load_rel(struct fx *f, unsigned int type, long long off, int n, int start, const uint8_t *pkt,
			    uint32_t len)
{
	char text[320];
	snprintf(text, sizeof(text),
		 "r2 = -1\n*(u64 *)(r10 - 8) = r2\nr2 = %lld ll\nr3 = r10\nr3 += -8\nr4 = %d\nr5 = %d\ncall 68\n"
		 "r0 <<= 32\nr1 = *(u32 *)(r10 - 8)\nr0 |= r1\nexit\n",
		 off, n, start);
	return xrun(f, type, text, pkt, len, NULL);
}

TEST(skb_load_bytes_relative)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	uint32_t mac, net;
	memcpy(&mac, pkt + 6, 4);
	memcpy(&net, pkt + 14 + 8, 4);
	/* the MAC header is there for a socket filter too, in front of data */
	CHECK_EQ_U64(skb_load_rel(&f, T_SOCK, 6, 4, 0, pkt, len), mac);
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_SOCK, 8, 4, 1, pkt, len), net);
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_CLS, 8, 4, 1, pkt, len), net);
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_CLS, len - 4, 4, 0, pkt, len), (uint32_t)(pkt[len - 4] | pkt[len - 3] << 8 |
									   pkt[len - 2] << 16 | (uint32_t)pkt[len - 1] << 24));
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_CLS, len - 3, 4, 0, pkt, len), (uint64_t)(int64_t)-EFAULT << 32);
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_CLS, len - 14 - 3, 4, 1, pkt, len), (uint64_t)(int64_t)-EFAULT << 32);
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_CLS, 0x10000, 4, 0, pkt, len), (uint64_t)(int64_t)-EFAULT << 32);
	fx_close(&f);
	CHECK_EQ_U64(skb_load_rel(&f, T_CLS, 0, 4, 2, pkt, len), (uint64_t)(int64_t)-EFAULT << 32);
	fx_close(&f);
}

TEST(skb_pull_data)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	CHECK_EQ_INT(call1(&f, T_CLS, 39, len, pkt, len, NULL), 0);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_CLS, 39, 0, pkt, len, NULL), 0);
	fx_close(&f);
	CHECK_EQ_INT(call1(&f, T_CLS, 39, len + 1, pkt, len, NULL), -ENOMEM);
	fx_close(&f);
}

TEST(skb_change_tail)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	/* grows with zeros; len and data_end follow */
	CHECK_EQ_INT(xrun(&f, T_CLS, "r6 = r1\nr2 = 100\nr3 = 0\ncall 38\nr0 = *(u32 *)(r6 + 0)\nexit\n", pkt, len,
			  NULL),
		     100);
	CHECK_EQ_INT(f.res.len, 100);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	CHECK(all_zero(f.res.data + len, 100 - len));
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->data_end, 100);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 38, 14, 0, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, 14);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 38, 13, 0, pkt, len, NULL), -EINVAL); /* under the MAC header */
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CG, 38, 0, 0, pkt, len, NULL), 0); /* non-L2: down to nothing */
	CHECK_EQ_INT(f.res.len, 14);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 38, 16064, 0, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, 16064);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 38, 16065, 0, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 38, 100, 1, pkt, len, NULL), -EINVAL);
	fx_close(&f);
}

TEST(skb_change_head)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	CHECK_EQ_INT(call2(&f, T_CLS, 43, 14, 0, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, len + 14);
	CHECK(all_zero(f.res.data, 14));
	CHECK(memcmp(f.res.data + 14, pkt, len) == 0);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 43, 16064 - len, 0, pkt, len, NULL), 0);
	CHECK_EQ_INT(f.res.len, 16064);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 43, 16065 - len, 0, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 43, 4, 1, pkt, len, NULL), -EINVAL);
	fx_close(&f);
	/* the MAC header starts at the new head: a relative load at MAC + 0 reads the zeros */
	CHECK_EQ_INT(xrun(&f, T_CLS,
			  "r6 = r1\nr2 = 4\nr3 = 0\ncall 43\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\nr5 = 0\n"
			  "call 68\nr0 = *(u64 *)(r10 - 8)\nexit\n",
			  pkt, len, NULL),
		     (int64_t)((uint64_t)pkt[0] << 32 | (uint64_t)pkt[1] << 40 | (uint64_t)pkt[2] << 48 |
			       (uint64_t)pkt[3] << 56));
	fx_close(&f);
}

/* The IPv4 header checksum of the frame at f (Ethernet, no tag) verifies. */
static bool ip_csum_ok(const uint8_t *ip)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

TEST(csum_helpers_follow_moved_data)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	CHECK(ip_csum_ok(pkt + 14));
	/* change_head(14), then rewrite the IP id at 14 + 14 + 4 and fix the checksum at 14 + 14 + 10 */
	for (int e = 0; e < 2; e++) {
		CHECK(fx_open(&f,
			      "r6 = r1\nr2 = 14\nr3 = 0\ncall 43\nif r0 != 0 goto out\n"
			      "r2 = *(u64 *)(r6 + 192)\nr7 = *(u16 *)(r2 + 32)\nr8 = 0x3512\n*(u16 *)(r10 - 2) = r8\n"
			      "r1 = r6\nr2 = 32\nr3 = r10\nr3 += -2\nr4 = 2\nr5 = 0\ncall 9\nif r0 != 0 goto out\n"
			      "r1 = r6\nr2 = 38\nr3 = r7\nr4 = r8\nr5 = 2\ncall 10\nout:\nexit\n",
			      T_CLS, fx_engines[e], NULL, 0));
		CHECK_EQ_INT(fx_run(&f, pkt, len, NULL), 0);
		CHECK_EQ_U64(f.res.retval, 0);
		CHECK_EQ_INT(f.res.len, len + 14);
		CHECK_EQ_INT(f.res.data[32], 0x12);
		CHECK_EQ_INT(f.res.data[33], 0x35);
		CHECK(ip_csum_ok(f.res.data + 28));
		fx_close(&f);
	}
}

TEST(skb_vlan_push_pop)
{
	uint8_t pkt[128], tagged[128], qinq[160];
	uint32_t len = pb_udp4(pkt, 20);
	struct pb_opts o = {.vlan = 0x0005, .proto = 17, .sport = 1000, .dport = 53, .payload = 20};
	uint32_t tlen = pb_build(tagged, &o);
	struct fx f;
	const struct userbpf_sk_buff *s;
	/* the first push sets the skb's tag: the frame does not change */
	CHECK_EQ_INT(call2(&f, T_CLS, 18, 0x0081, 0x2005, pkt, len, NULL), 0);
	s = f.res.ctx_out;
	CHECK_EQ_INT(s->vlan_present, 1);
	CHECK_EQ_INT(s->vlan_tci, 0x2005);
	CHECK_EQ_INT(s->vlan_proto, 0x0081);
	CHECK_EQ_INT(f.res.len, len);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);
	/* an unknown TPID means 802.1Q; 802.1ad is kept */
	CHECK_EQ_INT(call2(&f, T_CLS, 18, 0x3412, 7, pkt, len, NULL), 0);
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->vlan_proto, 0x0081);
	fx_close(&f);
	CHECK_EQ_INT(call2(&f, T_CLS, 18, 0xa888, 7, pkt, len, NULL), 0);
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->vlan_proto, 0xa888);
	fx_close(&f);
	/* a second push moves the first tag into the frame */
	CHECK_EQ_INT(xrun(&f, T_CLS,
			  "r6 = r1\nr2 = 0x0081\nr3 = 5\ncall 18\nr1 = r6\nr2 = 0xa888\nr3 = 9\ncall 18\n"
			  "r0 = *(u32 *)(r6 + 16)\nexit\n",
			  pkt, len, NULL),
		     0x0081);
	CHECK_EQ_INT(f.res.len, tlen);
	CHECK(memcmp(f.res.data, tagged, tlen) == 0);
	s = f.res.ctx_out;
	CHECK_EQ_INT(s->vlan_tci, 9);
	CHECK_EQ_INT(s->vlan_proto, 0xa888);
	CHECK_EQ_INT(s->len, tlen);
	fx_close(&f);

	/* pop: the skb's tag first */
	struct userbpf_pkt_meta m = {.vlan_tci = 5, .vlan_proto = 0x8100};
	CHECK_EQ_INT(xrun(&f, T_CLS, "call 19\nexit\n", pkt, len, &m), 0);
	s = f.res.ctx_out;
	CHECK_EQ_INT(s->vlan_present, 0);
	CHECK_EQ_INT(s->vlan_tci, 0);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);
	/* then the frame's */
	CHECK_EQ_INT(xrun(&f, T_CLS, "r6 = r1\ncall 19\nr0 = *(u32 *)(r6 + 16)\nexit\n", tagged, tlen, NULL), 0x0008);
	CHECK_EQ_INT(f.res.len, len);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->vlan_present, 0);
	fx_close(&f);
	/* a tag under the popped one becomes the skb's tag */
	memcpy(qinq, tagged, 12);
	qinq[12] = 0x88, qinq[13] = 0xa8, qinq[14] = 0x00, qinq[15] = 0x64;
	memcpy(qinq + 16, tagged + 12, tlen - 12);
	CHECK_EQ_INT(xrun(&f, T_CLS, "call 19\nexit\n", qinq, tlen + 4, NULL), 0);
	s = f.res.ctx_out;
	CHECK_EQ_INT(s->vlan_present, 1);
	CHECK_EQ_INT(s->vlan_tci, 5);
	CHECK_EQ_INT(s->vlan_proto, 0x0081);
	CHECK_EQ_INT(s->protocol, 0x0008);
	CHECK_EQ_INT(f.res.len, len);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);
	/* no tag anywhere: nothing to do */
	CHECK_EQ_INT(xrun(&f, T_CLS, "call 19\nexit\n", pkt, len, NULL), 0);
	CHECK(memcmp(f.res.data, pkt, len) == 0);
	fx_close(&f);
	/* a tagged frame too short to hold the tag */
	CHECK_EQ_INT(xrun(&f, T_CLS, "call 19\nexit\n", tagged, 16, NULL), -ENOMEM);
	fx_close(&f);
}

TEST(get_hash_recalc)
{
	uint8_t a[128], b[128];
	struct pb_opts o = {.vlan = -1, .proto = 6, .sport = 1234, .dport = 80, .payload = 0};
	uint32_t la = pb_build(a, &o);
	struct fx f;
	int64_t h1 = xrun(&f, T_CLS, "r6 = r1\ncall 34\nr1 = *(u32 *)(r6 + 68)\nif r1 != r0 goto bad\nexit\nbad:\nr0 = 0\nexit\n",
			  a, la, NULL);
	CHECK(h1 > 0);
	CHECK_EQ_INT(((const struct userbpf_sk_buff *)f.res.ctx_out)->hash, h1);
	fx_close(&f);
	/* the other direction of the flow: same hash */
	memcpy(b, a, la);
	memcpy(b + 26, a + 30, 4);
	memcpy(b + 30, a + 26, 4);
	memcpy(b + 34, a + 36, 2);
	memcpy(b + 36, a + 34, 2);
	CHECK_EQ_INT(xrun(&f, T_CLS, "call 34\nexit\n", b, la, NULL), h1);
	fx_close(&f);
	/* another flow: another hash */
	o.sport = 1235;
	pb_build(b, &o);
	CHECK(xrun(&f, T_CLS, "call 34\nexit\n", b, la, NULL) != h1);
	fx_close(&f);
	/* a hash the skb has is kept */
	struct userbpf_pkt_meta m = {.hash = 0xfeed};
	CHECK_EQ_INT(xrun(&f, T_CLS, "call 34\nexit\n", a, la, &m), 0xfeed);
	fx_close(&f);
}

/* ---- redirects ------------------------------------------------------------------------------- */

TEST(redirect)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	CHECK_EQ_INT(xrun(&f, T_CLS, "r1 = 5\nr2 = 1\ncall 23\nexit\n", pkt, len, NULL), 7);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_REDIRECT);
	CHECK_EQ_INT(f.res.redirect_ifindex, 5);
	CHECK_EQ_INT(f.res.redirect_map_id, 0);
	CHECK_EQ_U64(f.res.redirect_flags, 1);
	fx_close(&f);
	CHECK_EQ_INT(xrun(&f, T_CLS, "r1 = 5\nr2 = 2\ncall 23\nexit\n", pkt, len, NULL), 2); /* TC_ACT_SHOT */
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_DROP);
	fx_close(&f);
	CHECK_EQ_INT(xrun(&f, T_XDP, "r1 = 9\nr2 = 0\ncall 23\nexit\n", pkt, len, NULL), 4);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_REDIRECT);
	CHECK_EQ_INT(f.res.redirect_ifindex, 9);
	fx_close(&f);
	CHECK_EQ_INT(xrun(&f, T_XDP, "r1 = 9\nr2 = 1\ncall 23\nexit\n", pkt, len, NULL), 0); /* XDP_ABORTED */
	CHECK_EQ_INT(f.res.redirect_ifindex, 0);
	fx_close(&f);
	/* a recorded target is reported only with the REDIRECT verdict */
	CHECK_EQ_INT(xrun(&f, T_XDP, "r1 = 9\nr2 = 0\ncall 23\nr0 = 2\nexit\n", pkt, len, NULL), 2);
	CHECK_EQ_INT(f.res.redirect_ifindex, 0);
	fx_close(&f);
}

static int64_t redir_map(struct fx *f, struct userbpf_map *m, long long key, long long flags, const uint8_t *pkt,
			 uint32_t len)
{
	char text[200];
	snprintf(text, sizeof(text), "r1 = map_idx(0) ll\nr2 = %lld ll\nr3 = %lld ll\ncall 51\nexit\n", key, flags);
	if (!fx_open(f, text, T_XDP, USERBPF_EXEC_CHECKED, &m, 1) || fx_run(f, pkt, len, NULL))
		return -9999;
	return (int64_t)f->res.retval;
}

TEST(redirect_map)
{
	uint8_t pkt[128];
	uint32_t len = pb_udp4(pkt, 20);
	struct fx f;
	struct userbpf_map *dev = userbpf_map_create(USERBPF_MAP_TYPE_DEVMAP, "dev", 4, 4, 8, 0);
	struct userbpf_map *cpu = userbpf_map_create(USERBPF_MAP_TYPE_CPUMAP, "cpu", 4, 4, 4, 0);
	struct userbpf_map *xsk = userbpf_map_create(USERBPF_MAP_TYPE_XSKMAP, "xsk", 4, 4, 4, 0);
	struct userbpf_map *arr = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, "arr", 4, 4, 4, 0);
	CHECK(dev && cpu && xsk && arr);
	uint32_t k = 3, v = 42;
	CHECK_EQ_INT(userbpf_map_update_elem(dev, &k, &v, 0), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(cpu, &k, &v, 0), 0);
	CHECK_EQ_INT(redir_map(&f, dev, 3, 0, pkt, len), 4);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_REDIRECT);
	CHECK_EQ_INT(f.res.redirect_ifindex, 3);
	CHECK_EQ_INT(f.res.redirect_map_id, userbpf_map__id(dev));
	CHECK_EQ_U64(f.res.redirect_flags, 0);
	fx_close(&f);
	/* a missing key: the flags' low bits are the verdict */
	CHECK_EQ_INT(redir_map(&f, dev, 2, 2, pkt, len), 2);
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_PASS);
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, dev, 9, 1, pkt, len), 1);
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, dev, 0x100000003ll, 1, pkt, len), 1);
	fx_close(&f);
	/* broadcast redirects whatever the key */
	CHECK_EQ_INT(redir_map(&f, dev, 2, 8 | 16, pkt, len), 4);
	CHECK_EQ_U64(f.res.redirect_flags, 24);
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, dev, 3, 32, pkt, len), 0); /* unknown flag */
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, cpu, 3, 0, pkt, len), 4);
	CHECK_EQ_INT(f.res.redirect_map_id, userbpf_map__id(cpu));
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, cpu, 3, 8, pkt, len), 0); /* no broadcast on a cpumap */
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, xsk, 3, 3, pkt, len), 3); /* empty slot: XDP_TX as the fallback */
	CHECK_EQ_INT(f.res.action, USERBPF_PKT_TX);
	fx_close(&f);
	CHECK_EQ_INT(redir_map(&f, arr, 3, 2, pkt, len), 0); /* not a redirect map */
	fx_close(&f);
	userbpf_map__free(dev);
	userbpf_map__free(cpu);
	userbpf_map__free(xsk);
	userbpf_map__free(arr);
}

/* ---- outside a runner ------------------------------------------------------------------------ */

TEST(helpers_need_a_running_packet)
{
	struct userbpf_helpers *h = userbpf_helpers__new();
	CHECK(h && userbpf_helpers__add_packet(h) == 0);
	CHECK_EQ_INT(userbpf_helpers__add_packet(h), -EEXIST);
	CHECK_STR(userbpf_helpers__name(h, 190), "xdp_store_bytes");
	CHECK_STR(userbpf_helpers__name(h, 68), "skb_load_bytes_relative");
	CHECK_EQ_INT(userbpf_helpers__add_packet(NULL), -EINVAL);
	static const struct {
		int id;
		int64_t want;
	} c[] = {{44, -EINVAL}, {54, -EINVAL}, {65, -EINVAL}, {188, 0}, {9, -EINVAL}, {38, -EINVAL},
		 {23, 0 /* XDP_ABORTED */}, {34, 0}};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char text[64];
		struct userbpf_insn *insns;
		size_t cnt;
		snprintf(text, sizeof(text), "r2 = 0\nr3 = 0\ncall %d\nexit\n", c[i].id);
		CHECK_EQ_INT(userbpf_asm(text, &insns, &cnt, NULL), 0);
		struct userbpf_prog_opts po = USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = h,
								.flags = USERBPF_PROG_F_TRUSTED);
		struct userbpf_prog *p = userbpf_prog__load(insns, cnt, &po);
		free(insns);
		CHECK(p != NULL);
		uint8_t ctx[256] = {0};
		struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = ctx, .ctx_size = sizeof(ctx));
		CHECK_EQ_INT(userbpf_prog__run(p, &ro), 0);
		CHECK_EQ_U64(ro.retval, (uint64_t)c[i].want);
		userbpf_prog__free(p);
	}
	userbpf_helpers__free(h);
}
