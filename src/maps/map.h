/*
 * map.h - the maps module's internals: struct userbpf_map, the per-type ops table, and the program-side
 * API (map_*) that helpers, the loader and the VM call.
 *
 * Owns: the common map header every map type embeds first, the ops each type implements, the spin
 * lock used for buckets and for bpf_spin_lock words in values, the id registry and per-CPU slots.
 * Not installed; depends on libc and pthread only.
 *
 * Program-side calls (map_lookup, map_update, ...) are those of the kernel's helpers: keys and values
 * are pointers into BPF memory, per-CPU maps act on this worker's slot (userbpf_this_cpu()), and a
 * pointer returned by map_lookup stays valid memory as long as the map lives (elements come from
 * preallocated pools that are recycled, never freed, like the kernel's prealloc maps).
 */
#ifndef USERBPF_MAPS_MAP_H
#define USERBPF_MAPS_MAP_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "userbpf/maps.h"

#ifndef USERBPF_HIDDEN
#define USERBPF_HIDDEN __attribute__((visibility("hidden")))
#endif

/* Kernel flag values used inside the module. */
#define MAP_F_NUMA_NODE		(1u << 2)
#define MAP_F_RDONLY		(1u << 3)
#define MAP_F_WRONLY		(1u << 4)
#define MAP_F_ZERO_SEED		(1u << 6)
#define MAP_F_PRESERVE_ELEMS	(1u << 11)
#define MAP_F_INNER_MAP		(1u << 12)
#define MAP_F_ACCESS_MASK	(MAP_F_RDONLY | MAP_F_WRONLY | USERBPF_F_RDONLY_PROG | USERBPF_F_WRONLY_PROG)
#define MAP_F_CURRENT_CPU	0xffffffffULL
#define MAP_F_INDEX_MASK	0xffffffffULL
#define MAP_F_CTXLEN_MASK	(0xfffffULL << 32)
#define MAP_RB_NO_WAKEUP	1
#define MAP_RB_FORCE_WAKEUP	2
#define MAP_RB_AVAIL_DATA	0
#define MAP_RB_RING_SIZE	1
#define MAP_RB_CONS_POS		2
#define MAP_RB_PROD_POS		3
#define MAP_RINGBUF_BUSY_BIT	(1u << 31)
#define MAP_RINGBUF_DISCARD_BIT (1u << 30)
#define MAP_RINGBUF_HDR_SZ	8

#define MAP_ROUND_UP(x, a)		    (((x) + (a)-1) / (a) * (a))
#define map_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void map_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * A test-and-set spin lock on a 32-bit word: bucket locks, and the bpf_spin_lock word inside values
 * (struct bpf_spin_lock is a u32; 0 = unlocked). It yields after a short spin so that it behaves when
 * there are more workers than CPUs.
 */
static inline void map_spin_lock(uint32_t *l)
{
	unsigned int n = 0;
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
			if (++n > 64) {
				sched_yield();
				n = 0;
			} else {
				map_cpu_relax();
			}
		}
	}
}

static inline void map_spin_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

struct userbpf_map;

/* What each map type implements; NULL entries mean "not supported by this type". */
struct map_ops {
	void (*free)(struct userbpf_map *m);
	/* program side */
	void *(*lookup)(struct userbpf_map *m, const void *key);
	long (*update)(struct userbpf_map *m, const void *key, const void *value, uint64_t flags);
	long (*delete)(struct userbpf_map *m, const void *key);
	long (*push)(struct userbpf_map *m, const void *value, uint64_t flags);
	long (*pop)(struct userbpf_map *m, void *value);
	long (*peek)(struct userbpf_map *m, void *value);
	void *(*lookup_percpu)(struct userbpf_map *m, const void *key, uint32_t cpu);
	/* host side: values as user space sees them (all slots of per-CPU maps, ids for fd maps) */
	int (*sys_lookup)(struct userbpf_map *m, const void *key, void *value, uint64_t flags);
	int (*sys_update)(struct userbpf_map *m, const void *key, const void *value, uint64_t flags);
	int (*sys_delete)(struct userbpf_map *m, const void *key);
	int (*sys_lookup_and_delete)(struct userbpf_map *m, const void *key, void *value, uint64_t flags);
	int (*get_next_key)(struct userbpf_map *m, const void *key, void *next_key);
	/* hash maps: batch by bucket, as the kernel's htab batch ops (NULL: generic, key-based) */
	int (*lookup_batch)(struct userbpf_map *m, void *in_batch, void *out_batch, void *keys, void *values,
			    uint32_t *count, uint64_t elem_flags, bool do_delete);
	/* memory programs may reach through pointers from this map (see userbpf_map__regions) */
	size_t (*regions)(struct userbpf_map *m, struct userbpf_region *out, size_t max);
};

