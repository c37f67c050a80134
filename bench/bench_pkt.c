/*
 * bench_pkt.c - packet programs over a capture held in memory, userbpf against the kernel (`make bench`).
 *
 * For each example (EXAMPLES_DIR/NAME.o with its capture NAME.pcap, loaded whole by
 * net_capture_load) the same object is loaded three times, with the same host-side setup (the
 * firewall's rules):
 *   - fast:    userbpf's fast interpreter, programs loaded USERBPF_PROG_F_TRUSTED (userbpf has no
 *              verifier yet, so nothing proved them safe: trusted is what a verifier would grant);
 *   - checked: userbpf's checked interpreter (every access bounds-checked);
 *   - kernel:  the object in Linux (userbpf_kobject__load), each packet timed by BPF_PROG_TEST_RUN
 *              with `repeat` (userbpf_kpktrun__time): the kernel's own mean per run, which leaves
 *              out the syscall and the packet's setup; the capture's figure is the mean over its
 *              packets (each packet weighs as much as it occurs in the capture).
 * userbpf's figures are whole passes over the capture through userbpf_pktrun__run, so they include
 * what the kernel's leave out: copying each packet into the runner and building its context.
 *
 * Before timing, one untimed pass on fresh state runs every packet on all three and requires the
 * same action and return value per packet (FAIL and exit 1 otherwise). While timing, maps keep
 * changing as the programs change them (counters grow, flows are updated), on every engine.
 *
 * Cells are medians of samples (one sample: a pass over the capture, or for the kernel the
 * weighted mean of one test run per packet) taken in ROUNDS rounds that take turns over the
 * engines. Time is the thread's CPU time (--wall: CLOCK_MONOTONIC) for userbpf; the kernel's timer
 * also leaves out time spent rescheduled. One thread: figures are per core.
 *
 * Without names: every example on its own capture, then every example on monitor.pcap (4,000
 * packets, 240 flows: a bigger, more even mix).
 *
 * With --baseline, first the programs of pkt/empty.bpf.c (return XDP_PASS, TC_ACT_OK) on
 * monitor.pcap: what a packet costs each engine before a program does anything.
 *
 * Usage: bench_pkt [--json] [--wall] [-t SECONDS_PER_CELL] [-d EXAMPLES_DIR] [--baseline EMPTY.o]
 *                  [NAME[:CAPTURE]...]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <userbpf/kernel.h>
#include <userbpf/maps.h>
#include <userbpf/object.h>
#include <userbpf/packet.h>
#include <userbpf/userbpf.h>

#include "net/net.h"
#include "examples_setup.h"
#include "pkt_xdp.h"

#define ROUNDS	    5
#define SAMPLES_MAX 4096

enum { ENG_FAST, ENG_CHECKED, ENG_KERNEL, NR_ENG };
static const char *const eng_names[NR_ENG] = {"fast", "checked", "kernel"};

struct cell {
	double samples[SAMPLES_MAX]; /* ns per packet */
	size_t n;
	double median;
	bool failed;
};

