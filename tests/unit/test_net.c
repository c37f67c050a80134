/*
 * test_net.c - src/net: capture files written with libpcap (and pcapng by a small block writer here)
 * read back exactly (bytes, lengths, timestamps to the nanosecond) in batches of every size, stdin,
 * truncation at every byte of the last record and corrupt headers (an error naming the file and the
 * count, never a silent end), other link types refused by name, the pcap writer read back (and its
 * flush error), whole captures in memory, and a live capture on loopback (root only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "net/net.h"
#include "test.h"

#define NPKT 10

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_net.XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

/* Packet i of the test set: an Ethernet frame of a length that varies, bytes derived from i. */
static uint32_t pkt_len(int i)
{
	static const uint32_t lens[] = {60, 64, 1514, 98, 342, 60, 1000, 61, 77, 9000};
	return lens[i % 10];
}

static void pkt_fill(int i, uint8_t *buf)
{
	uint32_t len = pkt_len(i);
	for (uint32_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(k * 7 + (uint32_t)i * 13 + 1);
	buf[12] = 0x08; /* IPv4 ethertype, not that anyone here looks */
	buf[13] = 0x00;
}

static uint64_t pkt_ts(int i)
{
	return 1700000000ull * 1000000000ull + (uint64_t)i * 1000001237ull + 999999999ull * (i & 1);
}

/* Packet i is captured whole except packet 3, cut to 50 of its 98 bytes. */
static uint32_t pkt_caplen(int i)
{
	return i == 3 ? 50 : pkt_len(i);
}

static uint32_t pkt_wire(int i)
{
	return pkt_len(i);
}

/* A pcap file of the test set through libpcap's own writer; nano or micro timestamps. */
static int write_pcap(const char *path, int n, int linktype, bool nano)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(
	    linktype, 65535, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	pcap_dumper_t *d;
	uint8_t buf[9000];

	if (!dead)
		return -1;
	d = pcap_dump_open(dead, path);
	if (!d) {
		pcap_close(dead);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct pcap_pkthdr h;
		uint64_t ts = pkt_ts(i);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(ts / 1000000000ull);
		h.ts.tv_usec = (suseconds_t)(nano ? ts % 1000000000ull : ts % 1000000000ull / 1000);
		h.caplen = pkt_caplen(i);
		h.len = pkt_wire(i);
		pkt_fill(i, buf);
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

/* ---- a minimal pcapng writer (little-endian) ---- */

struct bytes {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct bytes *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put32(struct bytes *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put16(struct bytes *b, uint16_t v)
{
	put(b, &v, 2);
}

/* Section header, one interface (linktype, tsresol 10^-tsresol s or 0 for the default 10^-6). */
static void ng_header(struct bytes *b, uint16_t linktype, uint8_t tsresol)
{
	put32(b, 0x0A0D0D0A);
	put32(b, 28);
	put32(b, 0x1A2B3C4D);
	put16(b, 1);
	put16(b, 0);
	uint64_t section_len = UINT64_MAX;
	put(b, &section_len, 8);
	put32(b, 28);

	uint32_t idb_len = 20 + (tsresol ? 8 + 4 : 0);
	put32(b, 1);
	put32(b, idb_len);
	put16(b, linktype);
	put16(b, 0);
	put32(b, 0); /* snaplen: none */
	if (tsresol) {
		put16(b, 9); /* if_tsresol */
		put16(b, 1);
		uint8_t opt[4] = {tsresol, 0, 0, 0};
		put(b, opt, 4);
		put32(b, 0); /* opt_endofopt */
	}
	put32(b, idb_len);
}

static void ng_epb(struct bytes *b, uint64_t ts_units, const uint8_t *data, uint32_t caplen, uint32_t wire)
{
	uint32_t pad = (4 - caplen % 4) % 4;
	uint32_t len = 32 + caplen + pad;
	uint8_t zero[4] = {0};
	put32(b, 6);
	put32(b, len);
	put32(b, 0);
	put32(b, (uint32_t)(ts_units >> 32));
	put32(b, (uint32_t)ts_units);
	put32(b, caplen);
	put32(b, wire);
	put(b, data, caplen);
	put(b, zero, pad);
	put32(b, len);
}

static int write_file(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(d, 1, n, f);
	return fclose(f) || w != n ? -1 : 0;
}

static int write_pcapng(const char *path, int n, uint8_t tsresol)
{
	struct bytes b = {0};
	uint8_t buf[9000];
	ng_header(&b, 1, tsresol);
	for (int i = 0; i < n; i++) {
		pkt_fill(i, buf);
		uint64_t ts = tsresol == 9 ? pkt_ts(i) : pkt_ts(i) / 1000;
		ng_epb(&b, ts, buf, pkt_caplen(i), pkt_wire(i));
	}
	int r = write_file(path, b.p, b.n);
	free(b.p);
	return r;
}

static uint8_t *read_whole(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long sz;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)sz + 1);
	if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*n = (size_t)sz;
	return p;
}

/* Read every packet of `path` in batches of `batch` and compare with the test set. Returns the
 * number of packets that matched, or -1 on a mismatch or an error. */
static int read_and_compare(const char *path, size_t batch, bool nano, int expect_n)
{
	char err[256] = "";
	struct net_pkt pkts[64];
	uint8_t buf[9000];
	struct net_src *src = net_src_open_file(path, err, sizeof(err));
	int i = 0, r, bad = 0;

	if (!src) {
		fprintf(stderr, "open %s: %s\n", path, err);
		return -1;
	}
	CHECK(!net_src_is_live(src));
	while ((r = net_src_next(src, pkts, batch, err, sizeof(err))) > 0) {
		CHECK((size_t)r <= batch);
		/* Every packet of the batch is still intact after the whole batch was read. */
		for (int k = 0; k < r; k++, i++) {
			uint64_t want_ts = nano ? pkt_ts(i) : pkt_ts(i) / 1000 * 1000;
			pkt_fill(i, buf);
			if (pkts[k].caplen != pkt_caplen(i) || pkts[k].meta.wire_len != pkt_wire(i) ||
			    pkts[k].meta.tstamp_ns != want_ts || memcmp(pkts[k].data, buf, pkt_caplen(i)) ||
			    pkts[k].meta.ifindex != 0 || pkts[k].meta.vlan_proto != 0) {
				fprintf(stderr, "%s: packet %d differs (caplen %u wire %u ts %llu)\n", path, i,
					pkts[k].caplen, pkts[k].meta.wire_len,
					(unsigned long long)pkts[k].meta.tstamp_ns);
				bad = 1;
			}
		}
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		bad = 1;
	}
	CHECK_EQ_U64(net_src_count(src), (uint64_t)i);
	CHECK_EQ_INT(net_src_next(src, pkts, batch, err, sizeof(err)), 0); /* stays at the end */
	net_src_close(src);
	CHECK_EQ_INT(i, expect_n);
	return bad ? -1 : i;
}

TEST(pcap_nano_read_exactly_in_every_batch_size)
{
	const char *p = tmp_path("nano.pcap");
	CHECK_EQ_INT(write_pcap(p, NPKT, DLT_EN10MB, true), 0);
	for (size_t batch = 1; batch <= 12; batch++)
		CHECK_EQ_INT(read_and_compare(p, batch, true, NPKT), NPKT);
	CHECK_EQ_INT(read_and_compare(p, 64, true, NPKT), NPKT);
}

TEST(pcap_micro_read_as_nanoseconds)
{
	const char *p = tmp_path("micro.pcap");
	CHECK_EQ_INT(write_pcap(p, NPKT, DLT_EN10MB, false), 0);
	CHECK_EQ_INT(read_and_compare(p, 4, false, NPKT), NPKT);
}

TEST(pcap_empty_capture_has_no_packets)
{
	const char *p = tmp_path("empty.pcap");
	CHECK_EQ_INT(write_pcap(p, 0, DLT_EN10MB, true), 0);
	CHECK_EQ_INT(read_and_compare(p, 8, true, 0), 0);
}

TEST(pcapng_read_nano_and_default_resolution)
{
	const char *p = tmp_path("nano.pcapng");
	CHECK_EQ_INT(write_pcapng(p, NPKT, 9), 0);
	CHECK_EQ_INT(read_and_compare(p, 3, true, NPKT), NPKT);
	p = tmp_path("micro.pcapng");
	CHECK_EQ_INT(write_pcapng(p, NPKT, 0), 0);
	CHECK_EQ_INT(read_and_compare(p, 64, false, NPKT), NPKT);
}

TEST(stdin_is_dash)
{
	const char *p = tmp_path("stdin.pcap");
	int saved, fd;
	CHECK_EQ_INT(write_pcap(p, NPKT, DLT_EN10MB, true), 0);
	fd = open(p, O_RDONLY);
	saved = dup(0);
	CHECK(fd >= 0 && saved >= 0);
	dup2(fd, 0);
	close(fd);
	char err[256] = "";
	struct net_src *src = net_src_open_file("-", err, sizeof(err));
	CHECK(src != NULL);
	struct net_pkt pkts[16];
	int n = src ? net_src_next(src, pkts, 16, err, sizeof(err)) : -1;
	CHECK_EQ_INT(n, NPKT);
	if (n == NPKT)
		CHECK_EQ_U64(pkts[9].meta.tstamp_ns, pkt_ts(9));
	net_src_close(src);
	dup2(saved, 0);
	close(saved);
}

/* Every cut inside the last record: -EIO naming the file and the packets read before it. */
static void check_cuts(const char *name, const uint8_t *whole, size_t size, size_t last_start,
		       size_t last_end, int n_before)
{
	char err[512], want[128];
	struct net_pkt pkts[64];
	const char *p = tmp_path(name);
	int failures = 0;

	for (size_t cut = last_start; cut < last_end; cut++) {
		if (write_file(p, whole, cut))
			abort();
		err[0] = '\0';
		struct net_src *src = net_src_open_file(p, err, sizeof(err));
		if (!src) {
			fprintf(stderr, "cut %zu: open: %s\n", cut, err);
			failures++;
			continue;
		}
		int total = 0, r, last = 0;
		size_t batch = 1 + cut % 7; /* batches of several sizes */
		while ((r = net_src_next(src, pkts, batch, err, sizeof(err))) > 0)
			total += r;
		last = r;
		if (cut == last_start) {
			/* cut exactly between records: a clean end */
			if (last != 0 || total != n_before)
				failures++;
		} else {
			snprintf(want, sizeof(want), "%s: truncated packet record after %d packets", p, n_before);
			if (last != -EIO || !strstr(err, want) || total != n_before ||
			    net_src_count(src) != (uint64_t)n_before) {
				fprintf(stderr, "cut %zu: r=%d total=%d err='%s'\n", cut, last, total, err);
				failures++;
			}
			/* after the error: end, no crash */
			if (net_src_next(src, pkts, batch, err, sizeof(err)) != 0)
				failures++;
		}
		net_src_close(src);
	}
	(void)size;
	CHECK_EQ_INT(failures, 0);
}

TEST(pcap_truncated_at_every_byte_of_the_last_record)
{
	const char *p = tmp_path("full.pcap");
	size_t n;
	CHECK_EQ_INT(write_pcap(p, NPKT, DLT_EN10MB, true), 0);
	uint8_t *whole = read_whole(p, &n);
	CHECK(whole != NULL);
	if (!whole)
		return;
	size_t last = n - 16 - pkt_caplen(NPKT - 1);
	check_cuts("cut.pcap", whole, n, last, n, NPKT - 1);
	free(whole);
}

TEST(pcapng_truncated_at_every_byte_of_the_last_block)
{
	const char *p = tmp_path("full.pcapng");
	size_t n;
	CHECK_EQ_INT(write_pcapng(p, NPKT, 9), 0);
	uint8_t *whole = read_whole(p, &n);
	CHECK(whole != NULL);
	if (!whole)
		return;
	uint32_t caplen = pkt_caplen(NPKT - 1);
	size_t last = n - (32 + caplen + (4 - caplen % 4) % 4);
	check_cuts("cut.pcapng", whole, n, last, n, NPKT - 1);
	free(whole);
}

TEST(pcap_corrupt_record_header_is_an_error_with_the_count)
{
	const char *p = tmp_path("corrupt.pcap");
	char err[512] = "";
	struct net_pkt pkts[64];
	size_t n;
	CHECK_EQ_INT(write_pcap(p, NPKT, DLT_EN10MB, true), 0);
	uint8_t *whole = read_whole(p, &n);
	if (!whole)
		return;
	/* record 2's header starts after the file header and records 0 and 1 */
	size_t off = 24 + 16 + pkt_caplen(0) + 16 + pkt_caplen(1);
	uint32_t huge = 0x7fffffff;
	memcpy(whole + off + 8, &huge, 4); /* caplen */
	CHECK_EQ_INT(write_file(p, whole, n), 0);
	free(whole);
	struct net_src *src = net_src_open_file(p, err, sizeof(err));
	CHECK(src != NULL);
	if (!src)
		return;
	int total = 0, r;
	while ((r = net_src_next(src, pkts, 64, err, sizeof(err))) > 0)
		total += r;
	CHECK_EQ_INT(r, -EIO);
	CHECK_EQ_INT(total, 2); /* the good packets before the damage are delivered, then the error */
	CHECK_EQ_U64(net_src_count(src), 2);
	char want[300];
	snprintf(want, sizeof(want), "%s: corrupt packet record after 2 packets", p);
	CHECK_CONTAINS(err, want);
	net_src_close(src);

	/* in batches of one, the two good packets come first */
	src = net_src_open_file(p, err, sizeof(err));
	total = 0;
	while (src && (r = net_src_next(src, pkts, 1, err, sizeof(err))) > 0)
		total += r;
	CHECK_EQ_INT(total, 2);
	CHECK_EQ_INT(r, -EIO);
	net_src_close(src);
}

TEST(bad_file_headers_are_refused_by_name)
{
	char err[512];
	const char *p = tmp_path("bad.pcap");
	static const uint8_t junk[] = "this is not a capture file at all, just text\n";
	struct { const void *d; size_t n; } cases[] = {{junk, sizeof(junk) - 1}, {"", 0}, {"\xd4\xc3\xb2\xa1\x02\x00", 6}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(write_file(p, cases[i].d, cases[i].n), 0);
		err[0] = '\0';
		errno = 0;
		struct net_src *src = net_src_open_file(p, err, sizeof(err));
		CHECK(src == NULL);
		CHECK_EQ_INT(errno, EINVAL);
		CHECK(strncmp(err, p, strlen(p)) == 0);
		CHECK_CONTAINS(err, "not a pcap or pcapng capture");
		net_src_close(src);
	}
	errno = 0;
	struct net_src *src = net_src_open_file(tmp_path("missing.pcap"), err, sizeof(err));
	CHECK(src == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_CONTAINS(err, "missing.pcap: No such file or directory");
}

TEST(non_ethernet_link_types_are_refused_by_name)
{
	char err[512] = "";
	const char *p = tmp_path("sll.pcap");
	CHECK_EQ_INT(write_pcap(p, 2, DLT_LINUX_SLL, true), 0);
	errno = 0;
	CHECK(net_src_open_file(p, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(errno, EPROTONOSUPPORT);
	CHECK_CONTAINS(err, "sll.pcap: link type LINUX_SLL");
	CHECK_CONTAINS(err, "is not Ethernet");
	p = tmp_path("raw.pcap");
	CHECK_EQ_INT(write_pcap(p, 2, DLT_RAW, true), 0);
	CHECK(net_src_open_file(p, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "raw.pcap: link type RAW");
	/* pcapng too */
	struct bytes b = {0};
	ng_header(&b, 113 /* LINKTYPE_LINUX_SLL */, 9);
	p = tmp_path("sll.pcapng");
	CHECK_EQ_INT(write_file(p, b.p, b.n), 0);
	free(b.p);
	CHECK(net_src_open_file(p, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "link type LINUX_SLL");
}

TEST(break_ends_a_file_source)
{
	char err[256];
	const char *p = tmp_path("brk.pcap");
	struct net_pkt pkts[4];
	CHECK_EQ_INT(write_pcap(p, NPKT, DLT_EN10MB, true), 0);
	struct net_src *src = net_src_open_file(p, err, sizeof(err));
	CHECK(src != NULL);
	if (!src)
		return;
	CHECK_EQ_INT(net_src_next(src, pkts, 4, err, sizeof(err)), 4);
	net_src_break(src);
	CHECK_EQ_INT(net_src_next(src, pkts, 4, err, sizeof(err)), 0);
	CHECK_EQ_U64(net_src_count(src), 4);
	CHECK_EQ_U64(net_src_drops(src), 0);
	net_src_close(src);
}

TEST(sink_writes_nanosecond_pcap_read_back_exactly)
{
	char err[256] = "";
	const char *p = tmp_path("out.pcap");
	uint8_t buf[9000];
	struct net_sink *s = net_sink_open(p, 0, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	for (int i = 0; i < NPKT; i++) {
		pkt_fill(i, buf);
		CHECK_EQ_INT(net_sink_write(s, buf, pkt_caplen(i), pkt_ts(i), i == 3 ? pkt_wire(i) : 0), 0);
	}
	CHECK_EQ_INT(net_sink_close(s), 0);
	/* the file: nanosecond pcap magic, Ethernet */
	size_t n;
	uint8_t *whole = read_whole(p, &n);
	CHECK(whole && n > 24);
	if (whole) {
		uint32_t magic, linktype;
		memcpy(&magic, whole, 4);
		memcpy(&linktype, whole + 20, 4);
		CHECK_EQ_U64(magic, 0xa1b23c4d);
		CHECK_EQ_U64(linktype, 1);
	}
	free(whole);
	CHECK_EQ_INT(read_and_compare(p, 5, true, NPKT), NPKT);
}

TEST(sink_snaplen_cuts_and_keeps_wire_length)
{
	char err[256] = "";
	const char *p = tmp_path("snap.pcap");
	uint8_t buf[1514];
	struct net_pkt pkts[2];
	pkt_fill(2, buf);
	struct net_sink *s = net_sink_open(p, 128, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_INT(net_sink_write(s, buf, 1514, 5, 0), 0);
	CHECK_EQ_INT(net_sink_close(s), 0);
	struct net_src *src = net_src_open_file(p, err, sizeof(err));
	CHECK(src != NULL);
	if (!src)
		return;
	CHECK_EQ_INT(net_src_next(src, pkts, 2, err, sizeof(err)), 1);
	CHECK_EQ_U64(pkts[0].caplen, 128);
	CHECK_EQ_U64(pkts[0].meta.wire_len, 1514);
	CHECK_EQ_U64(pkts[0].meta.tstamp_ns, 5);
	CHECK(memcmp(pkts[0].data, buf, 128) == 0);
	net_src_close(src);
}

TEST(sink_errors_are_reported)
{
	char err[256] = "";
	uint8_t buf[1514] = {0};
	errno = 0;
	CHECK(net_sink_open(tmp_path("no/such/dir/x.pcap"), 0, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_CONTAINS(err, "x.pcap: cannot create it: No such file or directory");
	/* /dev/full takes the open and fails the flush: the close reports it */
	struct net_sink *s = net_sink_open("/dev/full", 0, err, sizeof(err));
	if (!s)
		SKIP("/dev/full: %s", err);
	int r = 0;
	for (int i = 0; i < 3 && !r; i++)
		r = net_sink_write(s, buf, sizeof(buf), 0, 0);
	int c = net_sink_close(s);
	CHECK(r == -ENOSPC || c == -ENOSPC);
	CHECK_EQ_INT(c, -ENOSPC);
}

TEST(capture_load_holds_everything)
{
	char err[256] = "";
	struct net_capture cap;
	uint8_t buf[9000];
	const char *p = tmp_path("load.pcapng");
	CHECK_EQ_INT(write_pcapng(p, NPKT, 9), 0);
	CHECK_EQ_INT(net_capture_load(p, &cap, err, sizeof(err)), 0);
	CHECK_EQ_U64(cap.n, NPKT);
	for (size_t i = 0; i < cap.n && i < NPKT; i++) {
		pkt_fill((int)i, buf);
		CHECK_EQ_U64(cap.pkts[i].len, pkt_caplen((int)i));
		CHECK_EQ_U64(cap.pkts[i].meta.wire_len, pkt_wire((int)i));
		CHECK_EQ_U64(cap.pkts[i].meta.tstamp_ns, pkt_ts((int)i));
		CHECK(memcmp(cap.pkts[i].data, buf, cap.pkts[i].len) == 0);
	}
	net_capture_free(&cap);
	CHECK(cap.pkts == NULL && cap.n == 0);

	/* a damaged one: no capture, the error with the count */
	size_t n;
	uint8_t *whole = read_whole(p, &n);
	if (!whole)
		return;
	p = tmp_path("load_cut.pcapng");
	CHECK_EQ_INT(write_file(p, whole, n - 5), 0);
	free(whole);
	CHECK_EQ_INT(net_capture_load(p, &cap, err, sizeof(err)), -EIO);
	CHECK_CONTAINS(err, "load_cut.pcapng: truncated packet record after 9 packets");
	CHECK(cap.pkts == NULL);
	CHECK_EQ_INT(net_capture_load(tmp_path("nope.pcap"), &cap, err, sizeof(err)), -ENOENT);
}

TEST(live_unknown_interface)
{
	char err[256] = "";
	errno = 0;
	CHECK(net_src_open_live("nosuchif0", NULL, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(errno, ENODEV);
	CHECK_STR(err, "nosuchif0: no such interface");
	CHECK(net_src_open_live("a-name-far-too-long-for-linux", NULL, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
}

struct breaker {
	struct net_src *src;
};

static void *break_later(void *arg)
{
	struct breaker *b = arg;
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	net_src_break(b->src);
	return NULL;
}

/* Loopback: UDP datagrams sent to 127.0.0.1 are seen, with lo's ifindex and the payload. */
TEST(live_loopback_sees_sent_datagrams)
{
	char err[256] = "";
	struct net_live_opts o = {.timeout_ms = 10, .block_size = 1u << 16, .block_nr = 4};
	struct net_src *src = net_src_open_live("lo", &o, err, sizeof(err));
	if (!src && (errno == EPERM || errno == EACCES))
		SKIP("live capture needs CAP_NET_RAW: %s", err);
	CHECK(src != NULL);
	if (!src)
		return;
	CHECK(net_src_is_live(src));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(47999)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	char payload[64];
	snprintf(payload, sizeof(payload), "userbpf-live-%d", (int)getpid());
	for (int i = 0; i < 5; i++)
		sendto(s, payload, strlen(payload), 0, (struct sockaddr *)&to, sizeof(to));
	close(s);

	struct net_pkt pkts[16];
	int seen = 0, tries = 0;
	unsigned int lo = if_nametoindex("lo");
	while (seen < 5 && tries++ < 200) {
		int r = net_src_next(src, pkts, 16, err, sizeof(err));
		CHECK(r >= 0);
		if (r < 0)
			break;
		for (int i = 0; i < r; i++) {
			if (pkts[i].caplen < 14 + 20 + 8 + strlen(payload) ||
			    memcmp(pkts[i].data + 42, payload, strlen(payload)))
				continue;
			CHECK_EQ_U64(pkts[i].meta.ifindex, lo);
			CHECK_EQ_U64(pkts[i].meta.wire_len, 42 + strlen(payload));
			CHECK_EQ_U64(pkts[i].caplen, 42 + strlen(payload));
			CHECK(pkts[i].meta.tstamp_ns > 1600000000ull * 1000000000ull);
			seen++;
		}
	}
	/* loopback shows each datagram once per direction on some kernels: at least all five */
	CHECK(seen >= 5);
	CHECK(net_src_count(src) >= 5);
	CHECK_EQ_U64(net_src_drops(src), 0);

	/* net_src_break from another thread ends a wait */
	struct breaker b = {src};
	pthread_t th;
	struct net_live_opts slow = {.timeout_ms = 5000};
	net_src_close(src);
	src = net_src_open_live("lo", &slow, err, sizeof(err));
	CHECK(src != NULL);
	if (!src)
		return;
	b.src = src;
	pthread_create(&th, NULL, break_later, &b);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r;
	do
		r = net_src_next(src, pkts, 16, err, sizeof(err));
	while (r > 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	CHECK_EQ_INT(r, 0);
	CHECK(t1.tv_sec - t0.tv_sec < 4); /* woken, not timed out */
	net_src_close(src);
}

__attribute__((destructor)) static void cleanup(void)
{
	if (tmpdir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}
