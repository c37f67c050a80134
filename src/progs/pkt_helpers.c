/*
 * pkt_helpers.c - the packet helpers (userbpf_helpers__add_packet) with the kernel's numbers, flags,
 * limits and return codes: skb load/store bytes, head/tail changes, VLAN push/pop, the flow hash,
 * redirects, and the XDP head/meta/tail adjustments and byte access. They act on the packet of the
 * userbpf_pktrun running on the calling thread; called from anywhere else they return -EINVAL (the
 * redirects: the type's aborting verdict). After moving data, data_end or data_meta they refresh
 * the context's pointers and the run's packet (progs_pkt_sync), so LD_ABS-free direct access,
 * l3/l4_csum_replace and csum_diff see the packet as it now is.
 */
#include <errno.h>
#include <string.h>

#include "progs/pkt.h"
#include "vm/vm.h"
#include "userbpf/maps.h"
#include "userbpf/object.h"

#define RET(x) ((uint64_t)(int64_t)(x))
#define PTR(r) ((void *)(uintptr_t)(r))

/* The kernel's flags and codes. */
#define F_RECOMPUTE_CSUM (1ull << 0)
#define F_INVALIDATE_HASH (1ull << 1)
#define F_INGRESS (1ull << 0)
#define F_BROADCAST (1ull << 3)
#define F_EXCLUDE_INGRESS (1ull << 4)
#define HDR_START_MAC 0
#define HDR_START_NET 1
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#define XDP_ABORTED 0
#define XDP_REDIRECT 4
#define BE16(x) ((uint16_t)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))

/* The running packet when r1 is its context, else NULL. */
static struct progs_pkt *ctx_pkt(uint64_t r1, const struct userbpf_call *c, bool xdp)
{
	struct progs_pkt *p = progs_pkt_current(c);
	if (!p || PTR(r1) != (void *)&p->ctx || p->xdp != xdp)
		return NULL;
	return p;
}

/* ---- skb ------------------------------------------------------------------------------------- */

static uint32_t skb_len(const struct progs_pkt *p)
{
	return (uint32_t)(p->data_end - p->data);
}

/* bpf_skb_store_bytes(skb, offset, from, len, flags) */
static uint64_t h_skb_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	if (!p || (r5 & ~(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH)))
		return RET(-EINVAL);
	if (off > INT32_MAX || (uint64_t)off + len > skb_len(p))
		return RET(-EFAULT);
	memmove(p->data + off, PTR(r3), len);
	if (r5 & F_INVALIDATE_HASH)
		p->ctx.skb.skb.hash = 0;
	return 0;
}

/* bpf_skb_load_bytes(skb, offset, to, len): the destination is zeroed on failure */
static uint64_t h_skb_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	if (!p)
		return RET(-EINVAL);
	if (off > INT32_MAX || (uint64_t)off + len > skb_len(p)) {
		memset(PTR(r3), 0, len);
		return RET(-EFAULT);
	}
	memmove(PTR(r3), p->data + off, len);
	return 0;
}

/* bpf_skb_load_bytes_relative(skb, offset, to, len, start_header) */
static uint64_t h_skb_load_bytes_relative(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
					  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	const uint8_t *start;
	if (!p)
		return RET(-EINVAL);
	if (off > 0xffff || (r5 != HDR_START_MAC && r5 != HDR_START_NET))
		goto err;
	start = r5 == HDR_START_MAC ? p->mac : p->net;
	if (start + off + len > p->data_end)
		goto err;
	memmove(PTR(r3), start + off, len);
	return 0;
err:
	memset(PTR(r3), 0, len);
	return RET(-EFAULT);
}

/* bpf_skb_pull_data(skb, len): the whole packet is linear; only a length past it fails */
static uint64_t h_skb_pull_data(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	if (!p)
		return RET(-EINVAL);
	if ((uint32_t)r2 > skb_len(p))
		return RET(-ENOMEM);
	progs_pkt_sync(p);
	return 0;
}

