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
 * Program-side lookups take no lock: chains end in a "nulls" marker naming their bucket and keys are
 * read and written a word at a time with atomics, so a reader that raced with a delete and reuse
 * restarts (the kernel's hlist_nulls scheme); writers take the bucket's spin lock.
 *
 * LRU maps never return -E2BIG: lru.c runs the kernel's LRU lists (active/inactive/free, per-CPU
 * local free and pending lists, reference bits set by program lookups but not by host lookups), so
 * eviction picks the kernel's victims, in the kernel's batches. As in the kernel, an update takes its
 * element before looking for the key (except lru_percpu with BPF_EXIST), so an update on a full map
 * may evict even when it replaces or fails.
 *
 * Lock order: LRU locks -> bucket lock -> free-list lock; a bucket lock -> a value's bpf_spin_lock.
 */
#include "maps/map.h"

#include <stdlib.h>

struct htab_elem {
	struct htab_elem *next;	 /* bucket chain (atomic), ending in a nulls marker naming the bucket */
	struct htab_elem *fnext; /* free list (next keeps its chain for lockless readers) */
	struct map_lru_node lru; /* LRU maps: lists of lru.c */
	uint32_t hash;
	uint8_t in_hash; /* linked in a bucket (atomic; changed under the bucket lock) */
	uint8_t pad[3];
	char data[] __attribute__((aligned(8))); /* key, round_up(key_size, 8), then the value area */
};

struct bucket {
	uint32_t lock;
	struct htab_elem *head;
};

struct chunk {
	struct chunk *next;
	size_t bytes;
};

struct htab {
	struct userbpf_map map;
	struct bucket *buckets;
	uint32_t mask;
	uint32_t key_round;
	uint32_t key_words;
	size_t elem_size;
	size_t value_area; /* bytes of value storage per element */
	bool lru, of_maps;

	uint32_t free_lock;
	struct htab_elem *free_list;
	uint32_t allocated; /* elements created so far (<= max_entries) */
	struct chunk *chunks;

	struct map_lru *lrul;
};

#define H(m) map_container_of(m, struct htab, map)

#define CHUNK_ELEMS 1024u
#define CHUNK_HDR   MAP_ROUND_UP(sizeof(struct chunk), 64)

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

/*
 * Chains end in an odd pointer that encodes the bucket: a lockless reader that followed an element
 * into another chain (the element was deleted and reused meanwhile) notices and restarts, as with
 * the kernel's hlist_nulls.
 */
static inline bool is_nulls(const struct htab_elem *e)
{
	return (uintptr_t)e & 1;
}

static inline struct htab_elem *nulls(uint32_t idx)
{
	return (struct htab_elem *)(((uintptr_t)idx << 1) | 1);
}