static bool use_wall;
/* In a network namespace of our own: XDP programs can be attached to its loopback (see xdp_hold). */
static bool own_netns;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(use_wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void add_sample(struct cell *c, double ns)
{
	if (c->n < SAMPLES_MAX)
		c->samples[c->n++] = ns;
}

/* One example loaded on one engine. */
struct side {
	struct userbpf_object *obj;
	struct userbpf_helpers *helpers;
	struct userbpf_pktrun *run;    /* fast, checked */
	struct userbpf_kobject *kobj;  /* kernel */
	struct userbpf_kpktrun *krun;
	bool xdp_attached;
};

static void side_close(struct side *s)
{
	if (s->xdp_attached)
		pkt_xdp_release();
	userbpf_pktrun__free(s->run);
	userbpf_kpktrun__free(s->krun);
	userbpf_kobject__close(s->kobj);
	userbpf_object__close(s->obj);
	userbpf_helpers__free(s->helpers);
	memset(s, 0, sizeof(*s));
}

static int side_open(struct side *s, int eng, const char *path, const struct ex_setup *ex, const char *prog,
		     char *err, size_t err_size)
{
	char log[1024] = "";
	struct userbpf_object_open_opts oo =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = log, .log_size = sizeof(log));
	memset(s, 0, sizeof(*s));
	s->obj = userbpf_object__open_file(path, &oo);
	if (!s->obj) {
		snprintf(err, err_size, "%.500s: %.500s", path, log[0] ? log : strerror(errno));
		return -1;
	}
	if (!prog)
		prog = ex_entry_prog(s->obj, ex);
	if (!prog) {
		snprintf(err, err_size, "%.500s: no packet program to run", path);
		return -1;
	}
	if (eng == ENG_KERNEL) {
		struct userbpf_kobject_opts ko =
		    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = log, .log_size = sizeof(log));
		struct userbpf_kpktrun_opts ro =
		    USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .err_buf = log, .err_size = sizeof(log));

		s->kobj = userbpf_kobject__load(s->obj, &ko);
		if (!s->kobj || ex_setup_kernel(ex, s->kobj, log, sizeof(log)) ||
		    !(s->krun = userbpf_kpktrun__new(s->kobj, prog, &ro))) {
			snprintf(err, err_size, "kernel: %.1000s", log);
			return -1;
		}
		/*
		 * An XDP test run with repeat > 1 puts the program into the kernel's XDP dispatcher and
		 * takes it out after, each a synchronize_rcu (milliseconds on a busy machine): one per
		 * packet would make the benchmark crawl and time nothing of interest. A program already in
		 * the dispatcher stays there, so attach it (generic mode) to the loopback device of the
		 * private network namespace main() made; it never sees traffic there.
		 */
		if (own_netns && userbpf_kpktrun__prog_type(s->krun) == USERBPF_PROG_TYPE_XDP) {
			int e = pkt_xdp_hold(userbpf_kobject__prog_fd(s->kobj, prog));

			if (e)
				fprintf(stderr, "bench_pkt: attaching %s to a private loopback: %s (kernel runs will "
						"be slow)\n",
					prog, strerror(-e));
			s->xdp_attached = !e;
		}
		return 0;
	}
	s->helpers = userbpf_helpers__new();
	if (!s->helpers || userbpf_helpers__add_std(s->helpers) || userbpf_helpers__add_maps(s->helpers) ||
	    userbpf_helpers__add_kernel(s->helpers) ||
	    userbpf_helpers__add_packet(s->helpers)) {
		snprintf(err, err_size, "helpers: %s", strerror(errno));
		return -1;
	}
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(
	    userbpf_object_load_opts, .helpers = s->helpers, .log_buf = log, .log_size = sizeof(log),
	    .prog_flags = eng == ENG_FAST ? USERBPF_PROG_F_TRUSTED : 0);
	if (userbpf_object__load(s->obj, &lo) || ex_setup_userbpf(ex, s->obj, log, sizeof(log))) {
		snprintf(err, err_size, "userbpf: %s", log);
		return -1;
	}
	struct userbpf_pktrun_opts po = USERBPF_OPTS_INIT(
	    userbpf_pktrun_opts, .exec = eng == ENG_FAST ? USERBPF_EXEC_FAST : USERBPF_EXEC_CHECKED,
	    .prog_type = userbpf_program__type(userbpf_object__find_program_by_name(s->obj, prog)),
	    .err_buf = log, .err_size = sizeof(log));
	s->run = userbpf_pktrun__new(userbpf_program__prog(userbpf_object__find_program_by_name(s->obj, prog)), &po);
	if (!s->run) {
		snprintf(err, err_size, "userbpf runner: %s", log);
		return -1;
	}
	return 0;
}

