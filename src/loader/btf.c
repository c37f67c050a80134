/*
 * btf.c - type information of an object: .BTF through libbpf's parser (btf__new validates the
 * blob, and the resulting struct btf is what the CLI and the kernel backend use), .BTF.ext read here
 * (libbpf 1.x has no public accessors for func and line info): function BTF ids and line records
 * per section, and BTF-defined map definitions (the `.maps` convention of bpf_helpers.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"

/* ---- libbpf's messages: captured into our one-line error instead of going to stderr ---- */

static __thread char *capture_buf;
static __thread size_t capture_size;
static libbpf_print_fn_t prev_print;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!capture_buf)
		return prev_print ? prev_print(level, fmt, ap) : 0;
	if (level == LIBBPF_WARN && !capture_buf[0]) {
		size_t n;
		vsnprintf(capture_buf, capture_size, fmt, ap);
		n = strlen(capture_buf);
		while (n && (capture_buf[n - 1] == '\n' || capture_buf[n - 1] == ' '))
			capture_buf[--n] = 0;
	}
	return 0;
}

static struct btf *btf_new_quiet(const void *data, uint32_t size, char *why, size_t why_size)
{
	struct btf *btf;
	libbpf_print_fn_t old;

	why[0] = 0;
	capture_buf = why;
	capture_size = why_size;
	old = libbpf_set_print(capture_print);
	if (old != capture_print)
		prev_print = old;
	btf = btf__new(data, size);
	libbpf_set_print(old);
	capture_buf = NULL;
	if (!btf && !why[0])
		snprintf(why, why_size, "%s", strerror(errno));
	return btf;
}

const char *loader_btf_str(const struct userbpf_object *obj, uint32_t off)
{
	const char *s = obj->btf ? btf__name_by_offset(obj->btf, off) : NULL;
	return s ? s : "";
}

/* ---- .BTF.ext ---- */

#define BTF_EXT_MAGIC 0xeB9F

struct ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
};

