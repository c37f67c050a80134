/*
 * cmd_filter.c - `userbpf filter [--type xdp|tc|socket] [--disasm] [--cbpf] [-o OBJ]
 * [-r FILE [-w OUT] [--kernel]] [--json] EXPR...`: a tcpdump expression compiled by libpcap to
 * classic BPF (Ethernet, snaplen 262144, optimized), translated to eBPF (userbpf_cbpf_translate),
 * printed, written as an object, or run on a capture through the packet runner with every verdict
 * checked against libpcap's own pcap_offline_filter (and the kernel's with --kernel).
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "obj.h"
#include "progs/progs.h"
#include "userbpf/cbpf.h"
#include "userbpf/kernel.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

extern const struct cli_command cli_cmd_filter;

enum { OPT_TYPE = 1, OPT_DISASM, OPT_CBPF, OPT_OUT_OBJ, OPT_READ, OPT_WRITE, OPT_KERNEL, OPT_JSON };

static const struct cli_opt filter_opts[] = {
    {"type", 't', true, OPT_TYPE},   {"disasm", 'd', false, OPT_DISASM}, {"cbpf", 0, false, OPT_CBPF},
    {"output", 'o', true, OPT_OUT_OBJ}, {"read", 'r', true, OPT_READ},  {"write", 'w', true, OPT_WRITE},
    {"kernel", 'k', false, OPT_KERNEL}, {"json", 'j', false, OPT_JSON}, {NULL, 0, false, 0},
};

#define SNAPLEN 262144
#define CHUNK 4096
/* The linear part of an XDP frame: one page less the headroom and the skb_shared_info tailroom. */
#define XDP_LINEAR 3520

struct filter_cmd {
	unsigned int type;
	const char *type_name;
	const char *sec;
	bool disasm, cbpf, kernel, json;
	const char *obj_path, *read_path, *write_path;
	char *expr;
	struct bpf_program fcode;
	struct userbpf_insn *insns;
	size_t cnt;
};

/* Counts of a run over a capture. */
struct filter_stats {
	uint64_t packets, matched, mismatches, first_mismatch;
	uint64_t too_long; /* longer than the runner takes (-EMSGSIZE) */
	bool first_userbpf; /* userbpf's verdict on the first mismatch */
	uint64_t run_ns;
	uint64_t k_compared, k_mismatches, k_not_run, k_first_mismatch;
	bool k_first_kernel;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *join_args(char **v, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	s[0] = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, v[i]);
	}
	return s;
}

