/*
 * examples_setup.h - what the host does around each example of examples/ when it runs the example
 * both in userbpf and in the kernel: which program is the entry, the firewall's rules (gen_fw_rules
 * of examples/gen, the table its capture was built for) put the same way into both sides' maps, and
 * the masks of the fields that hold bpf_ktime_get_ns() values, which cannot be equal between two
 * runs (checked for consistency, then cleared). Header-only (static functions); used by
 * tests/kernel/diff_examples.c and bench/bench_pkt.c, which link examples/gen/gen_pkts.c.
 */
#ifndef USERBPF_EXAMPLES_SETUP_H
#define USERBPF_EXAMPLES_SETUP_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/kernel.h>
#include <userbpf/maps.h>
#include <userbpf/object.h>

#include "../../examples/firewall.h"
#include "../../examples/flows.h"
#include "../../examples/gen/gen.h"
#include "../../examples/synflood.h"

/* Writes one map element on one side; 0 or -errno. */
typedef int (*ex_update_fn)(void *side, const char *map, const void *key, const void *value);

struct ex_setup {
	const char *name; /* examples/NAME.bpf.c */
	const char *prog; /* the program packets go to */
	int (*fill)(ex_update_fn update, void *side);
	/* As userbpf_kcompare_opts.mask; NULL: nothing to mask. */
	int (*mask)(void *cookie, const char *map, const void *key, void *value, uint32_t value_size, char *why,
		    size_t why_size);
};

/* The firewall's rules: prefixes into rules_v4/rules_v6, (protocol, port) into ports. */
static int ex_fill_firewall(ex_update_fn update, void *side)
{
	for (size_t i = 0; i < gen_fw_nr_rules; i++) {
		const struct gen_fw_rule *r = &gen_fw_rules[i];
		struct fw_rule val = {r->id, r->action};
		int err;

		if (r->family == 4) {
			struct fw_lpm_v4 k = {r->prefixlen, {0}};

			memcpy(k.addr, r->addr, 4);
			err = update(side, "rules_v4", &k, &val);
		} else if (r->family == 6) {
			struct fw_lpm_v6 k = {r->prefixlen, {0}};

			memcpy(k.addr, r->addr, 16);
			err = update(side, "rules_v6", &k, &val);
		} else {
			struct fw_port_key k = {r->proto, 0, r->port};

			err = update(side, "ports", &k, &val);
		}
		if (err)
			return err;
	}
	return 0;
}

static uint64_t ex_u64(const void *p, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)p + off, 8);
	return v;
}

static void ex_clear(void *p, size_t off, size_t n)
{
	memset((uint8_t *)p + off, 0, n);
}

/* flows: first_seen and last_seen are times; both set, first <= last. */
static int ex_mask_flows(void *cookie, const char *map, const void *key, void *value, uint32_t size, char *why,
			 size_t why_size)
{
	uint64_t first, last;

	(void)cookie;
	(void)key;
	if (strcmp(map, "flows") || size != sizeof(struct flow_stats))
		return 0;
	first = ex_u64(value, offsetof(struct flow_stats, first_seen));
	last = ex_u64(value, offsetof(struct flow_stats, last_seen));
	if (!first || last < first) {
		snprintf(why, why_size, "flow with first_seen %llu, last_seen %llu", (unsigned long long)first,
			 (unsigned long long)last);
		return -EBADMSG;
	}
	ex_clear(value, offsetof(struct flow_stats, first_seen), 16);
	return 0;
}

/* synflood: a source's window_start, an alert's window_start and ts (window_start <= ts). */
static int ex_mask_synflood(void *cookie, const char *map, const void *key, void *value, uint32_t size,
			    char *why, size_t why_size)
{
	(void)cookie;
	(void)key;
	if (!strcmp(map, "sources") && size == sizeof(struct syn_source)) {
		if (!ex_u64(value, offsetof(struct syn_source, window_start))) {
			snprintf(why, why_size, "source without a window start");
			return -EBADMSG;
		}
		ex_clear(value, offsetof(struct syn_source, window_start), 8);
	} else if (!strcmp(map, "alerts") && size == sizeof(struct syn_alert)) {
		uint64_t start = ex_u64(value, offsetof(struct syn_alert, window_start)),
			 ts = ex_u64(value, offsetof(struct syn_alert, ts));

		if (!start || ts < start) {
			snprintf(why, why_size, "alert at %llu in a window from %llu", (unsigned long long)ts,
				 (unsigned long long)start);
			return -EBADMSG;
		}
		ex_clear(value, offsetof(struct syn_alert, window_start), 8);
		ex_clear(value, offsetof(struct syn_alert, ts), 8);
	}
	return 0;
}

