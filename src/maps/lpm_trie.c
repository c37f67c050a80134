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
 * lives, so a value pointer handed to a program stays valid memory. One spin lock serialises
 * updates and lookups.
 */
#include "maps/map.h"

#include <stdlib.h>

#define LPM_IM 1u

struct lpm_node {
	struct lpm_node *child[2];
	uint32_t prefixlen;
	uint32_t flags;
	unsigned char data[] __attribute__((aligned(8))); /* data_size bytes, then the value at vo */
};

struct lpm_chunk {
	struct lpm_chunk *next;
	size_t bytes;
};

struct lpm_map {
	struct userbpf_map map;
	uint32_t lock;
	struct lpm_node *root;
	uint32_t data_size, max_prefixlen;
	size_t value_off, node_size;
	uint32_t n_entries;
	struct lpm_node *free_list;
	struct lpm_chunk *chunks;
	uint64_t nodes_made, nodes_max;
};

#define L(m)	  map_container_of(m, struct lpm_map, map)
#define LPM_CHUNK 256u

static inline int extract_bit(const unsigned char *data, uint32_t index)
{
	return !!(data[index / 8] & (1u << (7 - index % 8)));
}

static inline uint32_t key_prefixlen(const void *key)
{
	uint32_t p;
	memcpy(&p, key, 4);
	return p;
}

/* 8 bytes at `p` as a big-endian number (node data and key copies are zero-padded to 8 bytes). */
static inline uint64_t load_be(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return __builtin_bswap64(w);
}

/* A key's data, zero-padded to a multiple of 8 bytes. */
struct kbuf {
	uint64_t w[33];
};

static inline const unsigned char *pad_key(const struct lpm_map *t, struct kbuf *kb, const void *key)
{
	kb->w[(t->data_size - 1) / 8] = 0;
	memcpy(kb->w, (const unsigned char *)key + 4, t->data_size);
	return (const unsigned char *)kb->w;
}

/* Number of leading bits shared by node and key, up to both prefix lengths. */
static uint32_t prefix_match(const struct lpm_map *t, const struct lpm_node *n, const unsigned char *data,
			     uint32_t plen)
{
	uint32_t limit = n->prefixlen < plen ? n->prefixlen : plen, i = 0;
	while (i < limit) {
		uint64_t x = load_be(n->data + i / 8) ^ load_be(data + i / 8);
		if (x) {
			i += (uint32_t)__builtin_clzll(x);
			break;
		}
		i += 64;
	}
	return i < limit ? i : limit;
}

static inline unsigned char *node_value(const struct lpm_map *t, struct lpm_node *n)
{
	return (unsigned char *)n + t->value_off;
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
			x->child[0] = t->free_list;
			t->free_list = x;
		}
		t->nodes_made += n;
	}
	struct lpm_node *x = t->free_list;
	t->free_list = x->child[0];
	x->child[0] = x->child[1] = NULL;
	x->flags = 0;
	return x;
}

static void node_free(struct lpm_map *t, struct lpm_node *x)
{
	x->child[0] = t->free_list;
	x->child[1] = NULL;
	t->free_list = x;
}

static struct lpm_node *find_best(struct lpm_map *t, const void *key)
{
	if (key_prefixlen(key) > t->max_prefixlen)
		return NULL; /* as the kernel since 6.x */
	struct kbuf kb;
	const unsigned char *data = pad_key(t, &kb, key);
	uint32_t plen = key_prefixlen(key);
	struct lpm_node *n = t->root, *found = NULL;
	while (n) {
		uint32_t m = prefix_match(t, n, data, plen);
		if (m == t->max_prefixlen) {
			found = n;
			break;
		}
		if (m < n->prefixlen)
			break;
		if (!(n->flags & LPM_IM))
			found = n;
		if (n->prefixlen >= plen)
			break;
		n = n->child[extract_bit(data, n->prefixlen)];
	}
	return found;
}

static void *lpm_lookup(struct userbpf_map *m, const void *key)
{
	struct lpm_map *t = L(m);
	map_spin_lock(&t->lock);
	struct lpm_node *n = find_best(t, key);
	map_spin_unlock(&t->lock);
	return n ? node_value(t, n) : NULL;
}

