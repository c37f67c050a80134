/*
 * obj.c - shared by the object-aware subcommands: opening ELF objects (one-line errors), the maps and
 * helpers a program refers to, a compact JSON writer, and values printed by their BTF types.
 *
 * BTF is read through libbpf's BTF API, which the object hands out (userbpf_object__btf). clang leaves
 * the sizes and variable offsets of DATASECs 0 in relocatable objects (libbpf fills them in when it
 * opens an object); where the object's BTF still has them 0, the offsets come from the ELF symbol table.
 */
#include "obj.h"

#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "cli.h"

/* ---------------------------------------------------------------------------------------------- */
/* Opening                                                                                          */

bool cli_is_elf(const void *buf, size_t len)
{
	return len >= 4 && memcmp(buf, "\177ELF", 4) == 0;
}

int cli_obj_open_buf(const char *path, char *buf, size_t len, struct cli_obj *o)
{
	char log[1024] = "", line[1024];
	const char *name = cli_display_name(path);
	struct userbpf_object_open_opts oo = USERBPF_OPTS_INIT(userbpf_object_open_opts, .object_name = name,
							       .log_buf = log, .log_size = sizeof(log));

	memset(o, 0, sizeof(*o));
	o->name = name;
	o->buf = buf;
	o->len = len;
	o->obj = userbpf_object__open_mem(buf, len, &oo);
	if (o->obj)
		return 0;
	cli_first_line(log, line, sizeof(line));
	size_t n = strlen(name);
	if (!*line)
		cli_err("%s: cannot open the object: %s", name, strerror(errno ? errno : EINVAL));
	else if (strncmp(line, name, n) == 0 && line[n] == ':')
		cli_err("%s", line);
	else
		cli_err("%s: %s", name, line);
	free(buf);
	o->buf = NULL;
	return CLI_EXIT_USAGE;
}

int cli_obj_open(const char *path, struct cli_obj *o)
{
	char *buf;
	size_t len;
	int rc = cli_read_file(path, &buf, &len);
	if (rc)
		return rc;
	if (!cli_is_elf(buf, len)) {
		cli_err("%s: not an ELF object (no ELF magic)", cli_display_name(path));
		free(buf);
		return CLI_EXIT_USAGE;
	}
	return cli_obj_open_buf(path, buf, len, o);
}

void cli_obj_close(struct cli_obj *o)
{
	userbpf_object__close(o->obj);
	free(o->buf);
	o->obj = NULL;
	o->buf = NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* What a program refers to                                                                         */

#define INSN_LDDW 0x18
#define INSN_CALL 0x85

static int add_unique_sz(size_t **arr, size_t *n, size_t v)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == v)
			return 0;
	size_t *t = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!t)
		return -ENOMEM;
	*arr = t;
	(*arr)[(*n)++] = v;
	return 0;
}

static int add_unique_u32(uint32_t **arr, size_t *n, uint32_t v)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == v)
			return 0;
	uint32_t *t = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!t)
		return -ENOMEM;
	*arr = t;
	(*arr)[(*n)++] = v;
	return 0;
}

static int cmp_sz(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int cli_prog_refs(const struct userbpf_program *prog, struct cli_prog_refs *r)
{
	const struct userbpf_insn *insns = userbpf_program__insns(prog);
	size_t cnt = userbpf_program__insn_cnt(prog);
	int err = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < cnt && !err; i++) {
		const struct userbpf_insn *in = &insns[i];
		if (in->code == INSN_LDDW) {
			if (in->src_reg == 5 || in->src_reg == 6)
				err = add_unique_sz(&r->maps, &r->nr_maps, (uint32_t)in->imm);
			i++; /* the second slot */
		} else if (in->code == INSN_CALL) {
			if (in->src_reg == 0)
				err = add_unique_u32(&r->helpers, &r->nr_helpers, (uint32_t)in->imm);
			else if (in->src_reg == 2)
				r->nr_kfuncs++;
		}
	}
	if (err) {
		cli_prog_refs_free(r);
		return err;
	}
	if (r->nr_maps)
		qsort(r->maps, r->nr_maps, sizeof(*r->maps), cmp_sz);
	if (r->nr_helpers)
		qsort(r->helpers, r->nr_helpers, sizeof(*r->helpers), cmp_u32);
	return 0;
}

