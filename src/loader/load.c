/*
 * load.c - userbpf_object__load: the maps created (inner map templates for map-in-map, global data
 * initialised from its section, map-in-map slots filled with the ids of the maps named in `values`),
 * then every autoload program loaded through userbpf_prog__load with the object's maps, so its
 * `lddw src=5/6` instructions resolve. All or nothing: on failure nothing created is left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "userbpf/packet.h"

static void unload(struct userbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_progs; i++) {
		userbpf_prog__free(obj->progs[i].prog);
		obj->progs[i].prog = NULL;
	}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		userbpf_map__free(obj->maps[i]->map);
		obj->maps[i]->map = NULL;
	}
	obj->loaded = false;
}

static struct userbpf_map *create(struct userbpf_object *obj, const struct userbpf_object_map *d,
				  const struct userbpf_map *inner)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(
	    userbpf_map_create_opts, .map_flags = d->map_flags, .map_extra = (uint32_t)d->map_extra,
	    .inner_map = inner, .spin_lock_off = d->spin_lock_off);
	struct userbpf_map *m;
	int err;

	if (d->map_extra > UINT32_MAX) {
		loader_errno(obj, EINVAL, (int)d->sec, d->sec_off, "map '%s': map_extra 0x%llx is too large",
			     d->name, (unsigned long long)d->map_extra);
		errno = EINVAL;
		return NULL;
	}
	m = userbpf_map_create((enum userbpf_map_type)d->type, d->name, d->key_size, d->value_size,
			       d->max_entries, &o);
	if (!m) {
		const char *tn = userbpf_map_type_name((enum userbpf_map_type)d->type);
		err = errno;
		loader_errno(
		    obj, err, (int)d->sec, d->sec_off,
		    "map '%s' (type %u%s%s%s, key %u, value %u, max_entries %u, flags 0x%x): cannot be "
		    "created: %s",
		    d->name, d->type, tn ? " " : "", tn ? tn : "", "", d->key_size, d->value_size,
		    d->max_entries, d->map_flags,
		    err == EOPNOTSUPP ? "userbpf does not provide this map type" : strerror(err));
		errno = err;
	}
	return m;
}

static int create_maps(struct userbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct userbpf_object_map *d = obj->maps[i];
		struct userbpf_map *inner = NULL;
		if (d->inner) {
			inner = create(obj, d->inner, NULL);
			if (!inner)
				return -errno;
		}
		d->map = create(obj, d, inner);
		userbpf_map__free(inner);
		if (!d->map)
			return -errno;
		if (d->init) {
			uint32_t zero = 0;
			int err = userbpf_map_update_elem(d->map, &zero, d->init, USERBPF_ANY);
			if (err)
				return loader_errno(obj, -err, (int)d->sec, 0,
						    "map '%s': cannot set its contents: %s", d->name,
						    strerror(-err));
		}
	}
	/* Map-in-map slots: the inner map's id. */
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct userbpf_object_map *d = obj->maps[i];
		for (size_t s = 0; d->inner && s < d->nr_slots; s++) {
			uint32_t id = userbpf_map__id(obj->maps[d->slots[s].target]->map);
			int err = userbpf_map_update_elem(d->map, &d->slots[s].key, &id, USERBPF_ANY);
			if (err)
				return loader_errno(obj, -err, (int)d->sec, d->sec_off,
						    "map '%s': values[%u] = '%s' refused: %s", d->name,
						    d->slots[s].key, obj->maps[d->slots[s].target]->name,
						    strerror(-err));
		}
	}
	return 0;
}

/* Copy the program's refusal into the object's log, one line per problem, with source positions. */
static void log_prog_error(struct userbpf_object *obj, const struct userbpf_program *p, const char *plog,
			   int err)
{
	size_t len;
	const char *line = plog;

	if (!obj->log_buf || !obj->log_size)
		return;
	obj->log_buf[0] = 0;
	if (!plog[0]) {
		snprintf(obj->log_buf, obj->log_size, "%s: program '%s' (section '%s'): %s", obj->name,
			 p->name, p->sec_name, strerror(err));
		loader_sanitize(obj->log_buf);
		len = strlen(obj->log_buf);
		if (len + 1 < obj->log_size)
			snprintf(obj->log_buf + len, obj->log_size - len, "\n");
		return;
	}
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char where[200] = "";
		const char *file;
		unsigned ln, col;
		size_t idx;
		if (sscanf(line, "insn %zu:", &idx) == 1 &&
		    !userbpf_program__line_info(p, idx, &file, &ln, &col, NULL)) {
			const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
			snprintf(where, sizeof(where), " (%s:%u:%u)", base, ln, col);
		}
		{
			char one[600];
			snprintf(one, sizeof(one), "%s: program '%s': %.*s%s", obj->name, p->name, (int)n,
				 line, where);
			loader_sanitize(one);
			len = strlen(obj->log_buf);
			if (len + 1 < obj->log_size)
				snprintf(obj->log_buf + len, obj->log_size - len, "%s\n", one);
		}
		line += n;
		if (*line == '\n')
			line++;
	}
}

