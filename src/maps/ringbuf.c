/*
 * ringbuf.c - BPF_MAP_TYPE_RINGBUF: the kernel's multi-producer, single-consumer ring buffer.
 *
 * max_entries is the data size in bytes, a power of two and a multiple of the page size. The data
 * pages are mapped twice back to back (a memfd mapped at two consecutive addresses), so a record that
 * wraps around the end is still contiguous, exactly as the kernel maps its ring. One control page
 * before the data points back at the map, so submit/discard find the ring from the sample alone
 * (the header's pg_off field counts pages from that control page, as the kernel's counts from the
 * ring's start).
 *
 * Records: an 8-byte header { u32 len (bit 31 busy, bit 30 discard); u32 pg_off } then the data,
 * the whole rounded up to 8 bytes. Reservation (under a spin lock, as the kernel's) fails when the
 * producer would get more than size - 1 bytes ahead of the consumer. The host consumes in order and
 * stops at the first busy record; discarded records are skipped.
 */
#include "maps/map.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct rb_map {
	struct userbpf_map map;
	uint32_t lock;
	pthread_mutex_t cons_lock;
	uint64_t cons_pos;
	uint64_t prod_pos;
	uint64_t mask;
	size_t page;
	char *base; /* control page; data at base + page, twice */
	char *data;
	size_t map_len;
};

#define RB(m)	      map_container_of(m, struct rb_map, map)
#define RB_MAX_RECORD (UINT32_MAX / 4)

