/*
 * map.c - what all maps share: creation and validation of the common attributes, reference counts,
 * the id registry (ids never reused), per-CPU slots, the host API entry points (lookup, update,
 * delete, get_next_key, batch ops) and the program-side dispatch (map_lookup, map_update, ...).
 *
 * Per-type behaviour lives in array.c, hash.c, lpm_trie.c, queue_stack.c, ringbuf.c, bloom.c and
 * perf_event.c behind struct map_ops.
 */
#include "maps/map.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- per-CPU slots ----------------------------------------------------------------------------- */

static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int nr_cpus_cur; /* 0 until first read */
static int percpu_live;		 /* per-CPU maps alive */
static unsigned int cpu_rr;	 /* round-robin slot for threads without one */
static __thread unsigned int tls_cpu_plus1;

#define MAX_CPUS 4096u

unsigned int userbpf_nr_cpus(void)
{
	unsigned int n = __atomic_load_n(&nr_cpus_cur, __ATOMIC_ACQUIRE);
	if (n)
		return n;
	pthread_mutex_lock(&cpu_lock);
	if (!nr_cpus_cur) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		if (c < 1)
			c = 1;
		if (c > (long)MAX_CPUS)
			c = MAX_CPUS;
		__atomic_store_n(&nr_cpus_cur, (unsigned int)c, __ATOMIC_RELEASE);
	}
	n = nr_cpus_cur;
	pthread_mutex_unlock(&cpu_lock);
	return n;
}

int userbpf_set_nr_cpus(unsigned int nr)
{
	if (nr == 0 || nr > MAX_CPUS)
		return -EINVAL;
	pthread_mutex_lock(&cpu_lock);
	if (percpu_live > 0) {
		pthread_mutex_unlock(&cpu_lock);
		return -EBUSY;
	}
	__atomic_store_n(&nr_cpus_cur, nr, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&cpu_lock);
	return 0;
}

void map_percpu_ref(int delta)
{
	pthread_mutex_lock(&cpu_lock);
	percpu_live += delta;
	pthread_mutex_unlock(&cpu_lock);
}

unsigned int userbpf_this_cpu(void)
{
	unsigned int n = userbpf_nr_cpus();
	unsigned int c = tls_cpu_plus1;
	if (c && c <= n)
		return c - 1;
	c = __atomic_fetch_add(&cpu_rr, 1, __ATOMIC_RELAXED) % n;
	tls_cpu_plus1 = c + 1;
	return c;
}

int userbpf_set_this_cpu(unsigned int cpu)
{
	if (cpu >= userbpf_nr_cpus())
		return -EINVAL;
	tls_cpu_plus1 = cpu + 1;
	return 0;
}

/* ---- id registry ------------------------------------------------------------------------------- */

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static struct userbpf_map **id_table; /* id_table[id - 1] */
static uint32_t id_next = 1, id_cap;

static int id_register(struct userbpf_map *m)
{
	pthread_mutex_lock(&id_lock);
	if (id_next == UINT32_MAX) {
		pthread_mutex_unlock(&id_lock);
		return -ENOSPC;
	}
	if (id_next > id_cap) {
		uint32_t cap = id_cap ? id_cap * 2 : 64;
		struct userbpf_map **t = realloc(id_table, (size_t)cap * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&id_lock);
			return -ENOMEM;
		}
		memset(t + id_cap, 0, (size_t)(cap - id_cap) * sizeof(*t));
		id_table = t;
		id_cap = cap;
	}
	m->id = id_next++;
	id_table[m->id - 1] = m;
	pthread_mutex_unlock(&id_lock);
	return 0;
}

static void id_unregister(struct userbpf_map *m)
{
	if (!m->id)
		return;
	pthread_mutex_lock(&id_lock);
	id_table[m->id - 1] = NULL;
	pthread_mutex_unlock(&id_lock);
}

struct userbpf_map *map_get_by_id(uint32_t id)
{
	struct userbpf_map *m = NULL;
	pthread_mutex_lock(&id_lock);
	if (id && id < id_next && id <= id_cap)
		m = id_table[id - 1];
	if (m) {
		int r = __atomic_load_n(&m->refcnt, __ATOMIC_RELAXED);
		do {
			if (r == 0) {
				m = NULL;
				break;
			}
		} while (!__atomic_compare_exchange_n(&m->refcnt, &r, r + 1, false, __ATOMIC_ACQUIRE,
						      __ATOMIC_RELAXED));
	}
	pthread_mutex_unlock(&id_lock);
	if (!m)
		errno = ENOENT;
	return m;
}