/* bpf_skb_change_tail(skb, len, flags): new bytes are zero; never shorter than the MAC header */
static uint64_t h_skb_change_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	uint32_t new_len = (uint32_t)r2, len, min_len;
	if (!p || r3)
		return RET(-EINVAL);
	len = skb_len(p);
	min_len = p->net > p->data ? (uint32_t)(p->net - p->data) : 0;
	if (new_len > PKT_SKB_MAX_LEN || new_len < min_len)
		return RET(-EINVAL);
	if (p->data + new_len > p->hard_end)
		return RET(-ENOMEM);
	if (new_len > len)
		memset(p->data_end, 0, new_len - len);
	p->data_end = p->data + new_len;
	progs_pkt_sync(p);
	return 0;
}

/* bpf_skb_change_head(skb, head_room, flags): zeroed bytes in front; the MAC header starts there */
static uint64_t h_skb_change_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	uint32_t room = (uint32_t)r2, len;
	if (!p || r3)
		return RET(-EINVAL);
	len = skb_len(p);
	if ((uint64_t)len + room > PKT_SKB_MAX_LEN)
		return RET(-EINVAL);
	if ((size_t)(p->data - p->buf) < room)
		return RET(-ENOMEM);
	p->data -= room;
	memset(p->data, 0, room);
	p->mac = p->data;
	progs_pkt_sync(p);
	return 0;
}

/* skb->protocol of the frame at mac, as vlan_set_encap_proto finds it after a tag is removed. */
static uint32_t encap_proto(const struct progs_pkt *p)
{
	const uint8_t *t = p->mac + 12;
	uint16_t v = (uint16_t)((t[0] << 8) | t[1]);
	if (v >= 0x0600)
		return BE16(v);
	if (t + 4 <= p->data_end && t[2] == 0xff && t[3] == 0xff)
		return BE16(0x0001);
	return BE16(0x0004);
}

static bool is_vlan_proto(uint32_t be)
{
	return be == BE16(0x8100) || be == BE16(0x88a8);
}

/* Take the outer tag out of the frame (the MAC header must be at data): *tci gets its TCI. */
static int vlan_pop_inband(struct progs_pkt *p, uint16_t *tci)
{
	if (p->data != p->mac)
		return -EINVAL;
	if (skb_len(p) < PKT_ETH_HLEN + PKT_VLAN_HLEN)
		return -ENOMEM;
	*tci = (uint16_t)((p->data[14] << 8) | p->data[15]);
	memmove(p->data + PKT_VLAN_HLEN, p->data, 12);
	p->data += PKT_VLAN_HLEN;
	p->mac += PKT_VLAN_HLEN;
	p->ctx.skb.skb.protocol = encap_proto(p);
	if (p->net < p->mac + PKT_ETH_HLEN)
		p->net = p->mac + PKT_ETH_HLEN;
	return 0;
}

/* bpf_skb_vlan_push(skb, vlan_proto, vlan_tci): the tag goes to the skb's (offloaded) tag; one
 * already there moves into the frame first */
static uint64_t h_skb_vlan_push(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	if (!p)
		return RET(-EINVAL);
	struct userbpf_sk_buff *s = &p->ctx.skb.skb;
	uint32_t proto = (uint16_t)r2;
	if (!is_vlan_proto(proto))
		proto = BE16(0x8100);
	if (s->vlan_present) {
		if (p->data != p->mac)
			return RET(-EINVAL);
		if ((size_t)(p->data - p->buf) < PKT_VLAN_HLEN)
			return RET(-ENOMEM);
		p->data -= PKT_VLAN_HLEN;
		memmove(p->data, p->data + PKT_VLAN_HLEN, 12);
		p->mac = p->data;
		memcpy(p->data + 12, &s->vlan_proto, 2); /* already in network order */
		p->data[14] = (uint8_t)(s->vlan_tci >> 8);
		p->data[15] = (uint8_t)s->vlan_tci;
		s->protocol = s->vlan_proto;
	}
	s->vlan_present = 1;
	s->vlan_proto = proto;
	s->vlan_tci = (uint16_t)r3;
	progs_pkt_sync(p);
	return 0;
}

/* bpf_skb_vlan_pop(skb): drop the offloaded tag, or the frame's outer one; a tag under it becomes
 * the offloaded tag */
