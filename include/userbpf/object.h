/*
 * object.h - eBPF ELF objects as clang builds them, opened and loaded the way libbpf does.
 *
 * An object holds programs (one per function in a program section, plus the global functions of
 * .text), maps (legacy `maps`, BTF-defined `.maps`, and the global data sections .rodata/.data/.bss
 * as single-entry array maps), a license, a kernel version, and BTF with function and line info.
 *
 * Life cycle, as libbpf's: userbpf_object__open_file()/__open_mem() parse the ELF, apply the
 * relocations (map references become `lddw src=BPF_PSEUDO_MAP_IDX`, global data references
 * `lddw src=BPF_PSEUDO_MAP_IDX_VALUE`, subprograms are appended to each program that calls them)
 * and describe everything; nothing runs yet. userbpf_object__load() creates the maps with their
 * initial contents and loads the programs through userbpf_prog__load(). userbpf_object__close()
 * frees everything (maps and programs the host took references to with userbpf_map__get() live on).
 *
 * Errors: 0/-errno, or NULL + errno; the reason is one line in the log buffer of the opts, naming
 * the object, the section and the offset: "prog.o: section 'xdp' offset 0x40: relocation against
 * symbol 99 which does not exist".
 */
#ifndef USERBPF_OBJECT_H
#define USERBPF_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <userbpf/userbpf.h>
#include <userbpf/maps.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Program types, numbered as the kernel's enum bpf_prog_type. */
enum userbpf_prog_type {
	USERBPF_PROG_TYPE_UNSPEC = 0,
	USERBPF_PROG_TYPE_SOCKET_FILTER = 1,
	USERBPF_PROG_TYPE_KPROBE = 2,
	USERBPF_PROG_TYPE_SCHED_CLS = 3,
	USERBPF_PROG_TYPE_SCHED_ACT = 4,
	USERBPF_PROG_TYPE_TRACEPOINT = 5,
	USERBPF_PROG_TYPE_XDP = 6,
	USERBPF_PROG_TYPE_PERF_EVENT = 7,
	USERBPF_PROG_TYPE_CGROUP_SKB = 8,
	USERBPF_PROG_TYPE_CGROUP_SOCK = 9,
	USERBPF_PROG_TYPE_LWT_IN = 10,
	USERBPF_PROG_TYPE_LWT_OUT = 11,
	USERBPF_PROG_TYPE_LWT_XMIT = 12,
	USERBPF_PROG_TYPE_SOCK_OPS = 13,
	USERBPF_PROG_TYPE_SK_SKB = 14,
	USERBPF_PROG_TYPE_CGROUP_DEVICE = 15,
	USERBPF_PROG_TYPE_SK_MSG = 16,
	USERBPF_PROG_TYPE_RAW_TRACEPOINT = 17,
	USERBPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18,
	USERBPF_PROG_TYPE_LWT_SEG6LOCAL = 19,
	USERBPF_PROG_TYPE_LIRC_MODE2 = 20,
	USERBPF_PROG_TYPE_SK_REUSEPORT = 21,
	USERBPF_PROG_TYPE_FLOW_DISSECTOR = 22,
	USERBPF_PROG_TYPE_CGROUP_SYSCTL = 23,
	USERBPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24,
	USERBPF_PROG_TYPE_CGROUP_SOCKOPT = 25,
	USERBPF_PROG_TYPE_TRACING = 26,
	USERBPF_PROG_TYPE_STRUCT_OPS = 27,
	USERBPF_PROG_TYPE_EXT = 28,
	USERBPF_PROG_TYPE_LSM = 29,
	USERBPF_PROG_TYPE_SK_LOOKUP = 30,
	USERBPF_PROG_TYPE_SYSCALL = 31,
	USERBPF_PROG_TYPE_NETFILTER = 32,
};

/** Name of a program type ("xdp", "sched_cls", ... as bpftool prints them), NULL if unknown. */
USERBPF_API const char *userbpf_prog_type_name(enum userbpf_prog_type type);

