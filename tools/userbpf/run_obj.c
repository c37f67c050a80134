/*
 * run_obj.c - `userbpf run OBJ --prog NAME`: one program of an ELF object run once (or --repeat N
 * times) on one input, as the kernel's BPF_PROG_TEST_RUN does, then everything it left behind: the
 * return value, trace output, ring buffer and perf event records, and the final contents of every
 * map, keys and values printed by their BTF types (hex without them), per-CPU values per slot.
 * A packet program (its section's type is XDP, TC, socket filter or cgroup skb) runs through a
 * packet runner: the input is the packet (data_in), and the verdict and packet out are reported;
 * with --kernel through the kernel's twin (kpkt.c), so both reports mean the same. Loading and the
 * map report are shared with run_pcap.c (run_obj.h).
 *
 * The report is built from a `struct run_result` and maps seen through `struct map_view`, so the
 * same printing serves the userbpf run and the kernel's (--kernel).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "obj.h"
#include "run_obj.h"
#include "userbpf/kernel.h"
#include "userbpf/packet.h"

/* ---------------------------------------------------------------------------------------------- */
/* Maps as the report sees them                                                                     */

struct map_view;
struct run_ctx;

struct map_ops {
	int (*get_next_key)(const struct map_view *v, const void *key, void *next);
	int (*lookup)(const struct map_view *v, const void *key, void *value);
	/* queue/stack: take the next value (-ENOENT when empty) */
	int (*pop)(const struct map_view *v, void *value);
	/* ringbuf: records in order; perf event array: records with their slot */
	int (*ringbuf_consume)(const struct map_view *v, userbpf_ring_sample_fn fn, void *cookie);
	int (*perf_consume)(const struct map_view *v, userbpf_perf_sample_fn fn, void *cookie);
	/* map-in-map values are ids: the object map with that id, or NULL */
	const char *(*id_name)(const struct run_ctx *rc, uint32_t id);
	unsigned int (*nr_cpus)(void);
};

struct map_view {
	const struct userbpf_object_map *def;
	const struct map_ops *ops;
	void *handle; /* struct userbpf_map *, or the backend's */
	const struct run_ctx *rc;
};

struct run_ctx {
	const struct cli_obj *o;
	const struct run_obj_args *a;
	struct json *j;
	struct userbpf_kobject *kobj; /* --kernel */
};

static bool is_percpu(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_PERCPU_ARRAY || t == USERBPF_MAP_TYPE_PERCPU_HASH ||
	       t == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool holds_ids(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_ARRAY_OF_MAPS || t == USERBPF_MAP_TYPE_HASH_OF_MAPS ||
	       t == USERBPF_MAP_TYPE_PROG_ARRAY;
}

static bool is_array(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_ARRAY || t == USERBPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == USERBPF_MAP_TYPE_PROG_ARRAY || t == USERBPF_MAP_TYPE_ARRAY_OF_MAPS;
}

/* ---- userbpf's maps ---- */

static struct userbpf_map *um(const struct map_view *v)
{
	return v->handle;
}

static int u_get_next_key(const struct map_view *v, const void *key, void *next)
{
	return userbpf_map_get_next_key(um(v), key, next);
}

static int u_lookup(const struct map_view *v, const void *key, void *value)
{
	return userbpf_map_lookup_elem(um(v), key, value);
}

static int u_pop(const struct map_view *v, void *value)
{
	return userbpf_map_lookup_and_delete_elem(um(v), NULL, value);
}

static int u_ringbuf_consume(const struct map_view *v, userbpf_ring_sample_fn fn, void *cookie)
{
	return userbpf_ringbuf_consume(um(v), fn, cookie);
}

static int u_perf_consume(const struct map_view *v, userbpf_perf_sample_fn fn, void *cookie)
{
	return userbpf_perf_consume(um(v), fn, cookie);
}

static const char *u_id_name(const struct run_ctx *rc, uint32_t id)
{
	struct userbpf_object_map *m;
	userbpf_object__for_each_map(m, rc->o->obj)
	{
		struct userbpf_map *mm = userbpf_object_map__map(m);
		if (mm && userbpf_map__id(mm) == id)
			return userbpf_object_map__name(m);
	}
	return NULL;
}

static const struct map_ops userbpf_map_ops = {
    .get_next_key = u_get_next_key,
    .lookup = u_lookup,
    .pop = u_pop,
    .ringbuf_consume = u_ringbuf_consume,
    .perf_consume = u_perf_consume,
    .id_name = u_id_name,
    .nr_cpus = userbpf_nr_cpus,
};

/* ---------------------------------------------------------------------------------------------- */
/* Printing map contents                                                                            */

struct entry {
	uint8_t *key;
	uint8_t *value;
};

static size_t key_size_g;

/* Keys in the order of their little-endian numeric value (integer keys sort as numbers). */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	for (size_t i = key_size_g; i-- > 0;)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	return 0;
}

static void free_entries(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		free(e[i].value);
	}
	free(e);
}

