/*
 * test_maps.c - map semantics through the host API and the program-side map_* calls: array and
 * per-CPU array, hash family (flags, full map, iteration, LRU eviction order), queue/stack, bloom
 * filter, prog_array and map-in-map, ids, batch operations and creation errors.
 */
#include "test.h"

#include <errno.h>

#include "maps/map.h"

static struct userbpf_map *mk(enum userbpf_map_type t, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct userbpf_map_create_opts o =
	    USERBPF_OPTS_INIT(userbpf_map_create_opts, .map_flags = flags, .spin_lock_off = -1);
	return userbpf_map_create(t, "t", ks, vs, max, &o);
}

TEST(create_errors)
{
	errno = 0;
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 8, 4, 4, 0));
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 4, 0, 4, 0));
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 0, 0));
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 4, USERBPF_F_NO_PREALLOC));
	CHECK(!mk(USERBPF_MAP_TYPE_HASH, 0, 4, 4, 0));
	CHECK(!mk(USERBPF_MAP_TYPE_HASH, 4, 4, 4, USERBPF_F_NO_COMMON_LRU));
	errno = 0;
	CHECK(!mk(USERBPF_MAP_TYPE_HASH, 1u << 22, 4, 4, 0));
	CHECK_EQ_INT(errno, E2BIG);
	CHECK(!mk(USERBPF_MAP_TYPE_QUEUE, 4, 4, 4, 0));
	CHECK(!mk(USERBPF_MAP_TYPE_LPM_TRIE, 8, 4, 4, 0)); /* needs NO_PREALLOC */
	CHECK(!mk(USERBPF_MAP_TYPE_RINGBUF, 0, 0, 1000, 0));
	CHECK(!mk(USERBPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0));
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0)); /* no inner map */
	errno = 0;
	CHECK(!userbpf_map_create((enum userbpf_map_type)99, NULL, 4, 4, 4, NULL));
	CHECK_EQ_INT(errno, EOPNOTSUPP);
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(userbpf_map_create_opts, .spin_lock_off = 2);
	CHECK(!userbpf_map_create(USERBPF_MAP_TYPE_HASH, NULL, 4, 8, 4, &o));
	o.spin_lock_off = 8;
	CHECK(!userbpf_map_create(USERBPF_MAP_TYPE_HASH, NULL, 4, 8, 4, &o));
}

TEST(names_ids_types)
{
	struct userbpf_map *a =
	    userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, "a_very_long_map_name", 4, 4, 1, NULL);
	struct userbpf_map *b = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	CHECK(a && b);
	CHECK_STR(userbpf_map__name(a), "a_very_long_map");
	CHECK_STR(userbpf_map__name(b), "");
	CHECK(userbpf_map__id(a) && userbpf_map__id(b) > userbpf_map__id(a));
	CHECK_EQ_INT(userbpf_map__type(a), USERBPF_MAP_TYPE_ARRAY);
	CHECK_STR(userbpf_map_type_name(USERBPF_MAP_TYPE_LRU_PERCPU_HASH), "lru_percpu_hash");
	CHECK(userbpf_map_type_name((enum userbpf_map_type)200) == NULL);
	uint32_t id = userbpf_map__id(a);
	struct userbpf_map *g = map_get_by_id(id);
	CHECK(g == a);
	userbpf_map__free(g);
	userbpf_map__free(a);
	CHECK(map_get_by_id(id) == NULL);
	userbpf_map__free(b);
	struct userbpf_map *c = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	CHECK(userbpf_map__id(c) > id + 1); /* ids never reused */
	userbpf_map__free(c);
	userbpf_map__free(NULL);
}