static inline void store_next(struct htab_elem **p, struct htab_elem *v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * Keys are compared and written a word at a time with atomic accesses, since lockless readers may
 * look at an element being reused (they then see a mismatch or end at a foreign nulls marker). The
 * stored key is zero-padded to whole words.
 */
static inline uint64_t key_word(const struct htab *h, const void *key, uint32_t i)
{
	uint64_t w = 0;
	uint32_t left = h->map.key_size - i * 8;
	memcpy(&w, (const char *)key + (size_t)i * 8, left < 8 ? left : 8);
	return w;
}

static inline bool key_eq(const struct htab *h, const struct htab_elem *e, const void *key)
{
	const uint64_t *ek = (const uint64_t *)(const void *)e->data;
	for (uint32_t i = 0; i < h->key_words; i++) {
		if (__atomic_load_n(&ek[i], __ATOMIC_RELAXED) != key_word(h, key, i))
			return false;
	}
	return true;
}

static inline void key_store(const struct htab *h, struct htab_elem *e, const void *key)
{
	uint64_t *ek = (uint64_t *)(void *)e->data;
	for (uint32_t i = 0; i < h->key_words; i++)
		__atomic_store_n(&ek[i], key_word(h, key, i), __ATOMIC_RELAXED);
}

/* Find a key in a bucket whose lock is held. */
static inline struct htab_elem *chain_find(struct htab *h, struct bucket *b, uint32_t hash, const void *key,
					   struct htab_elem ***pprev)
{
	struct htab_elem **pp = &b->head, *e;
	for (e = *pp; !is_nulls(e); pp = &e->next, e = *pp) {
		if (__atomic_load_n(&e->hash, __ATOMIC_RELAXED) == hash && key_eq(h, e, key)) {
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
	size_t hdr = CHUNK_HDR;
	char *mem = calloc(1, hdr + (size_t)n * h->elem_size);
	if (!mem)
		return false;
	struct chunk *c = (struct chunk *)mem;
	c->next = h->chunks;
	c->bytes = hdr + (size_t)n * h->elem_size;
	h->chunks = c;
	for (uint32_t i = n; i-- > 0;) {
		struct htab_elem *e = (struct htab_elem *)(mem + hdr + (size_t)i * h->elem_size);
		e->fnext = h->free_list;
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
		h->free_list = e->fnext;
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
	e->fnext = h->free_list;
	h->free_list = e;
	map_spin_unlock(&h->free_lock);
}

/* ---- LRU (lists in lru.c) --------------------------------------------------------------------- */

static inline struct htab_elem *lru_elem(struct map_lru_node *n)
{
	return map_container_of(n, struct htab_elem, lru);
}

/* The LRU's eviction: take the node's element out of its bucket, if it is in one. */
static bool lru_del_from_htab(void *arg, struct map_lru_node *n)
{
	struct htab *h = arg;
	struct htab_elem *e = lru_elem(n), **pp;
	struct bucket *b = bucket_of(h, __atomic_load_n(&e->hash, __ATOMIC_RELAXED));
	map_spin_lock(&b->lock);
	for (pp = &b->head; !is_nulls(*pp) && *pp != e; pp = &(*pp)->next)
		;
	bool found = *pp == e;
	if (found) {
		store_next(pp, e->next);
		__atomic_store_n(&e->in_hash, 0, __ATOMIC_RELEASE);
	}
	map_spin_unlock(&b->lock);
	return found;
}

/* A free element for `hash` (evicting as the kernel's LRU does), not yet in the hash. */
static struct htab_elem *lru_alloc(struct htab *h, uint32_t hash)
{
	struct map_lru_node *n = map_lru_pop_free(h->lrul, hash);
	return n ? lru_elem(n) : NULL;
}

static void lru_free(struct htab *h, struct htab_elem *e)
{
	map_lru_push_free(h->lrul, &e->lru);
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
			/* user space writes whole 8-byte-rounded slots, padding included, as in the kernel */
			memcpy(v, value, (size_t)stride * m->nr_cpus);
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

/* Program-side lookup: no lock, as the kernel's RCU lookup (see is_nulls()). */
static inline void *lookup_elem(struct htab *h, const void *key, uint32_t cpu, bool mark)
{
	uint32_t hash = hash_key(key, h->map.key_size), idx = hash & h->mask;
	struct htab_elem *e;
again:
	for (e = __atomic_load_n(&h->buckets[idx].head, __ATOMIC_ACQUIRE); !is_nulls(e);
	     e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&e->hash, __ATOMIC_RELAXED) == hash && key_eq(h, e, key))
			break;
	}
	if (is_nulls(e)) {
		if (e != nulls(idx))
			goto again;
		return NULL;
	}
	if (mark)
		map_lru_set_ref(&e->lru);
	char *ret = elem_value(h, e);
	if (h->of_maps)
		return __atomic_load_n((void **)(void *)ret, __ATOMIC_ACQUIRE);
	if (h->map.percpu)
		ret += (size_t)cpu * h->map.pcpu_stride;
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
	__atomic_store_n(&e->hash, hash, __ATOMIC_RELAXED);
	key_store(h, e, key);
	value_store(h, e, value, onall, true, flags);
	store_next(&e->next, b->head);
	__atomic_store_n(&e->in_hash, 1, __ATOMIC_RELEASE);
	store_next(&b->head, e);
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
		key_store(h, e, key);
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
		map_lru_set_ref(&old->lru);
		map_spin_unlock(&b->lock);
		if (e)
			lru_free(h, e);
		return 0;
	}
	if (percpu)
		value_store(h, e, value, onall, true, flags);
	if (old) {
		/* the replacement inherits a use, as in the kernel */
		map_lru_set_ref(&e->lru);
		store_next(pp, old->next);
		__atomic_store_n(&old->in_hash, 0, __ATOMIC_RELEASE);
	}
	store_next(&e->next, b->head);
	store_next(&b->head, e);
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
	store_next(pp, e->next);
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
		if (e && !is_nulls(e->next)) {
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
		if (!is_nulls(b->head)) {
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
	if (!max)
		return 0;
	if (in_batch)
		memcpy(&batch, in_batch, 4);
	*count = 0;
	if (batch > h->mask)
		return -ENOENT;
	for (; batch <= h->mask; batch++) {
		struct bucket *b = &h->buckets[batch];
		struct htab_elem *e, *dead = NULL;
		uint32_t n = 0;
		map_spin_lock(&b->lock);
		for (e = b->head; !is_nulls(e); e = e->next)
			n++;
		if (n > max - total) {
			map_spin_unlock(&b->lock);
			if (total == 0)
				err = -ENOSPC;
			break;
		}
		for (e = b->head; !is_nulls(e); e = e->next) {
			memcpy((char *)keys + (size_t)total * m->key_size, elem_key(e), m->key_size);
			value_load(h, e, (char *)values + (size_t)total * vs, elem_flags);
			total++;
		}
		if (do_delete) {
			dead = b->head;
			for (e = dead; !is_nulls(e); e = e->next)
				__atomic_store_n(&e->in_hash, 0, __ATOMIC_RELEASE);
			store_next(&b->head, nulls(batch));
		}
		map_spin_unlock(&b->lock);
		while (dead && !is_nulls(dead)) {
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

static size_t htab_regions(struct userbpf_map *m, struct userbpf_region *out, size_t max)
{
	struct htab *h = H(m);
	size_t n = 0;
	if (h->of_maps)
		return 0;
	map_spin_lock(&h->free_lock);
	for (struct chunk *c = h->chunks; c; c = c->next)
		n = map_add_region(out, max, n, c, c->bytes, !(m->map_flags & USERBPF_F_RDONLY_PROG));
	map_spin_unlock(&h->free_lock);
	return n;
}

/* ---- creation ---------------------------------------------------------------------------------- */

static void htab_free(struct userbpf_map *m)
{
	struct htab *h = H(m);
	if (h->of_maps) {
		for (uint32_t i = 0; i <= h->mask; i++) {
			for (struct htab_elem *e = h->buckets[i].head; !is_nulls(e); e = e->next) {
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
	map_lru_destroy(h->lrul);
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
    .regions = htab_regions,
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
    .regions = htab_regions,
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
	if (a->key_size >= (1u << 22) || a->value_size >= (1u << 22) - 512 - 64 ||
	    a->max_entries > (1u << 31) || (percpu && MAP_ROUND_UP(a->value_size, 8) > 32768)) {
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

	struct map_attr at = *a;
	if (lru && (flags & USERBPF_F_NO_COMMON_LRU)) {
		/* As the kernel: the same number of elements in each CPU's list, at least one. */
		uint64_t n = userbpf_nr_cpus(), max = (a->max_entries + n - 1) / n * n;
		at.max_entries = max <= (1u << 31) ? (uint32_t)max : (uint32_t)(a->max_entries / n * n);
	}
	a = &at;

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
	h->key_words = h->key_round / 8;
	h->buckets = calloc(nb, sizeof(*h->buckets));
	for (uint32_t i = 0; h->buckets && i < nb; i++)
		h->buckets[i].head = nulls(i);
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
	if (lru) {
		/* The pool's elements go to the LRU's free lists instead of the free list. */
		h->lrul = map_lru_new(flags & USERBPF_F_NO_COMMON_LRU, userbpf_nr_cpus(),
				      (ptrdiff_t)offsetof(struct htab_elem, hash) -
					  (ptrdiff_t)offsetof(struct htab_elem, lru),
				      lru_del_from_htab, h);
		if (!h->lrul) {
			htab_free(&h->map);
			errno = ENOMEM;
			return NULL;
		}
		map_lru_populate(h->lrul, (char *)h->chunks + CHUNK_HDR, offsetof(struct htab_elem, lru),
				 h->elem_size, a->max_entries);
		h->free_list = NULL;
	}
	return &h->map;
}
