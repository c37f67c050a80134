/*
 * hash.c - the hash family: hash, percpu_hash, lru_hash, lru_percpu_hash and hash_of_maps.
 *
 * Layout: a power-of-two bucket array (roundup_pow_of_two(max_entries) buckets, as the kernel), each
 * bucket a spin lock and a singly-linked chain with new elements at its head. Elements come from a
 * pool of max_entries elements that is allocated up front (or in chunks, never beyond max_entries,
 * with BPF_F_NO_PREALLOC) and recycled through a free list, never freed while the map lives: a value
 * pointer returned to a program stays valid memory, as with the kernel's preallocated maps.
 *
 * Plain hash maps update an existing element's value in place (under its bpf_spin_lock with
 * BPF_F_LOCK) and return -E2BIG when a new key finds the pool empty.
 *
 * LRU maps never return -E2BIG. Approximation of the kernel's LRU: one list for the whole map (also
 * with BPF_F_NO_COMMON_LRU, which the kernel splits per CPU), new and replaced elements enter at its
 * head, program lookups set a reference bit (as bpf_lru_node_set_ref; host lookups do not), and
 * eviction, needed only when the pool is empty, walks from the tail giving referenced elements a
 * second chance (bit cleared, moved to the head) for at most 128 of them, then takes the first
 * unreferenced one (or the tail). As in the kernel, an update allocates its element before looking
 * for the key (except lru_percpu with BPF_EXIST), so an update on a full map may evict even when it
 * replaces or fails. The kernel's per-CPU free lists can evict before the map is full; userbpf does
 * not.
 *
 * Lock order: lru lock -> bucket lock -> free-list lock; a bucket lock -> a value's bpf_spin_lock.
 */
#include "maps/map.h"

#include <stdlib.h>

struct htab_elem {
	struct htab_elem *next;	 /* bucket chain, or free list */
	struct htab_elem *lprev; /* LRU list (under lru_lock) */
	struct htab_elem *lnext;
	uint32_t hash;
	uint8_t ref;	 /* LRU reference bit (atomic) */
	uint8_t in_hash; /* linked in a bucket (atomic; changed under the bucket lock) */
	uint8_t pad[2];
	char data[] __attribute__((aligned(8))); /* key, round_up(key_size, 8), then the value area */
};

struct bucket {
	uint32_t lock;
	struct htab_elem *head;
};

struct chunk {
	struct chunk *next;
};

struct htab {
	struct userbpf_map map;
	struct bucket *buckets;
	uint32_t mask;
	uint32_t key_round;
	size_t elem_size;
	size_t value_area; /* bytes of value storage per element */
	bool lru, of_maps;

	uint32_t free_lock;
	struct htab_elem *free_list;
	uint32_t allocated; /* elements created so far (<= max_entries) */
	struct chunk *chunks;

	uint32_t lru_lock;
	struct htab_elem lru_head; /* lnext = most recent, lprev = oldest */
};

#define H(m)	     map_container_of(m, struct htab, map)
#define LRU_SCAN_MAX 128
#define CHUNK_ELEMS  1024u

/* ---- hashing ----------------------------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

static inline uint32_t hash_key(const void *key, uint32_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * 0xff51afd7ed558ccdULL);
	uint64_t w;
	if (len == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return (uint32_t)mix64(h ^ v);
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ mix64(w)) * 0xc4ceb9fe1a85ec53ULL;
		h = (h << 29) | (h >> 35);
		p += 8;
		len -= 8;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h ^= mix64(w ^ ((uint64_t)len << 56));
	}
	return (uint32_t)mix64(h);
}

static inline char *elem_key(struct htab_elem *e)
{
	return e->data;
}

static inline char *elem_value(struct htab *h, struct htab_elem *e)
{
	return e->data + h->key_round;
}

static inline struct bucket *bucket_of(struct htab *h, uint32_t hash)
{
	return &h->buckets[hash & h->mask];
}

static inline struct htab_elem *chain_find(struct htab *h, struct bucket *b, uint32_t hash, const void *key,
					   struct htab_elem ***pprev)
{
	struct htab_elem **pp = &b->head, *e;
	for (e = *pp; e; pp = &e->next, e = *pp) {
		if (e->hash == hash && memcmp(e->data, key, h->map.key_size) == 0) {
			if (pprev)
				*pprev = pp;
			return e;
		}
	}
	return NULL;
}

/* ---- element pool ------------------------------------------------------------------------------ */

