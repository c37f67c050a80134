/*
 * array.c - the array family: array, percpu_array, prog_array, array_of_maps, and the redirect
 * targets devmap, cpumap and xskmap (stored values only).
 *
 * Arrays are preallocated and zeroed at creation, key = u32 index, values round_up(value_size, 8)
 * apart (per-CPU: one block of max_entries values per slot). Lookups are index * stride with no
 * lock; updates copy in place (BPF_F_LOCK: under the value's bpf_spin_lock), as in the kernel.
 * prog_array and array_of_maps store references taken from the ids the host writes.
 */
#include "maps/map.h"

#include <pthread.h>
#include <stdlib.h>

struct array_map {
	struct userbpf_map map;
	uint32_t stride;
	char *values;	  /* array, percpu_array, devmap, cpumap, xskmap */
	void **ptrs;	  /* prog_array: programs; array_of_maps: maps */
	uint32_t *ids;	  /* prog_array: the id each program was stored with */
	uint8_t *present; /* devmap, cpumap, xskmap */
	pthread_mutex_t lock;
};

#define A(m) map_container_of(m, struct array_map, map)

static inline uint32_t key_index(const void *key)
{
	uint32_t i;
	memcpy(&i, key, sizeof(i));
	return i;
}

static int array_next_key(struct userbpf_map *m, const void *key, void *next)
{
	uint32_t i = key ? key_index(key) : UINT32_MAX;
	if (i >= m->max_entries) {
		uint32_t z = 0;
		memcpy(next, &z, 4);
		return 0;
	}
	if (i == m->max_entries - 1)
		return -ENOENT;
	i++;
	memcpy(next, &i, 4);
	return 0;
}

/* ---- array, percpu_array ----------------------------------------------------------------------- */

static inline char *slot(struct array_map *a, uint32_t cpu, uint32_t i)
{
	return a->values + ((size_t)cpu * a->map.max_entries + i) * a->stride;
}

static void *array_lookup(struct userbpf_map *m, const void *key)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return NULL;
	return A(m)->values + (size_t)i * A(m)->stride;
}

static void *percpu_array_lookup(struct userbpf_map *m, const void *key)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return NULL;
	return slot(A(m), userbpf_this_cpu() % m->nr_cpus, i);
}

static void *percpu_array_lookup_cpu(struct userbpf_map *m, const void *key, uint32_t cpu)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return NULL;
	return slot(A(m), cpu, i);
}

static long array_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	/* The kernel's order: bad flags, index, NOEXIST, then F_LOCK on a value without a lock. */
	int err = map_check_update_flags(m, flags & ~(uint64_t)USERBPF_F_LOCK);
	if (err)
		return err;
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags & USERBPF_NOEXIST)
		return -EEXIST;
	if ((flags & USERBPF_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	char *dst = m->percpu ? slot(A(m), userbpf_this_cpu() % m->nr_cpus, i)
			      : A(m)->values + (size_t)i * A(m)->stride;
	if (flags & USERBPF_F_LOCK)
		map_copy_value_locked(m, dst, value, false);
	else
		map_copy_value(m, dst, value);
	return 0;
}

static long array_delete(struct userbpf_map *m, const void *key)
{
	return -EINVAL;
}

static int array_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -ENOENT;
	struct array_map *a = A(m);
	if (!m->percpu) {
		map_copy_value_out(m, value, a->values + (size_t)i * a->stride, flags);
		return 0;
	}
	for (uint32_t c = 0; c < m->nr_cpus; c++)
		memcpy((char *)value + (size_t)c * a->stride, slot(a, c, i), a->stride);
	return 0;
}

static int array_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	/* The bpf() syscall refuses F_LOCK without a lock before the map sees the update. */
	int err = map_check_update_flags(m, flags);
	if (err)
		return err;
	if (!m->percpu)
		return (int)array_update(m, key, value, flags);
	if (flags > USERBPF_EXIST)
		return -EINVAL;
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags & USERBPF_NOEXIST)
		return -EEXIST;
	struct array_map *a = A(m);
	/* whole 8-byte-rounded slots, padding included, as the kernel copies them */
	for (uint32_t c = 0; c < m->nr_cpus; c++)
		memcpy(slot(a, c, i), (const char *)value + (size_t)c * a->stride, a->stride);
	return 0;
}

void *map_array_base(struct userbpf_map *m)
{
	if (m->type != USERBPF_MAP_TYPE_ARRAY)
		return NULL;
	return A(m)->values;
}

void *map_percpu_array_base(struct userbpf_map *m)
{
	if (m->type != USERBPF_MAP_TYPE_PERCPU_ARRAY)
		return NULL;
	return A(m)->values;
}

/* ---- prog_array, array_of_maps ----------------------------------------------------------------- */

void *map_prog_array_get(struct userbpf_map *m, uint32_t index)
{
	if (m->type != USERBPF_MAP_TYPE_PROG_ARRAY || index >= m->max_entries)
		return NULL;
	return __atomic_load_n(&A(m)->ptrs[index], __ATOMIC_ACQUIRE);
}