/* Pinning of a BTF-defined map (LIBBPF_PIN_*): read and reported, never acted on. */
#define USERBPF_PIN_NONE    0
#define USERBPF_PIN_BY_NAME 1

struct userbpf_object;
struct userbpf_program;	   /* a program of an object (libbpf's struct bpf_program) */
struct userbpf_object_map; /* a map of an object (libbpf's struct bpf_map) */
struct btf;		   /* libbpf's BTF (link -lbpf to use it) */

struct userbpf_object_open_opts {
	size_t sz;
	/** Name used in messages and by userbpf_object__name(); default: the file's base name, or "mem". */
	const char *object_name;
	/** Why the open failed, one NUL-terminated line. May be NULL. */
	char *log_buf;
	size_t log_size;
};

/** Open (parse, relocate, describe) an object file. NULL + errno (EINVAL malformed, ENOENT, ENOMEM...). */
USERBPF_API struct userbpf_object *userbpf_object__open_file(const char *path,
							     const struct userbpf_object_open_opts *opts);
/** The same from memory; the bytes are copied. */
USERBPF_API struct userbpf_object *userbpf_object__open_mem(const void *buf, size_t size,
							    const struct userbpf_object_open_opts *opts);

struct userbpf_object_load_opts {
	size_t sz;
	/** Helpers the programs may call; must outlive the programs. */
	const struct userbpf_helpers *helpers;
	/** Why the load failed: one line per problem, NUL-terminated. May be NULL. */
	char *log_buf;
	size_t log_size;
	/** Passed to every userbpf_prog__load(): CPU version (0 = 4) and USERBPF_PROG_F_* flags. */
	unsigned int cpu_version;
	unsigned int prog_flags;
	/**
	 * Contexts of host hooks: a program in section "hook/NAME" is loaded as
	 * USERBPF_PROG_TYPE_HOOK with the description named NAME (-ENOENT at load without one).
	 * Every other program is loaded with the type its section gives (packet.h).
	 */
	const struct userbpf_ctx_desc *const *ctx_descs;
	size_t nr_ctx_descs;
};

/**
 * Create the maps (with their initial contents and map-in-map slots) and load every program whose
 * autoload is on. 0, or -errno with nothing left created: -EINVAL, -EOPNOTSUPP (a map type userbpf
 * does not provide), -ENOMEM, -EBUSY (already loaded).
 */
USERBPF_API int userbpf_object__load(struct userbpf_object *obj, const struct userbpf_object_load_opts *opts);
USERBPF_API void userbpf_object__close(struct userbpf_object *obj);

USERBPF_API const char *userbpf_object__name(const struct userbpf_object *obj);
/** Contents of the `license` section ("" if none). */
USERBPF_API const char *userbpf_object__license(const struct userbpf_object *obj);
/** Contents of the `version` section (0 if none). */
USERBPF_API uint32_t userbpf_object__kversion(const struct userbpf_object *obj);
/** The object's BTF (libbpf's struct btf; owned by the object), NULL if it has none. */
USERBPF_API const struct btf *userbpf_object__btf(const struct userbpf_object *obj);

/* Programs, in the order of their sections and offsets. */
USERBPF_API size_t userbpf_object__program_cnt(const struct userbpf_object *obj);
/** The program after `prog` (the first one for NULL), NULL at the end. */
USERBPF_API struct userbpf_program *userbpf_object__next_program(const struct userbpf_object *obj,
								 const struct userbpf_program *prog);
/** NULL + ENOENT if no program has that (function) name. */
USERBPF_API struct userbpf_program *userbpf_object__find_program_by_name(const struct userbpf_object *obj,
									 const char *name);
#define userbpf_object__for_each_program(pos, obj)                                                           \
	for ((pos) = userbpf_object__next_program((obj), NULL); (pos);                                       \
	     (pos) = userbpf_object__next_program((obj), (pos)))