void cli_prog_refs_free(struct cli_prog_refs *r)
{
	free(r->maps);
	free(r->helpers);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------------------------------------- */
/* JSON                                                                                             */

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Before any value: a comma unless first in its container or right after a key. */
static void json_pre(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void json_open(struct json *j, int c)
{
	json_pre(j);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, int c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json *j)
{
	json_open(j, '{');
}

void json_obj_end(struct json *j)
{
	json_close(j, '}');
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_arr_begin(struct json *j)
{
	json_open(j, '[');
}

void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t extra;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		extra = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		extra = 2;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		extra = 3;
	else
		return 0;
	if (extra >= n)
		return 0;
	for (size_t i = 1; i <= extra; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return extra + 1;
}

static void json_raw_str(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c >= 0x80) {
			size_t l = utf8_len(p + i, n - i);
			if (!l) {
				fprintf(f, "\\u%04x", c); /* not UTF-8: the byte as a Latin-1 character */
				i++;
				continue;
			}
			fwrite(p + i, 1, l, f);
			i += l;
			continue;
		} else {
			fputc((int)c, f);
		}
		i++;
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	json_raw_str(j->f, key, strlen(key));
	fputc(':', j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_strn(struct json *j, const char *s, size_t n)
{
	json_pre(j);
	json_raw_str(j->f, s, n);
}

void json_strf(struct json *j, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_str(j, buf);
}

void json_u64(struct json *j, uint64_t v)
{
	json_pre(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	json_pre(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_double(struct json *j, double v)
{
	json_pre(j);
	if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308)
		fputs("null", j->f); /* NaN and infinities have no JSON form */
	else
		fprintf(j->f, "%.17g", v);
}

void json_bool(struct json *j, bool v)
{
	json_pre(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	json_pre(j);
	fputs("null", j->f);
}

void json_hex(struct json *j, const void *data, size_t size)
{
	const uint8_t *p = data;
	json_pre(j);
	fputc('"', j->f);
	for (size_t i = 0; i < size; i++)
		fprintf(j->f, i ? " %02x" : "%02x", p[i]);
	fputc('"', j->f);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

/* ---------------------------------------------------------------------------------------------- */
/* BTF types                                                                                        */

void cli_print_hex(FILE *f, const void *data, size_t size)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < size; i++)
		fprintf(f, i ? " %02x" : "%02x", p[i]);
}

static const struct btf *obj_btf(const struct cli_obj *o)
{
	return o && o->obj ? userbpf_object__btf(o->obj) : NULL;
}

/* Follow typedefs and qualifiers (typedefs too only when `typedefs`). */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *out_id, bool typedefs)
{
	const struct btf_type *t;
	for (int n = 0; n < 64; n++) {
		t = btf__type_by_id(btf, id);
		if (!t)
			return NULL;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
			if (!typedefs)
				goto done;
			/* fall through */
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		default:
			goto done;
		}
	}
	return NULL;
done:
	if (out_id)
		*out_id = id;
	return t;
}

/* Append to buf at *pos (always NUL-terminated, truncated). */
__attribute__((format(printf, 4, 5))) static void bput(char *buf, size_t size, size_t *pos, const char *fmt,
						       ...)
{
	va_list ap;
	if (*pos >= size)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos = *pos + (size_t)n < size ? *pos + (size_t)n : size;
}

static void type_name(const struct btf *btf, uint32_t id, char *buf, size_t size, size_t *pos, int depth)
{
	const struct btf_type *t = id ? btf__type_by_id(btf, id) : NULL;
	const char *name;

	if (id == 0) {
		bput(buf, size, pos, "void");
		return;
	}
	if (!t || depth > 16) {
		bput(buf, size, pos, "?");
		return;
	}
	name = btf__name_by_offset(btf, t->name_off);
	if (!name)
		name = "";
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
		bput(buf, size, pos, "struct %s", *name ? name : "(anon)");
		break;
	case BTF_KIND_UNION:
		bput(buf, size, pos, "union %s", *name ? name : "(anon)");
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		bput(buf, size, pos, "enum %s", *name ? name : "(anon)");
		break;
	case BTF_KIND_FWD:
		bput(buf, size, pos, "%s %s", btf_kflag(t) ? "union" : "struct", name);
		break;
	case BTF_KIND_CONST:
		bput(buf, size, pos, "const ");
		type_name(btf, t->type, buf, size, pos, depth + 1);
		break;
	case BTF_KIND_VOLATILE:
		bput(buf, size, pos, "volatile ");
		type_name(btf, t->type, buf, size, pos, depth + 1);
		break;
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		type_name(btf, t->type, buf, size, pos, depth + 1);
		break;
	case BTF_KIND_PTR:
		type_name(btf, t->type, buf, size, pos, depth + 1);
		bput(buf, size, pos, " *");
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		type_name(btf, a->type, buf, size, pos, depth + 1);
		bput(buf, size, pos, "[%u]", a->nelems);
		break;
	}
	case BTF_KIND_DATASEC:
		bput(buf, size, pos, "section %s", name);
		break;
	default:
		bput(buf, size, pos, "%s", *name ? name : "?");
		break;
	}
}

const char *cli_btf_type_name(const struct cli_obj *o, uint32_t type_id, char *buf, size_t size)
{
	const struct btf *btf = obj_btf(o);
	size_t pos = 0;
	buf[0] = '\0';
	if (!btf || !type_id)
		return NULL;
	type_name(btf, type_id, buf, size, &pos, 0);
	return buf;
}

/* ---- DATASEC variable offsets ---- */

/* Offset of symbol `var` in section `sec` from the ELF symbol table; -1 if not found. */
static int64_t elf_var_offset(const struct cli_obj *o, const char *sec, const char *var)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int64_t found = -1;

	if (!o->buf || elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	elf = elf_memory(o->buf, o->len);
	if (!elf)
		return -1;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn)) != NULL && found < 0) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			GElf_Shdr ssh;
			Elf_Scn *ss;
			const char *sname, *secname;
			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_shndx >= SHN_LORESERVE)
				continue;
			sname = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!sname || strcmp(sname, var) != 0)
				continue;
			ss = elf_getscn(elf, sym.st_shndx);
			if (!ss || !gelf_getshdr(ss, &ssh))
				continue;
			secname = elf_strptr(elf, shstrndx, ssh.sh_name);
			if (secname && strcmp(secname, sec) == 0) {
				found = (int64_t)sym.st_value;
				break;
			}
		}
	}