TEST(array)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_ARRAY, 4, 12, 4, 0);
	uint32_t k = 1, next;
	unsigned char v[12] = {1, 2, 3}, out[12];
	CHECK(m);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, out), 0);
	CHECK(out[0] == 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_ANY), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_EXIST), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_NOEXIST), -EEXIST);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, 8), -EINVAL);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_F_LOCK), -EINVAL);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, out), 0);
	CHECK(memcmp(out, v, 12) == 0);
	unsigned char *p = map_lookup(m, &k);
	CHECK(p && p == (unsigned char *)map_array_base(m) + 16 && p[1] == 2);
	k = 4;
	CHECK(map_lookup(m, &k) == NULL);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, out), -ENOENT);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, 0), -E2BIG);
	CHECK_EQ_INT(map_update(m, &k, v, 0), -E2BIG);
	k = 0;
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &k), -EINVAL);
	CHECK_EQ_INT(map_delete(m, &k), -EINVAL);
	/* get_next_key: NULL or out of range -> 0; last -> ENOENT */
	CHECK_EQ_INT(userbpf_map_get_next_key(m, NULL, &next), 0);
	CHECK_EQ_INT(next, 0);
	k = 99;
	CHECK_EQ_INT(userbpf_map_get_next_key(m, &k, &next), 0);
	CHECK_EQ_INT(next, 0);
	k = 2;
	CHECK_EQ_INT(userbpf_map_get_next_key(m, &k, &next), 0);
	CHECK_EQ_INT(next, 3);
	k = 3;
	CHECK_EQ_INT(userbpf_map_get_next_key(m, &k, &next), -ENOENT);
	CHECK_EQ_INT(userbpf_map_lookup_and_delete_elem(m, &k, out), -EOPNOTSUPP);
	userbpf_map__free(m);
}

TEST(array_spin_lock)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(userbpf_map_create_opts, .spin_lock_off = 0);
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY, NULL, 4, 16, 2, &o);
	uint32_t k = 0;
	uint32_t v[4] = {0xdead, 7, 8, 9}, out[4];
	CHECK(m);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_F_LOCK), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem_flags(m, &k, out, USERBPF_F_LOCK), 0);
	CHECK_EQ_INT(out[0], 0); /* the lock word is never copied */
	CHECK_EQ_INT(out[1], 7);
	CHECK_EQ_INT(out[3], 9);
	uint32_t *p = map_lookup(m, &k);
	CHECK(p && p[0] == 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem_flags(m, &k, out, 2), -EINVAL);
	userbpf_map__free(m);
	/* a hash map without a lock refuses BPF_F_LOCK */
	m = mk(USERBPF_MAP_TYPE_HASH, 4, 8, 2, 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_F_LOCK), -EINVAL);
	CHECK_EQ_INT(userbpf_map_lookup_elem_flags(m, &k, out, USERBPF_F_LOCK), -EINVAL);
	userbpf_map__free(m);
}

TEST(hash_spin_lock)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(userbpf_map_create_opts, .spin_lock_off = 4);
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_HASH, NULL, 4, 12, 2, &o);
	uint32_t k = 5, v[3] = {1, 0x55, 3}, out[3];
	CHECK(m);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_F_LOCK), 0);
	v[0] = 10;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, v, USERBPF_F_LOCK | USERBPF_EXIST), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem_flags(m, &k, out, USERBPF_F_LOCK), 0);
	CHECK_EQ_INT(out[0], 10);
	CHECK_EQ_INT(out[1], 0);
	CHECK_EQ_INT(out[2], 3);
	userbpf_map__free(m);
	/* LRU maps cannot hold a lock */
	errno = 0;
	CHECK(!userbpf_map_create(USERBPF_MAP_TYPE_LRU_HASH, NULL, 4, 12, 2, &o));
}

