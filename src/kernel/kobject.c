/*
 * kobject.c - an object opened by userbpf created in the Linux kernel through libbpf's low-level
 * bpf() wrappers (never bpf_object__open, which refuses legacy `maps` sections): BTF, maps with
 * their initial contents and slots, programs with map fds patched in, func and line info and the
 * verifier's log; then test runs and map access by name. Nothing is pinned; close() closes all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kern.h"

#define KERN_LOG_DEFAULT (64u << 10)
#define KERN_LOG_MAX	 (16u << 20)
#define KERN_LOG_FAIL	 (1u << 20) /* room for the level-1 log of a refused program (its tail is kept) */

/* Instruction fields the kernel gives meaning to (linux/bpf.h values). */
#define KERN_LDDW		  0x18
#define KERN_PSEUDO_MAP_FD	  1
#define KERN_PSEUDO_MAP_VALUE	  2
#define KERN_PSEUDO_MAP_IDX	  5
#define KERN_PSEUDO_MAP_IDX_VALUE 6

struct kern_map {
	char *name;
	int fd;
	uint32_t type, key_size, value_size;
};

struct kern_prog {
	char *name;
	int fd; /* -1 when autoload was off */
	char *log;
};

struct userbpf_kobject {
	char name[64];
	int btf_fd;
	struct kern_map *maps; /* indexed like the object's maps */
	size_t nr_maps;
	struct kern_prog *progs; /* indexed like the object's programs */
	size_t nr_progs;
	struct btf *vmlinux; /* the kernel's BTF, read when a program needs an attach target */
	char *log_buf;	     /* the caller's, during load */
	size_t log_size;
};