static void *of_maps_lookup(struct userbpf_map *m, const void *key)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return NULL;
	return __atomic_load_n(&A(m)->ptrs[i], __ATOMIC_ACQUIRE);
}

static void fd_put(struct userbpf_map *m, void *p)
{
	if (!p)
		return;
	if (m->type == USERBPF_MAP_TYPE_PROG_ARRAY)
		map_prog_put(p);
	else
		userbpf_map__free(p);
}

static int fd_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	if (flags != USERBPF_ANY)
		return -EINVAL;
	uint32_t i = key_index(key), id;
	if (i >= m->max_entries)
		return -E2BIG;
	memcpy(&id, value, 4);
	void *p;
	if (m->type == USERBPF_MAP_TYPE_PROG_ARRAY) {
		p = map_prog_get(id);
		if (!p)
			return -EBADF;
	} else {
		struct userbpf_map *inner = map_get_by_id(id);
		if (!inner)
			return -EBADF;
		if (!map_inner_compatible(m, inner)) {
			userbpf_map__free(inner);
			return -EINVAL;
		}
		p = inner;
	}
	struct array_map *a = A(m);
	pthread_mutex_lock(&a->lock);
	void *old = a->ptrs[i];
	if (a->ids)
		a->ids[i] = id;
	__atomic_store_n(&a->ptrs[i], p, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&a->lock);
	fd_put(m, old);
	return 0;
}

static int fd_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	uint32_t i = key_index(key), id = 0;
	if (i >= m->max_entries)
		return -ENOENT;
	struct array_map *a = A(m);
	pthread_mutex_lock(&a->lock);
	void *p = a->ptrs[i];
	if (p)
		id = a->ids ? a->ids[i] : userbpf_map__id(p);
	pthread_mutex_unlock(&a->lock);
	if (!p)
		return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

static long fd_delete(struct userbpf_map *m, const void *key)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -E2BIG;
	struct array_map *a = A(m);
	pthread_mutex_lock(&a->lock);
	void *old = a->ptrs[i];
	__atomic_store_n(&a->ptrs[i], NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&a->lock);
	if (!old)
		return -ENOENT;
	fd_put(m, old);
	return 0;
}

/* ---- devmap, cpumap, xskmap: values stored, slots may be empty --------------------------------- */

static void *redir_lookup(struct userbpf_map *m, const void *key)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries || !__atomic_load_n(&A(m)->present[i], __ATOMIC_ACQUIRE))
		return NULL;
	return A(m)->values + (size_t)i * A(m)->stride;
}

static int redir_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	if (flags > USERBPF_EXIST)
		return -EINVAL;
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -E2BIG;
	struct array_map *a = A(m);
	pthread_mutex_lock(&a->lock);
	bool here = a->present[i];
	int err = 0;
	if (m->type != USERBPF_MAP_TYPE_XSKMAP && flags == USERBPF_NOEXIST)
		err = -EEXIST;
	else if (flags == USERBPF_NOEXIST && here)
		err = -EEXIST;
	else if (flags == USERBPF_EXIST && !here && m->type == USERBPF_MAP_TYPE_XSKMAP)
		err = -ENOENT;
	if (!err) {
		memcpy(a->values + (size_t)i * a->stride, value, m->value_size);
		__atomic_store_n(&a->present[i], 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&a->lock);
	return err;
}

static int redir_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -ENOENT;
	struct array_map *a = A(m);
	int err = 0;
	pthread_mutex_lock(&a->lock);
	if (a->present[i])
		memcpy(value, a->values + (size_t)i * a->stride, m->value_size);
	else
		err = -ENOENT;
	pthread_mutex_unlock(&a->lock);
	return err;
}

