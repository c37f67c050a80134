/*
 * run_kpcap.c - the kernel side of `userbpf run OBJ --prog NAME -r FILE`: with --kernel every packet
 * runs in the Linux kernel (the object loaded there by the kernel backend, each packet one
 * BPF_PROG_TEST_RUN through userbpf_kpktrun) instead of userbpf, and run_pcap.c prints the same
 * summary from the kernel's results and maps; with --compare every packet runs in both and the
 * first packet whose return value, verdict or output bytes differ is reported, then every map is
 * compared (userbpf_kobject__compare_maps), and any difference makes the exit status 1.
 *
 * What --compare cannot hold equal: 64-bit words of map values and ring buffer records that hold a
 * CLOCK_MONOTONIC time taken during the run (bpf_ktime_get_ns(): userbpf and the kernel read the
 * same clock, at different moments) are treated as equal; per-CPU values are compared as the sum
 * over their slots; prog arrays, perf event arrays and map-in-map are left out (named in the
 * report). The kernel reports 32 bits of r0 and no redirect target: only those bits are compared.
 * Both modes pin the process to one CPU, so that per-CPU slots line up in the printed maps.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "run_kpcap.h"
#include "userbpf/kernel.h"
#include "userbpf/maps.h"

struct cli_kpcap {
	const struct cli_obj *o;
	bool compare;
	struct userbpf_kobject *kobj;
	struct userbpf_kpktrun *krun;
	struct userbpf_pktrun *urun; /* --compare: userbpf's runner (run_pcap.c's) */
	uint64_t t_start;	     /* CLOCK_MONOTONIC before the first packet */
	uint64_t packets, same;
	uint64_t first_diff; /* 1-based packet number, 0: none */
	char diff[512];
	int maps_rc; /* compare_maps: 0 same, 1 different, < 0 failed; 2: not compared yet */
	char maps_diff[512], maps_skipped[512];
	uint64_t maps_entries;
};

/*
 * Per-CPU maps print (and, with --kernel, are diffed) slot by slot: run every packet on one CPU, the
 * first this process may use, in the kernel, and on the userbpf slot of the same number.
 */
static void pin_one_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set)) {
			CPU_ZERO(&set);
			CPU_SET(c, &set);
			if (!sched_setaffinity(0, sizeof(set), &set))
				userbpf_set_this_cpu((unsigned int)c);
			return;
		}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct cli_kpcap *cli_kpcap_open(const struct run_obj_args *a, const struct cli_obj *o,
				 struct userbpf_pktrun *urun, int *exit_status)
{
	char log[1024] = "", line[600], why[256];
	struct cli_kpcap *k;

	*exit_status = CLI_EXIT_RUNTIME;
	if (!userbpf_kernel_available(why, sizeof(why))) {
		cli_err("%s: %s needs the kernel: %s", o->name, a->compare ? "--compare" : "--kernel", why);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		cli_err("out of memory");
		return NULL;
	}
	k->o = o;
	k->compare = a->compare;
	k->urun = urun;
	k->maps_rc = 2;
	struct userbpf_kobject_opts ko = USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = log, .log_size = sizeof(log));
	k->kobj = userbpf_kobject__load(o->obj, &ko);
	if (!k->kobj) {
		cli_first_line(log, line, sizeof(line));
		cli_err("%s: kernel: %s", o->name, *line ? line : strerror(errno));
		goto fail;
	}
	struct userbpf_kpktrun_opts ro = USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .err_buf = log, .err_size = sizeof(log));
	k->krun = userbpf_kpktrun__new(k->kobj, a->prog, &ro);
	if (!k->krun) {
		cli_first_line(log, line, sizeof(line));
		cli_err("%s: %s", o->name, *line ? line : strerror(errno));
		goto fail;
	}
	pin_one_cpu();
	k->t_start = mono_ns();
	*exit_status = CLI_EXIT_OK;
	return k;
fail:
	cli_kpcap_free(k);
	return NULL;
}

void cli_kpcap_free(struct cli_kpcap *k)
{
	if (!k)
		return;
	userbpf_kpktrun__free(k->krun);
	userbpf_kobject__close(k->kobj);
	free(k);
}

struct userbpf_kobject *cli_kpcap_kobj(const struct cli_kpcap *k)
{
	return k && !k->compare ? k->kobj : NULL;
}

/* The first way two results of one packet differ, in `out` ("" when they do not). */
static void result_diff(int ue, const struct userbpf_pkt_result *u, const char *uerr, int ke,
			const struct userbpf_pkt_result *kr, const char *kerr, char *out, size_t size)
{
	out[0] = 0;
	if (ue || ke) {
		if (ue != ke)
			snprintf(out, size, "userbpf %s, the kernel %s", ue ? uerr : "ran it", ke ? kerr : "ran it");
		return;
	}
	if ((uint32_t)u->retval != (uint32_t)kr->retval || u->action != kr->action) {
		snprintf(out, size, "userbpf %s (%" PRIu32 "), kernel %s (%" PRIu32 ")", userbpf_pkt_action_name(u->action),
			 (uint32_t)u->retval, userbpf_pkt_action_name(kr->action), (uint32_t)kr->retval);
		return;
	}
	if (u->len != kr->len || (u->len && memcmp(u->data, kr->data, u->len))) {
		uint32_t off = 0;

		while (off < u->len && off < kr->len && u->data[off] == kr->data[off])
			off++;
		snprintf(out, size, "%s: output packets differ from byte %" PRIu32 " (userbpf %" PRIu32 " bytes, kernel %" PRIu32 ")",
			 userbpf_pkt_action_name(u->action), off, u->len, kr->len);
	}
}