static void kern_err(struct userbpf_kobject *ko, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void kern_err(struct userbpf_kobject *ko, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	if (!ko->log_buf || !ko->log_size)
		return;
	n = (size_t)snprintf(ko->log_buf, ko->log_size, "%s: ", ko->name);
	if (n >= ko->log_size)
		return;
	va_start(ap, fmt);
	vsnprintf(ko->log_buf + n, ko->log_size - n, fmt, ap);
	va_end(ap);
	/* One line. */
	for (char *p = ko->log_buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static bool kern_skip_line(const char *s, size_t n)
{
	static const char *const noise[] = {"processed ", "verification time ", "stack depth "};
	if (!n)
		return true;
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (n >= strlen(noise[i]) && !strncmp(s, noise[i], strlen(noise[i])))
			return true;
	return false;
}

void kern_log_tail(const char *log, char *out, size_t size)
{
	const char *end, *lines[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};
	int got = 0;

	out[0] = 0;
	if (!log || !size)
		return;
	end = log + strlen(log);
	/* The last two meaningful lines, walking backwards. */
	while (end > log && got < 2) {
		const char *e = end, *s;
		while (e > log && (e[-1] == '\n' || e[-1] == ' '))
			e--;
		s = e;
		while (s > log && s[-1] != '\n')
			s--;
		if (e > s && !kern_skip_line(s, (size_t)(e - s))) {
			lines[1 - got] = s;
			lens[1 - got] = (size_t)(e - s);
			got++;
		}
		end = s;
	}
	if (got == 2)
		snprintf(out, size, "%.*s | %.*s", (int)lens[0], lines[0], (int)lens[1], lines[1]);
	else if (got == 1)
		snprintf(out, size, "%.*s", (int)lens[1], lines[1]);
}

/* Kernel object names: at most 15 characters of [A-Za-z0-9_.]. */
static void kern_obj_name(char out[16], const char *name)
{
	size_t i;
	for (i = 0; i < 15 && name && name[i]; i++) {
		char c = name[i];
		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				 c == '_' || c == '.'
			     ? c
			     : '_';
	}
	out[i] = 0;
}

static bool kern_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

int userbpf_kernel_nr_cpus(void)
{
	return libbpf_num_possible_cpus();
}

int userbpf_kernel_available(char *why, size_t size)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[2] = {{.code = 0xb7}, {.code = 0x95}};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns, 2, NULL);
	if (fd < 0) {
		int err = errno;
		if (why && size)
			snprintf(why, size, "bpf() refused: %s", strerror(err));
		return 0;
	}
	close(fd);
	if (why && size)
		why[0] = 0;
	return 1;
}

/* ---- maps ---- */

static int kern_create_one(struct userbpf_kobject *ko, const struct userbpf_object_map *d, int inner_fd,
			   const char *what)
{
	uint32_t type = userbpf_object_map__type(d), max = userbpf_object_map__max_entries(d);
	uint32_t kid = userbpf_object_map__btf_key_type_id(d), vid = userbpf_object_map__btf_value_type_id(d);
	char name[16];
	int fd, err;

	kern_obj_name(name, userbpf_object_map__name(d));
	if (type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !max) {
		int n = libbpf_num_possible_cpus();
		max = n > 0 ? (uint32_t)n : 1;
	}
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = userbpf_object_map__map_flags(d),
		    .map_extra = userbpf_object_map__map_extra(d),
		    .inner_map_fd = inner_fd >= 0 ? (uint32_t)inner_fd : 0);
	if (ko->btf_fd >= 0 && vid) {
		o.btf_fd = (uint32_t)ko->btf_fd;
		o.btf_key_type_id = kid;
		o.btf_value_type_id = vid;
	}
	fd = bpf_map_create((enum bpf_map_type)type, name, userbpf_object_map__key_size(d),
			    userbpf_object_map__value_size(d), max, &o);
	if (fd < 0 && o.btf_fd) {
		/* As libbpf: try again without type information. */
		err = errno;
		o.btf_fd = o.btf_key_type_id = o.btf_value_type_id = 0;
		fd = bpf_map_create((enum bpf_map_type)type, name, userbpf_object_map__key_size(d),
				    userbpf_object_map__value_size(d), max, &o);
		if (fd < 0)
			errno = err;
	}
	if (fd < 0) {
		err = errno;
		kern_err(ko,
			 "%s '%s' (type %u %s, key %u, value %u, max_entries %u, flags 0x%x): "
			 "BPF_MAP_CREATE refused: %s (errno %d)",
			 what, userbpf_object_map__name(d), type,
			 userbpf_map_type_name((enum userbpf_map_type)type)
			     ? userbpf_map_type_name((enum userbpf_map_type)type)
			     : "?",
			 userbpf_object_map__key_size(d), userbpf_object_map__value_size(d), max,
			 userbpf_object_map__map_flags(d), strerror(err), err);
		return -err;
	}
	return fd;
}

static int kern_create_maps(struct userbpf_kobject *ko, const struct userbpf_object *obj)
{
	for (size_t i = 0; i < ko->nr_maps; i++) {
		const struct userbpf_object_map *d = userbpf_object__map_by_index(obj, i);
		const struct userbpf_object_map *inner = userbpf_object_map__inner_map(d);
		struct kern_map *m = &ko->maps[i];
		const void *init;
		size_t init_size;
		int inner_fd = -1, err;

		m->type = userbpf_object_map__type(d);
		m->key_size = userbpf_object_map__key_size(d);
		m->value_size = userbpf_object_map__value_size(d);
		m->name = strdup(userbpf_object_map__name(d));
		if (!m->name)
			return -ENOMEM;
		if (inner) {
			inner_fd = kern_create_one(ko, inner, -1, "inner map of");
			if (inner_fd < 0)
				return inner_fd;
		}
		m->fd = kern_create_one(ko, d, inner_fd, "map");
		/* The outer map keeps what it needs of the template. */
		if (inner_fd >= 0)
			close(inner_fd);
		if (m->fd < 0)
			return m->fd;
		if (!userbpf_object_map__is_global_data(d))
			continue;
		init = userbpf_object_map__initial_value(d, &init_size);
		if (init && init_size) {
			uint32_t zero = 0;
			if (bpf_map_update_elem(m->fd, &zero, init, BPF_ANY) < 0) {
				err = errno;
				kern_err(ko, "map '%s': setting its initial contents: %s (errno %d)", m->name,
					 strerror(err), err);
				return -err;
			}
		}
		if ((userbpf_object_map__map_flags(d) & BPF_F_RDONLY_PROG) && bpf_map_freeze(m->fd) < 0) {
			err = errno;
			kern_err(ko, "map '%s': BPF_MAP_FREEZE refused: %s (errno %d)", m->name,
				 strerror(err), err);
			return -err;
		}
	}
	return 0;
}