struct userbpf_map {
	const struct map_ops *ops;
	enum userbpf_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t map_extra;
	int32_t lock_off; /* offset of the bpf_spin_lock in the value, -1 if none */
	uint32_t id;
	uint32_t nr_cpus;     /* slots of a per-CPU map (fixed at creation) */
	uint32_t pcpu_stride; /* round_up(value_size, 8) */
	bool percpu;
	int refcnt;
	char name[16];
	/* map-in-map: what inner maps must look like */
	struct {
		enum userbpf_map_type type;
		uint32_t key_size, value_size, max_entries, map_flags;
	} inner;
};

/* What userbpf_map_create() validated and passes to a type's constructor. */
struct map_attr {
	enum userbpf_map_type type;
	uint32_t key_size, value_size, max_entries, map_flags, map_extra;
	int32_t lock_off;
	const struct userbpf_map *inner_map;
};

/* Constructors, one per family file; each returns NULL + errno. */
USERBPF_HIDDEN struct userbpf_map *map_array_create(const struct map_attr *a);
USERBPF_HIDDEN struct userbpf_map *map_hash_create(const struct map_attr *a);
USERBPF_HIDDEN struct userbpf_map *map_lpm_create(const struct map_attr *a);
USERBPF_HIDDEN struct userbpf_map *map_queue_stack_create(const struct map_attr *a);
USERBPF_HIDDEN struct userbpf_map *map_ringbuf_create(const struct map_attr *a);
USERBPF_HIDDEN struct userbpf_map *map_bloom_create(const struct map_attr *a);
USERBPF_HIDDEN struct userbpf_map *map_perf_create(const struct map_attr *a);

/* Fill the common header (after the type's allocation); 0 or -errno. */
USERBPF_HIDDEN int map_init_common(struct userbpf_map *m, const struct map_attr *a,
				   const struct map_ops *ops);

/* Copy a value, leaving the destination's bpf_spin_lock word alone (kernel copy_map_value). */
static inline void map_copy_value(const struct userbpf_map *m, void *dst, const void *src)
{
	if (m->lock_off < 0) {
		memcpy(dst, src, m->value_size);
		return;
	}
	uint32_t off = (uint32_t)m->lock_off;
	memcpy(dst, src, off);
	memcpy((char *)dst + off + 4, (const char *)src + off + 4, m->value_size - off - 4);
}

/* BPF_F_LOCK copy: under the spin lock of `locked` (which is dst or src, a value in the map). */
USERBPF_HIDDEN void map_copy_value_locked(const struct userbpf_map *m, void *dst, const void *src,
					  bool lock_src);
/* Copy a value out to user space: lock word reads as zero. */
USERBPF_HIDDEN void map_copy_value_out(const struct userbpf_map *m, void *dst, const void *src,
				       uint64_t flags);
/* Validate BPF_ANY/NOEXIST/EXIST(/F_LOCK) update flags. */
USERBPF_HIDDEN int map_check_update_flags(const struct userbpf_map *m, uint64_t flags);

/* Id registry: the map with `id`, with a reference taken; NULL + ENOENT. */
USERBPF_HIDDEN struct userbpf_map *map_get_by_id(uint32_t id);
/* Whether `inner` may be stored in map-in-map `outer`. */
USERBPF_HIDDEN bool map_inner_compatible(const struct userbpf_map *outer, const struct userbpf_map *inner);

/* Programs, as prog_array sees them (registered by the VM). */
USERBPF_HIDDEN void *map_prog_get(uint32_t id);
USERBPF_HIDDEN void map_prog_put(void *prog);

/* ---- the program-side API ---------------------------------------------------------------------- */