static int compile_expr(struct filter_cmd *f)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!p) {
		cli_err("filter: out of memory");
		return CLI_EXIT_USAGE;
	}
	if (pcap_compile(p, &f->fcode, f->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		char line[512];
		cli_err("filter: '%s': %s", f->expr, cli_first_line(pcap_geterr(p), line, sizeof(line)));
		pcap_close(p);
		return CLI_EXIT_USAGE;
	}
	pcap_close(p);
	char err[256];
	struct userbpf_cbpf_opts o = USERBPF_OPTS_INIT(userbpf_cbpf_opts, .prog_type = f->type, .err_buf = err,
						     .err_size = sizeof(err));
	_Static_assert(sizeof(struct bpf_insn) == sizeof(struct userbpf_cbpf_insn), "classic insn layout");
	int rc = userbpf_cbpf_translate((const struct userbpf_cbpf_insn *)f->fcode.bf_insns, f->fcode.bf_len, &o,
					&f->insns, &f->cnt);
	if (rc) {
		cli_err("filter: '%s': cannot translate to eBPF: %s", f->expr, err);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static void print_cbpf(const struct filter_cmd *f)
{
	for (u_int i = 0; i < f->fcode.bf_len; i++)
		printf("%s\n", bpf_image(&f->fcode.bf_insns[i], (int)i));
}

static void print_ebpf(const struct filter_cmd *f)
{
	char line[256];
	for (size_t i = 0; i < f->cnt;) {
		int used = userbpf_disasm_insn(f->insns, f->cnt, i, USERBPF_SYNTAX_C, line, sizeof(line));
		printf("%4zu: %s\n", i, line);
		i += used > 0 ? (size_t)used : 1;
	}
}

/* The kernel side of --kernel: the object written to a temporary file, loaded, and its runner. */
struct kside {
	struct userbpf_object *obj;
	struct userbpf_kobject *kobj;
	struct userbpf_kpktrun *run;
};

static void kside_close(struct kside *k)
{
	userbpf_kpktrun__free(k->run);
	userbpf_kobject__close(k->kobj);
	userbpf_object__close(k->obj);
}

static int kside_open(const struct filter_cmd *f, struct kside *k)
{
	char why[256], err[512];
	memset(k, 0, sizeof(*k));
	if (!userbpf_kernel_available(why, sizeof(why))) {
		cli_err("filter: --kernel: %s", why);
		return CLI_EXIT_USAGE;
	}
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/userbpf-filter-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0) {
		cli_err("filter: --kernel: %s: %s", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	close(fd);
	struct userbpf_object_write_opts wo = USERBPF_OPTS_INIT(userbpf_object_write_opts, .err_buf = err,
								.err_size = sizeof(err));
	int rc = userbpf_object_write(path, "filter", f->sec, f->insns, f->cnt, &wo);
	if (!rc) {
		struct userbpf_object_open_opts oo = USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = err,
								       .log_size = sizeof(err));
		k->obj = userbpf_object__open_file(path, &oo);
		rc = k->obj ? 0 : -errno;
	}
	unlink(path);
	if (!rc) {
		struct userbpf_kobject_opts ko = USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = err,
								   .log_size = sizeof(err));
		k->kobj = userbpf_kobject__load(k->obj, &ko);
		rc = k->kobj ? 0 : -errno;
	}
	if (!rc) {
		struct userbpf_kpktrun_opts kro = USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .max_len = SNAPLEN,
								    .err_buf = err, .err_size = sizeof(err));
		k->run = userbpf_kpktrun__new(k->kobj, "filter", &kro);
		rc = k->run ? 0 : -errno;
	}
	if (rc) {
		cli_err("filter: --kernel: %s", err);
		kside_close(k);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* One chunk of packets held in memory. */
struct chunk {
	struct pcap_pkthdr hdr[CHUNK];
	uint8_t *data[CHUNK];
	struct userbpf_pkt_result res[CHUNK];
	int rc[CHUNK];
	size_t n;
};

static bool verdict_of(unsigned int type, const struct userbpf_pkt_result *r)
{
	if (type == USERBPF_PROG_TYPE_SOCKET_FILTER)
		return (uint32_t)r->retval != 0;
	return r->action == USERBPF_PKT_PASS;
}

/*
 * Socket filters run as a packet socket sees a frame (from its Ethernet header, as tcpdump's filter
 * does): the legacy loads read the frame, `len` is __sk_buff len = the wire length. The packet
 * runner shows socket filters the frame from the network header, as the kernel's test run does.
 */
static int run_socket(const struct userbpf_prog *prog, const uint8_t *data, const struct pcap_pkthdr *h,
		      struct userbpf_pkt_result *res)
{
	struct userbpf_sk_buff skb = {.len = h->len};
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = &skb, .ctx_size = sizeof(skb),
						     .packet = data, .packet_size = h->caplen,
						     .exec = USERBPF_EXEC_FAST);
	int rc = userbpf_prog__run(prog, &ro);
	memset(res, 0, sizeof(*res));
	res->retval = ro.retval;
	res->action = (uint32_t)ro.retval ? USERBPF_PKT_PASS : USERBPF_PKT_DROP;
	return rc;
}

/*
 * Frames shorter than an Ethernet header: no XDP or TC hook shows one to a program (nor do the
 * packet runner and the kernel's test run, which refuse them), but captures hold them and libpcap
 * filters them. They are run directly, with the context the runner builds (progs.h).
 */
static int run_short_frame(const struct userbpf_prog *prog, unsigned int type, const uint8_t *data,
			   const struct pcap_pkthdr *h, struct userbpf_pkt_result *res)
{
	struct progs_xdp_ctx x = {0};
	struct progs_skb_ctx s = {0};
	uint64_t start = (uint64_t)(uintptr_t)data;
	bool xdp = type == USERBPF_PROG_TYPE_XDP;
	if (xdp) {
		x.data = x.data_meta = start;
		x.data_end = start + h->caplen;
		x.md.ingress_ifindex = 1;
	} else {
		s.data = s.data_meta = start;
		s.data_end = start + h->caplen;
		s.skb.len = h->caplen;
		s.skb.wire_len = h->len;
		s.skb.ifindex = 1;
	}
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = xdp ? (void *)&x : (void *)&s,
						     .ctx_size = xdp ? sizeof(x) : sizeof(s),
						     .exec = USERBPF_EXEC_FAST);
	int rc = userbpf_prog__run(prog, &ro);
	memset(res, 0, sizeof(*res));
	res->retval = ro.retval;
	res->action = (uint32_t)ro.retval == (xdp ? 2u : 0u) ? USERBPF_PKT_PASS : USERBPF_PKT_DROP;
	return rc;
}