/* Initial `values` slots: map-in-map ones before the programs load, prog_array ones after. */
static int kern_fill_slots(struct userbpf_kobject *ko, const struct userbpf_object *obj, bool progs)
{
	for (size_t i = 0; i < ko->nr_maps; i++) {
		const struct userbpf_object_map *d = userbpf_object__map_by_index(obj, i);
		size_t n = userbpf_object_map__slot_cnt(d);
		for (size_t s = 0; s < n; s++) {
			const struct userbpf_object_map *tm;
			const struct userbpf_program *tp;
			const char *tname;
			uint32_t key;
			int fd, err;

			if (userbpf_object_map__slot(d, s, &key, &tm, &tp))
				continue;
			if (progs != (tp != NULL))
				continue;
			if (tp) {
				const struct userbpf_program *p;
				size_t pi = 0;
				userbpf_object__for_each_program(p, obj)
				{
					if (p == tp)
						break;
					pi++;
				}
				tname = userbpf_program__name(tp);
				fd = pi < ko->nr_progs ? ko->progs[pi].fd : -1;
				if (fd < 0) {
					kern_err(ko,
						 "map '%s': values[%u] = program '%s' which is not loaded",
						 ko->maps[i].name, key, tname);
					return -ENOENT;
				}
			} else {
				tname = userbpf_object_map__name(tm);
				fd = ko->maps[userbpf_object_map__index(tm)].fd;
			}
			if (bpf_map_update_elem(ko->maps[i].fd, &key, &fd, BPF_ANY) < 0) {
				err = errno;
				kern_err(ko, "map '%s': values[%u] = '%s' refused: %s (errno %d)",
					 ko->maps[i].name, key, tname, strerror(err), err);
				return -err;
			}
		}
	}
	return 0;
}

/* ---- programs ---- */

static int kern_cmp_func(const void *a, const void *b)
{
	const struct bpf_func_info *x = a, *y = b;
	return x->insn_off < y->insn_off ? -1 : x->insn_off > y->insn_off;
}

/*
 * Func and line info of a program, as the kernel checks them: func info for every function (or none),
 * line info strictly increasing, never on the second slot of an lddw, one record at each function's
 * start (or none at all).
 */
static void kern_btf_info(const struct userbpf_program *p, const struct bpf_insn *insns, size_t cnt,
			  struct bpf_func_info **fi, uint32_t *nfi, struct bpf_line_info **li, uint32_t *nli)
{
	size_t nf = userbpf_program__func_cnt(p), nl = userbpf_program__line_info_cnt(p), k = 0;
	struct bpf_func_info *f = nf ? calloc(nf, sizeof(*f)) : NULL;
	struct bpf_line_info *l = nl ? calloc(nl, sizeof(*l)) : NULL;
	bool *second = nl ? calloc(cnt ? cnt : 1, sizeof(*second)) : NULL;

