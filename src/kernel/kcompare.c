/*
 * kcompare.c - the maps of an object after runs in userbpf and in the kernel, compared by name
 * (userbpf_kobject__compare_maps, see kernel.h for what is compared how). Each side is read into a
 * list of records (key and value, or one ring buffer record / popped value), keyed lists are sorted
 * by key, and the two lists are walked together up to the first difference.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "kern.h"
#include "userbpf/maps.h"

struct kc_rec {
	uint8_t *bytes; /* key then value, or a record */
	uint32_t size;
};

struct kc_list {
	struct kc_rec *recs;
	size_t n, cap;
};

/* What one map comparison needs. */
struct kc_map {
	const char *name;
	uint32_t type, key_size, value_size;
	bool percpu, keyed;
	struct userbpf_kcompare_opts *opts;
};

static void kc_say(struct userbpf_kcompare_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void kc_say(struct userbpf_kcompare_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->diff_buf || !o->diff_size)
		return;
	va_start(ap, fmt);
	vsnprintf(o->diff_buf, o->diff_size, fmt, ap);
	va_end(ap);
}

static void kc_free(struct kc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->recs[i].bytes);
	free(l->recs);
	memset(l, 0, sizeof(*l));
}

static int kc_push(struct kc_list *l, const void *a, uint32_t asize, const void *b, uint32_t bsize)
{
	uint8_t *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct kc_rec *r = realloc(l->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->recs = r;
		l->cap = cap;
	}
	p = malloc(asize + bsize ? asize + bsize : 1);
	if (!p)
		return -ENOMEM;
	if (asize)
		memcpy(p, a, asize);
	if (bsize)
		memcpy(p + asize, b, bsize);
	l->recs[l->n++] = (struct kc_rec){p, asize + bsize};
	return 0;
}

