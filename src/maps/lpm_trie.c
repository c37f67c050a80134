/*
 * lpm_trie.c - BPF_MAP_TYPE_LPM_TRIE: longest-prefix match on big-endian bit strings.
 *
 * Key = struct bpf_lpm_trie_key { u32 prefixlen; u8 data[key_size - 4]; } (data 1..256 bytes), the
 * kernel requires BPF_F_NO_PREALLOC. The trie has the kernel's shape: a path-compressed binary trie
 * whose nodes are either entries or intermediate nodes (exactly two children) created where two
 * prefixes diverge, so get_next_key walks it in the kernel's postorder (more specific prefixes
 * first, children 0 before 1; a missing or invalid key restarts at the leftmost entry).
 *
 * Update semantics are those of Linux 6.14+: BPF_NOEXIST/BPF_EXIST are honoured, an existing entry is
 * updated in place even when the trie is full, and a new entry in a full trie is -ENOSPC.
 *
 * Nodes come from a pool grown in chunks and recycled through a free list, never freed while the map
 * lives, so a value pointer handed to a program stays valid memory. A node keeps its prefix as
 * big-endian words (see struct lpm_node), so a lookup compares a prefix a word at a time.
 *
 * Concurrency: one spin lock serialises updates, deletes and the host-side calls. Program lookups
 * take no lock: writers make the sequence count odd while they change the trie and even again
 * after, and every node field a lookup reads is written with an atomic store (child pointers with
 * release, read with acquire), so a lookup walks without the lock and keeps its result only if the
 * count was even and unchanged across the walk; otherwise it retries, and after a few tries takes
 * the lock. A walk over nodes being recycled under it stays bounded: prefix lengths must grow
 * strictly along the path, as they do in a consistent trie.
 */
#include "maps/map.h"

#include <stdlib.h>

#define LPM_IM 1u

/*
 * A node's prefix data is kept as big-endian numbers, 8 bytes a word (the key's data bytes, zero
 * padded), so that comparing a prefix is a few word operations with no byte swap; copy_key turns
 * them back into bytes. All data bytes are kept, also those past the prefix (get_next_key returns
 * them, as the kernel does).
 */
struct lpm_node {
	struct lpm_node *child[2];
	uint32_t prefixlen;
	uint32_t flags;
	uint64_t w[]; /* data_words words, then the value at value_off */
};

struct lpm_chunk {
	struct lpm_chunk *next;
	size_t bytes;
};

struct lpm_map {
	struct userbpf_map map;
	uint32_t lock;
	uint32_t seq; /* odd while a writer changes the trie */
	struct lpm_node *root;
	uint32_t data_size, data_words, max_prefixlen;
	size_t value_off, node_size;
	uint32_t n_entries;
	struct lpm_node *free_list;
	struct lpm_chunk *chunks;
	uint64_t nodes_made, nodes_max;
};

#define L(m)	  map_container_of(m, struct lpm_map, map)
#define LPM_CHUNK 256u
#define LPM_TRIES 4 /* lock-free walks before a lookup takes the lock */

/* Node fields that lock-free lookups read: atomic loads and stores (plain moves on x86). */
#define LD(x)	 __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define LDP(x)	 __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STP(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* Bit `index` (0 = the most significant bit of the first byte) of data in word form. */
static inline unsigned int word_bit(const uint64_t *w, uint32_t index)
{
	return (unsigned int)(w[index / 64] >> (63 - index % 64)) & 1;
}

static inline uint32_t key_prefixlen(const void *key)
{
	uint32_t p;
	memcpy(&p, key, 4);
	return p;
}

/* A key's data in word form (at most 256 bytes: 32 words). */
struct kwords {
	uint64_t w[32];
};