USERBPF_API const char *userbpf_program__name(const struct userbpf_program *prog);
USERBPF_API const char *userbpf_program__section_name(const struct userbpf_program *prog);
USERBPF_API enum userbpf_prog_type userbpf_program__type(const struct userbpf_program *prog);
/** Expected attach type, numbered as the kernel's enum bpf_attach_type (0 when the section implies none). */
USERBPF_API uint32_t userbpf_program__expected_attach_type(const struct userbpf_program *prog);
/**
 * Instructions after relocation: the function's body followed by every subprogram it reaches, local
 * calls fixed, maps as `lddw src=5 imm=map index`, global data as `lddw src=6 imm=map index,
 * next.imm=offset`, function addresses as `lddw src=4`.
 */
USERBPF_API const struct userbpf_insn *userbpf_program__insns(const struct userbpf_program *prog);
USERBPF_API size_t userbpf_program__insn_cnt(const struct userbpf_program *prog);
/** The loaded program (owned by the object), NULL before load or when autoload was off. */
USERBPF_API struct userbpf_prog *userbpf_program__prog(const struct userbpf_program *prog);
/** Programs in .text are not loaded by default; section programs are. Only before load: -EBUSY after. */
USERBPF_API int userbpf_program__set_autoload(struct userbpf_program *prog, bool autoload);
USERBPF_API bool userbpf_program__autoload(const struct userbpf_program *prog);

/**
 * Source position of instruction `insn_idx` from the BTF line info: the last line record at or
 * before it. Any of the out pointers may be NULL; strings are owned by the object ("" when BTF has
 * no text). 0, -ENOENT (no line info), -EINVAL (index out of range).
 */
USERBPF_API int userbpf_program__line_info(const struct userbpf_program *prog, size_t insn_idx,
					   const char **file, unsigned int *line, unsigned int *col,
					   const char **source_line);

/** Functions making up the program (the program first, then appended subprograms). */
USERBPF_API size_t userbpf_program__func_cnt(const struct userbpf_program *prog);
/**
 * Function `i`: its name, its first instruction in userbpf_program__insns(), its instruction count
 * and its BTF FUNC type id (0 without BTF func info). -ENOENT past the end.
 */
USERBPF_API int userbpf_program__func(const struct userbpf_program *prog, size_t i, const char **name,
				      size_t *insn_off, size_t *insn_cnt, uint32_t *btf_type_id);

/* Maps, in the order: legacy `maps`, `.maps`, then global data sections, as the object lists them. */
USERBPF_API size_t userbpf_object__map_cnt(const struct userbpf_object *obj);
/** Map `idx` (the index `lddw src=5/6` instructions carry), NULL + ENOENT past the end. */
USERBPF_API struct userbpf_object_map *userbpf_object__map_by_index(const struct userbpf_object *obj,
								    size_t idx);
USERBPF_API struct userbpf_object_map *userbpf_object__next_map(const struct userbpf_object *obj,
								const struct userbpf_object_map *map);
/** By name: the symbol name, or the section name for global data (".rodata", ".bss", ...). */
USERBPF_API struct userbpf_object_map *userbpf_object__find_map_by_name(const struct userbpf_object *obj,
									const char *name);
#define userbpf_object__for_each_map(pos, obj)                                                               \
	for ((pos) = userbpf_object__next_map((obj), NULL); (pos);                                           \
	     (pos) = userbpf_object__next_map((obj), (pos)))

