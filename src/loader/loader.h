/*
 * loader.h - internals of the object loader shared by its files:
 *   elf.c       sections and symbols (libelf), bounds checks
 *   sec_def.c   program type from section name
 *   btf.c       .BTF (libbpf's parser) and .BTF.ext (func and line info)
 *   maps_def.c  legacy `maps`, BTF `.maps`, global data maps
 *   reloc.c     relocations, subprogram linking, per-program line info
 *   object.c    the public API (open, inspect, close)
 *   load.c      userbpf_object__load: maps and programs created
 */
#ifndef USERBPF_LOADER_H
#define USERBPF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userbpf/object.h"

#ifndef USERBPF_HIDDEN
#define USERBPF_HIDDEN __attribute__((visibility("hidden")))
#endif

/* What a section is to the loader. */
enum loader_sec_kind {
	LOADER_SEC_OTHER = 0,
	LOADER_SEC_PROG,	/* executable code (.text or a program section) */
	LOADER_SEC_MAPS_LEGACY, /* "maps" */
	LOADER_SEC_MAPS_BTF,	/* ".maps" */
	LOADER_SEC_DATA,	/* .data, .rodata, .bss and their .* variants */
	LOADER_SEC_REL,		/* SHT_REL */
};

struct loader_sec {
	const char *name;
	uint32_t type;	 /* SHT_* */
	uint64_t flags;	 /* SHF_* */
	uint64_t offset; /* in the file (for messages) */
	uint64_t size;
	const uint8_t *data; /* NULL for NOBITS or empty */
	uint32_t link, info, entsize;
	enum loader_sec_kind kind;
	int map_idx; /* LOADER_SEC_DATA: its map, or -1 */
	/* LOADER_SEC_PROG: the relocated instructions and, per instruction, a local call or function
	 * address target (index into obj->funcs) or -1. */
	struct userbpf_insn *insns;
	size_t insn_cnt;
	int32_t *call_target;
};

struct loader_sym {
	const char *name;
	uint64_t value, size;
	uint32_t shndx;
	uint8_t type, bind;
};

/* A function of an executable section: a program or a subprogram. */
struct loader_func {
	const char *name;
	uint32_t sec;
	uint32_t start, cnt; /* in instructions, within the section */
	bool global;
	uint32_t btf_type_id; /* from .BTF.ext func info, 0 if none */
};

/* A line info record, in section (then program) instruction indices. */
struct loader_line {
	uint32_t insn;
	uint32_t file_off, line_off; /* BTF string offsets */
	uint32_t line, col;
};

/* A function's place in a linked program. */
struct loader_prog_func {
	uint32_t func;	/* index into obj->funcs */
	uint32_t start; /* first instruction in the program */
};

struct userbpf_program {
	struct userbpf_object *obj;
	size_t idx;
	const char *name;
	const char *sec_name;
	uint32_t func; /* obj->funcs index of the main function */
	enum userbpf_prog_type type;
	uint32_t attach_type;
	bool autoload;
	struct userbpf_insn *insns;
	size_t insn_cnt;
	struct loader_prog_func *funcs;
	size_t nr_funcs;
	struct loader_line *lines;
	size_t nr_lines;
	struct userbpf_prog *prog; /* after load */
};

/* A slot of a map's initial contents from a `values` array of a BTF map definition. */
struct loader_map_slot {
	uint32_t key;
	int target; /* map index (map-in-map) or program index (prog_array) */
};

enum loader_map_kind { LOADER_MAP_LEGACY, LOADER_MAP_BTF, LOADER_MAP_DATA, LOADER_MAP_INNER };

struct userbpf_object_map {
	struct userbpf_object *obj;
	size_t idx;
	char *name;
	enum loader_map_kind kind;
	uint32_t sec;	  /* defining section */
	uint64_t sec_off; /* offset of the definition in it */
	uint32_t type, key_size, value_size, max_entries, map_flags, pinning, numa_node;
	uint64_t map_extra;
	uint32_t btf_key_type_id, btf_value_type_id;
	int32_t spin_lock_off; /* offset of a struct bpf_spin_lock in the value (BTF maps), or -1 */
	uint32_t values_off;   /* BTF maps with `values`: byte offset of the array in the definition */
	bool has_values;
	struct userbpf_object_map *inner;
	struct loader_map_slot *slots;
	size_t nr_slots;
	const uint8_t *init;	 /* global data: section bytes (NULL for .bss) */
	struct userbpf_map *map; /* after load */
};

