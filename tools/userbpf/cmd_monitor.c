/*
 * cmd_monitor.c - `userbpf monitor [-i IFACE | -r FILE] [--prog flows|OBJ[:PROG]] [--interval S]
 * [--json] [--top N] [--count N] [--duration S] [--trusted]`: runs a packet program on traffic and
 * shows what it counted, refreshed each interval, then a summary of the whole run.
 *
 * This file owns the arguments, loading the program (the flows program built into the CLI, or any
 * object's packet program), the traffic source (a capture file read as fast as possible, intervals
 * cut by capture time so that a file gives the same reports on every run; or a live interface,
 * intervals by the wall clock, until SIGINT/SIGTERM, --count or --duration) and the run loop.
 * monitor_view.c reads the maps and prints the reports.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "monitor.h"
#include "net/net.h"
#include "obj.h"

extern const struct cli_command cli_cmd_monitor;

/* Packets asked of the source at a time. */
#define MON_BURST 64
/* A capture whose clock jumps over more empty intervals than this gets one empty report for them. */
#define MON_MAX_EMPTY 10000

enum {
	OPT_IFACE = 1,
	OPT_READ,
	OPT_PROG,
	OPT_INTERVAL,
	OPT_JSON,
	OPT_TOP,
	OPT_COUNT,
	OPT_DURATION,
	OPT_TRUSTED,
};

static const struct cli_opt monitor_opts[] = {
    {"interface", 'i', true, OPT_IFACE},
    {"read", 'r', true, OPT_READ},
    {"prog", 'p', true, OPT_PROG},
    {"interval", 0, true, OPT_INTERVAL},
    {"json", 'j', false, OPT_JSON},
    {"top", 'n', true, OPT_TOP},
    {"count", 'c', true, OPT_COUNT},
    {"duration", 'd', true, OPT_DURATION},
    {"trusted", 0, false, OPT_TRUSTED},
    {NULL, 0, false, 0},
};

struct mon_args {
	const char *iface, *file, *prog;
	uint64_t interval_ns, count, duration_ns;
	bool has_interval, has_count, has_duration;
	bool json, trusted;
	unsigned int top;
};

/* Seconds ("2", "0.5", "1e-3") as nanoseconds, from 1 ms to 1e7 s. */
static bool parse_secs(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.001 || v > 1e7)
		return false;
	*ns = (uint64_t)llround(v * 1e9);
	return true;
}