static int load_programs(struct userbpf_object *obj, const struct userbpf_object_load_opts *opts,
			 struct userbpf_map **maps)
{
	char *plog = malloc(4096);
	int err = 0;

	if (!plog)
		return -ENOMEM;
	for (size_t i = 0; i < obj->nr_progs && !err; i++) {
		struct userbpf_program *p = &obj->progs[i];
		struct userbpf_prog_opts po = USERBPF_OPTS_INIT(
		    userbpf_prog_opts, .helpers = opts ? opts->helpers : NULL, .log_buf = plog,
		    .log_size = 4096, .cpu_version = opts ? opts->cpu_version : 0,
		    .flags = opts ? opts->prog_flags : 0, .maps = maps, .nr_maps = obj->nr_maps);
		if (!p->autoload)
			continue;
		po.prog_type = p->type;
		po.expected_attach_type = p->attach_type;
		if ((unsigned)p->type == USERBPF_PROG_TYPE_HOOK) {
			const char *name = strchr(p->sec_name, '/') ? strchr(p->sec_name, '/') + 1 : "";
			for (size_t k = 0; opts && k < opts->nr_ctx_descs && !po.ctx_desc; k++) {
				const struct userbpf_ctx_desc *d = opts->ctx_descs[k];
				if (d && d->name && !strcmp(d->name, name))
					po.ctx_desc = d;
			}
			if (!po.ctx_desc) {
				err = loader_errno(
				    obj, ENOENT, -1, 0,
				    "program '%s' (section '%s'): no hook context named '%s' in the load "
				    "options",
				    p->name, p->sec_name, name);
				break;
			}
		}
		plog[0] = 0;
		p->prog = userbpf_prog__load(p->insns, p->insn_cnt, &po);
		if (!p->prog) {
			err = -errno;
			log_prog_error(obj, p, plog, errno);
		}
	}
	free(plog);
	return err;
}

/* prog_array slots from `values`, once the programs exist: the program's id, as libbpf fills fds. */
static int fill_prog_arrays(struct userbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct userbpf_object_map *d = obj->maps[i];
		if (d->type != USERBPF_MAP_TYPE_PROG_ARRAY)
			continue;
		for (size_t s = 0; s < d->nr_slots; s++) {
			struct userbpf_program *p = &obj->progs[d->slots[s].target];
			uint32_t id;
			int err;
			if (!p->prog)
				continue; /* autoload off: the slot stays empty, as with libbpf */
			id = userbpf_prog__id(p->prog);
			err = userbpf_map_update_elem(d->map, &d->slots[s].key, &id, USERBPF_ANY);
			if (err)
				return loader_errno(obj, -err, (int)d->sec, d->sec_off,
						    "map '%s': values[%u] = program '%s' refused: %s", d->name,
						    d->slots[s].key, p->name, strerror(-err));
		}
	}
	return 0;
}

int userbpf_object__load(struct userbpf_object *obj, const struct userbpf_object_load_opts *opts)
{
	struct userbpf_map **maps;
	int err;

	if (!obj)
		return -EINVAL;
	if (opts) {
		if (opts->sz < sizeof(size_t))
			return -EINVAL;
		for (size_t i = sizeof(*opts); i < opts->sz; i++)
			if (((const char *)opts)[i])
				return -EINVAL;
	}
	/* Fields past an older caller's sz read as zero. */
	struct userbpf_object_load_opts o = {0};
	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	obj->log_buf = o.log_buf;
	obj->log_size = o.log_buf ? o.log_size : 0;
	if (obj->log_size)
		obj->log_buf[0] = 0;
	if (obj->loaded) {
		err = loader_errno(obj, EBUSY, -1, 0, "already loaded");
		goto out;
	}
	obj->unload = unload;
	obj->loaded = true;
	maps = calloc(obj->nr_maps ? obj->nr_maps : 1, sizeof(*maps));
	if (!maps) {
		err = -ENOMEM;
		goto fail;
	}
	err = create_maps(obj);
	for (size_t i = 0; !err && i < obj->nr_maps; i++)
		maps[i] = obj->maps[i]->map;
	if (!err)
		err = load_programs(obj, &o, maps);
	if (!err)
		err = fill_prog_arrays(obj);
	free(maps);
fail:
	if (err)
		unload(obj);
out:
	obj->log_buf = NULL;
	obj->log_size = 0;
	return err;
}