static uint64_t h_skb_vlan_pop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	uint16_t tci;
	int err = 0;
	if (!p)
		return RET(-EINVAL);
	struct userbpf_sk_buff *s = &p->ctx.skb.skb;
	if (s->vlan_present) {
		s->vlan_present = 0;
		s->vlan_tci = 0;
		s->vlan_proto = 0;
	} else {
		if (!is_vlan_proto(s->protocol))
			goto out;
		err = vlan_pop_inband(p, &tci);
		if (err)
			goto out;
	}
	if (is_vlan_proto(s->protocol)) {
		uint32_t proto = s->protocol;
		err = vlan_pop_inband(p, &tci);
		if (!err) {
			s->vlan_present = 1;
			s->vlan_proto = proto;
			s->vlan_tci = tci;
		}
	}
out:
	progs_pkt_sync(p);
	return RET(err);
}

/* ---- the flow hash ---------------------------------------------------------------------------- */

static uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x01000193u; /* FNV-1a prime, word at a time */
	h ^= h >> 15;
	return h;
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * A flow hash of the frame's 5-tuple (addresses and ports ordered so both directions of a flow get
 * the same hash, as the kernel's flow hash does), never 0. Deterministic; not the kernel's value,
 * which uses a per-boot random key.
 */
static uint32_t flow_hash(const uint8_t *f, const uint8_t *end)
{
	const uint8_t *l3 = f + PKT_ETH_HLEN, *l4 = NULL;
	uint32_t h = 0x811c9dc5u, a[4] = {0}, b[4] = {0}, n = 0, ports_a = 0, ports_b = 0;
	uint16_t type = (uint16_t)((f[12] << 8) | f[13]);
	uint8_t proto = 0;
	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8) && l3 + 4 <= end; i++) {
		type = (uint16_t)((l3[2] << 8) | l3[3]);
		l3 += 4;
	}
	if (type == 0x0800 && l3 + 20 <= end && (l3[0] >> 4) == 4) {
		unsigned ihl = (l3[0] & 15u) * 4;
		proto = l3[9];
		a[0] = rd32(l3 + 12);
		b[0] = rd32(l3 + 16);
		n = 1;
		if (ihl >= 20 && !(((l3[6] & 0x1f) << 8) | l3[7]))
			l4 = l3 + ihl;
	} else if (type == 0x86dd && l3 + 40 <= end) {
		proto = l3[6];
		for (int i = 0; i < 4; i++) {
			a[i] = rd32(l3 + 8 + 4 * i);
			b[i] = rd32(l3 + 24 + 4 * i);
		}
		n = 4;
		l4 = l3 + 40;
	}
	if (l4 && (proto == 6 || proto == 17 || proto == 132 || proto == 136) && l4 + 4 <= end) {
		ports_a = (uint32_t)(l4[0] << 8 | l4[1]);
		ports_b = (uint32_t)(l4[2] << 8 | l4[3]);
	}
	if (memcmp(a, b, sizeof(a)) > 0 || (memcmp(a, b, sizeof(a)) == 0 && ports_a > ports_b)) {
		uint32_t t[4];
		memcpy(t, a, sizeof(t));
		memcpy(a, b, sizeof(t));
		memcpy(b, t, sizeof(t));
		uint32_t tp = ports_a;
		ports_a = ports_b;
		ports_b = tp;
	}
	h = mix(h, type);
	h = mix(h, proto);
	for (uint32_t i = 0; i < n; i++) {
		h = mix(h, a[i]);
		h = mix(h, b[i]);
	}
	h = mix(h, ports_a << 16 | ports_b);
	return h ? h : 1;
}

/* bpf_get_hash_recalc(skb): skb->hash, computed (and kept) when there is none */
static uint64_t h_get_hash_recalc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, false);
	if (!p)
		return 0;
	struct userbpf_sk_buff *s = &p->ctx.skb.skb;
	if (!s->hash && p->data_end >= p->mac + PKT_ETH_HLEN)
		s->hash = flow_hash(p->mac, p->data_end);
	return s->hash;
}

/* ---- redirects -------------------------------------------------------------------------------- */

