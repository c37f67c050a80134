/*
 * monitor.h - `userbpf monitor`: what cmd_monitor.c (arguments, the program, the traffic source and
 * the run loop) and monitor_view.c (reading the maps, the terminal view and the JSON lines) share,
 * and the flows program monitor_embed.c builds into the CLI.
 */
#ifndef USERBPF_CLI_MONITOR_H
#define USERBPF_CLI_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "obj.h"
#include "userbpf/maps.h"
#include "userbpf/packet.h"

#define MON_NR_ACTIONS (USERBPF_PKT_REDIRECT + 1)

/* Packets and bytes (bytes: the frame as captured, what the program sees). */
struct mon_count {
	uint64_t packets;
	uint64_t bytes;
};

/* One report: an interval, or the summary of the whole run. */
struct mon_span {
	bool summary;
	uint64_t index;	   /* interval number, from 1 (summary: the number of intervals reported) */
	uint64_t start_ns; /* from the start of the run: the first packet of a file, the start of live */
	uint64_t end_ns;
	uint64_t epoch_ns; /* wall-clock (file: capture) time of start_ns, ns since 1970 */
	struct mon_count count;
	uint64_t actions[MON_NR_ACTIONS]; /* what became of the span's packets */
};

struct mon_view;

/* What a report shows besides the maps. */
struct mon_state {
	const char *source;   /* file or interface, as given */
	const char *prog;     /* "flows" or the program's name */
	const char *obj_name; /* the object, as given ("flows" for the built-in one) */
	bool live;
	bool json;
	bool tty; /* stdout is a terminal: clear the screen before each view */
	unsigned int top;
	uint64_t interval_ns; /* 0: no intervals, the summary only */
	struct mon_count total;
	uint64_t actions[MON_NR_ACTIONS]; /* what became of the packets, whole run so far */
	uint64_t errors;		  /* runs that failed (counted as aborted too) */
	uint64_t kernel_drops;		  /* live: packets the ring had no room for */
	uint64_t intervals;		  /* interval reports printed so far */
};

/*
 * The view of `o`'s maps after it is loaded. `flows`: the object is the flow-accounting program
 * (maps flows, proto and verdicts of examples/flows.h), else every map is shown generically. NULL
 * with the one error line printed (a flows object without its maps, or out of memory).
 */
struct mon_view *mon_view_new(const struct cli_obj *o, bool flows);
void mon_view_free(struct mon_view *v);
/* Print one report (text or JSON line, as st says) of the maps as they are now. 0 or -errno. */
int mon_view_report(struct mon_view *v, const struct mon_state *st, const struct mon_span *span, FILE *f);

/* The compiled examples/flows.bpf.c built into the CLI, or NULL (*len 0) when built without clang. */
const unsigned char *mon_flows_obj(size_t *len);

#endif /* USERBPF_CLI_MONITOR_H */