out:
	elf_end(elf);
	return found;
}

int cli_datasec_vars(const struct cli_obj *o, uint32_t datasec_id, uint32_t value_size, cli_var_fn fn,
		     void *cookie)
{
	const struct btf *btf = obj_btf(o);
	const struct btf_type *t = btf && datasec_id ? btf__type_by_id(btf, datasec_id) : NULL;
	const struct btf_var_secinfo *vs;
	const char *sec;
	int n = 0;

	if (!t || !btf_is_datasec(t))
		return -1;
	sec = btf__name_by_offset(btf, t->name_off);
	vs = btf_var_secinfos(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);
		const char *name;
		uint32_t off = vs->offset, type = vs->type;
		if (!v)
			continue;
		name = btf__name_by_offset(btf, v->name_off);
		if (!name)
			name = "";
		if (btf_is_var(v))
			type = v->type;
		if (t->size == 0 && sec) {
			/* Not fixed up: the compiler's offsets are 0; take the symbol's value. */
			int64_t so = elf_var_offset(o, sec, name);
			if (so < 0)
				continue;
			off = (uint32_t)so;
		}
		if ((uint64_t)off + vs->size > value_size)
			continue;
		fn(cookie, name, type, off, vs->size);
		n++;
	}
	return n;
}

/* ---- values ---- */

struct vp {
	const struct cli_obj *o;
	const struct btf *btf;
	FILE *f;
	struct json *j;
};

