/*
 * dns.bpf.c - XDP DNS query counter (maps and rules in dns.h): walks the first question's QNAME
 * label by label within DNS_NAME_MAX bytes (a bounded loop), reads QTYPE after it, and counts the
 * query by QTYPE and by top-level domain; malformed questions are counted apart. Always XDP_PASS.
 */
#include "parse.h"
#include <linux/udp.h>

#include "dns.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, __u64);
	__uint(max_entries, 256);
} qtypes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct dns_tld);
	__type(value, __u64);
	__uint(max_entries, 1024);
} tlds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, DNS_STAT_MAX);
} stats SEC(".maps");

struct dns_hdr {
	__be16 id;
	__be16 flags;
	__be16 qdcount;
	__be16 ancount;
	__be16 nscount;
	__be16 arcount;
};

static __always_inline void stat_add(__u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

static __always_inline void count_key(void *map, const void *key)
{
	__u64 one = 1, *cnt = bpf_map_lookup_elem(map, key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) != 0) {
		cnt = bpf_map_lookup_elem(map, key);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
	}
}

/*
 * The first question, at `name_off` in the packet: counted by qtype and TLD, or as malformed. A global
 * function, so the kernel's verifier checks it once on its own instead of once per way the headers
 * before it can be laid out (VLAN tags, IPv6 extension headers). Returns XDP_PASS.
 */
__noinline int dns_question(struct xdp_md *ctx, __u32 name_off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct dns_tld tld;
	__u8 *name, *p;
	__u32 off = 0, last = 0, last_len = 0;
	__u16 qtype;
	int done = 0;

	if (name_off > PARSE_MAX_OFF)
		return XDP_PASS;
	name = data + name_off;

	/* Labels take two bytes at least, all but the final zero: DNS_NAME_MAX / 2 + 1 rounds suffice. */
	for (int i = 0; i < DNS_NAME_MAX / 2 + 1; i++) {
		__u8 len;

		if (off >= DNS_NAME_MAX)
			break;
		p = name + off;
		if ((void *)(p + 1) > data_end)
			break;
		len = *p;
		if (len == 0) {
			done = 1;
			off++;
			break;
		}
		if (len > DNS_LABEL_MAX)
			break; /* compression pointer or reserved label type */
		last = off + 1;
		last_len = len;
		off += 1 + len;
	}
	if (!done || off > DNS_NAME_MAX) {
		stat_add(DNS_STAT_MALFORMED);
		return XDP_PASS;
	}
	p = name + off;
	if ((void *)(p + 2) > data_end) {
		stat_add(DNS_STAT_MALFORMED);
		return XDP_PASS;
	}
	qtype = ((__u16)p[0] << 8) | p[1];

	__builtin_memset(&tld, 0, sizeof(tld));
	for (int i = 0; i < DNS_TLD_LEN - 1; i++) {
		__u8 c;

		if (i >= last_len || last > DNS_NAME_MAX)
			break;
		p = name + last + i;
		if ((void *)(p + 1) > data_end)
			break;
		c = *p;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		tld.name[i] = c;
	}

	stat_add(DNS_STAT_QUERIES);
	count_key(&qtypes, &qtype);
	count_key(&tlds, &tld);
	return XDP_PASS;
}

SEC("xdp")
int dns_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_l2 l2;
	struct parse_l3 l3;
	struct udphdr *uh;
	struct dns_hdr *dh;

	if (parse_ip(data, data_end, &l2, &l3) != 1 || l3.proto != IPPROTO_UDP || l3.later_frag)
		return XDP_PASS;
	uh = parse_l4(data, data_end, &l3, sizeof(*uh));
	if (!uh || uh->dest != bpf_htons(DNS_PORT))
		return XDP_PASS;
	dh = parse_l4(data, data_end, &l3, sizeof(*uh) + sizeof(*dh));
	if (!dh) {
		stat_add(DNS_STAT_OTHER); /* to port 53 but shorter than a DNS header */
		return XDP_PASS;
	}
	dh = (void *)((struct udphdr *)dh + 1);
	if ((dh->flags & bpf_htons(0x8000)) || dh->qdcount == 0) {
		stat_add(DNS_STAT_OTHER);
		return XDP_PASS;
	}
	return dns_question(ctx, l3.l4_off + sizeof(*uh) + sizeof(*dh));
}

char LICENSE[] SEC("license") = "GPL";
