/*
 * tsan_maps.c - concurrent map access under ThreadSanitizer (built and run by test_tsan.sh, not part
 * of the unit tests). Each scenario runs several threads against one map, mixing program-side calls
 * (map_lookup/map_update/...) and host calls, then checks a result that only holds when no update was
 * lost. `tsan_maps NAME` runs one scenario and exits non-zero when its check fails; ThreadSanitizer
 * reports are counted by the script.
 *
 * Values reached through a pointer from map_lookup are only touched in ways that are race-free in the
 * kernel too: per-CPU slots owned by one thread, or under the value's bpf_spin_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"

#define NT    4
#define ITERS 20000

static struct userbpf_map *M;
static int failures;

static void fail(const char *what)
{
	fprintf(stderr, "check failed: %s\n", what);
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static void run_threads(void *(*fn)(void *), int n)
{
	pthread_t t[16];
	for (long i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* ---- hash: updates, deletes, lookups, iteration --------------------------------------------- */

static void *hash_worker(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg * 7919 + 1;
	for (int i = 0; i < ITERS; i++) {
		uint32_t k = rnd(&seed) % 256, op = rnd(&seed) % 6;
		uint64_t v[NT], out[NT];
		for (int c = 0; c < NT; c++)
			v[c] = k * 3;
		switch (op) {
		case 0:
			map_update(M, &k, v, USERBPF_ANY);
			break;
		case 1:
			userbpf_map_update_elem(M, &k, v, USERBPF_NOEXIST);
			break;
		case 2:
			map_delete(M, &k);
			break;
		case 3:
			(void)map_lookup(M, &k);
			break;
		case 4:
			if (userbpf_map_lookup_elem(M, &k, out) == 0) {
				/* per-CPU: slots a program did not write are zero */
				for (int c = 0; c < (M->percpu ? NT : 1); c++) {
					if (out[c] != k * 3 && !(M->percpu && out[c] == 0))
						fail("hash value");
				}
			}
			break;
		default: {
			uint32_t cur, next;
			void *prev = NULL;
			for (int n = 0; n < 8 && userbpf_map_get_next_key(M, prev, &next) == 0; n++) {
				cur = next;
				prev = &cur;
			}
		}
		}
	}
	return NULL;
}

static int hash_scenario(enum userbpf_map_type t, uint32_t max)
{
	M = userbpf_map_create(t, "h", 4, 8, max, NULL);
	if (!M)
		return 1;
	run_threads(hash_worker, NT);
	userbpf_map__free(M);
	return 0;
}

/* ---- per-CPU: each thread its own slot, counts must add up ---------------------------------- */

static void *percpu_worker(void *arg)
{
	userbpf_set_this_cpu((unsigned int)(uintptr_t)arg);
	uint32_t k = 0;
	for (int i = 0; i < ITERS; i++) {
		uint64_t *p = map_lookup(M, &k);
		if (!p) {
			uint64_t one = 1;
			if (map_update(M, &k, &one, USERBPF_NOEXIST) == -EEXIST) {
				p = map_lookup(M, &k);
				if (p)
					(*p)++;
			}
		} else {
			(*p)++;
		}
	}
	return NULL;
}

static int percpu_scenario(enum userbpf_map_type t)
{
	M = userbpf_map_create(t, "pc", 4, 8, 4, NULL);
	if (!M)
		return 1;
	run_threads(percpu_worker, NT);
	uint64_t all[NT] = {0}, sum = 0;
	uint32_t k = 0;
	if (userbpf_map_lookup_elem(M, &k, all) != 0)
		fail("percpu lookup");
	for (int c = 0; c < NT; c++)
		sum += all[c];
	if (sum != (uint64_t)NT * ITERS) {
		fprintf(stderr, "percpu sum %llu\n", (unsigned long long)sum);
		fail("percpu sum");
	}
	userbpf_map__free(M);
	return 0;
}

/* ---- array with bpf_spin_lock: program-side locked increments, host F_LOCK reads/writes ------ */

struct locked {
	uint32_t lock;
	uint32_t pad;
	uint64_t count;
};