	/* Second slots of lddw instructions. */
	for (size_t i = 0; second && i + 1 < cnt; i++)
		if (insns[i].code == KERN_LDDW)
			second[++i] = true;
	*fi = NULL;
	*li = NULL;
	*nfi = *nli = 0;
	for (size_t i = 0; f && i < nf; i++) {
		size_t off;
		uint32_t tid;
		if (userbpf_program__func(p, i, NULL, &off, NULL, &tid) || !tid) {
			free(f);
			free(l);
			free(second);
			return;
		}
		f[i].insn_off = (uint32_t)off;
		f[i].type_id = tid;
	}
	if (!f) {
		free(l);
		free(second);
		return;
	}
	qsort(f, nf, sizeof(*f), kern_cmp_func);
	*fi = f;
	*nfi = (uint32_t)nf;
	for (size_t i = 0; l && i < nl; i++) {
		struct userbpf_line_info_rec r;
		if (userbpf_program__line_info_rec(p, i, &r) || r.insn_off >= cnt)
			continue;
		if (k && r.insn_off <= l[k - 1].insn_off)
			continue;
		if (second && second[r.insn_off])
			continue;
		l[k].insn_off = r.insn_off;
		l[k].file_name_off = r.file_name_off;
		l[k].line_off = r.line_off;
		l[k].line_col = r.line_col;
		k++;
	}
	/* Every function needs a record at its first instruction. */
	for (size_t i = 0; l && i < nf; i++) {
		bool found = false;
		for (size_t j = 0; j < k && !found; j++)
			found = l[j].insn_off == f[i].insn_off;
		if (!found)
			k = 0;
	}
	if (l && k) {
		*li = l;
		*nli = (uint32_t)k;
	} else {
		free(l);
	}
	free(second);
}

/* Sleepable, by libbpf's section conventions: `syscall` programs, and `*.s` / `*.s/...` sections. */
static bool kern_sleepable(const struct userbpf_program *p)
{
	const char *sec = userbpf_program__section_name(p), *slash;
	size_t n;
	if (userbpf_program__type(p) == USERBPF_PROG_TYPE_SYSCALL)
		return true;
	if (!sec)
		return false;
	slash = strchr(sec, '/');
	n = slash ? (size_t)(slash - sec) : strlen(sec);
	return n > 2 && sec[n - 2] == '.' && sec[n - 1] == 's';
}

/* The section's word before any '/' is `word`, or `word` followed by '.' and more (xdp.frags/...). */
static bool kern_sec_is(const char *sec, const char *word)
{
	size_t n = strlen(word);
	return sec && !strncmp(sec, word, n) && (!sec[n] || sec[n] == '/');
}

/*
 * Programs attached through the kernel's BTF name their target after the '/': fentry/fexit/fmod_ret
 * a function, tp_btf a raw tracepoint (typedef btf_trace_NAME), lsm a hook (bpf_lsm_NAME), iter an
 * iterator (bpf_iter_NAME). Their attach_btf_id is that type's id in vmlinux BTF: 0, or -errno
 * with the reason logged.
 */
static int kern_attach_btf_id(struct userbpf_kobject *ko, const struct userbpf_program *p, uint32_t *id)
{
	enum userbpf_prog_type type = userbpf_program__type(p);
	uint32_t attach = userbpf_program__expected_attach_type(p);
	const char *sec = userbpf_program__section_name(p), *target = sec ? strchr(sec, '/') : NULL;
	const char *prefix = "";
	char name[256];
	int kind = BTF_KIND_FUNC, r;

	*id = 0;
	if (type != USERBPF_PROG_TYPE_TRACING && type != USERBPF_PROG_TYPE_LSM)
		return 0;
	if (!target || !target[1]) {
		kern_err(ko, "program '%s' (section '%s'): no attach target after '/' in the section name",
			 userbpf_program__name(p), sec ? sec : "?");
		return -EINVAL;
	}
	target++;
	if (type == USERBPF_PROG_TYPE_LSM) {
		prefix = "bpf_lsm_";
	} else if (attach == BPF_TRACE_RAW_TP) {
		prefix = "btf_trace_";
		kind = BTF_KIND_TYPEDEF;
	} else if (attach == BPF_TRACE_ITER) {
		prefix = "bpf_iter_";
	}
	snprintf(name, sizeof(name), "%s%s", prefix, target);
	if (!ko->vmlinux) {
		ko->vmlinux = btf__load_vmlinux_btf();
		if (!ko->vmlinux) {
			r = -errno;
			kern_err(ko,
				 "program '%s': attach target '%s' needs the kernel's BTF, which cannot be "
				 "read: %s",
				 userbpf_program__name(p), name, strerror(-r));
			return r;
		}
	}
	r = btf__find_by_name_kind(ko->vmlinux, name, kind);
	if (r <= 0) {
		kern_err(ko, "program '%s' (section '%s'): attach target '%s' is not in the kernel's BTF",
			 userbpf_program__name(p), sec, name);
		return -ESRCH;
	}
	*id = (uint32_t)r;
	return 0;
}