/* bpf_redirect(ifindex, flags): TC_ACT_REDIRECT for tc, XDP_REDIRECT for XDP */
static uint64_t h_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   const struct userbpf_call *c)
{
	struct progs_pkt *p = progs_pkt_current(c);
	if (!p || p->xdp) {
		if (!p || r2)
			return XDP_ABORTED;
	} else if (r2 & ~F_INGRESS) {
		return TC_ACT_SHOT;
	}
	p->redirected = true;
	p->redirect_ifindex = (uint32_t)r1;
	p->redirect_map_id = 0;
	p->redirect_flags = r2;
	return p->xdp ? XDP_REDIRECT : TC_ACT_REDIRECT;
}

/* bpf_redirect_map(map, key, flags): XDP_REDIRECT when the key is in the devmap, cpumap or xskmap
 * (or BPF_F_BROADCAST), else flags' low bits (the fallback action) */
static uint64_t h_redirect_map(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       const struct userbpf_call *c)
{
	struct progs_pkt *p = progs_pkt_current(c);
	struct userbpf_map *map = PTR(r1);
	uint64_t allowed = 3; /* XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX */
	uint8_t value[64];
	if (!p || !map)
		return XDP_ABORTED;
	switch (userbpf_map__type(map)) {
	case USERBPF_MAP_TYPE_DEVMAP:
		allowed |= F_BROADCAST | F_EXCLUDE_INGRESS;
		break;
	case USERBPF_MAP_TYPE_CPUMAP:
	case USERBPF_MAP_TYPE_XSKMAP:
		break;
	default:
		return XDP_ABORTED;
	}
	if (r3 & ~allowed)
		return XDP_ABORTED;
	uint32_t key = (uint32_t)r2;
	bool found = r2 <= UINT32_MAX && userbpf_map__value_size(map) <= sizeof(value) &&
		     userbpf_map_lookup_elem(map, &key, value) == 0;
	if (!found && !(r3 & F_BROADCAST))
		return r3 & 3;
	p->redirected = true;
	p->redirect_ifindex = key;
	p->redirect_map_id = userbpf_map__id(map);
	p->redirect_flags = r3 & F_BROADCAST ? r3 : 0;
	return XDP_REDIRECT;
}

/* ---- XDP -------------------------------------------------------------------------------------- */

/* bpf_xdp_adjust_head(xdp, offset): data moves within the headroom (past the xdp_frame and the
 * metadata, which moves along) and keeps at least an Ethernet header */
static uint64_t h_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, true);
	int32_t off = (int32_t)r2;
	if (!p)
		return RET(-EINVAL);
	size_t metalen = (size_t)(p->data - p->data_meta);
	uint8_t *lo = p->buf + PKT_XDP_FRAME_SIZE + metalen;
	if (off < lo - p->data || off > (p->data_end - PKT_ETH_HLEN) - p->data)
		return RET(-EINVAL);
	if (metalen)
		memmove(p->data_meta + off, p->data_meta, metalen);
	p->data_meta += off;
	p->data += off;
	progs_pkt_sync(p);
	return 0;
}

/* bpf_xdp_adjust_meta(xdp, offset): metadata a multiple of 4 bytes, at most 255 (as kernels since
 * 6.x: older ones allowed 32), within the headroom past the xdp_frame */
static uint64_t h_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, true);
	int32_t off = (int32_t)r2;
	if (!p)
		return RET(-EINVAL);
	if (off < (p->buf + PKT_XDP_FRAME_SIZE) - p->data_meta || off > p->data - p->data_meta)
		return RET(-EINVAL);
	size_t metalen = (size_t)(p->data - (p->data_meta + off));
	if ((metalen & 3) || metalen > PKT_XDP_META_MAX)
		return RET(-EACCES);
	p->data_meta += off;
	progs_pkt_sync(p);
	return 0;
}

/* The bytes in the last fragment. */
static uint32_t last_frag_len(const struct progs_pkt *p)
{
	uint32_t r = p->frags_len % PKT_PAGE_SIZE;
	return r ? r : PKT_PAGE_SIZE;
}

/* bpf_xdp_adjust_tail(xdp, offset): grow into the tailroom (zeroed), shrink to an Ethernet header.
 * With fragments: grow the last one within its page, shrink by releasing from the end (then the
 * linear part once every fragment is gone). */