/* One untimed pass on fresh state: the three engines must agree packet by packet. */
static int check_pass(const char *name, struct side sides[NR_ENG], const struct net_capture *cap)
{
	for (size_t i = 0; i < cap->n; i++) {
		const struct userbpf_pkt *p = &cap->pkts[i];
		struct userbpf_pkt_result r[NR_ENG];
		char err[256] = "";
		int e;

		for (int k = 0; k < NR_ENG; k++) {
			e = k == ENG_KERNEL
				? userbpf_kpktrun__run(sides[k].krun, p->data, p->len, &p->meta, &r[k], err, sizeof(err))
				: userbpf_pktrun__run(sides[k].run, p->data, p->len, &p->meta, &r[k], err, sizeof(err));
			if (e) {
				printf("FAIL: %s: packet %zu: %s: %s\n", name, i + 1, eng_names[k], err);
				return -1;
			}
		}
		for (int k = ENG_CHECKED; k < NR_ENG; k++)
			if (r[k].action != r[ENG_FAST].action || (uint32_t)r[k].retval != (uint32_t)r[ENG_FAST].retval) {
				printf("FAIL: %s: packet %zu: fast %s (%u), %s %s (%u)\n", name, i + 1,
				       userbpf_pkt_action_name(r[ENG_FAST].action), (uint32_t)r[ENG_FAST].retval,
				       eng_names[k], userbpf_pkt_action_name(r[k].action), (uint32_t)r[k].retval);
				return -1;
			}
	}
	return 0;
}

/* userbpf: `passes` passes over the capture; ns per packet. */
static int ub_sample(struct side *s, const struct net_capture *cap, uint64_t passes, double *ns)
{
	struct userbpf_pkt_result res;
	double t0 = now_ns();

	for (uint64_t r = 0; r < passes; r++)
		for (size_t i = 0; i < cap->n; i++) {
			const struct userbpf_pkt *p = &cap->pkts[i];

			if (userbpf_pktrun__run(s->run, p->data, p->len, &p->meta, &res, NULL, 0))
				return -1;
		}
	*ns = (now_ns() - t0) / ((double)passes * cap->n);
	return 0;
}

/* Kernel: each packet `repeat` times; the mean over packets of the kernel's ns per run. */
static int k_sample(struct side *s, const struct net_capture *cap, uint32_t repeat, double *ns)
{
	double sum = 0;
	char err[256];

	for (size_t i = 0; i < cap->n; i++) {
		const struct userbpf_pkt *p = &cap->pkts[i];
		uint32_t d;

		if (userbpf_kpktrun__time(s->krun, p->data, p->len, &p->meta, repeat, &d, NULL, err, sizeof(err))) {
			fprintf(stderr, "bench_pkt: packet %zu: %s\n", i + 1, err);
			return -1;
		}
		sum += d;
	}
	*ns = sum / cap->n;
	return 0;
}

struct result {
	char name[64];
	char capture[64];
	const char *type;
	size_t packets;
	double avg_len;
	struct cell cells[NR_ENG];
	bool have[NR_ENG];
};