static int lpm_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	struct lpm_map *t = L(m);
	map_spin_lock(&t->lock);
	struct lpm_node *n = find_best(t, key);
	if (n)
		memcpy(value, node_value(t, n), m->value_size);
	map_spin_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static long lpm_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	struct lpm_map *t = L(m);
	struct kbuf kb;
	const unsigned char *data = pad_key(t, &kb, key);
	uint32_t plen = key_prefixlen(key);
	struct lpm_node **slot, *n, *nn, *im;
	uint32_t match = 0;
	long err = 0;

	if (flags > USERBPF_EXIST)
		return -EINVAL;
	if (plen > t->max_prefixlen)
		return -EINVAL;
	map_spin_lock(&t->lock);
	for (slot = &t->root; (n = *slot);) {
		match = prefix_match(t, n, data, plen);
		if (n->prefixlen != match || n->prefixlen == plen || n->prefixlen == t->max_prefixlen)
			break;
		slot = &n->child[extract_bit(data, n->prefixlen)];
	}
	bool exact = n && n->prefixlen == match && n->prefixlen == plen;
	if (exact && !(n->flags & LPM_IM)) {
		if (flags == USERBPF_NOEXIST) {
			err = -EEXIST;
		} else {
			/* the kernel replaces the node: its key bytes past the prefix become the new ones */
			memcpy(n->data, data, t->data_size);
			memcpy(node_value(t, n), value, m->value_size);
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
	if (exact) {
		/* An intermediate node at exactly this prefix becomes an entry. */
		n->flags = 0;
		memcpy(n->data, data, t->data_size);
		memcpy(node_value(t, n), value, m->value_size);
		t->n_entries++;
		goto out;
	}
	nn = node_alloc(t);
	if (!nn) {
		err = -ENOMEM;
		goto out;
	}
	nn->prefixlen = plen;
	memcpy(nn->data, data, t->data_size);
	memcpy(node_value(t, nn), value, m->value_size);
	if (!n) {
		*slot = nn;
	} else if (match == plen) {
		/* The new prefix covers n: insert it above. */
		nn->child[extract_bit(n->data, match)] = n;
		*slot = nn;
	} else {
		im = node_alloc(t);
		if (!im) {
			node_free(t, nn);
			err = -ENOMEM;
			goto out;
		}
		im->prefixlen = match;
		im->flags = LPM_IM;
		memcpy(im->data, n->data, t->data_size);
		int b = extract_bit(data, match);
		im->child[b] = nn;
		im->child[!b] = n;
		*slot = im;
	}
	t->n_entries++;
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
	struct kbuf kb;
	const unsigned char *data = pad_key(t, &kb, key);
	uint32_t plen = key_prefixlen(key), match = 0;
	struct lpm_node **trim, **trim2, *n, *parent = NULL;
	long err = 0;

	if (plen > t->max_prefixlen)
		return -EINVAL;
	map_spin_lock(&t->lock);
	trim = trim2 = &t->root;
	while ((n = *trim)) {
		match = prefix_match(t, n, data, plen);
		if (n->prefixlen != match || n->prefixlen == plen)
			break;
		parent = n;
		trim2 = trim;
		trim = &n->child[extract_bit(data, n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || n->prefixlen != match || (n->flags & LPM_IM)) {
		err = -ENOENT;
		goto out;
	}
	t->n_entries--;
	if (n->child[0] && n->child[1]) {
		n->flags |= LPM_IM;
		goto out;
	}
	if (parent && (parent->flags & LPM_IM) && !n->child[0] && !n->child[1]) {
		*trim2 = parent->child[0] == n ? parent->child[1] : parent->child[0];
		node_free(t, parent);
		node_free(t, n);
		goto out;
	}
	*trim = n->child[0] ? n->child[0] : n->child[1];
	node_free(t, n);
out:
	map_spin_unlock(&t->lock);
	return err;
}

static void copy_key(struct lpm_map *t, void *out, const struct lpm_node *n)
{
	memcpy(out, &n->prefixlen, 4);
	memcpy((unsigned char *)out + 4, n->data, t->data_size);
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
	struct kbuf kb;
	const unsigned char *data = pad_key(t, &kb, key);
	uint32_t plen = key_prefixlen(key);
	for (n = t->root; n;) {
		stack[++sp] = n;
		uint32_t match = prefix_match(t, n, data, plen);
		if (n->prefixlen != match || n->prefixlen == plen)
			break;
		n = n->child[extract_bit(data, n->prefixlen)];
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
	t->value_off = MAP_ROUND_UP(offsetof(struct lpm_node, data) + t->data_size, 8);
	t->node_size = MAP_ROUND_UP(t->value_off + a->value_size, 8);
	/* Entries plus at most one intermediate node per entry. */
	t->nodes_max = 2ull * a->max_entries;
	return &t->map;
}