static int run_chunk(const struct filter_cmd *f, struct chunk *c, const struct userbpf_prog *prog,
		     struct userbpf_pktrun *run, struct kside *k, pcap_dumper_t *dump, struct filter_stats *st)
{
	char err[256];
	uint64_t t0 = now_ns();
	if (run) {
		for (size_t i = 0; i < c->n; i++) {
			struct userbpf_pkt_meta meta = {.wire_len = c->hdr[i].len};
			/* Only the verdict is kept: the result's packet points into the runner. */
			if (c->hdr[i].caplen < 14)
				c->rc[i] = run_short_frame(prog, f->type, c->data[i], &c->hdr[i], &c->res[i]);
			else
				c->rc[i] = userbpf_pktrun__run(run, c->data[i], c->hdr[i].caplen, &meta, &c->res[i],
							       NULL, 0);
		}
	} else {
		for (size_t i = 0; i < c->n; i++)
			c->rc[i] = run_socket(prog, c->data[i], &c->hdr[i], &c->res[i]);
	}
	st->run_ns += now_ns() - t0;
	for (size_t i = 0; i < c->n; i++) {
		uint64_t num = st->packets + 1;
		st->packets++;
		if (c->rc[i] == -EMSGSIZE) {
			st->too_long++;
			continue;
		}
		if (c->rc[i]) {
			cli_err("filter: packet %" PRIu64 " (%u bytes): userbpf run failed: %s", num, c->hdr[i].caplen,
				strerror(-c->rc[i]));
			return CLI_EXIT_RUNTIME;
		}
		/*
		 * XDP sees the linear part of the frame only (the first 3520 bytes: the rest is in
		 * fragments, as the kernel's test run builds it) and no wire length: its `len` is
		 * data_end - data. libpcap is asked about that same view.
		 */
		struct pcap_pkthdr h = c->hdr[i];
		if (f->type == USERBPF_PROG_TYPE_XDP)
			h.len = h.caplen = h.caplen < XDP_LINEAR ? h.caplen : XDP_LINEAR;
		u_int ref_val = (u_int)pcap_offline_filter(&f->fcode, &h, c->data[i]);
		bool ref = ref_val != 0;
		bool ours = verdict_of(f->type, &c->res[i]);
		/* Socket filters return the classic value itself: it must be libpcap's exactly. */
		bool same = f->type == USERBPF_PROG_TYPE_SOCKET_FILTER ? (uint32_t)c->res[i].retval == ref_val
								       : ours == ref;
		if (!same) {
			if (!st->mismatches) {
				st->first_mismatch = num;
				st->first_userbpf = ours;
			}
			st->mismatches++;
		}
		if (ours) {
			st->matched++;
			if (dump)
				pcap_dump((u_char *)dump, &c->hdr[i], c->data[i]);
		}
		if (k->run) {
			struct userbpf_pkt_meta meta = {.wire_len = c->hdr[i].len};
			struct userbpf_pkt_result kr;
			int rc = c->hdr[i].caplen < 14 ? -EINVAL
						       : userbpf_kpktrun__run(k->run, c->data[i], c->hdr[i].caplen,
									      &meta, &kr, err, sizeof(err));
			if (rc == -EINVAL) {
				/* Frames the kernel's test run refuses: shorter than Ethernet, a cut IP header (tc). */
				st->k_not_run++;
			} else if (rc) {
				cli_err("filter: packet %" PRIu64 ": kernel: %s", num, err);
				return CLI_EXIT_RUNTIME;
			} else {
				bool kv = verdict_of(f->type, &kr);
				st->k_compared++;
				if (kv != ref) {
					if (!st->k_mismatches) {
						st->k_first_mismatch = num;
						st->k_first_kernel = kv;
					}
					st->k_mismatches++;
				}
			}
		}
	}
	return CLI_EXIT_OK;
}

static void chunk_clear(struct chunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->data[i]);
	c->n = 0;
}

