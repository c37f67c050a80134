/*
 * test_lpm.c - LPM trie: longest-prefix match, prefix lengths 0 and 32/128, flags, full trie,
 * delete and the kernel's postorder get_next_key.
 */
#include "test.h"

#include <errno.h>

#include "maps/map.h"

struct k4 {
	uint32_t plen;
	uint8_t a[4];
};

struct k16 {
	uint32_t plen;
	uint8_t a[16];
};

static struct k4 K(uint32_t plen, int a, int b, int c, int d) {
	struct k4 k = {plen, {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d}};
	return k;
}

static struct userbpf_map *
mk4(uint32_t max)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(
	    userbpf_map_create_opts, .map_flags = USERBPF_F_NO_PREALLOC, .spin_lock_off = -1);
	return userbpf_map_create(USERBPF_MAP_TYPE_LPM_TRIE, "lpm", 8, 4, max, &o);
}

static int put(struct userbpf_map *m, struct k4 k, uint32_t v, uint64_t flags)
{
	return userbpf_map_update_elem(m, &k, &v, flags);
}

static long get(struct userbpf_map *m, struct k4 k)
{
	uint32_t v;
	int err = userbpf_map_lookup_elem(m, &k, &v);
	uint32_t *p = map_lookup(m, &k);
	if (err)
		return p ? -1000 : err;
	return p && *p == v ? (long)v : -1000;
}

TEST(lpm_longest_match)
{
	struct userbpf_map *m = mk4(16);
	CHECK(m);
	CHECK_EQ_INT(put(m, K(16, 192, 168, 0, 0), 16, 0), 0);
	CHECK_EQ_INT(put(m, K(24, 192, 168, 1, 0), 24, 0), 0);
	CHECK_EQ_INT(put(m, K(32, 192, 168, 1, 7), 32, 0), 0);
	CHECK_EQ_INT(get(m, K(32, 10, 0, 0, 1)), -ENOENT);
	CHECK_EQ_INT(get(m, K(32, 192, 168, 200, 1)), 16);
	CHECK_EQ_INT(get(m, K(32, 192, 168, 1, 1)), 24);
	CHECK_EQ_INT(get(m, K(32, 192, 168, 1, 7)), 32);
	/* the lookup key's own prefix length bounds the match */
	CHECK_EQ_INT(get(m, K(24, 192, 168, 1, 7)), 24);
	CHECK_EQ_INT(get(m, K(20, 192, 168, 1, 7)), 16);
	CHECK_EQ_INT(get(m, K(8, 192, 168, 1, 7)), -ENOENT);
	/* /0 matches everything */
	CHECK_EQ_INT(put(m, K(0, 0, 0, 0, 0), 0, 0), 0);
	CHECK_EQ_INT(get(m, K(32, 10, 0, 0, 1)), 0);
	CHECK_EQ_INT(get(m, K(0, 192, 168, 1, 7)), 0);
	/* bits beyond the prefix are ignored on insert */
	CHECK_EQ_INT(put(m, K(8, 10, 99, 99, 99), 8, 0), 0);
	CHECK_EQ_INT(get(m, K(32, 10, 1, 2, 3)), 8);
	/* delete needs the exact prefix */
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &(struct k4){24, {192, 168, 0, 0}}), -ENOENT);
	struct k4 d = K(24, 192, 168, 1, 0);
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &d), 0);
	CHECK_EQ_INT(get(m, K(32, 192, 168, 1, 1)), 16);
	CHECK_EQ_INT(get(m, K(32, 192, 168, 1, 7)), 32);
	d = K(33, 0, 0, 0, 0);
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &d), -EINVAL);
	CHECK_EQ_INT(put(m, K(33, 1, 1, 1, 1), 1, 0), -EINVAL);
	userbpf_map__free(m);
}

TEST(lpm_flags_and_full)
{
	struct userbpf_map *m = mk4(2);
	CHECK(m);
	CHECK_EQ_INT(put(m, K(8, 10, 0, 0, 0), 1, USERBPF_EXIST), -ENOENT);
	CHECK_EQ_INT(put(m, K(8, 10, 0, 0, 0), 1, USERBPF_NOEXIST), 0);
	CHECK_EQ_INT(put(m, K(8, 10, 0, 0, 0), 2, USERBPF_NOEXIST), -EEXIST);
	CHECK_EQ_INT(put(m, K(8, 10, 0, 0, 0), 3, USERBPF_EXIST), 0);
	CHECK_EQ_INT(get(m, K(32, 10, 1, 1, 1)), 3);
	CHECK_EQ_INT(put(m, K(8, 11, 0, 0, 0), 4, 0), 0);
	CHECK_EQ_INT(put(m, K(8, 12, 0, 0, 0), 5, 0), -ENOSPC);
	CHECK_EQ_INT(put(m, K(8, 11, 0, 0, 0), 6, 0), 0); /* updating in a full trie works */
	CHECK_EQ_INT(put(m, K(8, 11, 0, 0, 0), 6, 4), -EINVAL);
	/* an intermediate node (10/7 joins 10/8 and 11/8) becomes an entry when full: ENOSPC */
	CHECK_EQ_INT(put(m, K(7, 10, 0, 0, 0), 7, 0), -ENOSPC);
	struct k4 d = K(8, 10, 0, 0, 0);
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &d), 0);
	CHECK_EQ_INT(put(m, K(7, 10, 0, 0, 0), 7, 0), 0);
	CHECK_EQ_INT(get(m, K(32, 10, 1, 1, 1)), 7);
	CHECK_EQ_INT(get(m, K(32, 11, 1, 1, 1)), 6);
	userbpf_map__free(m);
}

