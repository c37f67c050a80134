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

#include "examples_util.h"
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
	    {"flows", USERBPF_MAP_TYPE_LRU_HASH, sizeof(struct flow_key), sizeof(struct flow_stats),
	     FLOWS_MAX_ENTRIES},
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
		userbpf_object__for_each_program(p, obj)
		{
			if (!userbpf_program__autoload(p))
				continue; /* global functions of .text (dns_question) */
			CHECK_EQ_INT(userbpf_program__type(p), strcmp(examples[i], "tc_rewrite")
								   ? USERBPF_PROG_TYPE_XDP
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
	} want[] = {{DISPATCH_ARP, "handle_arp"},
		    {DISPATCH_TCP, "handle_tcp"},
		    {DISPATCH_UDP, "handle_udp"},
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
			/* IP packets carry at least one checksum, but for IPv6 later fragments and bad IPv4.
			 */
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
		CHECK(a.pkts[i].len == b.pkts[i].len &&
		      !memcmp(a.pkts[i].data, b.pkts[i].data, a.pkts[i].len));
	gen_capture_free(&a);
	gen_capture_free(&b);
	CHECK_EQ_INT(gen_capture_build("nope", &a), -ENOENT);
}