static long redir_delete(struct userbpf_map *m, const void *key)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -EINVAL;
	struct array_map *a = A(m);
	pthread_mutex_lock(&a->lock);
	__atomic_store_n(&a->present[i], 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static size_t array_regions(struct userbpf_map *m, struct userbpf_region *out, size_t max)
{
	struct array_map *a = A(m);
	size_t bytes = (size_t)a->stride * m->max_entries * m->nr_cpus;
	return map_add_region(out, max, 0, a->values, bytes, !(m->map_flags & USERBPF_F_RDONLY_PROG));
}

/* ---- creation ---------------------------------------------------------------------------------- */

static void array_free(struct userbpf_map *m)
{
	struct array_map *a = A(m);
	if (a->ptrs) {
		for (uint32_t i = 0; i < m->max_entries; i++)
			fd_put(m, a->ptrs[i]);
	}
	free(a->values);
	free(a->ptrs);
	free(a->ids);
	free(a->present);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static const struct map_ops array_ops = {
    .free = array_free,
    .lookup = array_lookup,
    .update = array_update,
    .delete = array_delete,
    .sys_lookup = array_sys_lookup,
    .sys_update = array_sys_update,
    .get_next_key = array_next_key,
    .regions = array_regions,
};

static const struct map_ops percpu_array_ops = {
    .free = array_free,
    .lookup = percpu_array_lookup,
    .update = array_update,
    .delete = array_delete,
    .lookup_percpu = percpu_array_lookup_cpu,
    .sys_lookup = array_sys_lookup,
    .sys_update = array_sys_update,
    .get_next_key = array_next_key,
    .regions = array_regions,
};

static const struct map_ops prog_array_ops = {
    .free = array_free,
    .delete = fd_delete,
    .sys_lookup = fd_sys_lookup,
    .sys_update = fd_sys_update,
    .get_next_key = array_next_key,
};

static const struct map_ops array_of_maps_ops = {
    .free = array_free,
    .lookup = of_maps_lookup,
    .sys_lookup = fd_sys_lookup,
    .sys_update = fd_sys_update,
    .sys_delete = NULL,
    .delete = fd_delete,
    .get_next_key = array_next_key,
};

static const struct map_ops redir_ops = {
    .free = array_free,
    .lookup = redir_lookup,
    .delete = redir_delete,
    .sys_lookup = redir_sys_lookup,
    .sys_update = redir_sys_update,
    .get_next_key = array_next_key,
    .regions = array_regions,
};

#define ARRAY_FLAGS                                                                                          \
	(MAP_F_NUMA_NODE | USERBPF_F_MMAPABLE | MAP_F_ACCESS_MASK | MAP_F_PRESERVE_ELEMS | MAP_F_INNER_MAP)

struct userbpf_map *map_array_create(const struct map_attr *at)
{
	enum userbpf_map_type t = at->type;
	const struct map_ops *ops;
	uint32_t allowed = ARRAY_FLAGS;
	bool fd = t == USERBPF_MAP_TYPE_PROG_ARRAY || t == USERBPF_MAP_TYPE_ARRAY_OF_MAPS;
	bool redir =
	    t == USERBPF_MAP_TYPE_DEVMAP || t == USERBPF_MAP_TYPE_CPUMAP || t == USERBPF_MAP_TYPE_XSKMAP;

	if (at->key_size != 4 || at->value_size == 0 || at->max_entries == 0) {
		errno = EINVAL;
		return NULL;
	}
	switch (t) {
	case USERBPF_MAP_TYPE_ARRAY:
		ops = &array_ops;
		break;
	case USERBPF_MAP_TYPE_PERCPU_ARRAY:
		ops = &percpu_array_ops;
		allowed &= ~USERBPF_F_MMAPABLE;
		if (MAP_ROUND_UP((uint64_t)at->value_size, 8) > 32768) {
			errno = E2BIG;
			return NULL;
		}
		break;
	case USERBPF_MAP_TYPE_PROG_ARRAY:
		ops = &prog_array_ops;
		allowed &= ~USERBPF_F_MMAPABLE;
		break;
	case USERBPF_MAP_TYPE_ARRAY_OF_MAPS:
		ops = &array_of_maps_ops;
		allowed &= ~USERBPF_F_MMAPABLE;
		break;
	default:
		ops = &redir_ops;
		allowed = MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK;
		break;
	}
	if (at->map_flags & ~allowed) {
		errno = EINVAL;
		return NULL;
	}
	if (fd && at->value_size != 4) {
		errno = EINVAL;
		return NULL;
	}
	if (t == USERBPF_MAP_TYPE_ARRAY_OF_MAPS) {
		if (!at->inner_map) {
			errno = EINVAL;
			return NULL;
		}
		enum userbpf_map_type it = at->inner_map->type;
		if (it == USERBPF_MAP_TYPE_PROG_ARRAY || it == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
		    it == USERBPF_MAP_TYPE_HASH_OF_MAPS) {
			errno = EINVAL;
			return NULL;
		}
	}
	if (redir) {
		bool ok = t == USERBPF_MAP_TYPE_XSKMAP ? at->value_size == 4
						       : (at->value_size == 4 || at->value_size == 8);
		if (!ok) {
			errno = EINVAL;
			return NULL;
		}
	}

	struct array_map *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	map_init_common(&a->map, at, ops);
	pthread_mutex_init(&a->lock, NULL);
	a->stride = a->map.pcpu_stride;
	if (!fd) {
		uint64_t bytes = (uint64_t)a->stride * at->max_entries * a->map.nr_cpus;
		if (bytes > (1ull << 40)) {
			free(a);
			errno = E2BIG;
			return NULL;
		}
		size_t align = (at->map_flags & USERBPF_F_MMAPABLE) ? 4096 : 64;
		void *mem = NULL;
		if (posix_memalign(&mem, align, bytes ? bytes : 8) != 0) {
			free(a);
			errno = ENOMEM;
			return NULL;
		}
		memset(mem, 0, bytes);
		a->values = mem;
	} else {
		a->ptrs = calloc(at->max_entries, sizeof(void *));
		if (t == USERBPF_MAP_TYPE_PROG_ARRAY)
			a->ids = calloc(at->max_entries, sizeof(uint32_t));
		if (!a->ptrs || (t == USERBPF_MAP_TYPE_PROG_ARRAY && !a->ids)) {
			array_free(&a->map);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (redir) {
		a->present = calloc(at->max_entries, 1);
		if (!a->present) {
			array_free(&a->map);
			errno = ENOMEM;
			return NULL;
		}
	}
	return &a->map;
}
