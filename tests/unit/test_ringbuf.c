/*
 * test_ringbuf.c - ring buffer (record header, reserve/submit/discard, full, wrap-around, query) and
 * perf event array output and consumption.
 */
#include "test.h"

#include <errno.h>

#include "maps/map.h"

struct seen {
	int n;
	size_t sizes[64];
	unsigned char first[64];
	int stop_at;
};

static int on_sample(void *cookie, const void *data, size_t size)
{
	struct seen *s = cookie;
	if (s->n < 64) {
		s->sizes[s->n] = size;
		s->first[s->n] = size ? *(const unsigned char *)data : 0;
	}
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static struct userbpf_map *mkrb(uint32_t size)
{
	return userbpf_map_create(USERBPF_MAP_TYPE_RINGBUF, "rb", 0, 0, size, NULL);
}

TEST(ringbuf_create)
{
	CHECK(!mkrb(0));
	CHECK(!mkrb(4096 * 3));
	CHECK(!mkrb(1024)); /* below a page */
	CHECK(!userbpf_map_create(USERBPF_MAP_TYPE_RINGBUF, NULL, 4, 0, 4096, NULL));
	struct userbpf_map *m = mkrb(4096);
	CHECK(m);
	uint32_t v;
	CHECK_EQ_INT(userbpf_map_lookup_elem(m, NULL, &v), -EOPNOTSUPP);
	userbpf_map__free(m);
}

TEST(ringbuf_records)
{
	struct userbpf_map *m = mkrb(4096);
	struct seen s = {0};
	CHECK(m);
	CHECK_EQ_U64(map_ringbuf_query(m, MAP_RB_RING_SIZE), 4096);
	CHECK_EQ_U64(map_ringbuf_query(m, 99), 0);
	unsigned char *a = map_ringbuf_reserve(m, 5, 0);
	CHECK(a);
	/* header: length with the busy bit, then pg_off */
	uint32_t hdr;
	memcpy(&hdr, a - 8, 4);
	CHECK_EQ_U64(hdr, 5 | MAP_RINGBUF_BUSY_BIT);
	CHECK_EQ_U64(map_ringbuf_query(m, MAP_RB_PROD_POS), 16);
	CHECK_EQ_U64(map_ringbuf_query(m, MAP_RB_AVAIL_DATA), 16);
	unsigned char *b = map_ringbuf_reserve(m, 3, 0);
	CHECK(b && b == a + 16);
	CHECK(map_ringbuf_reserve(m, 3, 1) == NULL); /* flags must be 0 */
	b[0] = 'b';
	map_ringbuf_submit(b, 0);
	/* the consumer stops at the first busy record */
	CHECK_EQ_INT(userbpf_ringbuf_consume(m, on_sample, &s), 0);
	CHECK_EQ_INT(s.n, 0);
	a[0] = 'a';
	map_ringbuf_submit(a, MAP_RB_NO_WAKEUP);
	memcpy(&hdr, a - 8, 4);
	CHECK_EQ_U64(hdr, 5);
	CHECK_EQ_INT(userbpf_ringbuf_consume(m, on_sample, &s), 2);
	CHECK(s.n == 2 && s.sizes[0] == 5 && s.first[0] == 'a' && s.sizes[1] == 3 && s.first[1] == 'b');
	CHECK_EQ_U64(map_ringbuf_query(m, MAP_RB_CONS_POS), 32);
	CHECK_EQ_U64(userbpf_ringbuf_avail(m), 0);
	/* discard: skipped by the consumer */
	unsigned char *c = map_ringbuf_reserve(m, 8, 0);
	map_ringbuf_discard(c, MAP_RB_FORCE_WAKEUP);
	memcpy(&hdr, c - 8, 4);
	CHECK_EQ_U64(hdr, 8 | MAP_RINGBUF_DISCARD_BIT);
	unsigned char d = 'd';
	CHECK_EQ_INT(map_ringbuf_output(m, &d, 1, 0), 0);
	CHECK_EQ_INT(map_ringbuf_output(m, &d, 1, 4), -EINVAL);
	s.n = 0;
	CHECK_EQ_INT(userbpf_ringbuf_consume(m, on_sample, &s), 1);
	CHECK(s.first[0] == 'd');
	userbpf_map__free(m);
}

TEST(ringbuf_full_and_wrap)
{
	struct userbpf_map *m = mkrb(4096);
	struct seen s = {0};
	unsigned char buf[4096];
	CHECK(m);
	CHECK(map_ringbuf_reserve(m, 4096, 0) == NULL); /* larger than the ring */
	CHECK(map_ringbuf_reserve(m, 4088, 0) == NULL); /* 4096 with its header: more than size - 1 */
	/* 4080 + 8 = 4088 bytes fits (size - 8) */
	void *big = map_ringbuf_reserve(m, 4080, 0);
	CHECK(big);
	CHECK(map_ringbuf_reserve(m, 0, 0) == NULL); /* full */
	memset(buf, 1, sizeof(buf));
	CHECK_EQ_INT(map_ringbuf_output(m, buf, 1, 0), -EAGAIN);
	map_ringbuf_submit(big, 0);
	CHECK_EQ_INT(userbpf_ringbuf_consume(m, on_sample, &s), 1);
	/* now prod = cons = 4088: a 100-byte record wraps around the end and stays contiguous */
	for (int i = 0; i < 100; i++)
		buf[i] = (unsigned char)i;
	unsigned char *w = map_ringbuf_reserve(m, 100, 0);
	CHECK(w);
	memcpy(w, buf, 100);
	map_ringbuf_submit(w, 0);
	struct seen s2 = {0};
	CHECK_EQ_INT(userbpf_ringbuf_consume(m, on_sample, &s2), 1);
	CHECK(s2.sizes[0] == 100);
	/* many rounds of fill and drain, with a consumer callback that stops early */
	int total = 0;
	for (int r = 0; r < 50; r++) {
		int made = 0;
		while (map_ringbuf_output(m, buf, 200 + (size_t)r, 0) == 0)
			made++;
		CHECK_EQ_INT(made, 4095 / ((200 + r + 8 + 7) / 8 * 8));
		struct seen s3 = {.stop_at = 3};
		CHECK_EQ_INT(userbpf_ringbuf_consume(m, on_sample, &s3), 42);
		s3.stop_at = 0;
		int rest = userbpf_ringbuf_consume(m, on_sample, &s3);
		CHECK_EQ_INT(rest, made - 3);
		total += made;
		CHECK_EQ_U64(userbpf_ringbuf_avail(m), 0);
	}
	CHECK(total > 0);
	userbpf_map__free(m);
}

struct pseen {
	int n;
	int cpu[16];
	size_t size[16];
	unsigned char first[16];
};

static int on_perf(void *cookie, int cpu, const void *data, size_t size)
{
	struct pseen *s = cookie;
	if (s->n < 16) {
		s->cpu[s->n] = cpu;
		s->size[s->n] = size;
		s->first[s->n] = *(const unsigned char *)data;
	}
	s->n++;
	return 0;
}

TEST(perf_event_array)
{
	struct userbpf_map *m = userbpf_map_create(USERBPF_MAP_TYPE_PERF_EVENT_ARRAY, "ev", 4, 4, 2, NULL);
	struct pseen s = {0};
	unsigned char d[3] = {'x', 'y', 'z'};
	CHECK(m);
	CHECK_EQ_INT(map_perf_output(m, 1, d, 3), 0);
	d[0] = 'w';
	CHECK_EQ_INT(map_perf_output(m, 0, d, 1), 0);
	CHECK_EQ_INT(map_perf_output(m, 2, d, 1), -E2BIG);
	CHECK_EQ_INT(map_perf_output(m, 1ull << 60, d, 1), -EINVAL);
	userbpf_set_this_cpu(1);
	CHECK_EQ_INT(map_perf_output(m, MAP_F_CURRENT_CPU, d, 2), 0);
	uint32_t k = 0, v = 0;
	CHECK_EQ_INT(userbpf_map_delete_elem(m, &k), 0);
	CHECK_EQ_INT(map_perf_output(m, 0, d, 1), -ENOENT);
	CHECK_EQ_INT(userbpf_map_update_elem(m, &k, &v, 0), 0);
	CHECK_EQ_INT(userbpf_perf_consume(m, on_perf, &s), 3);
	CHECK(s.cpu[0] == 0 && s.first[0] == 'w' && s.size[0] == 1);
	CHECK(s.cpu[1] == 1 && s.first[1] == 'x' && s.size[1] == 3);
	CHECK(s.cpu[2] == 1 && s.size[2] == 2);
	/* a full slot drops with ENOSPC */
	static unsigned char big[60000];
	int ok = 0, err = 0;
	for (int i = 0; i < 10; i++) {
		long r = map_perf_output(m, 0, big, sizeof(big));
		if (r == 0)
			ok++;
		else if (r == -ENOSPC)
			err++;
	}
	CHECK(ok >= 4 && err >= 1);
	s.n = 0;
	CHECK_EQ_INT(userbpf_perf_consume(m, on_perf, &s), ok);
	userbpf_map__free(m);
}