int cli_kpcap_batch(struct cli_kpcap *k, const struct userbpf_pkt *pkts, size_t n,
		    int (*on_result)(void *cookie, size_t i, const struct userbpf_pkt_result *res), void *cookie)
{
	for (size_t i = 0; i < n; i++) {
		const struct userbpf_pkt *p = &pkts[i];
		struct userbpf_pkt_result u, kr;
		char uerr[256] = "", kerr[256] = "", what[512];
		int ue = 0, ke, stop;

		if (k->compare)
			ue = userbpf_pktrun__run(k->urun, p->data, p->len, &p->meta, &u, uerr, sizeof(uerr));
		ke = userbpf_kpktrun__run(k->krun, p->data, p->len, &p->meta, &kr, kerr, sizeof(kerr));
		k->packets++;
		if (k->compare) {
			result_diff(ue, &u, uerr, ke, &kr, kerr, what, sizeof(what));
			if (!what[0])
				k->same++;
			else if (!k->first_diff) {
				k->first_diff = k->packets;
				snprintf(k->diff, sizeof(k->diff), "%s", what);
			}
		}
		/* As userbpf_pktrun__run_batch: a failed run counts as aborted and the batch goes on. */
		stop = on_result(cookie, i, k->compare ? &u : &kr);
		if (stop)
			return stop;
	}
	return 0;
}

/* Words of a value or record holding a time of this run (bpf_ktime_get_ns()) are cleared. */
static int mask_times(void *cookie, const char *map, const void *key, void *value, uint32_t size, char *why,
		      size_t why_size)
{
	const uint64_t *window = cookie;

	(void)map;
	(void)key;
	(void)why;
	(void)why_size;
	for (uint32_t off = 0; off + 8 <= size; off += 8) {
		uint64_t v;

		memcpy(&v, (uint8_t *)value + off, 8);
		if (v >= window[0] && v <= window[1])
			memset((uint8_t *)value + off, 0, 8);
	}
	return 0;
}

int cli_kpcap_finish(struct cli_kpcap *k)
{
	uint64_t window[2] = {k->t_start, mono_ns()};

	if (!k->compare)
		return CLI_EXIT_OK;
	struct userbpf_kcompare_opts co = USERBPF_OPTS_INIT(
	    userbpf_kcompare_opts, .mask = mask_times, .cookie = window, .diff_buf = k->maps_diff,
	    .diff_size = sizeof(k->maps_diff), .skipped_buf = k->maps_skipped, .skipped_size = sizeof(k->maps_skipped));
	k->maps_rc = userbpf_kobject__compare_maps(k->kobj, k->o->obj, &co);
	k->maps_entries = co.entries;
	return k->first_diff || k->maps_rc ? CLI_EXIT_RUNTIME : CLI_EXIT_OK;
}

void cli_kpcap_print(const struct cli_kpcap *k)
{
	if (!k->compare)
		return;
	if (k->first_diff)
		printf("compare: packet %" PRIu64 " differs: %s (%" PRIu64 " of %" PRIu64 " packets the same)\n",
		       k->first_diff, k->diff, k->same, k->packets);
	else
		printf("compare: %" PRIu64 " packets the same in userbpf and the kernel (verdicts, return values, "
		       "output packets)\n",
		       k->packets);
	if (k->maps_rc == 2) /* the run stopped before the end */
		return;
	if (k->maps_rc == 0)
		printf("compare: maps the same (%" PRIu64 " entries)", k->maps_entries);
	else if (k->maps_rc == 1)
		printf("compare: maps differ: %s", k->maps_diff);
	else
		printf("compare: maps not compared: %s", k->maps_diff[0] ? k->maps_diff : strerror(-k->maps_rc));
	if (k->maps_skipped[0])
		printf("; left out: %s", k->maps_skipped);
	printf("\n");
}

void cli_kpcap_json(const struct cli_kpcap *k, struct json *j)
{
	json_kv_str(j, "backend", k->compare ? "compare" : "kernel");
	if (!k->compare)
		return;
	json_key(j, "compare");
	json_obj_begin(j);
	json_kv_u64(j, "packets", k->packets);
	json_kv_u64(j, "packets_same", k->same);
	json_key(j, "first_difference");
	if (k->first_diff) {
		json_obj_begin(j);
		json_kv_u64(j, "packet", k->first_diff);
		json_kv_str(j, "what", k->diff);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_kv_bool(j, "maps_same", k->maps_rc == 0);
	json_key(j, "maps_difference");
	if (k->maps_rc == 2)
		json_str(j, "not compared: the run stopped early");
	else if (k->maps_rc)
		json_str(j, k->maps_diff[0] ? k->maps_diff : strerror(k->maps_rc < 0 ? -k->maps_rc : EINVAL));
	else
		json_null(j);
	json_kv_u64(j, "map_entries", k->maps_entries);
	json_kv_str(j, "maps_left_out", k->maps_skipped);
	json_obj_end(j);
}