/* Every key and value (values of value_len bytes); sorted unless the map is an array. */
static int collect(const struct map_view *v, size_t value_len, struct entry **out, size_t *nout)
{
	uint32_t ks = userbpf_object_map__key_size(v->def);
	uint32_t max = userbpf_object_map__max_entries(v->def);
	struct entry *e = NULL;
	size_t n = 0, cap = 0, steps = 0;
	uint8_t *prev = calloc(1, ks ? ks : 1), *key = calloc(1, ks ? ks : 1);
	uint8_t *val = calloc(1, value_len ? value_len : 1);
	bool first = true;
	int err = 0;

	if (!prev || !key || !val) {
		err = -ENOMEM;
		goto out;
	}
	/* Bounded: an iteration that does not end (a map changing under us) stops at max_entries. */
	while (steps++ <= (size_t)max) {
		err = v->ops->get_next_key(v, first ? NULL : prev, key);
		if (err) {
			if (err == -ENOENT)
				err = 0;
			break;
		}
		first = false;
		memcpy(prev, key, ks);
		if (v->ops->lookup(v, key, val))
			continue; /* gone or not readable */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct entry *t = realloc(e, ncap * sizeof(*e));
			if (!t) {
				err = -ENOMEM;
				break;
			}
			e = t;
			cap = ncap;
		}
		e[n].key = malloc(ks ? ks : 1);
		e[n].value = malloc(value_len ? value_len : 1);
		if (!e[n].key || !e[n].value) {
			free(e[n].key);
			free(e[n].value);
			err = -ENOMEM;
			break;
		}
		memcpy(e[n].key, key, ks);
		memcpy(e[n].value, val, value_len);
		n++;
	}
out:
	free(prev);
	free(key);
	free(val);
	if (err) {
		free_entries(e, n);
		return err;
	}
	if (!is_array(userbpf_object_map__type(v->def)) && n > 1) {
		key_size_g = ks;
		qsort(e, n, sizeof(*e), cmp_entry);
	}
	*out = e;
	*nout = n;
	return 0;
}

static void print_id(const struct map_view *v, const uint8_t *value)
{
	const struct run_ctx *rc = v->rc;
	uint32_t id;
	memcpy(&id, value, 4);
	if (rc->j) {
		json_u64(rc->j, id);
		return;
	}
	const char *name =
	    userbpf_object_map__type(v->def) != USERBPF_MAP_TYPE_PROG_ARRAY ? v->ops->id_name(rc, id) : NULL;
	printf("id %" PRIu32 "%s%s%s", id, name ? " (" : "", name ? name : "", name ? ")" : "");
}

static void print_key(const struct map_view *v, const uint8_t *key)
{
	uint32_t ks = userbpf_object_map__key_size(v->def);
	if (is_array(userbpf_object_map__type(v->def)) && ks == 4 &&
	    !userbpf_object_map__btf_key_type_id(v->def)) {
		uint32_t idx; /* array keys are u32 indices */
		memcpy(&idx, key, 4);
		if (v->rc->j)
			json_u64(v->rc->j, idx);
		else
			printf("%" PRIu32, idx);
		return;
	}
	cli_print_value(v->rc->o, userbpf_object_map__btf_key_type_id(v->def), key, ks, stdout, v->rc->j);
}

static void print_val(const struct map_view *v, const uint8_t *val)
{
	uint32_t vs = userbpf_object_map__value_size(v->def);
	if (holds_ids(userbpf_object_map__type(v->def)) && vs == 4)
		print_id(v, val);
	else
		cli_print_value(v->rc->o, userbpf_object_map__btf_value_type_id(v->def), val, vs, stdout,
				v->rc->j);
}

/* Global data with a DATASEC type: one variable per line. */
struct var_lines {
	const struct run_ctx *rc;
	const uint8_t *data;
};

static void print_var_line(void *cookie, const char *name, uint32_t type_id, uint32_t off, uint32_t size)
{
	struct var_lines *vl = cookie;
	printf("  %s = ", name);
	cli_print_value(vl->rc->o, type_id, vl->data + off, size, stdout, NULL);
	printf("\n");
}

static void dump_entries(const struct map_view *v)
{
	const struct run_ctx *rc = v->rc;
	struct json *j = rc->j;
	enum userbpf_map_type type = userbpf_object_map__type(v->def);
	uint32_t vs = userbpf_object_map__value_size(v->def);
	size_t slot = ((size_t)vs + 7) / 8 * 8;
	unsigned int ncpu = is_percpu(type) ? v->ops->nr_cpus() : 1;
	size_t value_len = is_percpu(type) ? slot * ncpu : vs;
	struct entry *e = NULL;
	size_t n = 0;
	int err = collect(v, value_len, &e, &n);

	if (err) {
		if (j) {
			json_key(j, "error");
			json_str(j, strerror(-err));
		} else {
			printf("map %s: cannot read it: %s\n", userbpf_object_map__name(v->def),
			       strerror(-err));
		}
		return;
	}
	if (j) {
		json_key(j, "entries");
		json_arr_begin(j);
		for (size_t i = 0; i < n; i++) {
			json_obj_begin(j);
			json_key(j, "key");
			print_key(v, e[i].key);
			if (is_percpu(type)) {
				json_key(j, "values");
				json_arr_begin(j);
				for (unsigned c = 0; c < ncpu; c++)
					print_val(v, e[i].value + slot * c);
				json_arr_end(j);
			} else {
				json_key(j, "value");
				print_val(v, e[i].value);
			}
			json_obj_end(j);
		}
		json_arr_end(j);
		free_entries(e, n);
		return;
	}
	{
		char tb[32];
		const char *tn = userbpf_map_type_name(type);
		if (!tn) {
			snprintf(tb, sizeof(tb), "type %u", (unsigned)type);
			tn = tb;
		}
		printf("map %s (%s%s, %zu entr%s):\n", userbpf_object_map__name(v->def), tn,
		       userbpf_object_map__is_global_data(v->def) ? ", global data" : "", n,
		       n == 1 ? "y" : "ies");
	}
	for (size_t i = 0; i < n; i++) {
		if (userbpf_object_map__is_global_data(v->def) && n == 1) {
			struct var_lines vl = {.rc = rc, .data = e[i].value};
			if (cli_datasec_vars(rc->o, userbpf_object_map__btf_value_type_id(v->def), vs,
					     print_var_line, &vl) >= 0)
				continue;
		}
		printf("  ");
		print_key(v, e[i].key);
		if (is_percpu(type)) {
			printf(":\n");
			for (unsigned c = 0; c < ncpu; c++) {
				printf("    cpu%u: ", c);
				print_val(v, e[i].value + slot * c);
				printf("\n");
			}
		} else {
			printf(": ");
			print_val(v, e[i].value);
			printf("\n");
		}
	}
	free_entries(e, n);
}