static inline void key_words(const struct lpm_map *t, struct kwords *kw, const void *key)
{
	const unsigned char *d = (const unsigned char *)key + 4;
	uint32_t n = t->data_size, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, d + i, 8);
		kw->w[i / 8] = __builtin_bswap64(w);
	}
	if (i < n) {
		uint64_t w = 0;
		uint32_t j = i;
		if (n - i >= 4) {
			uint32_t h;
			memcpy(&h, d + i, 4);
			w = (uint64_t)__builtin_bswap32(h) << 32;
			j += 4;
		}
		for (; j < n; j++)
			w |= (uint64_t)d[j] << (56 - 8 * (j - i));
		kw->w[i / 8] = w;
	}
}

static inline void set_words(const struct lpm_map *t, struct lpm_node *n, const uint64_t *w)
{
	for (uint32_t i = 0; i < t->data_words; i++)
		ST(n->w[i], w[i]);
}

/* Number of leading bits shared by node and key, up to both prefix lengths (writers). */
static uint32_t prefix_match(const struct lpm_node *n, const uint64_t *kw, uint32_t plen)
{
	uint32_t limit = n->prefixlen < plen ? n->prefixlen : plen, i = 0;
	for (uint32_t q = 0; i < limit; q++) {
		uint64_t x = n->w[q] ^ kw[q];
		if (x) {
			i += (uint32_t)__builtin_clzll(x);
			break;
		}
		i += 64;
	}
	return i < limit ? i : limit;
}

/* Whether the first `pl` bits of node and key are equal (pl <= the key's bits). */
static inline bool prefix_eq(const struct lpm_node *n, const uint64_t *kw, uint32_t pl)
{
	uint32_t q = pl / 64, r = pl % 64;
	for (uint32_t i = 0; i < q; i++)
		if (LD(n->w[i]) != kw[i])
			return false;
	return !r || !((LD(n->w[q]) ^ kw[q]) >> (64 - r));
}

static inline unsigned char *node_value(const struct lpm_map *t, struct lpm_node *n)
{
	return (unsigned char *)n + t->value_off;
}

/* Branch-free choice between two child pointers (the direction is the key's, unpredictable). */
static inline struct lpm_node *pick(struct lpm_node *c0, struct lpm_node *c1, uint64_t bit)
{
	uintptr_t a = (uintptr_t)c0, b = (uintptr_t)c1;
	return (struct lpm_node *)(a ^ ((a ^ b) & (0 - (uintptr_t)bit)));
}

/*
 * The entry with the longest prefix matching the key (plen bits of kw), or NULL. In a consistent
 * trie prefix lengths grow strictly from parent to child, so a node matches when its prefix is no
 * longer than the key's and its bits equal the key's, and the walk stops at the first node that does
 * not match. Without the lock the trie may change under the walk: the caller checks the sequence
 * count, and the walk stops if prefix lengths stop growing (so it ends within plen + 1 nodes).
 */
static struct lpm_node *walk(const struct lpm_map *t, const uint64_t *kw, uint32_t plen)
{
	struct lpm_node *n = LDP(t->root), *found = NULL;
	uint32_t floor = 0;
	if (t->data_words == 1) {
		uint64_t k = kw[0];
		while (n) {
			uint32_t pl = LD(n->prefixlen);
			uint64_t x = LD(n->w[0]) ^ k;
			struct lpm_node *c0 = LDP(n->child[0]), *c1 = LDP(n->child[1]);
			if (pl < floor || pl > plen || (pl && (x >> (64 - pl))))
				break;
			if (!(LD(n->flags) & LPM_IM))
				found = n;
			if (pl == plen)
				break;
			floor = pl + 1;
			n = pick(c0, c1, (k >> (63 - pl)) & 1);
		}
		return found;
	}
	while (n) {
		uint32_t pl = LD(n->prefixlen);
		struct lpm_node *c0 = LDP(n->child[0]), *c1 = LDP(n->child[1]);
		if (pl < floor || pl > plen || !prefix_eq(n, kw, pl))
			break;
		if (!(LD(n->flags) & LPM_IM))
			found = n;
		if (pl == plen)
			break;
		floor = pl + 1;
		n = pick(c0, c1, word_bit(kw, pl));
	}
	return found;
}

