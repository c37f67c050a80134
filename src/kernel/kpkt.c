/*
 * kpkt.c - packet programs run in the kernel: struct userbpf_kpktrun, the kernel's twin of the
 * userbpf packet runner. Each packet is one BPF_PROG_TEST_RUN with the context the kernel's test
 * run accepts built from a struct userbpf_pkt_meta; the result is a struct userbpf_pkt_result with
 * the action mapped as userbpf maps it, so callers compare the two field by field (see kernel.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "kern.h"

#define KPKT_MAX_LEN_DEFAULT 65535u
#define KPKT_ETH_HLEN	     14u
/* Room for what a program may add: XDP tailroom growth, skb_change_head/tail (the kernel caps
 * test-run packets at a page, so this is ample). */
#define KPKT_OUT_EXTRA 4096u

struct userbpf_kpktrun {
	const struct userbpf_kobject *kobj;
	char *prog_name;
	unsigned int prog_type;
	uint32_t max_len;
	uint8_t *out; /* data_out */
	uint32_t out_size;
	union {
		struct userbpf_xdp_md xdp;
		struct userbpf_sk_buff skb;
	} ctx_in, ctx_out;
};

static void kpkt_err(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void kpkt_err(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static bool kpkt_is_skb_type(unsigned int type)
{
	return type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT ||
	       type == BPF_PROG_TYPE_SOCKET_FILTER || type == BPF_PROG_TYPE_CGROUP_SKB;
}

struct userbpf_kpktrun *userbpf_kpktrun__new(const struct userbpf_kobject *kobj, const char *prog_name,
					     const struct userbpf_kpktrun_opts *opts)
{
	char *eb = opts && opts->sz >= offsetof(struct userbpf_kpktrun_opts, err_size) + sizeof(size_t)
			   ? opts->err_buf
			   : NULL;
	size_t es = eb ? opts->err_size : 0;
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	struct userbpf_kpktrun *run;
	int fd = userbpf_kobject__prog_fd(kobj, prog_name);

	if (fd < 0) {
		kpkt_err(eb, es, "kernel: no loaded program '%s'", prog_name ? prog_name : "(null)");
		errno = ENOENT;
		return NULL;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		int e = errno;

		kpkt_err(eb, es, "kernel: program '%s': reading its info: %s", prog_name, strerror(e));
		errno = e;
		return NULL;
	}
	if (info.type != BPF_PROG_TYPE_XDP && !kpkt_is_skb_type(info.type)) {
		const char *tn = userbpf_prog_type_name((enum userbpf_prog_type)info.type);

		kpkt_err(eb, es, "kernel: program '%s' is of type %s, not a packet program", prog_name,
			 tn ? tn : "unknown");
		errno = EINVAL;
		return NULL;
	}
	run = calloc(1, sizeof(*run));
	if (!run)
		goto nomem;
	run->kobj = kobj;
	run->prog_type = info.type;
	run->max_len = opts && opts->sz > offsetof(struct userbpf_kpktrun_opts, max_len) && opts->max_len
			       ? opts->max_len
			       : KPKT_MAX_LEN_DEFAULT;
	run->out_size = run->max_len + KPKT_OUT_EXTRA;
	run->prog_name = strdup(prog_name);
	run->out = malloc(run->out_size);
	if (!run->prog_name || !run->out)
		goto nomem;
	return run;
nomem:
	userbpf_kpktrun__free(run);
	kpkt_err(eb, es, "kernel: program '%s': out of memory", prog_name);
	errno = ENOMEM;
	return NULL;
}

void userbpf_kpktrun__free(struct userbpf_kpktrun *run)
{
	if (!run)
		return;
	free(run->out);
	free(run->prog_name);
	free(run);
}

unsigned int userbpf_kpktrun__prog_type(const struct userbpf_kpktrun *run)
{
	return run ? run->prog_type : 0;
}

/* Fill run->ctx_in from meta for a packet of `len` bytes; its size, or -errno. */
static int kpkt_ctx(struct userbpf_kpktrun *run, uint32_t len, const struct userbpf_pkt_meta *meta,
		    char *eb, size_t es)
{
	static const struct userbpf_pkt_meta zero;

	if (!meta)
		meta = &zero;
	memset(&run->ctx_in, 0, sizeof(run->ctx_in));
	if (run->prog_type == BPF_PROG_TYPE_XDP) {
		/* No metadata before the packet: data 0 and data_end the length, as the kernel demands. */
		run->ctx_in.xdp.data_end = len;
		/* Loopback (1) is the kernel's default device; naming it makes ctx_out say so too and
		 * makes the kernel check rx_queue_index against its queues. */
		run->ctx_in.xdp.ingress_ifindex = meta->ifindex ? meta->ifindex : 1;
		run->ctx_in.xdp.rx_queue_index = meta->rx_queue;
		return sizeof(run->ctx_in.xdp);
	}
	if (meta->hash || meta->vlan_proto || meta->vlan_tci || meta->rx_queue) {
		kpkt_err(eb, es, "kernel: program '%s': the kernel's test run cannot be given %s",
			 run->prog_name,
			 meta->hash	    ? "a packet hash"
			 : meta->rx_queue ? "a receive queue (queue_mapping)"
					  : "a stripped VLAN tag");
		return -EOPNOTSUPP;
	}
	if (meta->wire_len && meta->wire_len < len) {
		kpkt_err(eb, es, "kernel: program '%s': wire length %u shorter than the packet's %u bytes",
			 run->prog_name, meta->wire_len, len);
		return -EINVAL;
	}
	run->ctx_in.skb.mark = meta->mark;
	run->ctx_in.skb.priority = meta->priority;
	/* ifindex 0 or 1: the kernel's default device, loopback. ingress_ifindex is free in the
	 * test run (0 unless given): say what a packet received on that device has. */
	run->ctx_in.skb.ifindex = meta->ifindex;
	run->ctx_in.skb.ingress_ifindex = meta->ifindex ? meta->ifindex : 1;
	memcpy(run->ctx_in.skb.cb, meta->cb, sizeof(run->ctx_in.skb.cb));
	run->ctx_in.skb.tstamp = meta->tstamp_ns;
	run->ctx_in.skb.wire_len = meta->wire_len;
	return sizeof(run->ctx_in.skb);
}

static int kpkt_check(struct userbpf_kpktrun *run, const void *pkt, uint32_t len, char *eb, size_t es)
{
	if (!run || (!pkt && len))
		return -EINVAL;
	if (len > run->max_len) {
		kpkt_err(eb, es, "kernel: program '%s': packet of %u bytes is longer than %u", run->prog_name,
			 len, run->max_len);
		return -EMSGSIZE;
	}
	return 0;
}

int userbpf_kpktrun__run(struct userbpf_kpktrun *run, const void *pkt, uint32_t len,
			 const struct userbpf_pkt_meta *meta, struct userbpf_pkt_result *res, char *err_buf,
			 size_t err_size)
{
	struct userbpf_ktest_run_opts t;
	int ctx_size, err;

	if (!res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->action = USERBPF_PKT_ABORTED;
	if ((err = kpkt_check(run, pkt, len, err_buf, err_size)))
		return err;
	ctx_size = kpkt_ctx(run, len, meta, err_buf, err_size);
	if (ctx_size < 0)
		return ctx_size;
	memset(&run->ctx_out, 0, sizeof(run->ctx_out));
	t = USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .data_in = pkt, .data_size_in = len, .data_out = run->out,
			      .data_size_out = run->out_size, .ctx_in = &run->ctx_in, .ctx_size_in = ctx_size,
			      .ctx_out = &run->ctx_out, .ctx_size_out = ctx_size, .err_buf = err_buf,
			      .err_size = err_size);
	err = userbpf_kobject__test_run(run->kobj, run->prog_name, &t);
	if (err)
		return err;
	res->retval = t.retval;
	res->action = userbpf_pkt_action_of(run->prog_type, t.retval);
	res->ctx_out = &run->ctx_out;
	res->ctx_out_size = t.ctx_size_out;
	res->data = run->out;
	res->len = t.data_size_out;
	if (run->prog_type == BPF_PROG_TYPE_XDP) {
		/* data_out starts at data_meta; ctx_out's data and data_end are offsets from there. */
		uint32_t off = run->ctx_out.xdp.data, end = run->ctx_out.xdp.data_end;

		if (off > end || end > t.data_size_out) {
			kpkt_err(err_buf, err_size,
				 "kernel: program '%s': test run returned data %u..%u of a %u-byte packet",
				 run->prog_name, off, end, t.data_size_out);
			res->action = USERBPF_PKT_ABORTED;
			return -EPROTO;
		}
		res->data = run->out + off;
		res->len = end - off;
	} else if (run->prog_type == BPF_PROG_TYPE_SOCKET_FILTER || run->prog_type == BPF_PROG_TYPE_CGROUP_SKB) {
		/* These types see the packet from its network header: the test run pulls the Ethernet
		 * header before the run and pushes back a zeroed one after it. Give the frame its own
		 * header back and truncate what the program saw to the filter's verdict. */
		uint32_t l3 = t.data_size_out >= KPKT_ETH_HLEN ? t.data_size_out - KPKT_ETH_HLEN : 0;

		if (t.data_size_out >= KPKT_ETH_HLEN && len >= KPKT_ETH_HLEN)
			memcpy(run->out, pkt, KPKT_ETH_HLEN);
		if (run->prog_type == BPF_PROG_TYPE_SOCKET_FILTER && t.retval && t.retval < l3)
			res->len = KPKT_ETH_HLEN + t.retval;
	}
	return 0;
}

int userbpf_kpktrun__time(struct userbpf_kpktrun *run, const void *pkt, uint32_t len,
			  const struct userbpf_pkt_meta *meta, uint32_t repeat, uint32_t *ns_per_run,
			  uint32_t *retval, char *err_buf, size_t err_size)
{
	struct userbpf_ktest_run_opts t;
	int ctx_size, err;

	if ((err = kpkt_check(run, pkt, len, err_buf, err_size)))
		return err;
	ctx_size = kpkt_ctx(run, len, meta, err_buf, err_size);
	if (ctx_size < 0)
		return ctx_size;
	t = USERBPF_OPTS_INIT(userbpf_ktest_run_opts, .data_in = pkt, .data_size_in = len,
			      .ctx_in = &run->ctx_in, .ctx_size_in = ctx_size, .repeat = repeat ? repeat : 1,
			      .err_buf = err_buf, .err_size = err_size);
	err = userbpf_kobject__test_run(run->kobj, run->prog_name, &t);
	if (err)
		return err;
	if (ns_per_run)
		*ns_per_run = t.duration;
	if (retval)
		*retval = t.retval;
	return 0;
}