/* ---- prog_array resolver ------------------------------------------------------------------------ */

static void *(*prog_get_fn)(uint32_t id);
static void (*prog_put_fn)(void *prog);

void map_set_prog_resolver(void *(*get)(uint32_t id), void (*put)(void *prog))
{
	__atomic_store_n(&prog_put_fn, put, __ATOMIC_RELEASE);
	__atomic_store_n(&prog_get_fn, get, __ATOMIC_RELEASE);
}

void *map_prog_get(uint32_t id)
{
	void *(*get)(uint32_t) = __atomic_load_n(&prog_get_fn, __ATOMIC_ACQUIRE);
	if (!get) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return get(id);
}

void map_prog_put(void *prog)
{
	void (*put)(void *) = __atomic_load_n(&prog_put_fn, __ATOMIC_ACQUIRE);
	if (prog && put)
		put(prog);
}

/* ---- creation and common attributes ------------------------------------------------------------ */

static const char *const type_names[] = {
    [USERBPF_MAP_TYPE_UNSPEC] = "unspec",
    [USERBPF_MAP_TYPE_HASH] = "hash",
    [USERBPF_MAP_TYPE_ARRAY] = "array",
    [USERBPF_MAP_TYPE_PROG_ARRAY] = "prog_array",
    [USERBPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_event_array",
    [USERBPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
    [USERBPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
    [USERBPF_MAP_TYPE_LRU_HASH] = "lru_hash",
    [USERBPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
    [USERBPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
    [USERBPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
    [USERBPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
    [USERBPF_MAP_TYPE_DEVMAP] = "devmap",
    [USERBPF_MAP_TYPE_CPUMAP] = "cpumap",
    [USERBPF_MAP_TYPE_XSKMAP] = "xskmap",
    [USERBPF_MAP_TYPE_QUEUE] = "queue",
    [USERBPF_MAP_TYPE_STACK] = "stack",
    [USERBPF_MAP_TYPE_RINGBUF] = "ringbuf",
    [USERBPF_MAP_TYPE_BLOOM_FILTER] = "bloom_filter",
};

const char *userbpf_map_type_name(enum userbpf_map_type type)
{
	if ((unsigned int)type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

static bool is_percpu_type(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_PERCPU_HASH || t == USERBPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int map_init_common(struct userbpf_map *m, const struct map_attr *a, const struct map_ops *ops)
{
	m->ops = ops;
	m->type = a->type;
	m->key_size = a->key_size;
	m->value_size = a->value_size;
	m->max_entries = a->max_entries;
	m->map_flags = a->map_flags;
	m->map_extra = a->map_extra;
	m->lock_off = a->lock_off;
	m->pcpu_stride = MAP_ROUND_UP(a->value_size, 8);
	m->percpu = is_percpu_type(a->type);
	m->nr_cpus = m->percpu ? userbpf_nr_cpus() : 1;
	m->refcnt = 1;
	if (a->inner_map) {
		m->inner.type = a->inner_map->type;
		m->inner.key_size = a->inner_map->key_size;
		m->inner.value_size = a->inner_map->value_size;
		m->inner.max_entries = a->inner_map->max_entries;
		m->inner.map_flags = a->inner_map->map_flags;
	}
	return 0;
}

bool map_inner_compatible(const struct userbpf_map *outer, const struct userbpf_map *inner)
{
	if (inner->type != outer->inner.type || inner->key_size != outer->inner.key_size ||
	    inner->value_size != outer->inner.value_size || inner->map_flags != outer->inner.map_flags)
		return false;
	if (!(outer->inner.map_flags & MAP_F_INNER_MAP) && inner->max_entries != outer->inner.max_entries)
		return false;
	return true;
}

/* Map types that may carry a bpf_spin_lock in their values (as the kernel's map_check_btf). */
static bool lock_allowed(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_HASH || t == USERBPF_MAP_TYPE_ARRAY;
}

struct userbpf_map *userbpf_map_create(enum userbpf_map_type type, const char *name, uint32_t key_size,
				       uint32_t value_size, uint32_t max_entries,
				       const struct userbpf_map_create_opts *opts)
{
	struct map_attr a = {
	    .type = type,
	    .key_size = key_size,
	    .value_size = value_size,
	    .max_entries = max_entries,
	    .lock_off = -1,
	};
	if (opts) {
		if (opts->sz < sizeof(size_t)) {
			errno = EINVAL;
			return NULL;
		}
		/* Unknown trailing bytes must be zero. */
		for (size_t i = sizeof(*opts); i < opts->sz; i++) {
			if (((const unsigned char *)opts)[i]) {
				errno = EINVAL;
				return NULL;
			}
		}
#define OPT(F) (opts->sz >= offsetof(struct userbpf_map_create_opts, F) + sizeof(opts->F))
		if (OPT(map_flags))
			a.map_flags = opts->map_flags;
		if (OPT(map_extra))
			a.map_extra = opts->map_extra;
		if (OPT(inner_map))
			a.inner_map = opts->inner_map;
		if (OPT(spin_lock_off))
			a.lock_off = opts->spin_lock_off;
#undef OPT
	}
	if (a.lock_off >= 0) {
		if (!lock_allowed(type)) {
			errno = EOPNOTSUPP;
			return NULL;
		}
		if ((a.lock_off & 3) || (uint64_t)a.lock_off + 4 > value_size) {
			errno = EINVAL;
			return NULL;
		}
	} else if (a.lock_off != -1) {
		errno = EINVAL;
		return NULL;
	}
	if (a.map_extra && type != USERBPF_MAP_TYPE_BLOOM_FILTER) {
		errno = EINVAL;
		return NULL;
	}

	struct userbpf_map *m;
	switch (type) {
	case USERBPF_MAP_TYPE_ARRAY:
	case USERBPF_MAP_TYPE_PERCPU_ARRAY:
	case USERBPF_MAP_TYPE_PROG_ARRAY:
	case USERBPF_MAP_TYPE_ARRAY_OF_MAPS:
	case USERBPF_MAP_TYPE_DEVMAP:
	case USERBPF_MAP_TYPE_CPUMAP:
	case USERBPF_MAP_TYPE_XSKMAP:
		m = map_array_create(&a);
		break;
	case USERBPF_MAP_TYPE_HASH:
	case USERBPF_MAP_TYPE_PERCPU_HASH:
	case USERBPF_MAP_TYPE_LRU_HASH:
	case USERBPF_MAP_TYPE_LRU_PERCPU_HASH:
	case USERBPF_MAP_TYPE_HASH_OF_MAPS:
		m = map_hash_create(&a);
		break;
	case USERBPF_MAP_TYPE_LPM_TRIE:
		m = map_lpm_create(&a);
		break;
	case USERBPF_MAP_TYPE_QUEUE:
	case USERBPF_MAP_TYPE_STACK:
		m = map_queue_stack_create(&a);
		break;
	case USERBPF_MAP_TYPE_RINGBUF:
		m = map_ringbuf_create(&a);
		break;
	case USERBPF_MAP_TYPE_BLOOM_FILTER:
		m = map_bloom_create(&a);
		break;
	case USERBPF_MAP_TYPE_PERF_EVENT_ARRAY:
		m = map_perf_create(&a);
		break;
	default:
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!m)
		return NULL;
	if (name) {
		strncpy(m->name, name, sizeof(m->name) - 1);
		m->name[sizeof(m->name) - 1] = '\0';
	}
	int err = id_register(m);
	if (err) {
		m->ops->free(m);
		errno = -err;
		return NULL;
	}
	if (m->percpu)
		map_percpu_ref(1);
	return m;
}

struct userbpf_map *userbpf_map__get(struct userbpf_map *map)
{
	if (map)
		__atomic_add_fetch(&map->refcnt, 1, __ATOMIC_RELAXED);
	return map;
}

void userbpf_map__free(struct userbpf_map *map)
{
	if (!map)
		return;
	if (__atomic_sub_fetch(&map->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	id_unregister(map);
	bool percpu = map->percpu;
	map->ops->free(map);
	if (percpu)
		map_percpu_ref(-1);
}

uint32_t userbpf_map__id(const struct userbpf_map *map)
{
	return map ? map->id : 0;
}

const char *userbpf_map__name(const struct userbpf_map *map)
{
	return map ? map->name : NULL;
}

enum userbpf_map_type userbpf_map__type(const struct userbpf_map *map)
{
	return map ? map->type : USERBPF_MAP_TYPE_UNSPEC;
}

uint32_t userbpf_map__key_size(const struct userbpf_map *map)
{
	return map ? map->key_size : 0;
}

uint32_t userbpf_map__value_size(const struct userbpf_map *map)
{
	return map ? map->value_size : 0;
}

uint32_t userbpf_map__max_entries(const struct userbpf_map *map)
{
	return map ? map->max_entries : 0;
}

uint32_t userbpf_map__flags(const struct userbpf_map *map)
{
	return map ? map->map_flags : 0;
}

int userbpf_map__regions(const struct userbpf_map *map, struct userbpf_region *regions, size_t max)
{
	if (!map || (max && !regions))
		return -EINVAL;
	if (!map->ops->regions)
		return 0;
	size_t n = map->ops->regions((struct userbpf_map *)(uintptr_t)map, regions, max);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* ---- value copies ------------------------------------------------------------------------------ */

void map_copy_value_locked(const struct userbpf_map *m, void *dst, const void *src, bool lock_src)
{
	uint32_t *l = (uint32_t *)((char *)(lock_src ? (void *)(uintptr_t)src : dst) + m->lock_off);
	map_spin_lock(l);
	map_copy_value(m, dst, src);
	map_spin_unlock(l);
}

void map_copy_value_out(const struct userbpf_map *m, void *dst, const void *src, uint64_t flags)
{
	if (m->lock_off < 0) {
		memcpy(dst, src, m->value_size);
		return;
	}
	if (flags & USERBPF_F_LOCK)
		map_copy_value_locked(m, dst, src, true);
	else
		map_copy_value(m, dst, src);
	memset((char *)dst + m->lock_off, 0, 4);
}

int map_check_update_flags(const struct userbpf_map *m, uint64_t flags)
{
	if (flags & ~(uint64_t)(USERBPF_NOEXIST | USERBPF_EXIST | USERBPF_F_LOCK))
		return -EINVAL;
	if ((flags & 3) == 3)
		return -EINVAL;
	if ((flags & USERBPF_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	return 0;
}

/* ---- host API ---------------------------------------------------------------------------------- */

int userbpf_map_lookup_elem(struct userbpf_map *map, const void *key, void *value)
{
	return userbpf_map_lookup_elem_flags(map, key, value, 0);
}

int userbpf_map_lookup_elem_flags(struct userbpf_map *map, const void *key, void *value, uint64_t flags)
{
	if (!map || !value || (!key && map->key_size) || (key && !map->key_size))
		return -EINVAL;
	if (map->map_flags & MAP_F_WRONLY)
		return -EPERM;
	if (flags & ~(uint64_t)USERBPF_F_LOCK)
		return -EINVAL;
	if ((flags & USERBPF_F_LOCK) && map->lock_off < 0)
		return -EINVAL;
	if (!map->ops->sys_lookup)
		return -EOPNOTSUPP;
	return map->ops->sys_lookup(map, key, value, flags);
}

int userbpf_map_update_elem(struct userbpf_map *map, const void *key, const void *value, uint64_t flags)
{
	if (!map || !value || (!key && map->key_size) || (key && !map->key_size))
		return -EINVAL;
	if (map->map_flags & MAP_F_RDONLY)
		return -EPERM;
	if (!map->ops->sys_update)
		return -EOPNOTSUPP;
	return map->ops->sys_update(map, key, value, flags);
}

int userbpf_map_delete_elem(struct userbpf_map *map, const void *key)
{
	if (!map || (!key && map->key_size) || (key && !map->key_size))
		return -EINVAL;
	if (map->map_flags & MAP_F_RDONLY)
		return -EPERM;
	if (map->ops->sys_delete)
		return map->ops->sys_delete(map, key);
	if (!map->ops->delete)
		return -EINVAL;
	return (int)map->ops->delete (map, key);
}

int userbpf_map_lookup_and_delete_elem(struct userbpf_map *map, const void *key, void *value)
{
	if (!map || !value)
		return -EINVAL;
	if (map->map_flags & (MAP_F_RDONLY | MAP_F_WRONLY))
		return -EPERM;
	if (map->type == USERBPF_MAP_TYPE_QUEUE || map->type == USERBPF_MAP_TYPE_STACK) {
		if (key)
			return -EINVAL;
		return (int)map->ops->pop(map, value);
	}
	if (!key && map->key_size)
		return -EINVAL;
	if (!map->ops->sys_lookup_and_delete)
		return -EOPNOTSUPP;
	return map->ops->sys_lookup_and_delete(map, key, value, 0);
}

int userbpf_map_get_next_key(struct userbpf_map *map, const void *key, void *next_key)
{
	if (!map || !next_key)
		return -EINVAL;
	if (!map->ops->get_next_key)
		return -EINVAL;
	return map->ops->get_next_key(map, key, next_key);
}

/* Size of one value as user space reads and writes it. */
static size_t user_value_size(const struct userbpf_map *m)
{
	if (m->percpu)
		return (size_t)m->pcpu_stride * m->nr_cpus;
	return m->value_size;
}

/* Map types with batch operations in the kernel (arrays: no delete batch). */
static bool batch_ok(const struct userbpf_map *m, bool del)
{
	switch (m->type) {
	case USERBPF_MAP_TYPE_ARRAY:
	case USERBPF_MAP_TYPE_PERCPU_ARRAY:
		return !del;
	case USERBPF_MAP_TYPE_HASH:
	case USERBPF_MAP_TYPE_PERCPU_HASH:
	case USERBPF_MAP_TYPE_LRU_HASH:
	case USERBPF_MAP_TYPE_LRU_PERCPU_HASH:
	case USERBPF_MAP_TYPE_HASH_OF_MAPS:
	case USERBPF_MAP_TYPE_LPM_TRIE:
		return true;
	default:
		return false;
	}
}

static int check_batch_opts(const struct userbpf_map *m, const struct userbpf_map_batch_opts *opts,
			    uint64_t *elem_flags)
{
	*elem_flags = 0;
	if (!opts)
		return 0;
	if (opts->sz < sizeof(size_t))
		return -EINVAL;
	if (opts->sz >= offsetof(struct userbpf_map_batch_opts, elem_flags) + sizeof(uint64_t))
		*elem_flags = opts->elem_flags;
	if (opts->sz >= offsetof(struct userbpf_map_batch_opts, flags) + sizeof(uint64_t) && opts->flags)
		return -EINVAL;
	if (*elem_flags & ~(uint64_t)USERBPF_F_LOCK)
		return -EINVAL;
	if ((*elem_flags & USERBPF_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	return 0;
}

/* The kernel's generic batch lookup: in_batch is the last key done, out_batch the last key returned. */
static int generic_lookup_batch(struct userbpf_map *m, void *in_batch, void *out_batch, void *keys,
				void *values, uint32_t *count, uint64_t elem_flags)
{
	size_t ks = m->key_size, vs = user_value_size(m);
	uint32_t max = *count, cp = 0;
	int err = 0;
	unsigned char *prev = malloc(ks), *cur = malloc(ks);
	if (!prev || !cur) {
		free(prev);
		free(cur);
		return -ENOMEM;
	}
	bool have_prev = false;
	if (in_batch) {
		memcpy(prev, in_batch, ks);
		have_prev = true;
	}
	*count = 0;
	/* A bound on retries when keys vanish under us, as the kernel's. */
	for (uint32_t retry = 0; cp < max;) {
		err = m->ops->get_next_key(m, have_prev ? prev : NULL, cur);
		if (err)
			break;
		err = m->ops->sys_lookup(m, cur, (char *)values + (size_t)cp * vs, elem_flags);
		if (err == -ENOENT) {
			if (++retry > 3) {
				err = 0;
				retry = 0;
			} else {
				continue;
			}
		} else if (err) {
			break;
		} else {
			memcpy((char *)keys + (size_t)cp * ks, cur, ks);
			cp++;
			retry = 0;
		}
		memcpy(prev, cur, ks);
		have_prev = true;
	}
	*count = cp;
	if (cp && out_batch)
		memcpy(out_batch, prev, ks);
	free(prev);
	free(cur);
	return err;
}

int userbpf_map_lookup_batch(struct userbpf_map *map, void *in_batch, void *out_batch, void *keys,
			     void *values, uint32_t *count, const struct userbpf_map_batch_opts *opts)
{
	uint64_t ef;
	if (!map || !count || !keys || !values || !out_batch)
		return -EINVAL;
	if (!batch_ok(map, false))
		return -EOPNOTSUPP;
	int err = check_batch_opts(map, opts, &ef);
	if (err)
		return err;
	if (map->ops->lookup_batch)
		return map->ops->lookup_batch(map, in_batch, out_batch, keys, values, count, ef, false);
	if (!map->ops->get_next_key || !map->ops->sys_lookup || !map->key_size)
		return -EOPNOTSUPP;
	return generic_lookup_batch(map, in_batch, out_batch, keys, values, count, ef);
}

int userbpf_map_lookup_and_delete_batch(struct userbpf_map *map, void *in_batch, void *out_batch, void *keys,
					void *values, uint32_t *count,
					const struct userbpf_map_batch_opts *opts)
{
	uint64_t ef;
	if (!map || !count || !keys || !values || !out_batch)
		return -EINVAL;
	int err = check_batch_opts(map, opts, &ef);
	if (err)
		return err;
	if (!map->ops->lookup_batch)
		return -EOPNOTSUPP;
	return map->ops->lookup_batch(map, in_batch, out_batch, keys, values, count, ef, true);
}

int userbpf_map_update_batch(struct userbpf_map *map, const void *keys, const void *values, uint32_t *count,
			     const struct userbpf_map_batch_opts *opts)
{
	uint64_t ef;
	if (!map || !count || !keys || !values)
		return -EINVAL;
	if (!batch_ok(map, false))
		return -EOPNOTSUPP;
	int err = check_batch_opts(map, opts, &ef);
	if (err)
		return err;
	if (!map->ops->sys_update || !map->key_size)
		return -EOPNOTSUPP;
	size_t ks = map->key_size, vs = user_value_size(map);
	uint32_t i;
	for (i = 0; i < *count; i++) {
		err =
		    map->ops->sys_update(map, (const char *)keys + i * ks, (const char *)values + i * vs, ef);
		if (err)
			break;
	}
	*count = i;
	return err;
}

int userbpf_map_delete_batch(struct userbpf_map *map, const void *keys, uint32_t *count,
			     const struct userbpf_map_batch_opts *opts)
{
	uint64_t ef;
	if (!map || !count || !keys)
		return -EINVAL;
	if (!batch_ok(map, true))
		return -EOPNOTSUPP;
	int err = check_batch_opts(map, opts, &ef);
	if (err)
		return err;
	if (ef)
		return -EINVAL;
	if (!map->key_size || (!map->ops->sys_delete && !map->ops->delete))
		return -EOPNOTSUPP;
	uint32_t i;
	for (i = 0; i < *count; i++) {
		err = userbpf_map_delete_elem(map, (const char *)keys + (size_t)i * map->key_size);
		if (err)
			break;
	}
	*count = i;
	return err;
}

/* ---- program side ------------------------------------------------------------------------------ */

void *map_lookup(struct userbpf_map *m, const void *key)
{
	if (!m->ops->lookup)
		return NULL;
	return m->ops->lookup(m, key);
}

long map_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	if (!m->ops->update)
		return -EINVAL;
	return m->ops->update(m, key, value, flags);
}

long map_delete(struct userbpf_map *m, const void *key)
{
	if (!m->ops->delete)
		return -EINVAL;
	return m->ops->delete (m, key);
}

long map_push(struct userbpf_map *m, const void *value, uint64_t flags)
{
	if (!m->ops->push)
		return -EINVAL;
	return m->ops->push(m, value, flags);
}

long map_pop(struct userbpf_map *m, void *value)
{
	if (!m->ops->pop)
		return -EINVAL;
	return m->ops->pop(m, value);
}

long map_peek(struct userbpf_map *m, void *value)
{
	if (!m->ops->peek)
		return -EINVAL;
	return m->ops->peek(m, value);
}

void *map_lookup_percpu(struct userbpf_map *m, const void *key, uint32_t cpu)
{
	if (!m->ops->lookup_percpu || cpu >= m->nr_cpus)
		return NULL;
	return m->ops->lookup_percpu(m, key, cpu);
}