/* Add up to `n` new elements to the free list (free_lock held). */
static bool pool_grow(struct htab *h, uint32_t n)
{
	if (h->allocated + n > h->map.max_entries)
		n = h->map.max_entries - h->allocated;
	if (!n)
		return false;
	size_t hdr = MAP_ROUND_UP(sizeof(struct chunk), 64);
	char *mem = calloc(1, hdr + (size_t)n * h->elem_size);
	if (!mem)
		return false;
	struct chunk *c = (struct chunk *)mem;
	c->next = h->chunks;
	h->chunks = c;
	for (uint32_t i = n; i-- > 0;) {
		struct htab_elem *e = (struct htab_elem *)(mem + hdr + (size_t)i * h->elem_size);
		e->next = h->free_list;
		h->free_list = e;
	}
	h->allocated += n;
	return true;
}

static struct htab_elem *free_pop_locked(struct htab *h)
{
	struct htab_elem *e = h->free_list;
	if (!e && pool_grow(h, CHUNK_ELEMS))
		e = h->free_list;
	if (e)
		h->free_list = e->next;
	return e;
}

static struct htab_elem *free_pop(struct htab *h)
{
	map_spin_lock(&h->free_lock);
	struct htab_elem *e = free_pop_locked(h);
	map_spin_unlock(&h->free_lock);
	return e;
}

static void free_push(struct htab *h, struct htab_elem *e)
{
	map_spin_lock(&h->free_lock);
	e->next = h->free_list;
	h->free_list = e;
	map_spin_unlock(&h->free_lock);
}

/* ---- LRU --------------------------------------------------------------------------------------- */

static inline void lru_unlink(struct htab_elem *e)
{
	e->lprev->lnext = e->lnext;
	e->lnext->lprev = e->lprev;
	e->lprev = e->lnext = NULL;
}

static inline void lru_add_head(struct htab *h, struct htab_elem *e)
{
	struct htab_elem *hd = &h->lru_head;
	e->lnext = hd->lnext;
	e->lprev = hd;
	hd->lnext->lprev = e;
	hd->lnext = e;
}

/* Take an element out of the hash for reuse (lru_lock held). */
static struct htab_elem *lru_evict(struct htab *h)
{
	struct htab_elem *hd = &h->lru_head, *e, *prev;
	unsigned int second = 0;
	uint64_t steps = 0, limit = (uint64_t)h->allocated + LRU_SCAN_MAX + 1;
	for (e = hd->lprev; e != hd && steps < limit; e = prev, steps++) {
		prev = e->lprev;
		if (!__atomic_load_n(&e->in_hash, __ATOMIC_ACQUIRE))
			continue; /* being inserted or freed */
		if (__atomic_load_n(&e->ref, __ATOMIC_RELAXED) && second < LRU_SCAN_MAX) {
			__atomic_store_n(&e->ref, 0, __ATOMIC_RELAXED);
			lru_unlink(e);
			lru_add_head(h, e);
			second++;
			continue;
		}
		struct bucket *b = bucket_of(h, e->hash);
		struct htab_elem **pp;
		map_spin_lock(&b->lock);
		for (pp = &b->head; *pp && *pp != e; pp = &(*pp)->next)
			;
		if (*pp == e) {
			*pp = e->next;
			__atomic_store_n(&e->in_hash, 0, __ATOMIC_RELEASE);
			map_spin_unlock(&b->lock);
			lru_unlink(e);
			return e;
		}
		map_spin_unlock(&b->lock);
	}
	return NULL;
}

/* A fresh element for `hash`, linked at the LRU head but not in the hash. */
static struct htab_elem *lru_alloc(struct htab *h, uint32_t hash)
{
	map_spin_lock(&h->lru_lock);
	struct htab_elem *e = free_pop(h);
	if (!e)
		e = lru_evict(h);
	if (!e) {
		/* Every element referenced twice over or in flight: take the oldest in the hash. */
		e = lru_evict(h);
	}
	if (e) {
		e->hash = hash;
		__atomic_store_n(&e->ref, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&e->in_hash, 0, __ATOMIC_RELAXED);
		lru_add_head(h, e);
	}
	map_spin_unlock(&h->lru_lock);
	return e;
}