static int cmp_line(const void *a, const void *b)
{
	const struct loader_line *x = a, *y = b;
	if (x->insn != y->insn)
		return x->insn < y->insn ? -1 : 1;
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/*
 * Walk one info block (func or line): rec_size, then per section {name_off, count, records}.
 * `fn` handles one record of a section; `min_rec` is the smallest record the format allows.
 */
typedef int (*ext_rec_fn)(struct userbpf_object *obj, int sec, const uint8_t *rec, uint64_t at);

static int walk_info(struct userbpf_object *obj, const uint8_t *p, uint32_t len, uint64_t base,
		     uint32_t min_rec, const char *what, ext_rec_fn fn)
{
	int ext = obj->btf_ext_sec;
	uint32_t rec_size, pos = 4;
	int err;

	if (!len)
		return 0;
	if (len < 4)
		return loader_err(obj, ext, base, "%s block of %u bytes is too short", what, len);
	rec_size = rd32(p);
	if (rec_size < min_rec || rec_size > 1024 || rec_size % 4)
		return loader_err(obj, ext, base, "%s record size %u is invalid", what, rec_size);
	while (pos < len) {
		uint32_t name_off, cnt;
		const char *name;
		int sec;
		if (len - pos < 8)
			return loader_err(obj, ext, base + pos, "%s section header is truncated", what);
		name_off = rd32(p + pos);
		cnt = rd32(p + pos + 4);
		pos += 8;
		name = btf__name_by_offset(obj->btf, name_off);
		if (!name)
			return loader_err(obj, ext, base + pos - 8,
					  "%s: section name offset 0x%x is not a BTF string", what, name_off);
		sec = elf_find_sec(obj, name);
		if (sec < 0 || obj->secs[sec].kind != LOADER_SEC_PROG)
			return loader_err(obj, ext, base + pos - 8, "%s for section '%s' which holds no code",
					  what, name);
		if (cnt == 0 || (uint64_t)cnt * rec_size > len - pos)
			return loader_err(obj, ext, base + pos - 8, "%s: %u records of %u bytes do not fit",
					  what, cnt, rec_size);
		for (uint32_t i = 0; i < cnt; i++, pos += rec_size) {
			uint32_t insn_off = rd32(p + pos);
			if (insn_off % 8 || insn_off >= obj->secs[sec].size)
				return loader_err(obj, ext, base + pos,
						  "%s: instruction offset 0x%x is outside section '%s'", what,
						  insn_off, name);
			if ((err = fn(obj, sec, p + pos, base + pos)))
				return err;
		}
	}
	return 0;
}

static int on_func_info(struct userbpf_object *obj, int sec, const uint8_t *rec, uint64_t at)
{
	uint32_t insn = rd32(rec) / 8, type_id = rd32(rec + 4);
	const struct btf_type *t = btf__type_by_id(obj->btf, type_id);

	if (!t || !btf_is_func(t))
		return loader_err(obj, obj->btf_ext_sec, at, "func info: type %u is not a BTF FUNC", type_id);
	int f = loader_func_at(obj, (uint32_t)sec, insn);
	if (f >= 0) {
		obj->funcs[f].btf_type_id = type_id;
		return 0;
	}
	return loader_err(obj, obj->btf_ext_sec, at,
			  "func info: no function starts at instruction %u of '%s'", insn,
			  loader_sec_name(obj, sec));
}

static int on_line_info(struct userbpf_object *obj, int sec, const uint8_t *rec, uint64_t at)
{
	struct loader_line *l;
	size_t n = obj->sec_nr_lines[sec];
	uint32_t line_col = rd32(rec + 12);

	/* Grow by powers of two. */
	if ((n & (n - 1)) == 0) {
		void *p = realloc(obj->sec_lines[sec], (n ? 2 * n : 8) * sizeof(*l));
		if (!p)
			return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
		obj->sec_lines[sec] = p;
	}
	l = &obj->sec_lines[sec][n];
	l->insn = rd32(rec) / 8;
	l->file_off = rd32(rec + 4);
	l->line_off = rd32(rec + 8);
	l->line = line_col >> 10;
	l->col = line_col & 0x3ff;
	obj->sec_nr_lines[sec] = n + 1;
	return 0;
}

static int parse_ext(struct userbpf_object *obj)
{
	const struct loader_sec *s = &obj->secs[obj->btf_ext_sec];
	struct ext_hdr h = {0};
	uint64_t body;
	int err;

	if (s->size < 8)
		return loader_err(obj, obj->btf_ext_sec, 0, "header of %llu bytes is too short",
				  (unsigned long long)s->size);
	memcpy(&h, s->data, s->size < sizeof(h) ? s->size : sizeof(h));
	if (h.magic != BTF_EXT_MAGIC)
		return loader_err(obj, obj->btf_ext_sec, 0, "bad magic 0x%x", h.magic);
	if (h.version != 1)
		return loader_err(obj, obj->btf_ext_sec, 2, "unsupported version %u", h.version);
	if (h.hdr_len < sizeof(h) || h.hdr_len > s->size)
		return loader_err(obj, obj->btf_ext_sec, 4, "header length %u is invalid", h.hdr_len);
	body = s->size - h.hdr_len;
	if ((uint64_t)h.func_info_off + h.func_info_len > body ||
	    (uint64_t)h.line_info_off + h.line_info_len > body)
		return loader_err(obj, obj->btf_ext_sec, 8,
				  "func/line info goes past the end of the section");
	obj->sec_lines = calloc(obj->nr_secs, sizeof(*obj->sec_lines));
	obj->sec_nr_lines = calloc(obj->nr_secs, sizeof(*obj->sec_nr_lines));
	if (!obj->sec_lines || !obj->sec_nr_lines)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	err = walk_info(obj, s->data + h.hdr_len + h.func_info_off, h.func_info_len,
			h.hdr_len + h.func_info_off, 8, "func info", on_func_info);
	if (err)
		return err;
	err = walk_info(obj, s->data + h.hdr_len + h.line_info_off, h.line_info_len,
			h.hdr_len + h.line_info_off, 16, "line info", on_line_info);
	if (err)
		return err;
	for (size_t i = 0; i < obj->nr_secs; i++)
		if (obj->sec_nr_lines[i] > 1)
			qsort(obj->sec_lines[i], obj->sec_nr_lines[i], sizeof(struct loader_line), cmp_line);
	return 0;
}

int loader_btf_parse(struct userbpf_object *obj)
{
	char why[200];
	const struct loader_sec *s;

	if (obj->btf_sec < 0)
		return 0;
	s = &obj->secs[obj->btf_sec];
	if (s->size > UINT32_MAX)
		return loader_err(obj, obj->btf_sec, 0, "absurd size 0x%llx", (unsigned long long)s->size);
	obj->btf = btf_new_quiet(s->data, (uint32_t)s->size, why, sizeof(why));
	if (!obj->btf)
		return loader_err(obj, obj->btf_sec, 0, "invalid BTF: %s", why);
	if (obj->btf_ext_sec >= 0)
		return parse_ext(obj);
	return 0;
}

void loader_btf_free(struct userbpf_object *obj)
{
	if (obj->sec_lines)
		for (size_t i = 0; i < obj->nr_secs; i++)
			free(obj->sec_lines[i]);
	free(obj->sec_lines);
	free(obj->sec_nr_lines);
	obj->sec_lines = NULL;
	obj->sec_nr_lines = NULL;
	btf__free(obj->btf);
	obj->btf = NULL;
}

/* ---- BTF-defined maps ---- */

/* Skip typedefs and modifiers (bounded: BTF may loop). */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	for (int depth = 0; t && (btf_is_mod(t) || btf_is_typedef(t)) && depth < 32; depth++) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = NULL;
	if (res_id)
		*res_id = id;
	return t;
}