static void print_report(const struct filter_cmd *f, const struct filter_stats *st, const char *read_err)
{
	double ns = st->packets ? (double)st->run_ns / (double)st->packets : 0;
	double mpps = st->run_ns ? (double)st->packets * 1e3 / (double)st->run_ns : 0;
	if (f->json) {
		struct json j;
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kv_str(&j, "expr", f->expr);
		json_kv_str(&j, "type", f->type_name);
		json_kv_u64(&j, "cbpf_insns", f->fcode.bf_len);
		json_kv_u64(&j, "ebpf_insns", f->cnt);
		json_kv_str(&j, "file", cli_display_name(f->read_path));
		json_kv_u64(&j, "packets", st->packets);
		json_kv_u64(&j, "matched", st->matched);
		json_kv_u64(&j, "mismatches", st->mismatches);
		json_kv_u64(&j, "not_run", st->too_long);
		json_key(&j, "first_mismatch");
		if (st->mismatches)
			json_u64(&j, st->first_mismatch);
		else
			json_null(&j);
		json_key(&j, "ns_per_packet");
		json_double(&j, ns);
		json_key(&j, "mpps");
		json_double(&j, mpps);
		if (f->kernel) {
			json_key(&j, "kernel");
			json_obj_begin(&j);
			json_kv_u64(&j, "compared", st->k_compared);
			json_kv_u64(&j, "mismatches", st->k_mismatches);
			json_kv_u64(&j, "not_run", st->k_not_run);
			json_obj_end(&j);
		}
		if (read_err)
			json_kv_str(&j, "error", read_err);
		json_obj_end(&j);
		return;
	}
	printf("%s: %" PRIu64 " packets, %" PRIu64 " matched '%s' (%s, %zu eBPF insns from %u classic)\n",
	       cli_display_name(f->read_path), st->packets, st->matched, f->expr, f->type_name, f->cnt,
	       f->fcode.bf_len);
	printf("userbpf: %.2f Mpps, %.1f ns/packet; libpcap %s\n", mpps, ns,
	       st->mismatches ? "DISAGREES" : st->too_long ? "agrees on every packet run" : "agrees on every packet");
	if (st->too_long)
		printf("%" PRIu64 " packets longer than %u bytes were not run\n", st->too_long, SNAPLEN);
	if (f->kernel)
		printf("kernel: %" PRIu64 " packets compared, %s (%" PRIu64 " not run: the kernel's test run refuses"
		       " frames under 14 bytes%s)\n",
		       st->k_compared, st->k_mismatches ? "DISAGREES with libpcap" : "agrees with libpcap",
		       st->k_not_run, f->type == USERBPF_PROG_TYPE_XDP ? "" : " or with a cut IP header");
}