static void lru_free(struct htab *h, struct htab_elem *e)
{
	map_spin_lock(&h->lru_lock);
	lru_unlink(e);
	free_push(h, e);
	map_spin_unlock(&h->lru_lock);
}

/* An element no longer in the hash goes back to the pool. */
static void elem_release(struct htab *h, struct htab_elem *e)
{
	if (h->of_maps) {
		struct userbpf_map *inner;
		memcpy(&inner, elem_value(h, e), sizeof(inner));
		userbpf_map__free(inner);
	}
	if (h->lru)
		lru_free(h, e);
	else
		free_push(h, e);
}

/* ---- values ------------------------------------------------------------------------------------ */

/*
 * Write `value` into element `e`: onall = user space's layout (all slots), else this worker's slot
 * (and zeroes in the others when the element is new).
 */
static void value_store(struct htab *h, struct htab_elem *e, const void *value, bool onall, bool fresh,
			uint64_t flags)
{
	struct userbpf_map *m = &h->map;
	char *v = elem_value(h, e);
	if (h->of_maps) {
		__atomic_store_n((void **)v, *(void *const *)value, __ATOMIC_RELEASE);
		return;
	}
	if (m->percpu) {
		uint32_t stride = m->pcpu_stride;
		if (onall) {
			for (uint32_t c = 0; c < m->nr_cpus; c++)
				memcpy(v + (size_t)c * stride, (const char *)value + (size_t)c * stride,
				       m->value_size);
			return;
		}
		if (fresh)
			memset(v, 0, h->value_area);
		memcpy(v + (size_t)(userbpf_this_cpu() % m->nr_cpus) * stride, value, m->value_size);
		return;
	}
	if (fresh) {
		if (m->lock_off >= 0)
			memset(v + m->lock_off, 0, 4);
		map_copy_value(m, v, value);
		return;
	}
	if (flags & USERBPF_F_LOCK)
		map_copy_value_locked(m, v, value, false);
	else
		map_copy_value(m, v, value);
}

static void value_load(struct htab *h, struct htab_elem *e, void *out, uint64_t flags)
{
	struct userbpf_map *m = &h->map;
	char *v = elem_value(h, e);
	if (h->of_maps) {
		struct userbpf_map *inner = *(struct userbpf_map **)v;
		uint32_t id = userbpf_map__id(inner);
		memcpy(out, &id, 4);
	} else if (m->percpu) {
		memcpy(out, v, (size_t)m->pcpu_stride * m->nr_cpus);
	} else {
		map_copy_value_out(m, out, v, flags);
	}
}

/* ---- operations -------------------------------------------------------------------------------- */

static inline void *lookup_elem(struct htab *h, const void *key, uint32_t cpu, bool mark)
{
	uint32_t hash = hash_key(key, h->map.key_size);
	struct bucket *b = bucket_of(h, hash);
	map_spin_lock(&b->lock);
	struct htab_elem *e = chain_find(h, b, hash, key, NULL);
	void *ret = NULL;
	if (e) {
		ret = elem_value(h, e);
		if (h->of_maps)
			ret = __atomic_load_n((void **)ret, __ATOMIC_ACQUIRE);
		else if (h->map.percpu)
			ret = (char *)ret + (size_t)cpu * h->map.pcpu_stride;
	}
	map_spin_unlock(&b->lock);
	if (e && mark && !__atomic_load_n(&e->ref, __ATOMIC_RELAXED))
		__atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
	return ret;
}

static void *htab_lookup(struct userbpf_map *m, const void *key)
{
	struct htab *h = H(m);
	return lookup_elem(h, key, m->percpu ? userbpf_this_cpu() % m->nr_cpus : 0, h->lru);
}

static void *htab_lookup_percpu(struct userbpf_map *m, const void *key, uint32_t cpu)
{
	struct htab *h = H(m);
	return lookup_elem(h, key, cpu, h->lru);
}

static int check_flags(struct htab_elem *old, uint64_t flags)
{
	if (old && (flags & 3) == USERBPF_NOEXIST)
		return -EEXIST;
	if (!old && (flags & 3) == USERBPF_EXIST)
		return -ENOENT;
	return 0;
}

