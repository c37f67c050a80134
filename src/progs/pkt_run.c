/*
 * pkt_run.c - the packet runner (userbpf_pktrun__*): one packet program run on packet after packet
 * with the context the kernel's BPF_PROG_TEST_RUN builds, and its verdict mapped to an action.
 *
 * XDP: the frame is one page; the packet starts after XDP_PACKET_HEADROOM (256) bytes, data_meta =
 * data, and it may grow until the page minus the skb_shared_info tailroom (320), so at most 3520
 * bytes; the rest of a longer packet goes into page-sized fragments (xdp_get_buff_len, load/store
 * bytes and adjust_tail reach them); ingress_ifindex 1 (loopback) and rx_queue_index 0 unless the
 * meta says otherwise.
 * skb types: the fields eth_type_trans gives a frame received on the loopback device (protocol,
 * pkt_type against its all-zero MAC address), and what the meta gives (mark, priority, hash, cb,
 * tstamp, wire_len, VLAN tag). SCHED_CLS and SCHED_ACT see the frame from its Ethernet header;
 * SOCKET_FILTER and CGROUP_SKB see it from the network header, as the kernel's test run (which pulls
 * the Ethernet header for types that are not L2) shows it to them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"
#include "progs/pkt.h"
#include "userbpf/maps.h"
#include "userbpf/object.h"
#include "vm/vm.h"

struct userbpf_pktrun {
	struct progs_pkt p;
};

/* The runner running on this thread: helpers reach their packet through it. */
static __thread struct progs_pkt *pkt_cur;

struct progs_pkt *progs_pkt_current(const struct userbpf_call *call)
{
	struct progs_pkt *p = pkt_cur;
	if (!p || !call || !call->run || VM_OPTS_GET(call->run, ctx, NULL) != (void *)&p->ctx)
		return NULL;
	return p;
}

void progs_pkt_sync(struct progs_pkt *p)
{
	uint32_t len = (uint32_t)(p->data_end - p->data);
	if (p->xdp) {
		p->ctx.xdp.data = (uintptr_t)p->data;
		p->ctx.xdp.data_end = (uintptr_t)p->data_end;
		p->ctx.xdp.data_meta = (uintptr_t)p->data_meta;
		if (p->data_meta < p->frame) /* headroom exposed: cleared before the next packet */
			p->headroom_dirty = true;
	} else {
		p->ctx.skb.data = (uintptr_t)p->data;
		p->ctx.skb.data_end = (uintptr_t)p->data_end;
		p->ctx.skb.data_meta = (uintptr_t)p->data;
		p->ctx.skb.skb.len = len;
	}
	p->ropts.packet = p->data;
	p->ropts.packet_size = len;
}

const char *userbpf_pkt_action_name(enum userbpf_pkt_action action)
{
	switch (action) {
	case USERBPF_PKT_ABORTED:
		return "aborted";
	case USERBPF_PKT_DROP:
		return "drop";
	case USERBPF_PKT_PASS:
		return "pass";
	case USERBPF_PKT_TX:
		return "tx";
	case USERBPF_PKT_REDIRECT:
		return "redirect";
	}
	return "unknown";
}

