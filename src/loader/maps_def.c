/*
 * maps_def.c - the maps an object defines: legacy `struct bpf_map_def` entries in section "maps"
 * (any entry size from 16 bytes: type, key_size, value_size, max_entries, then map_flags if present;
 * later fields are ignored), BTF-defined maps in ".maps" (parsed in btf.c), and global data sections
 * (.rodata, .data, .bss and their .NAME variants) as single-entry array maps whose value is the
 * section. Also the initial slots of map-in-map and prog_array `values` from ".rel.maps".
 */
#include <errno.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "loader.h"

/* Largest global data section accepted (the kernel's own limit is lower: it says so at load). */
#define DATA_MAX_SIZE (1u << 30)

bool loader_map_type_known(uint32_t type)
{
	/* The kernel's enum bpf_map_type: 1 (hash) .. 33 (arena). */
	return type >= 1 && type <= 33;
}

static struct userbpf_object_map *new_map(struct userbpf_object *obj, const char *name,
					  enum loader_map_kind kind, uint32_t sec, uint64_t off)
{
	struct userbpf_object_map *m, **v;

	if ((obj->nr_maps & (obj->nr_maps - 1)) == 0) {
		v = realloc(obj->maps, (obj->nr_maps ? 2 * obj->nr_maps : 4) * sizeof(*v));
		if (!v)
			return NULL;
		obj->maps = v;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->name = strdup(name);
	if (!m->name) {
		free(m);
		return NULL;
	}
	m->obj = obj;
	m->spin_lock_off = -1;
	m->idx = obj->nr_maps;
	m->kind = kind;
	m->sec = sec;
	m->sec_off = off;
	obj->maps[obj->nr_maps++] = m;
	return m;
}

void loader_map_def_free(struct userbpf_object_map *map)
{
	if (!map)
		return;
	loader_map_def_free(map->inner);
	free(map->slots);
	free(map->name);
	free(map);
}

int loader_map_at(const struct userbpf_object *obj, uint32_t sec, uint64_t off)
{
	if (sec < obj->nr_secs && obj->secs[sec].kind == LOADER_SEC_DATA)
		return obj->secs[sec].map_idx;
	for (size_t i = 0; i < obj->nr_maps; i++)
		if (obj->maps[i]->sec == sec && obj->maps[i]->sec_off == off &&
		    obj->maps[i]->kind != LOADER_MAP_DATA)
			return (int)i;
	return -1;
}

static int cmp_sym_value(const void *a, const void *b)
{
	const struct loader_sym *x = *(const struct loader_sym *const *)a,
				*y = *(const struct loader_sym *const *)b;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* The named object symbols of section `sec`, sorted by offset. */
static int sec_symbols(struct userbpf_object *obj, uint32_t sec, const struct loader_sym ***out, size_t *n)
{
	const struct loader_sym **v;
	size_t cnt = 0;

	for (size_t i = 1; i < obj->nr_syms; i++)
		cnt += obj->syms[i].shndx == sec && obj->syms[i].type != STT_SECTION &&
		       obj->syms[i].type != STT_FILE;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	cnt = 0;
	for (size_t i = 1; i < obj->nr_syms; i++)
		if (obj->syms[i].shndx == sec && obj->syms[i].type != STT_SECTION &&
		    obj->syms[i].type != STT_FILE)
			v[cnt++] = &obj->syms[i];
	qsort(v, cnt, sizeof(*v), cmp_sym_value);
	*out = v;
	*n = cnt;
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/*
 * Legacy maps' BTF: BPF_ANNOTATE_KV_PAIR(name, K, V) of old bpf_helpers.h left a struct
 * ____btf_map_<name> { K key; V value; } for tools to find the types; used when the sizes agree.
 */
static void legacy_kv_types(struct userbpf_object *obj, struct userbpf_object_map *m)
{
	char name[300];
	const struct btf_type *st;
	const struct btf_member *mb;
	int id;

	if (!obj->btf)
		return;
	snprintf(name, sizeof(name), "____btf_map_%s", m->name);
	id = btf__find_by_name_kind(obj->btf, name, BTF_KIND_STRUCT);
	st = id > 0 ? btf__type_by_id(obj->btf, (uint32_t)id) : NULL;
	if (!st || btf_vlen(st) < 2)
		return;
	mb = btf_members(st);
	for (int i = 0; i < 2; i++) {
		const char *mn = btf__name_by_offset(obj->btf, mb[i].name_off);
		long long sz = btf__resolve_size(obj->btf, mb[i].type);
		if (!mn || strcmp(mn, i ? "value" : "key") || sz != (i ? m->value_size : m->key_size))
			return;
	}
	m->btf_key_type_id = mb[0].type;
	m->btf_value_type_id = mb[1].type;
}

static int legacy_maps(struct userbpf_object *obj, uint32_t sec)
{
	const struct loader_sec *s = &obj->secs[sec];
	const struct loader_sym **syms;
	size_t n, entsz;
	int err;

	if ((err = sec_symbols(obj, sec, &syms, &n)))
		return err;
	if (!n) {
		free(syms);
		return s->size
			   ? loader_err(obj, (int)sec, 0, "%llu bytes of map definitions but no map symbols",
					(unsigned long long)s->size)
			   : 0;
	}
	if (!s->data || s->size % n) {
		free(syms);
		return loader_err(obj, (int)sec, 0, "size %llu is not a multiple of its %zu map definitions",
				  (unsigned long long)s->size, n);
	}
	entsz = s->size / n;
	if (entsz < 16) {
		free(syms);
		return loader_err(obj, (int)sec, 0,
				  "map definitions of %zu bytes are too small (16 at least)", entsz);
	}
	for (size_t i = 0; i < n; i++) {
		const struct loader_sym *sym = syms[i];
		const uint8_t *d;
		struct userbpf_object_map *m;
		if (sym->value > s->size || entsz > s->size - sym->value) {
			err =
			    loader_err(obj, (int)sec, sym->value,
				       "map '%s' of %zu bytes goes past the section's end", sym->name, entsz);
			break;
		}
		if (!*sym->name) {
			err = loader_err(obj, (int)sec, sym->value, "map symbol without a name");
			break;
		}
		m = new_map(obj, sym->name, LOADER_MAP_LEGACY, sec, sym->value);
		if (!m) {
			err = loader_errno(obj, ENOMEM, -1, 0, "out of memory");
			break;
		}
		d = s->data + sym->value;
		m->type = rd32(d);
		m->key_size = rd32(d + 4);
		m->value_size = rd32(d + 8);
		m->max_entries = rd32(d + 12);
		m->map_flags = entsz >= 20 ? rd32(d + 16) : 0;
		if (!loader_map_type_known(m->type)) {
			err = loader_err(obj, (int)sec, sym->value, "map '%s': unknown map type %u", m->name,
					 m->type);
			break;
		}
		legacy_kv_types(obj, m);
	}
	free(syms);
	return err;
}

static int btf_maps(struct userbpf_object *obj, uint32_t sec)
{
	const struct loader_sec *s = &obj->secs[sec];
	const struct loader_sym **syms;
	size_t n;
	int err;

	if ((err = sec_symbols(obj, sec, &syms, &n)))
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		const struct loader_sym *sym = syms[i];
		struct userbpf_object_map *m;
		if (sym->type != STT_OBJECT)
			continue;
		if (sym->value >= s->size || !*sym->name) {
			err = loader_err(obj, (int)sec, sym->value, "map symbol '%s' is outside the section",
					 sym->name);
			break;
		}
		m = new_map(obj, sym->name, LOADER_MAP_BTF, sec, sym->value);
		if (!m)
			err = loader_errno(obj, ENOMEM, -1, 0, "out of memory");
		else
			err = loader_btf_map_def(obj, m);
	}
	free(syms);
	return err;
}

static int data_map(struct userbpf_object *obj, uint32_t sec)
{
	struct loader_sec *s = &obj->secs[sec];
	struct userbpf_object_map *m;
	int id;

	if (!s->size)
		return 0;
	if (s->size > DATA_MAX_SIZE)
		return loader_err(obj, (int)sec, 0, "absurd size 0x%llx for global data",
				  (unsigned long long)s->size);
	m = new_map(obj, s->name, LOADER_MAP_DATA, sec, 0);
	if (!m)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	s->map_idx = (int)m->idx;
	m->type = USERBPF_MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = (uint32_t)s->size;
	m->max_entries = 1;
	m->map_flags = USERBPF_F_MMAPABLE;
	if (!strncmp(s->name, ".rodata", 7))
		m->map_flags |= USERBPF_F_RDONLY_PROG;
	m->init = s->type == SHT_NOBITS ? NULL : s->data;
	if (obj->btf) {
		id = btf__find_by_name_kind(obj->btf, s->name, BTF_KIND_DATASEC);
		if (id > 0)
			m->btf_value_type_id = (uint32_t)id;
	}
	return 0;
}

int loader_collect_maps(struct userbpf_object *obj)
{
	int err = 0;
	for (size_t i = 1; i < obj->nr_secs && !err; i++)
		if (obj->secs[i].kind == LOADER_SEC_MAPS_LEGACY)
			err = legacy_maps(obj, (uint32_t)i);
	for (size_t i = 1; i < obj->nr_secs && !err; i++)
		if (obj->secs[i].kind == LOADER_SEC_MAPS_BTF)
			err = btf_maps(obj, (uint32_t)i);
	for (size_t i = 1; i < obj->nr_secs && !err; i++)
		if (obj->secs[i].kind == LOADER_SEC_DATA)
			err = data_map(obj, (uint32_t)i);
	return err;
}

static int add_slot(struct userbpf_object *obj, struct userbpf_object_map *m, uint32_t key, int target)
{
	struct loader_map_slot *v = realloc(m->slots, (m->nr_slots + 1) * sizeof(*v));
	if (!v)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	m->slots = v;
	m->slots[m->nr_slots++] = (struct loader_map_slot){key, target};
	return 0;
}

/* The BTF map whose definition holds byte `off` of section `sec`. */
static struct userbpf_object_map *map_holding(struct userbpf_object *obj, uint32_t sec, uint64_t off)
{
	struct userbpf_object_map *best = NULL;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct userbpf_object_map *m = obj->maps[i];
		if (m->kind == LOADER_MAP_BTF && m->sec == sec && m->sec_off <= off &&
		    (!best || m->sec_off > best->sec_off))
			best = m;
	}
	return best;
}

/* `.rel.maps`: `values = { [i] = &map }` (map-in-map) and `values = { [i] = &prog }` (prog_array). */
int loader_map_slots(struct userbpf_object *obj)
{
	for (size_t rs = 1; rs < obj->nr_secs; rs++) {
		const struct loader_sec *r = &obj->secs[rs];
		struct loader_rel *rels;
		size_t n;
		int err;

		if (r->kind != LOADER_SEC_REL || r->info >= obj->nr_secs ||
		    obj->secs[r->info].kind != LOADER_SEC_MAPS_BTF)
			continue;
		if ((err = elf_read_rels(obj, (uint32_t)rs, &rels, &n)))
			return err;
		for (size_t i = 0; i < n && !err; i++) {
			const struct loader_rel *rel = &rels[i];
			struct userbpf_object_map *m = map_holding(obj, r->info, rel->offset);
			const struct loader_sym *sym;
			uint64_t slot;
			int target = -1;

			if (rel->sym >= obj->nr_syms) {
				err =
				    loader_err(obj, (int)r->info, rel->offset,
					       "relocation against symbol %u which does not exist", rel->sym);
				break;
			}
			sym = &obj->syms[rel->sym];
			if (!m || !m->has_values || rel->offset < m->sec_off + m->values_off ||
			    (rel->offset - m->sec_off - m->values_off) % 8) {
				err = loader_err(obj, (int)r->info, rel->offset,
						 "relocation against '%s' outside the 'values' of any map",
						 sym->name);
				break;
			}
			slot = (rel->offset - m->sec_off - m->values_off) / 8;
			if (slot >= m->max_entries) {
				err = loader_err(obj, (int)r->info, rel->offset,
						 "map '%s': values[%llu] is past max_entries %u", m->name,
						 (unsigned long long)slot, m->max_entries);
				break;
			}
			if (m->inner) {
				if (sym->shndx < obj->nr_secs)
					target = loader_map_at(obj, sym->shndx, sym->value);
				if (target < 0 || obj->maps[target]->kind != LOADER_MAP_BTF) {
					err = loader_err(obj, (int)r->info, rel->offset,
							 "map '%s': values[%llu] = '%s' which is not a map",
							 m->name, (unsigned long long)slot, sym->name);
					break;
				}
			} else {
				for (size_t p = 0; p < obj->nr_progs; p++) {
					const struct loader_func *f = &obj->funcs[obj->progs[p].func];
					if (f->sec == sym->shndx && (uint64_t)f->start * 8 == sym->value)
						target = (int)p;
				}
				if (target < 0 || m->type != USERBPF_MAP_TYPE_PROG_ARRAY) {
					err = loader_err(
					    obj, (int)r->info, rel->offset,
					    "map '%s': values[%llu] = '%s' which is not a program of a "
					    "prog_array",
					    m->name, (unsigned long long)slot, sym->name);
					break;
				}
			}
			err = add_slot(obj, m, (uint32_t)slot, target);
		}
		free(rels);
		if (err)
			return err;
	}
	return 0;
}