TEST(percpu_array)
{
	CHECK_EQ_INT(userbpf_set_nr_cpus(0), -EINVAL);
	CHECK_EQ_INT(userbpf_set_nr_cpus(3), 0);
	CHECK_EQ_INT(userbpf_nr_cpus(), 3);
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
	CHECK(m);
	CHECK_EQ_INT(userbpf_set_nr_cpus(2), -EBUSY);
	CHECK_EQ_INT(userbpf_set_this_cpu(3), -EINVAL);
	uint32_t k = 1, v = 0;
	uint64_t all[3];
	for (unsigned int c = 0; c < 3; c++) {
		CHECK_EQ_INT(userbpf_set_this_cpu(c), 0);
		CHECK_EQ_INT(userbpf_this_cpu(), c);
		v = 100 + c;
		CHECK_EQ_INT(map_update(m, &k, &v, 0), 0);
		uint32_t *p = map_lookup(m, &k);
		CHECK(p && *p == 100 + c);
		CHECK(map_lookup_percpu(m, &k, c) == p);
	}
	CHECK(map_lookup_percpu(m, &k, 3) == NULL);
	memset(all, 0xff, sizeof(all));
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, all), 0);
	/* value_size rounded up to 8 per slot, slot 0 first */
	CHECK_EQ_U64(all[0], 100);
	CHECK_EQ_U64(all[1], 101);
	CHECK_EQ_U64(all[2], 102);
	all[0] = 7;
	all[1] = 8;
	all[2] = 9;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, all, 0), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, all, USERBPF_F_LOCK), -EINVAL);
	userbpf_set_this_cpu(1);
	uint32_t *p = map_lookup(m, &k);
	CHECK(p && *p == 8);
	userbpf_map__free(m);
	CHECK_EQ_INT(userbpf_set_nr_cpus(2), 0);
}

static uint32_t count_keys(struct userbpf_map *m)
{
	uint32_t n = 0;
	unsigned char key[64], next[64];
	void *prev = NULL;
	while (userbpf_map_get_next_key(m, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (++n > 100000)
			break;
	}
	return n;
}

TEST(hash)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_HASH, 8, 8, 4, 0);
	uint64_t k, v, out;
	CHECK(m);
	k = 1;
	v = 10;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), -ENOENT);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_EXIST), -ENOENT);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_NOEXIST), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_NOEXIST), -EEXIST);
	v = 11;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_EXIST), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), 0);
	CHECK_EQ_U64(out, 11);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, 3), -EINVAL);
	for (k = 2; k <= 4; k++)
		CHECK_EQ_INT(map_update(m, &k, &k, USERBPF_ANY), 0);
	/* full: a new key is E2BIG, an existing one still updates; NOEXIST on existing is EEXIST */
	k = 5;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_ANY), -E2BIG);
	CHECK_EQ_INT(map_update(m, &k, &v, USERBPF_ANY), -E2BIG);
	k = 2;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_ANY), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_NOEXIST), -EEXIST);
	uint64_t *p = map_lookup(m, &k);
	CHECK(p && *p == 11);
	CHECK_EQ_INT(count_keys(m), 4);
	/* iteration restarts from the first key when the key is gone */
	uint64_t first, next, gone = 77;
	CHECK_EQ_INT(userbpf_map_get_next_key(m, NULL, &first), 0);
	CHECK_EQ_INT(userbpf_map_get_next_key(m, &gone, &next), 0);
	CHECK_EQ_U64(next, first);
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &k), 0);
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &k), -ENOENT);
	CHECK_EQ_INT(map_delete(m, &k), -ENOENT);
	CHECK(map_lookup(m, &k) == NULL);
	k = 5;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, USERBPF_ANY), 0);
	CHECK_EQ_INT(userbpf_map_lookup_and_delete_elem(m, &k, &out), 0);
	CHECK_EQ_U64(out, 11);
	CHECK_EQ_INT(userbpf_map_lookup_and_delete_elem(m, &k, &out), -ENOENT);
	CHECK_EQ_INT(count_keys(m), 3);
	/* delete everything while iterating */
	while (userbpf_map_get_next_key(m, NULL, &next) == 0)
		CHECK_EQ_INT(userbpf_map_delete_elem(m, &next), 0);
	CHECK_EQ_INT(userbpf_map_get_next_key(m, NULL, &next), -ENOENT);
	userbpf_map__free(m);
}

TEST(hash_many_and_odd_keys)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_HASH, 13, 3, 1000, USERBPF_F_NO_PREALLOC);
	unsigned char k[13] = {0}, v[3];
	CHECK(m);
	for (uint32_t i = 0; i < 1000; i++) {
		memcpy(k + 5, &i, 4);
		v[0] = (unsigned char)i;
		CHECK_EQ_INT(userbpf_map_update_elem(m, k, v, USERBPF_NOEXIST), 0);
	}
	uint32_t x = 1000;
	memcpy(k + 5, &x, 4);
	CHECK_EQ_INT(userbpf_map_update_elem(m, k, v, 0), -E2BIG);
	CHECK_EQ_INT(count_keys(m), 1000);
	int bad = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		memcpy(k + 5, &i, 4);
		unsigned char *p = map_lookup(m, k);
		if (!p || p[0] != (unsigned char)i)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	userbpf_map__free(m);
}

