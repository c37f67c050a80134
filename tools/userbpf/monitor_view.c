/*
 * monitor_view.c - what `userbpf monitor` shows: the maps of the running object read through the
 * userbpf map API (batch lookups; per-CPU values summed over the slots), and one report per interval
 * or for the whole run, as a terminal view or as one JSON object per line.
 *
 * For the flow-accounting program (examples/flows.h): top flows by bytes and by packets out of the
 * `flows` LRU hash, the protocol breakdown out of the per-CPU `proto` array, and the verdicts the
 * program counted in `verdicts`. For any other object: every map with its entry count and, for
 * hash, LRU, LPM and array maps, the entries with the largest value (read as a little-endian
 * integer of its first 8 bytes), keys and values printed by their BTF types.
 *
 * The field names of the JSON lines are documented in docs/monitor.md; keep them stable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../examples/flows.h"
#include "cli.h"
#include "monitor.h"

/* Entries read per batch lookup. */
#define MON_BATCH 1024

/* One map of the object as the view reads it. */
struct mon_map {
	const struct userbpf_object_map *def;
	struct userbpf_map *map;
	const char *name;
	enum userbpf_map_type type;
	uint32_t ks, vs;      /* key and value size (per slot) */
	uint32_t stride;      /* per-CPU: bytes per slot (vs rounded up to 8); else vs */
	unsigned int nr_cpus; /* slots read: 1 unless per-CPU */
	bool readable;	      /* iterated (hash, LRU, LPM, array) */
	/* The entries of the last read: keys[i * ks], vals[i * vs] (per-CPU slots merged). */
	uint8_t *keys, *vals;
	size_t n, cap;
	uint8_t *raw;	     /* one batch of values as the map hands them out (every slot) */
	uint8_t *in, *out;   /* batch positions (a key each) */
	uint64_t records;    /* ring buffer and perf event array: records consumed so far */
};

struct mon_view {
	const struct cli_obj *o;
	bool flows;
	struct mon_map *maps;
	size_t nr_maps;
	struct mon_map *flow_map, *proto_map, *verdict_map;
	size_t *top; /* indices of the entries shown */
	size_t top_cap;
};

