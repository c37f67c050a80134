/*
 * kern_btf.c - the object's BTF as the kernel accepts it. clang leaves every DATASEC (".maps",
 * ".data", ".rodata", ".bss", ...) with size 0 and its variables at offset 0: the linker is meant to
 * fill them in. As a loader must, we set each DATASEC's size to its ELF section's and each variable's
 * offset to its symbol's, sort the variables by offset, and load the result with BPF_BTF_LOAD.
 * The raw bytes are walked here (a copy we own), not through libbpf's struct btf, whose types are
 * read-only to its users.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "kern.h"

#define KERN_BTF_MAGIC 0xeB9F

struct kern_btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t type_off, type_len;
	uint32_t str_off, str_len;
};

struct kern_btf_type {
	uint32_t name_off;
	uint32_t info; /* vlen: 0..15, kind: 24..28 */
	uint32_t size_or_type;
};

struct kern_btf_var_secinfo {
	uint32_t type, offset, size;
};

/* Bytes following struct kern_btf_type for a type of `kind` with `vlen` members; -1 if unknown. */
static long kern_btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12L * vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8L * vlen;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static int kern_cmp_secinfo(const void *a, const void *b)
{
	const struct kern_btf_var_secinfo *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Fix the DATASECs of the raw BTF in `raw` (size bytes) from the object's sections and symbols. */
static int kern_btf_fixup(const struct userbpf_object *obj, uint8_t *raw, size_t size, char *err,
			  size_t err_size)
{
	struct kern_btf_hdr h;
	uint8_t *types, *end;
	const char *strs;
	uint32_t **offs = NULL; /* type id -> its struct kern_btf_type */
	size_t nr = 1, cap = 0;
	int ret = 0;

	if (size < sizeof(h))
		goto bad;
	memcpy(&h, raw, sizeof(h));
	if (h.magic != KERN_BTF_MAGIC || h.hdr_len > size ||
	    (uint64_t)h.hdr_len + h.type_off + h.type_len > size ||
	    (uint64_t)h.hdr_len + h.str_off + h.str_len > size || !h.str_len)
		goto bad;
	types = raw + h.hdr_len + h.type_off;
	end = types + h.type_len;
	strs = (const char *)raw + h.hdr_len + h.str_off;

	/* Index the types (id 0 is void). */
	for (uint8_t *p = types; p < end;) {
		struct kern_btf_type t;
		long extra;
		if ((size_t)(end - p) < sizeof(t))
			goto bad;
		memcpy(&t, p, sizeof(t));
		extra = kern_btf_extra((t.info >> 24) & 0x1f, t.info & 0xffff);
		if (extra < 0 || (size_t)(end - p) < sizeof(t) + (size_t)extra)
			goto bad;
		if (nr >= cap) {
			void *q = realloc(offs, (cap = cap ? 2 * cap : 256) * sizeof(*offs));
			if (!q) {
				free(offs);
				return -ENOMEM;
			}
			offs = q;
		}
		offs[nr++] = (uint32_t *)p;
		p += sizeof(t) + (size_t)extra;
	}

	for (size_t id = 1; id < nr; id++) {
		struct kern_btf_type t;
		struct kern_btf_var_secinfo *vs;
		const char *sec;
		uint64_t sec_size;
		uint32_t vlen;

		memcpy(&t, offs[id], sizeof(t));
		if (((t.info >> 24) & 0x1f) != BTF_KIND_DATASEC || t.name_off >= h.str_len)
			continue;
		sec = strs + t.name_off;
		vlen = t.info & 0xffff;
		if (userbpf_object__section_size(obj, sec, &sec_size) == 0 && sec_size <= UINT32_MAX) {
			t.size_or_type = (uint32_t)sec_size;
			memcpy(offs[id], &t, sizeof(t));
		}
		vs = (struct kern_btf_var_secinfo *)((uint8_t *)offs[id] + sizeof(t));
		for (uint32_t i = 0; i < vlen; i++) {
			struct kern_btf_var_secinfo v;
			struct kern_btf_type var;
			uint64_t off;
			memcpy(&v, &vs[i], sizeof(v));
			if (!v.type || v.type >= nr)
				continue;
			memcpy(&var, offs[v.type], sizeof(var));
			if (((var.info >> 24) & 0x1f) != BTF_KIND_VAR || var.name_off >= h.str_len)
				continue;
			if (userbpf_object__symbol_offset(obj, sec, strs + var.name_off, &off) == 0 &&
			    off <= UINT32_MAX) {
				v.offset = (uint32_t)off;
				memcpy(&vs[i], &v, sizeof(v));
			}
		}
		if (vlen > 1) {
			/* Alignment of the records inside the blob is 4: sort a copy. */
			struct kern_btf_var_secinfo *tmp = malloc(vlen * sizeof(*tmp));
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			memcpy(tmp, vs, vlen * sizeof(*tmp));
			qsort(tmp, vlen, sizeof(*tmp), kern_cmp_secinfo);
			memcpy(vs, tmp, vlen * sizeof(*tmp));
			free(tmp);
		}
	}
	free(offs);
	return ret;
bad:
	free(offs);
	snprintf(err, err_size, "BTF: malformed blob");
	return -EINVAL;
}

int kern_btf_load(const struct userbpf_object *obj, int *fd, char *err, size_t err_size)
{
	const struct btf *btf = userbpf_object__btf(obj);
	const void *raw;
	uint32_t size;
	uint8_t *copy;
	char *log;
	int ret;

	*fd = -1;
	if (!btf)
		return 0;
	raw = btf__raw_data(btf, &size);
	if (!raw)
		return -errno;
	copy = malloc(size);
	log = malloc(65536);
	if (!copy || !log) {
		free(copy);
		free(log);
		return -ENOMEM;
	}
	memcpy(copy, raw, size);
	ret = kern_btf_fixup(obj, copy, size, err, err_size);
	if (!ret) {
		/* Log level 0 with a buffer: libbpf retries at level 1 only when the kernel refuses. */
		LIBBPF_OPTS(bpf_btf_load_opts, o, .log_buf = log, .log_size = 65536);
		log[0] = 0;
		ret = bpf_btf_load(copy, size, &o);
		if (ret < 0) {
			char tail[300];
			ret = -errno;
			kern_log_tail(log, tail, sizeof(tail));
			snprintf(err, err_size, "BTF refused by the kernel: %s%s%s", strerror(-ret),
				 tail[0] ? ": " : "", tail);
		} else {
			*fd = ret;
			ret = 0;
		}
	}
	free(copy);
	free(log);
	return ret;
}
