/*
 * maps.h - BPF maps in user space: the host's API (create, lookup, update, delete, iterate, batch).
 *
 * Names follow libbpf's bpf_map_* calls so people who know libbpf find their way: where libbpf takes a
 * map fd, userbpf takes a struct userbpf_map *. Types, flags and error codes are the kernel's
 * (BPF_MAP_TYPE_HASH = 1, BPF_ANY = 0, -ENOENT, -EEXIST, -E2BIG, ...), so objects written for the kernel
 * mean the same thing here.
 *
 * Maps are thread-safe. Memory is bounded by max_entries and, where the kernel preallocates (array,
 * hash and their per-CPU/LRU variants without BPF_F_NO_PREALLOC), allocated up front.
 *
 * "Per CPU" means one slot per worker: userbpf_set_nr_cpus() fixes the number of slots (default: the
 * number of online CPUs, read once), and each thread's slot is userbpf_this_cpu(), chosen for it on
 * first use or set with userbpf_set_this_cpu(). User space reads and writes per-CPU values as the kernel
 * presents them: value_size rounded up to 8, times the number of slots, slot 0 first.
 */
#ifndef USERBPF_MAPS_H
#define USERBPF_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include <userbpf/userbpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Map types, numbered as the kernel's enum bpf_map_type. */
enum userbpf_map_type {
	USERBPF_MAP_TYPE_UNSPEC = 0,
	USERBPF_MAP_TYPE_HASH = 1,
	USERBPF_MAP_TYPE_ARRAY = 2,
	USERBPF_MAP_TYPE_PROG_ARRAY = 3,
	USERBPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	USERBPF_MAP_TYPE_PERCPU_HASH = 5,
	USERBPF_MAP_TYPE_PERCPU_ARRAY = 6,
	USERBPF_MAP_TYPE_LRU_HASH = 9,
	USERBPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	USERBPF_MAP_TYPE_LPM_TRIE = 11,
	USERBPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	USERBPF_MAP_TYPE_HASH_OF_MAPS = 13,
	USERBPF_MAP_TYPE_DEVMAP = 14,
	USERBPF_MAP_TYPE_CPUMAP = 16,
	USERBPF_MAP_TYPE_XSKMAP = 17,
	USERBPF_MAP_TYPE_QUEUE = 22,
	USERBPF_MAP_TYPE_STACK = 23,
	USERBPF_MAP_TYPE_RINGBUF = 27,
	USERBPF_MAP_TYPE_BLOOM_FILTER = 30,
};

/* Update flags (kernel values). */
#define USERBPF_ANY 0
#define USERBPF_NOEXIST 1
#define USERBPF_EXIST 2
#define USERBPF_F_LOCK 4

/* Map creation flags (kernel values) that userbpf honours. */
#define USERBPF_F_NO_PREALLOC (1u << 0)
#define USERBPF_F_NO_COMMON_LRU (1u << 1)
#define USERBPF_F_RDONLY_PROG (1u << 7)
#define USERBPF_F_WRONLY_PROG (1u << 8)
#define USERBPF_F_RDONLY (1u << 3)   /* the host may not write (update/delete: -EPERM) */
#define USERBPF_F_WRONLY (1u << 4)   /* the host may not read (lookup: -EPERM) */
#define USERBPF_F_MMAPABLE (1u << 10)
#define USERBPF_F_INNER_MAP (1u << 12) /* inner-map template: max_entries may differ */

struct userbpf_map;

struct userbpf_map_create_opts {
	size_t sz;
	uint32_t map_flags;
	/** Bloom filter: number of hash functions (1..15; 0 means 5). */
	uint32_t map_extra;
	/** Map-in-map: a map whose type/sizes the inner maps must match. */
	const struct userbpf_map *inner_map;
	/** Offset of a struct bpf_spin_lock in the value, or -1 (0 is a valid offset; set -1 when none). */
	int32_t spin_lock_off;
};

/**
 * Create a map. `name` (may be NULL) is copied, truncated to 15 characters as the kernel does.
 * NULL + errno: EINVAL (bad sizes or flags for the type), E2BIG, ENOMEM, EOPNOTSUPP (unknown type).
 */
USERBPF_API struct userbpf_map *userbpf_map_create(enum userbpf_map_type type, const char *name,
						   uint32_t key_size, uint32_t value_size,
						   uint32_t max_entries,
						   const struct userbpf_map_create_opts *opts);
/** Drop a reference; the map is freed when the last one goes (programs and outer maps hold refs). */
USERBPF_API void userbpf_map__free(struct userbpf_map *map);
USERBPF_API struct userbpf_map *userbpf_map__get(struct userbpf_map *map);

/**
 * Every map gets a unique id at creation (never reused while the process lives), as the kernel's map
 * ids. Where the kernel's user space writes a map fd into a map-in-map, userbpf's host writes the id
 * (value_size 4); likewise prog_array values are program ids.
 */