static bool is_percpu(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_PERCPU_ARRAY || t == USERBPF_MAP_TYPE_PERCPU_HASH ||
	       t == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_array(enum userbpf_map_type t)
{
	return t == USERBPF_MAP_TYPE_ARRAY || t == USERBPF_MAP_TYPE_PERCPU_ARRAY;
}

static bool is_readable(enum userbpf_map_type t)
{
	switch (t) {
	case USERBPF_MAP_TYPE_HASH:
	case USERBPF_MAP_TYPE_PERCPU_HASH:
	case USERBPF_MAP_TYPE_LRU_HASH:
	case USERBPF_MAP_TYPE_LRU_PERCPU_HASH:
	case USERBPF_MAP_TYPE_LPM_TRIE:
	case USERBPF_MAP_TYPE_ARRAY:
	case USERBPF_MAP_TYPE_PERCPU_ARRAY:
		return true;
	default:
		return false;
	}
}

static void map_free(struct mon_map *mm)
{
	free(mm->keys);
	free(mm->vals);
	free(mm->raw);
	free(mm->in);
	free(mm->out);
}

static int map_init(struct mon_map *mm, const struct userbpf_object_map *def)
{
	memset(mm, 0, sizeof(*mm));
	mm->def = def;
	mm->map = userbpf_object_map__map(def);
	mm->name = userbpf_object_map__name(def);
	if (!mm->map)
		return 0; /* not created (cannot happen after a load): shown without contents */
	mm->type = userbpf_map__type(mm->map);
	mm->ks = userbpf_map__key_size(mm->map);
	mm->vs = userbpf_map__value_size(mm->map);
	mm->nr_cpus = is_percpu(mm->type) ? userbpf_nr_cpus() : 1;
	mm->stride = is_percpu(mm->type) ? (mm->vs + 7) / 8 * 8 : mm->vs;
	mm->readable = is_readable(mm->type) && mm->ks > 0 && mm->vs > 0;
	if (!mm->readable)
		return 0;
	mm->raw = malloc((size_t)MON_BATCH * mm->stride * mm->nr_cpus);
	/* Batch positions are opaque: hash maps keep a 32-bit bucket index there, as the kernel's. */
	mm->in = calloc(1, mm->ks > 8 ? mm->ks : 8);
	mm->out = calloc(1, mm->ks > 8 ? mm->ks : 8);
	if (!mm->raw || !mm->in || !mm->out)
		return -ENOMEM;
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading                                                                                          */

/* Merge the per-CPU slots of one value into dst (vs bytes): the flows' stats field by field,
 * anything else summed as u64 words (u32 words, or slot 0 only, when the size does not allow). */
static void merge_slots(const struct mon_map *mm, bool flow_stats, const uint8_t *raw, uint8_t *dst)
{
	memcpy(dst, raw, mm->vs);
	if (mm->nr_cpus == 1)
		return;
	if (flow_stats && mm->vs == sizeof(struct flow_stats)) {
		struct flow_stats acc, s;
		memcpy(&acc, raw, sizeof(acc));
		for (unsigned int c = 1; c < mm->nr_cpus; c++) {
			memcpy(&s, raw + (size_t)c * mm->stride, sizeof(s));
			if (!s.packets)
				continue;
			if (!acc.packets || s.first_seen < acc.first_seen)
				acc.first_seen = s.first_seen;
			if (s.last_seen > acc.last_seen)
				acc.last_seen = s.last_seen;
			acc.packets += s.packets;
			acc.bytes += s.bytes;
			acc.tcp_flags |= s.tcp_flags;
		}
		memcpy(dst, &acc, sizeof(acc));
		return;
	}
	for (unsigned int c = 1; c < mm->nr_cpus; c++) {
		const uint8_t *s = raw + (size_t)c * mm->stride;
		if (mm->vs % 8 == 0) {
			for (uint32_t off = 0; off < mm->vs; off += 8) {
				uint64_t a, b;
				memcpy(&a, dst + off, 8);
				memcpy(&b, s + off, 8);
				a += b;
				memcpy(dst + off, &a, 8);
			}
		} else if (mm->vs % 4 == 0) {
			for (uint32_t off = 0; off < mm->vs; off += 4) {
				uint32_t a, b;
				memcpy(&a, dst + off, 4);
				memcpy(&b, s + off, 4);
				a += b;
				memcpy(dst + off, &a, 4);
			}
		}
	}
}

/* Every entry of a readable map into mm->keys/vals (mm->n of them). 0 or -errno. */
static int map_read(struct mon_map *mm, bool flow_stats)
{
	uint32_t max = userbpf_map__max_entries(mm->map);
	bool first = true;
	int err = 0;

	mm->n = 0;
	if (!mm->readable)
		return 0;
	for (;;) {
		if (mm->cap < mm->n + MON_BATCH) {
			size_t ncap = mm->cap ? mm->cap * 2 : MON_BATCH;
			while (ncap < mm->n + MON_BATCH)
				ncap *= 2;
			uint8_t *k = realloc(mm->keys, ncap * mm->ks);
			if (!k)
				return -ENOMEM;
			mm->keys = k;
			uint8_t *v = realloc(mm->vals, ncap * mm->vs);
			if (!v)
				return -ENOMEM;
			mm->vals = v;
			mm->cap = ncap;
		}
		uint32_t cnt = MON_BATCH;
		err = userbpf_map_lookup_batch(mm->map, first ? NULL : mm->in, mm->out, mm->keys + mm->n * mm->ks,
					       mm->raw, &cnt, NULL);
		if (err && err != -ENOENT)
			return err;
		for (uint32_t i = 0; i < cnt; i++)
			merge_slots(mm, flow_stats, mm->raw + (size_t)i * mm->stride * mm->nr_cpus,
				    mm->vals + (mm->n + i) * mm->vs);
		mm->n += cnt;
		/* The end, or a map changing so fast that the walk does not end: stop at twice its size. */
		if (err == -ENOENT || cnt == 0 || mm->n > 2 * (size_t)max + MON_BATCH)
			break;
		memcpy(mm->in, mm->out, mm->ks > 8 ? mm->ks : 8);
		first = false;
	}
	return 0;
}

/* A value's rank: its first 8 bytes (fewer when smaller) as a little-endian integer. */
static uint64_t rank_of(const struct mon_map *mm, size_t i)
{
	const uint8_t *v = mm->vals + i * mm->vs;
	uint64_t r = 0;
	for (uint32_t b = 0; b < mm->vs && b < 8; b++)
		r |= (uint64_t)v[b] << (8 * b);
	return r;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Ring buffers and perf event arrays: count and drop the records, so that programs can go on. */
static int count_record(void *cookie, const void *data, size_t size)
{
	(*(uint64_t *)cookie)++;
	return 0;
}

static int count_perf_record(void *cookie, int cpu, const void *data, size_t size)
{
	(*(uint64_t *)cookie)++;
	return 0;
}

static void map_consume(struct mon_map *mm)
{
	if (!mm->map)
		return;
	if (mm->type == USERBPF_MAP_TYPE_RINGBUF)
		userbpf_ringbuf_consume(mm->map, count_record, &mm->records);
	else if (mm->type == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
		userbpf_perf_consume(mm->map, count_perf_record, &mm->records);
}

/* ---------------------------------------------------------------------------------------------- */
/* Choosing the top entries                                                                         */

typedef int (*mon_cmp_fn)(const struct mon_map *mm, size_t a, size_t b);

/* The k best entries of mm (by cmp: negative = a before b) into v->top, best first; returns how
 * many. `keep` filters entries (NULL: all). O(n k), which for k of 10 is one pass over the map. */
static size_t top_select(struct mon_view *v, const struct mon_map *mm, size_t k, mon_cmp_fn cmp,
			 bool (*keep)(const struct mon_map *mm, size_t i))
{
	size_t cnt = 0;
	for (size_t i = 0; i < mm->n; i++) {
		if (keep && !keep(mm, i))
			continue;
		if (cnt == k && cmp(mm, i, v->top[cnt - 1]) >= 0)
			continue;
		size_t pos = cnt < k ? cnt++ : k - 1;
		while (pos > 0 && cmp(mm, i, v->top[pos - 1]) < 0) {
			v->top[pos] = v->top[pos - 1];
			pos--;
		}
		v->top[pos] = i;
	}
	return cnt;
}

static struct flow_stats flow_stats_at(const struct mon_map *mm, size_t i)
{
	struct flow_stats s;
	memcpy(&s, mm->vals + i * mm->vs, sizeof(s));
	return s;
}

static int cmp_key(const struct mon_map *mm, size_t a, size_t b)
{
	return memcmp(mm->keys + a * mm->ks, mm->keys + b * mm->ks, mm->ks);
}

static int cmp_u64_desc(uint64_t x, uint64_t y)
{
	return x > y ? -1 : x < y ? 1 : 0;
}

static int cmp_flow_bytes(const struct mon_map *mm, size_t a, size_t b)
{
	struct flow_stats x = flow_stats_at(mm, a), y = flow_stats_at(mm, b);
	int c = cmp_u64_desc(x.bytes, y.bytes);
	if (!c)
		c = cmp_u64_desc(x.packets, y.packets);
	return c ? c : cmp_key(mm, a, b);
}

static int cmp_flow_packets(const struct mon_map *mm, size_t a, size_t b)
{
	struct flow_stats x = flow_stats_at(mm, a), y = flow_stats_at(mm, b);
	int c = cmp_u64_desc(x.packets, y.packets);
	if (!c)
		c = cmp_u64_desc(x.bytes, y.bytes);
	return c ? c : cmp_key(mm, a, b);
}

/* Keys as little-endian numbers (integer keys and array indices sort as numbers, as `run OBJ`). */
static int cmp_key_le(const struct mon_map *mm, size_t a, size_t b)
{
	const uint8_t *x = mm->keys + a * mm->ks, *y = mm->keys + b * mm->ks;
	for (size_t i = mm->ks; i-- > 0;)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Generic maps: largest rank first; equal ranks in key order. */
static int cmp_rank(const struct mon_map *mm, size_t a, size_t b)
{
	int c = cmp_u64_desc(rank_of(mm, a), rank_of(mm, b));
	return c ? c : cmp_key_le(mm, a, b);
}

static bool keep_nonzero(const struct mon_map *mm, size_t i)
{
	return !is_array(mm->type) || !all_zero(mm->vals + i * mm->vs, mm->vs);
}

/* ---------------------------------------------------------------------------------------------- */
/* Formatting                                                                                       */

static const char *proto_name(uint8_t p, char *buf, size_t size)
{
	switch (p) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	default:
		snprintf(buf, size, "%u", p);
		return buf;
	}
}

static bool has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 132 || p == 136;
}

static bool is_icmp(uint8_t p)
{
	return p == 1 || p == 58;
}

static const char *addr_str(const uint8_t a[16], uint8_t family, char *buf, size_t size)
{
	if (family == 4) {
		if (!inet_ntop(AF_INET, a + 12, buf, (socklen_t)size))
			snprintf(buf, size, "?");
	} else if (!inet_ntop(AF_INET6, a, buf, (socklen_t)size)) {
		snprintf(buf, size, "?");
	}
	return buf;
}

/* "10.0.0.1:80", "[2001:db8::1]:443", or the address alone for protocols without ports. */
static void endpoint_str(const uint8_t a[16], uint8_t family, uint8_t proto, uint16_t port, char *buf,
			 size_t size)
{
	char t[INET6_ADDRSTRLEN];
	addr_str(a, family, t, sizeof(t));
	if (!has_ports(proto))
		snprintf(buf, size, "%s", t);
	else if (family == 6)
		snprintf(buf, size, "[%s]:%u", t, port);
	else
		snprintf(buf, size, "%s:%u", t, port);
}

/* TCP flags as tcpdump prints them, in bit order: F S R P . (ACK) U E W (CWR). */
static const char *tcp_flags_str(uint8_t f, char *buf)
{
	static const char letters[8] = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};
	size_t n = 0;
	for (int b = 0; b < 8; b++)
		if (f & (1u << b))
			buf[n++] = letters[b];
	if (!n)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

/* Seconds as "12.3s", "4m05s", "2h07m". */
static const char *secs_str(uint64_t ns, char *buf, size_t size)
{
	double s = (double)ns / 1e9;
	if (s < 60)
		snprintf(buf, size, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, size, "%um%02us", (unsigned)(s / 60), (unsigned)s % 60);
	else
		snprintf(buf, size, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60) % 60);
	return buf;
}

/* Bits per second with a unit: "812 bit/s", "1.25 Mbit/s". */
static const char *rate_str(double bps, char *buf, size_t size)
{
	static const char *const units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
	int u = 0;
	while (bps >= 1000 && u < 4) {
		bps /= 1000;
		u++;
	}
	snprintf(buf, size, u ? "%.2f %s" : "%.0f %s", bps, units[u]);
	return buf;
}

static uint64_t per_second(uint64_t n, uint64_t ns)
{
	return ns ? (uint64_t)((double)n * 1e9 / (double)ns + 0.5) : 0;
}

/* The clock of bpf_ktime_get_ns, for the flows' ages. */
static uint64_t ktime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One flow's printable fields. */
struct flow_row {
	char proto[12];
	char src[INET6_ADDRSTRLEN + 8];
	char dst[INET6_ADDRSTRLEN + 8];
	char flags[12];
	char age[16];
	struct flow_key k;
	struct flow_stats s;
	uint16_t sport, dport;
};

static void flow_row(const struct mon_map *mm, size_t i, uint64_t now, struct flow_row *r)
{
	memcpy(&r->k, mm->keys + i * mm->ks, sizeof(r->k));
	r->s = flow_stats_at(mm, i);
	r->sport = ntohs(r->k.sport);
	r->dport = ntohs(r->k.dport);
	char num[8];
	snprintf(r->proto, sizeof(r->proto), "%s", proto_name(r->k.proto, num, sizeof(num)));
	endpoint_str(r->k.saddr, r->k.family, r->k.proto, r->sport, r->src, sizeof(r->src));
	endpoint_str(r->k.daddr, r->k.family, r->k.proto, r->dport, r->dst, sizeof(r->dst));
	if (r->k.proto == 6)
		tcp_flags_str(r->s.tcp_flags, r->flags);
	else if (is_icmp(r->k.proto))
		snprintf(r->flags, sizeof(r->flags), "%u/%u", r->sport & 0xffu, r->dport & 0xffu);
	else
		snprintf(r->flags, sizeof(r->flags), "-");
	secs_str(now > r->s.first_seen ? now - r->s.first_seen : 0, r->age, sizeof(r->age));
}

/* ---------------------------------------------------------------------------------------------- */
/* The view                                                                                          */

struct mon_view *mon_view_new(const struct cli_obj *o, bool flows)
{
	struct mon_view *v = calloc(1, sizeof(*v));
	if (!v)
		goto oom;
	v->o = o;
	v->flows = flows;
	v->nr_maps = userbpf_object__map_cnt(o->obj);
	v->maps = calloc(v->nr_maps ? v->nr_maps : 1, sizeof(*v->maps));
	if (!v->maps)
		goto oom;
	for (size_t i = 0; i < v->nr_maps; i++)
		if (map_init(&v->maps[i], userbpf_object__map_by_index(o->obj, i)))
			goto oom;
	if (flows) {
		for (size_t i = 0; i < v->nr_maps; i++) {
			struct mon_map *mm = &v->maps[i];
			if (strcmp(mm->name, "flows") == 0 && mm->readable && !is_array(mm->type) &&
			    mm->ks == sizeof(struct flow_key) && mm->vs == sizeof(struct flow_stats))
				v->flow_map = mm;
			else if (strcmp(mm->name, "proto") == 0 && mm->readable && is_array(mm->type) &&
				 mm->ks == 4 && mm->vs == sizeof(struct proto_stats))
				v->proto_map = mm;
			else if (strcmp(mm->name, "verdicts") == 0 && mm->readable && is_array(mm->type) &&
				 mm->ks == 4 && mm->vs == 8)
				v->verdict_map = mm;
		}
		if (!v->flow_map || !v->proto_map || !v->verdict_map) {
			cli_err("monitor: %s: not the flows program: it needs the maps flows, proto and verdicts "
				"of examples/flows.h",
				o->name);
			mon_view_free(v);
			return NULL;
		}
	}
	return v;
oom:
	cli_err("monitor: out of memory");
	mon_view_free(v);
	return NULL;
}

void mon_view_free(struct mon_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->maps && i < v->nr_maps; i++)
		map_free(&v->maps[i]);
	free(v->maps);
	free(v->top);
	free(v);
}

static int ensure_top(struct mon_view *v, size_t k)
{
	if (v->top_cap >= k)
		return 0;
	size_t *t = realloc(v->top, (k ? k : 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	v->top = t;
	v->top_cap = k;
	return 0;
}

/* The verdicts map of flows.bpf.c (index: XDP action) and the proto map, summed. */
static void read_small_array(const struct mon_map *mm, uint64_t *out, size_t nr, size_t words)
{
	for (size_t i = 0; i < nr * words; i++)
		out[i] = 0;
	for (size_t i = 0; i < mm->n; i++) {
		uint32_t idx;
		memcpy(&idx, mm->keys + i * mm->ks, 4);
		if (idx < nr)
			memcpy(&out[idx * words], mm->vals + i * mm->vs, words * 8);
	}
}

static const char *const proto_idx_names[FLOW_PROTO_MAX] = {
    [FLOW_PROTO_OTHER] = "other", [FLOW_PROTO_TCP] = "tcp",	    [FLOW_PROTO_UDP] = "udp",
    [FLOW_PROTO_ICMP] = "icmp",	  [FLOW_PROTO_IP_OTHER] = "ip_other",
};
/* Shown in this order: the IP protocols first. */
static const int proto_order[FLOW_PROTO_MAX] = {FLOW_PROTO_TCP, FLOW_PROTO_UDP, FLOW_PROTO_ICMP,
						FLOW_PROTO_IP_OTHER, FLOW_PROTO_OTHER};

/* ---- JSON ---- */

static void json_flow(struct json *j, const struct flow_row *r)
{
	char a[INET6_ADDRSTRLEN], fl[12];
	json_obj_begin(j);
	json_kv_str(j, "proto", r->proto);
	json_kv_u64(j, "proto_num", r->k.proto);
	json_kv_u64(j, "family", r->k.family);
	json_kv_str(j, "src", addr_str(r->k.saddr, r->k.family, a, sizeof(a)));
	json_kv_str(j, "dst", addr_str(r->k.daddr, r->k.family, a, sizeof(a)));
	if (is_icmp(r->k.proto)) {
		json_kv_u64(j, "icmp_type", r->sport & 0xffu);
		json_kv_u64(j, "icmp_code", r->dport & 0xffu);
	} else {
		json_kv_u64(j, "sport", r->sport);
		json_kv_u64(j, "dport", r->dport);
	}
	json_kv_u64(j, "vlan", r->k.vlan);
	json_kv_u64(j, "packets", r->s.packets);
	json_kv_u64(j, "bytes", r->s.bytes);
	if (r->k.proto == 6)
		json_kv_str(j, "tcp_flags", tcp_flags_str(r->s.tcp_flags, fl));
	json_kv_u64(j, "first_seen_ns", r->s.first_seen);
	json_kv_u64(j, "last_seen_ns", r->s.last_seen);
	json_obj_end(j);
}

static void json_top_flows(struct mon_view *v, struct json *j, const char *key, mon_cmp_fn cmp, unsigned top,
			   uint64_t now)
{
	size_t n = top_select(v, v->flow_map, top, cmp, NULL);
	json_key(j, key);
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		struct flow_row r;
		flow_row(v->flow_map, v->top[i], now, &r);
		json_flow(j, &r);
	}
	json_arr_end(j);
}

static void json_actions(struct json *j, const char *key, const uint64_t *counts)
{
	json_key(j, key);
	json_obj_begin(j);
	for (int a = 0; a < MON_NR_ACTIONS; a++)
		json_kv_u64(j, userbpf_pkt_action_name((enum userbpf_pkt_action)a), counts[a]);
	json_obj_end(j);
}

static void json_flows_maps(struct mon_view *v, const struct mon_state *st, struct json *j)
{
	uint64_t now = ktime_now(), proto[FLOW_PROTO_MAX * 2], verd[MON_NR_ACTIONS];
	json_kv_u64(j, "flows", v->flow_map->n);
	json_top_flows(v, j, "top_bytes", cmp_flow_bytes, st->top, now);
	json_top_flows(v, j, "top_packets", cmp_flow_packets, st->top, now);
	read_small_array(v->proto_map, proto, FLOW_PROTO_MAX, 2);
	json_key(j, "protocols");
	json_obj_begin(j);
	for (int i = 0; i < FLOW_PROTO_MAX; i++) {
		int p = proto_order[i];
		json_key(j, proto_idx_names[p]);
		json_obj_begin(j);
		json_kv_u64(j, "packets", proto[p * 2]);
		json_kv_u64(j, "bytes", proto[p * 2 + 1]);
		json_obj_end(j);
	}
	json_obj_end(j);
	read_small_array(v->verdict_map, verd, MON_NR_ACTIONS, 1);
	json_actions(j, "prog_verdicts", verd);
}

/* A key by its BTF type; an array index without one as a number. */
static void print_key(const struct mon_view *v, const struct mon_map *mm, size_t e, FILE *f, struct json *j)
{
	uint32_t tid = userbpf_object_map__btf_key_type_id(mm->def);
	const uint8_t *k = mm->keys + e * mm->ks;
	if (!tid && is_array(mm->type) && mm->ks == 4) {
		uint32_t idx;
		memcpy(&idx, k, 4);
		if (j)
			json_u64(j, idx);
		else
			fprintf(f, "%u", idx);
		return;
	}
	cli_print_value(v->o, tid, k, mm->ks, f, j);
}

static void print_val(const struct mon_view *v, const struct mon_map *mm, size_t e, FILE *f, struct json *j)
{
	cli_print_value(v->o, userbpf_object_map__btf_value_type_id(mm->def), mm->vals + e * mm->vs, mm->vs, f, j);
}

static void json_generic_maps(struct mon_view *v, const struct mon_state *st, struct json *j)
{
	json_key(j, "maps");
	json_arr_begin(j);
	for (size_t m = 0; m < v->nr_maps; m++) {
		struct mon_map *mm = &v->maps[m];
		json_obj_begin(j);
		json_kv_str(j, "name", mm->name);
		const char *tn = userbpf_map_type_name(userbpf_object_map__type(mm->def));
		json_kv_str(j, "type", tn ? tn : "unknown");
		json_kv_u64(j, "max_entries", userbpf_object_map__max_entries(mm->def));
		if (mm->type == USERBPF_MAP_TYPE_RINGBUF || mm->type == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)
			json_kv_u64(j, "records", mm->records);
		if (mm->readable && userbpf_object_map__is_global_data(mm->def)) {
			if (mm->n) {
				json_key(j, "value");
				print_val(v, mm, 0, NULL, j);
			}
		} else if (mm->readable) {
			size_t n = top_select(v, mm, st->top, cmp_rank, keep_nonzero), used = 0;
			for (size_t i = 0; i < mm->n; i++)
				used += keep_nonzero(mm, i);
			json_kv_u64(j, "entries", used);
			json_key(j, "top");
			json_arr_begin(j);
			for (size_t i = 0; i < n; i++) {
				size_t e = v->top[i];
				json_obj_begin(j);
				json_key(j, "key");
				print_key(v, mm, e, NULL, j);
				json_key(j, "value");
				print_val(v, mm, e, NULL, j);
				json_kv_u64(j, "rank", rank_of(mm, e));
				json_obj_end(j);
			}
			json_arr_end(j);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void report_json(struct mon_view *v, const struct mon_state *st, const struct mon_span *sp, FILE *f)
{
	struct json j;
	uint64_t dur = sp->end_ns - sp->start_ns;
	json_init(&j, f);
	json_obj_begin(&j);
	json_kv_bool(&j, "summary", sp->summary);
	if (sp->summary)
		json_kv_u64(&j, "intervals", sp->index);
	else
		json_kv_u64(&j, "interval", sp->index);
	json_kv_str(&j, "source", st->source);
	json_kv_str(&j, "program", st->prog);
	json_kv_u64(&j, "start_ns", sp->start_ns);
	json_kv_u64(&j, "end_ns", sp->end_ns);
	json_kv_u64(&j, "epoch_ns", sp->epoch_ns);
	json_kv_u64(&j, "packets", sp->count.packets);
	json_kv_u64(&j, "bytes", sp->count.bytes);
	json_kv_u64(&j, "pps", per_second(sp->count.packets, dur));
	json_kv_u64(&j, "bps", per_second(sp->count.bytes * 8, dur));
	json_actions(&j, "verdicts", sp->actions);
	json_kv_u64(&j, "total_packets", st->total.packets);
	json_kv_u64(&j, "total_bytes", st->total.bytes);
	json_actions(&j, "total_verdicts", st->actions);
	json_kv_u64(&j, "errors", st->errors);
	if (st->live)
		json_kv_u64(&j, "kernel_drops", st->kernel_drops);
	if (v->flows)
		json_flows_maps(v, st, &j);
	else
		json_generic_maps(v, st, &j);
	json_obj_end(&j); /* ends the line */
}

/* ---- text ---- */

static void text_flows_table(struct mon_view *v, const struct mon_state *st, FILE *f, const char *title,
			     mon_cmp_fn cmp, uint64_t now)
{
	size_t n = top_select(v, v->flow_map, st->top, cmp, NULL);
	struct flow_row *rows = calloc(n ? n : 1, sizeof(*rows));
	int ws = 6, wd = 11;
	fprintf(f, "\ntop flows by %s\n", title);
	if (!rows) {
		fprintf(f, "  (out of memory)\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		flow_row(v->flow_map, v->top[i], now, &rows[i]);
		if ((int)strlen(rows[i].src) > ws)
			ws = (int)strlen(rows[i].src);
		if ((int)strlen(rows[i].dst) > wd)
			wd = (int)strlen(rows[i].dst);
	}
	if (!n) {
		fprintf(f, "  (no flows)\n");
		free(rows);
		return;
	}
	fprintf(f, "  %-7s %-*s  %-*s %5s %10s %12s %-8s %7s\n", "proto", ws, "source", wd, "destination",
		"vlan", "packets", "bytes", "flags", "age");
	for (size_t i = 0; i < n; i++) {
		const struct flow_row *r = &rows[i];
		fprintf(f, "  %-7s %-*s  %-*s %5u %10" PRIu64 " %12" PRIu64 " %-8s %7s\n", r->proto, ws, r->src, wd,
			r->dst, r->k.vlan, r->s.packets, r->s.bytes, r->flags, r->age);
	}
	free(rows);
}

static void text_flows(struct mon_view *v, const struct mon_state *st, FILE *f)
{
	uint64_t now = ktime_now(), proto[FLOW_PROTO_MAX * 2], all = 0;
	fprintf(f, "  flows      %zu in the table (at most %u)\n", v->flow_map->n,
		userbpf_map__max_entries(v->flow_map->map));
	text_flows_table(v, st, f, "bytes", cmp_flow_bytes, now);
	text_flows_table(v, st, f, "packets", cmp_flow_packets, now);
	read_small_array(v->proto_map, proto, FLOW_PROTO_MAX, 2);
	for (int i = 0; i < FLOW_PROTO_MAX; i++)
		all += proto[i * 2];
	fprintf(f, "\nprotocols\n  %-9s %10s %12s %7s\n", "", "packets", "bytes", "share");
	for (int i = 0; i < FLOW_PROTO_MAX; i++) {
		int p = proto_order[i];
		fprintf(f, "  %-9s %10" PRIu64 " %12" PRIu64 " %6.1f%%\n", proto_idx_names[p], proto[p * 2],
			proto[p * 2 + 1], all ? 100.0 * (double)proto[p * 2] / (double)all : 0.0);
	}
}

static void text_generic(struct mon_view *v, const struct mon_state *st, FILE *f)
{
	fprintf(f, "\nmaps\n");
	for (size_t m = 0; m < v->nr_maps; m++) {
		struct mon_map *mm = &v->maps[m];
		const char *tn = userbpf_map_type_name(userbpf_object_map__type(mm->def));
		fprintf(f, "  %-16s %-16s", mm->name, tn ? tn : "unknown");
		if (mm->readable && userbpf_object_map__is_global_data(mm->def)) {
			if (mm->n) {
				fputc(' ', f);
				print_val(v, mm, 0, f, NULL);
			}
			fputc('\n', f);
			continue;
		}
		if (mm->readable) {
			size_t used = 0;
			for (size_t i = 0; i < mm->n; i++)
				used += keep_nonzero(mm, i);
			fprintf(f, " %zu/%u %s\n", used, userbpf_object_map__max_entries(mm->def),
				is_array(mm->type) ? "non-zero entries" : "entries");
		} else if (mm->type == USERBPF_MAP_TYPE_RINGBUF ||
			   mm->type == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY) {
			fprintf(f, " %" PRIu64 " records\n", mm->records);
		} else {
			fprintf(f, " max %u\n", userbpf_object_map__max_entries(mm->def));
		}
		if (!mm->readable)
			continue;
		size_t n = top_select(v, mm, st->top, cmp_rank, keep_nonzero);
		for (size_t i = 0; i < n; i++) {
			size_t e = v->top[i];
			fputs("    ", f);
			print_key(v, mm, e, f, NULL);
			fputs(" -> ", f);
			print_val(v, mm, e, f, NULL);
			fputc('\n', f);
		}
	}
}

static void report_text(struct mon_view *v, const struct mon_state *st, const struct mon_span *sp, FILE *f)
{
	char r1[32], t1[16];
	uint64_t dur = sp->end_ns - sp->start_ns;
	if (st->tty)
		fputs("\033[H\033[2J", f);
	else if (sp->summary ? sp->index > 0 : sp->index > 1)
		fputc('\n', f);
	if (sp->summary)
		fprintf(f, "== summary: %s on %s, %s, %" PRIu64 " interval%s\n", st->prog, st->source,
			secs_str(dur, t1, sizeof(t1)), sp->index, sp->index == 1 ? "" : "s");
	else
		fprintf(f, "== %s on %s: interval %" PRIu64 ", %.3f-%.3f s\n", st->prog, st->source, sp->index,
			(double)sp->start_ns / 1e9, (double)sp->end_ns / 1e9);
	fprintf(f, "  %-10s %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " pps, %s\n",
		sp->summary ? "run" : "interval", sp->count.packets, sp->count.bytes,
		per_second(sp->count.packets, dur), rate_str((double)per_second(sp->count.bytes * 8, dur), r1, sizeof(r1)));
	if (!sp->summary)
		fprintf(f, "  %-10s %" PRIu64 " packets, %" PRIu64 " bytes\n", "total", st->total.packets,
			st->total.bytes);
	fprintf(f, "  %-10s", "verdicts");
	for (int a = 0; a < MON_NR_ACTIONS; a++)
		fprintf(f, " %s %" PRIu64 "%s", userbpf_pkt_action_name((enum userbpf_pkt_action)a), sp->actions[a],
			a + 1 < MON_NR_ACTIONS ? "," : "");
	if (st->errors)
		fprintf(f, " (%" PRIu64 " failed runs)", st->errors);
	fputc('\n', f);
	if (st->live)
		fprintf(f, "  %-10s %" PRIu64 "\n", "kernel drops", st->kernel_drops);
	if (v->flows)
		text_flows(v, st, f);
	else
		text_generic(v, st, f);
}

int mon_view_report(struct mon_view *v, const struct mon_state *st, const struct mon_span *span, FILE *f)
{
	int err = ensure_top(v, st->top);
	for (size_t i = 0; !err && i < v->nr_maps; i++) {
		struct mon_map *mm = &v->maps[i];
		map_consume(mm);
		if (v->flows && mm != v->flow_map && mm != v->proto_map && mm != v->verdict_map)
			continue;
		err = map_read(mm, mm == v->flow_map);
	}
	if (err)
		return err;
	if (st->json)
		report_json(v, st, span, f);
	else
		report_text(v, st, span, f);
	return 0;
}