USERBPF_HIDDEN void *map_lookup(struct userbpf_map *m, const void *key);
USERBPF_HIDDEN long map_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags);
USERBPF_HIDDEN long map_delete(struct userbpf_map *m, const void *key);
USERBPF_HIDDEN long map_push(struct userbpf_map *m, const void *value, uint64_t flags);
USERBPF_HIDDEN long map_pop(struct userbpf_map *m, void *value);
USERBPF_HIDDEN long map_peek(struct userbpf_map *m, void *value);
USERBPF_HIDDEN void *map_lookup_percpu(struct userbpf_map *m, const void *key, uint32_t cpu);
USERBPF_HIDDEN void *map_ringbuf_reserve(struct userbpf_map *m, uint64_t size, uint64_t flags);
USERBPF_HIDDEN void map_ringbuf_submit(void *sample, uint64_t flags);
USERBPF_HIDDEN void map_ringbuf_discard(void *sample, uint64_t flags);
USERBPF_HIDDEN long map_ringbuf_output(struct userbpf_map *m, const void *data, uint64_t size,
				       uint64_t flags);
USERBPF_HIDDEN uint64_t map_ringbuf_query(struct userbpf_map *m, uint64_t flags);
USERBPF_HIDDEN long map_perf_output(struct userbpf_map *m, uint64_t flags, const void *data, uint64_t size);
/* Tail calls: the program at `index` of a prog_array, or NULL (no reference taken). */
USERBPF_HIDDEN void *map_prog_array_get(struct userbpf_map *m, uint32_t index);
/* Array value memory (index 0 first, values round_up(value_size, 8) apart), for global data. */
USERBPF_HIDDEN void *map_array_base(struct userbpf_map *m);
/* A percpu_array's values: slot `cpu` of entry i at + (cpu * max_entries + i) * pcpu_stride. NULL for
 * other types. */
USERBPF_HIDDEN void *map_percpu_array_base(struct userbpf_map *m);
/* Whether `fn` is userbpf's bpf_map_lookup_elem (helper 1 of userbpf_helpers__add_maps). */
USERBPF_HIDDEN bool map_helper_is_lookup(userbpf_helper_fn fn);
/* prog_array ids -> programs: `get` takes a reference, `put` drops it. */
USERBPF_HIDDEN void map_set_prog_resolver(void *(*get)(uint32_t id), void (*put)(void *prog));

/* Add one region to out[] if there is room; returns n + 1. */
static inline size_t map_add_region(struct userbpf_region *out, size_t max, size_t n, void *addr, size_t size,
				    bool writable)
{
	if (n < max) {
		out[n].addr = addr;
		out[n].size = size;
		out[n].writable = writable;
	}
	return n + 1;
}

/* ---- lru.c: the kernel's LRU lists (bpf_lru_list) for LRU hash maps ------------------------------- */

/* Where a node is: the kernel's list types. */
enum { MAP_LRU_ACTIVE, MAP_LRU_INACTIVE, MAP_LRU_FREE, MAP_LRU_LOCAL_FREE, MAP_LRU_LOCAL_PENDING };

struct map_lru_node {
	struct map_lru_node *prev, *next;
	uint8_t type; /* atomic */
	uint8_t ref;  /* atomic: set by program lookups */
	uint16_t pad;
	uint32_t cpu; /* atomic: owning local list (common LRU) or per-CPU list */
};

struct map_lru;

/* `del` takes the node's element out of the hash table (false if it is not in it). */
USERBPF_HIDDEN struct map_lru *map_lru_new(bool percpu, uint32_t nr_cpus, ptrdiff_t hash_off,
					   bool (*del)(void *arg, struct map_lru_node *n), void *arg);
/* Put `nr` nodes, at buf + node_off + i * elem_size, on the free lists. */
USERBPF_HIDDEN void map_lru_populate(struct map_lru *lru, char *buf, size_t node_off, size_t elem_size,
				     uint32_t nr);
/* A free node (evicting if needed) for an element with `hash`, or NULL. */
USERBPF_HIDDEN struct map_lru_node *map_lru_pop_free(struct map_lru *lru, uint32_t hash);
USERBPF_HIDDEN void map_lru_push_free(struct map_lru *lru, struct map_lru_node *n);
USERBPF_HIDDEN void map_lru_destroy(struct map_lru *lru);

static inline void map_lru_set_ref(struct map_lru_node *n)
{
	if (!__atomic_load_n(&n->ref, __ATOMIC_RELAXED))
		__atomic_store_n(&n->ref, 1, __ATOMIC_RELAXED);
}

/* Per-CPU bookkeeping (map.c): per-CPU maps alive, to refuse userbpf_set_nr_cpus. */
USERBPF_HIDDEN void map_percpu_ref(int delta);

#endif /* USERBPF_MAPS_MAP_H */
