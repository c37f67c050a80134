/*
 * cmd_disasm.c - `userbpf disasm FILE|OBJ [--prog NAME] [--syntax c|conformance] [--no-index]`: one
 * instruction per line; for an ELF object, each program with its functions labelled and the C source
 * lines (BTF line info) interleaved, as `llvm-objdump -S` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "obj.h"

extern const struct cli_command cli_cmd_disasm;

enum { OPT_SYNTAX = 1, OPT_NO_INDEX, OPT_PROG };

static const struct cli_opt disasm_opts[] = {
    {"syntax", 's', true, OPT_SYNTAX},
    {"no-index", 'n', false, OPT_NO_INDEX},
    {"prog", 'p', true, OPT_PROG},
    {NULL, 0, false, 0},
};

/* Source lines: the base name of the file, the text without its indentation. */
static void print_source(const char *file, unsigned int line, const char *text)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	while (*text == ' ' || *text == '\t')
		text++;
	if (*text)
		printf("; %s:%u: %s\n", base, line, text);
	else
		printf("; %s:%u\n", base, line);
}

/* A comment after the instruction: the map an lddw loads, the helper or function a call reaches. */
static void annotate(const struct cli_obj *o, const struct userbpf_program *p, const struct userbpf_insn *in,
		     size_t idx)
{
	if (in->code == 0x18 && (in->src_reg == 5 || in->src_reg == 6)) {
		const struct userbpf_object_map *m = userbpf_object__map_by_index(o->obj, (uint32_t)in->imm);
		if (m)
			printf("  ; %s%s", in->src_reg == 6 ? "&" : "", userbpf_object_map__name(m));
	} else if (in->code == 0x85 && in->src_reg == 0) {
		const char *hn = cli_helper_name((uint32_t)in->imm);
		if (hn)
			printf("  ; %s", hn);
	} else if ((in->code == 0x85 && in->src_reg == 1) || (in->code == 0x18 && in->src_reg == 4)) {
		/* Local calls and function addresses: relative to the next slot. */
		int64_t target = (int64_t)idx + 1 + in->imm;
		for (size_t f = 0; f < userbpf_program__func_cnt(p); f++) {
			const char *name;
			size_t off;
			if (!userbpf_program__func(p, f, &name, &off, NULL, NULL) && (int64_t)off == target) {
				printf("  ; %s", name);
				break;
			}
		}
	}
}

static void disasm_program(const struct cli_obj *o, const struct userbpf_program *p,
			   enum userbpf_syntax syntax, bool index)
{
	const struct userbpf_insn *insns = userbpf_program__insns(p);
	size_t cnt = userbpf_program__insn_cnt(p), nf = userbpf_program__func_cnt(p), next_func = 0;
	const char *type = userbpf_prog_type_name(userbpf_program__type(p));
	const char *last_file = NULL;
	unsigned int last_line = 0;
	char line[256];

	printf("; program %s (section %s, type %s, %zu insns)\n", userbpf_program__name(p),
	       userbpf_program__section_name(p), type ? type : "?", cnt);
	if (nf == 0)
		printf("%s:\n", userbpf_program__name(p));
	for (size_t i = 0; i < cnt;) {
		const char *file, *text;
		unsigned int ln;
		int used;

		/* Function labels (the program first, then its subprograms, in order of offset). */
		while (next_func < nf) {
			const char *fname;
			size_t off;
			if (userbpf_program__func(p, next_func, &fname, &off, NULL, NULL) || off > i)
				break;
			if (off == i) {
				printf("%s%s:\n", next_func ? "\n" : "", fname);
				last_file = NULL;
			}
			next_func++;
		}
		if (!userbpf_program__line_info(p, i, &file, &ln, NULL, &text) &&
		    (file != last_file || ln != last_line)) {
			print_source(file, ln, text ? text : "");
			last_file = file;
			last_line = ln;
		}
		used = userbpf_disasm_insn(insns, cnt, i, syntax, line, sizeof(line));
		if (used < 1)
			used = 1; /* invalid or truncated: line holds a `.insn` that reassembles to it */
		if (index)
			printf("%4zu: %s", i, line);
		else
			printf("\t%s", line);
		annotate(o, p, &insns[i], i);
		printf("\n");
		i += (size_t)used;
	}
}