static int kern_load_prog(struct userbpf_kobject *ko, const struct userbpf_object *obj,
			  const struct userbpf_program *p, struct kern_prog *kp,
			  const struct userbpf_kobject_opts *o)
{
	size_t cnt = userbpf_program__insn_cnt(p);
	const struct userbpf_insn *src = userbpf_program__insns(p);
	struct bpf_insn *insns = malloc((cnt ? cnt : 1) * sizeof(*insns));
	struct bpf_func_info *fi = NULL;
	struct bpf_line_info *li = NULL;
	uint32_t nfi = 0, nli = 0, level = o->verifier_log_level ? o->verifier_log_level : 4;
	size_t log_size = o->verifier_log_size ? o->verifier_log_size : KERN_LOG_DEFAULT;
	char name[16], tail[400];
	uint32_t attach_btf_id = 0;
	int fd, err = 0;

	if (!insns)
		return -ENOMEM;
	if (userbpf_program__type(p) == USERBPF_PROG_TYPE_UNSPEC ||
	    (unsigned)userbpf_program__type(p) >= 0x10000 /* USERBPF_PROG_TYPE_HOOK: userbpf's own */) {
		/* libbpf refuses these too: the kernel has no type to load them as. */
		kern_err(ko, "program '%s' (section '%s'): %s; turn its autoload off to load the rest",
			 userbpf_program__name(p), userbpf_program__section_name(p),
			 userbpf_program__type(p)
			     ? "host hooks exist only in userbpf, not in the kernel"
			     : "no program type (section name unknown to libbpf's conventions)");
		free(insns);
		return -EINVAL;
	}
	if ((err = kern_attach_btf_id(ko, p, &attach_btf_id))) {
		free(insns);
		return err;
	}
	memcpy(insns, src, cnt * sizeof(*insns));
	/* Map references by index become map fds. */
	for (size_t i = 0; i < cnt; i++) {
		if (insns[i].code != KERN_LDDW)
			continue;
		if (i + 1 >= cnt)
			break;
		if (insns[i].src_reg == KERN_PSEUDO_MAP_IDX ||
		    insns[i].src_reg == KERN_PSEUDO_MAP_IDX_VALUE) {
			uint32_t idx = (uint32_t)insns[i].imm;
			if (idx >= ko->nr_maps) {
				kern_err(ko, "program '%s' insn %zu: map index %u does not exist",
					 userbpf_program__name(p), i, idx);
				free(insns);
				return -EINVAL;
			}
			insns[i].src_reg = insns[i].src_reg == KERN_PSEUDO_MAP_IDX ? KERN_PSEUDO_MAP_FD
										   : KERN_PSEUDO_MAP_VALUE;
			insns[i].imm = ko->maps[idx].fd;
		}
		i++;
	}
	if (ko->btf_fd >= 0)
		kern_btf_info(p, insns, cnt, &fi, &nfi, &li, &nli);
	kern_obj_name(name, userbpf_program__name(p));

	for (;;) {
		free(kp->log);
		kp->log = malloc(log_size);
		if (!kp->log) {
			err = -ENOMEM;
			break;
		}
		kp->log[0] = 0;
		LIBBPF_OPTS(bpf_prog_load_opts, lo,
			    .expected_attach_type =
				(enum bpf_attach_type)userbpf_program__expected_attach_type(p),
			    .kern_version = userbpf_object__kversion(obj), .log_level = level,
			    .log_buf = kp->log, .log_size = (uint32_t)log_size);
		if (ko->btf_fd >= 0 && nfi) {
			lo.prog_btf_fd = (uint32_t)ko->btf_fd;
			lo.func_info = fi;
			lo.func_info_cnt = nfi;
			lo.func_info_rec_size = sizeof(*fi);
			lo.line_info = li;
			lo.line_info_cnt = nli;
			lo.line_info_rec_size = nli ? sizeof(*li) : 0;
		}
		lo.prog_flags = kern_sleepable(p) ? BPF_F_SLEEPABLE : 0;
		if (userbpf_program__type(p) == USERBPF_PROG_TYPE_XDP &&
		    kern_sec_is(userbpf_program__section_name(p), "xdp.frags"))
			lo.prog_flags |= BPF_F_XDP_HAS_FRAGS;
		lo.attach_btf_id = attach_btf_id;
		fd = bpf_prog_load((enum bpf_prog_type)userbpf_program__type(p), name,
				   userbpf_object__license(obj), insns, cnt, &lo);
		if (fd >= 0) {
			kp->fd = fd;
			break;
		}
		err = -errno;
		if (err == -ENOSPC && log_size < KERN_LOG_MAX) {
			log_size *= 2;
			continue;
		}
		/* Refused: keep the tail of the level-1 log, report the first errno. */
		if (!(level & 1)) {
			char *full = malloc(KERN_LOG_FAIL);
			if (full) {
				full[0] = 0;
				lo.log_level = 1;
				lo.log_buf = full;
				lo.log_size = KERN_LOG_FAIL;
				fd = bpf_prog_load((enum bpf_prog_type)userbpf_program__type(p), name,
						   userbpf_object__license(obj), insns, cnt, &lo);
				if (fd >= 0)
					close(fd); /* loads at level 1 but not at `level`: report the first */
				free(kp->log);
				kp->log = full;
			}
		}
		kern_log_tail(kp->log, tail, sizeof(tail));
		kern_err(ko,
			 "program '%s' (section '%s', type %s%s): BPF_PROG_LOAD refused: %s (errno %d)%s%s",
			 userbpf_program__name(p), userbpf_program__section_name(p),
			 userbpf_prog_type_name(userbpf_program__type(p))
			     ? userbpf_prog_type_name(userbpf_program__type(p))
			     : "?",
			 attach_btf_id ? ", attach target in kernel BTF" : "", strerror(-err), -err,
			 tail[0] ? ": " : "", tail);
		break;
	}
	free(insns);
	free(fi);
	free(li);
	return kp->fd >= 0 ? 0 : err;
}