static void errf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	if (!buf || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* (Re)collect the checked engine's regions: the frame, then every map the program holds. */
static int collect_regions(struct progs_pkt *p)
{
	size_t n = 1;
	const struct userbpf_prog *prog = p->prog;
	p->regions[0] = (struct userbpf_region){.addr = p->buf, .size = p->buf_size, .writable = 1};
	for (uint32_t i = 0; i < prog->nr_maps; i++) {
		int cnt = userbpf_map__regions(prog->maps[i], NULL, 0);
		if (cnt <= 0)
			continue;
		if (n + (size_t)cnt > p->cap_regions) {
			size_t ncap = (n + (size_t)cnt) * 2;
			struct userbpf_region *r = realloc(p->regions, ncap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			p->regions = r;
			p->cap_regions = ncap;
		}
		cnt = userbpf_map__regions(prog->maps[i], p->regions + n, p->cap_regions - n);
		if (cnt > 0)
			n += (size_t)cnt;
	}
	p->nr_regions = n;
	p->ropts.regions = p->regions;
	p->ropts.nr_regions = n;
	return 0;
}

struct userbpf_pktrun *userbpf_pktrun__new(const struct userbpf_prog *prog, const struct userbpf_pktrun_opts *opts)
{
	char *err = VM_OPTS_GET(opts, err_buf, NULL);
	size_t err_size = err ? VM_OPTS_GET(opts, err_size, 0) : 0;
	if (err_size)
		err[0] = '\0';
	if (!prog || (opts && !vm_opts_valid(opts, opts->sz, sizeof(*opts)))) {
		errf(err, err_size, "packet runner: %s", prog ? "bad options" : "no program");
		errno = EINVAL;
		return NULL;
	}
	unsigned int type = VM_OPTS_GET(opts, prog_type, 0), loaded = userbpf_prog__type(prog);
	if (!type)
		type = loaded;
	if (loaded && type != loaded) {
		/* its context accesses were checked and rewritten for the type it was loaded with */
		const char *a = userbpf_prog_type_name((enum userbpf_prog_type)loaded);
		const char *b = userbpf_prog_type_name((enum userbpf_prog_type)type);
		errf(err, err_size, "packet runner: a program loaded as %s (%u) cannot run as %s (%u)", a ? a : "?",
		     loaded, b ? b : "?", type);
		errno = EINVAL;
		return NULL;
	}
	if (!progs_is_packet_type(type)) {
		const char *name = userbpf_prog_type_name((enum userbpf_prog_type)type);
		errf(err, err_size, "packet runner: program type %s (%u) is not a packet type (xdp, tc, socket filter, cgroup skb)",
		     name ? name : "none", type);
		errno = EINVAL;
		return NULL;
	}
	enum userbpf_exec exec = VM_OPTS_GET(opts, exec, USERBPF_EXEC_DEFAULT);
	if (exec != USERBPF_EXEC_DEFAULT && exec != USERBPF_EXEC_FAST && exec != USERBPF_EXEC_CHECKED) {
		errf(err, err_size, "packet runner: unknown engine %d", (int)exec);
		errno = EINVAL;
		return NULL;
	}
	uint32_t max_len = VM_OPTS_GET(opts, max_len, 0);
	if (!max_len)
		max_len = 65535;

	struct userbpf_pktrun *run = calloc(1, sizeof(*run));
	if (!run)
		goto nomem;
	struct progs_pkt *p = &run->p;
	p->prog = prog;
	p->prog_type = type;
	p->xdp = type == USERBPF_PROG_TYPE_XDP;
	p->l2 = type == USERBPF_PROG_TYPE_SCHED_CLS || type == USERBPF_PROG_TYPE_SCHED_ACT;
	p->exec = exec;
	p->fast = exec == USERBPF_EXEC_FAST ||
		  (exec == USERBPF_EXEC_DEFAULT && ((prog->flags & USERBPF_PROG_F_TRUSTED) || prog->proven));
	p->insn_budget = VM_OPTS_GET(opts, insn_budget, 0);
	p->trace_fn = VM_OPTS_GET(opts, trace_fn, NULL);
	p->trace_cookie = VM_OPTS_GET(opts, trace_cookie, NULL);
	if (p->xdp) {
		/* One page: headroom, at most 3520 bytes of packet, the skb_shared_info tailroom. */
		/* One page: headroom, at most 3520 bytes, the skb_shared_info tailroom; then the pages of
		 * the fragments holding the rest of a longer packet. */
		uint32_t cap = PKT_XDP_MAX_LINEAR + PKT_XDP_MAX_FRAGS * PKT_PAGE_SIZE;
		if (max_len > cap)
			max_len = cap;
		uint32_t nfrags = max_len > PKT_XDP_MAX_LINEAR
				      ? (max_len - PKT_XDP_MAX_LINEAR + PKT_PAGE_SIZE - 1) / PKT_PAGE_SIZE
				      : 0;
		p->buf_size = (size_t)PKT_PAGE_SIZE * (1 + nfrags);
		p->head = PKT_XDP_HEADROOM;
		p->max_len = max_len;
		if (nfrags) {
			p->out = malloc((size_t)nfrags * PKT_PAGE_SIZE + PKT_XDP_MAX_LINEAR);
			if (!p->out)
				goto nomem;
		}
	} else {
		/* Room to push headers until the packet is BPF_SKB_MAX_LEN long, and to grow it as far. */
		uint32_t grow = max_len > PKT_SKB_MAX_LEN ? max_len : PKT_SKB_MAX_LEN;
		p->max_len = max_len;
		p->head = 64 + PKT_SKB_MAX_LEN;
		p->buf_size = p->head + grow + 64;
	}
	p->buf = calloc(1, p->buf_size);
	p->cap_regions = 8;
	p->regions = calloc(p->cap_regions, sizeof(*p->regions));
	if (!p->buf || !p->regions)
		goto nomem;
	p->hard_end = p->xdp ? p->buf + PKT_PAGE_SIZE - PKT_SHINFO_SIZE : p->buf + p->buf_size;
	for (uint32_t i = 0; i < prog->nr_maps; i++)
		if (userbpf_map__type(prog->maps[i]) == USERBPF_MAP_TYPE_LPM_TRIE ||
		    (userbpf_map__flags(prog->maps[i]) & USERBPF_F_NO_PREALLOC))
			p->maps_grow = true;
	if (collect_regions(p))
		goto nomem;
	if (p->xdp)
		p->ctx.xdp.pkt = p;
	else
		p->ctx.skb.pkt = p;
	/* What the runs share; each packet sets packet, packet_size (progs_pkt_sync) and the error
	 * buffer, and the run sets retval and insn_count. */
	p->ropts = (struct userbpf_run_opts){
	    .sz = sizeof(p->ropts),
	    .ctx = &p->ctx,
	    .ctx_size = p->xdp ? sizeof(struct progs_xdp_ctx) : sizeof(struct progs_skb_ctx),
	    .exec = p->exec,
	    .regions = p->regions,
	    .nr_regions = p->nr_regions,
	    .insn_budget = p->insn_budget,
	    .trace_fn = p->trace_fn,
	    .trace_cookie = p->trace_cookie,
	};
	return run;
nomem:
	userbpf_pktrun__free(run);
	errf(err, err_size, "packet runner: out of memory");
	errno = ENOMEM;
	return NULL;
}

void userbpf_pktrun__free(struct userbpf_pktrun *run)
{
	if (!run)
		return;
	free(run->p.buf);
	free(run->p.out);
	free(run->p.regions);
	free(run);
}

/*
 * skb->pkt_type as eth_type_trans sets it on the loopback device, whose address and broadcast
 * address are both all zero: a group address is PACKET_MULTICAST (broadcast included, as the kernel
 * finds ff:ff:ff:ff:ff:ff unequal to the device's broadcast address), 00:00:00:00:00:00 is
 * PACKET_HOST, any other unicast address PACKET_OTHERHOST.
 */
static uint32_t eth_pkt_type(const uint8_t *dst)
{
	static const uint8_t zero[6];
	if (dst[0] & 1)
		return 2; /* PACKET_MULTICAST */
	return memcmp(dst, zero, 6) == 0 ? 0 /* PACKET_HOST */ : 3 /* PACKET_OTHERHOST */;
}

/* skb->protocol as eth_type_trans returns it (network byte order, read as the kernel's __be16). */
static uint16_t eth_protocol(const uint8_t *frame, uint32_t len)
{
	uint16_t be;
	memcpy(&be, frame + 12, 2);
	if (((frame[12] << 8) | frame[13]) >= 0x0600)
		return be;
	/* 802.3 frames: raw IPX (0xFFFF after the header) or 802.2 LLC */
	uint16_t proto = (len >= PKT_ETH_HLEN + 2 && frame[14] == 0xff && frame[15] == 0xff) ? 0x0001 : 0x0004;
	return (uint16_t)((proto >> 8) | (proto << 8));
}

static void build_xdp(struct progs_pkt *p, const struct userbpf_pkt_meta *m)
{
	struct progs_xdp_ctx *c = &p->ctx.xdp;
	memset(&c->md, 0, sizeof(c->md));
	c->md.ingress_ifindex = m && m->ifindex ? m->ifindex : 1;
	c->md.rx_queue_index = m ? m->rx_queue : 0;
	c->md.egress_ifindex = 0;
	p->data_meta = p->data;
}

static void build_skb(struct progs_pkt *p, uint32_t len, const struct userbpf_pkt_meta *m)
{
	struct progs_skb_ctx *c = &p->ctx.skb;
	struct userbpf_sk_buff *s = &c->skb;
	const uint8_t *f = p->frame;
	memset(s, 0, sizeof(*s));
	s->pkt_type = eth_pkt_type(f);
	s->protocol = eth_protocol(f, len);
	p->mac = p->frame;
	p->net = p->frame + PKT_ETH_HLEN;
	if (m && m->vlan_proto) {
		s->vlan_present = 1;
		s->vlan_tci = m->vlan_tci;
		s->vlan_proto = (uint16_t)((m->vlan_proto >> 8) | (m->vlan_proto << 8));
	}
	s->mark = m ? m->mark : 0;
	s->priority = m ? m->priority : 0;
	s->queue_mapping = m ? m->rx_queue : 0;
	s->ifindex = m && m->ifindex ? m->ifindex : 1;
	s->ingress_ifindex = s->ifindex;
	s->hash = m ? m->hash : 0;
	if (m)
		memcpy(s->cb, m->cb, sizeof(s->cb));
	s->tstamp = m ? m->tstamp_ns : 0;
	/* The socket the kernel's test run makes up: its addresses from the IP header. */
	const uint8_t *ip = p->net;
	uint32_t l3 = len - PKT_ETH_HLEN;
	if (s->protocol == 0x0008) { /* ETH_P_IP */
		s->family = 2;
		if (l3 >= 20) {
			memcpy(&s->local_ip4, ip + 12, 4);
			memcpy(&s->remote_ip4, ip + 16, 4);
		}
	} else if (s->protocol == 0xdd86) { /* ETH_P_IPV6 */
		s->family = 10;
		if (l3 >= 40) {
			memcpy(s->local_ip6, ip + 8, 16);
			memcpy(s->remote_ip6, ip + 24, 16);
		}
	}
	if (p->l2) {
		p->data = p->frame;
		p->eth_len = 0;
	} else {
		p->data = p->frame + PKT_ETH_HLEN;
		p->eth_len = PKT_ETH_HLEN;
	}
	s->len = len - p->eth_len;
	s->wire_len = m && m->wire_len ? m->wire_len : s->len;
}

/* The verdict of the program's type. */
enum userbpf_pkt_action userbpf_pkt_action_of(unsigned int prog_type, uint32_t retval)
{
	switch (prog_type) {
	case USERBPF_PROG_TYPE_XDP:
		return retval <= 4 ? (enum userbpf_pkt_action)retval : USERBPF_PKT_ABORTED;
	case USERBPF_PROG_TYPE_SCHED_CLS:
	case USERBPF_PROG_TYPE_SCHED_ACT:
		switch ((int32_t)retval) {
		case 2: /* TC_ACT_SHOT */
		case 4: /* TC_ACT_STOLEN */
		case 5: /* TC_ACT_QUEUED */
		case 8: /* TC_ACT_TRAP */
			return USERBPF_PKT_DROP;
		case 7: /* TC_ACT_REDIRECT */
			return USERBPF_PKT_REDIRECT;
		default: /* UNSPEC, OK, RECLASSIFY, PIPE, REPEAT and unknown codes: the packet goes on */
			return USERBPF_PKT_PASS;
		}
	case USERBPF_PROG_TYPE_SOCKET_FILTER:
		return retval ? USERBPF_PKT_PASS : USERBPF_PKT_DROP;
	case USERBPF_PROG_TYPE_CGROUP_SKB: /* bit 0 allows, bit 1 (congestion notification) is ignored */
		return (retval & 1) ? USERBPF_PKT_PASS : USERBPF_PKT_DROP;
	default:
		return USERBPF_PKT_ABORTED;
	}
}

static void fill_ctx_out(struct progs_pkt *p)
{
	if (p->xdp) {
		/* As xdp_convert_buff_to_md: data and data_end counted from data_meta. */
		p->ctx_out.xdp = p->ctx.xdp.md;
		p->ctx_out.xdp.data = (uint32_t)(p->data - p->data_meta);
		p->ctx_out.xdp.data_end = (uint32_t)(p->data_end - p->data_meta);
		p->ctx_out.xdp.data_meta = 0;
	} else {
		p->ctx_out.skb = p->ctx.skb.skb;
		p->ctx_out.skb.data = 0;
		p->ctx_out.skb.data_end = (uint32_t)(p->data_end - p->data);
		p->ctx_out.skb.data_meta = 0;
	}
}

int userbpf_pktrun__run(struct userbpf_pktrun *run, const void *pkt, uint32_t len,
			const struct userbpf_pkt_meta *meta, struct userbpf_pkt_result *res, char *err_buf,
			size_t err_size)
{
	if (!err_buf)
		err_size = 0;
	if (err_size)
		err_buf[0] = '\0';
	if (!run || !res || (!pkt && len)) {
		errf(err_buf, err_size, "packet runner: %s", !run ? "no runner" : !res ? "no result" : "no packet");
		return -EINVAL;
	}
	struct progs_pkt *p = &run->p;
	memset(res, 0, sizeof(*res));
	res->action = USERBPF_PKT_ABORTED;
	res->data = pkt; /* a packet refused before the run is reported as it came */
	res->len = len;
	if (len < PKT_ETH_HLEN) {
		errf(err_buf, err_size, "packet of %u bytes is shorter than an Ethernet header (14)", len);
		return -EINVAL;
	}
	if (len > p->max_len) {
		errf(err_buf, err_size, "packet of %u bytes is longer than %u", len, p->max_len);
		return -EMSGSIZE;
	}
	p->frame = p->buf + p->head;
	p->frags_len = 0;
	if (p->xdp && len > PKT_XDP_MAX_LINEAR) {
		/* as the test run does: the first 3520 bytes linear, the rest in page-sized fragments */
		p->frags_len = len - PKT_XDP_MAX_LINEAR;
		len = PKT_XDP_MAX_LINEAR;
		memcpy(progs_pkt_frags(p), (const uint8_t *)pkt + len, p->frags_len);
	}
	memcpy(p->frame, pkt, len);
	/* A fresh kernel frame: adjust_head and adjust_meta expose the headroom's zeros. Only a run
	 * that moved data_meta into it (or the checked engine, whose region is the whole frame) can
	 * have written there. */
	if (p->xdp && (p->headroom_dirty || !p->fast)) {
		memset(p->buf, 0, p->head);
		p->headroom_dirty = false;
	}
	p->redirected = false;
	p->redirect_ifindex = p->redirect_map_id = 0;
	p->redirect_flags = 0;
	if (p->xdp) {
		p->data = p->frame;
		p->data_end = p->frame + len;
		build_xdp(p, meta);
	} else {
		build_skb(p, len, meta);
		p->data_end = p->frame + len;
		p->data_meta = p->data;
	}
	progs_pkt_sync(p);
	if (p->maps_grow && !p->fast && collect_regions(p)) { /* only the checked engine reads regions */
		errf(err_buf, err_size, "packet runner: out of memory");
		return -ENOMEM;
	}
	p->ropts.err_buf = err_buf;
	p->ropts.err_size = err_size;
	p->ropts.retval = 0;
	p->ropts.insn_count = 0;
	struct progs_pkt *saved = pkt_cur;
	pkt_cur = p;
	int err = userbpf_prog__run(p->prog, &p->ropts);
	pkt_cur = saved;

	res->retval = err ? 0 : p->ropts.retval;
	res->action = err ? USERBPF_PKT_ABORTED : userbpf_pkt_action_of(p->prog_type, (uint32_t)p->ropts.retval);
	fill_ctx_out(p);
	res->ctx_out = &p->ctx_out;
	res->ctx_out_size = p->xdp ? sizeof(struct userbpf_xdp_md) : sizeof(struct userbpf_sk_buff);
	/* Output: the packet as the program left it; non-L2 types get their Ethernet header back. */
	const uint8_t *start = p->data;
	uint32_t out = (uint32_t)(p->data_end - p->data);
	if (p->prog_type == USERBPF_PROG_TYPE_SOCKET_FILTER && !err && (uint32_t)res->retval &&
	    (uint32_t)res->retval < out)
		out = (uint32_t)res->retval;
	if (!p->xdp && !p->l2 && p->data - p->frame == (ptrdiff_t)p->eth_len) {
		start = p->frame;
		out += p->eth_len;
	}
	if (p->xdp && p->frags_len) {
		memcpy(p->out, start, out);
		memcpy(p->out + out, progs_pkt_frags(p), p->frags_len);
		start = p->out;
		out += p->frags_len;
	}
	res->data = start;
	res->len = out;
	if (!err && res->action == USERBPF_PKT_REDIRECT && p->redirected) {
		res->redirect_ifindex = p->redirect_ifindex;
		res->redirect_map_id = p->redirect_map_id;
		res->redirect_flags = p->redirect_flags;
	}
	if (err && err_size && !err_buf[0])
		errf(err_buf, err_size, "run failed: %s", strerror(-err));
	return err;
}

int userbpf_pktrun__run_batch(struct userbpf_pktrun *run, const struct userbpf_pkt *pkts, size_t n,
			      int (*on_result)(void *cookie, size_t i, const struct userbpf_pkt_result *res),
			      void *cookie)
{
	if (!run || (n && !pkts) || !on_result)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct userbpf_pkt_result res;
		char err[160];
		userbpf_pktrun__run(run, pkts[i].data, pkts[i].len, &pkts[i].meta, &res, err, sizeof(err));
		int rc = on_result(cookie, i, &res);
		if (rc)
			return rc;
	}
	return 0;
}
