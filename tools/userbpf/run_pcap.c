/*
 * run_pcap.c - `userbpf run OBJ --prog NAME (-r FILE | -i IFACE) [-w OUT] [--drops FILE] ...`: a packet
 * program run on every packet of a capture file or of a live interface, in batches, through a packet
 * runner (packet.h). Passed packets (pass, tx, redirect; as the program left them) go to -w, dropped
 * ones (drop, aborted; as they came in) to --drops, both pcap with the packets' timestamps. At the end
 * (end of file, --count, or SIGINT/SIGTERM) the summary: packets, bytes, verdict counts, the time and
 * rate, then trace output and every map as `run OBJ` prints them. A damaged capture stops the run:
 * the summary of what was processed, then the error line naming the file and the count, exit 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "net/net.h"
#include "obj.h"
#include "run_kpcap.h"
#include "run_obj.h"
#include "userbpf/packet.h"

#define DEFAULT_BATCH 64
#define MAX_BATCH     4096
#define MAX_TRACE     1000 /* trace lines kept; the rest are counted */

/* The source a signal ends. Set while the run loop runs. */
static struct net_src *volatile stop_src;
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	if (stop_src)
		net_src_break(stop_src);
}

struct out_file {
	const char *path;
	struct net_sink *sink;
	uint64_t packets;
};