/* The walk under the lock (host side, and lookups that found the trie changing too often). */
static struct lpm_node *find_best_locked(const struct lpm_map *t, const void *key)
{
	uint32_t plen = key_prefixlen(key);
	if (plen > t->max_prefixlen)
		return NULL; /* as the kernel since 6.x */
	struct kwords kw;
	key_words(t, &kw, key);
	return walk(t, kw.w, plen);
}

/* Writers: the sequence count odd while the trie changes (called with the lock held). */
static inline void write_begin(struct lpm_map *t)
{
	ST(t->seq, t->seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void write_end(struct lpm_map *t)
{
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELEASE);
}

static void *lpm_lookup(struct userbpf_map *m, const void *key)
{
	struct lpm_map *t = L(m);
	uint32_t plen = key_prefixlen(key);
	if (plen > t->max_prefixlen)
		return NULL;
	struct kwords kw;
	key_words(t, &kw, key);
	struct lpm_node *n;
	for (int i = 0; i < LPM_TRIES; i++) {
		uint32_t s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		if (s & 1) {
			map_cpu_relax();
			continue;
		}
		n = walk(t, kw.w, plen);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (LD(t->seq) == s)
			return n ? node_value(t, n) : NULL;
	}
	map_spin_lock(&t->lock);
	n = walk(t, kw.w, plen);
	map_spin_unlock(&t->lock);
	return n ? node_value(t, n) : NULL;
}

static struct lpm_node *node_alloc(struct lpm_map *t)
{
	if (!t->free_list) {
		uint64_t n = LPM_CHUNK;
		if (t->nodes_made + n > t->nodes_max)
			n = t->nodes_max - t->nodes_made;
		if (!n)
			return NULL;
		size_t hdr = MAP_ROUND_UP(sizeof(struct lpm_chunk), 16);
		char *mem = calloc(1, hdr + n * t->node_size);
		if (!mem)
			return NULL;
		((struct lpm_chunk *)mem)->next = t->chunks;
		((struct lpm_chunk *)mem)->bytes = hdr + n * t->node_size;
		t->chunks = (struct lpm_chunk *)mem;
		for (uint64_t i = n; i-- > 0;) {
			struct lpm_node *x = (struct lpm_node *)(mem + hdr + i * t->node_size);
			STP(x->child[0], t->free_list);
			t->free_list = x;
		}
		t->nodes_made += n;
	}
	struct lpm_node *x = t->free_list;
	t->free_list = x->child[0];
	STP(x->child[0], NULL);
	STP(x->child[1], NULL);
	ST(x->flags, 0);
	return x;
}

static void node_free(struct lpm_map *t, struct lpm_node *x)
{
	STP(x->child[0], t->free_list);
	STP(x->child[1], NULL);
	t->free_list = x;
}

static int lpm_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	struct lpm_map *t = L(m);
	map_spin_lock(&t->lock);
	struct lpm_node *n = find_best_locked(t, key);
	if (n)
		memcpy(value, node_value(t, n), m->value_size);
	map_spin_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static long lpm_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	struct lpm_map *t = L(m);
	struct kwords kb;
	const uint64_t *data = kb.w;
	uint32_t plen = key_prefixlen(key);
	struct lpm_node **slot, *n, *nn, *im;
	uint32_t match = 0;
	long err = 0;

	if (flags > USERBPF_EXIST)
		return -EINVAL;
	if (plen > t->max_prefixlen)
		return -EINVAL;
	key_words(t, &kb, key);
	map_spin_lock(&t->lock);
	for (slot = &t->root; (n = *slot);) {
		match = prefix_match(n, data, plen);
		if (n->prefixlen != match || n->prefixlen == plen || n->prefixlen == t->max_prefixlen)
			break;
		slot = &n->child[word_bit(data, n->prefixlen)];
	}
	bool exact = n && n->prefixlen == match && n->prefixlen == plen;
	if (exact && !(n->flags & LPM_IM)) {
		if (flags == USERBPF_NOEXIST) {
			err = -EEXIST;
		} else {
			/* the kernel replaces the node: its key bytes past the prefix become the new ones */
			write_begin(t);
			set_words(t, n, data);
			memcpy(node_value(t, n), value, m->value_size);
			write_end(t);
		}
		goto out;
	}
	if (flags == USERBPF_EXIST) {
		err = -ENOENT;
		goto out;
	}
	if (t->n_entries >= m->max_entries) {
		err = -ENOSPC;
		goto out;
	}
	write_begin(t);
	if (exact) {
		/* An intermediate node at exactly this prefix becomes an entry. */
		set_words(t, n, data);
		memcpy(node_value(t, n), value, m->value_size);
		ST(n->flags, 0);
		t->n_entries++;
		goto out_end;
	}
	nn = node_alloc(t);
	if (!nn) {
		err = -ENOMEM;
		goto out_end;
	}
	ST(nn->prefixlen, plen);
	set_words(t, nn, data);
	memcpy(node_value(t, nn), value, m->value_size);
	if (!n) {
		STP(*slot, nn);
	} else if (match == plen) {
		/* The new prefix covers n: insert it above. */
		STP(nn->child[word_bit(n->w, match)], n);
		STP(*slot, nn);
	} else {
		im = node_alloc(t);
		if (!im) {
			node_free(t, nn);
			err = -ENOMEM;
			goto out_end;
		}
		ST(im->prefixlen, match);
		ST(im->flags, LPM_IM);
		set_words(t, im, n->w);
		unsigned int b = word_bit(data, match);
		STP(im->child[b], nn);
		STP(im->child[!b], n);
		STP(*slot, im);
	}
	t->n_entries++;
out_end:
	write_end(t);
out:
	map_spin_unlock(&t->lock);
	return err;
}