TEST(percpu_hash)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_PERCPU_HASH, 4, 4, 8, 0);
	unsigned int n = userbpf_nr_cpus();
	uint32_t k = 3, v = 5;
	uint64_t all[64];
	CHECK(m);
	userbpf_set_this_cpu(n - 1);
	CHECK_EQ_INT(map_update(m, &k, &v, 0), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, all), 0);
	for (unsigned int c = 0; c < n; c++)
		CHECK_EQ_U64(all[c], c == n - 1 ? 5 : 0); /* other slots zeroed */
	for (unsigned int c = 0; c < n; c++)
		all[c] = 40 + c;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, all, USERBPF_EXIST), 0);
	uint32_t *p = map_lookup(m, &k);
	CHECK(p && *p == 40 + n - 1);
	p = map_lookup_percpu(m, &k, 0);
	CHECK(p && *p == 40);
	userbpf_map__free(m);
}

TEST(lru_eviction_order)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_LRU_HASH, 4, 4, 4, 0);
	uint32_t k, v;
	CHECK(m);
	for (k = 1; k <= 4; k++)
		CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &k, USERBPF_ANY), 0);
	/* a program looks up 1: it is referenced; 2 is now the least recently used */
	k = 1;
	CHECK(map_lookup(m, &k) != NULL);
	k = 5;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &k, USERBPF_ANY), 0); /* never E2BIG */
	k = 2;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), -ENOENT);
	for (k = 1; k <= 5; k++) {
		if (k != 2)
			CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), 0);
	}
	/* host lookups do not count as uses: 3 goes next */
	k = 6;
	CHECK_EQ_INT(map_update(m, &k, &k, USERBPF_ANY), 0);
	k = 3;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), -ENOENT);
	CHECK_EQ_INT(count_keys(m), 4);
	/* flags as for hash */
	k = 6;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &k, USERBPF_NOEXIST), -EEXIST);
	k = 60;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &k, USERBPF_EXIST), -ENOENT);
	/* churn: always exactly max_entries keys */
	for (k = 100; k < 1100; k++)
		CHECK_EQ_INT(map_update(m, &k, &k, USERBPF_ANY), 0);
	CHECK_EQ_INT(count_keys(m), 4);
	k = 1099;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), 0);
	CHECK_EQ_INT(v, 1099);
	CHECK(!mk(USERBPF_MAP_TYPE_LRU_HASH, 4, 4, 4, USERBPF_F_NO_PREALLOC));
	userbpf_map__free(m);
}

TEST(lru_percpu)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2, USERBPF_F_NO_COMMON_LRU);
	uint32_t k;
	uint64_t v = 1, all[64];
	CHECK(m);
	for (k = 0; k < 10; k++)
		CHECK_EQ_INT(map_update(m, &k, &v, 0), 0);
	/* BPF_F_NO_COMMON_LRU: each CPU slot owns max_entries / nr_cpus elements; one thread uses one */
	CHECK_EQ_INT(count_keys(m), 2 / userbpf_nr_cpus());
	k = 9;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, all), 0);
	CHECK_EQ_INT(map_update(m, &k, &v, USERBPF_EXIST), 0);
	userbpf_map__free(m);
	/* max_entries is rounded up to a multiple of the CPU slots, as the kernel does */
	m = mk(USERBPF_MAP_TYPE_LRU_HASH, 4, 8, 3, USERBPF_F_NO_COMMON_LRU);
	CHECK_EQ_INT(userbpf_map__max_entries(m),
		     (3 + userbpf_nr_cpus() - 1) / userbpf_nr_cpus() * userbpf_nr_cpus());
	userbpf_map__free(m);
}