static int run_capture(struct filter_cmd *f)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int ret = CLI_EXIT_OK;
	pcap_t *in = pcap_open_offline(f->read_path, errbuf);
	if (!in) {
		cli_err("filter: %s", errbuf);
		return CLI_EXIT_USAGE;
	}
	if (pcap_datalink(in) != DLT_EN10MB) {
		const char *dl = pcap_datalink_val_to_name(pcap_datalink(in));
		cli_err("filter: %s: link type %s (%d) is not Ethernet", cli_display_name(f->read_path),
			dl ? dl : "?", pcap_datalink(in));
		pcap_close(in);
		return CLI_EXIT_USAGE;
	}
	char log[512] = "";
	/* A socket filter is run by hand (run_socket), with the __sk_buff as plain memory. */
	bool sock = f->type == USERBPF_PROG_TYPE_SOCKET_FILTER;
	struct userbpf_prog_opts po = USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = log, .log_size = sizeof(log),
						      .flags = USERBPF_PROG_F_TRUSTED, .prog_type = sock ? 0 : f->type);
	struct userbpf_prog *prog = userbpf_prog__load(f->insns, f->cnt, &po);
	struct userbpf_pktrun *run = NULL;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	struct kside k = {0};
	struct chunk *c = calloc(1, sizeof(*c));
	struct filter_stats st = {0};
	if (!prog) {
		cli_err("filter: cannot load the translated program: %s", cli_first_line(log, errbuf, sizeof(errbuf)));
		ret = CLI_EXIT_RUNTIME;
		goto out;
	}
	if (!c) {
		cli_err("filter: out of memory");
		ret = CLI_EXIT_RUNTIME;
		goto out;
	}
	struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .exec = USERBPF_EXEC_FAST,
							  .max_len = SNAPLEN, .err_buf = log, .err_size = sizeof(log));
	run = sock ? NULL : userbpf_pktrun__new(prog, &ro);
	if (!sock && !run) {
		cli_err("filter: packet runner: %s", log);
		ret = CLI_EXIT_RUNTIME;
		goto out;
	}
	if (f->write_path) {
		dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
		dump = dead ? pcap_dump_open(dead, f->write_path) : NULL;
		if (!dump) {
			cli_err("filter: %s", dead ? pcap_geterr(dead) : "out of memory");
			ret = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (f->kernel && (ret = kside_open(f, &k)) != CLI_EXIT_OK)
		goto out;

	const char *read_err = NULL;
	char read_err_buf[PCAP_ERRBUF_SIZE + 64];
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int r = pcap_next_ex(in, &h, &data);
		if (r == 1) {
			uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
			if (!copy) {
				cli_err("filter: out of memory");
				ret = CLI_EXIT_RUNTIME;
				goto out;
			}
			memcpy(copy, data, h->caplen);
			c->hdr[c->n] = *h;
			c->data[c->n++] = copy;
		}
		if (r != 1 || c->n == CHUNK) {
			int rc = run_chunk(f, c, prog, run, &k, dump, &st);
			chunk_clear(c);
			if (rc) {
				ret = rc;
				goto out;
			}
		}
		if (r == 1)
			continue;
		if (r == PCAP_ERROR) {
			char line[PCAP_ERRBUF_SIZE];
			snprintf(read_err_buf, sizeof(read_err_buf), "%s: %s (after %" PRIu64 " packets)",
				 cli_display_name(f->read_path), cli_first_line(pcap_geterr(in), line, sizeof(line)),
				 st.packets);
			read_err = read_err_buf;
		}
		break;
	}
	if (dump) {
		pcap_dump_flush(dump);
		if (ferror(pcap_dump_file(dump))) {
			cli_err("filter: %s: write error", f->write_path);
			ret = CLI_EXIT_USAGE;
			goto out;
		}
	}
	print_report(f, &st, read_err);
	if (read_err) {
		cli_err("filter: %s", read_err);
		ret = CLI_EXIT_USAGE;
	}
	if (st.mismatches) {
		cli_err("filter: packet %" PRIu64 ": userbpf says %s, libpcap says %s (%" PRIu64
			" packets disagree)",
			st.first_mismatch, st.first_userbpf ? "match" : "no match",
			st.first_userbpf ? "no match" : "match", st.mismatches);
		ret = CLI_EXIT_RUNTIME;
	}
	if (st.k_mismatches) {
		cli_err("filter: packet %" PRIu64 ": the kernel says %s, libpcap says %s (%" PRIu64
			" packets disagree)",
			st.k_first_mismatch, st.k_first_kernel ? "match" : "no match",
			st.k_first_kernel ? "no match" : "match", st.k_mismatches);
		ret = CLI_EXIT_RUNTIME;
	}
out:
	if (c) {
		chunk_clear(c);
		free(c);
	}
	kside_close(&k);
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	userbpf_pktrun__free(run);
	userbpf_prog__free(prog);
	pcap_close(in);
	return ret;
}