void *map_ringbuf_reserve(struct userbpf_map *m, uint64_t size, uint64_t flags)
{
	if (m->type != USERBPF_MAP_TYPE_RINGBUF || flags || size > RB_MAX_RECORD)
		return NULL;
	struct rb_map *rb = RB(m);
	uint64_t len = MAP_ROUND_UP(size + MAP_RINGBUF_HDR_SZ, 8);
	if (len > rb->mask + 1)
		return NULL;
	map_spin_lock(&rb->lock);
	uint64_t cons = __atomic_load_n(&rb->cons_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = rb->prod_pos;
	if (prod + len - cons > rb->mask) {
		map_spin_unlock(&rb->lock);
		return NULL;
	}
	char *hdr = rb->data + (prod & rb->mask);
	uint32_t pg_off = (uint32_t)((size_t)(hdr - rb->base) / rb->page);
	__atomic_store_n((uint32_t *)hdr, (uint32_t)size | MAP_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
	memcpy(hdr + 4, &pg_off, 4);
	__atomic_store_n(&rb->prod_pos, prod + len, __ATOMIC_RELEASE);
	map_spin_unlock(&rb->lock);
	return hdr + MAP_RINGBUF_HDR_SZ;
}

static void commit(void *sample, bool discard)
{
	char *hdr = (char *)sample - MAP_RINGBUF_HDR_SZ;
	uint32_t len = __atomic_load_n((uint32_t *)hdr, __ATOMIC_RELAXED);
	len &= ~MAP_RINGBUF_BUSY_BIT;
	if (discard)
		len |= MAP_RINGBUF_DISCARD_BIT;
	/* Wakeup flags (BPF_RB_NO_WAKEUP/FORCE_WAKEUP) are accepted; the host polls. */
	__atomic_store_n((uint32_t *)hdr, len, __ATOMIC_RELEASE);
}

void map_ringbuf_submit(void *sample, uint64_t flags)
{
	commit(sample, false);
}

void map_ringbuf_discard(void *sample, uint64_t flags)
{
	commit(sample, true);
}

long map_ringbuf_output(struct userbpf_map *m, const void *data, uint64_t size, uint64_t flags)
{
	if (flags & ~(uint64_t)(MAP_RB_NO_WAKEUP | MAP_RB_FORCE_WAKEUP))
		return -EINVAL;
	void *s = map_ringbuf_reserve(m, size, 0);
	if (!s)
		return -EAGAIN;
	memcpy(s, data, size);
	commit(s, false);
	return 0;
}

uint64_t map_ringbuf_query(struct userbpf_map *m, uint64_t flags)
{
	if (m->type != USERBPF_MAP_TYPE_RINGBUF)
		return 0;
	struct rb_map *rb = RB(m);
	switch (flags) {
	case MAP_RB_AVAIL_DATA:
		return __atomic_load_n(&rb->prod_pos, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&rb->cons_pos, __ATOMIC_ACQUIRE);
	case MAP_RB_RING_SIZE:
		return rb->mask + 1;
	case MAP_RB_CONS_POS:
		return __atomic_load_n(&rb->cons_pos, __ATOMIC_ACQUIRE);
	case MAP_RB_PROD_POS:
		return __atomic_load_n(&rb->prod_pos, __ATOMIC_ACQUIRE);
	default:
		return 0;
	}
}

uint64_t userbpf_ringbuf_avail(struct userbpf_map *map)
{
	return map ? map_ringbuf_query(map, MAP_RB_AVAIL_DATA) : 0;
}

int userbpf_ringbuf_consume(struct userbpf_map *map, userbpf_ring_sample_fn fn, void *cookie)
{
	if (!map || !fn || map->type != USERBPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	struct rb_map *rb = RB(map);
	int n = 0, ret = 0;
	pthread_mutex_lock(&rb->cons_lock);
	uint64_t cons = rb->cons_pos;
	for (;;) {
		uint64_t prod = __atomic_load_n(&rb->prod_pos, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		bool progress = false;
		while (cons < prod) {
			char *hdr = rb->data + (cons & rb->mask);
			uint32_t len = __atomic_load_n((uint32_t *)hdr, __ATOMIC_ACQUIRE);
			if (len & MAP_RINGBUF_BUSY_BIT)
				goto done;
			uint32_t size = len & ~(MAP_RINGBUF_BUSY_BIT | MAP_RINGBUF_DISCARD_BIT);
			cons += MAP_ROUND_UP((uint64_t)size + MAP_RINGBUF_HDR_SZ, 8);
			progress = true;
			if (!(len & MAP_RINGBUF_DISCARD_BIT)) {
				int r = fn(cookie, hdr + MAP_RINGBUF_HDR_SZ, size);
				if (n < INT32_MAX)
					n++;
				if (r) {
					__atomic_store_n(&rb->cons_pos, cons, __ATOMIC_RELEASE);
					ret = r;
					goto out;
				}
			}
			__atomic_store_n(&rb->cons_pos, cons, __ATOMIC_RELEASE);
		}
		if (!progress)
			break;
	}
done:
	__atomic_store_n(&rb->cons_pos, cons, __ATOMIC_RELEASE);
	ret = n;
out:
	pthread_mutex_unlock(&rb->cons_lock);
	return ret;
}

static void rb_free(struct userbpf_map *m)
{
	struct rb_map *rb = RB(m);
	if (rb->base)
		munmap(rb->base, rb->map_len);
	pthread_mutex_destroy(&rb->cons_lock);
	free(rb);
}

static size_t rb_regions(struct userbpf_map *m, struct userbpf_region *out, size_t max)
{
	struct rb_map *rb = RB(m);
	return map_add_region(out, max, 0, rb->data, 2 * (size_t)(rb->mask + 1), true);
}

static const struct map_ops rb_ops = {
    .free = rb_free,
    .regions = rb_regions,
};

struct userbpf_map *map_ringbuf_create(const struct map_attr *a)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	uint32_t size = a->max_entries;
	if (a->key_size || a->value_size || (a->map_flags & ~MAP_F_NUMA_NODE) || size == 0 ||
	    (size & (size - 1)) || size % page) {
		errno = EINVAL;
		return NULL;
	}
	struct rb_map *rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	map_init_common(&rb->map, a, &rb_ops);
	pthread_mutex_init(&rb->cons_lock, NULL);
	rb->page = page;
	rb->mask = size - 1;
	rb->map_len = page + 2 * (size_t)size;

	int fd = -1, err = ENOMEM;
	char *base = mmap(NULL, rb->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto fail;
	rb->base = base;
	if (mmap(base, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED)
		goto fail;
	fd = memfd_create("userbpf-ringbuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, size) != 0) {
		err = errno;
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		if (mmap(base + page + (size_t)i * size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fd, 0) == MAP_FAILED) {
			err = errno;
			goto fail;
		}
	}
	close(fd);
	*(struct rb_map **)base = rb;
	rb->data = base + page;
	return &rb->map;
fail:
	if (fd >= 0)
		close(fd);
	rb_free(&rb->map);
	errno = err;
	return NULL;
}