TEST(hash_batch)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_HASH, 4, 4, 64, 0);
	uint32_t keys[64], vals[64], n, batch, total = 0;
	CHECK(m);
	for (uint32_t i = 0; i < 50; i++) {
		keys[i] = i;
		vals[i] = i * 2;
	}
	n = 50;
	CHECK_EQ_INT(userbpf_map_update_batch(m, keys, vals, &n, NULL), 0);
	CHECK_EQ_INT(n, 50);
	void *in = NULL;
	int err;
	do {
		n = 64 - total < 8 ? 64 - total : 8;
		err = userbpf_map_lookup_batch(m, in, &batch, keys + total, vals + total, &n, NULL);
		CHECK(err == 0 || err == -ENOENT);
		total += n;
		in = &batch;
	} while (err == 0);
	CHECK_EQ_INT(total, 50);
	int bad = 0;
	for (uint32_t i = 0; i < total; i++)
		bad += vals[i] != keys[i] * 2;
	CHECK_EQ_INT(bad, 0);
	n = 10;
	CHECK_EQ_INT(userbpf_map_delete_batch(m, keys, &n, NULL), 0);
	CHECK_EQ_INT(count_keys(m), 40);
	total = 0;
	in = NULL;
	do {
		n = 64;
		err = userbpf_map_lookup_and_delete_batch(m, in, &batch, keys, vals, &n, NULL);
		total += n;
		in = &batch;
	} while (err == 0);
	CHECK_EQ_INT(err, -ENOENT);
	CHECK_EQ_INT(total, 40);
	CHECK_EQ_INT(count_keys(m), 0);
	struct userbpf_map_batch_opts bo = USERBPF_OPTS_INIT(userbpf_map_batch_opts, .flags = 1);
	n = 1;
	CHECK_EQ_INT(userbpf_map_lookup_batch(m, NULL, &batch, keys, vals, &n, &bo), -EINVAL);
	userbpf_map__free(m);
}

TEST(array_batch)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 10, 0);
	uint32_t keys[10], vals[10], n = 4, out;
	CHECK(m);
	for (uint32_t i = 0; i < 10; i++) {
		keys[i] = i;
		vals[i] = i + 100;
	}
	n = 10;
	CHECK_EQ_INT(userbpf_map_update_batch(m, keys, vals, &n, NULL), 0);
	memset(keys, 0, sizeof(keys));
	n = 4;
	CHECK_EQ_INT(userbpf_map_lookup_batch(m, NULL, &out, keys, vals, &n, NULL), 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(out, 3);
	CHECK_EQ_INT(keys[3], 3);
	CHECK_EQ_INT(vals[3], 103);
	uint32_t in = out;
	n = 10;
	CHECK_EQ_INT(userbpf_map_lookup_batch(m, &in, &out, keys, vals, &n, NULL), -ENOENT);
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_INT(keys[0], 4);
	CHECK_EQ_INT(vals[5], 109);
	n = 1;
	CHECK_EQ_INT(userbpf_map_lookup_and_delete_batch(m, NULL, &out, keys, vals, &n, NULL), -EOPNOTSUPP);
	userbpf_map__free(m);
}