static int update_plain(struct htab *h, const void *key, const void *value, uint64_t flags, bool onall)
{
	uint32_t hash = hash_key(key, h->map.key_size);
	struct bucket *b = bucket_of(h, hash);
	struct htab_elem **pp, *old, *e;
	void *old_inner = NULL;
	int err;

	map_spin_lock(&b->lock);
	old = chain_find(h, b, hash, key, &pp);
	err = check_flags(old, flags);
	if (err)
		goto out;
	if (old) {
		if (h->of_maps)
			memcpy(&old_inner, elem_value(h, old), sizeof(old_inner));
		value_store(h, old, value, onall, false, flags);
		goto out;
	}
	e = free_pop(h);
	if (!e) {
		err = -E2BIG;
		goto out;
	}
	e->hash = hash;
	memcpy(elem_key(e), key, h->map.key_size);
	value_store(h, e, value, onall, true, flags);
	e->next = b->head;
	__atomic_store_n(&e->in_hash, 1, __ATOMIC_RELEASE);
	b->head = e;
out:
	map_spin_unlock(&b->lock);
	if (old_inner)
		userbpf_map__free(old_inner);
	return err;
}

static int update_lru(struct htab *h, const void *key, const void *value, uint64_t flags, bool onall)
{
	uint32_t hash = hash_key(key, h->map.key_size);
	struct bucket *b = bucket_of(h, hash);
	struct htab_elem **pp, *old, *e = NULL;
	bool percpu = h->map.percpu;
	int err;

	if (!percpu || (flags & 3) != USERBPF_EXIST) {
		e = lru_alloc(h, hash);
		if (!e)
			return -ENOMEM;
		memcpy(elem_key(e), key, h->map.key_size);
		if (!percpu)
			value_store(h, e, value, onall, true, flags);
	}
	map_spin_lock(&b->lock);
	old = chain_find(h, b, hash, key, &pp);
	err = check_flags(old, flags);
	if (err)
		goto fail;
	if (percpu && old) {
		/* Per-CPU LRU: update in place and mark, as the kernel. */
		value_store(h, old, value, onall, false, flags);
		__atomic_store_n(&old->ref, 1, __ATOMIC_RELAXED);
		map_spin_unlock(&b->lock);
		if (e)
			lru_free(h, e);
		return 0;
	}
	if (percpu)
		value_store(h, e, value, onall, true, flags);
	if (old) {
		*pp = old->next;
		__atomic_store_n(&old->in_hash, 0, __ATOMIC_RELEASE);
	}
	e->next = b->head;
	b->head = e;
	__atomic_store_n(&e->in_hash, 1, __ATOMIC_RELEASE);
	map_spin_unlock(&b->lock);
	if (old)
		lru_free(h, old);
	return 0;
fail:
	map_spin_unlock(&b->lock);
	if (e)
		lru_free(h, e);
	return err;
}

static long htab_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	struct htab *h = H(m);
	int err = map_check_update_flags(m, flags);
	if (err)
		return err;
	if (h->of_maps)
		return -EINVAL; /* programs cannot store maps */
	return h->lru ? update_lru(h, key, value, flags, false) : update_plain(h, key, value, flags, false);
}

static int htab_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	struct htab *h = H(m);
	int err = map_check_update_flags(m, flags);
	if (err)
		return err;
	if (h->of_maps) {
		uint32_t id;
		memcpy(&id, value, 4);
		struct userbpf_map *inner = map_get_by_id(id);
		if (!inner)
			return -EBADF;
		if (!map_inner_compatible(m, inner)) {
			userbpf_map__free(inner);
			return -EINVAL;
		}
		err = update_plain(h, key, &inner, flags, true);
		if (err)
			userbpf_map__free(inner);
		return err;
	}
	return h->lru ? update_lru(h, key, value, flags, true) : update_plain(h, key, value, flags, true);
}

static int delete_elem(struct htab *h, const void *key, void *out, uint64_t flags)
{
	uint32_t hash = hash_key(key, h->map.key_size);
	struct bucket *b = bucket_of(h, hash);
	struct htab_elem **pp, *e;
	map_spin_lock(&b->lock);
	e = chain_find(h, b, hash, key, &pp);
	if (!e) {
		map_spin_unlock(&b->lock);
		return -ENOENT;
	}
	if (out)
		value_load(h, e, out, flags);
	*pp = e->next;
	__atomic_store_n(&e->in_hash, 0, __ATOMIC_RELEASE);
	map_spin_unlock(&b->lock);
	elem_release(h, e);
	return 0;
}