static int parse_args(int argc, char **argv, struct mon_args *a)
{
	const struct cli_command *cmd = &cli_cmd_monitor;
	struct cli_parser p;
	uint64_t v;
	int id;

	memset(a, 0, sizeof(*a));
	a->top = 10;
	cli_parser_init(&p, cmd, monitor_opts, argc, argv);
	while ((id = cli_next_opt(&p)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR:
			return CLI_EXIT_USAGE;
		case CLI_OPT_OPERAND:
			return cli_usage_err(cmd, "unexpected argument '%s'", p.arg);
		case OPT_IFACE:
			if (a->iface || a->file)
				return cli_usage_err(cmd, "give one source: -i IFACE or -r FILE");
			if (!*p.arg)
				return cli_usage_err(cmd, "-i: empty interface name");
			a->iface = p.arg;
			break;
		case OPT_READ:
			if (a->iface || a->file)
				return cli_usage_err(cmd, "give one source: -i IFACE or -r FILE");
			if (!*p.arg)
				return cli_usage_err(cmd, "-r: empty file name");
			a->file = p.arg;
			break;
		case OPT_PROG:
			if (!*p.arg)
				return cli_usage_err(cmd, "--prog: empty; give 'flows' or OBJ[:PROG]");
			a->prog = p.arg;
			break;
		case OPT_INTERVAL:
			if (!parse_secs(p.arg, &a->interval_ns))
				return cli_usage_err(cmd, "--interval: '%s' is not a number of seconds 0.001..1e7",
						     p.arg);
			a->has_interval = true;
			break;
		case OPT_DURATION:
			if (!parse_secs(p.arg, &a->duration_ns))
				return cli_usage_err(cmd, "--duration: '%s' is not a number of seconds 0.001..1e7",
						     p.arg);
			a->has_duration = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_TRUSTED:
			a->trusted = true;
			break;
		case OPT_TOP:
			if (!cli_parse_u64(p.arg, &v) || v < 1 || v > 1000)
				return cli_usage_err(cmd, "--top: '%s' is not a number 1..1000", p.arg);
			a->top = (unsigned int)v;
			break;
		case OPT_COUNT:
			if (!cli_parse_u64(p.arg, &v) || v < 1)
				return cli_usage_err(cmd, "--count: '%s' is not a positive number", p.arg);
			a->count = v;
			a->has_count = true;
			break;
		}
	}
	if (!a->iface && !a->file)
		return cli_usage_err(cmd, "no traffic: give -i IFACE or -r FILE");
	if (!a->prog)
		a->prog = "flows";
	/* Live traffic is shown every second unless told otherwise; a file only at the end. */
	if (a->iface && !a->has_interval)
		a->interval_ns = 1000000000u;
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* The program                                                                                      */

struct mon_prog {
	struct cli_obj o;
	bool opened;
	bool flows;
	char *obj_path; /* OBJ of OBJ:PROG (malloc'ed), or NULL */
	struct userbpf_helpers *helpers;
	struct userbpf_program *program;
	struct userbpf_pktrun *run;
};

static bool is_packet_type(enum userbpf_prog_type t)
{
	return t == USERBPF_PROG_TYPE_XDP || t == USERBPF_PROG_TYPE_SCHED_CLS || t == USERBPF_PROG_TYPE_SCHED_ACT ||
	       t == USERBPF_PROG_TYPE_SOCKET_FILTER || t == USERBPF_PROG_TYPE_CGROUP_SKB;
}

static bool is_tail_call_target(const struct userbpf_object *obj, const struct userbpf_program *p)
{
	struct userbpf_object_map *m;
	userbpf_object__for_each_map(m, obj)
	{
		size_t n = userbpf_object_map__slot_cnt(m);
		for (size_t i = 0; i < n; i++) {
			const struct userbpf_program *target = NULL;
			if (!userbpf_object_map__slot(m, i, NULL, NULL, &target) && target == p)
				return true;
		}
	}
	return false;
}

static void prog_close(struct mon_prog *mp)
{
	userbpf_pktrun__free(mp->run);
	if (mp->opened)
		cli_obj_close(&mp->o);
	userbpf_helpers__free(mp->helpers);
	free(mp->obj_path);
}

/* Open, load and prepare the runner. 0, or the exit status with the one error line printed. */
static int prog_open(const struct mon_args *a, struct mon_prog *mp)
{
	const char *path = NULL, *want = NULL;
	char log[4096] = "", line[600];
	int rc, err;

	memset(mp, 0, sizeof(*mp));
	if (strcmp(a->prog, "flows") == 0) {
		size_t len;
		const unsigned char *bytes = mon_flows_obj(&len);
		if (!bytes) {
			cli_err("monitor: this userbpf was built without the flows program (no clang-19 at build "
				"time); give --prog OBJ");
			return CLI_EXIT_USAGE;
		}
		char *buf = malloc(len + 1);
		if (!buf) {
			cli_err("monitor: out of memory");
			return CLI_EXIT_RUNTIME;
		}
		memcpy(buf, bytes, len);
		buf[len] = '\0';
		rc = cli_obj_open_buf("flows", buf, len, &mp->o);
		mp->flows = true;
	} else {
		/* OBJ:PROG, unless the whole argument names a file. */
		const char *colon = strrchr(a->prog, ':');
		path = a->prog;
		if (colon && colon[1] && colon != a->prog && access(a->prog, F_OK) != 0) {
			mp->obj_path = strndup(a->prog, (size_t)(colon - a->prog));
			if (!mp->obj_path) {
				cli_err("monitor: out of memory");
				return CLI_EXIT_RUNTIME;
			}
			path = mp->obj_path;
			want = colon + 1;
		}
		rc = cli_obj_open(path, &mp->o);
	}
	if (rc)
		return rc;
	mp->opened = true;

	if (want) {
		mp->program = userbpf_object__find_program_by_name(mp->o.obj, want);
		if (!mp->program) {
			cli_err("%s: no program '%s' (see 'userbpf prog list %s')", mp->o.name, want, mp->o.name);
			return CLI_EXIT_USAGE;
		}
		if (!is_packet_type(userbpf_program__type(mp->program))) {
			const char *tn = userbpf_prog_type_name(userbpf_program__type(mp->program));
			cli_err("%s: program '%s' is of type %s, not a packet program (xdp, tc, socket filter, "
				"cgroup skb)",
				mp->o.name, want, tn ? tn : "unknown");
			return CLI_EXIT_USAGE;
		}
	} else {
		/* The first packet program, preferring one that is not a tail-call target (a slot of a
		 * prog_array): that is the entry point of a dispatcher. */
		struct userbpf_program *p;
		userbpf_object__for_each_program(p, mp->o.obj)
		{
			if (!is_packet_type(userbpf_program__type(p)))
				continue;
			if (!mp->program)
				mp->program = p;
			if (!is_tail_call_target(mp->o.obj, p)) {
				mp->program = p;
				break;
			}
		}
		if (!mp->program) {
			cli_err("%s: no packet program (xdp, tc, socket filter, cgroup skb) in the object", mp->o.name);
			return CLI_EXIT_USAGE;
		}
	}

	mp->helpers = userbpf_helpers__new();
	if (!mp->helpers || userbpf_helpers__add_std(mp->helpers) < 0 || userbpf_helpers__add_maps(mp->helpers) < 0 ||
	    userbpf_helpers__add_kernel(mp->helpers) < 0 || userbpf_helpers__add_packet(mp->helpers) < 0) {
		cli_err("monitor: cannot set up the helpers: %s", strerror(errno ? errno : ENOMEM));
		return CLI_EXIT_RUNTIME;
	}
	/* The built-in program is the project's own, which the kernel's verifier accepts (the
	 * tests load it there): it runs on the fast interpreter. Others are checked unless trusted. */
	bool fast = mp->flows || a->trusted;
	struct userbpf_object_load_opts lo =
	    USERBPF_OPTS_INIT(userbpf_object_load_opts, .helpers = mp->helpers, .log_buf = log,
			      .log_size = sizeof(log), .prog_flags = fast ? USERBPF_PROG_F_TRUSTED : 0);
	err = userbpf_object__load(mp->o.obj, &lo);
	if (err) {
		cli_first_line(log, line, sizeof(line));
		if (!*line)
			snprintf(line, sizeof(line), "cannot load: %s", strerror(-err));
		size_t n = strlen(mp->o.name);
		if (strncmp(line, mp->o.name, n) == 0 && line[n] == ':')
			cli_err("%s", line);
		else
			cli_err("%s: %s", mp->o.name, line);
		return CLI_EXIT_USAGE;
	}
	struct userbpf_prog *prog = userbpf_program__prog(mp->program);
	if (!prog) {
		cli_err("%s: program '%s' was not loaded", mp->o.name, userbpf_program__name(mp->program));
		return CLI_EXIT_USAGE;
	}
	struct userbpf_pktrun_opts ro =
	    USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = userbpf_program__type(mp->program),
			      .exec = fast ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED, .err_buf = line,
			      .err_size = sizeof(line));
	line[0] = '\0';
	mp->run = userbpf_pktrun__new(prog, &ro);
	if (!mp->run) {
		if (!*line)
			snprintf(line, sizeof(line), "%s", strerror(errno));
		cli_err("%s: program '%s': %s", mp->o.name, userbpf_program__name(mp->program), line);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* The run                                                                                          */

static volatile sig_atomic_t mon_stop;
static struct net_src *volatile mon_src;

static void on_signal(int sig)
{
	(void)sig;
	mon_stop = 1;
	if (mon_src)
		net_src_break(mon_src);
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct mon_loop {
	const struct mon_args *a;
	struct mon_state st;
	struct mon_view *view;
	bool started;	   /* t0 is known */
	uint64_t t0;	   /* the run's time origin: first packet (file), start (live); source clock */
	uint64_t epoch0;   /* t0 as wall-clock time */
	uint64_t last;	   /* latest time seen, from t0 */
	uint64_t cur_start, cur_end; /* the current interval, from t0 */
	struct mon_count cur;
	uint64_t cur_actions[MON_NR_ACTIONS];
	int err; /* a report failed: -errno */
};

static void report(struct mon_loop *l, const struct mon_span *sp)
{
	if (l->err)
		return;
	l->err = mon_view_report(l->view, &l->st, sp, stdout);
	if (l->st.live)
		fflush(stdout);
}

static void report_interval(struct mon_loop *l, uint64_t end)
{
	struct mon_span sp = {.index = ++l->st.intervals,
			      .start_ns = l->cur_start,
			      .end_ns = end,
			      .epoch_ns = l->epoch0 + l->cur_start,
			      .count = l->cur};
	memcpy(sp.actions, l->cur_actions, sizeof(sp.actions));
	report(l, &sp);
	memset(&l->cur, 0, sizeof(l->cur));
	memset(l->cur_actions, 0, sizeof(l->cur_actions));
}

/* Report every interval that ends at or before `rel` (time from t0). */
static void advance(struct mon_loop *l, uint64_t rel)
{
	uint64_t iv = l->a->interval_ns;
	if (rel > l->last)
		l->last = rel;
	if (!iv)
		return;
	while (rel >= l->cur_end) {
		report_interval(l, l->cur_end);
		l->cur_start = l->cur_end;
		l->cur_end += iv;
		if (rel >= l->cur_end && (rel - l->cur_end) / iv > MON_MAX_EMPTY) {
			/* A jump of the capture's clock: one report for the gap. */
			uint64_t skip_to = l->cur_end + (rel - l->cur_end) / iv * iv;
			report_interval(l, skip_to);
			l->cur_start = skip_to;
			l->cur_end = skip_to + iv;
		}
	}
}

static void start(struct mon_loop *l, uint64_t t0, uint64_t epoch0)
{
	l->started = true;
	l->t0 = t0;
	l->epoch0 = epoch0;
	l->cur_start = 0;
	l->cur_end = l->a->interval_ns;
}

static int monitor_main(int argc, char **argv)
{
	struct mon_args a;
	struct mon_prog mp;
	struct mon_loop l;
	struct net_src *src = NULL;
	struct net_pkt pkts[MON_BURST];
	char err[512] = "", run_err[512] = "", first_err[600] = "";
	int rc = parse_args(argc, argv, &a);
	bool damaged = false;

	if (rc)
		return rc;
	memset(&l, 0, sizeof(l));
	rc = prog_open(&a, &mp);
	if (rc)
		goto out;
	l.a = &a;
	l.st.source = a.file ? cli_display_name(a.file) : a.iface;
	l.st.prog = mp.flows ? "flows" : userbpf_program__name(mp.program);
	l.st.obj_name = mp.o.name;
	l.st.live = a.iface != NULL;
	l.st.json = a.json;
	l.st.tty = !a.json && isatty(STDOUT_FILENO);
	l.st.top = a.top;
	l.st.interval_ns = a.interval_ns;
	l.view = mon_view_new(&mp.o, mp.flows);
	if (!l.view) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}

	if (a.file) {
		src = net_src_open_file(a.file, err, sizeof(err));
	} else {
		struct net_live_opts lo = {0};
		src = net_src_open_live(a.iface, &lo, err, sizeof(err));
	}
	if (!src) {
		if (!*err)
			snprintf(err, sizeof(err), "%s: %s", a.file ? cli_display_name(a.file) : a.iface,
				 strerror(errno));
		cli_err("monitor: %s", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}

	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	mon_stop = 0;
	mon_src = src;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	if (l.st.live)
		start(&l, clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_REALTIME));
	bool done = false;
	while (!done && !mon_stop) {
		int n = net_src_next(src, pkts, MON_BURST, err, sizeof(err));
		if (n < 0) {
			damaged = true;
			break;
		}
		if (n == 0 && !l.st.live)
			break; /* end of the file */
		uint64_t now_rel = 0;
		if (l.st.live) {
			now_rel = clock_ns(CLOCK_MONOTONIC) - l.t0;
			advance(&l, now_rel);
		}
		for (int i = 0; i < n && !done; i++) {
			const struct net_pkt *pk = &pkts[i];
			uint64_t rel = now_rel;
			if (!l.st.live) {
				if (!l.started)
					start(&l, pk->meta.tstamp_ns, pk->meta.tstamp_ns);
				rel = pk->meta.tstamp_ns > l.t0 ? pk->meta.tstamp_ns - l.t0 : 0;
				if (a.has_duration && rel >= a.duration_ns) {
					done = true;
					break;
				}
				advance(&l, rel);
			}
			struct userbpf_pkt_result res;
			int e = userbpf_pktrun__run(mp.run, pk->data, pk->caplen, &pk->meta, &res, run_err,
						    sizeof(run_err));
			enum userbpf_pkt_action act = res.action;
			if (e) {
				if (!l.st.errors)
					snprintf(first_err, sizeof(first_err), "packet %" PRIu64 ": %s",
						 l.st.total.packets + 1, *run_err ? run_err : strerror(-e));
				l.st.errors++;
				act = USERBPF_PKT_ABORTED;
			}
			if ((unsigned)act < MON_NR_ACTIONS) {
				l.st.actions[act]++;
				l.cur_actions[act]++;
			}
			l.st.total.packets++;
			l.st.total.bytes += pk->caplen;
			l.cur.packets++;
			l.cur.bytes += pk->caplen;
			if (a.has_count && l.st.total.packets >= a.count)
				done = true;
		}
		if (l.st.live) {
			now_rel = clock_ns(CLOCK_MONOTONIC) - l.t0;
			advance(&l, now_rel);
			if (a.has_duration && now_rel >= a.duration_ns)
				done = true;
		}
		if (l.err)
			break;
	}
	mon_src = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	if (l.st.live) {
		l.last = clock_ns(CLOCK_MONOTONIC) - l.t0;
		l.st.kernel_drops = net_src_drops(src);
	}
	/* The interval in progress, when it saw packets: up to its nominal end for a file (the same
	 * rates on every run), up to now for live traffic. */
	if (a.interval_ns && l.cur.packets)
		report_interval(&l, l.st.live ? l.last : l.cur_end);
	struct mon_span sum = {.summary = true,
			       .index = l.st.intervals,
			       .start_ns = 0,
			       .end_ns = l.last,
			       .epoch_ns = l.epoch0,
			       .count = l.st.total};
	memcpy(sum.actions, l.st.actions, sizeof(sum.actions));
	report(&l, &sum);
	fflush(stdout);

	rc = CLI_EXIT_OK;
	if (l.err) {
		cli_err("monitor: cannot read the maps: %s", strerror(-l.err));
		rc = CLI_EXIT_RUNTIME;
	} else if (damaged) {
		cli_err("monitor: %s", *err ? err : "read error");
		rc = CLI_EXIT_RUNTIME;
	} else if (l.st.errors) {
		cli_err("monitor: %s: %" PRIu64 " of %" PRIu64 " runs failed; the first, %s", l.st.prog, l.st.errors,
			l.st.total.packets, first_err);
		rc = CLI_EXIT_RUNTIME;
	}
out:
	if (src)
		net_src_close(src);
	mon_view_free(l.view);
	prog_close(&mp);
	return rc;
}

const struct cli_command cli_cmd_monitor = {
    .name = "monitor",
    .summary = "run a packet program on traffic and show top flows, protocols and verdicts",
    .usage = "monitor (-r FILE | -i IFACE) [--prog flows|OBJ[:PROG]] [--interval S] [--json]\n"
	     "               [--top N] [--count N] [--duration S] [--trusted]",
    .help = "Runs the flow-accounting program (examples/flows.bpf.c, built into userbpf) or a packet\n"
	    "program of any object on a capture or a live interface, and shows what it counted: top\n"
	    "flows by bytes and by packets, the protocol breakdown and the verdicts, refreshed each\n"
	    "interval, then a summary of the whole run. See docs/monitor.md.\n"
	    "\n"
	    "  -r, --read FILE      a pcap or pcapng capture ('-' for stdin), run as fast as possible;\n"
	    "                       intervals are cut by capture time, so every run gives the same output\n"
	    "  -i, --interface IF   a live interface (AF_PACKET, needs CAP_NET_RAW), until Ctrl-C or\n"
	    "                       SIGTERM, --count or --duration; intervals by the wall clock\n"
	    "  -p, --prog P         'flows' (the default), or OBJ or OBJ:PROG: an object's packet program\n"
	    "                       (the first one of type xdp, tc, socket filter or cgroup skb unless\n"
	    "                       named); shows its verdicts and its maps' largest entries\n"
	    "      --interval S     seconds between reports (default: 1 live, none for a file)\n"
	    "  -j, --json           one JSON object per line: each interval, then {\"summary\": true, ...}\n"
	    "  -n, --top N          flows or map entries shown (default 10)\n"
	    "  -c, --count N        stop after N packets\n"
	    "  -d, --duration S     stop after S seconds (of capture time for a file)\n"
	    "      --trusted        run OBJ on the fast interpreter (it is checked otherwise)\n"
	    "\n"
	    "Exit status: 0; 1 a damaged capture (after the summary of what was read) or runs that\n"
	    "failed; 2 bad arguments, a missing or unreadable file or interface, a bad object.\n",
    .main = monitor_main,
};