/* ---- object ---- */

void userbpf_kobject__close(struct userbpf_kobject *ko)
{
	if (!ko)
		return;
	for (size_t i = 0; ko->progs && i < ko->nr_progs; i++) {
		if (ko->progs[i].fd >= 0)
			close(ko->progs[i].fd);
		free(ko->progs[i].name);
		free(ko->progs[i].log);
	}
	for (size_t i = 0; ko->maps && i < ko->nr_maps; i++) {
		if (ko->maps[i].fd >= 0)
			close(ko->maps[i].fd);
		free(ko->maps[i].name);
	}
	if (ko->btf_fd >= 0)
		close(ko->btf_fd);
	btf__free(ko->vmlinux);
	free(ko->progs);
	free(ko->maps);
	free(ko);
}

struct userbpf_kobject *userbpf_kobject__load(const struct userbpf_object *obj,
					      const struct userbpf_kobject_opts *opts)
{
	struct userbpf_kobject_opts o = {0};
	struct userbpf_kobject *ko;
	const struct userbpf_program *p;
	size_t i;
	int err = 0;

	if (opts) {
		if (opts->sz < sizeof(size_t))
			goto inval;
		for (size_t b = sizeof(o); b < opts->sz; b++)
			if (((const char *)opts)[b])
				goto inval;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	if (o.log_buf && o.log_size)
		o.log_buf[0] = 0;
	if (!obj)
		goto inval;
	ko = calloc(1, sizeof(*ko));
	if (!ko) {
		errno = ENOMEM;
		return NULL;
	}
	snprintf(ko->name, sizeof(ko->name), "%s", userbpf_object__name(obj));
	ko->log_buf = o.log_buf;
	ko->log_size = o.log_buf ? o.log_size : 0;
	ko->btf_fd = -1;
	ko->nr_maps = userbpf_object__map_cnt(obj);
	ko->nr_progs = userbpf_object__program_cnt(obj);
	ko->maps = calloc(ko->nr_maps ? ko->nr_maps : 1, sizeof(*ko->maps));
	ko->progs = calloc(ko->nr_progs ? ko->nr_progs : 1, sizeof(*ko->progs));
	if (!ko->maps || !ko->progs) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < ko->nr_maps; i++)
		ko->maps[i].fd = -1;
	i = 0;
	userbpf_object__for_each_program(p, obj)
	{
		ko->progs[i].fd = -1;
		ko->progs[i].name = strdup(userbpf_program__name(p));
		if (!ko->progs[i].name) {
			err = -ENOMEM;
			goto fail;
		}
		i++;
	}

	if (!o.no_btf) {
		char why[400] = "";
		err = kern_btf_load(obj, &ko->btf_fd, why, sizeof(why));
		if (err) {
			kern_err(ko, "%s", why[0] ? why : strerror(-err));
			goto fail;
		}
	}
	if ((err = kern_create_maps(ko, obj)) || (err = kern_fill_slots(ko, obj, false)))
		goto fail;
	i = 0;
	userbpf_object__for_each_program(p, obj)
	{
		if (userbpf_program__autoload(p) && (err = kern_load_prog(ko, obj, p, &ko->progs[i], &o)))
			goto fail;
		i++;
	}
	if ((err = kern_fill_slots(ko, obj, true)))
		goto fail;
	btf__free(ko->vmlinux);
	ko->vmlinux = NULL;
	ko->log_buf = NULL;
	ko->log_size = 0;
	return ko;
fail:
	if (err == -ENOMEM)
		kern_err(ko, "out of memory");
	userbpf_kobject__close(ko);
	errno = -err;
	return NULL;
inval:
	if (o.log_buf && o.log_size)
		snprintf(o.log_buf, o.log_size, "userbpf_kobject__load: bad arguments");
	errno = EINVAL;
	return NULL;
}