USERBPF_API const char *userbpf_object_map__name(const struct userbpf_object_map *map);
USERBPF_API size_t userbpf_object_map__index(const struct userbpf_object_map *map);
USERBPF_API enum userbpf_map_type userbpf_object_map__type(const struct userbpf_object_map *map);
USERBPF_API uint32_t userbpf_object_map__key_size(const struct userbpf_object_map *map);
USERBPF_API uint32_t userbpf_object_map__value_size(const struct userbpf_object_map *map);
USERBPF_API uint32_t userbpf_object_map__max_entries(const struct userbpf_object_map *map);
USERBPF_API uint32_t userbpf_object_map__map_flags(const struct userbpf_object_map *map);
USERBPF_API uint64_t userbpf_object_map__map_extra(const struct userbpf_object_map *map);
USERBPF_API uint32_t userbpf_object_map__pinning(const struct userbpf_object_map *map);
/** The section the map is defined in ("maps", ".maps", ".rodata", ...). */
USERBPF_API const char *userbpf_object_map__section_name(const struct userbpf_object_map *map);
/** True for the maps of global data sections. */
USERBPF_API bool userbpf_object_map__is_global_data(const struct userbpf_object_map *map);
/** BTF type ids of key and value (0 when unknown). */
USERBPF_API uint32_t userbpf_object_map__btf_key_type_id(const struct userbpf_object_map *map);
USERBPF_API uint32_t userbpf_object_map__btf_value_type_id(const struct userbpf_object_map *map);
/** Offset of the `struct bpf_spin_lock` in the value (BTF maps), or -1. */
USERBPF_API int32_t userbpf_object_map__spin_lock_off(const struct userbpf_object_map *map);
/**
 * Global data: the section's bytes, value_size long (*size set). NULL for .bss (all zero; *size is
 * still set) and for other maps (*size 0).
 */
USERBPF_API const void *userbpf_object_map__initial_value(const struct userbpf_object_map *map, size_t *size);
/** Map-in-map: the inner map's definition (not one of the object's maps); NULL otherwise. */
USERBPF_API const struct userbpf_object_map *
userbpf_object_map__inner_map(const struct userbpf_object_map *map);
/** The created map (owned by the object; userbpf_map__get() to keep it), NULL before load. */
USERBPF_API struct userbpf_map *userbpf_object_map__map(const struct userbpf_object_map *map);

/*
 * Raw data for loading the object elsewhere (the kernel backend, include/userbpf/kernel.h).
 */

/** A line info record as the kernel's struct bpf_line_info: insn_off in instructions of the program. */
struct userbpf_line_info_rec {
	uint32_t insn_off;
	uint32_t file_name_off; /* BTF string offsets */
	uint32_t line_off;
	uint32_t line_col; /* line << 10 | column */
};
/** Line info records of the program (after linking: in its instruction indices, sorted). */
USERBPF_API size_t userbpf_program__line_info_cnt(const struct userbpf_program *prog);
/** Record `i`; -ENOENT past the end. */
USERBPF_API int userbpf_program__line_info_rec(const struct userbpf_program *prog, size_t i,
					       struct userbpf_line_info_rec *rec);
/** Initial slots of a map-in-map or prog_array from the `values` of its BTF definition. */
USERBPF_API size_t userbpf_object_map__slot_cnt(const struct userbpf_object_map *map);
/**
 * Slot `i`: its key, and the map (map-in-map) or program (prog_array) it holds; the other out
 * pointer gets NULL. Any out pointer may be NULL. -ENOENT past the end.
 */
USERBPF_API int userbpf_object_map__slot(const struct userbpf_object_map *map, size_t i, uint32_t *key,
					 const struct userbpf_object_map **map_target,
					 const struct userbpf_program **prog_target);
/** Size of the ELF section `name`: 0, or -ENOENT. */
USERBPF_API int userbpf_object__section_size(const struct userbpf_object *obj, const char *name,
					     uint64_t *size);
/** Offset in section `sec_name` of the symbol `name` defined there: 0, or -ENOENT. */
USERBPF_API int userbpf_object__symbol_offset(const struct userbpf_object *obj, const char *sec_name,
					      const char *name, uint64_t *offset);

#ifdef __cplusplus
}
#endif

#endif /* USERBPF_OBJECT_H */
