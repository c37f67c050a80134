/*
 * test_examples.c - the example programs (examples/NAME.bpf.c) and their captures (examples/gen/):
 * every object opens with the maps its header describes and loads in the Linux kernel's verifier;
 * every capture file is the generator's packet list byte for byte, with valid checksums.
 * Expected values come from the generator's descriptions of its packets (examples/gen/gen.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "userbpf/kernel.h"
#include "userbpf/maps.h"
#include "userbpf/object.h"

#include "../../examples/dispatch.h"
#include "../../examples/dns.h"
#include "../../examples/firewall.h"
#include "../../examples/flows.h"
#include "../../examples/gen/gen.h"
#include "../../examples/synflood.h"
#include "../../examples/tc_rewrite.h"
#include "../../examples/xdp_proto_count.h"

static char logbuf[8192];

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

static const char *example_path(const char *name, const char *ext)
{
	static char path[4][512];
	static int slot;
	char *p = path[slot++ & 3];

	snprintf(p, sizeof(path[0]), "%s/examples/%s.%s", build_dir(), name, ext);
	return p;
}

static bool file_exists(const char *path)
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

static struct userbpf_object *open_example(const char *name)
{
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object *obj = userbpf_object__open_file(example_path(name, "o"), &o);

	if (!obj)
		fprintf(stderr, "open %s: %s\n", name, logbuf);
	return obj;
}

static const char *const examples[] = {
	"xdp_proto_count", "flows", "firewall", "synflood", "dns", "tc_rewrite", "dispatch",
};
#define NR_EXAMPLES (sizeof(examples) / sizeof(examples[0]))

/* ---------------------------------------------------------------------------------------------- */
/* Objects                                                                                         */

struct map_expect {
	const char *name;
	enum userbpf_map_type type;
	uint32_t key_size, value_size, max_entries;
};

static void check_maps(const char *example, const struct map_expect *m, size_t n)
{
	struct userbpf_object *obj = open_example(example);

	CHECK(obj != NULL);
	if (!obj)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct userbpf_object_map *om = userbpf_object__find_map_by_name(obj, m[i].name);

		if (!om) {
			fprintf(stderr, "%s: no map %s\n", example, m[i].name);
			CHECK(om != NULL);
			continue;
		}
		CHECK_EQ_INT(userbpf_object_map__type(om), m[i].type);
		CHECK_EQ_INT(userbpf_object_map__key_size(om), m[i].key_size);
		CHECK_EQ_INT(userbpf_object_map__value_size(om), m[i].value_size);
		CHECK_EQ_INT(userbpf_object_map__max_entries(om), m[i].max_entries);
	}
	userbpf_object__close(obj);
}