/* A `__uint(name, val)` member: int (*name)[val]; or an enum with one value (`__ulong`). */
static bool member_uint(const struct btf *btf, const struct btf_member *m, uint64_t *val)
{
	const struct btf_type *t = skip_mods(btf, m->type, NULL), *arr;

	if (t && btf_is_ptr(t)) {
		arr = skip_mods(btf, t->type, NULL);
		if (!arr || !btf_is_array(arr))
			return false;
		*val = btf_array(arr)->nelems;
		return true;
	}
	if (t && btf_is_enum(t) && btf_vlen(t) == 1) {
		*val = (uint32_t)btf_enum(t)->val;
		return true;
	}
	if (t && btf_is_enum64(t) && btf_vlen(t) == 1) {
		*val = btf_enum64_value(btf_enum64(t));
		return true;
	}
	return false;
}

/* Offset of a top-level `struct bpf_spin_lock` member of the value type, or -1. */
static int32_t spin_lock_off(const struct btf *btf, uint32_t value_id)
{
	const struct btf_type *st = value_id ? skip_mods(btf, value_id, NULL) : NULL;
	const struct btf_member *m;

	if (!st || !btf_is_struct(st))
		return -1;
	m = btf_members(st);
	for (unsigned i = 0; i < btf_vlen(st); i++, m++) {
		const struct btf_type *t = skip_mods(btf, m->type, NULL);
		const char *name = t && btf_is_struct(t) ? btf__name_by_offset(btf, t->name_off) : NULL;
		if (name && !strcmp(name, "bpf_spin_lock") && btf_member_bit_offset(st, i) % 32 == 0)
			return (int32_t)(btf_member_bit_offset(st, i) / 8);
	}
	return -1;
}

static int map_def_struct(struct userbpf_object *obj, struct userbpf_object_map *map, uint32_t struct_id,
			  bool inner);