/* nbits (1..64) bits at bit offset `off` of little-endian bytes. */
static uint64_t read_bits(const uint8_t *d, uint32_t off, uint32_t nbits)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < nbits; i++) {
		uint32_t b = off + i;
		if (d[b / 8] >> (b % 8) & 1)
			v |= (uint64_t)1 << i;
	}
	return v;
}

static int64_t sign_extend(uint64_t v, uint32_t nbits)
{
	if (nbits >= 64)
		return (int64_t)v;
	uint64_t m = (uint64_t)1 << (nbits - 1);
	return (int64_t)((v ^ m) - m);
}

static void vp_hex(struct vp *p, const void *data, size_t size)
{
	if (p->j)
		json_hex(p->j, data, size);
	else
		cli_print_hex(p->f, data, size);
}

static void vp_u64(struct vp *p, uint64_t v)
{
	if (p->j)
		json_u64(p->j, v);
	else
		fprintf(p->f, "%" PRIu64, v);
}

static void vp_i64(struct vp *p, int64_t v)
{
	if (p->j)
		json_i64(p->j, v);
	else
		fprintf(p->f, "%" PRId64, v);
}

/* Text: a C-like quoted string. */
static void text_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
	fputc('"', f);
}

static bool is_char_type(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = skip_mods(btf, id, NULL, false);
	const char *name;
	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	name = btf__name_by_offset(btf, t->name_off);
	return name && strstr(name, "char") != NULL;
}

/* Printable up to the first NUL and all zero after it. */
static bool printable_string(const uint8_t *d, size_t n, size_t *len)
{
	size_t i = 0;
	while (i < n && d[i]) {
		if (d[i] < 0x20 || d[i] >= 0x7f)
			return false;
		i++;
	}
	*len = i;
	for (; i < n; i++)
		if (d[i])
			return false;
	return true;
}

static void print_type(struct vp *p, uint32_t id, const uint8_t *data, size_t size, int depth);

static void print_int(struct vp *p, const struct btf_type *t, const uint8_t *data, uint32_t bit_off,
		      uint32_t bitfield)
{
	uint32_t enc = btf_int_encoding(t);
	uint32_t nbits = bitfield ? bitfield : btf_int_bits(t);
	uint64_t v;

	if (nbits == 0 || nbits > 64 || t->size > 8) {
		vp_hex(p, data + bit_off / 8, t->size);
		return;
	}
	v = read_bits(data, bit_off + (bitfield ? 0 : btf_int_offset(t)), nbits);
	if (enc & BTF_INT_BOOL) {
		if (p->j)
			json_bool(p->j, v != 0);
		else
			fputs(v ? "true" : "false", p->f);
	} else if (enc & BTF_INT_SIGNED) {
		vp_i64(p, sign_extend(v, nbits));
	} else {
		vp_u64(p, v);
	}
}

static void print_enum(struct vp *p, const struct btf_type *t, const uint8_t *data, uint32_t bit_off,
		       uint32_t bitfield)
{
	uint32_t nbits = bitfield ? bitfield : t->size * 8;
	bool sign = btf_kflag(t);
	uint64_t v;

	if (nbits == 0 || nbits > 64) {
		vp_hex(p, data + bit_off / 8, t->size);
		return;
	}
	v = read_bits(data, bit_off, nbits);
	if (sign)
		v = (uint64_t)sign_extend(v, nbits);
	else if (nbits < 64)
		v &= ((uint64_t)1 << nbits) - 1;
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		uint64_t ev;
		const char *name;
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;
			ev = sign ? (uint64_t)(int64_t)e->val : (uint64_t)(uint32_t)e->val;
			name = btf__name_by_offset(p->btf, e->name_off);
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;
			ev = btf_enum64_value(e);
			name = btf__name_by_offset(p->btf, e->name_off);
		}
		if (nbits < 64 && !sign)
			ev &= ((uint64_t)1 << nbits) - 1;
		if (ev == v && name && *name) {
			if (p->j)
				json_str(p->j, name);
			else
				fputs(name, p->f);
			return;
		}
	}
	if (sign)
		vp_i64(p, (int64_t)v);
	else
		vp_u64(p, v);
}

