/*
 * cmd_prog.c - `userbpf prog list OBJ [--json]`: the programs of an ELF object, with their section,
 * type, instruction count, the maps they reference, the helpers they call and their subprograms.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "obj.h"

extern const struct cli_command cli_cmd_prog;

static const char *type_name(enum userbpf_prog_type type, char *buf, size_t size)
{
	const char *n = userbpf_prog_type_name(type);
	if (n)
		return n;
	snprintf(buf, size, "type %u", (unsigned)type);
	return buf;
}

static void list_text(const struct cli_obj *o)
{
	struct userbpf_program *p;
	bool first = true;

	userbpf_object__for_each_program(p, o->obj)
	{
		struct cli_prog_refs r;
		char tb[32];
		size_t nf = userbpf_program__func_cnt(p);

		if (!first)
			printf("\n");
		first = false;
		printf("%s\n", userbpf_program__name(p));
		printf("  section:     %s\n", userbpf_program__section_name(p));
		printf("  type:        %s\n", type_name(userbpf_program__type(p), tb, sizeof(tb)));
		printf("  insns:       %zu\n", userbpf_program__insn_cnt(p));
		printf("  autoload:    %s\n", userbpf_program__autoload(p) ? "yes" : "no");
		if (cli_prog_refs(p, &r)) {
			printf("  (out of memory)\n");
			continue;
		}
		printf("  maps:        ");
		for (size_t i = 0; i < r.nr_maps; i++) {
			const struct userbpf_object_map *m = userbpf_object__map_by_index(o->obj, r.maps[i]);
			printf("%s%s", i ? ", " : "", m ? userbpf_object_map__name(m) : "?");
		}
		printf("%s\n", r.nr_maps ? "" : "-");
		printf("  helpers:     ");
		for (size_t i = 0; i < r.nr_helpers; i++) {
			const char *hn = cli_helper_name(r.helpers[i]);
			printf("%s%" PRIu32 " %s", i ? ", " : "", r.helpers[i], hn ? hn : "(unknown)");
		}
		if (r.nr_kfuncs)
			printf("%s%zu kfunc call%s", r.nr_helpers ? ", " : "", r.nr_kfuncs,
			       r.nr_kfuncs == 1 ? "" : "s");
		printf("%s\n", r.nr_helpers || r.nr_kfuncs ? "" : "-");
		printf("  subprograms: ");
		for (size_t i = 1; i < nf; i++) {
			const char *fname = NULL;
			userbpf_program__func(p, i, &fname, NULL, NULL, NULL);
			printf("%s%s", i > 1 ? ", " : "", fname ? fname : "?");
		}
		printf("%s\n", nf > 1 ? "" : "-");
		cli_prog_refs_free(&r);
	}
}

static void list_json(const struct cli_obj *o)
{
	struct userbpf_program *p;
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kv_str(&j, "object", userbpf_object__name(o->obj));
	json_kv_str(&j, "license", userbpf_object__license(o->obj));
	json_key(&j, "programs");
	json_arr_begin(&j);
	userbpf_object__for_each_program(p, o->obj)
	{
		struct cli_prog_refs r;
		enum userbpf_prog_type type = userbpf_program__type(p);
		size_t nf = userbpf_program__func_cnt(p);
		bool have_refs = cli_prog_refs(p, &r) == 0;

		json_obj_begin(&j);
		json_kv_str(&j, "name", userbpf_program__name(p));
		json_kv_str(&j, "section", userbpf_program__section_name(p));
		json_kv_str(&j, "type", userbpf_prog_type_name(type));
		json_kv_u64(&j, "type_id", (uint64_t)type);
		json_kv_u64(&j, "insns", userbpf_program__insn_cnt(p));
		json_kv_bool(&j, "autoload", userbpf_program__autoload(p));
		json_key(&j, "maps");
		json_arr_begin(&j);
		for (size_t i = 0; have_refs && i < r.nr_maps; i++) {
			const struct userbpf_object_map *m = userbpf_object__map_by_index(o->obj, r.maps[i]);
			json_str(&j, m ? userbpf_object_map__name(m) : NULL);
		}
		json_arr_end(&j);
		json_key(&j, "helpers");
		json_arr_begin(&j);
		for (size_t i = 0; have_refs && i < r.nr_helpers; i++) {
			json_obj_begin(&j);
			json_kv_u64(&j, "id", r.helpers[i]);
			json_kv_str(&j, "name", cli_helper_name(r.helpers[i]));
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_kv_u64(&j, "kfunc_calls", have_refs ? r.nr_kfuncs : 0);
		json_key(&j, "subprograms");
		json_arr_begin(&j);
		for (size_t i = 1; i < nf; i++) {
			const char *fname = NULL;
			size_t off = 0, cnt = 0;
			userbpf_program__func(p, i, &fname, &off, &cnt, NULL);
			json_obj_begin(&j);
			json_kv_str(&j, "name", fname);
			json_kv_u64(&j, "insn_off", off);
			json_kv_u64(&j, "insns", cnt);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		if (have_refs)
			cli_prog_refs_free(&r);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}

static int prog_main(int argc, char **argv)
{
	return cli_obj_list_main(&cli_cmd_prog, argc, argv, list_text, list_json);
}

const struct cli_command cli_cmd_prog = {
    .name = "prog",
    .summary = "list the programs of an ELF object",
    .usage = "prog list OBJ [--json]",
    .help = "List every program of OBJ, an eBPF ELF object as clang builds it (clang -O2 -g\n"
	    "-target bpf): its name, section, program type (from the section name, as libbpf\n"
	    "derives it), instruction count (with the subprograms it calls appended), whether it\n"
	    "is loaded by default (programs of .text are not), the maps it references, the\n"
	    "helpers it calls (kernel numbers and names, whether or not userbpf provides them)\n"
	    "and its subprograms.\n"
	    "\n"
	    "Options:\n"
	    "  -j, --json    one JSON object: {\"object\", \"license\", \"programs\": [{\"name\",\n"
	    "                \"section\", \"type\", \"type_id\", \"insns\", \"autoload\", \"maps\",\n"
	    "                \"helpers\": [{\"id\", \"name\"}], \"kfunc_calls\", \"subprograms\":\n"
	    "                [{\"name\", \"insn_off\", \"insns\"}]}]}\n"
	    "\n"
	    "Exit status: 0 success; 2 bad arguments or a malformed object (one line naming the\n"
	    "section and offset).\n",
    .main = prog_main,
};
