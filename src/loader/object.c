/*
 * object.c - the public object API: open (parse, relocate, link, describe), the accessors for
 * programs and maps, line info queries, close. Creating maps and loading programs is load.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* Largest object file accepted. */
#define OBJ_MAX_SIZE (1ull << 31)

const char *loader_sec_name(const struct userbpf_object *obj, int sec)
{
	if (sec < 0 || (size_t)sec >= obj->nr_secs || !obj->secs[sec].name)
		return "?";
	return obj->secs[sec].name;
}

void loader_sanitize(char *s)
{
	/* Names come from the object: keep the message one printable line. */
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int vlog(struct userbpf_object *obj, int err, int sec, uint64_t off, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static int vlog(struct userbpf_object *obj, int err, int sec, uint64_t off, const char *fmt, va_list ap)
{
	char msg[400];
	if (!obj->log_buf || !obj->log_size)
		return -err;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (sec >= 0)
		snprintf(obj->log_buf, obj->log_size, "%s: section '%s' offset 0x%llx: %s", obj->name,
			 loader_sec_name(obj, sec), (unsigned long long)off, msg);
	else
		snprintf(obj->log_buf, obj->log_size, "%s: %s", obj->name, msg);
	loader_sanitize(obj->log_buf);
	return -err;
}

int loader_err(struct userbpf_object *obj, int sec, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = vlog(obj, EINVAL, sec, off, fmt, ap);
	va_end(ap);
	return r;
}

int loader_errno(struct userbpf_object *obj, int err, int sec, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = vlog(obj, err, sec, off, fmt, ap);
	va_end(ap);
	return r;
}

static void free_object(struct userbpf_object *obj)
{
	if (obj->unload)
		obj->unload(obj);
	for (size_t i = 0; i < obj->nr_progs; i++) {
		free(obj->progs[i].insns);
		free(obj->progs[i].funcs);
		free(obj->progs[i].lines);
	}
	free(obj->progs);
	for (size_t i = 0; i < obj->nr_maps; i++)
		loader_map_def_free(obj->maps[i]);
	free(obj->maps);
	free(obj->funcs);
	if (obj->secs)
		for (size_t i = 0; i < obj->nr_secs; i++) {
			free(obj->secs[i].insns);
			free(obj->secs[i].call_target);
		}
	loader_btf_free(obj);
	elf_release(obj);
	free(obj->secs);
	free(obj->syms);
	free(obj->image);
	free(obj);
}

void userbpf_object__close(struct userbpf_object *obj)
{
	if (obj)
		free_object(obj);
}

static bool opts_ok(const void *opts, size_t known)
{
	size_t sz;
	if (!opts)
		return true;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return false;
	for (size_t i = known; i < sz; i++)
		if (((const char *)opts)[i])
			return false;
	return true;
}

#define OPT(o, field, def)                                                                                   \
	((o) && (o)->sz >= offsetof(__typeof__(*(o)), field) + sizeof((o)->field) ? (o)->field : (def))

static struct userbpf_object *open_image(uint8_t *image, size_t size, const char *name,
					 const struct userbpf_object_open_opts *opts)
{
	struct userbpf_object *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj) {
		free(image);
		errno = ENOMEM;
		return NULL;
	}
	obj->image = image;
	obj->image_size = size;
	snprintf(obj->name, sizeof(obj->name), "%s", name);
	obj->log_buf = OPT(opts, log_buf, NULL);
	obj->log_size = OPT(opts, log_size, 0);
	obj->text_sec = obj->btf_sec = obj->btf_ext_sec = -1;
	if (obj->log_buf && obj->log_size)
		obj->log_buf[0] = 0;

	if ((err = elf_parse(obj)) || (err = loader_collect_funcs(obj)) || (err = loader_btf_parse(obj)) ||
	    (err = loader_collect_maps(obj)) || (err = loader_relocate(obj)) ||
	    (err = loader_link_programs(obj)) || (err = loader_map_slots(obj))) {
		free_object(obj);
		errno = -err;
		return NULL;
	}
	obj->log_buf = NULL;
	obj->log_size = 0;
	return obj;
}

static void early_log(const struct userbpf_object_open_opts *opts, const char *name, const char *msg, int err)
{
	char *buf = OPT(opts, log_buf, NULL);
	size_t size = OPT(opts, log_size, 0);
	if (buf && size)
		snprintf(buf, size, "%s: %s: %s", name, msg, strerror(err));
}

struct userbpf_object *userbpf_object__open_mem(const void *buf, size_t size,
						const struct userbpf_object_open_opts *opts)
{
	const char *name = OPT(opts, object_name, NULL);
	uint8_t *image;

	if (!opts_ok(opts, sizeof(struct userbpf_object_open_opts)) || (!buf && size)) {
		early_log(opts, name ? name : "mem", "bad arguments", EINVAL);
		errno = EINVAL;
		return NULL;
	}
	if (size > OBJ_MAX_SIZE) {
		early_log(opts, name ? name : "mem", "object too large", E2BIG);
		errno = E2BIG;
		return NULL;
	}
	image = malloc(size ? size : 1);
	if (!image) {
		errno = ENOMEM;
		return NULL;
	}
	if (size)
		memcpy(image, buf, size);
	return open_image(image, size, name ? name : "mem", opts);
}

struct userbpf_object *userbpf_object__open_file(const char *path,
						 const struct userbpf_object_open_opts *opts)
{
	const char *name = OPT(opts, object_name, NULL);
	struct stat st;
	uint8_t *image;
	size_t got = 0;
	int fd, err;

	if (!path || !opts_ok(opts, sizeof(struct userbpf_object_open_opts))) {
		early_log(opts, path ? path : "(null)", "bad arguments", EINVAL);
		errno = EINVAL;
		return NULL;
	}
	if (!name)
		name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		early_log(opts, path, "cannot open", err);
		errno = err;
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > OBJ_MAX_SIZE) {
		err = S_ISREG(st.st_mode) ? E2BIG : EINVAL;
		early_log(opts, path, "not a regular file of a sane size", err);
		close(fd);
		errno = err;
		return NULL;
	}
	image = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!image) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, image + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			early_log(opts, path, "cannot read", err);
			free(image);
			close(fd);
			errno = err;
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	return open_image(image, got, name, opts);
}

