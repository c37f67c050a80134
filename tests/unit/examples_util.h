/*
 * examples_util.h - shared by the tests of the example programs (test_examples*.c): paths of the
 * built objects and captures, a reader for the generator's pcap files, an independent checksum
 * checker, and one interface over the two places an example runs: userbpf (object loader and
 * packet runner) and the Linux kernel (kernel backend, BPF_PROG_TEST_RUN), so that the same
 * expectations are checked against both.
 */
#ifndef USERBPF_TEST_EXAMPLES_UTIL_H
#define USERBPF_TEST_EXAMPLES_UTIL_H

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/maps.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

#include "../../examples/gen/gen.h"

static char logbuf[8192];

static inline const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

static inline const char *example_path(const char *name, const char *ext)
{
	static char path[4][512];
	static int slot;
	char *p = path[slot++ & 3];

	snprintf(p, sizeof(path[0]), "%s/examples/%s.%s", build_dir(), name, ext);
	return p;
}

static inline bool file_exists(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

#define NEED_EXAMPLE(name)                                                                                   \
	do {                                                                                                 \
		if (!file_exists(example_path(name, "o")))                                                   \
			SKIP("%s missing (no clang-19 to build examples?)", example_path(name, "o"));        \
	} while (0)

static inline struct userbpf_object *open_example(const char *name)
{
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object *obj = userbpf_object__open_file(example_path(name, "o"), &o);

	if (!obj)
		fprintf(stderr, "open %s: %s\n", name, logbuf);
	return obj;
}

/* The records of a pcap file (little-endian, microseconds, as the generator writes). */
struct pcap_rec {
	uint64_t ts_ns;
	uint32_t len;
	const uint8_t *data;
};

static inline uint32_t rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whole file; records into *recs (pointing into the returned buffer). NULL if unreadable. */
static inline uint8_t *read_pcap(const char *path, struct pcap_rec **recs, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;
	size_t off = 24, cap = 0;

	*recs = NULL;
	*n = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size || size < 24 || rd32(buf) != 0xa1b2c3d4 ||
	    rd32(buf + 20) != 1) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	while (off + 16 <= (size_t)size) {
		uint32_t incl = rd32(buf + off + 8);

		if (off + 16 + incl > (size_t)size)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*recs = realloc(*recs, cap * sizeof(**recs));
		}
		(*recs)[*n].ts_ns = rd32(buf + off) * 1000000000ull + rd32(buf + off + 4) * 1000ull;
		(*recs)[*n].len = incl;
		(*recs)[*n].data = buf + off + 16;
		(*n)++;
		off += 16 + incl;
	}
	return buf;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ones' complement sum, folded, not complemented. */
static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += be16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * Checks a frame's checksums: IPv4 header, and TCP/UDP/ICMP/ICMPv6 over the segment when the frame
 * holds all of it and it is not a later fragment. Returns the number of checksums verified, or -1
 * when one is wrong. Walks VLAN tags and IPv6 destination-options/fragment headers.
 */
static inline int verify_checksums(const uint8_t *d, uint32_t len)
{
	size_t o = 12;
	uint16_t et;
	int nr = 0;
	uint8_t proto;
	size_t l4, l4_len;
	uint32_t ps = 0;
	bool frag = false;

	if (len < 14)
		return 0;
	et = be16(d + o);
	while ((et == GEN_ETH_8021Q || et == GEN_ETH_8021AD) && o + 6 <= len) {
		o += 4;
		et = be16(d + o);
	}
	o += 2;
	if (et == GEN_ETH_IPV4) {
		size_t hl;

		if (o + 20 > len)
			return 0;
		hl = (d[o] & 0xf) * 4u;
		if (hl < 20 || o + hl > len)
			return 0;
		if (sum16(d + o, hl, 0) != 0xffff)
			return -1;
		nr++;
		proto = d[o + 9];
		frag = (be16(d + o + 6) & 0x1fff) != 0;
		l4 = o + hl;
		l4_len = be16(d + o + 2) - hl;
		ps = sum16(d + o + 12, 8, proto + (uint32_t)l4_len);
	} else if (et == GEN_ETH_IPV6) {
		if (o + 40 > len)
			return 0;
		proto = d[o + 6];
		l4 = o + 40;
		l4_len = be16(d + o + 4);
		while ((proto == 60 || proto == 44) && l4 + 8 <= len) {
			if (proto == 44 && (be16(d + l4 + 2) & 0xfff8))
				frag = true;
			proto = d[l4];
			l4_len -= 8;
			l4 += 8;
		}
		ps = sum16(d + o + 8, 32, proto + (uint32_t)l4_len);
	} else {
		return 0;
	}
	if (frag || l4 + l4_len > len)
		return nr;
	switch (proto) {
	case GEN_IPPROTO_TCP:
		if (sum16(d + l4, l4_len, ps) != 0xffff)
			return -1;
		return nr + 1;
	case GEN_IPPROTO_UDP:
		if (be16(d + l4 + 6) == 0)
			return nr;
		if (sum16(d + l4, l4_len, ps) != 0xffff)
			return -1;
		return nr + 1;
	case GEN_IPPROTO_ICMP:
		if (sum16(d + l4, l4_len, 0) != 0xffff)
			return -1;
		return nr + 1;
	case GEN_IPPROTO_ICMPV6:
		if (sum16(d + l4, l4_len, ps) != 0xffff)
			return -1;
		return nr + 1;
	}
	return nr;
}