struct pcap_run {
	const struct run_obj_args *a;
	const struct userbpf_pkt *batch;
	uint64_t verdicts[USERBPF_PKT_REDIRECT + 1];
	uint64_t other; /* results with an action outside the enum (none expected) */
	struct out_file out, drops;
	double write_ns; /* time spent writing output files, taken out of the program's time */
	int write_err;
	const char *write_err_path;
	char **trace;
	size_t nr_trace;
	uint64_t trace_more;
	struct cli_kpcap *kp; /* --kernel, --compare (run_kpcap.c) */
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_trace(void *cookie, const char *text, size_t len)
{
	struct pcap_run *r = cookie;
	if (r->nr_trace >= MAX_TRACE) {
		r->trace_more++;
		return;
	}
	char *copy = malloc(len + 1);
	char **grown = copy ? realloc(r->trace, (r->nr_trace + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(copy);
		r->trace_more++;
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	r->trace = grown;
	r->trace[r->nr_trace++] = copy;
}

static int write_pkt(struct pcap_run *r, struct out_file *f, const void *data, uint32_t len, uint64_t tstamp,
		     uint32_t wire_len)
{
	double t0 = now_ns();
	int err = net_sink_write(f->sink, data, len, tstamp, wire_len);
	r->write_ns += now_ns() - t0;
	if (err) {
		r->write_err = err;
		r->write_err_path = f->path;
		return 1; /* stops the batch */
	}
	f->packets++;
	return 0;
}

static int on_result(void *cookie, size_t i, const struct userbpf_pkt_result *res)
{
	struct pcap_run *r = cookie;
	const struct userbpf_pkt *in = &r->batch[i];

	if ((unsigned)res->action > USERBPF_PKT_REDIRECT) {
		r->other++;
		return 0;
	}
	r->verdicts[res->action]++;
	switch (res->action) {
	case USERBPF_PKT_PASS:
	case USERBPF_PKT_TX:
	case USERBPF_PKT_REDIRECT:
		if (r->out.sink) {
			/* bytes the capture did not hold stay counted in the wire length */
			uint32_t missing = in->meta.wire_len > in->len ? in->meta.wire_len - in->len : 0;
			return write_pkt(r, &r->out, res->data, res->len, in->meta.tstamp_ns, res->len + missing);
		}
		return 0;
	case USERBPF_PKT_DROP:
	case USERBPF_PKT_ABORTED:
		if (r->drops.sink)
			return write_pkt(r, &r->drops, in->data, in->len, in->meta.tstamp_ns, in->meta.wire_len);
		return 0;
	}
	return 0;
}

static const char *type_name(unsigned int type, char *buf, size_t size)
{
	const char *n = userbpf_prog_type_name((enum userbpf_prog_type)type);
	if (n)
		return n;
	snprintf(buf, size, "type %u", type);
	return buf;
}

struct summary {
	uint64_t packets, bytes, kernel_drops;
	double elapsed_ns, program_ns;
	bool live;
	const char *error; /* the capture's damage, or NULL */
};

static void print_rate(const char *what, double ns, uint64_t packets)
{
	printf("%s%.3f ms", what, ns / 1e6);
	if (packets && ns > 0)
		printf(", %.3f Mpps, %.1f ns/packet", (double)packets * 1e3 / ns, ns / (double)packets);
}

static void print_text(const struct pcap_run *r, const struct cli_obj *o, const struct summary *s)
{
	const struct run_obj_args *a = r->a;

	printf("packets: %" PRIu64 " (%" PRIu64 " bytes)\n", s->packets, s->bytes);
	printf("verdicts:");
	for (int v = 0; v <= USERBPF_PKT_REDIRECT; v++)
		printf("%s %s %" PRIu64, v ? "," : "", userbpf_pkt_action_name((enum userbpf_pkt_action)v),
		       r->verdicts[v]);
	printf("\n");
	print_rate("time: ", s->elapsed_ns, s->packets);
	print_rate(" (in the program: ", s->program_ns, s->packets);
	printf(")\n");
	if (r->out.path)
		printf("written: %s: %" PRIu64 " packet%s\n", cli_display_name(r->out.path), r->out.packets,
		       r->out.packets == 1 ? "" : "s");
	if (r->drops.path)
		printf("drops written: %s: %" PRIu64 " packet%s\n", cli_display_name(r->drops.path),
		       r->drops.packets, r->drops.packets == 1 ? "" : "s");
	if (s->live)
		printf("kernel drops: %" PRIu64 "\n", s->kernel_drops);
	if (a->quiet)
		return;
	if (r->nr_trace) {
		printf("trace:\n");
		for (size_t i = 0; i < r->nr_trace; i++)
			printf("  %s\n", r->trace[i]);
		if (r->trace_more)
			printf("  ... %" PRIu64 " more line%s\n", r->trace_more, r->trace_more == 1 ? "" : "s");
	}
	if (cli_kpcap_kobj(r->kp))
		cli_run_print_kmaps(o, cli_kpcap_kobj(r->kp), NULL);
	else
		cli_run_print_maps(o, NULL);
}

static void json_out_file(struct json *j, const char *key, const struct out_file *f)
{
	json_key(j, key);
	if (!f->path) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "file", f->path);
	json_kv_u64(j, "packets", f->packets);
	json_obj_end(j);
}

static void print_json(const struct pcap_run *r, const struct cli_obj *o, const struct summary *s,
		       unsigned int type)
{
	const struct run_obj_args *a = r->a;
	struct json jj, *j = &jj;
	char tb[32];

	json_init(j, stdout);
	json_obj_begin(j);
	json_kv_str(j, "object", o->name);
	json_kv_str(j, "program", a->prog);
	json_kv_str(j, "prog_type", type_name(type, tb, sizeof(tb)));
	json_kv_str(j, s->live ? "interface" : "capture", s->live ? a->iface : a->read_file);
	json_kv_u64(j, "packets", s->packets);
	json_kv_u64(j, "bytes", s->bytes);
	json_key(j, "verdicts");
	json_obj_begin(j);
	for (int v = 0; v <= USERBPF_PKT_REDIRECT; v++)
		json_kv_u64(j, userbpf_pkt_action_name((enum userbpf_pkt_action)v), r->verdicts[v]);
	json_obj_end(j);
	json_key(j, "elapsed_ns");
	json_double(j, s->elapsed_ns);
	json_key(j, "program_ns");
	json_double(j, s->program_ns);
	json_key(j, "ns_per_packet");
	if (s->packets)
		json_double(j, s->program_ns / (double)s->packets);
	else
		json_null(j);
	json_key(j, "mpps");
	if (s->packets && s->program_ns > 0)
		json_double(j, (double)s->packets * 1e3 / s->program_ns);
	else
		json_null(j);
	json_out_file(j, "written", &r->out);
	json_out_file(j, "drops", &r->drops);
	if (s->live)
		json_kv_u64(j, "kernel_drops", s->kernel_drops);
	json_key(j, "error");
	if (s->error)
		json_str(j, s->error);
	else
		json_null(j);
	json_key(j, "trace");
	json_arr_begin(j);
	if (!a->quiet)
		for (size_t i = 0; i < r->nr_trace; i++)
			json_str(j, r->trace[i]);
	json_arr_end(j);
	json_kv_u64(j, "trace_dropped", a->quiet ? r->nr_trace + r->trace_more : r->trace_more);
	if (r->kp)
		cli_kpcap_json(r->kp, j);
	if (!a->quiet && cli_kpcap_kobj(r->kp))
		cli_run_print_kmaps(o, cli_kpcap_kobj(r->kp), j);
	else if (!a->quiet)
		cli_run_print_maps(o, j);
	json_obj_end(j); /* ends the line */
}

static int open_sink(struct out_file *f, const char *path)
{
	char err[512];
	if (!path)
		return 0;
	f->path = path;
	f->sink = net_sink_open(path, 0, err, sizeof(err));
	if (!f->sink) {
		cli_err("%s", err);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Close an output file; its flush error reported. 0 or CLI_EXIT_RUNTIME. */
static int close_sink(struct out_file *f, bool report)
{
	int err;
	if (!f->sink)
		return 0;
	err = net_sink_close(f->sink);
	f->sink = NULL;
	if (err && report) {
		cli_err("%s: cannot write it: %s", cli_display_name(f->path), strerror(-err));
		return CLI_EXIT_RUNTIME;
	}
	return err ? CLI_EXIT_RUNTIME : 0;
}

int cli_run_packets(const struct run_obj_args *a, const struct cli_obj *o, struct userbpf_program *prog)
{
	struct pcap_run r;
	struct summary s;
	struct userbpf_helpers *helpers = NULL;
	struct userbpf_pktrun *run = NULL;
	struct net_src *src = NULL;
	struct net_pkt *npkts = NULL;
	struct userbpf_pkt *upkts = NULL;
	struct sigaction sa, old_int, old_term;
	unsigned int type = userbpf_program__type(prog);
	size_t batch = a->batch ? (size_t)a->batch : DEFAULT_BATCH;
	char err[768] = "", src_err[768] = "", line[600], tb[32];
	int ret;
	bool handlers = false;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	r.a = a;
	if (!cli_is_packet_type(type)) {
		cli_err("%s: program '%s' is a %s program: -r and -i run packet programs (xdp, tc, socket "
			"filter, cgroup skb)",
			o->name, a->prog, type_name(type, tb, sizeof(tb)));
		return CLI_EXIT_USAGE;
	}
	ret = cli_run_load(o, a, prog, &helpers);
	if (ret)
		goto out;

	enum userbpf_exec exec = USERBPF_EXEC_CHECKED;
	if (a->fast || (a->trusted && !a->checked))
		exec = USERBPF_EXEC_FAST;
	struct userbpf_pktrun_opts po = USERBPF_OPTS_INIT(
	    userbpf_pktrun_opts, .prog_type = type, .exec = exec, .insn_budget = a->budget, .trace_fn = on_trace,
	    .trace_cookie = &r, .err_buf = err, .err_size = sizeof(err));
	run = userbpf_pktrun__new(userbpf_program__prog(prog), &po);
	if (!run) {
		cli_first_line(err, line, sizeof(line));
		cli_err("%s: program '%s': %s", o->name, a->prog, *line ? line : strerror(errno));
		ret = CLI_EXIT_USAGE;
		goto out;
	}
	if ((a->kernel || a->compare) && !(r.kp = cli_kpcap_open(a, o, run, &ret)))
		goto out;

	if (a->read_file) {
		src = net_src_open_file(a->read_file, err, sizeof(err));
	} else {
		struct net_live_opts lo = {0};
		src = net_src_open_live(a->iface, &lo, err, sizeof(err));
	}
	if (!src) {
		int e = errno;
		cli_err("%s", err);
		ret = e == EPERM || e == EACCES || e == ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
		goto out;
	}
	s.live = net_src_is_live(src);
	ret = open_sink(&r.out, a->write_file);
	if (!ret)
		ret = open_sink(&r.drops, a->drops_file);
	if (ret)
		goto out;
	npkts = calloc(batch, sizeof(*npkts));
	upkts = calloc(batch, sizeof(*upkts));
	if (!npkts || !upkts) {
		cli_err("out of memory");
		ret = CLI_EXIT_RUNTIME;
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_flag = 0;
	stop_src = src;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	handlers = true;

	double t_start = now_ns();
	while (!stop_flag) {
		size_t want = batch;
		if (a->count) {
			if (s.packets >= a->count)
				break;
			if (a->count - s.packets < want)
				want = (size_t)(a->count - s.packets);
		}
		int n = net_src_next(src, npkts, want, src_err, sizeof(src_err));
		if (n < 0) {
			s.error = src_err;
			break;
		}
		if (n == 0) {
			if (s.live)
				continue; /* the wait ended without packets; a signal sets stop_flag */
			break;
		}
		for (int i = 0; i < n; i++) {
			upkts[i].data = npkts[i].data;
			upkts[i].len = npkts[i].caplen;
			upkts[i].meta = npkts[i].meta;
			s.bytes += npkts[i].caplen;
		}
		r.batch = upkts;
		double t0 = now_ns();
		if (r.kp)
			cli_kpcap_batch(r.kp, upkts, (size_t)n, on_result, &r);
		else
			userbpf_pktrun__run_batch(run, upkts, (size_t)n, on_result, &r);
		s.program_ns += now_ns() - t0;
		s.packets += (uint64_t)n;
		if (r.write_err)
			break;
	}
	s.elapsed_ns = now_ns() - t_start;
	s.program_ns -= r.write_ns;
	if (s.program_ns < 0)
		s.program_ns = 0;
	stop_src = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	handlers = false;
	if (s.live)
		s.kernel_drops = net_src_drops(src);

	/* A write error stops the run; the summary says how far it got. */
	ret = CLI_EXIT_OK;
	if (r.write_err)
		ret = CLI_EXIT_RUNTIME;
	int c1 = close_sink(&r.out, !r.write_err), c2 = close_sink(&r.drops, !r.write_err);
	int cmp = r.kp && !r.write_err && !s.error ? cli_kpcap_finish(r.kp) : CLI_EXIT_OK;
	if (a->json)
		print_json(&r, o, &s, type);
	else
		print_text(&r, o, &s);
	if (r.kp && !a->json)
		cli_kpcap_print(r.kp);
	fflush(stdout);
	if (cmp)
		ret = CLI_EXIT_RUNTIME;
	if (r.write_err)
		cli_err("%s: cannot write it: %s (after %" PRIu64 " packets)", cli_display_name(r.write_err_path),
			strerror(-r.write_err), s.packets);
	if (c1 || c2)
		ret = CLI_EXIT_RUNTIME;
	if (s.error) {
		cli_err("%s", s.error);
		ret = CLI_EXIT_RUNTIME;
	}
out:
	if (handlers) {
		stop_src = NULL;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	close_sink(&r.out, false);
	close_sink(&r.drops, false);
	net_src_close(src);
	free(npkts);
	free(upkts);
	cli_kpcap_free(r.kp);
	userbpf_pktrun__free(run);
	userbpf_helpers__free(helpers);
	for (size_t i = 0; i < r.nr_trace; i++)
		free(r.trace[i]);
	free(r.trace);
	return ret;
}