/* A scalar that may be a bitfield member: int or enum at a bit offset. */
static bool print_scalar(struct vp *p, uint32_t id, const uint8_t *data, uint32_t bit_off, uint32_t bitfield)
{
	const struct btf_type *t = skip_mods(p->btf, id, NULL, true);
	if (!t)
		return false;
	if (btf_is_int(t)) {
		print_int(p, t, data, bit_off, bitfield);
		return true;
	}
	if (btf_is_any_enum(t)) {
		print_enum(p, t, data, bit_off, bitfield);
		return true;
	}
	return false;
}

static void print_members(struct vp *p, const struct btf_type *t, const uint8_t *data, size_t size, int depth,
			  bool *first)
{
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(p->btf, m->name_off);
		uint32_t boff = btf_member_bit_offset(t, i);
		uint32_t bsz = btf_member_bitfield_size(t, i);
		const struct btf_type *mt = skip_mods(p->btf, m->type, NULL, true);
		__s64 msz = btf__resolve_size(p->btf, m->type);

		if (!mt)
			continue;
		if ((!name || !*name) && (btf_is_struct(mt) || btf_is_union(mt))) {
			/* Anonymous struct or union: its members belong to this level. */
			if (boff % 8 == 0 && (uint64_t)boff / 8 + mt->size <= size)
				print_members(p, mt, data + boff / 8, size - boff / 8, depth + 1, first);
			continue;
		}
		if (!name)
			name = "";
		if (p->j) {
			json_key(p->j, name);
		} else {
			fputs(*first ? "" : ", ", p->f);
			fprintf(p->f, "%s = ", name);
		}
		*first = false;
		if (bsz) {
			if ((uint64_t)boff + bsz > (uint64_t)size * 8 ||
			    !print_scalar(p, m->type, data, boff, bsz)) {
				if (p->j)
					json_null(p->j);
				else
					fputs("?", p->f);
			}
		} else if (boff % 8 == 0 && msz >= 0 && (uint64_t)boff / 8 + (uint64_t)msz <= size) {
			print_type(p, m->type, data + boff / 8, (size_t)msz, depth + 1);
		} else if (boff % 8 == 0 && boff / 8 <= size) {
			vp_hex(p, data + boff / 8, size - boff / 8);
		} else if (p->j) {
			json_null(p->j);
		} else {
			fputs("?", p->f);
		}
	}
}

static void print_type(struct vp *p, uint32_t id, const uint8_t *data, size_t size, int depth)
{
	const struct btf_type *t = skip_mods(p->btf, id, &id, true);

	if (!t || depth > 32) {
		vp_hex(p, data, size);
		return;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (t->size > size)
			break;
		print_int(p, t, data, 0, 0);
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (t->size > size)
			break;
		print_enum(p, t, data, 0, 0);
		return;
	case BTF_KIND_PTR:
		if (size == 8) {
			uint64_t v;
			memcpy(&v, data, 8);
			if (p->j)
				json_strf(p->j, "0x%" PRIx64, v);
			else
				fprintf(p->f, "0x%" PRIx64, v);
			return;
		}
		break;
	case BTF_KIND_FLOAT:
		if (t->size == 4 && size >= 4) {
			float v;
			memcpy(&v, data, 4);
			if (p->j)
				json_double(p->j, v);
			else
				fprintf(p->f, "%g", (double)v);
			return;
		}
		if (t->size == 8 && size >= 8) {
			double v;
			memcpy(&v, data, 8);
			if (p->j)
				json_double(p->j, v);
			else
				fprintf(p->f, "%g", v);
			return;
		}
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		__s64 esz = btf__resolve_size(p->btf, a->type);
		size_t len;
		if (esz <= 0 || (uint64_t)esz * a->nelems > size)
			break;
		if (esz == 1 && is_char_type(p->btf, a->type) && printable_string(data, a->nelems, &len)) {
			if (p->j)
				json_strn(p->j, (const char *)data, len);
			else
				text_str(p->f, (const char *)data, len);
			return;
		}
		if (p->j)
			json_arr_begin(p->j);
		else
			fputc('[', p->f);
		for (uint32_t i = 0; i < a->nelems; i++) {
			if (!p->j && i)
				fputs(", ", p->f);
			print_type(p, a->type, data + (size_t)esz * i, (size_t)esz, depth + 1);
		}
		if (p->j)
			json_arr_end(p->j);
		else
			fputc(']', p->f);
		return;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		bool first = true;
		if (t->size > size)
			break;
		if (p->j)
			json_obj_begin(p->j);
		else
			fputc('{', p->f);
		print_members(p, t, data, t->size, depth, &first);
		if (p->j)
			json_obj_end(p->j);
		else
			fputc('}', p->f);
		return;
	}
	case BTF_KIND_VAR:
		print_type(p, t->type, data, size, depth + 1);
		return;
	default:
		break;
	}
	vp_hex(p, data, size);
}