TEST(lpm_ipv6)
{
	struct userbpf_map_create_opts o = USERBPF_OPTS_INIT(
	    userbpf_map_create_opts, .map_flags = USERBPF_F_NO_PREALLOC, .spin_lock_off = -1);
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_LPM_TRIE, NULL, 20, 8, 8, &o);
	CHECK(m);
	struct k16 k = {128, {0x20, 0x01, 0x0d, 0xb8}};
	k.a[15] = 1;
	uint64_t v = 128, out;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, 0), 0);
	struct k16 p = {32, {0x20, 0x01, 0x0d, 0xb8}};
	v = 32;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &p, &v, 0), 0);
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), 0);
	CHECK_EQ_U64(out, 128);
	k.a[15] = 2;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), 0);
	CHECK_EQ_U64(out, 32);
	k.a[15] = 1;
	k.a[0] = 0x30;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, &k, &out), -ENOENT);
	p.plen = 129;
	CHECK_EQ_INT(userbpf_map_update_elem(m, &p, &v, 0), -EINVAL);
	userbpf_map__free(m);
}

static void expect_order(struct userbpf_map *m, const struct k4 *want, int n)
{
	struct k4 cur, next;
	void *prev = NULL;
	int i = 0;
	while (userbpf_map_get_next_key(m, prev, &next) == 0) {
		if (i >= n) {
			i++;
			break;
		}
		if (memcmp(&next, &want[i], sizeof(next)) != 0) {
			fprintf(stderr, "key %d: got %u.%u.%u.%u/%u\n", i, next.a[0], next.a[1], next.a[2],
				next.a[3], next.plen);
			test_failed_now = 1;
		}
		cur = next;
		prev = &cur;
		i++;
	}
	CHECK_EQ_INT(i, n);
}

TEST(lpm_get_next_key_postorder)
{
	struct userbpf_map *m = mk4(16);
	struct k4 next;
	CHECK(m);
	CHECK_EQ_INT(userbpf_map_get_next_key(m, NULL, &next), -ENOENT);
	/* the kernel's example: 192.168.0.0/16 with /24 children 0, 1 and 128 */
	CHECK_EQ_INT(put(m, K(16, 192, 168, 0, 0), 1, 0), 0);
	CHECK_EQ_INT(put(m, K(24, 192, 168, 128, 0), 2, 0), 0);
	CHECK_EQ_INT(put(m, K(24, 192, 168, 1, 0), 3, 0), 0);
	CHECK_EQ_INT(put(m, K(24, 192, 168, 0, 0), 4, 0), 0);
	const struct k4 want[] = {K(24, 192, 168, 0, 0), K(24, 192, 168, 1, 0), K(24, 192, 168, 128, 0),
				  K(16, 192, 168, 0, 0)};
	expect_order(m, want, 4);
	/* a key not in the trie (or an invalid one) restarts at the first */
	struct k4 gone = K(24, 192, 168, 7, 0);
	CHECK_EQ_INT(userbpf_map_get_next_key(m, &gone, &next), 0);
	CHECK(memcmp(&next, &want[0], sizeof(next)) == 0);
	gone.plen = 40;
	CHECK_EQ_INT(userbpf_map_get_next_key(m, &gone, &next), 0);
	CHECK(memcmp(&next, &want[0], sizeof(next)) == 0);
	/* with /0 and /32: /0 comes last, a /32 first */
	CHECK_EQ_INT(put(m, K(0, 0, 0, 0, 0), 5, 0), 0);
	CHECK_EQ_INT(put(m, K(32, 10, 0, 0, 1), 6, 0), 0);
	const struct k4 want2[] = {K(32, 10, 0, 0, 1),	    K(24, 192, 168, 0, 0), K(24, 192, 168, 1, 0),
				   K(24, 192, 168, 128, 0), K(16, 192, 168, 0, 0), K(0, 0, 0, 0, 0)};
	expect_order(m, want2, 6);
	/* deleting an entry with two children leaves an intermediate node that iteration skips */
	struct k4 d = K(16, 192, 168, 0, 0);
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &d), 0);
	const struct k4 want3[] = {K(32, 10, 0, 0, 1), K(24, 192, 168, 0, 0), K(24, 192, 168, 1, 0),
				   K(24, 192, 168, 128, 0), K(0, 0, 0, 0, 0)};
	expect_order(m, want3, 5);
	/* delete everything, the trie is empty again and its nodes are reused */
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(userbpf_map_delete_elem(m, &want3[i]), 0);
	CHECK_EQ_INT(userbpf_map_get_next_key(m, NULL, &next), -ENOENT);
	for (int r = 0; r < 50; r++) {
		for (int i = 0; i < 16; i++)
			CHECK_EQ_INT(put(m, K(24 + (i & 7), 10, i, r, 0), (uint32_t)i, USERBPF_NOEXIST), 0);
		CHECK_EQ_INT(put(m, K(8, 1, 2, 3, 4), 0, 0), -ENOSPC);
		for (int i = 0; i < 16; i++) {
			struct k4 x = K(24 + (i & 7), 10, i, r, 0);
			CHECK_EQ_INT(userbpf_map_delete_elem(m, &x), 0);
		}
	}
	userbpf_map__free(m);
}
