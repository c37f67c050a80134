/*
 * cmd_run.c - `userbpf run FILE [--mem HEX | --mem-file F] [--checked | --fast | --trusted]
 * [--budget N] [-v]`: load a program, run it once on a memory block, print r0. ELF objects go to
 * run_obj.c (`run OBJ --prog NAME [--data F]`) and, with -r FILE or -i IFACE, to run_pcap.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "obj.h"
#include "run_obj.h"

extern const struct cli_command cli_cmd_run;

enum {
	OPT_MEM = 1,
	OPT_MEM_FILE,
	OPT_CHECKED,
	OPT_FAST,
	OPT_TRUSTED,
	OPT_BUDGET,
	OPT_CPU,
	OPT_VERBOSE,
	OPT_PROG,
	OPT_DATA,
	OPT_DATA_HEX,
	OPT_REPEAT,
	OPT_KERNEL,
	OPT_JSON,
	OPT_READ,
	OPT_IFACE,
	OPT_WRITE,
	OPT_DROPS,
	OPT_COUNT,
	OPT_BATCH,
	OPT_QUIET,
	OPT_COMPARE,
};

static const struct cli_opt run_opts[] = {
    {"mem", 'm', true, OPT_MEM},
    {"mem-file", 'M', true, OPT_MEM_FILE},
    {"checked", 0, false, OPT_CHECKED},
    {"fast", 0, false, OPT_FAST},
    {"trusted", 0, false, OPT_TRUSTED},
    {"budget", 'b', true, OPT_BUDGET},
    {"cpu", 0, true, OPT_CPU},
    {"verbose", 'v', false, OPT_VERBOSE},
    {"prog", 'p', true, OPT_PROG},
    {"data", 'd', true, OPT_DATA},
    {"data-hex", 0, true, OPT_DATA_HEX},
    {"repeat", 0, true, OPT_REPEAT},
    {"kernel", 'k', false, OPT_KERNEL},
    {"json", 'j', false, OPT_JSON},
    {"read", 'r', true, OPT_READ},
    {"interface", 'i', true, OPT_IFACE},
    {"write", 'w', true, OPT_WRITE},
    {"drops", 0, true, OPT_DROPS},
    {"count", 'c', true, OPT_COUNT},
    {"batch", 0, true, OPT_BATCH},
    {"quiet", 'q', false, OPT_QUIET},
    {"compare", 0, false, OPT_COMPARE},
    {NULL, 0, false, 0},
};

struct run_args {
	const char *file;
	const char *mem_hex;
	const char *mem_file;
	bool checked, fast, trusted, verbose;
	bool has_budget;
	uint64_t budget;
	unsigned int cpu;
	/* ELF objects only: */
	const char *prog;
	const char *data_file;
	const char *data_hex;
	uint64_t repeat;
	bool kernel, json;
	/* packet mode */
	const char *read_file, *iface, *write_file, *drops_file;
	uint64_t count, batch;
	bool quiet;
	bool compare;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	const struct cli_command *cmd = &cli_cmd_run;
	struct cli_parser p;
	uint64_t v;
	int id;

	memset(a, 0, sizeof(*a));
	cli_parser_init(&p, cmd, run_opts, argc, argv);
	while ((id = cli_next_opt(&p)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR:
			return CLI_EXIT_USAGE;
		case CLI_OPT_OPERAND:
			if (a->file)
				return cli_usage_err(cmd, "more than one FILE");
			a->file = p.arg;
			break;
		case OPT_MEM:
			a->mem_hex = p.arg;
			break;
		case OPT_MEM_FILE:
			a->mem_file = p.arg;
			break;
		case OPT_CHECKED:
			a->checked = true;
			break;
		case OPT_FAST:
			a->fast = true;
			break;
		case OPT_TRUSTED:
			a->trusted = true;
			break;
		case OPT_BUDGET:
			if (!cli_parse_u64(p.arg, &a->budget) || a->budget == 0)
				return cli_usage_err(cmd, "--budget: '%s' is not a positive number", p.arg);
			a->has_budget = true;
			break;
		case OPT_CPU:
			if (!cli_parse_u64(p.arg, &v) || v < 1 || v > 4)
				return cli_usage_err(cmd, "--cpu: '%s' is not a CPU version 1..4", p.arg);
			a->cpu = (unsigned int)v;
			break;
		case OPT_VERBOSE:
			a->verbose = true;
			break;
		case OPT_PROG:
			a->prog = p.arg;
			break;
		case OPT_DATA:
			a->data_file = p.arg;
			break;
		case OPT_DATA_HEX:
			a->data_hex = p.arg;
			break;
		case OPT_REPEAT:
			if (!cli_parse_u64(p.arg, &a->repeat) || a->repeat == 0 || a->repeat > UINT32_MAX)
				return cli_usage_err(cmd, "--repeat: '%s' is not a number 1..%u", p.arg,
						     UINT32_MAX);
			break;
		case OPT_KERNEL:
			a->kernel = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_READ:
			a->read_file = p.arg;
			break;
		case OPT_IFACE:
			a->iface = p.arg;
			break;
		case OPT_WRITE:
			a->write_file = p.arg;
			break;
		case OPT_DROPS:
			a->drops_file = p.arg;
			break;
		case OPT_COUNT:
			if (!cli_parse_u64(p.arg, &a->count) || a->count == 0)
				return cli_usage_err(cmd, "--count: '%s' is not a positive number", p.arg);
			break;
		case OPT_BATCH:
			if (!cli_parse_u64(p.arg, &a->batch) || a->batch == 0 || a->batch > 4096)
				return cli_usage_err(cmd, "--batch: '%s' is not a number 1..4096", p.arg);
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_COMPARE:
			a->compare = true;
			break;
		}
	}
	if (!a->file)
		return cli_usage_err(cmd, "missing FILE");
	if (a->mem_hex && a->mem_file)
		return cli_usage_err(cmd, "--mem and --mem-file exclude each other");
	if ((a->data_hex || a->data_file) && (a->mem_hex || a->mem_file))
		return cli_usage_err(cmd, "--data/--data-hex and --mem/--mem-file exclude each other");
	if (a->data_hex && a->data_file)
		return cli_usage_err(cmd, "--data and --data-hex exclude each other");
	if (a->kernel && (a->checked || a->fast || a->trusted || a->has_budget || a->cpu))
		return cli_usage_err(cmd, "--kernel runs in the kernel: no --checked, --fast, --trusted, "
					  "--budget or --cpu");
	if (a->read_file && a->iface)
		return cli_usage_err(cmd, "-r FILE and -i IFACE exclude each other");
	if (a->read_file || a->iface) {
		if (a->data_file || a->data_hex || a->mem_hex || a->mem_file)
			return cli_usage_err(cmd, "%s runs on packets: no --data, --data-hex, --mem or --mem-file",
					     a->read_file ? "-r" : "-i");
		if (a->repeat)
			return cli_usage_err(cmd, "%s: no --repeat (packets run once each)", a->read_file ? "-r" : "-i");
		if (a->iface && (a->kernel || a->compare))
			return cli_usage_err(cmd, "-i: no --kernel or --compare (they run a capture file's packets)");
		if (a->kernel && a->compare)
			return cli_usage_err(cmd, "--kernel and --compare exclude each other (--compare runs both)");
		if (a->write_file && a->drops_file && strcmp(a->write_file, a->drops_file) == 0)
			return cli_usage_err(cmd, "-w and --drops name the same file");
	} else if (a->write_file || a->drops_file || a->count || a->batch || a->quiet) {
		return cli_usage_err(cmd, "-w, --drops, --count, --batch and --quiet need -r FILE or -i IFACE");
	} else if (a->compare) {
		return cli_usage_err(cmd, "--compare needs -r FILE");
	}
	if (a->checked && a->fast)
		return cli_usage_err(cmd, "--checked and --fast exclude each other");
	if (a->has_budget && (a->fast || (a->trusted && !a->checked)))
		return cli_usage_err(cmd, "--budget applies to the checked engine only");
	return 0;
}