TEST(queue_stack)
{
	struct userbpf_map *q = mk(USERBPF_MAP_TYPE_QUEUE, 0, 4, 3, 0);
	struct userbpf_map *s = mk(USERBPF_MAP_TYPE_STACK, 0, 4, 3, 0);
	uint32_t v, k = 0;
	CHECK(q && s);
	CHECK_EQ_INT(map_pop(q, &v), -ENOENT);
	CHECK_EQ_INT(map_peek(s, &v), -ENOENT);
	for (v = 1; v <= 3; v++) {
		CHECK_EQ_INT(map_push(q, &v, 0), 0);
		CHECK_EQ_INT(userbpf_map_update_elem(s, NULL, &v, 0), 0);
	}
	v = 4;
	CHECK_EQ_INT(map_push(q, &v, 0), -E2BIG);
	CHECK_EQ_INT(map_push(q, &v, 4), -EINVAL);
	CHECK_EQ_INT(map_push(q, &v, USERBPF_EXIST), 0); /* drops the oldest (1) */
	CHECK_EQ_INT(map_push(s, &v, USERBPF_EXIST), 0); /* drops the oldest (1) */
	CHECK_EQ_INT(userbpf_map_lookup_elem(q, NULL, &v), 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(userbpf_map_lookup_elem(q, &k, &v), -EINVAL);
	CHECK_EQ_INT(map_pop(q, &v), 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(userbpf_map_lookup_and_delete_elem(q, NULL, &v), 0);
	CHECK_EQ_INT(v, 3);
	CHECK_EQ_INT(map_pop(q, &v), 0);
	CHECK_EQ_INT(v, 4);
	CHECK_EQ_INT(map_pop(q, &v), -ENOENT);
	/* stack: LIFO */
	CHECK_EQ_INT(map_peek(s, &v), 0);
	CHECK_EQ_INT(v, 4);
	uint32_t seq[3];
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(map_pop(s, &seq[i]), 0);
	CHECK(seq[0] == 4 && seq[1] == 3 && seq[2] == 2);
	CHECK_EQ_INT(map_pop(s, &v), -ENOENT);
	CHECK_EQ_INT(userbpf_map_delete_elem(s, NULL), -EINVAL);
	CHECK_EQ_INT(userbpf_map_get_next_key(s, NULL, &v), -EINVAL);
	CHECK(map_lookup(q, NULL) == NULL);
	/* wrap many times */
	for (uint32_t i = 0; i < 100; i++) {
		CHECK_EQ_INT(map_push(q, &i, 0), 0);
		CHECK_EQ_INT(map_pop(q, &v), 0);
		CHECK_EQ_INT(v, i);
	}
	userbpf_map__free(q);
	userbpf_map__free(s);
}

TEST(bloom)
{
	struct userbpf_map_create_opts o =
	    USERBPF_OPTS_INIT(userbpf_map_create_opts, .map_extra = 3, .spin_lock_off = -1);
	struct userbpf_map *b = userbpf_map_create(USERBPF_MAP_TYPE_BLOOM_FILTER, NULL, 0, 8, 100, &o);
	CHECK(b);
	o.map_extra = 16;
	CHECK(!userbpf_map_create(USERBPF_MAP_TYPE_BLOOM_FILTER, NULL, 0, 8, 100, &o));
	o.map_extra = 1;
	CHECK(!userbpf_map_create(USERBPF_MAP_TYPE_HASH, NULL, 4, 8, 100, &o));
	uint64_t v;
	for (v = 0; v < 100; v++)
		CHECK_EQ_INT(map_push(b, &v, 0), 0);
	CHECK_EQ_INT(map_push(b, &v, USERBPF_EXIST), -EINVAL);
	int fn = 0, fp = 0;
	for (v = 0; v < 100; v++)
		fn += map_peek(b, &v) != 0;
	CHECK_EQ_INT(fn, 0); /* never a false negative */
	for (v = 1000; v < 2000; v++)
		fp += map_peek(b, &v) == 0;
	CHECK(fp < 200); /* a few false positives at most */
	v = 5;
	CHECK_EQ_INT(userbpf_map_lookup_elem(b, NULL, &v), 0);
	v = 12345;
	CHECK_EQ_INT(userbpf_map_update_elem(b, NULL, &v, 0), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem(b, NULL, &v), 0);
	CHECK_EQ_INT(map_pop(b, &v), -EOPNOTSUPP);
	CHECK_EQ_INT(map_delete(b, NULL), -EOPNOTSUPP);
	userbpf_map__free(b);
}

static int fake_progs[4];
static int prog_refs[4];

static void *fake_get(uint32_t id)
{
	if (id == 0 || id > 4)
		return NULL;
	prog_refs[id - 1]++;
	return &fake_progs[id - 1];
}

static void fake_put(void *p)
{
	prog_refs[(int *)p - fake_progs]--;
}

TEST(prog_array)
{
	map_set_prog_resolver(fake_get, fake_put);
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	uint32_t k = 1, id = 2, out;
	CHECK(m);
	CHECK(map_prog_array_get(m, 1) == NULL);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &id, 0), 0);
	CHECK(map_prog_array_get(m, 1) == &fake_progs[1]);
	CHECK_EQ_INT(prog_refs[1], 1);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), 0);
	CHECK_EQ_INT(out, 2);
	id = 3;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &id, 0), 0);
	CHECK_EQ_INT(prog_refs[1], 0);
	CHECK_EQ_INT(prog_refs[2], 1);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &id, USERBPF_NOEXIST), -EINVAL);
	id = 9;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &id, 0), -EBADF);
	k = 4;
	id = 1;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &id, 0), -E2BIG);
	CHECK(map_prog_array_get(m, 4) == NULL);
	k = 2;
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &k), -ENOENT);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), -ENOENT);
	k = 0;
	id = 4;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &id, 0), 0);
	k = 1;
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &k), 0);
	CHECK_EQ_INT(prog_refs[2], 0);
	CHECK(map_lookup(m, &k) == NULL);
	userbpf_map__free(m);
	CHECK_EQ_INT(prog_refs[3], 0);
	map_set_prog_resolver(NULL, NULL);
}