static const struct ex_setup ex_setups[] = {
    {"xdp_proto_count", "proto_count_xdp", NULL, NULL},
    {"flows", "flows_xdp", NULL, ex_mask_flows},
    {"firewall", "firewall_xdp", ex_fill_firewall, NULL},
    {"synflood", "synflood_xdp", NULL, ex_mask_synflood},
    {"dns", "dns_xdp", NULL, NULL},
    {"tc_rewrite", "tc_rewrite", NULL, NULL},
    {"dispatch", "dispatch", NULL, NULL},
};
#define EX_NR_SETUPS (sizeof(ex_setups) / sizeof(ex_setups[0]))

static const struct ex_setup *ex_setup_find(const char *name)
{
	for (size_t i = 0; i < EX_NR_SETUPS; i++)
		if (!strcmp(ex_setups[i].name, name))
			return &ex_setups[i];
	return NULL;
}

/* The entry program: the table's, else the object's first XDP/TC/socket program. */
static const char *ex_entry_prog(const struct userbpf_object *obj, const struct ex_setup *ex)
{
	struct userbpf_program *p = NULL;

	if (ex)
		return ex->prog;
	while ((p = userbpf_object__next_program(obj, p))) {
		enum userbpf_prog_type t = userbpf_program__type(p);

		if (userbpf_program__autoload(p) &&
		    (t == USERBPF_PROG_TYPE_XDP || t == USERBPF_PROG_TYPE_SCHED_CLS ||
		     t == USERBPF_PROG_TYPE_SCHED_ACT || t == USERBPF_PROG_TYPE_SOCKET_FILTER))
			return userbpf_program__name(p);
	}
	return NULL;
}

static int ex_update_userbpf(void *side, const char *map, const void *key, const void *value)
{
	struct userbpf_object_map *m = userbpf_object__find_map_by_name(side, map);

	return m && userbpf_object_map__map(m) ? userbpf_map_update_elem(userbpf_object_map__map(m), key, value, 0)
					       : -ENOENT;
}

static int ex_update_kernel(void *side, const char *map, const void *key, const void *value)
{
	return userbpf_kobject__map_update(side, map, key, value, 0);
}

static int ex_setup_userbpf(const struct ex_setup *ex, struct userbpf_object *obj, char *err, size_t err_size)
{
	int e = ex && ex->fill ? ex->fill(ex_update_userbpf, obj) : 0;

	if (e)
		snprintf(err, err_size, "%s: setting up the maps in userbpf: %s", ex->name, strerror(-e));
	return e;
}

static int ex_setup_kernel(const struct ex_setup *ex, struct userbpf_kobject *kobj, char *err, size_t err_size)
{
	int e = ex && ex->fill ? ex->fill(ex_update_kernel, kobj) : 0;

	if (e)
		snprintf(err, err_size, "%s: setting up the maps in the kernel: %s", ex->name, strerror(-e));
	return e;
}

/* Names NAME with both NAME.o and NAME.pcap in `dir` (malloc'ed, sorted); their count. */
static int ex_cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t ex_list(const char *dir, const char **names, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[4096];
		FILE *f;

		if (len < 3 || strcmp(e->d_name + len - 2, ".o"))
			continue;
		snprintf(path, sizeof(path), "%s/%.*s.pcap", dir, (int)(len - 2), e->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		fclose(f);
		if ((names[n] = strndup(e->d_name, len - 2)))
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), ex_cmp_name);
	return n;
}

#endif /* USERBPF_EXAMPLES_SETUP_H */