static void *lock_worker(void *arg)
{
	uint32_t k = 1;
	long id = (long)(uintptr_t)arg;
	for (int i = 0; i < ITERS; i++) {
		if (id == 0 && i % 8 == 0) {
			struct locked out;
			if (userbpf_map_lookup_elem_flags(M, &k, &out, USERBPF_F_LOCK) != 0)
				fail("locked lookup");
			continue;
		}
		struct locked *p = map_lookup(M, &k);
		map_spin_lock(&p->lock);
		p->count++;
		map_spin_unlock(&p->lock);
	}
	return NULL;
}

static int array_lock_scenario(void)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(userbpf_map_create_opts, .spin_lock_off = 0);
	M = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, "lk", 4, sizeof(struct locked), 2, &o);
	if (!M)
		return 1;
	run_threads(lock_worker, NT);
	struct locked out;
	uint32_t k = 1;
	userbpf_map_lookup_elem_flags(M, &k, &out, USERBPF_F_LOCK);
	if (out.count != (uint64_t)(NT - 1) * ITERS + ITERS - ITERS / 8)
		fail("locked count");
	userbpf_map__free(M);
	return 0;
}

/* ---- plain array: threads on disjoint indices, host reads of others' ------------------------ */

static void *array_worker(void *arg)
{
	uint32_t k = (uint32_t)(uintptr_t)arg;
	for (uint64_t i = 1; i <= ITERS; i++) {
		if (map_update(M, &k, &i, USERBPF_EXIST) != 0)
			fail("array update");
		uint64_t *p = map_lookup(M, &k);
		if (!p || *p != i)
			fail("array value");
	}
	return NULL;
}

static int array_scenario(void)
{
	M = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, "a", 4, 8, NT, NULL);
	if (!M)
		return 1;
	run_threads(array_worker, NT);
	for (uint32_t k = 0; k < NT; k++) {
		uint64_t v;
		if (userbpf_map_lookup_elem(M, &k, &v) != 0 || v != ITERS)
			fail("array final");
	}
	userbpf_map__free(M);
	return 0;
}

/* ---- ringbuf: producers vs one consumer -------------------------------------------------------- */

static int rb_done;
static uint64_t rb_made, rb_seen, rb_sum_made, rb_sum_seen;

static void *rb_producer(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg + 99;
	for (int i = 0; i < ITERS; i++) {
		uint32_t size = rnd(&seed) % 100 + 1, v = rnd(&seed);
		unsigned char buf[128];
		if (i % 3 == 0) {
			memset(buf, (int)(v & 0xff), size);
			if (map_ringbuf_output(M, buf, size, 0) == 0) {
				__atomic_add_fetch(&rb_made, 1, __ATOMIC_RELAXED);
				__atomic_add_fetch(&rb_sum_made, (uint64_t)(v & 0xff) * size,
						   __ATOMIC_RELAXED);
			}
			continue;
		}
		unsigned char *s = map_ringbuf_reserve(M, size, 0);
		if (!s)
			continue;
		memset(s, (int)(v & 0xff), size);
		if (i % 3 == 1) {
			map_ringbuf_discard(s, 0);
		} else {
			map_ringbuf_submit(s, 0);
			__atomic_add_fetch(&rb_made, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&rb_sum_made, (uint64_t)(v & 0xff) * size, __ATOMIC_RELAXED);
		}
		(void)map_ringbuf_query(M, MAP_RB_AVAIL_DATA);
	}
	return NULL;
}

static int rb_sample(void *cookie, const void *data, size_t size)
{
	const unsigned char *d = data;
	for (size_t i = 0; i < size; i++)
		rb_sum_seen += d[i];
	rb_seen++;
	return 0;
}

static void *rb_consumer(void *arg)
{
	while (!__atomic_load_n(&rb_done, __ATOMIC_ACQUIRE))
		userbpf_ringbuf_consume(M, rb_sample, NULL);
	userbpf_ringbuf_consume(M, rb_sample, NULL);
	return NULL;
}

static int ringbuf_scenario(void)
{
	M = userbpf_map_create(USERBPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 8192, NULL);
	if (!M)
		return 1;
	pthread_t c;
	pthread_create(&c, NULL, rb_consumer, NULL);
	run_threads(rb_producer, NT - 1);
	__atomic_store_n(&rb_done, 1, __ATOMIC_RELEASE);
	pthread_join(c, NULL);
	if (rb_seen != rb_made || rb_sum_seen != rb_sum_made) {
		fprintf(stderr, "ringbuf: made %llu seen %llu\n", (unsigned long long)rb_made,
			(unsigned long long)rb_seen);
		fail("ringbuf records");
	}
	userbpf_map__free(M);
	return 0;
}

