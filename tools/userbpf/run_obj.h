/*
 * run_obj.h - `userbpf run OBJ`: the arguments cmd_run.c parses, the entry into run_obj.c, and what
 * run_pcap.c (`run OBJ -r FILE | -i IFACE`) shares with it: loading the object, printing its maps.
 */
#ifndef USERBPF_CLI_RUN_OBJ_H
#define USERBPF_CLI_RUN_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obj.h"

struct run_obj_args {
	const char *file;
	const char *prog;
	const uint8_t *data; /* the input: ctx = these bytes (r1), r2 = their length */
	size_t data_len;
	uint64_t repeat; /* 0: one run, no timing line */
	uint64_t budget; /* checked engine: instruction budget, 0 = default */
	unsigned int cpu;
	bool checked, fast, trusted;
	bool kernel;
	bool json;
	/* Packet mode (run_pcap.c): a capture file or an interface, and where the packets go. */
	const char *read_file;	/* -r FILE ("-": stdin) */
	const char *iface;	/* -i IFACE */
	const char *write_file; /* -w FILE: passed packets */
	const char *drops_file; /* --drops FILE: dropped packets */
	uint64_t count;		/* --count N: stop after N packets (0: all) */
	uint64_t batch;		/* --batch N (0: 64) */
	bool quiet;		/* --quiet: no trace lines, no per-map output */
	bool compare;		/* --compare: -r packets in userbpf and the kernel (run_kpcap.c) */
};

/* Open the object in buf (taken over), run a->prog, print the report. Returns the exit status. */
int cli_run_object(const struct run_obj_args *a, char *buf, size_t len);

/* The program types with a packet context (XDP, SCHED_CLS, SCHED_ACT, SOCKET_FILTER, CGROUP_SKB). */
bool cli_is_packet_type(unsigned int type);

/*
 * Load the object (only the programs whose autoload is on) with the standard, kernel and map helpers,
 * and the packet helpers when `prog` has a packet type. *helpers is set (free it after the object's
 * programs). 0, or the error line has been printed and the exit status is returned.
 */
int cli_run_load(const struct cli_obj *o, const struct run_obj_args *a, const struct userbpf_program *prog,
		 struct userbpf_helpers **helpers);

/*
 * The records of every ring buffer and perf event array (consumed) and the contents of every other
 * map, as `run OBJ` prints them: text, or with j the members "ringbuf", "perf_events" and "maps" of
 * the JSON object being written.
 */
void cli_run_print_maps(const struct cli_obj *o, struct json *j);
/* The same for the maps of the object loaded in the kernel (run OBJ -r FILE --kernel). */
struct userbpf_kobject;
void cli_run_print_kmaps(const struct cli_obj *o, struct userbpf_kobject *kobj, struct json *j);

/* `run OBJ --prog NAME -r FILE | -i IFACE ...` (run_pcap.c). Returns the exit status. */
int cli_run_packets(const struct run_obj_args *a, const struct cli_obj *o, struct userbpf_program *prog);

#endif /* USERBPF_CLI_RUN_OBJ_H */