static bool kc_percpu(uint32_t type)
{
	return type == USERBPF_MAP_TYPE_PERCPU_HASH || type == USERBPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool kc_keyed(uint32_t type)
{
	return type == USERBPF_MAP_TYPE_HASH || type == USERBPF_MAP_TYPE_ARRAY || type == USERBPF_MAP_TYPE_LRU_HASH ||
	       type == USERBPF_MAP_TYPE_LPM_TRIE || kc_percpu(type);
}

static bool kc_drained(uint32_t type)
{
	return type == USERBPF_MAP_TYPE_QUEUE || type == USERBPF_MAP_TYPE_STACK || type == USERBPF_MAP_TYPE_RINGBUF;
}

/* Per-CPU: sum every 64-bit word over the `nslots` slots of `raw` into `out` (round8(value_size) bytes). */
static void kc_fold(const uint8_t *raw, uint32_t value_size, size_t nslots, uint8_t *out)
{
	uint32_t stride = (value_size + 7) & ~7u;

	memset(out, 0, stride);
	for (size_t s = 0; s < nslots; s++)
		for (uint32_t w = 0; w < stride; w += 8) {
			uint64_t a, b;

			memcpy(&a, out + w, 8);
			memcpy(&b, raw + s * stride + w, 8);
			a += b;
			memcpy(out + w, &a, 8);
		}
}

/* Accessors of one side. */
struct kc_side {
	const char *label; /* "userbpf", "kernel" */
	size_t nslots;	   /* per-CPU slots */
	int (*next_key)(void *h, const char *name, const void *key, void *next);
	int (*lookup)(void *h, const char *name, const void *key, void *value);
	int (*pop)(void *h, const char *name, void *value);
	int (*ring)(void *h, const char *name, int (*fn)(void *c, const void *d, size_t n), void *c);
	void *h;
};

static int kc_mask(struct kc_map *m, const char *label, const void *key, void *value, uint32_t size)
{
	char why[256] = "";
	int err;

	if (!m->opts->mask)
		return 0;
	err = m->opts->mask(m->opts->cookie, m->name, key, value, size, why, sizeof(why));
	if (err)
		kc_say(m->opts, "map '%s' in %s: %s", m->name, label, why[0] ? why : "refused by the mask");
	return err;
}

struct kc_ring_ctx {
	struct kc_map *m;
	const char *label;
	struct kc_list *l;
	int err;
};

static int kc_ring_rec(void *c, const void *data, size_t size)
{
	struct kc_ring_ctx *rc = c;
	uint8_t *copy = malloc(size ? size : 1);
	int err;

	if (!copy)
		return rc->err = -ENOMEM;
	memcpy(copy, data, size);
	err = kc_mask(rc->m, rc->label, NULL, copy, (uint32_t)size);
	if (!err)
		err = kc_push(rc->l, copy, (uint32_t)size, NULL, 0);
	free(copy);
	return rc->err = err;
}

/* Read one side of map m into l (keyed maps: key + folded value, sorted later). */
static int kc_read(struct kc_map *m, const struct kc_side *s, struct kc_list *l)
{
	uint32_t stride = (m->value_size + 7) & ~7u;
	size_t raw_size = m->percpu ? (size_t)stride * s->nslots : m->value_size;
	uint8_t *key = calloc(1, m->key_size ? m->key_size : 1), *next = calloc(1, m->key_size ? m->key_size : 1);
	uint8_t *raw = calloc(1, raw_size + 8), *val = calloc(1, stride + 8);
	bool first = true;
	int err = 0;

	if (!key || !next || !raw || !val) {
		err = -ENOMEM;
		goto out;
	}
	if (m->type == USERBPF_MAP_TYPE_RINGBUF) {
		struct kc_ring_ctx rc = {m, s->label, l, 0};

		err = s->ring(s->h, m->name, kc_ring_rec, &rc);
		if (rc.err)
			err = rc.err;
		else if (err > 0)
			err = 0;
		if (err && err != -EINTR)
			kc_say(m->opts, "map '%s': consuming the ring buffer in %s: %s", m->name, s->label,
			       strerror(-err));
		goto out;
	}
	if (!m->keyed) { /* queue, stack: pop until empty */
		for (;;) {
			err = s->pop(s->h, m->name, raw);
			if (err == -ENOENT) {
				err = 0;
				break;
			}
			if (err) {
				kc_say(m->opts, "map '%s': pop in %s: %s", m->name, s->label, strerror(-err));
				break;
			}
			if ((err = kc_mask(m, s->label, NULL, raw, m->value_size)) ||
			    (err = kc_push(l, raw, m->value_size, NULL, 0)))
				break;
		}
		goto out;
	}
	for (;;) {
		err = s->next_key(s->h, m->name, first ? NULL : key, next);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (err) {
			kc_say(m->opts, "map '%s': next key in %s: %s", m->name, s->label, strerror(-err));
			break;
		}
		first = false;
		memcpy(key, next, m->key_size);
		err = s->lookup(s->h, m->name, key, raw);
		if (err == -ENOENT) /* gone between next_key and lookup: not possible here, but not an entry */
			continue;
		if (err) {
			kc_say(m->opts, "map '%s': lookup in %s: %s", m->name, s->label, strerror(-err));
			break;
		}
		if (m->percpu)
			kc_fold(raw, m->value_size, s->nslots, val);
		else
			memcpy(val, raw, m->value_size);
		if ((err = kc_mask(m, s->label, key, val, m->value_size)) ||
		    (err = kc_push(l, key, m->key_size, val, m->value_size)))
			break;
		if (l->n > (1u << 24)) { /* an iteration that never ends (a key deleted under us) */
			kc_say(m->opts, "map '%s': more than 2^24 keys in %s", m->name, s->label);
			err = -E2BIG;
			break;
		}
	}
out:
	free(key);
	free(next);
	free(raw);
	free(val);
	return err;
}

static size_t kc_sort_key_size;

static int kc_cmp_key(const void *a, const void *b)
{
	return memcmp(((const struct kc_rec *)a)->bytes, ((const struct kc_rec *)b)->bytes, kc_sort_key_size);
}

static void kc_hex(char *out, size_t size, const uint8_t *p, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 3 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
	if (i < n && o + 4 < size)
		snprintf(out + o, size - o, "...");
}

/* Walk both lists; 0 same, 1 different (said). */
static int kc_diff(struct kc_map *m, struct kc_list *u, struct kc_list *k)
{
	char a[100], b[100], kh[100];
	size_t i = 0, j = 0;

	if (m->keyed) {
		kc_sort_key_size = m->key_size;
		if (u->n)
			qsort(u->recs, u->n, sizeof(*u->recs), kc_cmp_key);
		if (k->n)
			qsort(k->recs, k->n, sizeof(*k->recs), kc_cmp_key);
	}
	m->opts->entries += u->n;
	while (i < u->n && j < k->n) {
		const struct kc_rec *x = &u->recs[i], *y = &k->recs[j];
		uint32_t ks = m->keyed ? m->key_size : 0, off;
		int c = ks ? memcmp(x->bytes, y->bytes, ks) : 0;

		if (c) {
			const struct kc_rec *only = c < 0 ? x : y;

			kc_hex(kh, sizeof(kh), only->bytes, ks);
			kc_say(m->opts, "map '%s': key %s only in %s (%zu entries in userbpf, %zu in the kernel)",
			       m->name, kh, c < 0 ? "userbpf" : "the kernel", u->n, k->n);
			return 1;
		}
		if (x->size != y->size || memcmp(x->bytes, y->bytes, x->size)) {
			for (off = ks; off < x->size && off < y->size && x->bytes[off] == y->bytes[off]; off++)
				;
			kc_hex(a, sizeof(a), x->bytes + off, x->size - off < 16 ? x->size - off : 16);
			kc_hex(b, sizeof(b), y->bytes + off, y->size - off < 16 ? y->size - off : 16);
			if (ks) {
				kc_hex(kh, sizeof(kh), x->bytes, ks);
				kc_say(m->opts,
				       "map '%s': key %s: values differ from byte %u: userbpf %s, kernel %s",
				       m->name, kh, off - ks, a, b);
			} else {
				kc_say(m->opts,
				       "map '%s': record %zu (%u bytes in userbpf, %u in the kernel) differs from "
				       "byte %u: userbpf %s, kernel %s",
				       m->name, i, x->size, y->size, off, a, b);
			}
			return 1;
		}
		i++;
		j++;
	}
	if (i < u->n || j < k->n) {
		const struct kc_rec *only = i < u->n ? &u->recs[i] : &k->recs[j];

		kc_hex(kh, sizeof(kh), only->bytes, m->keyed ? m->key_size : (only->size < 16 ? only->size : 16));
		kc_say(m->opts, "map '%s': %s %s only in %s (%zu entries in userbpf, %zu in the kernel)", m->name,
		       m->keyed ? "key" : "record", kh, i < u->n ? "userbpf" : "the kernel", u->n, k->n);
		return 1;
	}
	return 0;
}

/* userbpf side: h is the object. */
static struct userbpf_map *kc_umap(void *h, const char *name)
{
	return userbpf_object_map__map(userbpf_object__find_map_by_name(h, name));
}

static int kc_u_next(void *h, const char *name, const void *key, void *next)
{
	struct userbpf_map *m = kc_umap(h, name);
	return m ? userbpf_map_get_next_key(m, key, next) : -ENOENT;
}

static int kc_u_lookup(void *h, const char *name, const void *key, void *value)
{
	struct userbpf_map *m = kc_umap(h, name);
	return m ? userbpf_map_lookup_elem(m, key, value) : -ENOENT;
}

static int kc_u_pop(void *h, const char *name, void *value)
{
	struct userbpf_map *m = kc_umap(h, name);
	return m ? userbpf_map_lookup_and_delete_elem(m, NULL, value) : -ENOENT;
}

static int kc_u_ring(void *h, const char *name, int (*fn)(void *c, const void *d, size_t n), void *c)
{
	struct userbpf_map *m = kc_umap(h, name);
	return m ? userbpf_ringbuf_consume(m, fn, c) : -ENOENT;
}

/* Kernel side: h is the kobject. */
static int kc_k_next(void *h, const char *name, const void *key, void *next)
{
	return userbpf_kobject__map_get_next_key(h, name, key, next);
}

static int kc_k_lookup(void *h, const char *name, const void *key, void *value)
{
	return userbpf_kobject__map_lookup(h, name, key, value);
}

static int kc_k_pop(void *h, const char *name, void *value)
{
	return userbpf_kobject__map_lookup_and_delete(h, name, NULL, value);
}

struct kc_kring {
	int (*fn)(void *c, const void *d, size_t n);
	void *c;
};

static int kc_k_ring_cb(void *ctx, void *data, size_t size)
{
	struct kc_kring *r = ctx;
	return r->fn(r->c, data, size);
}

static int kc_k_ring(void *h, const char *name, int (*fn)(void *c, const void *d, size_t n), void *c)
{
	struct kc_kring r = {fn, c};
	struct ring_buffer *rb;
	int fd = userbpf_kobject__map_fd(h, name), n;

	if (fd < 0)
		return fd;
	rb = ring_buffer__new(fd, kc_k_ring_cb, &r, NULL);
	if (!rb)
		return -errno;
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n;
}

static void kc_skipped(struct userbpf_kcompare_opts *o, const char *name, uint32_t type)
{
	const char *tn = userbpf_map_type_name((enum userbpf_map_type)type);
	size_t len;

	if (!o->skipped_buf || !o->skipped_size)
		return;
	len = strlen(o->skipped_buf);
	snprintf(o->skipped_buf + len, o->skipped_size - len, "%s%s (%s)", len ? ", " : "", name,
		 tn ? tn : "unknown type");
}

int userbpf_kobject__compare_maps(const struct userbpf_kobject *kobj, const struct userbpf_object *obj,
				  struct userbpf_kcompare_opts *opts)
{
	struct userbpf_object_map *om = NULL;
	int ncpu = userbpf_kernel_nr_cpus(), err = 0;

	if (!kobj || !obj || !opts || opts->sz < offsetof(struct userbpf_kcompare_opts, entries) + sizeof(uint64_t))
		return -EINVAL;
	if (opts->diff_buf && opts->diff_size)
		opts->diff_buf[0] = 0;
	if (opts->skipped_buf && opts->skipped_size)
		opts->skipped_buf[0] = 0;
	opts->entries = 0;
	if (ncpu < 0)
		return ncpu;

	struct kc_side us = {"userbpf", userbpf_nr_cpus(), kc_u_next, kc_u_lookup, kc_u_pop, kc_u_ring, (void *)obj};
	struct kc_side ks = {"the kernel", (size_t)ncpu, kc_k_next, kc_k_lookup, kc_k_pop, kc_k_ring, (void *)kobj};

	while (!err && (om = userbpf_object__next_map(obj, om))) {
		struct kc_map m = {userbpf_object_map__name(om), userbpf_object_map__type(om),
				   userbpf_object_map__key_size(om), userbpf_object_map__value_size(om),
				   false, false, opts};
		struct kc_list u = {0}, k = {0};

		m.percpu = kc_percpu(m.type);
		m.keyed = kc_keyed(m.type);
		if (!m.keyed && !kc_drained(m.type)) {
			kc_skipped(opts, m.name, m.type);
			continue;
		}
		if (!userbpf_object_map__map(om)) {
			kc_say(opts, "map '%s': not created in userbpf (object not loaded?)", m.name);
			return -ENOENT;
		}
		if (userbpf_kobject__map_fd(kobj, m.name) < 0) {
			kc_say(opts, "map '%s': not in the kernel object", m.name);
			return -ENOENT;
		}
		err = kc_read(&m, &us, &u);
		if (!err)
			err = kc_read(&m, &ks, &k);
		if (!err)
			err = kc_diff(&m, &u, &k);
		kc_free(&u);
		kc_free(&k);
	}
	return err;
}
