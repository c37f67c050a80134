/*
 * main.c - the `userbpf` command: dispatch to subcommands, `--help`, `--version`, `help CMD`.
 *
 * Adding a subcommand: write tools/userbpf/cmd_NAME.c defining `const struct cli_command
 * cli_cmd_NAME` and add NAME to CLI_COMMANDS below.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The subcommands, in the order `userbpf --help` lists them. */
#define CLI_COMMANDS(X) X(asm) X(disasm) X(run) X(prog) X(map) X(filter) X(monitor)

#define CLI_DECLARE(NAME) extern const struct cli_command cli_cmd_##NAME;
CLI_COMMANDS(CLI_DECLARE)
#define CLI_ENTRY(NAME) &cli_cmd_##NAME,
static const struct cli_command *const commands[] = {CLI_COMMANDS(CLI_ENTRY)};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: userbpf COMMAND [ARGS...]\n"
		   "       userbpf help COMMAND | --help | --version\n"
		   "\n"
		   "Run, assemble, disassemble and inspect eBPF programs and objects outside the kernel.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "  %-10s %s\n", "help", "show the help of a command");
	fprintf(f, "\n"
		   "A FILE is raw bytecode (8-byte little-endian instructions), assembly text (the kernel's\n"
		   "C-like syntax or bpf_conformance's, mixed freely) or a bpf_conformance .data file;\n"
		   "'-' reads standard input. An OBJ is an eBPF ELF object as clang builds it\n"
		   "(clang -O2 -g -target bpf); disasm and run take one in place of a FILE.\n"
		   "\n"
		   "Exit status: 0 success, 1 the program failed at run time, 2 bad input or arguments.\n"
		   "Errors are one line: 'userbpf: FILE:LINE:COL: what is wrong'.\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2) {
		cli_err("help: too many arguments (see 'userbpf --help')");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0) {
		printf("usage: userbpf help COMMAND\n\nShow the help of COMMAND.\n");
		return CLI_EXIT_OK;
	}
	const struct cli_command *cmd = find_command(argv[1]);
	if (!cmd) {
		cli_err("help: unknown command '%s' (see 'userbpf --help')", argv[1]);
		return CLI_EXIT_USAGE;
	}
	cli_print_help(cmd);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		print_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("userbpf %s\n", userbpf_version());
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "help") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (name[0] == '-') {
		cli_err("unknown option '%s' (see 'userbpf --help')", name);
		return CLI_EXIT_USAGE;
	}
	const struct cli_command *cmd = find_command(name);
	if (!cmd) {
		cli_err("unknown command '%s' (see 'userbpf --help')", name);
		return CLI_EXIT_USAGE;
	}
	/* `userbpf CMD --help` anywhere before "--" shows the command's help. */
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(cmd);
			return CLI_EXIT_OK;
		}
	}
	int rc = cmd->main(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_err("error writing standard output");
		return CLI_EXIT_USAGE;
	}
	return rc;
}