static int bench_one(const char *dir, const char *name, const char *obj_path, const char *prog,
		     const char *capname, double secs, bool have_kernel, struct result *res)
{
	char path[1024], pcap[1024], err[2048] = "";
	const struct ex_setup *ex = ex_setup_find(name);
	struct side sides[NR_ENG];
	struct net_capture cap = {0};
	uint64_t bytes = 0;
	int rc = -1;

	memset(sides, 0, sizeof(sides));
	snprintf(res->name, sizeof(res->name), "%.63s", name);
	snprintf(res->capture, sizeof(res->capture), "%.63s", capname);
	if (obj_path)
		snprintf(path, sizeof(path), "%.1000s", obj_path);
	else
		snprintf(path, sizeof(path), "%.900s/%.63s.o", dir, name);
	snprintf(pcap, sizeof(pcap), "%.900s/%.63s.pcap", dir, capname);
	if (net_capture_load(pcap, &cap, err, sizeof(err))) {
		printf("FAIL: %s: %s\n", name, err);
		return -1;
	}
	if (!cap.n) {
		printf("FAIL: %s: %s has no packets\n", name, pcap);
		goto out;
	}
	res->packets = cap.n;
	for (size_t i = 0; i < cap.n; i++)
		bytes += cap.pkts[i].len;
	res->avg_len = (double)bytes / cap.n;
	for (int k = 0; k < NR_ENG; k++) {
		if (k == ENG_KERNEL && !have_kernel)
			continue;
		if (side_open(&sides[k], k, path, ex, prog, err, sizeof(err))) {
			printf("FAIL: %s: %s: %s\n", name, eng_names[k], err);
			goto out;
		}
		res->have[k] = true;
	}
	res->type = userbpf_prog_type_name((enum userbpf_prog_type)userbpf_program__type(userbpf_object__find_program_by_name(
	    sides[ENG_FAST].obj, prog ? prog : ex_entry_prog(sides[ENG_FAST].obj, ex))));
	if (have_kernel && check_pass(name, sides, &cap))
		goto out;

	/* Size the batches: ~2 ms of userbpf fast per sample, the kernel's repeat to match. */
	uint64_t passes = 1;
	double ns;
	for (;;) {
		double t0 = wall_ns();

		if (ub_sample(&sides[ENG_FAST], &cap, passes, &ns))
			goto run_failed;
		if (wall_ns() - t0 > 2e6 || passes >= 1u << 20)
			break;
		passes *= 2;
	}
	uint32_t repeat = (uint32_t)(passes < 16 ? 16 : passes > 100000 ? 100000 : passes);

	for (int round = 0; round < ROUNDS; round++)
		for (int k = 0; k < NR_ENG; k++) {
			double deadline;

			if (!res->have[k])
				continue;
			deadline = wall_ns() + secs * 1e9 / ROUNDS;
			do {
				if (k == ENG_KERNEL ? k_sample(&sides[k], &cap, repeat, &ns)
						    : ub_sample(&sides[k], &cap, k == ENG_CHECKED ? (passes + 1) / 2 : passes, &ns))
					goto run_failed;
				add_sample(&res->cells[k], ns);
			} while (wall_ns() < deadline);
		}
	for (int k = 0; k < NR_ENG; k++) {
		struct cell *c = &res->cells[k];

		qsort(c->samples, c->n, sizeof(double), cmp_double);
		c->median = c->n ? c->samples[c->n / 2] : 0;
	}
	rc = 0;
	goto out;
run_failed:
	printf("FAIL: %s: a timed run failed\n", name);
out:
	for (int k = 0; k < NR_ENG; k++)
		side_close(&sides[k]);
	net_capture_free(&cap);
	return rc;
}

static void fmt_cell(char *out, size_t size, const struct result *r, int k)
{
	if (!r->have[k] || !r->cells[k].n)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.1f | %.2f", r->cells[k].median, 1e3 / r->cells[k].median);
}

/* A run: example NAME on capture CAPTURE ("NAME" alone: its own capture; "NAME:CAPTURE"). */
struct job {
	char name[64];
	char capture[64];
	const char *obj_path; /* NULL: EXAMPLES_DIR/NAME.o */
	const char *prog;     /* NULL: the example's entry program */
};

static void add_job(struct job *jobs, size_t *n, size_t max, const char *name, const char *capture)
{
	if (*n >= max)
		return;
	memset(&jobs[*n], 0, sizeof(jobs[*n]));
	snprintf(jobs[*n].name, sizeof(jobs[*n].name), "%.63s", name);
	snprintf(jobs[*n].capture, sizeof(jobs[*n].capture), "%.63s", capture);
	(*n)++;
}