/* The memory block: --mem, --mem-file, else the .data file's mem section, else none. */
static int get_memory(const struct run_args *a, struct cli_input *in, uint8_t **mem, size_t *len)
{
	char err[128];
	*mem = NULL;
	*len = 0;
	if (a->mem_hex) {
		if (cli_parse_hex(a->mem_hex, mem, len, err, sizeof(err))) {
			cli_err("--mem: %s", err);
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (a->mem_file) {
		char *buf;
		int rc = cli_read_file(a->mem_file, &buf, len);
		if (rc)
			return rc;
		*mem = (uint8_t *)buf;
		return 0;
	}
	if (in->has_mem) {
		*mem = in->mem;
		*len = in->mem_len;
		in->mem = NULL;
	}
	return 0;
}

static int report_load_error(const char *name, const char *log, int err)
{
	char line[512];
	cli_first_line(log, line, sizeof(line));
	if (*line)
		cli_err("%s: %s", name, line);
	else if (err == E2BIG)
		cli_err("%s: program too large (at most %u instructions)", name, USERBPF_MAX_INSNS);
	else
		cli_err("%s: program refused: %s", name, strerror(err));
	return CLI_EXIT_USAGE;
}

/* An ELF object: the input is --data/--data-hex (or --mem-file/--mem), then run_obj.c does the rest. */
static int run_object(const struct run_args *a, char *buf, size_t len)
{
	struct run_obj_args oa = {
	    .file = a->file,
	    .prog = a->prog,
	    .repeat = a->repeat,
	    .budget = a->has_budget ? a->budget : 0,
	    .cpu = a->cpu,
	    .checked = a->checked,
	    .fast = a->fast,
	    .trusted = a->trusted,
	    .kernel = a->kernel,
	    .json = a->json,
	    .read_file = a->read_file,
	    .iface = a->iface,
	    .write_file = a->write_file,
	    .drops_file = a->drops_file,
	    .count = a->count,
	    .batch = a->batch,
	    .quiet = a->quiet,
	    .compare = a->compare,
	};
	const char *hex = a->data_hex ? a->data_hex : a->mem_hex;
	const char *file = a->data_file ? a->data_file : a->mem_file;
	uint8_t *data = NULL;
	size_t data_len = 0;
	char err[128];
	int rc;

	if (hex && cli_parse_hex(hex, &data, &data_len, err, sizeof(err))) {
		cli_err("%s: %s", a->data_hex ? "--data-hex" : "--mem", err);
		free(buf);
		return CLI_EXIT_USAGE;
	}
	if (file) {
		char *d;
		rc = cli_read_file(file, &d, &data_len);
		if (rc) {
			free(buf);
			return rc;
		}
		data = (uint8_t *)d;
	}
	oa.data = data;
	oa.data_len = data_len;
	rc = cli_run_object(&oa, buf, len);
	free(data);
	return rc;
}

static int run_main(int argc, char **argv)
{
	struct run_args a;
	struct cli_input in;
	struct userbpf_helpers *helpers = NULL;
	struct userbpf_prog *prog = NULL;
	uint8_t *mem = NULL;
	size_t mem_len = 0;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	{
		char *buf;
		size_t len;
		rc = cli_read_file(a.file, &buf, &len);
		if (rc)
			return rc;
		if (cli_is_elf(buf, len))
			return run_object(&a, buf, len);
		if (a.prog || a.data_file || a.data_hex || a.repeat || a.kernel || a.json || a.read_file ||
		    a.iface) {
			free(buf);
			cli_err("%s: --prog, --data, --data-hex, --repeat, --kernel, --json, -r and -i apply to "
				"ELF objects only",
				cli_display_name(a.file));
			return CLI_EXIT_USAGE;
		}
		rc = cli_load_input_buf(a.file, buf, len, &in);
		if (rc)
			return rc;
	}
	rc = get_memory(&a, &in, &mem, &mem_len);
	if (rc)
		goto out;

	helpers = userbpf_helpers__new();
	if (!helpers || userbpf_helpers__add_std(helpers) < 0) {
		cli_err("cannot set up the helpers: %s", strerror(errno));
		rc = CLI_EXIT_USAGE;
		goto out;
	}

	static char log[8192];
	log[0] = '\0';
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = helpers, .log_buf = log, .log_size = sizeof(log),
			      .cpu_version = a.cpu, .flags = a.trusted ? USERBPF_PROG_F_TRUSTED : 0);
	prog = userbpf_prog__load(in.insns, in.cnt, &po);
	if (!prog) {
		rc = report_load_error(in.name, log, errno);
		goto out;
	}

	enum userbpf_exec exec = USERBPF_EXEC_CHECKED;
	if (a.fast || (a.trusted && !a.checked))
		exec = USERBPF_EXEC_FAST;
	char err[512] = "";
	struct userbpf_run_opts ro = USERBPF_OPTS_INIT(
	    userbpf_run_opts, .ctx = mem_len ? mem : NULL, .ctx_size = mem_len, .exec = exec,
	    .insn_budget = a.has_budget ? a.budget : 0, .err_buf = err, .err_size = sizeof(err));
	int r = userbpf_prog__run(prog, &ro);
	if (r == -EPERM && exec == USERBPF_EXEC_FAST) {
		cli_err("%s: --fast needs a proven program and there is no verifier yet; add --trusted to "
			"vouch for it (skips every safety check)",
			in.name);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (r < 0) {
		char line[512];
		cli_first_line(err, line, sizeof(line));
		if (!*line)
			snprintf(line, sizeof(line), "run failed: %s", strerror(-r));
		cli_err("%s: %s", in.name, line);
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	printf("0x%" PRIx64 "\n", ro.retval);
	if (a.verbose) {
		if (exec == USERBPF_EXEC_CHECKED)
			fprintf(stderr, "insns: %" PRIu64 " (checked)\n", ro.insn_count);
		else
			fprintf(stderr, "insns: not counted (fast)\n");
		if (in.has_result)
			fprintf(stderr, "expected: 0x%" PRIx64 " (%s)\n", in.result,
				in.result == ro.retval ? "match" : "DIFFERS");
	}
	rc = CLI_EXIT_OK;
out:
	userbpf_prog__free(prog);
	userbpf_helpers__free(helpers);
	free(mem);
	cli_input_free(&in);
	return rc;
}

const struct cli_command cli_cmd_run = {
    .name = "run",
    .summary = "run a program once and print r0",
    .usage = "run FILE [--mem HEX | --mem-file F] [--checked | --fast | --trusted] [--budget N]\n"
	     "                   [--cpu N] [-v]\n"
	     "       userbpf run OBJ --prog NAME [--data F | --data-hex HEX] [--repeat N] [--kernel]\n"
	     "                   [--json] [--checked | --fast | --trusted] [--budget N] [--cpu N]\n"
	     "       userbpf run OBJ --prog NAME (-r FILE | -i IFACE) [-w OUT] [--drops FILE]\n"
	     "                   [--count N] [--batch N] [--checked | --fast | --trusted] [--json] [-q]\n"
	     "                   [--kernel | --compare]",
    .help = "Load FILE (raw bytecode, assembly or .data, see 'userbpf --help'), run it once and\n"
	    "print r0 as 0x... . The program starts with r1 = a pointer to the memory block and\n"
	    "r2 = its length in bytes (both 0 without memory), as in bpf_conformance. The kernel-\n"
	    "numbered standard helpers (ktime_get_ns, ...) are available.\n"
	    "\n"
	    "Options:\n"
	    "  -m, --mem HEX        memory block as hex bytes: \"aa bb ff 01\" or aabbff01\n"
	    "  -M, --mem-file F     memory block: the bytes of file F\n"
	    "                       (default: a .data file's mem section, else no memory)\n"
	    "      --checked        bounds-check every access and count instructions (default)\n"
	    "      --fast           the fast interpreter; it needs a proven program, and there is no\n"
	    "                       verifier yet, so it only works together with --trusted\n"
	    "      --trusted        vouch for the program: load it trusted and run it on the fast\n"
	    "                       interpreter, skipping every safety check (a bad program can\n"
	    "                       crash userbpf); with --checked it still runs checked\n"
	    "  -b, --budget N       checked engine: stop after N instructions (default 2^32)\n"
	    "      --cpu N          allow instructions up to CPU version N, 1..4 (default 4)\n"
	    "  -v, --verbose        also print, on standard error, the instruction count (checked\n"
	    "                       engine) and whether r0 matches a .data file's result section\n"
	    "\n"
	    "ELF objects (OBJ, recognised by the ELF magic): like the kernel's BPF_PROG_TEST_RUN,\n"
	    "one run of program NAME on one input. The object is loaded (its maps created with\n"
	    "their initial contents; only NAME among the programs), the program runs with r1 =\n"
	    "a pointer to the input bytes and r2 = their length, on the checked engine with the\n"
	    "map values as regions it may reach, with the kernel's map helpers (map_*, ringbuf_*,\n"
	    "perf_event_output, ...) and the standard ones. A packet program (section xdp, tc,\n"
	    "socket, cgroup_skb...) gets its type's context, and the input is the packet, as the\n"
	    "kernel's data_in: at least an Ethernet header; the report adds the verdict (pass,\n"
	    "drop, aborted, tx, redirect) and shows the packet out when the program changed it\n"
	    "(head/tail adjustments included). For other programs the input bytes are the\n"
	    "context as they are. Then it prints the return value (32\n"
	    "bits, as the kernel reports it), the input bytes if the program changed them, trace\n"
	    "output (when the trace stream exists), the records of every ring buffer and perf\n"
	    "event array (consumed, in hex), and the final contents of every map: keys and\n"
	    "values by their BTF types where the object has BTF (integers in decimal, enums by\n"
	    "name, structs with field names, arrays, char arrays as strings when printable,\n"
	    "global data one variable per line), hex otherwise; per-CPU values per slot; queues\n"
	    "and stacks in the order their values come out; map-in-map values as map ids.\n"
	    "\n"
	    "  -p, --prog NAME      the program to run (required for an OBJ)\n"
	    "  -d, --data F         the input: the bytes of file F (also --mem-file)\n"
	    "      --data-hex HEX   the input as hex bytes (also --mem); default: no input\n"
	    "      --repeat N       run N times (the maps keep what every run did) and print the\n"
	    "                       mean time per run in ns\n"
	    "  -k, --kernel         run it in the Linux kernel instead (BPF_PROG_TEST_RUN through\n"
	    "                       the kernel backend), same report; needs bpf() to be allowed\n"
	    "  -j, --json           one JSON object: {\"object\", \"program\", \"backend\", \"retval\",\n"
	    "                       \"repeat\", \"duration_ns\", \"data_out\", \"trace\", \"ringbuf\":\n"
	    "                       [{\"map\", \"records\"}], \"perf_events\", \"maps\": [{\"name\",\n"
	    "                       \"type\", \"global_data\", \"entries\": [{\"key\", \"value\" or\n"
	    "                       \"values\" (per CPU)}] or \"values\" (queue, stack)}]}\n"
	    "\n"
	    "Packet mode: a packet program on every packet of a capture or an interface, in\n"
	    "batches, with the kernel's context for its type (ifindex and VLAN tag from a live\n"
	    "capture, timestamps and wire lengths from both). At the end (end of the file,\n"
	    "--count, or SIGINT/SIGTERM) it prints the packets and bytes, the verdict counts, the\n"
	    "time taken and the rate (Mpps, ns per packet; the whole run and the program alone),\n"
	    "trace output and every map as above.\n"
	    "  -r, --read FILE      a pcap or pcapng capture (\"-\": standard input), Ethernet only\n"
	    "  -i, --interface IF   live capture on interface IF (AF_PACKET ring; needs\n"
	    "                       CAP_NET_RAW; observe-only: nothing is really dropped)\n"
	    "  -w, --write OUT      write the packets passed (pass, tx, redirect) as the program\n"
	    "                       left them to OUT, a pcap file (ns timestamps)\n"
	    "      --drops FILE     write the packets dropped (drop, aborted) as they came in\n"
	    "  -c, --count N        stop after N packets\n"
	    "      --batch N        packets per batch, 1..4096 (default 64)\n"
	    "  -q, --quiet          only the counts: no trace lines, no maps\n"
	    "  -k, --kernel         with -r: run every packet in the Linux kernel instead (one\n"
	    "                       BPF_PROG_TEST_RUN each, the context built from the same packet\n"
	    "                       metadata); the same summary, from the kernel's verdicts, packets\n"
	    "                       out and maps, so the two outputs can be diffed\n"
	    "      --compare        with -r: run every packet in userbpf and in the kernel; the\n"
	    "                       summary is userbpf's, then 'compare:' lines: the first packet\n"
	    "                       whose verdict, return value (32 bits) or output bytes differ,\n"
	    "                       and the first map difference (per-CPU maps by the sum of their\n"
	    "                       slots; 64-bit words holding a time of the run, bpf_ktime_get_ns(),\n"
	    "                       taken as equal; prog arrays, perf event arrays, map-in-map left\n"
	    "                       out); exit status 1 on any difference\n"
	    "  -j, --json           one JSON object: {\"object\", \"program\", \"prog_type\",\n"
	    "                       \"capture\" or \"interface\", \"packets\", \"bytes\", \"verdicts\":\n"
	    "                       {\"aborted\", \"drop\", \"pass\", \"tx\", \"redirect\"},\n"
	    "                       \"elapsed_ns\", \"program_ns\", \"ns_per_packet\", \"mpps\",\n"
	    "                       \"written\", \"drops\": {\"file\", \"packets\"} or null,\n"
	    "                       \"kernel_drops\" (live), \"error\", \"trace\", \"trace_dropped\",\n"
	    "                       \"ringbuf\", \"perf_events\", \"maps\"}\n"
	    "A damaged capture (a truncated or corrupt record) stops the run: the summary of the\n"
	    "packets before it, then one line naming the file and their count, exit status 1.\n"
	    "\n"
	    "Exit status: 0 success; 1 the run failed (out-of-bounds access, budget spent, too many\n"
	    "frames; the kernel refused bpf() or the program), reported as one line naming the\n"
	    "instruction; 2 bad input, bad arguments or a refused program ('userbpf: FILE: insn N:\n"
	    "...').\n",
    .main = run_main,
};
