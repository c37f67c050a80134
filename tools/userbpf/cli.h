/*
 * cli.h - what the `userbpf` subcommands share: the command descriptor, error reporting in the
 * one-line `userbpf: FILE:LINE:COL: what is wrong` form, option parsing helpers, and reading a
 * program from a FILE that may be raw bytecode, assembly text or a bpf_conformance `.data` file.
 *
 * Exit statuses: 0 success, 1 the program failed at run time, 2 bad input or bad arguments.
 */
#ifndef USERBPF_CLI_H
#define USERBPF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userbpf/userbpf.h"

#define CLI_EXIT_OK	 0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE	 2

/* Largest input file read, in bytes: far above the biggest loadable program in any form. */
#define CLI_MAX_FILE_SIZE (256u << 20)

/* One subcommand. main.c lists them; each lives in its own cmd_NAME.c. */
struct cli_command {
	const char *name;
	const char *summary;		    /* one line for `userbpf --help` */
	const char *usage;		    /* synopsis after "usage: userbpf " */
	const char *help;		    /* what `userbpf help NAME` prints after the synopsis */
	int (*main)(int argc, char **argv); /* argv[0] is the command name */
};

/* Print "userbpf: " + the message + "\n" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report bad arguments of `cmd` (one line, pointing to `userbpf help CMD`); returns CLI_EXIT_USAGE. */
int cli_usage_err(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the synopsis and help text of `cmd` to stdout. */
void cli_print_help(const struct cli_command *cmd);

/*
 * Minimal option parser shared by the subcommands: long options (`--name`, `--name=value`,
 * `--name value`), short ones (`-o value`, `-ovalue`, `-v`), `--` ends options, `-` is an operand.
 * Options and operands may come in any order.
 */
struct cli_opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 if none */
	bool has_arg;
	int id; /* returned by cli_next_opt */
};

struct cli_parser {
	int argc;
	char **argv;
	int idx;		    /* next argv index */
	bool no_more_opts;	    /* after "--" */
	const struct cli_opt *opts; /* terminated by an entry with name NULL */
	const struct cli_command *cmd;
	const char *arg;	/* the option's argument, or the operand */
	const char *short_rest; /* inside a cluster of short options ("-vq") */
};

#define CLI_OPT_OPERAND (-1) /* cli_next_opt: p->arg is a non-option argument */
#define CLI_OPT_END	(-2) /* no more arguments */
#define CLI_OPT_ERROR	(-3) /* reported already; exit with CLI_EXIT_USAGE */

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd, const struct cli_opt *opts,
		     int argc, char **argv);
int cli_next_opt(struct cli_parser *p);

/* Parse an unsigned decimal or 0x-hex number that fits in uint64_t; false if malformed. */
bool cli_parse_u64(const char *s, uint64_t *out);

/*
 * Parse hex bytes: pairs of hex digits, optionally separated by whitespace, ',' or ':', each group
 * optionally prefixed by 0x. 0 on success (*bytes malloc'ed, may be NULL when *len is 0); on error
 * a short reason in `err` and -EINVAL (or -ENOMEM).
 */
int cli_parse_hex(const char *s, uint8_t **bytes, size_t *len, char *err, size_t err_size);

/* Read a whole file ("-" is stdin). 0 on success (buf NUL-terminated); else reports and returns 2. */
int cli_read_file(const char *path, char **buf, size_t *len);

/* What a FILE operand held. */
enum cli_input_kind { CLI_INPUT_RAW, CLI_INPUT_ASM, CLI_INPUT_DATA };

struct cli_input {
	const char *name; /* as given on the command line ("-" shown as "<stdin>") */
	enum cli_input_kind kind;
	struct userbpf_insn *insns;
	size_t cnt;
	/* .data files only: */
	uint8_t *mem;
	size_t mem_len;
	bool has_mem;
	uint64_t result;
	bool has_result;
};

/*
 * Read and decode the program in `path`: `.data` by extension, else assembly if the bytes are
 * valid text, else raw bytecode (a whole number of 8-byte slots). 0 on success; otherwise the one
 * error line has been printed and the exit status (2) is returned.
 */
int cli_load_input(const char *path, struct cli_input *in);
/* The same on bytes already read (`buf` NUL-terminated at len, as cli_read_file gives; freed here). */
int cli_load_input_buf(const char *path, char *buf, size_t len, struct cli_input *in);
void cli_input_free(struct cli_input *in);

/* Name to show for a path ("-" is "<stdin>"). */
const char *cli_display_name(const char *path);

/* First line of `s` (up to the first newline), into buf. */
const char *cli_first_line(const char *s, char *buf, size_t size);

#endif /* USERBPF_CLI_H */