/* ---------------------------------------------------------------------------------------------- */
/* One example loaded in userbpf or in the kernel                                                  */

/* A .rodata variable to set before load (as libbpf's skeletons do). */
struct ex_rodata {
	const char *name;
	const void *val;
	size_t size;
};

/* Where an example runs. */
enum ex_backend {
	EX_CHECKED, /* userbpf, checked engine */
	EX_DEFAULT, /* userbpf, the fastest engine the program is allowed */
	EX_KERNEL,  /* the Linux kernel, BPF_PROG_TEST_RUN */
};

struct ex_run {
	const char *example;
	const char *prog;
	bool kernel;
	enum userbpf_exec exec;
	struct userbpf_object *obj;
	struct userbpf_helpers *helpers;
	struct userbpf_pktrun *run;
	struct userbpf_kobject *kobj;
	struct userbpf_kpktrun *krun;
	unsigned int nr_cpus; /* slots of per-CPU values */
};

/* The object file with .rodata variables patched; NULL on failure (message printed). */
static inline struct userbpf_object *ex_open_patched(const char *example, const struct ex_rodata *rd,
						     size_t nr)
{
	struct userbpf_object_open_opts o = USERBPF_OPTS_INIT(
	    userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf), .object_name = example);
	struct userbpf_object *obj = open_example(example);
	unsigned char *img = NULL;
	long size;
	FILE *f;

	if (!obj || !nr)
		return obj;
	f = fopen(example_path(example, "o"), "rb");
	if (!f)
		goto fail;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	img = malloc((size_t)size);
	if (!img || fread(img, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		goto fail;
	}
	fclose(f);
	{
		Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
		Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
		const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;
		Elf64_Shdr *ro = NULL;

		for (int i = 1; i < eh->e_shnum; i++)
			if (!strcmp(names + sh[i].sh_name, ".rodata"))
				ro = &sh[i];
		if (!ro)
			goto fail;
		for (size_t i = 0; i < nr; i++) {
			uint64_t off;

			if (userbpf_object__symbol_offset(obj, ".rodata", rd[i].name, &off) ||
			    off + rd[i].size > ro->sh_size) {
				fprintf(stderr, "%s: no .rodata variable %s\n", example, rd[i].name);
				goto fail;
			}
			memcpy(img + ro->sh_offset + off, rd[i].val, rd[i].size);
		}
	}
	userbpf_object__close(obj);
	obj = userbpf_object__open_mem(img, (size_t)size, &o);
	if (!obj)
		fprintf(stderr, "open %s (patched): %s\n", example, logbuf);
	free(img);
	return obj;
fail:
	free(img);
	userbpf_object__close(obj);
	return NULL;
}

static inline void ex_close(struct ex_run *r)
{
	userbpf_pktrun__free(r->run);
	userbpf_kpktrun__free(r->krun);
	userbpf_kobject__close(r->kobj);
	userbpf_object__close(r->obj);
	userbpf_helpers__free(r->helpers);
	memset(r, 0, sizeof(*r));
}

