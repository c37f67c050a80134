/*
 * cmd_map.c - `userbpf map list OBJ [--json]`: the maps of an ELF object (legacy, BTF-defined and
 * global data), with type, sizes, limits, flags, pinning and their BTF key/value types.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "obj.h"

extern const struct cli_command cli_cmd_map;

static const char *map_type_str(enum userbpf_map_type type, char *buf, size_t size)
{
	const char *n = userbpf_map_type_name(type);
	if (n)
		return n;
	snprintf(buf, size, "type %u", (unsigned)type);
	return buf;
}

static const char *pinning_str(uint32_t pinning, char *buf, size_t size)
{
	if (pinning == USERBPF_PIN_NONE)
		return "none";
	if (pinning == USERBPF_PIN_BY_NAME)
		return "by_name";
	snprintf(buf, size, "%" PRIu32, pinning);
	return buf;
}

static void print_map_text(const struct cli_obj *o, const struct userbpf_object_map *m, const char *indent)
{
	char tb[32], kt[256], vt[256];
	const char *ktn = cli_btf_type_name(o, userbpf_object_map__btf_key_type_id(m), kt, sizeof(kt));
	const char *vtn = cli_btf_type_name(o, userbpf_object_map__btf_value_type_id(m), vt, sizeof(vt));
	const struct userbpf_object_map *inner = userbpf_object_map__inner_map(m);

	printf("%stype:        %s\n", indent, map_type_str(userbpf_object_map__type(m), tb, sizeof(tb)));
	printf("%skey:         %" PRIu32 " bytes%s%s%s\n", indent, userbpf_object_map__key_size(m),
	       ktn ? " (" : "", ktn ? ktn : "", ktn ? ")" : "");
	printf("%svalue:       %" PRIu32 " bytes%s%s%s\n", indent, userbpf_object_map__value_size(m),
	       vtn ? " (" : "", vtn ? vtn : "", vtn ? ")" : "");
	printf("%smax_entries: %" PRIu32 "\n", indent, userbpf_object_map__max_entries(m));
	printf("%sflags:       0x%" PRIx32 "\n", indent, userbpf_object_map__map_flags(m));
	if (userbpf_object_map__map_extra(m))
		printf("%smap_extra:   0x%" PRIx64 "\n", indent, userbpf_object_map__map_extra(m));
	if (inner) {
		char in2[16];
		printf("%sinner map:\n", indent);
		snprintf(in2, sizeof(in2), "%s  ", indent);
		print_map_text(o, inner, in2);
	}
}

static void list_text(const struct cli_obj *o)
{
	struct userbpf_object_map *m;
	bool first = true;

	userbpf_object__for_each_map(m, o->obj)
	{
		char pb[16];
		if (!first)
			printf("\n");
		first = false;
		printf("%s\n", userbpf_object_map__name(m));
		print_map_text(o, m, "  ");
		printf("  pinning:     %s\n", pinning_str(userbpf_object_map__pinning(m), pb, sizeof(pb)));
		printf("  section:     %s\n", userbpf_object_map__section_name(m));
		printf("  global data: %s\n", userbpf_object_map__is_global_data(m) ? "yes" : "no");
	}
}

static void map_json_fields(const struct cli_obj *o, const struct userbpf_object_map *m, struct json *j)
{
	char kt[256], vt[256];
	enum userbpf_map_type type = userbpf_object_map__type(m);
	const struct userbpf_object_map *inner = userbpf_object_map__inner_map(m);

	json_kv_str(j, "type", userbpf_map_type_name(type));
	json_kv_u64(j, "type_id", (uint64_t)type);
	json_kv_u64(j, "key_size", userbpf_object_map__key_size(m));
	json_kv_u64(j, "value_size", userbpf_object_map__value_size(m));
	json_kv_u64(j, "max_entries", userbpf_object_map__max_entries(m));
	json_kv_u64(j, "flags", userbpf_object_map__map_flags(m));
	json_kv_u64(j, "map_extra", userbpf_object_map__map_extra(m));
	json_kv_str(j, "btf_key_type",
		    cli_btf_type_name(o, userbpf_object_map__btf_key_type_id(m), kt, sizeof(kt)));
	json_kv_str(j, "btf_value_type",
		    cli_btf_type_name(o, userbpf_object_map__btf_value_type_id(m), vt, sizeof(vt)));
	if (inner) {
		json_key(j, "inner_map");
		json_obj_begin(j);
		map_json_fields(o, inner, j);
		json_obj_end(j);
	}
}

static void list_json(const struct cli_obj *o)
{
	struct userbpf_object_map *m;
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kv_str(&j, "object", userbpf_object__name(o->obj));
	json_key(&j, "maps");
	json_arr_begin(&j);
	userbpf_object__for_each_map(m, o->obj)
	{
		char pb[16];
		json_obj_begin(&j);
		json_kv_str(&j, "name", userbpf_object_map__name(m));
		json_kv_u64(&j, "index", userbpf_object_map__index(m));
		map_json_fields(o, m, &j);
		json_kv_str(&j, "pinning", pinning_str(userbpf_object_map__pinning(m), pb, sizeof(pb)));
		json_kv_str(&j, "section", userbpf_object_map__section_name(m));
		json_kv_bool(&j, "global_data", userbpf_object_map__is_global_data(m));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}

static int map_main(int argc, char **argv)
{
	return cli_obj_list_main(&cli_cmd_map, argc, argv, list_text, list_json);
}

const struct cli_command cli_cmd_map = {
    .name = "map",
    .summary = "list the maps of an ELF object",
    .usage = "map list OBJ [--json]",
    .help = "List every map of OBJ, an eBPF ELF object: the legacy `maps` section, BTF-defined\n"
	    "`.maps` and the global data sections (.rodata, .data, .bss, .rodata.*, .data.*),\n"
	    "which are single-entry arrays. For each: name, type, key and value sizes with their\n"
	    "BTF types when the object has them, max_entries, flags, map_extra, the inner map of\n"
	    "a map-in-map, pinning (read and reported, never acted on), the section, and whether\n"
	    "it holds global data.\n"
	    "\n"
	    "Options:\n"
	    "  -j, --json    one JSON object: {\"object\", \"maps\": [{\"name\", \"index\", \"type\",\n"
	    "                \"type_id\", \"key_size\", \"value_size\", \"max_entries\", \"flags\",\n"
	    "                \"map_extra\", \"btf_key_type\", \"btf_value_type\", \"inner_map\",\n"
	    "                \"pinning\", \"section\", \"global_data\"}]}\n"
	    "\n"
	    "Exit status: 0 success; 2 bad arguments or a malformed object (one line naming the\n"
	    "section and offset).\n",
    .main = map_main,
};