struct datasec_print {
	struct vp *p;
	const uint8_t *data;
	bool first;
};

static void print_var(void *cookie, const char *name, uint32_t type_id, uint32_t off, uint32_t size)
{
	struct datasec_print *d = cookie;
	if (d->p->j) {
		json_key(d->p->j, name);
	} else {
		fputs(d->first ? "" : ", ", d->p->f);
		fprintf(d->p->f, "%s = ", name);
	}
	d->first = false;
	print_type(d->p, type_id, d->data + off, size, 1);
}

void cli_print_value(const struct cli_obj *o, uint32_t type_id, const void *data, size_t size, FILE *f,
		     struct json *j)
{
	struct vp p = {.o = o, .btf = obj_btf(o), .f = f, .j = j};
	const struct btf_type *t;
	__s64 tsz;

	if (!p.btf || !type_id || !(t = skip_mods(p.btf, type_id, NULL, true))) {
		vp_hex(&p, data, size);
		return;
	}
	if (btf_is_datasec(t)) {
		struct datasec_print d = {.p = &p, .data = data, .first = true};
		if (j)
			json_obj_begin(j);
		else
			fputc('{', f);
		cli_datasec_vars(o, type_id, (uint32_t)size, print_var, &d);
		if (j)
			json_obj_end(j);
		else
			fputc('}', f);
		return;
	}
	tsz = btf__resolve_size(p.btf, type_id);
	if (tsz < 0 || (size_t)tsz != size) {
		vp_hex(&p, data, size);
		return;
	}
	print_type(&p, type_id, data, size, 0);
}

/* ---------------------------------------------------------------------------------------------- */
/* `prog list` and `map list`                                                                       */

enum { LIST_OPT_JSON = 1 };

static const struct cli_opt list_opts[] = {
    {"json", 'j', false, LIST_OPT_JSON},
    {NULL, 0, false, 0},
};

int cli_obj_list_main(const struct cli_command *cmd, int argc, char **argv,
		      void (*text)(const struct cli_obj *o), void (*json_fn)(const struct cli_obj *o))
{
	const char *verb = NULL, *file = NULL;
	bool json = false;
	struct cli_parser p;
	struct cli_obj o;
	int id, rc;

	cli_parser_init(&p, cmd, list_opts, argc, argv);
	while ((id = cli_next_opt(&p)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR:
			return CLI_EXIT_USAGE;
		case CLI_OPT_OPERAND:
			if (!verb)
				verb = p.arg;
			else if (!file)
				file = p.arg;
			else
				return cli_usage_err(cmd, "more than one OBJ");
			break;
		case LIST_OPT_JSON:
			json = true;
			break;
		}
	}
	if (!verb)
		return cli_usage_err(cmd, "missing subcommand (list)");
	if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0)
		return cli_usage_err(cmd, "unknown subcommand '%s' (list)", verb);
	if (!file)
		return cli_usage_err(cmd, "missing OBJ");
	rc = cli_obj_open(file, &o);
	if (rc)
		return rc;
	if (json)
		json_fn(&o);
	else
		text(&o);
	cli_obj_close(&o);
	return CLI_EXIT_OK;
}