TEST(map_in_map)
{
	struct userbpf_map *tmpl = mk(USERBPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct userbpf_map_create_opts o =
	    USERBPF_OPTS_INIT(userbpf_map_create_opts, .inner_map = tmpl, .spin_lock_off = -1);
	struct userbpf_map *aom = userbpf_map_create(USERBPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 2, &o);
	struct userbpf_map *hom = userbpf_map_create(USERBPF_MAP_TYPE_HASH_OF_MAPS, NULL, 8, 4, 2, &o);
	struct userbpf_map *in1 = mk(USERBPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	struct userbpf_map *bad = mk(USERBPF_MAP_TYPE_ARRAY, 4, 8, 5, 0);
	CHECK(aom && hom && in1 && bad);
	uint32_t k = 0, id = userbpf_map__id(in1), out;
	uint64_t hk = 42;
	CHECK_EQ_INT(userbpf_map_update_elem(aom, &k, &id, 0), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(hom, &hk, &id, 0), 0);
	CHECK(map_lookup(aom, &k) == in1);
	CHECK(map_lookup(hom, &hk) == in1);
	CHECK_EQ_INT(userbpf_map_lookup_elem(hom, &hk, &out), 0);
	CHECK_EQ_INT(out, id);
	CHECK_EQ_INT(userbpf_map_lookup_elem(aom, &k, &out), 0);
	CHECK_EQ_INT(out, id);
	id = userbpf_map__id(bad);
	CHECK_EQ_INT(userbpf_map_update_elem(aom, &k, &id, 0), -EINVAL);
	CHECK_EQ_INT(userbpf_map_update_elem(hom, &hk, &id, 0), -EINVAL);
	id = 0xfffffff;
	CHECK_EQ_INT(userbpf_map_update_elem(aom, &k, &id, 0), -EBADF);
	CHECK_EQ_INT(map_update(hom, &hk, &id, 0), -EINVAL);
	/* the outer maps hold references: the inner map outlives the host's */
	uint32_t in1_id = userbpf_map__id(in1);
	userbpf_map__free(in1);
	struct userbpf_map *g = map_get_by_id(in1_id);
	CHECK(g != NULL);
	userbpf_map__free(g);
	k = 1;
	CHECK(map_lookup(aom, &k) == NULL);
	k = 0;
	CHECK_EQ_INT(userbpf_map_delete_elem(aom, &k), 0);
	CHECK_EQ_INT(userbpf_map_delete_elem(hom, &hk), 0);
	CHECK(map_get_by_id(in1_id) == NULL); /* last reference gone */
	userbpf_map__free(aom);
	userbpf_map__free(hom);
	userbpf_map__free(bad);
	userbpf_map__free(tmpl);
}

TEST(redirect_maps)
{
	struct userbpf_map *d = mk(USERBPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
	struct userbpf_map *x = mk(USERBPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
	uint32_t k = 1, v = 7, out;
	CHECK(d && x);
	CHECK(!mk(USERBPF_MAP_TYPE_DEVMAP, 4, 6, 4, 0));
	CHECK(map_lookup(d, &k) == NULL);
	CHECK_EQ_INT(userbpf_map_lookup_elem(d, &k, &out), -ENOENT);
	CHECK_EQ_INT(userbpf_map_update_elem(d, &k, &v, USERBPF_NOEXIST), -EEXIST);
	CHECK_EQ_INT(userbpf_map_update_elem(d, &k, &v, 0), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem(d, &k, &out), 0);
	CHECK_EQ_INT(out, 7);
	CHECK(map_lookup(d, &k) && *(uint32_t *)map_lookup(d, &k) == 7);
	CHECK_EQ_INT(userbpf_map_delete_elem(d, &k), 0);
	CHECK(map_lookup(d, &k) == NULL);
	CHECK_EQ_INT(userbpf_map_update_elem(x, &k, &v, USERBPF_EXIST), -ENOENT);
	CHECK_EQ_INT(userbpf_map_update_elem(x, &k, &v, USERBPF_NOEXIST), 0);
	CHECK_EQ_INT(userbpf_map_update_elem(x, &k, &v, USERBPF_NOEXIST), -EEXIST);
	userbpf_map__free(d);
	userbpf_map__free(x);
}

TEST(access_flags)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 4, 1u << 3 /* BPF_F_RDONLY */);
	uint32_t k = 0, v = 1;
	CHECK(m);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, 0), -EPERM);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &v), 0);
	CHECK_EQ_INT(map_update(m, &k, &v, 0), 0); /* programs may write unless RDONLY_PROG */
	userbpf_map__free(m);
}