/* ---- queue: pushers vs poppers ------------------------------------------------------------------ */

static uint64_t q_pushed, q_popped, q_sum_in, q_sum_out;

static void *queue_worker(void *arg)
{
	long id = (long)(uintptr_t)arg;
	for (uint32_t i = 1; i <= ITERS; i++) {
		uint32_t v = i;
		if (id % 2 == 0) {
			if (map_push(M, &v, 0) == 0) {
				__atomic_add_fetch(&q_pushed, 1, __ATOMIC_RELAXED);
				__atomic_add_fetch(&q_sum_in, v, __ATOMIC_RELAXED);
			}
		} else if (map_pop(M, &v) == 0) {
			__atomic_add_fetch(&q_popped, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&q_sum_out, v, __ATOMIC_RELAXED);
		} else {
			(void)map_peek(M, &v);
		}
	}
	return NULL;
}

static int queue_scenario(void)
{
	M = userbpf_map_create(USERBPF_MAP_TYPE_QUEUE, "q", 0, 4, 64, NULL);
	if (!M)
		return 1;
	run_threads(queue_worker, NT);
	uint32_t v;
	while (userbpf_map_lookup_and_delete_elem(M, NULL, &v) == 0) {
		q_popped++;
		q_sum_out += v;
	}
	if (q_pushed != q_popped || q_sum_in != q_sum_out)
		fail("queue totals");
	userbpf_map__free(M);
	return 0;
}

/* ---- LPM trie, bloom filter, perf buffer, ids and map-in-map ---------------------------------- */

static void *lpm_worker(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg + 5;
	for (int i = 0; i < ITERS / 4; i++) {
		struct {
			uint32_t plen;
			uint8_t a[4];
		} k = {8 + rnd(&seed) % 25, {10, (uint8_t)rnd(&seed), (uint8_t)rnd(&seed), 0}};
		uint32_t v = k.plen, out;
		switch (rnd(&seed) % 3) {
		case 0:
			map_update(M, &k, &v, 0);
			break;
		case 1:
			map_delete(M, &k);
			break;
		default:
			k.plen = 32;
			(void)map_lookup(M, &k);
			userbpf_map_lookup_elem(M, &k, &out);
		}
	}
	return NULL;
}

static int lpm_scenario(void)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(
	    userbpf_map_create_opts, .map_flags = USERBPF_F_NO_PREALLOC, .spin_lock_off = -1);
	M = userbpf_map_create(USERBPF_MAP_TYPE_LPM_TRIE, "l", 8, 4, 200, &o);
	if (!M)
		return 1;
	run_threads(lpm_worker, NT);
	userbpf_map__free(M);
	return 0;
}

static void *bloom_worker(void *arg)
{
	long id = (long)(uintptr_t)arg;
	for (uint64_t i = 0; i < ITERS / 4; i++) {
		uint64_t v = i * NT + (uint64_t)id;
		map_push(M, &v, 0);
		if (map_peek(M, &v) != 0)
			fail("bloom false negative");
	}
	return NULL;
}

static int bloom_scenario(void)
{
	M = userbpf_map_create(USERBPF_MAP_TYPE_BLOOM_FILTER, "b", 0, 8, 10000, NULL);
	if (!M)
		return 1;
	run_threads(bloom_worker, NT);
	userbpf_map__free(M);
	return 0;
}

static int perf_done;
static uint64_t perf_made, perf_seen;

static int perf_sample(void *cookie, int cpu, const void *data, size_t size)
{
	perf_seen++;
	return 0;
}