static int btf_map_err(struct userbpf_object *obj, struct userbpf_object_map *map, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int btf_map_err(struct userbpf_object *obj, struct userbpf_object_map *map, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return loader_err(obj, (int)map->sec, map->sec_off, "map '%s': %s", map->name, msg);
}

static int member_type_size(struct userbpf_object *obj, struct userbpf_object_map *map, const char *name,
			    const struct btf_member *m, uint32_t *id, uint32_t *size)
{
	const struct btf_type *t = skip_mods(obj->btf, m->type, NULL);
	long long sz;

	if (!t || !btf_is_ptr(t))
		return btf_map_err(obj, map, "'%s' is not a pointer to a type (use __type())", name);
	sz = btf__resolve_size(obj->btf, t->type);
	if (sz < 0 || sz > UINT32_MAX)
		return btf_map_err(obj, map, "the size of '%s' cannot be resolved", name);
	*id = t->type;
	*size = (uint32_t)sz;
	return 0;
}

static int map_def_struct(struct userbpf_object *obj, struct userbpf_object_map *map, uint32_t struct_id,
			  bool inner)
{
	const struct btf *btf = obj->btf;
	const struct btf_type *st = skip_mods(btf, struct_id, NULL);
	const struct btf_member *m;
	bool has_key_size = false, has_value_size = false;
	uint32_t key_size = 0, value_size = 0;
	int err;

	if (!st || !btf_is_struct(st))
		return btf_map_err(obj, map, "definition is not a struct");
	m = btf_members(st);
	for (unsigned i = 0; i < btf_vlen(st); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		uint64_t v = 0;
		if (!name || !*name)
			return btf_map_err(obj, map, "member %u has no name", i);
		if (!strcmp(name, "key") || !strcmp(name, "value")) {
			uint32_t id = 0, sz = 0;
			if ((err = member_type_size(obj, map, name, m, &id, &sz)))
				return err;
			if (name[0] == 'k') {
				map->btf_key_type_id = id;
				map->key_size = sz;
			} else {
				map->btf_value_type_id = id;
				map->value_size = sz;
			}
			continue;
		}
		if (!strcmp(name, "values")) {
			const struct btf_type *arr = skip_mods(btf, m->type, NULL), *ptr, *tgt;
			if (inner)
				return btf_map_err(obj, map, "an inner map cannot have 'values'");
			if (!arr || !btf_is_array(arr))
				return btf_map_err(obj, map, "'values' is not an array");
			ptr = skip_mods(btf, btf_array(arr)->type, NULL);
			if (!ptr || !btf_is_ptr(ptr))
				return btf_map_err(obj, map, "'values' is not an array of pointers");
			tgt = skip_mods(btf, ptr->type, NULL);
			map->has_values = true;
			map->values_off = btf_member_bit_offset(st, i) / 8;
			if (tgt && btf_is_struct(tgt)) {
				if (map->type && map->type != USERBPF_MAP_TYPE_ARRAY_OF_MAPS &&
				    map->type != USERBPF_MAP_TYPE_HASH_OF_MAPS)
					return btf_map_err(obj, map, "'values' of maps in a map of type %u",
							   map->type);
				map->inner = calloc(1, sizeof(*map->inner));
				if (!map->inner)
					return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
				map->inner->obj = obj;
				map->inner->spin_lock_off = -1;
				map->inner->kind = LOADER_MAP_INNER;
				map->inner->sec = map->sec;
				map->inner->sec_off = map->sec_off;
				if (asprintf(&map->inner->name, "%s.inner", map->name) < 0) {
					map->inner->name = NULL;
					return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
				}
				if ((err = map_def_struct(obj, map->inner, ptr->type, true)))
					return err;
			} else if (!tgt || !btf_is_func_proto(tgt)) {
				return btf_map_err(obj, map,
						   "'values' must point to map definitions or programs");
			}
			continue;
		}
		if (!member_uint(btf, m, &v)) {
			/* Unknown members are refused, as libbpf does, so typos are not silently ignored. */
			return btf_map_err(obj, map, "member '%s' is not of the __uint() form", name);
		}
		if (!strcmp(name, "map_extra")) {
			map->map_extra = v;
			continue;
		}
		if (v > UINT32_MAX)
			return btf_map_err(obj, map, "'%s' = %llu is too large", name, (unsigned long long)v);
		if (!strcmp(name, "type"))
			map->type = (uint32_t)v;
		else if (!strcmp(name, "max_entries"))
			map->max_entries = (uint32_t)v;
		else if (!strcmp(name, "map_flags"))
			map->map_flags = (uint32_t)v;
		else if (!strcmp(name, "numa_node"))
			map->numa_node = (uint32_t)v;
		else if (!strcmp(name, "pinning"))
			map->pinning = (uint32_t)v;
		else if (!strcmp(name, "key_size")) {
			has_key_size = true;
			key_size = (uint32_t)v;
		} else if (!strcmp(name, "value_size")) {
			has_value_size = true;
			value_size = (uint32_t)v;
		} else
			return btf_map_err(obj, map, "unknown member '%s'", name);
	}
	if (has_key_size) {
		if (map->btf_key_type_id && key_size != map->key_size)
			return btf_map_err(obj, map, "key_size %u does not match the key type's size %u",
					   key_size, map->key_size);
		map->key_size = key_size;
	}
	if (has_value_size) {
		if (map->btf_value_type_id && value_size != map->value_size)
			return btf_map_err(obj, map, "value_size %u does not match the value type's size %u",
					   value_size, map->value_size);
		map->value_size = value_size;
	}
	if (!loader_map_type_known(map->type))
		return btf_map_err(obj, map, "unknown map type %u", map->type);
	if (map->pinning > USERBPF_PIN_BY_NAME)
		return btf_map_err(obj, map, "unknown pinning %u", map->pinning);
	if ((map->type == USERBPF_MAP_TYPE_ARRAY_OF_MAPS || map->type == USERBPF_MAP_TYPE_HASH_OF_MAPS)) {
		if (!map->inner)
			return btf_map_err(
			    obj, map, "a map of maps needs an inner map definition (__array(values, ...))");
		if (map->value_size && map->value_size != 4)
			return btf_map_err(obj, map, "value_size of a map of maps must be 4");
		map->value_size = 4;
		if (!map->key_size)
			map->key_size = 4;
	}
	map->spin_lock_off = spin_lock_off(btf, map->btf_value_type_id);
	if (map->type == USERBPF_MAP_TYPE_PROG_ARRAY && map->has_values && !map->value_size)
		map->value_size = 4;
	if (map->type == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		if (!map->key_size)
			map->key_size = 4;
		if (!map->value_size)
			map->value_size = 4;
	}
	return 0;
}

int loader_btf_map_def(struct userbpf_object *obj, struct userbpf_object_map *map)
{
	int datasec;
	const struct btf_type *ds;
	const struct btf_var_secinfo *vs;

	if (!obj->btf)
		return btf_map_err(obj, map, "section '.maps' needs BTF (compile with -g)");
	datasec = btf__find_by_name_kind(obj->btf, ".maps", BTF_KIND_DATASEC);
	ds = datasec > 0 ? btf__type_by_id(obj->btf, (uint32_t)datasec) : NULL;
	if (!ds)
		return btf_map_err(obj, map, "no BTF DATASEC '.maps'");
	vs = btf_var_secinfos(ds);
	for (unsigned i = 0; i < btf_vlen(ds); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(obj->btf, vs->type);
		const char *name;
		if (!var || !btf_is_var(var))
			return btf_map_err(obj, map, "DATASEC '.maps' entry %u is not a VAR", i);
		name = btf__name_by_offset(obj->btf, var->name_off);
		if (name && !strcmp(name, map->name))
			return map_def_struct(obj, map, var->type, false);
	}
	return btf_map_err(obj, map, "no BTF VAR in DATASEC '.maps' describes it");
}