struct userbpf_object {
	char name[64];
	uint8_t *image;
	size_t image_size;
	void *elf; /* Elf * */
	struct loader_sec *secs;
	size_t nr_secs;
	struct loader_sym *syms;
	size_t nr_syms;
	uint32_t symtab_sec;
	int text_sec; /* index of .text or -1 */
	struct loader_func *funcs;
	size_t nr_funcs;
	struct userbpf_program *progs;
	size_t nr_progs;
	struct userbpf_object_map **maps;
	size_t nr_maps;
	char license[128];
	uint32_t kversion;
	struct btf *btf;
	int btf_sec, btf_ext_sec;
	/* .BTF.ext: line records per section (indexed like secs), func info records per section */
	struct loader_line **sec_lines;
	size_t *sec_nr_lines;
	char *log_buf;
	size_t log_size;
	bool loaded;
	/* set by load.c: frees what load created (keeps object.c free of references to the runtime) */
	void (*unload)(struct userbpf_object *obj);
};

/* object.c: one-line error "OBJ: section 'S' offset 0xN: MSG" (sec < 0: no section part). Returns -EINVAL. */
USERBPF_HIDDEN int loader_err(struct userbpf_object *obj, int sec, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with a chosen errno (returned negative). */
USERBPF_HIDDEN int loader_errno(struct userbpf_object *obj, int err, int sec, uint64_t off, const char *fmt,
				...) __attribute__((format(printf, 5, 6)));
/* Replace control characters (a newline in a symbol name...) with '?'. */
USERBPF_HIDDEN void loader_sanitize(char *s);
/* Section name for messages (never NULL). */
USERBPF_HIDDEN const char *loader_sec_name(const struct userbpf_object *obj, int sec);

/* elf.c */
USERBPF_HIDDEN int elf_parse(struct userbpf_object *obj);
USERBPF_HIDDEN void elf_release(struct userbpf_object *obj);
/* One relocation of a SHT_REL section. */
struct loader_rel {
	uint64_t offset; /* in the target section */
	uint32_t type, sym;
	uint64_t at; /* file offset of the entry (for messages) */
};
/* Read the relocations of SHT_REL section `sec` (malloc'ed array; *n may be 0). */
USERBPF_HIDDEN int elf_read_rels(struct userbpf_object *obj, uint32_t sec, struct loader_rel **out,
				 size_t *n);
USERBPF_HIDDEN int elf_find_sec(const struct userbpf_object *obj, const char *name);

/* sec_def.c: type and expected attach type of a program section; false when the name is unknown. */
USERBPF_HIDDEN bool loader_sec_def(const char *sec_name, enum userbpf_prog_type *type, uint32_t *attach);

/* btf.c */
USERBPF_HIDDEN int loader_btf_parse(struct userbpf_object *obj);
USERBPF_HIDDEN void loader_btf_free(struct userbpf_object *obj);
/* Name of BTF string `off`, "" if out of range or no BTF. */
USERBPF_HIDDEN const char *loader_btf_str(const struct userbpf_object *obj, uint32_t off);
/* Parse a BTF map definition (the struct of VAR `name` in DATASEC .maps) into `map`. */
USERBPF_HIDDEN int loader_btf_map_def(struct userbpf_object *obj, struct userbpf_object_map *map);

/* maps_def.c */
USERBPF_HIDDEN int loader_collect_maps(struct userbpf_object *obj);
USERBPF_HIDDEN void loader_map_def_free(struct userbpf_object_map *map);
USERBPF_HIDDEN int loader_map_slots(struct userbpf_object *obj);
/* Map whose definition is at `off` in section `sec`, or -1. */
USERBPF_HIDDEN int loader_map_at(const struct userbpf_object *obj, uint32_t sec, uint64_t off);
USERBPF_HIDDEN bool loader_map_type_known(uint32_t type);

/* reloc.c */
USERBPF_HIDDEN int loader_collect_funcs(struct userbpf_object *obj);
USERBPF_HIDDEN int loader_relocate(struct userbpf_object *obj);
USERBPF_HIDDEN int loader_link_programs(struct userbpf_object *obj);
/* Function of section `sec` starting at instruction `insn`, or -1. */
USERBPF_HIDDEN int loader_func_at(const struct userbpf_object *obj, uint32_t sec, uint64_t insn);

#endif /* USERBPF_LOADER_H */