TEST(hash_churn_matches_shadow)
{
	static const enum userbpf_map_type types[] = {USERBPF_MAP_TYPE_HASH, USERBPF_MAP_TYPE_PERCPU_HASH};
	for (int t = 0; t < 2; t++) {
		struct userbpf_map *m = mk(types[t], 12, 8, 64, 0);
		uint8_t shadow[200] = {0};
		uint32_t seed = 1, bad = 0;
		CHECK(m);
		for (int i = 0; i < 20000; i++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t k[3] = {seed >> 24 & 0xff, 0, ~0u}, idx = k[0] % 200;
			k[0] = idx;
			uint64_t v = idx;
			if ((seed >> 8) % 2) {
				int err = (int)map_update(m, k, &v, USERBPF_ANY);
				if (err == 0)
					shadow[idx] = 1;
				else if (err != -E2BIG)
					bad++;
			} else {
				int err = (int)map_delete(m, k);
				if ((err == 0) != shadow[idx])
					bad++;
				shadow[idx] = 0;
			}
			uint64_t *p = map_lookup(m, k);
			if ((p != NULL) != shadow[idx] || (p && *p != idx))
				bad++;
		}
		CHECK_EQ_INT(bad, 0);
		userbpf_map__free(m);
	}
}

TEST(lru_evicts_in_batches_like_the_kernel)
{
	/* The kernel's common LRU refills a CPU's local free list target_free = clamp(max / nr_cpus / 2,
	 * 1, 128) nodes at a time, evicting the oldest unreferenced elements to make up the count: a full
	 * map loses target_free elements at once, before the new one goes in. */
	unsigned int n = userbpf_nr_cpus();
	uint32_t t = 256 / n / 2;
	if (t < 1)
		t = 1;
	if (t > 128)
		t = 128;
	if (256 % t)
		SKIP("nr_cpus %u does not divide the map evenly", n);
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_LRU_HASH, 4, 4, 256, 0);
	CHECK(m);
	for (uint32_t k = 1; k <= 257; k++)
		CHECK_EQ_INT(map_update(m, &k, &k, USERBPF_ANY), 0);
	CHECK_EQ_INT(count_keys(m), 256 - t + 1);
	uint32_t v, gone = 0;
	for (uint32_t k = 1; k <= 257; k++)
		gone += userbpf_map_lookup_elem(m, &k, &v) == -ENOENT ? k : 0;
	CHECK_EQ_INT(gone, t * (t + 1) / 2); /* exactly keys 1..t */
	userbpf_map__free(m);
}