static const struct kern_prog *kern_find_prog(const struct userbpf_kobject *ko, const char *name)
{
	for (size_t i = 0; ko && name && i < ko->nr_progs; i++)
		if (!strcmp(ko->progs[i].name, name))
			return &ko->progs[i];
	return NULL;
}

static const struct kern_map *kern_find_map(const struct userbpf_kobject *ko, const char *name)
{
	for (size_t i = 0; ko && name && i < ko->nr_maps; i++)
		if (!strcmp(ko->maps[i].name, name))
			return &ko->maps[i];
	return NULL;
}

int userbpf_kobject__prog_fd(const struct userbpf_kobject *ko, const char *name)
{
	const struct kern_prog *p = kern_find_prog(ko, name);
	return p && p->fd >= 0 ? p->fd : -ENOENT;
}

int userbpf_kobject__map_fd(const struct userbpf_kobject *ko, const char *name)
{
	const struct kern_map *m = kern_find_map(ko, name);
	return m ? m->fd : -ENOENT;
}

int userbpf_kobject__btf_fd(const struct userbpf_kobject *ko)
{
	return ko && ko->btf_fd >= 0 ? ko->btf_fd : -ENOENT;
}

const char *userbpf_kobject__verifier_log(const struct userbpf_kobject *ko, const char *name)
{
	const struct kern_prog *p = kern_find_prog(ko, name);
	if (!p) {
		errno = ENOENT;
		return NULL;
	}
	return p->log ? p->log : "";
}