/* ---- object ---- */

const char *userbpf_object__name(const struct userbpf_object *obj)
{
	return obj->name;
}

const char *userbpf_object__license(const struct userbpf_object *obj)
{
	return obj->license;
}

uint32_t userbpf_object__kversion(const struct userbpf_object *obj)
{
	return obj->kversion;
}

const struct btf *userbpf_object__btf(const struct userbpf_object *obj)
{
	return obj->btf;
}

/* ---- programs ---- */

size_t userbpf_object__program_cnt(const struct userbpf_object *obj)
{
	return obj->nr_progs;
}

struct userbpf_program *userbpf_object__next_program(const struct userbpf_object *obj,
						     const struct userbpf_program *prog)
{
	size_t i = prog ? prog->idx + 1 : 0;
	return i < obj->nr_progs ? &obj->progs[i] : NULL;
}

struct userbpf_program *userbpf_object__find_program_by_name(const struct userbpf_object *obj,
							     const char *name)
{
	for (size_t i = 0; name && i < obj->nr_progs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	errno = ENOENT;
	return NULL;
}

const char *userbpf_program__name(const struct userbpf_program *prog)
{
	return prog->name;
}

const char *userbpf_program__section_name(const struct userbpf_program *prog)
{
	return prog->sec_name;
}

enum userbpf_prog_type userbpf_program__type(const struct userbpf_program *prog)
{
	return prog->type;
}

uint32_t userbpf_program__expected_attach_type(const struct userbpf_program *prog)
{
	return prog->attach_type;
}

const struct userbpf_insn *userbpf_program__insns(const struct userbpf_program *prog)
{
	return prog->insns;
}

size_t userbpf_program__insn_cnt(const struct userbpf_program *prog)
{
	return prog->insn_cnt;
}

struct userbpf_prog *userbpf_program__prog(const struct userbpf_program *prog)
{
	return prog->prog;
}

int userbpf_program__set_autoload(struct userbpf_program *prog, bool autoload)
{
	if (prog->obj->loaded)
		return -EBUSY;
	prog->autoload = autoload;
	return 0;
}

bool userbpf_program__autoload(const struct userbpf_program *prog)
{
	return prog->autoload;
}

int userbpf_program__line_info(const struct userbpf_program *prog, size_t insn_idx, const char **file,
			       unsigned int *line, unsigned int *col, const char **source_line)
{
	size_t lo = 0, hi = prog->nr_lines;
	const struct loader_line *l;

	if (insn_idx >= prog->insn_cnt)
		return -EINVAL;
	/* Last record at or before insn_idx. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (prog->lines[mid].insn <= insn_idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	l = &prog->lines[lo - 1];
	if (file)
		*file = loader_btf_str(prog->obj, l->file_off);
	if (line)
		*line = l->line;
	if (col)
		*col = l->col;
	if (source_line)
		*source_line = loader_btf_str(prog->obj, l->line_off);
	return 0;
}

size_t userbpf_program__func_cnt(const struct userbpf_program *prog)
{
	return prog->nr_funcs;
}

int userbpf_program__func(const struct userbpf_program *prog, size_t i, const char **name, size_t *insn_off,
			  size_t *insn_cnt, uint32_t *btf_type_id)
{
	const struct loader_func *f;
	if (i >= prog->nr_funcs)
		return -ENOENT;
	f = &prog->obj->funcs[prog->funcs[i].func];
	if (name)
		*name = f->name;
	if (insn_off)
		*insn_off = prog->funcs[i].start;
	if (insn_cnt)
		*insn_cnt = f->cnt;
	if (btf_type_id)
		*btf_type_id = f->btf_type_id;
	return 0;
}

/* ---- maps ---- */

size_t userbpf_object__map_cnt(const struct userbpf_object *obj)
{
	return obj->nr_maps;
}

struct userbpf_object_map *userbpf_object__map_by_index(const struct userbpf_object *obj, size_t idx)
{
	if (idx >= obj->nr_maps) {
		errno = ENOENT;
		return NULL;
	}
	return obj->maps[idx];
}

struct userbpf_object_map *userbpf_object__next_map(const struct userbpf_object *obj,
						    const struct userbpf_object_map *map)
{
	size_t i = map ? map->idx + 1 : 0;
	return i < obj->nr_maps ? obj->maps[i] : NULL;
}

struct userbpf_object_map *userbpf_object__find_map_by_name(const struct userbpf_object *obj,
							    const char *name)
{
	for (size_t i = 0; name && i < obj->nr_maps; i++)
		if (!strcmp(obj->maps[i]->name, name))
			return obj->maps[i];
	errno = ENOENT;
	return NULL;
}

const char *userbpf_object_map__name(const struct userbpf_object_map *map)
{
	return map->name;
}

size_t userbpf_object_map__index(const struct userbpf_object_map *map)
{
	return map->idx;
}

enum userbpf_map_type userbpf_object_map__type(const struct userbpf_object_map *map)
{
	return (enum userbpf_map_type)map->type;
}

uint32_t userbpf_object_map__key_size(const struct userbpf_object_map *map)
{
	return map->key_size;
}

uint32_t userbpf_object_map__value_size(const struct userbpf_object_map *map)
{
	return map->value_size;
}

uint32_t userbpf_object_map__max_entries(const struct userbpf_object_map *map)
{
	return map->max_entries;
}

uint32_t userbpf_object_map__map_flags(const struct userbpf_object_map *map)
{
	return map->map_flags;
}

uint64_t userbpf_object_map__map_extra(const struct userbpf_object_map *map)
{
	return map->map_extra;
}

uint32_t userbpf_object_map__pinning(const struct userbpf_object_map *map)
{
	return map->pinning;
}

const char *userbpf_object_map__section_name(const struct userbpf_object_map *map)
{
	return loader_sec_name(map->obj, (int)map->sec);
}

bool userbpf_object_map__is_global_data(const struct userbpf_object_map *map)
{
	return map->kind == LOADER_MAP_DATA;
}

uint32_t userbpf_object_map__btf_key_type_id(const struct userbpf_object_map *map)
{
	return map->btf_key_type_id;
}

uint32_t userbpf_object_map__btf_value_type_id(const struct userbpf_object_map *map)
{
	return map->btf_value_type_id;
}

int32_t userbpf_object_map__spin_lock_off(const struct userbpf_object_map *map)
{
	return map->spin_lock_off;
}

const void *userbpf_object_map__initial_value(const struct userbpf_object_map *map, size_t *size)
{
	if (size)
		*size = map->kind == LOADER_MAP_DATA ? map->value_size : 0;
	return map->kind == LOADER_MAP_DATA ? map->init : NULL;
}

const struct userbpf_object_map *userbpf_object_map__inner_map(const struct userbpf_object_map *map)
{
	return map->inner;
}

struct userbpf_map *userbpf_object_map__map(const struct userbpf_object_map *map)
{
	return map->map;
}

/* ---- raw data for the kernel backend ---- */

size_t userbpf_program__line_info_cnt(const struct userbpf_program *prog)
{
	return prog->nr_lines;
}

int userbpf_program__line_info_rec(const struct userbpf_program *prog, size_t i,
				   struct userbpf_line_info_rec *rec)
{
	const struct loader_line *l;
	if (i >= prog->nr_lines)
		return -ENOENT;
	l = &prog->lines[i];
	rec->insn_off = l->insn;
	rec->file_name_off = l->file_off;
	rec->line_off = l->line_off;
	rec->line_col = l->line << 10 | (l->col & 0x3ff);
	return 0;
}

size_t userbpf_object_map__slot_cnt(const struct userbpf_object_map *map)
{
	return map->nr_slots;
}

int userbpf_object_map__slot(const struct userbpf_object_map *map, size_t i, uint32_t *key,
			     const struct userbpf_object_map **map_target,
			     const struct userbpf_program **prog_target)
{
	const struct loader_map_slot *s;
	if (i >= map->nr_slots)
		return -ENOENT;
	s = &map->slots[i];
	if (key)
		*key = s->key;
	if (map_target)
		*map_target = map->inner ? map->obj->maps[s->target] : NULL;
	if (prog_target)
		*prog_target = map->inner ? NULL : &map->obj->progs[s->target];
	return 0;
}

int userbpf_object__section_size(const struct userbpf_object *obj, const char *name, uint64_t *size)
{
	int sec = name ? elf_find_sec(obj, name) : -1;
	if (sec < 0)
		return -ENOENT;
	if (size)
		*size = obj->secs[sec].size;
	return 0;
}

int userbpf_object__symbol_offset(const struct userbpf_object *obj, const char *sec_name, const char *name,
				  uint64_t *offset)
{
	int sec = sec_name && name ? elf_find_sec(obj, sec_name) : -1;
	if (sec < 0)
		return -ENOENT;
	for (size_t i = 0; i < obj->nr_syms; i++) {
		const struct loader_sym *s = &obj->syms[i];
		if (s->shndx == (uint32_t)sec && s->name && !strcmp(s->name, name)) {
			if (offset)
				*offset = s->value;
			return 0;
		}
	}
	return -ENOENT;
}