static int lpm_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return (int)lpm_update(m, key, value, flags);
}

static long lpm_delete(struct userbpf_map *m, const void *key)
{
	struct lpm_map *t = L(m);
	struct kwords kb;
	const uint64_t *data = kb.w;
	uint32_t plen = key_prefixlen(key), match = 0;
	struct lpm_node **trim, **trim2, *n, *parent = NULL;
	long err = 0;

	if (plen > t->max_prefixlen)
		return -EINVAL;
	key_words(t, &kb, key);
	map_spin_lock(&t->lock);
	trim = trim2 = &t->root;
	while ((n = *trim)) {
		match = prefix_match(n, data, plen);
		if (n->prefixlen != match || n->prefixlen == plen)
			break;
		parent = n;
		trim2 = trim;
		trim = &n->child[word_bit(data, n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || n->prefixlen != match || (n->flags & LPM_IM)) {
		err = -ENOENT;
		goto out;
	}
	write_begin(t);
	t->n_entries--;
	if (n->child[0] && n->child[1]) {
		ST(n->flags, n->flags | LPM_IM);
	} else if (parent && (parent->flags & LPM_IM) && !n->child[0] && !n->child[1]) {
		STP(*trim2, parent->child[0] == n ? parent->child[1] : parent->child[0]);
		node_free(t, parent);
		node_free(t, n);
	} else {
		STP(*trim, n->child[0] ? n->child[0] : n->child[1]);
		node_free(t, n);
	}
	write_end(t);
out:
	map_spin_unlock(&t->lock);
	return err;
}

static void copy_key(struct lpm_map *t, void *out, const struct lpm_node *n)
{
	memcpy(out, &n->prefixlen, 4);
	unsigned char *d = (unsigned char *)out + 4;
	for (uint32_t i = 0; i < t->data_size; i++)
		d[i] = (unsigned char)(n->w[i / 8] >> (56 - 8 * (i % 8)));
}

static const struct lpm_node *leftmost(const struct lpm_node *n)
{
	const struct lpm_node *best = NULL;
	while (n) {
		if (n->flags & LPM_IM) {
			n = n->child[0];
		} else {
			best = n;
			n = n->child[0] ? n->child[0] : n->child[1];
		}
	}
	return best;
}

static int lpm_next_key(struct userbpf_map *m, const void *key, void *next)
{
	struct lpm_map *t = L(m);
	const struct lpm_node *stack[2049], *n, *res = NULL;
	int sp = -1, err = 0;

	map_spin_lock(&t->lock);
	if (!t->root) {
		err = -ENOENT;
		goto out;
	}
	if (!key || key_prefixlen(key) > t->max_prefixlen) {
		res = leftmost(t->root);
		goto out;
	}
	struct kwords kb;
	const uint64_t *data = kb.w;
	key_words(t, &kb, key);
	uint32_t plen = key_prefixlen(key);
	for (n = t->root; n;) {
		stack[++sp] = n;
		uint32_t match = prefix_match(n, data, plen);
		if (n->prefixlen != match || n->prefixlen == plen)
			break;
		n = n->child[word_bit(data, n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || (n->flags & LPM_IM)) {
		res = leftmost(t->root);
		goto out;
	}
	/* The entry after n in postorder. */
	n = stack[sp];
	while (sp > 0) {
		const struct lpm_node *p = stack[sp - 1];
		if (p->child[0] == n && p->child[1]) {
			res = leftmost(p->child[1]);
			goto out;
		}
		if (!(p->flags & LPM_IM)) {
			res = p;
			goto out;
		}
		n = p;
		sp--;
	}
	err = -ENOENT;
out:
	if (res)
		copy_key(t, next, res);
	map_spin_unlock(&t->lock);
	return err;
}

static size_t lpm_regions(struct userbpf_map *m, struct userbpf_region *out, size_t max)
{
	struct lpm_map *t = L(m);
	size_t n = 0;
	map_spin_lock(&t->lock);
	for (struct lpm_chunk *c = t->chunks; c; c = c->next)
		n = map_add_region(out, max, n, c, c->bytes, !(m->map_flags & USERBPF_F_RDONLY_PROG));
	map_spin_unlock(&t->lock);
	return n;
}

static void lpm_free(struct userbpf_map *m)
{
	struct lpm_map *t = L(m);
	while (t->chunks) {
		struct lpm_chunk *c = t->chunks;
		t->chunks = c->next;
		free(c);
	}
	free(t);
}

static const struct map_ops lpm_ops = {
    .free = lpm_free,
    .lookup = lpm_lookup,
    .update = lpm_update,
    .delete = lpm_delete,
    .sys_lookup = lpm_sys_lookup,
    .sys_update = lpm_sys_update,
    .get_next_key = lpm_next_key,
    .regions = lpm_regions,
};

struct userbpf_map *map_lpm_create(const struct map_attr *a)
{
	if (a->max_entries == 0 || !(a->map_flags & USERBPF_F_NO_PREALLOC) ||
	    (a->map_flags & ~(USERBPF_F_NO_PREALLOC | MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK)) ||
	    a->key_size < 5 || a->key_size > 4 + 256 || a->value_size == 0 || a->value_size > (1u << 26)) {
		errno = EINVAL;
		return NULL;
	}
	struct lpm_map *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	map_init_common(&t->map, a, &lpm_ops);
	t->data_size = a->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	t->data_words = (t->data_size + 7) / 8;
	t->value_off = offsetof(struct lpm_node, w) + t->data_words * 8;
	t->node_size = MAP_ROUND_UP(t->value_off + a->value_size, 8);
	/* Entries plus at most one intermediate node per entry. */
	t->nodes_max = 2ull * a->max_entries;
	return &t->map;
}