static int filter_main(int argc, char **argv)
{
	struct filter_cmd f = {.type = USERBPF_PROG_TYPE_XDP, .type_name = "xdp", .sec = "xdp"};
	struct cli_parser p;
	char **words = calloc((size_t)argc + 1, sizeof(*words));
	int nwords = 0, ret;
	if (!words) {
		cli_err("filter: out of memory");
		return CLI_EXIT_USAGE;
	}
	cli_parser_init(&p, &cli_cmd_filter, filter_opts, argc, argv);
	for (int id; (id = cli_next_opt(&p)) != CLI_OPT_END;) {
		switch (id) {
		case CLI_OPT_ERROR:
			free(words);
			return CLI_EXIT_USAGE;
		case CLI_OPT_OPERAND:
			words[nwords++] = (char *)p.arg;
			break;
		case OPT_TYPE:
			if (!strcmp(p.arg, "xdp")) {
				f.type = USERBPF_PROG_TYPE_XDP, f.type_name = "xdp", f.sec = "xdp";
			} else if (!strcmp(p.arg, "tc")) {
				f.type = USERBPF_PROG_TYPE_SCHED_CLS, f.type_name = "tc", f.sec = "tc";
			} else if (!strcmp(p.arg, "socket")) {
				f.type = USERBPF_PROG_TYPE_SOCKET_FILTER, f.type_name = "socket", f.sec = "socket";
			} else {
				free(words);
				return cli_usage_err(&cli_cmd_filter, "unknown type '%s' (xdp, tc or socket)", p.arg);
			}
			break;
		case OPT_DISASM:
			f.disasm = true;
			break;
		case OPT_CBPF:
			f.cbpf = true;
			break;
		case OPT_OUT_OBJ:
			f.obj_path = p.arg;
			break;
		case OPT_READ:
			f.read_path = p.arg;
			break;
		case OPT_WRITE:
			f.write_path = p.arg;
			break;
		case OPT_KERNEL:
			f.kernel = true;
			break;
		case OPT_JSON:
			f.json = true;
			break;
		}
	}
	if (nwords == 0) {
		free(words);
		return cli_usage_err(&cli_cmd_filter, "missing the filter expression");
	}
	if ((f.write_path || f.kernel) && !f.read_path) {
		free(words);
		return cli_usage_err(&cli_cmd_filter, "%s needs -r FILE", f.write_path ? "-w" : "--kernel");
	}
	if (f.kernel && f.type == USERBPF_PROG_TYPE_SOCKET_FILTER) {
		free(words);
		return cli_usage_err(&cli_cmd_filter, "--kernel compares xdp or tc programs (the kernel's socket "
						      "filter test run starts at the network header)");
	}
	if (f.json && !f.read_path) {
		free(words);
		return cli_usage_err(&cli_cmd_filter, "--json reports a run: it needs -r FILE");
	}
	f.expr = join_args(words, nwords);
	free(words);
	if (!f.expr) {
		cli_err("filter: out of memory");
		return CLI_EXIT_USAGE;
	}
	ret = compile_expr(&f);
	if (ret)
		goto out;
	if (f.cbpf)
		print_cbpf(&f);
	if (f.disasm || (!f.cbpf && !f.obj_path && !f.read_path))
		print_ebpf(&f);
	if (f.obj_path) {
		char err[512];
		struct userbpf_object_write_opts wo = USERBPF_OPTS_INIT(userbpf_object_write_opts, .err_buf = err,
									.err_size = sizeof(err));
		if (userbpf_object_write(f.obj_path, "filter", f.sec, f.insns, f.cnt, &wo)) {
			cli_err("filter: %s", err);
			ret = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (f.read_path)
		ret = run_capture(&f);
out:
	pcap_freecode(&f.fcode);
	free(f.insns);
	free(f.expr);
	return ret;
}

const struct cli_command cli_cmd_filter = {
    .name = "filter",
    .summary = "compile a tcpdump expression to eBPF; print, save or run it on a capture",
    .usage = "filter [--type xdp|tc|socket] [--disasm] [--cbpf] [-o OBJ] [-r FILE [-w OUT] [--kernel]] "
	     "[--json] EXPR...",
    .help = "Compile the tcpdump filter EXPR (the words are joined with spaces, as tcpdump does) with\n"
	    "libpcap for Ethernet (snaplen 262144, optimized) to classic BPF, and translate it to eBPF\n"
	    "with a bounds check before every packet load. With no other option, print the eBPF.\n"
	    "\n"
	    "  -t, --type T     xdp (default: XDP_PASS on a match, XDP_DROP otherwise), tc (TC_ACT_OK /\n"
	    "                   TC_ACT_SHOT) or socket (returns the classic value: bytes to keep)\n"
	    "  -d, --disasm     print the eBPF program\n"
	    "      --cbpf       print libpcap's classic program, as tcpdump -d does\n"
	    "  -o, --output OBJ write an ELF object (program 'filter' in section xdp, tc or socket)\n"
	    "                   that userbpf and the kernel load\n"
	    "  -r, --read FILE  run the program on every packet of a pcap or pcapng capture (Ethernet) and\n"
	    "                   check each verdict against libpcap's pcap_offline_filter; report packets,\n"
	    "                   matches, Mpps and ns per packet of the userbpf runs\n"
	    "  -w, --write OUT  with -r: write the matching packets to OUT (pcap)\n"
	    "  -k, --kernel     with -r: also run the object in the kernel (BPF_PROG_TEST_RUN) on every\n"
	    "                   packet and compare (frames under 14 bytes are not run there)\n"
	    "  -j, --json       with -r: the report as one JSON object\n"
	    "\n"
	    "XDP sees only the captured bytes, and of a frame over 3520 bytes only the first 3520 (the rest\n"
	    "is in fragments): for --type xdp, `len` (and greater/less) is that length and libpcap is asked\n"
	    "about the same bytes. tc reads the wire length (__sk_buff wire_len) and the whole frame.\n"
	    "Exit status: 0 every verdict agrees, 1 a packet disagrees (named on stderr), 2 a bad\n"
	    "expression (libpcap's message), file or argument.\n",
    .main = filter_main,
};