/* Load `example` on backend `be` and get a runner for program `prog`. 0 or -errno. */
static inline int ex_open(struct ex_run *r, const char *example, const char *prog, enum ex_backend be,
			  const struct ex_rodata *rd, size_t nr_rd)
{
	bool kernel = be == EX_KERNEL;

	memset(r, 0, sizeof(*r));
	r->example = example;
	r->prog = prog;
	r->kernel = kernel;
	r->exec = be == EX_CHECKED ? USERBPF_EXEC_CHECKED : USERBPF_EXEC_DEFAULT;
	r->obj = ex_open_patched(example, rd, nr_rd);
	if (!r->obj)
		return -EINVAL;
	if (kernel) {
		struct userbpf_kobject_opts ko =
		    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
		struct userbpf_kpktrun_opts kro =
		    USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .err_buf = logbuf, .err_size = sizeof(logbuf));
		int n = userbpf_kernel_nr_cpus();

		r->kobj = userbpf_kobject__load(r->obj, &ko);
		if (!r->kobj) {
			fprintf(stderr, "kernel load %s: %s\n", example, logbuf);
			goto fail;
		}
		r->krun = userbpf_kpktrun__new(r->kobj, prog, &kro);
		if (!r->krun) {
			fprintf(stderr, "kernel runner %s/%s: %s\n", example, prog, logbuf);
			goto fail;
		}
		r->nr_cpus = n > 0 ? (unsigned int)n : 1;
	} else {
		struct userbpf_object_load_opts lo;
		struct userbpf_pktrun_opts po = USERBPF_OPTS_INIT(
		    userbpf_pktrun_opts, .exec = r->exec, .err_buf = logbuf, .err_size = sizeof(logbuf));
		struct userbpf_program *p;

		r->helpers = userbpf_helpers__new();
		if (!r->helpers || userbpf_helpers__add_std(r->helpers) ||
		    userbpf_helpers__add_kernel(r->helpers) || userbpf_helpers__add_maps(r->helpers) ||
		    userbpf_helpers__add_packet(r->helpers))
			goto fail;
		lo = (struct userbpf_object_load_opts)USERBPF_OPTS_INIT(
		    userbpf_object_load_opts, .helpers = r->helpers, .log_buf = logbuf,
		    .log_size = sizeof(logbuf));
		if (userbpf_object__load(r->obj, &lo)) {
			fprintf(stderr, "load %s: %s\n", example, logbuf);
			goto fail;
		}
		p = userbpf_object__find_program_by_name(r->obj, prog);
		r->run = p ? userbpf_pktrun__new(userbpf_program__prog(p), &po) : NULL;
		if (!r->run) {
			fprintf(stderr, "runner %s/%s: %s\n", example, prog, logbuf);
			goto fail;
		}
		r->nr_cpus = userbpf_nr_cpus();
	}
	return 0;
fail:
	ex_close(r);
	return -EINVAL;
}

/* Run one packet. 0 with *res filled, or -errno (message printed). */
static inline int ex_pkt(struct ex_run *r, const void *data, uint32_t len, struct userbpf_pkt_result *res)
{
	char err[256] = "";
	int rc = r->kernel ? userbpf_kpktrun__run(r->krun, data, len, NULL, res, err, sizeof(err))
			   : userbpf_pktrun__run(r->run, data, len, NULL, res, err, sizeof(err));

	if (rc)
		fprintf(stderr, "%s %s: run: %s\n", r->kernel ? "kernel" : "userbpf", r->example, err);
	return rc;
}

static inline struct userbpf_map *ex_umap(struct ex_run *r, const char *name)
{
	const struct userbpf_object_map *om = userbpf_object__find_map_by_name(r->obj, name);
	return om ? userbpf_object_map__map(om) : NULL;
}

