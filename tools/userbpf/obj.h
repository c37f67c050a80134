/*
 * obj.h - what the object-aware subcommands (prog, map, disasm OBJ, run OBJ) share: opening an ELF
 * object with one-line errors, the kernel's helper names, a small JSON writer, and printing keys and
 * values by their BTF types (text or JSON), with hex where there is no usable type.
 */
#ifndef USERBPF_CLI_OBJ_H
#define USERBPF_CLI_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "userbpf/maps.h"
#include "userbpf/object.h"

/* An opened object and the bytes it came from (kept to read the ELF symbol table when needed). */
struct cli_obj {
	const char *name; /* as given on the command line ("<stdin>" for "-") */
	struct userbpf_object *obj;
	char *buf;
	size_t len;
};

/* True when the bytes start with the ELF magic. */
bool cli_is_elf(const void *buf, size_t len);

/*
 * Open the object held in `buf` (taken over: freed by cli_obj_close). 0, or the one error line has
 * been printed and the exit status (2) is returned.
 */
int cli_obj_open_buf(const char *path, char *buf, size_t len, struct cli_obj *o);
/* Read `path` and open it; a file that is not ELF is refused with one line. */
int cli_obj_open(const char *path, struct cli_obj *o);
void cli_obj_close(struct cli_obj *o);

struct cli_command;
/*
 * The whole of `prog list OBJ [--json]` and `map list OBJ [--json]` but for what they print: parses
 * the arguments (verb `list`, or its alias `show`, one OBJ, -j/--json), opens OBJ and calls `text` or
 * `json`. Returns the exit status.
 */
int cli_obj_list_main(const struct cli_command *cmd, int argc, char **argv,
		      void (*text)(const struct cli_obj *o), void (*json)(const struct cli_obj *o));

/* Name of kernel helper `id` ("map_lookup_elem"), NULL if the kernel has no helper of that number. */
const char *cli_helper_name(uint32_t id);

/* Maps and helpers one program refers to, in the order of map index and helper id. */
struct cli_prog_refs {
	size_t *maps;
	size_t nr_maps;
	uint32_t *helpers;
	size_t nr_helpers;
	size_t nr_kfuncs; /* calls of kernel functions (src_reg 2): not resolvable here */
};
int cli_prog_refs(const struct userbpf_program *prog, struct cli_prog_refs *refs);
void cli_prog_refs_free(struct cli_prog_refs *refs);

/* ---------------------------------------------------------------------------------------------- */
/* JSON output: one compact document; commas are placed by the writer.                              */

#define JSON_MAX_DEPTH 64

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_strf(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Bytes as a string of hex digit pairs separated by spaces: "01 00 ff". */
void json_hex(struct json *j, const void *data, size_t size);

/* Convenience: "key": value inside an object. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* ---------------------------------------------------------------------------------------------- */
/* Values by BTF type                                                                               */

/* Bytes as hex pairs separated by spaces, to f. */
void cli_print_hex(FILE *f, const void *data, size_t size);

/*
 * Print `size` bytes at `data` as BTF type `type_id` of `o`'s object: integers in decimal, enums by
 * name, structs and unions with their field names, arrays, char arrays as strings when printable;
 * hex when the object has no BTF, type_id is 0, or the type's size differs from `size`. Text to f
 * ({a = 1, b = [1, 2], name = "abc"}), or JSON values when j is not NULL.
 */
void cli_print_value(const struct cli_obj *o, uint32_t type_id, const void *data, size_t size, FILE *f,
		     struct json *j);

/* Name of BTF type `type_id` as C spells it ("struct pair", "__u32", "char[16]"), into buf. */
const char *cli_btf_type_name(const struct cli_obj *o, uint32_t type_id, char *buf, size_t size);

/*
 * For a global data map whose value type is a BTF DATASEC: call fn for each variable with its name,
 * type, offset and size (offsets from the ELF symbol table when the compiler left them 0). Returns
 * the number of variables, or -1 when the type is not a DATASEC.
 */
typedef void (*cli_var_fn)(void *cookie, const char *name, uint32_t type_id, uint32_t off, uint32_t size);
int cli_datasec_vars(const struct cli_obj *o, uint32_t datasec_id, uint32_t value_size, cli_var_fn fn,
		     void *cookie);

#endif /* USERBPF_CLI_OBJ_H */