int userbpf_kobject__test_run(const struct userbpf_kobject *ko, const char *prog_name,
			      struct userbpf_ktest_run_opts *opts)
{
	const struct kern_prog *p = kern_find_prog(ko, prog_name);
	int err;

	if (!opts || opts->sz < offsetof(struct userbpf_ktest_run_opts, err_size) + sizeof(size_t))
		return -EINVAL;
	if (!p || p->fd < 0) {
		if (opts->err_buf && opts->err_size)
			snprintf(opts->err_buf, opts->err_size, "%s: no loaded program '%s'",
				 ko ? ko->name : "?", prog_name ? prog_name : "(null)");
		return -ENOENT;
	}
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = opts->data_in, .data_size_in = opts->data_size_in,
		    .data_out = opts->data_out, .data_size_out = opts->data_out ? opts->data_size_out : 0,
		    .ctx_in = opts->ctx_in, .ctx_size_in = opts->ctx_size_in, .ctx_out = opts->ctx_out,
		    .ctx_size_out = opts->ctx_out ? opts->ctx_size_out : 0, .repeat = (int)opts->repeat,
		    .flags = opts->flags, .cpu = opts->cpu);
	err = bpf_prog_test_run_opts(p->fd, &t);
	if (err < 0) {
		err = -errno;
		if (opts->err_buf && opts->err_size)
			snprintf(opts->err_buf, opts->err_size,
				 "%s: program '%s': BPF_PROG_TEST_RUN refused: %s (errno %d)", ko->name,
				 prog_name, strerror(-err), -err);
		return err;
	}
	opts->retval = t.retval;
	opts->duration = t.duration;
	opts->data_size_out = opts->data_out ? t.data_size_out : 0;
	opts->ctx_size_out = opts->ctx_out ? t.ctx_size_out : 0;
	return 0;
}

long userbpf_kobject__map_value_size(const struct userbpf_kobject *ko, const char *name)
{
	const struct kern_map *m = kern_find_map(ko, name);
	int ncpu;
	if (!m)
		return -ENOENT;
	if (!kern_percpu(m->type))
		return m->value_size;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0)
		return ncpu;
	return (long)((m->value_size + 7) & ~7u) * ncpu;
}

/* The libbpf calls return -1 with errno (older) or -errno (1.x): make it -errno either way. */
static int kern_ret(int r)
{
	return r < 0 ? -errno : r;
}

int userbpf_kobject__map_lookup(const struct userbpf_kobject *ko, const char *name, const void *key,
				void *value)
{
	const struct kern_map *m = kern_find_map(ko, name);
	return m ? kern_ret(bpf_map_lookup_elem(m->fd, key, value)) : -ENOENT;
}

int userbpf_kobject__map_update(const struct userbpf_kobject *ko, const char *name, const void *key,
				const void *value, uint64_t flags)
{
	const struct kern_map *m = kern_find_map(ko, name);
	return m ? kern_ret(bpf_map_update_elem(m->fd, key, value, flags)) : -ENOENT;
}

int userbpf_kobject__map_delete(const struct userbpf_kobject *ko, const char *name, const void *key)
{
	const struct kern_map *m = kern_find_map(ko, name);
	return m ? kern_ret(bpf_map_delete_elem(m->fd, key)) : -ENOENT;
}

int userbpf_kobject__map_lookup_and_delete(const struct userbpf_kobject *ko, const char *name,
					   const void *key, void *value)
{
	const struct kern_map *m = kern_find_map(ko, name);
	return m ? kern_ret(bpf_map_lookup_and_delete_elem(m->fd, key, value)) : -ENOENT;
}

int userbpf_kobject__map_get_next_key(const struct userbpf_kobject *ko, const char *name, const void *key,
				      void *next_key)
{
	const struct kern_map *m = kern_find_map(ko, name);
	return m ? kern_ret(bpf_map_get_next_key(m->fd, key, next_key)) : -ENOENT;
}