static long htab_delete(struct userbpf_map *m, const void *key)
{
	return delete_elem(H(m), key, NULL, 0);
}

static int htab_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	struct htab *h = H(m);
	uint32_t hash = hash_key(key, m->key_size);
	struct bucket *b = bucket_of(h, hash);
	map_spin_lock(&b->lock);
	struct htab_elem *e = chain_find(h, b, hash, key, NULL);
	if (e)
		value_load(h, e, value, flags);
	map_spin_unlock(&b->lock);
	return e ? 0 : -ENOENT;
}

static int htab_sys_lookup_and_delete(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	return delete_elem(H(m), key, value, flags);
}

static int htab_next_key(struct userbpf_map *m, const void *key, void *next)
{
	struct htab *h = H(m);
	uint32_t i = 0;
	if (key) {
		uint32_t hash = hash_key(key, m->key_size);
		struct bucket *b = bucket_of(h, hash);
		map_spin_lock(&b->lock);
		struct htab_elem *e = chain_find(h, b, hash, key, NULL);
		if (e && e->next) {
			memcpy(next, elem_key(e->next), m->key_size);
			map_spin_unlock(&b->lock);
			return 0;
		}
		map_spin_unlock(&b->lock);
		if (e)
			i = (hash & h->mask) + 1; /* else the key is gone: restart from the first */
	}
	for (; i <= h->mask; i++) {
		struct bucket *b = &h->buckets[i];
		map_spin_lock(&b->lock);
		if (b->head) {
			memcpy(next, elem_key(b->head), m->key_size);
			map_spin_unlock(&b->lock);
			return 0;
		}
		map_spin_unlock(&b->lock);
	}
	return -ENOENT;
}

/* The kernel's htab batch: in_batch/out_batch are u32 bucket numbers; whole buckets only. */
static int htab_batch(struct userbpf_map *m, void *in_batch, void *out_batch, void *keys, void *values,
		      uint32_t *count, uint64_t elem_flags, bool do_delete)
{
	struct htab *h = H(m);
	uint32_t max = *count, total = 0, batch = 0;
	size_t vs = m->percpu ? (size_t)m->pcpu_stride * m->nr_cpus : m->value_size;
	int err = 0;
	if (in_batch)
		memcpy(&batch, in_batch, 4);
	*count = 0;
	if (batch > h->mask)
		return -ENOENT;
	if (!max)
		return -EINVAL;
	for (; batch <= h->mask; batch++) {
		struct bucket *b = &h->buckets[batch];
		struct htab_elem *e, *dead = NULL;
		uint32_t n = 0;
		map_spin_lock(&b->lock);
		for (e = b->head; e; e = e->next)
			n++;
		if (n > max - total) {
			map_spin_unlock(&b->lock);
			if (total == 0)
				err = -ENOSPC;
			break;
		}
		for (e = b->head; e; e = e->next) {
			memcpy((char *)keys + (size_t)total * m->key_size, elem_key(e), m->key_size);
			value_load(h, e, (char *)values + (size_t)total * vs, elem_flags);
			total++;
		}
		if (do_delete) {
			dead = b->head;
			for (e = dead; e; e = e->next)
				__atomic_store_n(&e->in_hash, 0, __ATOMIC_RELEASE);
			b->head = NULL;
		}
		map_spin_unlock(&b->lock);
		while (dead) {
			e = dead;
			dead = e->next;
			elem_release(h, e);
		}
	}
	if (!err && batch > h->mask)
		err = -ENOENT;
	*count = total;
	memcpy(out_batch, &batch, 4);
	return err;
}

/* ---- creation ---------------------------------------------------------------------------------- */