/* Value of `name` at `key`; per-CPU values are summed as arrays of __u64. 0 or -errno. */
static inline int ex_lookup(struct ex_run *r, const char *name, const void *key, void *val)
{
	const struct userbpf_object_map *om = userbpf_object__find_map_by_name(r->obj, name);
	uint32_t vs;
	bool percpu;
	uint64_t *buf;
	size_t slot;
	int rc;

	if (!om)
		return -ENOENT;
	vs = userbpf_object_map__value_size(om);
	percpu = userbpf_object_map__type(om) == USERBPF_MAP_TYPE_PERCPU_ARRAY ||
		 userbpf_object_map__type(om) == USERBPF_MAP_TYPE_PERCPU_HASH ||
		 userbpf_object_map__type(om) == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
	if (!percpu)
		return r->kernel ? userbpf_kobject__map_lookup(r->kobj, name, key, val)
				 : userbpf_map_lookup_elem(ex_umap(r, name), key, val);
	slot = (vs + 7) / 8 * 8;
	buf = calloc(r->nr_cpus, slot);
	if (!buf)
		return -ENOMEM;
	rc = r->kernel ? userbpf_kobject__map_lookup(r->kobj, name, key, buf)
		       : userbpf_map_lookup_elem(ex_umap(r, name), key, buf);
	if (!rc) {
		uint64_t *out = val;

		memset(val, 0, vs);
		for (unsigned int c = 0; c < r->nr_cpus; c++)
			for (size_t w = 0; w < vs / 8; w++)
				out[w] += buf[c * slot / 8 + w];
	}
	free(buf);
	return rc;
}

static inline int ex_update(struct ex_run *r, const char *name, const void *key, const void *val)
{
	return r->kernel ? userbpf_kobject__map_update(r->kobj, name, key, val, 0)
			 : userbpf_map_update_elem(ex_umap(r, name), key, val, 0);
}

static inline int ex_next_key(struct ex_run *r, const char *name, const void *key, void *next)
{
	return r->kernel ? userbpf_kobject__map_get_next_key(r->kobj, name, key, next)
			 : userbpf_map_get_next_key(ex_umap(r, name), key, next);
}

/* Entries of a hash map. */
static inline int ex_count_keys(struct ex_run *r, const char *name, size_t key_size)
{
	unsigned char k[64], nk[64];
	int n = 0;

	if (key_size > sizeof(k))
		return -EINVAL;
	for (int rc = ex_next_key(r, name, NULL, nk); rc == 0; rc = ex_next_key(r, name, k, nk)) {
		memcpy(k, nk, key_size);
		n++;
	}
	return n;
}

/*
 * libbpf's ring buffer reader, declared here rather than through <bpf/libbpf.h>, whose <linux/types.h>
 * typedefs clash with the examples' host-side ones (unsigned long vs unsigned long long __u64).
 */
struct ring_buffer;
struct ring_buffer_opts;
struct ring_buffer *ring_buffer__new(int map_fd, int (*sample_cb)(void *ctx, void *data, size_t size),
				     void *ctx, const struct ring_buffer_opts *opts);
int ring_buffer__consume(struct ring_buffer *rb);
void ring_buffer__free(struct ring_buffer *rb);

typedef int (*ex_record_fn)(void *cookie, const void *data, size_t size);

struct ex_kring {
	ex_record_fn fn;
	void *cookie;
};

static inline int ex_kring_cb(void *ctx, void *data, size_t size)
{
	struct ex_kring *k = ctx;
	return k->fn(k->cookie, data, size);
}

/* Every record of ring buffer `name`, in order. The number consumed, or -errno. */
static inline int ex_ring_consume(struct ex_run *r, const char *name, ex_record_fn fn, void *cookie)
{
	struct ex_kring k = {fn, cookie};
	struct ring_buffer *rb;
	int fd, n;

	if (!r->kernel)
		return userbpf_ringbuf_consume(ex_umap(r, name), fn, cookie);
	fd = userbpf_kobject__map_fd(r->kobj, name);
	if (fd < 0)
		return fd;
	rb = ring_buffer__new(fd, ex_kring_cb, &k, NULL);
	if (!rb)
		return -errno;
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n;
}

/* Skip unless the backend is there: the kernel (bpf() allowed) and the example object built. */
#define NEED_BACKEND(example, be)                                                                            \
	do {                                                                                                 \
		char why_[200];                                                                              \
		NEED_EXAMPLE(example);                                                                       \
		if ((be) == EX_KERNEL && !userbpf_kernel_available(why_, sizeof(why_)))                      \
			SKIP("kernel: %s", why_);                                                            \
	} while (0)

#endif /* USERBPF_TEST_EXAMPLES_UTIL_H */