static bool file_exists(const char *dir, const char *name, const char *ext)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	f = fopen(path, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

int main(int argc, char **argv)
{
	const char *dir = "build/examples", *baseline = NULL;
	const char *names[64];
	struct job jobs[128];
	size_t njobs = 0, nnames;
	struct result *results;
	bool json = false, have_kernel;
	double secs = 0.5;
	char why[256] = "";
	int failed = 0, e;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--wall"))
			use_wall = true;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--baseline") && i + 1 < argc)
			baseline = argv[++i];
		else if (argv[i][0] != '-') {
			char name[64], *colon;

			snprintf(name, sizeof(name), "%s", argv[i]);
			colon = strchr(name, ':');
			if (colon)
				*colon++ = 0;
			add_job(jobs, &njobs, 128, name, colon ? colon : name);
		} else {
			fprintf(stderr,
				"usage: %s [--json] [--wall] [-t SECONDS_PER_CELL] [-d EXAMPLES_DIR] [--baseline EMPTY.o] "
				"[NAME[:CAPTURE]...]\n",
				argv[0]);
			return 2;
		}
	}
	if (!njobs) {
		/* The empty programs on monitor.pcap, every example on its own capture, then every
		 * example on the bigger mixed one. */
		if (baseline && file_exists(dir, "monitor", ".pcap")) {
			add_job(jobs, &njobs, 128, "empty (xdp)", "monitor");
			jobs[njobs - 1].obj_path = baseline;
			jobs[njobs - 1].prog = "empty_xdp";
			add_job(jobs, &njobs, 128, "empty (tc)", "monitor");
			jobs[njobs - 1].obj_path = baseline;
			jobs[njobs - 1].prog = "empty_tc";
		}
		nnames = ex_list(dir, names, 64);
		for (size_t i = 0; i < nnames; i++)
			add_job(jobs, &njobs, 128, names[i], names[i]);
		if (file_exists(dir, "monitor", ".pcap"))
			for (size_t i = 0; i < nnames; i++)
				add_job(jobs, &njobs, 128, names[i], "monitor");
		for (size_t i = 0; i < nnames; i++)
			free((void *)names[i]);
	}
	if (!njobs) {
		fprintf(stderr, "bench_pkt: no example with its capture (NAME.o and NAME.pcap) in %s: build them "
				"with 'make' first\n",
			dir);
		return 1;
	}
	have_kernel = userbpf_kernel_available(why, sizeof(why)) == 1;
	if (!have_kernel)
		printf("kernel: %s: kernel column left out\n", why);
	else if ((e = pkt_xdp_private_netns()) == 0)
		own_netns = true;
	else
		fprintf(stderr, "bench_pkt: no private network namespace (%s): XDP programs are not held in the "
				"kernel's dispatcher and its runs will be slow\n",
			strerror(-e));
	results = calloc(njobs, sizeof(*results));
	if (!results)
		return 1;
	for (size_t i = 0; i < njobs; i++)
		if (bench_one(dir, jobs[i].name, jobs[i].obj_path, jobs[i].prog, jobs[i].capture, secs, have_kernel,
			      &results[i]))
			failed = 1;

	if (!json) {
		printf("packet programs over a capture held in memory, one thread; ns per packet and Mpps (medians)\n");
		printf("fast: userbpf fast interpreter, programs loaded USERBPF_PROG_F_TRUSTED (no verifier yet); "
		       "checked: userbpf checked interpreter;\nkernel: BPF_PROG_TEST_RUN repeat per packet, the "
		       "kernel's per-run time (JIT if enabled), averaged over the capture's packets\n\n");
		printf("| example | capture | type | packets | avg bytes | fast ns | fast Mpps | checked ns | checked Mpps | "
		       "kernel ns | kernel Mpps | fast/kernel | checked/kernel |\n");
		printf("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	}
	for (size_t i = 0; i < njobs; i++) {
		const struct result *r = &results[i];
		double f = r->cells[ENG_FAST].median, c = r->cells[ENG_CHECKED].median,
		       kk = r->cells[ENG_KERNEL].median;
		char a[64], b[64], d[64];

		if (!r->cells[ENG_FAST].n)
			continue;
		if (json) {
			printf("{\"example\": \"%s\", \"capture\": \"%s\", \"type\": \"%s\", \"packets\": %zu, "
			       "\"avg_bytes\": %.1f",
			       r->name, r->capture, r->type ? r->type : "?", r->packets, r->avg_len);
			for (int k = 0; k < NR_ENG; k++)
				if (r->have[k] && r->cells[k].n)
					printf(", \"%s_ns\": %.2f, \"%s_mpps\": %.3f", eng_names[k], r->cells[k].median,
					       eng_names[k], 1e3 / r->cells[k].median);
			printf("}\n");
			continue;
		}
		fmt_cell(a, sizeof(a), r, ENG_FAST);
		fmt_cell(b, sizeof(b), r, ENG_CHECKED);
		fmt_cell(d, sizeof(d), r, ENG_KERNEL);
		if (!strchr(d, '|'))
			snprintf(d, sizeof(d), "- | -");
		printf("| %s | %s | %s | %zu | %.0f | %s | %s | %s |", r->name, r->capture, r->type ? r->type : "?",
		       r->packets, r->avg_len, a, b, d);
		if (r->have[ENG_KERNEL] && kk > 0)
			printf(" %.2f | %.2f |\n", f / kk, c / kk);
		else
			printf(" - | - |\n");
	}
	free(results);
	return failed;
}
