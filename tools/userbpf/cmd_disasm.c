/*
 * cmd_disasm.c - `userbpf disasm FILE [--syntax c|conformance] [--no-index]`: one instruction per line.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

extern const struct cli_command cli_cmd_disasm;

enum { OPT_SYNTAX = 1, OPT_NO_INDEX };

static const struct cli_opt disasm_opts[] = {
    {"syntax", 's', true, OPT_SYNTAX},
    {"no-index", 'n', false, OPT_NO_INDEX},
    {NULL, 0, false, 0},
};

static int disasm_main(int argc, char **argv)
{
	const struct cli_command *cmd = &cli_cmd_disasm;
	enum userbpf_syntax syntax = USERBPF_SYNTAX_C;
	bool index = true;
	const char *file = NULL;
	struct cli_parser p;
	int id;

	cli_parser_init(&p, cmd, disasm_opts, argc, argv);
	while ((id = cli_next_opt(&p)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR:
			return CLI_EXIT_USAGE;
		case CLI_OPT_OPERAND:
			if (file)
				return cli_usage_err(cmd, "more than one FILE");
			file = p.arg;
			break;
		case OPT_SYNTAX:
			if (strcmp(p.arg, "c") == 0)
				syntax = USERBPF_SYNTAX_C;
			else if (strcmp(p.arg, "conformance") == 0)
				syntax = USERBPF_SYNTAX_CONFORMANCE;
			else
				return cli_usage_err(cmd, "unknown syntax '%s' (c or conformance)", p.arg);
			break;
		case OPT_NO_INDEX:
			index = false;
			break;
		}
	}
	if (!file)
		return cli_usage_err(cmd, "missing FILE");

	struct cli_input in;
	int rc = cli_load_input(file, &in);
	if (rc)
		return rc;
	char line[256];
	for (size_t i = 0; i < in.cnt;) {
		int used = userbpf_disasm_insn(in.insns, in.cnt, i, syntax, line, sizeof(line));
		if (used < 1)
			used = 1; /* invalid or truncated: line holds a `.insn` that reassembles to it */
		if (index)
			printf("%4zu: %s\n", i, line);
		else
			printf("%s\n", line);
		i += (size_t)used;
	}
	cli_input_free(&in);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_disasm = {
    .name = "disasm",
    .summary = "disassemble a program, one instruction per line",
    .usage = "disasm FILE [--syntax c|conformance] [--no-index]",
    .help = "Print the instructions of FILE (raw bytecode, assembly or .data, see 'userbpf\n"
	    "--help'), one per line, after the index of its first slot: lddw uses two slots, so\n"
	    "the line after an lddw at 0 is numbered 2. Jump offsets are relative (goto +3).\n"
	    "Slots that are not valid instructions are shown as `.insn` lines that assemble back\n"
	    "to the same bytes.\n"
	    "\n"
	    "Options:\n"
	    "  -s, --syntax c            the kernel verifier's / llvm-objdump's syntax (default):\n"
	    "                            r0 = *(u32 *)(r1 + 4), if r3 > r2 goto +10, w0 = 2\n"
	    "  -s, --syntax conformance  bpf_conformance's syntax: ldxw %r0, [%r1+4], mov32 %r0, 2\n"
	    "  -n, --no-index            omit the indices: the output is input for 'userbpf asm'\n",
    .main = disasm_main,
};
