/*
 * map_helpers.c - the kernel-numbered helpers that act on maps, registered by
 * userbpf_helpers__add_maps(): map lookup/update/delete, push/pop/peek, lookup_percpu_elem,
 * ringbuf output/reserve/submit/discard/query, perf_event_output and bpf_spin_lock/unlock.
 *
 * Arguments are the kernel's: r1 is the map (struct userbpf_map *, as the loader resolves map
 * pseudo-loads), keys and values are pointers into BPF memory; return values are the kernel's
 * (a pointer or NULL, 0 or -errno as a 64-bit value).
 */
#include <errno.h>
#include <stdint.h>

#include "maps/map.h"
#include "vm/vm.h"

#define MAP(r) ((struct userbpf_map *)(uintptr_t)(r))
#define PTR(r) ((void *)(uintptr_t)(r))
#define RET(x) ((uint64_t)(int64_t)(x))

static uint64_t h_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (!r1)
		return 0;
	return (uint64_t)(uintptr_t)map_lookup(MAP(r1), PTR(r2));
}

bool map_helper_is_lookup(userbpf_helper_fn fn)
{
	return fn == h_map_lookup_elem;
}

static uint64_t h_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (!r1)
		return RET(-EINVAL);
	return RET(map_update(MAP(r1), PTR(r2), PTR(r3), r4));
}

static uint64_t h_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (!r1)
		return RET(-EINVAL);
	return RET(map_delete(MAP(r1), PTR(r2)));
}

static uint64_t h_map_push_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				const struct userbpf_call *c)
{
	if (!r1)
		return RET(-EINVAL);
	return RET(map_push(MAP(r1), PTR(r2), r3));
}

static uint64_t h_map_pop_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       const struct userbpf_call *c)
{
	if (!r1)
		return RET(-EINVAL);
	return RET(map_pop(MAP(r1), PTR(r2)));
}

static uint64_t h_map_peek_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				const struct userbpf_call *c)
{
	if (!r1)
		return RET(-EINVAL);
	return RET(map_peek(MAP(r1), PTR(r2)));
}

static uint64_t h_map_lookup_percpu_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
					 const struct userbpf_call *c)
{
	if (!r1)
		return 0;
	return (uint64_t)(uintptr_t)map_lookup_percpu(MAP(r1), PTR(r2), (uint32_t)r3);
}

static uint64_t h_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 const struct userbpf_call *c)
{
	if (!r1 || MAP(r1)->type != USERBPF_MAP_TYPE_RINGBUF)
		return RET(-EINVAL);
	return RET(map_ringbuf_output(MAP(r1), PTR(r2), r3, r4));
}

static uint64_t h_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (!r1)
		return 0;
	return (uint64_t)(uintptr_t)map_ringbuf_reserve(MAP(r1), r2, r3);
}

static uint64_t h_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 const struct userbpf_call *c)
{
	if (r1)
		map_ringbuf_submit(PTR(r1), r2);
	return 0;
}

static uint64_t h_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  const struct userbpf_call *c)
{
	if (r1)
		map_ringbuf_discard(PTR(r1), r2);
	return 0;
}

static uint64_t h_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				const struct userbpf_call *c)
{
	if (!r1)
		return 0;
	return map_ringbuf_query(MAP(r1), r2);
}

/* bpf_perf_event_output(ctx, map, flags, data, size) */
static uint64_t h_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				    const struct userbpf_call *c)
{
	if (!r2 || MAP(r2)->type != USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return RET(-EINVAL);
	return RET(map_perf_output(MAP(r2), r3, PTR(r4), r5));
}

/* bpf_spin_lock/unlock on the struct bpf_spin_lock (a u32) inside a map value. */
static uint64_t h_spin_lock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    const struct userbpf_call *c)
{
	if (r1)
		map_spin_lock((uint32_t *)PTR(r1));
	return 0;
}

static uint64_t h_spin_unlock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      const struct userbpf_call *c)
{
	if (r1)
		map_spin_unlock((uint32_t *)PTR(r1));
	return 0;
}

static const struct helpers_def map_helpers[] = {
    {1, "map_lookup_elem", h_map_lookup_elem},
    {2, "map_update_elem", h_map_update_elem},
    {3, "map_delete_elem", h_map_delete_elem},
    {25, "perf_event_output", h_perf_event_output},
    {87, "map_push_elem", h_map_push_elem},
    {88, "map_pop_elem", h_map_pop_elem},
    {89, "map_peek_elem", h_map_peek_elem},
    {93, "spin_lock", h_spin_lock},
    {94, "spin_unlock", h_spin_unlock},
    {130, "ringbuf_output", h_ringbuf_output},
    {131, "ringbuf_reserve", h_ringbuf_reserve},
    {132, "ringbuf_submit", h_ringbuf_submit},
    {133, "ringbuf_discard", h_ringbuf_discard},
    {134, "ringbuf_query", h_ringbuf_query},
    {195, "map_lookup_percpu_elem", h_map_lookup_percpu_elem},
};

int userbpf_helpers__add_maps(struct userbpf_helpers *h)
{
	return helpers_add_table(h, map_helpers, sizeof(map_helpers) / sizeof(map_helpers[0]));
}