static void htab_free(struct userbpf_map *m)
{
	struct htab *h = H(m);
	if (h->of_maps) {
		for (uint32_t i = 0; i <= h->mask; i++) {
			for (struct htab_elem *e = h->buckets[i].head; e; e = e->next) {
				struct userbpf_map *inner;
				memcpy(&inner, elem_value(h, e), sizeof(inner));
				userbpf_map__free(inner);
			}
		}
	}
	while (h->chunks) {
		struct chunk *c = h->chunks;
		h->chunks = c->next;
		free(c);
	}
	free(h->buckets);
	free(h);
}

static const struct map_ops htab_ops = {
    .free = htab_free,
    .lookup = htab_lookup,
    .update = htab_update,
    .delete = htab_delete,
    .sys_lookup = htab_sys_lookup,
    .sys_update = htab_sys_update,
    .sys_lookup_and_delete = htab_sys_lookup_and_delete,
    .get_next_key = htab_next_key,
    .lookup_batch = htab_batch,
};

static const struct map_ops htab_percpu_ops = {
    .free = htab_free,
    .lookup = htab_lookup,
    .update = htab_update,
    .delete = htab_delete,
    .lookup_percpu = htab_lookup_percpu,
    .sys_lookup = htab_sys_lookup,
    .sys_update = htab_sys_update,
    .sys_lookup_and_delete = htab_sys_lookup_and_delete,
    .get_next_key = htab_next_key,
    .lookup_batch = htab_batch,
};

#define HTAB_FLAGS                                                                                           \
	(USERBPF_F_NO_PREALLOC | USERBPF_F_NO_COMMON_LRU | MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK |             \
	 MAP_F_ZERO_SEED)

struct userbpf_map *map_hash_create(const struct map_attr *a)
{
	enum userbpf_map_type t = a->type;
	bool lru = t == USERBPF_MAP_TYPE_LRU_HASH || t == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
	bool percpu = t == USERBPF_MAP_TYPE_PERCPU_HASH || t == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
	bool of_maps = t == USERBPF_MAP_TYPE_HASH_OF_MAPS;
	uint32_t flags = a->map_flags;

	if (a->max_entries == 0 || a->key_size == 0 || a->value_size == 0 || (flags & ~HTAB_FLAGS)) {
		errno = EINVAL;
		return NULL;
	}
	if ((flags & USERBPF_F_NO_COMMON_LRU) && !lru) {
		errno = EINVAL;
		return NULL;
	}
	if (lru && (flags & USERBPF_F_NO_PREALLOC)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (a->key_size > 512 || a->value_size > (1u << 26) || a->max_entries > (1u << 31) ||
	    (percpu && MAP_ROUND_UP(a->value_size, 8) > 32768)) {
		errno = E2BIG;
		return NULL;
	}
	if (of_maps) {
		if (a->value_size != 4 || !a->inner_map) {
			errno = EINVAL;
			return NULL;
		}
		enum userbpf_map_type it = a->inner_map->type;
		if (it == USERBPF_MAP_TYPE_PROG_ARRAY || it == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
		    it == USERBPF_MAP_TYPE_HASH_OF_MAPS) {
			errno = EINVAL;
			return NULL;
		}
	}

	struct htab *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	map_init_common(&h->map, a, percpu ? &htab_percpu_ops : &htab_ops);
	h->lru = lru;
	h->of_maps = of_maps;
	h->key_round = MAP_ROUND_UP(a->key_size, 8);
	if (of_maps)
		h->value_area = sizeof(void *);
	else if (percpu)
		h->value_area = (size_t)h->map.pcpu_stride * h->map.nr_cpus;
	else
		h->value_area = MAP_ROUND_UP(a->value_size, 8);
	h->elem_size = MAP_ROUND_UP(sizeof(struct htab_elem) + h->key_round + h->value_area, 8);
	uint32_t nb = 1;
	while (nb < a->max_entries)
		nb <<= 1;
	h->mask = nb - 1;
	h->buckets = calloc(nb, sizeof(*h->buckets));
	h->lru_head.lnext = h->lru_head.lprev = &h->lru_head;
	if (!h->buckets) {
		htab_free(&h->map);
		errno = ENOMEM;
		return NULL;
	}
	if (!(flags & USERBPF_F_NO_PREALLOC)) {
		/* Preallocate the whole pool, as the kernel does. */
		if (!pool_grow(h, a->max_entries)) {
			htab_free(&h->map);
			errno = ENOMEM;
			return NULL;
		}
	}
	return &h->map;
}