static uint64_t h_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, true);
	int32_t off = (int32_t)r2;
	if (!p)
		return RET(-EINVAL);
	if (p->frags_len) {
		uint8_t *end = progs_pkt_frags(p) + p->frags_len;
		if (off >= 0) {
			if ((uint32_t)off > PKT_PAGE_SIZE - last_frag_len(p))
				return RET(-EINVAL);
			memset(end, 0, (size_t)off);
			p->frags_len += (uint32_t)off;
			return 0;
		}
		uint32_t cut = (uint32_t)-(int64_t)off, total = (uint32_t)(p->data_end - p->data) + p->frags_len;
		if (cut > total - PKT_ETH_HLEN)
			return RET(-EINVAL);
		uint32_t from_frags = cut < p->frags_len ? cut : p->frags_len;
		p->frags_len -= from_frags;
		p->data_end -= cut - from_frags;
		progs_pkt_sync(p);
		return 0;
	}
	if (off > p->hard_end - p->data_end || off < (p->data + PKT_ETH_HLEN) - p->data_end)
		return RET(-EINVAL);
	if (off > 0)
		memset(p->data_end, 0, (size_t)off);
	p->data_end += off;
	progs_pkt_sync(p);
	return 0;
}

/* bpf_xdp_get_buff_len(xdp): the linear part and the fragments */
static uint64_t h_xdp_get_buff_len(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, true);
	return p ? (uint64_t)(p->data_end - p->data) + p->frags_len : 0;
}

/* Copy between buf and the bytes [off, off + len) of the XDP packet, fragments included: 0, or
 * -EFAULT for an offset or length past 0xffff, -EINVAL past the packet. */
static int xdp_copy(struct progs_pkt *p, uint64_t off64, uint64_t len64, uint8_t *buf, bool store)
{
	uint32_t off = (uint32_t)off64, len = (uint32_t)len64;
	uint32_t lin = (uint32_t)(p->data_end - p->data);
	if (off > 0xffff || len > 0xffff)
		return -EFAULT;
	if (off + len > lin + p->frags_len)
		return -EINVAL;
	uint32_t n1 = off < lin ? (lin - off < len ? lin - off : len) : 0;
	uint8_t *frag = progs_pkt_frags(p) + (off > lin ? off - lin : 0);
	if (store) {
		memmove(p->data + off, buf, n1);
		memmove(frag, buf + n1, len - n1);
	} else {
		memmove(buf, p->data + off, n1);
		memmove(buf + n1, frag, len - n1);
	}
	return 0;
}

/* bpf_xdp_load_bytes(xdp, offset, buf, len) */
static uint64_t h_xdp_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, true);
	return p ? RET(xdp_copy(p, r2, r4, PTR(r3), false)) : RET(-EINVAL);
}

/* bpf_xdp_store_bytes(xdp, offset, buf, len) */
static uint64_t h_xdp_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	struct progs_pkt *p = ctx_pkt(r1, c, true);
	return p ? RET(xdp_copy(p, r2, r4, PTR(r3), true)) : RET(-EINVAL);
}

int userbpf_helpers__add_packet(struct userbpf_helpers *helpers)
{
	static const struct helpers_def tab[] = {
	    {9, "skb_store_bytes", h_skb_store_bytes},
	    {18, "skb_vlan_push", h_skb_vlan_push},
	    {19, "skb_vlan_pop", h_skb_vlan_pop},
	    {23, "redirect", h_redirect},
	    {26, "skb_load_bytes", h_skb_load_bytes},
	    {34, "get_hash_recalc", h_get_hash_recalc},
	    {38, "skb_change_tail", h_skb_change_tail},
	    {39, "skb_pull_data", h_skb_pull_data},
	    {43, "skb_change_head", h_skb_change_head},
	    {44, "xdp_adjust_head", h_xdp_adjust_head},
	    {51, "redirect_map", h_redirect_map},
	    {54, "xdp_adjust_meta", h_xdp_adjust_meta},
	    {65, "xdp_adjust_tail", h_xdp_adjust_tail},
	    {68, "skb_load_bytes_relative", h_skb_load_bytes_relative},
	    {188, "xdp_get_buff_len", h_xdp_get_buff_len},
	    {189, "xdp_load_bytes", h_xdp_load_bytes},
	    {190, "xdp_store_bytes", h_xdp_store_bytes},
	};
	return helpers_add_table(helpers, tab, sizeof(tab) / sizeof(tab[0]));
}
