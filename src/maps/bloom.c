/*
 * bloom.c - BPF_MAP_TYPE_BLOOM_FILTER.
 *
 * key_size 0; map_extra = number of hash functions (0 means 5, at most 15). The bit array is sized as
 * the kernel's: max_entries * nr_hashes * 7 / 5 bits rounded up to a power of two (at least 64, at
 * most 2^31). push adds a value (BPF_ANY only), peek tests it: 0 when every bit is set (possibly a
 * false positive, never a false negative), else -ENOENT. pop and delete are -EOPNOTSUPP. Bits are
 * set with atomic ORs, so pushes and peeks need no lock. The hash is userbpf's own (the kernel's
 * jhash with a random seed gives other bits: only membership answers are comparable).
 */
#include "maps/map.h"

#include <stdlib.h>

struct bloom_map {
	struct userbpf_map map;
	uint32_t nr_hashes;
	uint32_t mask; /* bits - 1 */
	uint64_t *bits;
};

#define B(m)	  map_container_of(m, struct bloom_map, map)
#define BLOOM_M	  0xc6a4a7935bd1e995ULL
#define BLOOM_SEED 0x27d4eb2f165667c5ULL

static inline uint64_t mix_word(uint64_t h, uint64_t w)
{
	w *= BLOOM_M;
	w ^= w >> 47;
	w *= BLOOM_M;
	return (h ^ w) * BLOOM_M;
}

/*
 * One 64-bit hash of the whole value (a multiply-xorshift hash a word at a time, with fixed-size
 * loads only: the common 4- and 8-byte values are one or two multiplies). The k bit indices are
 * derived from it by double hashing (h1 + i * h2, h2 odd), which gives a bloom filter the false
 * positive rate of k independent hash functions.
 */
static inline uint64_t bloom_hash(const void *data, uint32_t len)
{
	const unsigned char *p = data;
	uint64_t h = BLOOM_SEED ^ ((uint64_t)len * BLOOM_M);
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = mix_word(h, w);
	}
	if (len) {
		uint64_t w = 0;
		uint32_t i = 0;
		if (len >= 4) {
			uint32_t x;
			memcpy(&x, p, 4);
			w = x;
			i = 4;
		}
		for (; i < len; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = mix_word(h, w);
	}
	h ^= h >> 29;
	h *= BLOOM_M;
	h ^= h >> 32;
	return h;
}

static long bloom_push(struct userbpf_map *m, const void *value, uint64_t flags)
{
	struct bloom_map *b = B(m);
	if (flags != USERBPF_ANY)
		return -EINVAL;
	uint64_t h = bloom_hash(value, m->value_size);
	uint32_t idx = (uint32_t)h, step = (uint32_t)(h >> 32) | 1;
	for (uint32_t i = 0; i < b->nr_hashes; i++, idx += step) {
		uint64_t *w = &b->bits[(idx & b->mask) / 64], bit = 1ULL << (idx % 64);
		/* a bit already set needs no locked write (pushes of known values stay read-only) */
		if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
			__atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
	}
	return 0;
}

static long bloom_peek(struct userbpf_map *m, void *value)
{
	struct bloom_map *b = B(m);
	uint64_t h = bloom_hash(value, m->value_size);
	uint32_t idx = (uint32_t)h, step = (uint32_t)(h >> 32) | 1;
	for (uint32_t i = 0; i < b->nr_hashes; i++, idx += step)
		if (!(__atomic_load_n(&b->bits[(idx & b->mask) / 64], __ATOMIC_RELAXED) & (1ULL << (idx % 64))))
			return -ENOENT;
	return 0;
}

static long bloom_pop(struct userbpf_map *m, void *value)
{
	return -EOPNOTSUPP;
}

static long bloom_delete(struct userbpf_map *m, const void *key)
{
	return -EOPNOTSUPP;
}

static int bloom_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	if (flags)
		return -EINVAL;
	return (int)bloom_peek(m, value);
}

static int bloom_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return (int)bloom_push(m, value, flags);
}

static int bloom_next_key(struct userbpf_map *m, const void *key, void *next)
{
	return -EOPNOTSUPP;
}

static void bloom_free(struct userbpf_map *m)
{
	free(B(m)->bits);
	free(B(m));
}

static const struct map_ops bloom_ops = {
    .free = bloom_free,
    .push = bloom_push,
    .pop = bloom_pop,
    .peek = bloom_peek,
    .delete = bloom_delete,
    .sys_lookup = bloom_sys_lookup,
    .sys_update = bloom_sys_update,
    .get_next_key = bloom_next_key,
};

struct userbpf_map *map_bloom_create(const struct map_attr *a)
{
	if (a->key_size != 0 || a->value_size == 0 || a->max_entries == 0 || (a->map_extra & ~0xfu) ||
	    (a->map_flags & ~(MAP_F_NUMA_NODE | MAP_F_ZERO_SEED | MAP_F_ACCESS_MASK))) {
		errno = EINVAL;
		return NULL;
	}
	uint32_t k = a->map_extra ? a->map_extra : 5;
	uint64_t want = (uint64_t)a->max_entries * k / 5 * 7, nbits = 64;
	if (want > (1ull << 31))
		want = 1ull << 31;
	while (nbits < want)
		nbits <<= 1;
	struct bloom_map *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->bits = calloc(nbits / 64, sizeof(uint64_t));
	if (!b->bits) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	map_init_common(&b->map, a, &bloom_ops);
	b->nr_hashes = k;
	b->mask = (uint32_t)(nbits - 1);
	return &b->map;
}
