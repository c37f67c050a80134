/*
 * queue_stack.c - BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO).
 *
 * key_size 0; a ring of max_entries + 1 preallocated slots under one spin lock, as the kernel.
 * push: -E2BIG when full, unless BPF_EXIST, which drops the oldest element to make room;
 * pop/peek: -ENOENT when empty. The host's update/lookup/lookup_and_delete with a NULL key are
 * push/peek/pop.
 */
#include "maps/map.h"

#include <stdlib.h>

struct qs_map {
	struct userbpf_map map;
	uint32_t lock;
	uint32_t head, tail, size;
	char *elems;
};

#define Q(m) map_container_of(m, struct qs_map, map)

static long qs_push(struct userbpf_map *m, const void *value, uint64_t flags)
{
	struct qs_map *q = Q(m);
	if ((flags & USERBPF_NOEXIST) || flags > USERBPF_EXIST)
		return -EINVAL;
	map_spin_lock(&q->lock);
	if ((q->head + 1) % q->size == q->tail) {
		if (flags != USERBPF_EXIST) {
			map_spin_unlock(&q->lock);
			return -E2BIG;
		}
		if (++q->tail >= q->size)
			q->tail = 0;
	}
	memcpy(q->elems + (size_t)q->head * m->value_size, value, m->value_size);
	if (++q->head >= q->size)
		q->head = 0;
	map_spin_unlock(&q->lock);
	return 0;
}

static long qs_get(struct userbpf_map *m, void *value, bool del)
{
	struct qs_map *q = Q(m);
	map_spin_lock(&q->lock);
	if (q->head == q->tail) {
		map_spin_unlock(&q->lock);
		return -ENOENT;
	}
	uint32_t i;
	if (m->type == USERBPF_MAP_TYPE_QUEUE) {
		i = q->tail;
		if (del && ++q->tail >= q->size)
			q->tail = 0;
	} else {
		i = q->head ? q->head - 1 : q->size - 1;
		if (del)
			q->head = i;
	}
	memcpy(value, q->elems + (size_t)i * m->value_size, m->value_size);
	map_spin_unlock(&q->lock);
	return 0;
}

static long qs_pop(struct userbpf_map *m, void *value)
{
	return qs_get(m, value, true);
}

static long qs_peek(struct userbpf_map *m, void *value)
{
	return qs_get(m, value, false);
}

static int qs_sys_lookup(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	if (flags)
		return -EINVAL;
	return (int)qs_get(m, value, false);
}

static int qs_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	return (int)qs_push(m, value, flags);
}

static int qs_sys_delete(struct userbpf_map *m, const void *key)
{
	return -EINVAL;
}

static void qs_free(struct userbpf_map *m)
{
	free(Q(m)->elems);
	free(Q(m));
}

static const struct map_ops qs_ops = {
    .free = qs_free,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
    .sys_lookup = qs_sys_lookup,
    .sys_update = qs_sys_update,
    .sys_delete = qs_sys_delete,
};

struct userbpf_map *map_queue_stack_create(const struct map_attr *a)
{
	if (a->max_entries == 0 || a->key_size != 0 || a->value_size == 0 ||
	    (a->map_flags & ~(MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK))) {
		errno = EINVAL;
		return NULL;
	}
	uint64_t bytes = ((uint64_t)a->max_entries + 1) * a->value_size;
	if (a->value_size > (1u << 26) || bytes > (1ull << 40)) {
		errno = E2BIG;
		return NULL;
	}
	struct qs_map *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->elems = calloc(1, bytes);
	if (!q->elems) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	map_init_common(&q->map, a, &qs_ops);
	q->size = a->max_entries + 1;
	return &q->map;
}
