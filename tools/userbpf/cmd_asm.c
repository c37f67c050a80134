/*
 * cmd_asm.c - `userbpf asm FILE [-o OUT]`: assemble a program to raw little-endian bytecode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

extern const struct cli_command cli_cmd_asm;

enum { OPT_OUTPUT = 1 };

static const struct cli_opt asm_opts[] = {
    {"output", 'o', true, OPT_OUTPUT},
    {NULL, 0, false, 0},
};

/* OUT for `userbpf asm FILE` on a terminal: FILE with its extension replaced by ".bin". */
static char *default_output(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot != base ? (size_t)(dot - path) : strlen(path);
	char *out = malloc(stem + sizeof(".bin"));
	if (!out)
		return NULL;
	memcpy(out, path, stem);
	memcpy(out + stem, ".bin", sizeof(".bin"));
	return out;
}

static int write_output(const char *out, const struct cli_input *in)
{
	size_t bytes = in->cnt * sizeof(struct userbpf_insn);
	if (strcmp(out, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			cli_err("asm: refusing to write bytecode to a terminal (use -o FILE)");
			return CLI_EXIT_USAGE;
		}
		if (fwrite(in->insns, 1, bytes, stdout) != bytes || fflush(stdout) != 0) {
			cli_err("<stdout>: %s", strerror(errno));
			return CLI_EXIT_USAGE;
		}
		return CLI_EXIT_OK;
	}
	FILE *f = fopen(out, "wb");
	if (!f) {
		cli_err("%s: %s", out, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	int bad = fwrite(in->insns, 1, bytes, f) != bytes;
	int err = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (bad) {
		cli_err("%s: %s", out, strerror(err));
		remove(out);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int asm_main(int argc, char **argv)
{
	const struct cli_command *cmd = &cli_cmd_asm;
	struct cli_parser p;
	const char *file = NULL, *out = NULL;
	int id;

	cli_parser_init(&p, cmd, asm_opts, argc, argv);
	while ((id = cli_next_opt(&p)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR:
			return CLI_EXIT_USAGE;
		case CLI_OPT_OPERAND:
			if (file)
				return cli_usage_err(cmd, "more than one FILE");
			file = p.arg;
			break;
		case OPT_OUTPUT:
			out = p.arg;
			break;
		}
	}
	if (!file)
		return cli_usage_err(cmd, "missing FILE");

	struct cli_input in;
	int rc = cli_load_input(file, &in);
	if (rc)
		return rc;

	char *derived = NULL;
	if (!out) {
		if (!isatty(STDOUT_FILENO)) {
			out = "-";
		} else if (strcmp(file, "-") == 0) {
			cli_input_free(&in);
			cli_err("asm: refusing to write bytecode to a terminal (use -o FILE)");
			return CLI_EXIT_USAGE;
		} else {
			derived = default_output(file);
			if (!derived) {
				cli_input_free(&in);
				cli_err("out of memory");
				return CLI_EXIT_USAGE;
			}
			if (strcmp(derived, file) == 0) {
				cli_err("%s: would overwrite the input (use -o FILE)", file);
				free(derived);
				cli_input_free(&in);
				return CLI_EXIT_USAGE;
			}
			out = derived;
		}
	}
	rc = write_output(out, &in);
	if (!rc && derived)
		printf("wrote %s: %zu instructions (%zu bytes)\n", derived, in.cnt,
		       in.cnt * sizeof(struct userbpf_insn));
	free(derived);
	cli_input_free(&in);
	return rc;
}

const struct cli_command cli_cmd_asm = {
    .name = "asm",
    .summary = "assemble a program into raw bytecode",
    .usage = "asm FILE [-o OUT]",
    .help = "Assemble FILE into raw little-endian bytecode (8 bytes per instruction slot, lddw\n"
	    "takes two). FILE is assembly text in either syntax (the kernel's C-like\n"
	    "`r0 = *(u32 *)(r1 + 4)` or bpf_conformance's `ldxw %r0, [%r1+4]`, mixed freely, with\n"
	    "labels and ;, # or // comments), a .data file (its raw section if any, else its asm\n"
	    "section) or raw bytecode (copied as is). '-' reads standard input.\n"
	    "\n"
	    "Options:\n"
	    "  -o, --output OUT   write the bytecode to OUT ('-' for standard output)\n"
	    "\n"
	    "Without -o, the bytecode goes to standard output when it is not a terminal (a pipe\n"
	    "or a redirection); on a terminal it goes to FILE with its extension replaced by\n"
	    ".bin (prog.s -> prog.bin), never overwriting FILE itself.\n",
    .main = asm_main,
};
