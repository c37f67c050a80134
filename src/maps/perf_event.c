/*
 * perf_event.c - BPF_MAP_TYPE_PERF_EVENT_ARRAY: records from bpf_perf_event_output handed to the host.
 *
 * key_size = value_size = 4, one slot per index (normally one per CPU). Where the kernel's user space
 * stores perf event fds, every slot here starts open; the host may close one with delete (output to
 * it then fails with -ENOENT, as on a slot without an event) and reopen it with update. Each slot has
 * a bounded byte ring (PERF_SLOT_BYTES, allocated on first output); a record that does not fit is
 * dropped with -ENOSPC, as the kernel's perf ring does. Flags: low 32 bits = index, or
 * BPF_F_CURRENT_CPU for this worker's slot; bits 32..51 (BPF_F_CTXLEN_MASK) are accepted and ignored.
 */
#include "maps/map.h"

#include <pthread.h>
#include <stdlib.h>

#define PERF_SLOT_BYTES (256u * 1024)

struct perf_slot {
	pthread_mutex_t lock;
	bool closed;
	char *buf;
	uint64_t head, tail; /* bytes written / consumed */
	uint64_t lost;
};

struct perf_map {
	struct userbpf_map map;
	struct perf_slot *slots;
};

#define P(m) map_container_of(m, struct perf_map, map)

static void ring_copy_in(struct perf_slot *s, uint64_t pos, const void *src, size_t n)
{
	size_t off = pos % PERF_SLOT_BYTES, first = PERF_SLOT_BYTES - off;
	if (first > n)
		first = n;
	memcpy(s->buf + off, src, first);
	memcpy(s->buf, (const char *)src + first, n - first);
}

static void ring_copy_out(struct perf_slot *s, uint64_t pos, void *dst, size_t n)
{
	size_t off = pos % PERF_SLOT_BYTES, first = PERF_SLOT_BYTES - off;
	if (first > n)
		first = n;
	memcpy(dst, s->buf + off, first);
	memcpy((char *)dst + first, s->buf, n - first);
}

long map_perf_output(struct userbpf_map *m, uint64_t flags, const void *data, uint64_t size)
{
	if (m->type != USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	if (flags & ~(MAP_F_INDEX_MASK | MAP_F_CTXLEN_MASK))
		return -EINVAL;
	uint64_t idx = flags & MAP_F_INDEX_MASK;
	if (idx == MAP_F_CURRENT_CPU)
		idx = userbpf_this_cpu();
	if (idx >= m->max_entries)
		return -E2BIG;
	struct perf_slot *s = &P(m)->slots[idx];
	uint64_t need = 8 + MAP_ROUND_UP(size, 8);
	long err = 0;
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		err = -ENOENT;
		goto out;
	}
	if (!s->buf && !(s->buf = malloc(PERF_SLOT_BYTES))) {
		err = -ENOMEM;
		goto out;
	}
	if (need > PERF_SLOT_BYTES - (s->head - s->tail)) {
		s->lost++;
		err = -ENOSPC;
		goto out;
	}
	uint64_t hdr = size;
	ring_copy_in(s, s->head, &hdr, 8);
	ring_copy_in(s, s->head + 8, data, size);
	s->head += need;
out:
	pthread_mutex_unlock(&s->lock);
	return err;
}

int userbpf_perf_consume(struct userbpf_map *map, userbpf_perf_sample_fn fn, void *cookie)
{
	if (!map || !fn || map->type != USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	struct perf_map *p = P(map);
	char *scratch = NULL;
	size_t scratch_cap = 0;
	int n = 0;
	for (uint32_t i = 0; i < map->max_entries; i++) {
		struct perf_slot *s = &p->slots[i];
		for (;;) {
			uint64_t size;
			pthread_mutex_lock(&s->lock);
			if (s->head == s->tail) {
				pthread_mutex_unlock(&s->lock);
				break;
			}
			ring_copy_out(s, s->tail, &size, 8);
			if (size > scratch_cap) {
				char *t = realloc(scratch, size);
				if (!t) {
					pthread_mutex_unlock(&s->lock);
					free(scratch);
					return -ENOMEM;
				}
				scratch = t;
				scratch_cap = size;
			}
			ring_copy_out(s, s->tail + 8, scratch, size);
			s->tail += 8 + MAP_ROUND_UP(size, 8);
			pthread_mutex_unlock(&s->lock);
			int r = fn(cookie, (int)i, scratch, size);
			if (n < INT32_MAX)
				n++;
			if (r) {
				free(scratch);
				return r;
			}
		}
	}
	free(scratch);
	return n;
}

static int perf_sys_update(struct userbpf_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t i;
	if (flags != USERBPF_ANY)
		return -EINVAL;
	memcpy(&i, key, 4);
	if (i >= m->max_entries)
		return -E2BIG;
	struct perf_slot *s = &P(m)->slots[i];
	pthread_mutex_lock(&s->lock);
	s->closed = false;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static long perf_delete(struct userbpf_map *m, const void *key)
{
	uint32_t i;
	memcpy(&i, key, 4);
	if (i >= m->max_entries)
		return -E2BIG;
	struct perf_slot *s = &P(m)->slots[i];
	pthread_mutex_lock(&s->lock);
	bool was = !s->closed;
	s->closed = true;
	pthread_mutex_unlock(&s->lock);
	return was ? 0 : -ENOENT;
}

static int perf_next_key(struct userbpf_map *m, const void *key, void *next)
{
	uint32_t i = UINT32_MAX;
	if (key)
		memcpy(&i, key, 4);
	if (i >= m->max_entries)
		i = 0;
	else if (i == m->max_entries - 1)
		return -ENOENT;
	else
		i++;
	memcpy(next, &i, 4);
	return 0;
}

static void perf_free(struct userbpf_map *m)
{
	struct perf_map *p = P(m);
	for (uint32_t i = 0; p->slots && i < m->max_entries; i++) {
		pthread_mutex_destroy(&p->slots[i].lock);
		free(p->slots[i].buf);
	}
	free(p->slots);
	free(p);
}

static const struct map_ops perf_ops = {
    .free = perf_free,
    .delete = perf_delete,
    .sys_update = perf_sys_update,
    .get_next_key = perf_next_key,
};

struct userbpf_map *map_perf_create(const struct map_attr *a)
{
	if (a->key_size != 4 || a->value_size != 4 || a->max_entries == 0 ||
	    (a->map_flags & ~(MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK | MAP_F_PRESERVE_ELEMS))) {
		errno = EINVAL;
		return NULL;
	}
	if (a->max_entries > (1u << 20)) {
		errno = E2BIG;
		return NULL;
	}
	struct perf_map *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->slots = calloc(a->max_entries, sizeof(*p->slots));
	if (!p->slots) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < a->max_entries; i++)
		pthread_mutex_init(&p->slots[i].lock, NULL);
	map_init_common(&p->map, a, &perf_ops);
	return &p->map;
}