USERBPF_API uint32_t userbpf_map__id(const struct userbpf_map *map);
USERBPF_API const char *userbpf_map__name(const struct userbpf_map *map);
USERBPF_API enum userbpf_map_type userbpf_map__type(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__key_size(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__value_size(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__max_entries(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__flags(const struct userbpf_map *map);
/** Name of a map type ("hash", "lru_percpu_hash", ...), NULL if unknown. */
USERBPF_API const char *userbpf_map_type_name(enum userbpf_map_type type);

/*
 * Host-side element operations, as the kernel's BPF_MAP_* commands behave for user space (per-CPU
 * maps read and write all slots). 0 or -errno: -ENOENT (no such key; end of iteration), -EEXIST
 * (BPF_NOEXIST on a present key), -E2BIG (map full), -EINVAL (bad flags or key for the type).
 */
USERBPF_API int userbpf_map_lookup_elem(struct userbpf_map *map, const void *key, void *value);
USERBPF_API int userbpf_map_lookup_elem_flags(struct userbpf_map *map, const void *key, void *value,
					      uint64_t flags);
USERBPF_API int userbpf_map_update_elem(struct userbpf_map *map, const void *key, const void *value,
					uint64_t flags);
USERBPF_API int userbpf_map_delete_elem(struct userbpf_map *map, const void *key);
/** Queue/stack pop (key must be NULL), hash lookup-and-delete. */
USERBPF_API int userbpf_map_lookup_and_delete_elem(struct userbpf_map *map, const void *key, void *value);
/** First key when key is NULL (or not present), else the key after it. -ENOENT at the end. */
USERBPF_API int userbpf_map_get_next_key(struct userbpf_map *map, const void *key, void *next_key);

struct userbpf_map_batch_opts {
	size_t sz;
	uint64_t elem_flags;
	uint64_t flags;
};
/*
 * Batch operations, as libbpf's bpf_map_*_batch: `in_batch` NULL starts from the beginning; `*count`
 * is the room on entry and the number done on return; -ENOENT when the end was reached (with *count
 * possibly > 0).
 */
USERBPF_API int userbpf_map_lookup_batch(struct userbpf_map *map, void *in_batch, void *out_batch,
					 void *keys, void *values, uint32_t *count,
					 const struct userbpf_map_batch_opts *opts);
USERBPF_API int userbpf_map_lookup_and_delete_batch(struct userbpf_map *map, void *in_batch,
						    void *out_batch, void *keys, void *values,
						    uint32_t *count,
						    const struct userbpf_map_batch_opts *opts);
USERBPF_API int userbpf_map_update_batch(struct userbpf_map *map, const void *keys, const void *values,
					 uint32_t *count, const struct userbpf_map_batch_opts *opts);
USERBPF_API int userbpf_map_delete_batch(struct userbpf_map *map, const void *keys, uint32_t *count,
					 const struct userbpf_map_batch_opts *opts);

/*
 * Ring buffer (BPF_MAP_TYPE_RINGBUF) and perf event array records, handed to the host. The callback
 * gets each committed record in order (discarded ones are skipped); a non-zero return stops and is
 * returned. Returns the number of records consumed, or -errno.
 */
typedef int (*userbpf_ring_sample_fn)(void *cookie, const void *data, size_t size);
USERBPF_API int userbpf_ringbuf_consume(struct userbpf_map *map, userbpf_ring_sample_fn fn, void *cookie);
/** Bytes waiting to be consumed (BPF_RB_AVAIL_DATA as bpf_ringbuf_query reports it). */
USERBPF_API uint64_t userbpf_ringbuf_avail(struct userbpf_map *map);
/** Perf event array: records from all slots, in order per slot; `cpu` is the slot the record came from. */
typedef int (*userbpf_perf_sample_fn)(void *cookie, int cpu, const void *data, size_t size);
USERBPF_API int userbpf_perf_consume(struct userbpf_map *map, userbpf_perf_sample_fn fn, void *cookie);

/*
 * Register the kernel-numbered map helpers: map_lookup_elem (1), map_update_elem (2),
 * map_delete_elem (3), perf_event_output (25), map_push_elem (87), map_pop_elem (88),
 * map_peek_elem (89), spin_lock (93), spin_unlock (94), ringbuf_output (130), ringbuf_reserve (131),
 * ringbuf_submit (132), ringbuf_discard (133), ringbuf_query (134), map_lookup_percpu_elem (195).
 * r1 (r2 for perf_event_output) is the struct userbpf_map * the loader put in the program.
 * 0 or -errno (-EEXIST when one of these ids is already registered).
 */
USERBPF_API int userbpf_helpers__add_maps(struct userbpf_helpers *helpers);

/**
 * The memory a program may reach through pointers this map hands out (array values, hash and LPM
 * element pools, the ring buffer's data pages), as regions for userbpf_run_opts.regions so that the
 * checked engine lets programs use map values. Fills up to `max` entries and returns how many there
 * are (call again with more room if larger), or -EINVAL. Hash maps with BPF_F_NO_PREALLOC and LPM
 * tries grow their pools as they fill: take the regions again before each run. Maps whose values are
 * only copied by helpers (queue, stack, bloom filter, perf event array, prog_array, map-in-map) have
 * none; an inner map's regions are its own.
 */
USERBPF_API int userbpf_map__regions(const struct userbpf_map *map, struct userbpf_region *regions,
				     size_t max);

/* Per-CPU slots (see the header comment). */
USERBPF_API int userbpf_set_nr_cpus(unsigned int nr);
USERBPF_API unsigned int userbpf_nr_cpus(void);
USERBPF_API unsigned int userbpf_this_cpu(void);
USERBPF_API int userbpf_set_this_cpu(unsigned int cpu);

#ifdef __cplusplus
}
#endif

#endif /* USERBPF_MAPS_H */