static int disasm_object(const char *file, char *buf, size_t len, const char *prog_name,
			 enum userbpf_syntax syntax, bool index)
{
	struct cli_obj o;
	struct userbpf_program *p;
	bool first = true;
	int rc = cli_obj_open_buf(file, buf, len, &o);
	if (rc)
		return rc;
	if (prog_name && !userbpf_object__find_program_by_name(o.obj, prog_name)) {
		cli_err("%s: no program named '%s'", o.name, prog_name);
		cli_obj_close(&o);
		return CLI_EXIT_USAGE;
	}
	if (userbpf_object__program_cnt(o.obj) == 0)
		printf("; %s has no programs\n", o.name);
	userbpf_object__for_each_program(p, o.obj)
	{
		if (prog_name && strcmp(userbpf_program__name(p), prog_name) != 0)
			continue;
		if (!first)
			printf("\n");
		first = false;
		disasm_program(&o, p, syntax, index);
	}
	cli_obj_close(&o);
	return CLI_EXIT_OK;
}

static int disasm_main(int argc, char **argv)
{
	const struct cli_command *cmd = &cli_cmd_disasm;
	enum userbpf_syntax syntax = USERBPF_SYNTAX_C;
	bool index = true;
	const char *file = NULL, *prog_name = NULL;
	struct cli_parser p;
	char *buf;
	size_t len;
	int id, rc;

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
		case OPT_PROG:
			prog_name = p.arg;
			break;
		}
	}
	if (!file)
		return cli_usage_err(cmd, "missing FILE");

	rc = cli_read_file(file, &buf, &len);
	if (rc)
		return rc;
	if (cli_is_elf(buf, len))
		return disasm_object(file, buf, len, prog_name, syntax, index);
	if (prog_name) {
		free(buf);
		cli_err("%s: --prog applies to ELF objects only", cli_display_name(file));
		return CLI_EXIT_USAGE;
	}

	struct cli_input in;
	rc = cli_load_input_buf(file, buf, len, &in);
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
    .usage = "disasm FILE|OBJ [--prog NAME] [--syntax c|conformance] [--no-index]",
    .help = "Print the instructions of FILE (raw bytecode, assembly or .data, see 'userbpf\n"
	    "--help'), one per line, after the index of its first slot: lddw uses two slots, so\n"
	    "the line after an lddw at 0 is numbered 2. Jump offsets are relative (goto +3).\n"
	    "Slots that are not valid instructions are shown as `.insn` lines that assemble back\n"
	    "to the same bytes.\n"
	    "\n"
	    "For an ELF object OBJ (recognised by its ELF magic), every program as it is loaded:\n"
	    "its body followed by the subprograms it calls, each function under its label, map\n"
	    "references as `lddw map_idx(N)` annotated with the map's name, helper calls with the\n"
	    "helper's name, and, where the object has BTF line info, the C source line before the\n"
	    "first instruction of each new line:  '; file.c:41: return x + 1;'.\n"
	    "\n"
	    "Options:\n"
	    "  -p, --prog NAME           OBJ: only the program NAME\n"
	    "  -s, --syntax c            the kernel verifier's / llvm-objdump's syntax (default):\n"
	    "                            r0 = *(u32 *)(r1 + 4), if r3 > r2 goto +10, w0 = 2\n"
	    "  -s, --syntax conformance  bpf_conformance's syntax: ldxw %r0, [%r1+4], mov32 %r0, 2\n"
	    "  -n, --no-index            omit the indices: the output is input for 'userbpf asm'\n",
    .main = disasm_main,
};