TEST(maps_match_headers)
{
	NEED_EXAMPLE("flows");
	static const struct map_expect pc[] = {
	    {"proto_count", USERBPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct pc_stats), PC_MAX},
	};
	static const struct map_expect fl[] = {
	    {"flows", USERBPF_MAP_TYPE_LRU_HASH, sizeof(struct flow_key), sizeof(struct flow_stats), FLOWS_MAX_ENTRIES},
	    {"proto", USERBPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct proto_stats), FLOW_PROTO_MAX},
	    {"verdicts", USERBPF_MAP_TYPE_ARRAY, 4, 8, 5},
	};
	static const struct map_expect fw[] = {
	    {"rules_v4", USERBPF_MAP_TYPE_LPM_TRIE, sizeof(struct fw_lpm_v4), sizeof(struct fw_rule), 1024},
	    {"rules_v6", USERBPF_MAP_TYPE_LPM_TRIE, sizeof(struct fw_lpm_v6), sizeof(struct fw_rule), 1024},
	    {"ports", USERBPF_MAP_TYPE_HASH, sizeof(struct fw_port_key), sizeof(struct fw_rule), 1024},
	    {"hits", USERBPF_MAP_TYPE_ARRAY, 4, 8, FW_MAX_RULES},
	    {"drops", USERBPF_MAP_TYPE_ARRAY, 4, 8, 1},
	};
	static const struct map_expect sf[] = {
	    {"sources", USERBPF_MAP_TYPE_LRU_HASH, 16, sizeof(struct syn_source), SYN_SOURCES_MAX},
	    {"alerts", USERBPF_MAP_TYPE_RINGBUF, 0, 0, 16384},
	    {"stats", USERBPF_MAP_TYPE_ARRAY, 4, 8, SYN_STAT_MAX},
	};
	static const struct map_expect dn[] = {
	    {"qtypes", USERBPF_MAP_TYPE_HASH, 2, 8, 256},
	    {"tlds", USERBPF_MAP_TYPE_HASH, sizeof(struct dns_tld), 8, 1024},
	    {"stats", USERBPF_MAP_TYPE_ARRAY, 4, 8, DNS_STAT_MAX},
	};
	static const struct map_expect tc[] = {
	    {"stats", USERBPF_MAP_TYPE_ARRAY, 4, 8, TCRW_STAT_MAX},
	};
	static const struct map_expect dp[] = {
	    {"progs", USERBPF_MAP_TYPE_PROG_ARRAY, 4, 4, DISPATCH_NR_SLOTS},
	    {"counts", USERBPF_MAP_TYPE_ARRAY, 4, sizeof(struct dispatch_count), DISPATCH_NR_COUNTS},
	};
	check_maps("xdp_proto_count", pc, 1);
	check_maps("flows", fl, 3);
	check_maps("firewall", fw, 5);
	check_maps("synflood", sf, 3);
	check_maps("dns", dn, 3);
	check_maps("tc_rewrite", tc, 1);
	check_maps("dispatch", dp, 2);
}

TEST(program_types_and_slots)
{
	NEED_EXAMPLE("dispatch");
	struct userbpf_object *obj;
	struct userbpf_program *p;

	for (size_t i = 0; i < NR_EXAMPLES; i++) {
		obj = open_example(examples[i]);
		CHECK(obj != NULL);
		if (!obj)
			continue;
		userbpf_object__for_each_program(p, obj) {
			if (!userbpf_program__autoload(p))
				continue; /* global functions of .text (dns_question) */
			CHECK_EQ_INT(userbpf_program__type(p), strcmp(examples[i], "tc_rewrite") ? USERBPF_PROG_TYPE_XDP
												: USERBPF_PROG_TYPE_SCHED_CLS);
		}
		userbpf_object__close(obj);
	}

	/* The dispatcher's prog_array holds its four handlers at their slots. */
	obj = open_example("dispatch");
	CHECK(obj != NULL);
	if (!obj)
		return;
	const struct userbpf_object_map *progs = userbpf_object__find_map_by_name(obj, "progs");
	static const struct {
		uint32_t key;
		const char *prog;
	} want[] = {{DISPATCH_ARP, "handle_arp"}, {DISPATCH_TCP, "handle_tcp"}, {DISPATCH_UDP, "handle_udp"},
		    {DISPATCH_ICMP, "handle_icmp"}};
	CHECK(progs != NULL);
	if (progs) {
		CHECK_EQ_INT(userbpf_object_map__slot_cnt(progs), 4);
		for (size_t i = 0; i < userbpf_object_map__slot_cnt(progs) && i < 4; i++) {
			uint32_t key;
			const struct userbpf_program *target = NULL;

			CHECK_EQ_INT(userbpf_object_map__slot(progs, i, &key, NULL, &target), 0);
			CHECK_EQ_INT(key, want[i].key);
			CHECK(target != NULL);
			if (target)
				CHECK_STR(userbpf_program__name(target), want[i].prog);
		}
	}
	userbpf_object__close(obj);
}