static void *perf_worker(void *arg)
{
	long id = (long)(uintptr_t)arg;
	if (id == 0) {
		while (!__atomic_load_n(&perf_done, __ATOMIC_ACQUIRE))
			userbpf_perf_consume(M, perf_sample, NULL);
		return NULL;
	}
	userbpf_set_this_cpu((unsigned int)id % userbpf_nr_cpus());
	for (int i = 0; i < ITERS / 2; i++) {
		uint64_t v = (uint64_t)i;
		if (map_perf_output(M, MAP_F_CURRENT_CPU, &v, 8) == 0)
			__atomic_add_fetch(&perf_made, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *perf_producers(void *arg)
{
	run_threads(perf_worker, NT);
	return NULL;
}

static int perf_scenario(void)
{
	M = userbpf_map_create(USERBPF_MAP_TYPE_PERF_EVENT_ARRAY, "p", 4, 4, NT, NULL);
	if (!M)
		return 1;
	pthread_t p[NT - 1], c;
	struct userbpf_map *m = M;
	(void)perf_producers;
	pthread_create(&c, NULL, perf_worker, (void *)0);
	for (long i = 1; i < NT; i++)
		pthread_create(&p[i - 1], NULL, perf_worker, (void *)i);
	for (int i = 0; i < NT - 1; i++)
		pthread_join(p[i], NULL);
	__atomic_store_n(&perf_done, 1, __ATOMIC_RELEASE);
	pthread_join(c, NULL);
	userbpf_perf_consume(m, perf_sample, NULL);
	if (perf_seen != perf_made)
		fail("perf records");
	userbpf_map__free(m);
	return 0;
}

static struct userbpf_map *outer;

static void *mim_worker(void *arg)
{
	long id = (long)(uintptr_t)arg;
	uint32_t k = (uint32_t)id % 2;
	for (int i = 0; i < ITERS / 20; i++) {
		if (id % 2 == 0) {
			struct userbpf_map *in =
			    userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, "in", 4, 8, 4, NULL);
			uint32_t idv = userbpf_map__id(in);
			if (userbpf_map_update_elem(outer, &k, &idv, 0) != 0)
				fail("mim update");
			userbpf_map__free(in);
			if (i % 3 == 0)
				userbpf_map_delete_elem(outer, &k);
		} else {
			uint32_t idv;
			if (userbpf_map_lookup_elem(outer, &k, &idv) == 0) {
				struct userbpf_map *g = map_get_by_id(idv);
				if (g) {
					uint32_t z = 0;
					uint64_t one = 1;
					userbpf_map_update_elem(g, &z, &one, 0);
					userbpf_map__free(g);
				}
			}
		}
	}
	return NULL;
}

static int mim_scenario(void)
{
	struct userbpf_map *tmpl = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, "t", 4, 8, 4, NULL);
	struct userbpf_map_create_opts o =
	    USERBPF_OPTS_INIT(userbpf_map_create_opts, .inner_map = tmpl, .spin_lock_off = -1);
	outer = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY_OF_MAPS, "o", 4, 4, 2, &o);
	if (!outer)
		return 1;
	run_threads(mim_worker, NT);
	userbpf_map__free(outer);
	userbpf_map__free(tmpl);
	return 0;
}

struct scenario {
	const char *name;
	int (*fn)(void);
};

static int s_hash(void)
{
	return hash_scenario(USERBPF_MAP_TYPE_HASH, 128);
}
static int s_lru(void)
{
	return hash_scenario(USERBPF_MAP_TYPE_LRU_HASH, 64);
}
static int s_lru_percpu(void)
{
	return hash_scenario(USERBPF_MAP_TYPE_LRU_PERCPU_HASH, 64);
}
static int s_percpu_hash(void)
{
	return percpu_scenario(USERBPF_MAP_TYPE_PERCPU_HASH);
}
static int s_percpu_array(void)
{
	return percpu_scenario(USERBPF_MAP_TYPE_PERCPU_ARRAY);
}

static const struct scenario scenarios[] = {
    {"hash", s_hash},
    {"lru_hash", s_lru},
    {"lru_percpu_hash", s_lru_percpu},
    {"percpu_hash", s_percpu_hash},
    {"percpu_array", s_percpu_array},
    {"array", array_scenario},
    {"array_spin_lock", array_lock_scenario},
    {"ringbuf", ringbuf_scenario},
    {"queue", queue_scenario},
    {"lpm_trie", lpm_scenario},
    {"bloom_filter", bloom_scenario},
    {"perf_event_array", perf_scenario},
    {"map_in_map", mim_scenario},
};

int main(int argc, char **argv)
{
	if (userbpf_set_nr_cpus(NT) != 0)
		return 2;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (argc > 1 && strcmp(argv[1], scenarios[i].name) != 0)
			continue;
		if (argc <= 1)
			printf("%s\n", scenarios[i].name);
		else if (scenarios[i].fn() != 0)
			fail("setup");
	}
	return failures ? 1 : 0;
}