/* Queue and stack: their values in the order they come out (the dump empties them). */
static void dump_popped(const struct map_view *v)
{
	struct json *j = v->rc->j;
	uint32_t vs = userbpf_object_map__value_size(v->def);
	uint32_t max = userbpf_object_map__max_entries(v->def);
	uint8_t *val = calloc(1, vs ? vs : 1);
	uint8_t *all = calloc((size_t)max + 1, vs ? vs : 1);
	size_t n = 0;

	if (!val || !all) {
		free(val);
		free(all);
		return;
	}
	while (n < max && v->ops->pop(v, all + n * vs) == 0)
		n++;
	if (j) {
		json_key(j, "values");
		json_arr_begin(j);
		for (size_t i = 0; i < n; i++)
			print_val(v, all + i * vs);
		json_arr_end(j);
	} else {
		printf("map %s (%s, %zu value%s, in the order they come out):\n",
		       userbpf_object_map__name(v->def),
		       userbpf_map_type_name(userbpf_object_map__type(v->def)), n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			printf("  ");
			print_val(v, all + i * vs);
			printf("\n");
		}
	}
	free(val);
	free(all);
}

static bool has_records(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_RINGBUF || t == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

static void dump_map(const struct map_view *v)
{
	struct json *j = v->rc->j;
	enum userbpf_map_type type = userbpf_object_map__type(v->def);

	if (j) {
		json_obj_begin(j);
		json_kv_str(j, "name", userbpf_object_map__name(v->def));
		json_kv_str(j, "type", userbpf_map_type_name(type));
		json_kv_bool(j, "global_data", userbpf_object_map__is_global_data(v->def));
	}
	if (type == USERBPF_MAP_TYPE_QUEUE || type == USERBPF_MAP_TYPE_STACK) {
		dump_popped(v);
	} else if (type == USERBPF_MAP_TYPE_BLOOM_FILTER) {
		if (j) {
			json_key(j, "entries");
			json_null(j);
		} else {
			printf("map %s (bloom_filter): not iterable\n", userbpf_object_map__name(v->def));
		}
	} else {
		dump_entries(v);
	}
	if (j)
		json_obj_end(j);
}

/* ---- ring buffer and perf event records ---- */

struct record {
	int cpu;
	size_t size;
	uint8_t *data;
};

struct records {
	struct record *r;
	size_t n, cap;
	int err;
};

static int add_record(struct records *rs, int cpu, const void *data, size_t size)
{
	if (rs->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 16;
		struct record *t = realloc(rs->r, ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		rs->r = t;
		rs->cap = ncap;
	}
	rs->r[rs->n].data = malloc(size ? size : 1);
	if (!rs->r[rs->n].data)
		return -ENOMEM;
	memcpy(rs->r[rs->n].data, data, size);
	rs->r[rs->n].size = size;
	rs->r[rs->n].cpu = cpu;
	rs->n++;
	return 0;
}

static int on_ring_record(void *cookie, const void *data, size_t size)
{
	return add_record(cookie, -1, data, size);
}

static int on_perf_record(void *cookie, int cpu, const void *data, size_t size)
{
	return add_record(cookie, cpu, data, size);
}

/* Consume the records of one ringbuf or perf event array and print them. */
static void dump_records(const struct map_view *v)
{
	struct records rs = {0};
	struct json *j = v->rc->j;
	bool ring = userbpf_object_map__type(v->def) == USERBPF_MAP_TYPE_RINGBUF;
	int err = ring ? v->ops->ringbuf_consume(v, on_ring_record, &rs)
		       : v->ops->perf_consume(v, on_perf_record, &rs);

	if (j) {
		json_obj_begin(j);
		json_kv_str(j, "map", userbpf_object_map__name(v->def));
		json_key(j, "records");
		json_arr_begin(j);
		for (size_t i = 0; i < rs.n; i++) {
			if (ring) {
				json_hex(j, rs.r[i].data, rs.r[i].size);
				continue;
			}
			json_obj_begin(j);
			json_kv_u64(j, "cpu", (uint64_t)rs.r[i].cpu);
			json_key(j, "data");
			json_hex(j, rs.r[i].data, rs.r[i].size);
			json_obj_end(j);
		}
		json_arr_end(j);
		if (err < 0)
			json_kv_str(j, "error", strerror(-err));
		json_obj_end(j);
	} else {
		printf("%s %s: %zu record%s%s%s\n", ring ? "ringbuf" : "perf_event_array",
		       userbpf_object_map__name(v->def), rs.n, rs.n == 1 ? "" : "s",
		       err < 0 ? ", then: " : "", err < 0 ? strerror(-err) : "");
		for (size_t i = 0; i < rs.n; i++) {
			if (ring)
				printf("  %zu bytes: ", rs.r[i].size);
			else
				printf("  cpu%d, %zu bytes: ", rs.r[i].cpu, rs.r[i].size);
			cli_print_hex(stdout, rs.r[i].data, rs.r[i].size);
			printf("\n");
		}
	}
	for (size_t i = 0; i < rs.n; i++)
		free(rs.r[i].data);
	free(rs.r);
}

/* ---------------------------------------------------------------------------------------------- */
/* The report                                                                                       */

struct run_result {
	uint64_t retval;
	uint64_t runs;
	double ns_per_run;
	const uint8_t *data_in, *data_out;
	size_t data_len;
	/* Trace output, one line each; nr_trace 0 with has_trace false means no trace stream. */
	char **trace;
	size_t nr_trace;
	bool has_trace;
	bool trace_off; /* runs after the first: their lines are not kept */
	const char *backend;
	/* Packet programs (loaded with a packet type): the verdict, and the packet out of its own length. */
	bool is_packet;
	enum userbpf_pkt_action action;
	size_t out_len;
};

/*
 * What every map holds after the run: ring buffer and perf event records (consumed), then the
 * contents of every other map. Text, or with j the JSON members "ringbuf", "perf_events" and "maps"
 * of the object being written.
 */
static void report_maps(struct json *j, struct map_view *views, size_t nviews)
{
	if (j) {
		json_key(j, "ringbuf");
		json_arr_begin(j);
		for (size_t i = 0; i < nviews; i++)
			if (userbpf_object_map__type(views[i].def) == USERBPF_MAP_TYPE_RINGBUF)
				dump_records(&views[i]);
		json_arr_end(j);
		json_key(j, "perf_events");
		json_arr_begin(j);
		for (size_t i = 0; i < nviews; i++)
			if (userbpf_object_map__type(views[i].def) == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
				dump_records(&views[i]);
		json_arr_end(j);
		json_key(j, "maps");
		json_arr_begin(j);
		for (size_t i = 0; i < nviews; i++)
			if (!has_records(userbpf_object_map__type(views[i].def)))
				dump_map(&views[i]);
		json_arr_end(j);
		return;
	}
	for (size_t i = 0; i < nviews; i++)
		if (has_records(userbpf_object_map__type(views[i].def)))
			dump_records(&views[i]);
	for (size_t i = 0; i < nviews; i++)
		if (!has_records(userbpf_object_map__type(views[i].def)))
			dump_map(&views[i]);
}

static void report(const struct run_ctx *rc, const struct run_result *res, struct map_view *views,
		   size_t nviews)
{
	struct json *j = rc->j;
	const struct run_obj_args *a = rc->a;
	bool data_changed = res->data_len && memcmp(res->data_in, res->data_out, res->data_len) != 0;
	size_t out_len = res->data_len;

	if (res->is_packet) {
		out_len = res->out_len;
		data_changed = res->out_len != res->data_len ||
			       (res->out_len && memcmp(res->data_in, res->data_out, res->out_len) != 0);
	}

	if (j) {
		json_obj_begin(j);
		json_kv_str(j, "object", rc->o->name);
		json_kv_str(j, "program", a->prog);
		json_kv_str(j, "backend", res->backend);
		json_kv_u64(j, "retval", (uint32_t)res->retval);
		json_kv_u64(j, "repeat", res->runs);
		json_key(j, "duration_ns");
		json_double(j, res->ns_per_run);
		if (res->is_packet)
			json_kv_str(j, "verdict", userbpf_pkt_action_name(res->action));
		if (res->is_packet || res->data_len) {
			json_key(j, "data_out");
			json_hex(j, res->data_out, out_len);
		}
		json_key(j, "trace");
		if (res->has_trace) {
			json_arr_begin(j);
			for (size_t i = 0; i < res->nr_trace; i++)
				json_str(j, res->trace[i]);
			json_arr_end(j);
		} else {
			json_null(j);
		}
		report_maps(j, views, nviews);
		json_obj_end(j);
		return;
	}
	printf("retval: %" PRIu32 " (0x%" PRIx32 ")\n", (uint32_t)res->retval, (uint32_t)res->retval);
	if (res->is_packet)
		printf("verdict: %s\n", userbpf_pkt_action_name(res->action));
	if (a->repeat)
		printf("duration: %.1f ns per run (%" PRIu64 " runs)\n", res->ns_per_run, res->runs);
	if (data_changed) {
		printf("data out%s: ", res->is_packet && out_len != res->data_len ? " (length changed)" : "");
		cli_print_hex(stdout, res->data_out, out_len);
		printf("\n");
	}
	if (res->nr_trace) {
		printf("trace:\n");
		for (size_t i = 0; i < res->nr_trace; i++)
			printf("  %s\n", res->trace[i]);
	}
	report_maps(NULL, views, nviews);
}

/* ---------------------------------------------------------------------------------------------- */
/* Running in userbpf                                                                               */

/*
 * Trace output (bpf_trace_printk, helper 6). The kernel-numbered helpers that read host state
 * (trace_printk, probe_read, pid/uid/comm, checksums, tail calls, bpf_loop) are registered here, and
 * the run's trace sink appends each line to res->trace. Only the first run's lines are kept, so
 * --repeat does not multiply them.
 */
static int trace_setup(struct userbpf_helpers *helpers)
{
	return userbpf_helpers__add_kernel(helpers);
}

static void trace_line(void *cookie, const char *text, size_t len)
{
	struct run_result *res = cookie;
	if (res->trace_off)
		return;
	char **grown = realloc(res->trace, (res->nr_trace + 1) * sizeof(*grown));
	if (!grown)
		return;
	res->trace = grown;
	char *copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, text, len);
	copy[len] = '\0';
	res->trace[res->nr_trace++] = copy;
}

static void trace_drop(void *cookie, const char *text, size_t len)
{
	(void)cookie, (void)text, (void)len;
}

static void trace_collect(struct run_result *res)
{
	res->has_trace = true;
}

static void trace_free(struct run_result *res)
{
	for (size_t i = 0; i < res->nr_trace; i++)
		free(res->trace[i]);
	free(res->trace);
	res->trace = NULL;
	res->nr_trace = 0;
}

/* The memory the checked engine lets the program reach besides ctx and the stack: map values. */
static int collect_regions(const struct cli_obj *o, struct userbpf_region **regions, size_t *nr)
{
	struct userbpf_object_map *m;
	size_t n = 0, cap = 0;
	struct userbpf_region *r = *regions;

	userbpf_object__for_each_map(m, o->obj)
	{
		struct userbpf_map *mm = userbpf_object_map__map(m);
		int cnt;
		if (!mm)
			continue;
		cnt = userbpf_map__regions(mm, NULL, 0);
		if (cnt <= 0)
			continue;
		if (n + (size_t)cnt > cap) {
			size_t ncap = (n + (size_t)cnt) * 2;
			struct userbpf_region *t = realloc(r, ncap * sizeof(*r));
			if (!t)
				return -ENOMEM;
			r = t;
			cap = ncap;
		}
		cnt = userbpf_map__regions(mm, r + n, cap - n);
		if (cnt > 0)
			n += (size_t)cnt;
	}
	*regions = r;
	*nr = n;
	return 0;
}

/* Hash maps without preallocation and LPM tries grow their pools: their regions change as they fill. */
static bool maps_grow(const struct cli_obj *o)
{
	struct userbpf_object_map *m;
	userbpf_object__for_each_map(m, o->obj)
	{
		enum userbpf_map_type t = userbpf_object_map__type(m);
		if (t == USERBPF_MAP_TYPE_LPM_TRIE ||
		    (userbpf_object_map__map_flags(m) & USERBPF_F_NO_PREALLOC))
			return true;
	}
	return false;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* " (file.c:LINE)" for the instruction an error line names ("insn N: ..."), else "". */
static void source_of_error(const struct userbpf_program *p, const char *err, char *buf, size_t size)
{
	size_t idx;
	const char *file;
	unsigned int ln;
	buf[0] = '\0';
	if (sscanf(err, "insn %zu:", &idx) == 1 &&
	    !userbpf_program__line_info(p, idx, &file, &ln, NULL, NULL)) {
		const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		snprintf(buf, size, " (%s:%u)", base, ln);
	}
}

bool cli_is_packet_type(unsigned int type)
{
	return type == USERBPF_PROG_TYPE_XDP || type == USERBPF_PROG_TYPE_SCHED_CLS ||
	       type == USERBPF_PROG_TYPE_SCHED_ACT || type == USERBPF_PROG_TYPE_SOCKET_FILTER ||
	       type == USERBPF_PROG_TYPE_CGROUP_SKB;
}

int cli_run_load(const struct cli_obj *o, const struct run_obj_args *a, const struct userbpf_program *prog,
		 struct userbpf_helpers **helpers_out)
{
	struct userbpf_helpers *helpers = userbpf_helpers__new();
	static char log[16384];
	char line[600];
	int err;

	*helpers_out = helpers;
	if (!helpers || userbpf_helpers__add_std(helpers) < 0 || userbpf_helpers__add_maps(helpers) < 0 ||
	    trace_setup(helpers) < 0 ||
	    (cli_is_packet_type(userbpf_program__type(prog)) && userbpf_helpers__add_packet(helpers) < 0)) {
		cli_err("cannot set up the helpers: %s", strerror(errno ? errno : ENOMEM));
		return CLI_EXIT_USAGE;
	}
	log[0] = '\0';
	struct userbpf_object_load_opts lo = USERBPF_OPTS_INIT(
	    userbpf_object_load_opts, .helpers = helpers, .log_buf = log, .log_size = sizeof(log),
	    .cpu_version = a->cpu, .prog_flags = a->trusted ? USERBPF_PROG_F_TRUSTED : 0);
	err = userbpf_object__load(o->obj, &lo);
	if (err) {
		cli_first_line(log, line, sizeof(line));
		if (!*line)
			snprintf(line, sizeof(line), "%s: cannot load: %s", o->name, strerror(-err));
		size_t n = strlen(o->name);
		if (strncmp(line, o->name, n) == 0 && line[n] == ':')
			cli_err("%s", line);
		else
			cli_err("%s: %s", o->name, line);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

void cli_run_print_maps(const struct cli_obj *o, struct json *j)
{
	struct run_ctx rc = {.o = o, .j = j};
	size_t nviews = userbpf_object__map_cnt(o->obj);
	struct map_view *views = calloc(nviews ? nviews : 1, sizeof(*views));

	if (!views) {
		cli_err("out of memory");
		return;
	}
	for (size_t i = 0; i < nviews; i++) {
		struct userbpf_object_map *m = userbpf_object__map_by_index(o->obj, i);
		views[i] = (struct map_view){
		    .def = m, .ops = &userbpf_map_ops, .handle = userbpf_object_map__map(m), .rc = &rc};
	}
	report_maps(j, views, nviews);
	free(views);
}

/*
 * A packet program with --data: the input is the packet, as BPF_PROG_TEST_RUN's data_in, run through
 * a packet runner (the kernel's context for the program's type, its verdict, the packet out).
 */
static int run_packet_once(const struct run_ctx *rc, struct userbpf_program *prog, struct run_result *res,
			   struct userbpf_pktrun **runp)
{
	const struct run_obj_args *a = rc->a;
	const struct cli_obj *o = rc->o;
	enum userbpf_exec exec = USERBPF_EXEC_CHECKED;
	char errbuf[512] = "", line[600], where[128];
	struct userbpf_pkt_result pr;
	double total = 0, t0;
	int err;

	if (a->fast || (a->trusted && !a->checked))
		exec = USERBPF_EXEC_FAST;
	struct userbpf_pktrun_opts po =
	    USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = userbpf_program__type(prog), .exec = exec,
			      .insn_budget = a->budget, .trace_fn = trace_line, .trace_cookie = res,
			      .err_buf = errbuf, .err_size = sizeof(errbuf));
	*runp = userbpf_pktrun__new(userbpf_program__prog(prog), &po);
	if (!*runp) {
		cli_first_line(errbuf, line, sizeof(line));
		cli_err("%s: program '%s': %s", o->name, a->prog, *line ? line : strerror(errno));
		return CLI_EXIT_USAGE;
	}
	uint64_t runs = a->repeat ? a->repeat : 1;
	memset(&pr, 0, sizeof(pr));
	for (uint64_t i = 0; i < runs; i++) {
		t0 = now_ns();
		err = userbpf_pktrun__run(*runp, a->data, (uint32_t)a->data_len, NULL, &pr, errbuf, sizeof(errbuf));
		total += now_ns() - t0;
		res->trace_off = true;
		if (err == -EPERM && exec == USERBPF_EXEC_FAST) {
			cli_err("%s: --fast needs a proven program and there is no verifier yet; add --trusted to "
				"vouch for it (skips every safety check)",
				o->name);
			return CLI_EXIT_USAGE;
		}
		if (err) {
			cli_first_line(errbuf, line, sizeof(line));
			if (!*line)
				snprintf(line, sizeof(line), "run failed: %s", strerror(-err));
			source_of_error(prog, line, where, sizeof(where));
			cli_err("%s: program '%s': %s%s", o->name, a->prog, line, where);
			return CLI_EXIT_RUNTIME;
		}
	}
	res->retval = pr.retval;
	res->runs = runs;
	res->ns_per_run = total / (double)runs;
	res->is_packet = true;
	res->action = pr.action;
	res->data_in = a->data;
	res->data_len = a->data_len;
	res->data_out = pr.data;
	res->out_len = pr.len;
	res->trace_off = false;
	trace_collect(res);
	return 0;
}

static int run_userbpf(const struct run_ctx *rc, struct userbpf_program *prog)
{
	const struct run_obj_args *a = rc->a;
	const struct cli_obj *o = rc->o;
	struct userbpf_helpers *helpers = NULL;
	struct userbpf_region *regions = NULL;
	struct map_view *views = NULL;
	struct run_result res = {.backend = "userbpf"};
	struct userbpf_pktrun *pktrun = NULL;
	uint8_t *data = NULL;
	size_t nr_regions = 0, nviews = 0;
	int rc_exit, err;
	char errbuf[512] = "", line[600], where[128];

	rc_exit = cli_run_load(o, a, prog, &helpers);
	if (rc_exit)
		goto out;
	rc_exit = CLI_EXIT_USAGE;
	if (cli_is_packet_type(userbpf_program__type(prog))) {
		rc_exit = run_packet_once(rc, prog, &res, &pktrun);
		if (rc_exit)
			goto out;
		rc_exit = CLI_EXIT_USAGE;
		goto report;
	}

	if (a->data_len) {
		data = malloc(a->data_len);
		if (!data) {
			cli_err("out of memory");
			goto out;
		}
		memcpy(data, a->data, a->data_len);
	}
	enum userbpf_exec exec = USERBPF_EXEC_CHECKED;
	if (a->fast || (a->trusted && !a->checked))
		exec = USERBPF_EXEC_FAST;
	uint64_t runs = a->repeat ? a->repeat : 1;
	double t0 = 0, total = 0;
	bool growing = maps_grow(o);
	for (uint64_t i = 0; i < runs; i++) {
		if ((i == 0 || growing) && collect_regions(o, &regions, &nr_regions)) {
			cli_err("out of memory");
			goto out;
		}
		struct userbpf_run_opts ro =
		    USERBPF_OPTS_INIT(userbpf_run_opts, .ctx = data, .ctx_size = a->data_len, .exec = exec,
				      .regions = regions, .nr_regions = nr_regions, .insn_budget = a->budget,
				      .err_buf = errbuf, .err_size = sizeof(errbuf),
				      .trace_fn = i == 0 ? trace_line : trace_drop, .trace_cookie = &res);
		t0 = now_ns();
		err = userbpf_prog__run(userbpf_program__prog(prog), &ro);
		total += now_ns() - t0;
		if (err == -EPERM && exec == USERBPF_EXEC_FAST) {
			cli_err("%s: --fast needs a proven program and there is no verifier yet; add "
				"--trusted to "
				"vouch for it (skips every safety check)",
				o->name);
			goto out;
		}
		if (err) {
			cli_first_line(errbuf, line, sizeof(line));
			if (!*line)
				snprintf(line, sizeof(line), "run failed: %s", strerror(-err));
			source_of_error(prog, line, where, sizeof(where));
			cli_err("%s: program '%s': %s%s", o->name, a->prog, line, where);
			rc_exit = CLI_EXIT_RUNTIME;
			goto out;
		}
		res.retval = ro.retval;
	}
	res.runs = runs;
	res.ns_per_run = total / (double)runs;
	res.data_in = a->data;
	res.data_out = data;
	res.data_len = a->data_len;
	trace_collect(&res);
report:
	nviews = userbpf_object__map_cnt(o->obj);
	views = calloc(nviews ? nviews : 1, sizeof(*views));
	if (!views) {
		cli_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < nviews; i++) {
		struct userbpf_object_map *m = userbpf_object__map_by_index(o->obj, i);
		views[i] = (struct map_view){
		    .def = m, .ops = &userbpf_map_ops, .handle = userbpf_object_map__map(m), .rc = rc};
	}
	report(rc, &res, views, nviews);
	rc_exit = CLI_EXIT_OK;
out:
	trace_free(&res);
	free(views);
	free(regions);
	free(data);
	userbpf_pktrun__free(pktrun);
	userbpf_helpers__free(helpers);
	return rc_exit;
}

/* ---------------------------------------------------------------------------------------------- */
/* Running in the kernel (--kernel)                                                                 */

/* Kernel maps: the view's handle is the kobject; maps are reached by name. */
static const struct userbpf_kobject *km(const struct map_view *v)
{
	return v->handle;
}

static int k_get_next_key(const struct map_view *v, const void *key, void *next)
{
	return userbpf_kobject__map_get_next_key(km(v), userbpf_object_map__name(v->def), key, next);
}

static int k_lookup(const struct map_view *v, const void *key, void *value)
{
	return userbpf_kobject__map_lookup(km(v), userbpf_object_map__name(v->def), key, value);
}

static int k_pop(const struct map_view *v, void *value)
{
	return userbpf_kobject__map_lookup_and_delete(km(v), userbpf_object_map__name(v->def), NULL, value);
}

struct k_ring {
	userbpf_ring_sample_fn fn;
	void *cookie;
	int n;
};

static int k_ring_sample(void *ctx, void *data, size_t size)
{
	struct k_ring *r = ctx;
	r->n++;
	return r->fn(r->cookie, data, size);
}

static int k_ringbuf_consume(const struct map_view *v, userbpf_ring_sample_fn fn, void *cookie)
{
	int fd = userbpf_kobject__map_fd(km(v), userbpf_object_map__name(v->def));
	struct k_ring r = {.fn = fn, .cookie = cookie};
	struct ring_buffer *rb;
	int err;

	if (fd < 0)
		return fd;
	rb = ring_buffer__new(fd, k_ring_sample, &r, NULL);
	if (!rb)
		return -errno;
	err = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return err < 0 ? err : r.n;
}

/* Perf event records reach user space only through perf events opened before the run: not read. */
static int k_perf_consume(const struct map_view *v, userbpf_perf_sample_fn fn, void *cookie)
{
	(void)v;
	(void)fn;
	(void)cookie;
	return -EOPNOTSUPP;
}

static const char *k_id_name(const struct run_ctx *rc, uint32_t id)
{
	struct userbpf_object_map *m;
	userbpf_object__for_each_map(m, rc->o->obj)
	{
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		int fd = userbpf_kobject__map_fd(rc->kobj, userbpf_object_map__name(m));
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.id == id)
			return userbpf_object_map__name(m);
	}
	return NULL;
}

static unsigned int k_nr_cpus(void)
{
	int n = userbpf_kernel_nr_cpus();
	return n > 0 ? (unsigned int)n : 1;
}

static const struct map_ops kernel_map_ops = {
    .get_next_key = k_get_next_key,
    .lookup = k_lookup,
    .pop = k_pop,
    .ringbuf_consume = k_ringbuf_consume,
    .perf_consume = k_perf_consume,
    .id_name = k_id_name,
    .nr_cpus = k_nr_cpus,
};

void cli_run_print_kmaps(const struct cli_obj *o, struct userbpf_kobject *kobj, struct json *j)
{
	struct run_ctx rc = {.o = o, .j = j, .kobj = kobj};
	size_t nviews = userbpf_object__map_cnt(o->obj);
	struct map_view *views = calloc(nviews ? nviews : 1, sizeof(*views));

	if (!views) {
		cli_err("out of memory");
		return;
	}
	for (size_t i = 0; i < nviews; i++)
		views[i] = (struct map_view){
		    .def = userbpf_object__map_by_index(o->obj, i), .ops = &kernel_map_ops, .handle = kobj, .rc = &rc};
	report_maps(j, views, nviews);
	free(views);
}

/* The verifier log's last non-empty line, for a refused program. */
static void last_line(const char *log, char *buf, size_t size)
{
	const char *end = log + strlen(log), *start;
	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > log && start[-1] != '\n')
		start--;
	snprintf(buf, size, "%.*s", (int)(end - start), start);
}

/*
 * A packet program with --data in the kernel: the kernel's twin of the packet runner (kpkt.c), so the
 * verdict and the packet out mean what they mean for userbpf. --repeat N: N - 1 timed runs in the
 * kernel (its own mean), then the one whose result is shown.
 */
static int kernel_packet_once(const struct run_ctx *rc, struct run_result *res, struct userbpf_kpktrun **kp,
			      char *err, size_t err_size)
{
	const struct run_obj_args *a = rc->a;
	struct userbpf_pkt_result pr;
	uint32_t ns = 0;
	int e;

	struct userbpf_kpktrun_opts ko = USERBPF_OPTS_INIT(userbpf_kpktrun_opts, .err_buf = err, .err_size = err_size);
	*kp = userbpf_kpktrun__new(rc->kobj, a->prog, &ko);
	if (!*kp)
		return -errno;
	if (a->repeat > 1) {
		e = userbpf_kpktrun__time(*kp, a->data, (uint32_t)a->data_len, NULL, (uint32_t)(a->repeat - 1), &ns,
					  NULL, err, err_size);
		if (e)
			return e;
	}
	memset(&pr, 0, sizeof(pr));
	e = userbpf_kpktrun__run(*kp, a->data, (uint32_t)a->data_len, NULL, &pr, err, err_size);
	if (e)
		return e;
	res->retval = pr.retval;
	res->runs = a->repeat ? a->repeat : 1;
	res->ns_per_run = ns;
	res->is_packet = true;
	res->action = pr.action;
	res->data_in = a->data;
	res->data_len = a->data_len;
	res->data_out = pr.data;
	res->out_len = pr.len;
	return 0;
}

static int run_kernel(struct run_ctx *rc, struct userbpf_program *prog)
{
	const struct run_obj_args *a = rc->a;
	const struct cli_obj *o = rc->o;
	struct run_result res = {.backend = "kernel"};
	struct map_view *views = NULL;
	struct userbpf_kobject *kobj = NULL;
	struct userbpf_kpktrun *kpkt = NULL;
	uint8_t *out = NULL;
	size_t nviews, out_size = a->data_len + 4096;
	char why[512] = "", log[1024] = "", err[512] = "", line[600];
	int ret = CLI_EXIT_RUNTIME, e;

	if (userbpf_kernel_available(why, sizeof(why)) != 1) {
		cli_err("%s: --kernel: %s", o->name, *why ? why : "bpf() is not available");
		return CLI_EXIT_RUNTIME;
	}
	struct userbpf_kobject_opts ko =
	    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = log, .log_size = sizeof(log));
	kobj = userbpf_kobject__load(o->obj, &ko);
	if (!kobj) {
		cli_first_line(log, line, sizeof(line));
		cli_err("%s: --kernel: %s", o->name, *line ? line : strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	rc->kobj = kobj;
	out = malloc(out_size);
	if (!out) {
		cli_err("out of memory");
		goto out;
	}
	struct userbpf_ktest_run_opts to = USERBPF_OPTS_INIT(
	    userbpf_ktest_run_opts, .data_in = a->data_len ? a->data : NULL,
	    .data_size_in = (uint32_t)a->data_len, .data_out = out, .data_size_out = (uint32_t)out_size,
	    .repeat = (uint32_t)a->repeat, .err_buf = err, .err_size = sizeof(err));
	bool packet = cli_is_packet_type(userbpf_program__type(prog));
	if (packet)
		e = kernel_packet_once(rc, &res, &kpkt, err, sizeof(err));
	else
		e = userbpf_kobject__test_run(kobj, a->prog, &to);
	if (e) {
		const char *vlog = userbpf_kobject__verifier_log(kobj, a->prog);
		cli_first_line(err, line, sizeof(line));
		if (!*line && vlog && *vlog)
			last_line(vlog, line, sizeof(line));
		size_t n = strlen(o->name);
		if (strncmp(line, o->name, n) == 0 && line[n] == ':') /* already names the object */
			cli_err("%s: --kernel:%s", o->name, line + n + 1);
		else
			cli_err("%s: --kernel: program '%s': %s", o->name, a->prog,
				*line ? line : strerror(-e));
		goto out;
	}
	if (packet)
		goto report;
	res.retval = to.retval;
	res.runs = a->repeat ? a->repeat : 1;
	res.ns_per_run = to.duration;
	res.data_in = a->data;
	res.data_out = out;
	/* The kernel's packet out may differ in length; compare and show what it gave back. */
	res.data_len = to.data_size_out == a->data_len ? a->data_len : 0;
report:

	nviews = userbpf_object__map_cnt(o->obj);
	views = calloc(nviews ? nviews : 1, sizeof(*views));
	if (!views) {
		cli_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < nviews; i++)
		views[i] = (struct map_view){.def = userbpf_object__map_by_index(o->obj, i),
					     .ops = &kernel_map_ops,
					     .handle = kobj,
					     .rc = rc};
	report(rc, &res, views, nviews);
	ret = CLI_EXIT_OK;
out:
	free(views);
	free(out);
	userbpf_kpktrun__free(kpkt);
	userbpf_kobject__close(kobj);
	rc->kobj = NULL;
	return ret;
}

/* ---------------------------------------------------------------------------------------------- */
/* Entry                                                                                            */

/* "a, b, c": the program names, for messages. */
static void program_names(const struct cli_obj *o, char *buf, size_t size)
{
	struct userbpf_program *p;
	size_t pos = 0;
	buf[0] = '\0';
	userbpf_object__for_each_program(p, o->obj)
	{
		int n = snprintf(buf + pos, size - pos, "%s%s", pos ? ", " : "", userbpf_program__name(p));
		if (n < 0 || (size_t)n >= size - pos) {
			if (size > 4)
				strcpy(buf + size - 4, "...");
			return;
		}
		pos += (size_t)n;
	}
}

int cli_run_object(const struct run_obj_args *a, char *buf, size_t len)
{
	struct cli_obj o;
	struct userbpf_program *prog, *p;
	struct userbpf_object_map *m;
	struct json j;
	struct run_ctx rc = {.o = &o, .a = a};
	char names[512];
	int ret = cli_obj_open_buf(a->file, buf, len, &o);

	if (ret)
		return ret;
	if (!a->prog) {
		program_names(&o, names, sizeof(names));
		cli_err("%s: --prog NAME is needed to run an object (programs: %s)", o.name,
			*names ? names : "none");
		ret = CLI_EXIT_USAGE;
		goto out;
	}
	prog = userbpf_object__find_program_by_name(o.obj, a->prog);
	if (!prog) {
		program_names(&o, names, sizeof(names));
		cli_err("%s: no program named '%s' (programs: %s)", o.name, a->prog, *names ? names : "none");
		ret = CLI_EXIT_USAGE;
		goto out;
	}
	/* Only the program run is loaded, so that another's helpers cannot stand in its way, with the
	 * programs the object's prog_array slots hold: those it may tail-call. */
	userbpf_object__for_each_program(p, o.obj) userbpf_program__set_autoload(p, p == prog);
	userbpf_object__for_each_map(m, o.obj) {
		for (size_t i = 0; i < userbpf_object_map__slot_cnt(m); i++) {
			const struct userbpf_program *t = NULL;

			if (!userbpf_object_map__slot(m, i, NULL, NULL, &t) && t)
				userbpf_program__set_autoload(
				    userbpf_object__find_program_by_name(o.obj, userbpf_program__name(t)), true);
		}
	}
	if (a->json) {
		json_init(&j, stdout);
		rc.j = &j;
	}
	if (a->read_file || a->iface)
		ret = cli_run_packets(a, &o, prog);
	else if (a->kernel)
		ret = run_kernel(&rc, prog);
	else
		ret = run_userbpf(&rc, prog);
out:
	cli_obj_close(&o);
	return ret;
}