/* Every example passes the Linux kernel's verifier as built. */
TEST(kernel_verifier_accepts_every_example)
{
	char why[200];

	NEED_EXAMPLE("flows");
	if (!userbpf_kernel_available(why, sizeof(why)))
		SKIP("kernel: %s", why);
	for (size_t i = 0; i < NR_EXAMPLES; i++) {
		struct userbpf_object *obj = open_example(examples[i]);
		struct userbpf_kobject_opts ko =
		    USERBPF_OPTS_INIT(userbpf_kobject_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
		struct userbpf_kobject *k;

		CHECK(obj != NULL);
		if (!obj)
			continue;
		k = userbpf_kobject__load(obj, &ko);
		if (!k)
			fprintf(stderr, "kernel load %s: %s\n", examples[i], logbuf);
		CHECK(k != NULL);
		userbpf_kobject__close(k);
		userbpf_object__close(obj);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Captures                                                                                        */

/* The records of a pcap file (little-endian, microseconds, as the generator writes). */
struct pcap_rec {
	uint64_t ts_ns;
	uint32_t len;
	const uint8_t *data;
};

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whole file; records into *recs (pointing into the returned buffer). NULL if unreadable. */
static uint8_t *read_pcap(const char *path, struct pcap_rec **recs, size_t *n)
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

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ones' complement sum, folded, not complemented. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
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
static int verify_checksums(const uint8_t *d, uint32_t len)
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

/* The files on disk are the generator's packets, byte for byte, with correct checksums. */
TEST(captures_are_the_generators_packets)
{
	if (!file_exists(example_path("flows", "pcap")))
		SKIP("%s missing", example_path("flows", "pcap"));
	for (size_t c = 0; gen_capture_names[c]; c++) {
		struct gen_capture cap;
		struct pcap_rec *recs;
		size_t n, verified = 0;

		uint8_t *buf = read_pcap(example_path(gen_capture_names[c], "pcap"), &recs, &n);

		CHECK(buf != NULL);
		CHECK_EQ_INT(gen_capture_build(gen_capture_names[c], &cap), 0);
		CHECK_EQ_INT(n, cap.n);
		for (size_t i = 0; buf && i < n && i < cap.n; i++) {
			int v = verify_checksums(recs[i].data, recs[i].len);

			CHECK_EQ_INT(recs[i].len, cap.pkts[i].len);
			CHECK(memcmp(recs[i].data, cap.pkts[i].data, recs[i].len) == 0);
			CHECK_EQ_U64(recs[i].ts_ns, cap.pkts[i].ts_ns);
			if (v < 0)
				fprintf(stderr, "%s: packet %zu: bad checksum\n", gen_capture_names[c], i);
			CHECK(v >= 0);
			/* IP packets carry at least one checksum, but for IPv6 later fragments and bad IPv4. */
			const struct gen_pkt *g = &cap.pkts[i];
			if (g->family && g->defect != GEN_BAD_IHL && !(g->family == 6 && g->later_frag)) {
				CHECK(v > 0);
				verified++;
			}
		}
		CHECK(verified > 0);
		gen_capture_free(&cap);
		free(recs);
		free(buf);
	}
}

/* Two builds of a capture are identical; unknown names are refused. */
TEST(generator_is_deterministic)
{
	struct gen_capture a, b;

	CHECK_EQ_INT(gen_capture_build("monitor", &a), 0);
	CHECK_EQ_INT(gen_capture_build("monitor", &b), 0);
	CHECK(a.n >= 3000);
	CHECK_EQ_INT(a.n, b.n);
	for (size_t i = 0; i < a.n && i < b.n; i++)
		CHECK(a.pkts[i].len == b.pkts[i].len && !memcmp(a.pkts[i].data, b.pkts[i].data, a.pkts[i].len));
	gen_capture_free(&a);
	gen_capture_free(&b);
	CHECK_EQ_INT(gen_capture_build("nope", &a), -ENOENT);
}
