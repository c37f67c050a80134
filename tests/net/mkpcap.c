/*
 * mkpcap.c - the captures the packet-mode tests use, written with libpcap (nanosecond pcap):
 *   mkpcap mix OUT       13 frames: 5 TCP (to port 80), 4 UDP (3 to port 53, 1 to 123), 2 ICMP echo,
 *                        1 ARP, 1 IPv6 UDP; 996 bytes; packet i at 1700000000 + i s + 1000 i + 7 ns
 *   mkpcap big N OUT     the mix repeated to N frames (timestamps go on growing)
 *   mkpcap raw OUT       one frame with link type RAW (not Ethernet)
 * Built by the tests with cc against libpcap; no capture is stored in the repository.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

enum kind { TCP, UDP53, UDP123, ICMP, ARP, IPV6 };

/* The mix, in order; TCP payloads grow by 10 bytes each time, UDP 53 ones by 10 from 20. */
static const enum kind mix[] = {TCP, UDP53, ICMP, TCP, ARP, UDP53, TCP, IPV6, UDP123, TCP, ICMP, UDP53, TCP};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void ipv4(uint8_t *p, uint8_t proto, uint16_t total, uint8_t host)
{
	p[0] = 0x45;
	put16(p + 2, total);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, "\x0a\x00\x00\x01", 4);
	memcpy(p + 16, "\x0a\x00\x00", 3);
	p[19] = host;
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(p + 10, (uint16_t)~sum);
}

/* Frame number `seq` of kind k (nth of its kind) into f; returns its length. */
static uint32_t frame(uint8_t *f, enum kind k, int nth, int seq)
{
	uint32_t len = 0, pay;
	memset(f, 0, 256);
	memcpy(f, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	switch (k) {
	case TCP:
		pay = 10u * (uint32_t)nth;
		len = 14 + 20 + 20 + pay;
		put16(f + 12, 0x0800);
		ipv4(f + 14, 6, (uint16_t)(len - 14), 2);
		put16(f + 34, (uint16_t)(40000 + seq));
		put16(f + 36, 80);
		f[46] = 0x50;
		f[47] = 0x02; /* SYN */
		break;
	case UDP53:
	case UDP123:
		pay = k == UDP53 ? 20 + 10u * (uint32_t)nth : 48;
		len = 14 + 20 + 8 + pay;
		put16(f + 12, 0x0800);
		ipv4(f + 14, 17, (uint16_t)(len - 14), 3);
		put16(f + 34, (uint16_t)(50000 + seq));
		put16(f + 36, k == UDP53 ? 53 : 123);
		put16(f + 38, (uint16_t)(8 + pay));
		break;
	case ICMP:
		len = 14 + 20 + 8 + 56;
		put16(f + 12, 0x0800);
		ipv4(f + 14, 1, (uint16_t)(len - 14), 4);
		f[34] = 8; /* echo request */
		put16(f + 40, (uint16_t)seq);
		break;
	case ARP:
		len = 42;
		memset(f, 0xff, 6);
		put16(f + 12, 0x0806);
		put16(f + 14, 1);
		put16(f + 16, 0x0800);
		f[18] = 6;
		f[19] = 4;
		put16(f + 20, 1);
		memcpy(f + 22, "\x02\x00\x00\x00\x00\x01\x0a\x00\x00\x01", 10);
		memcpy(f + 38, "\x0a\x00\x00\x02", 4);
		break;
	case IPV6:
		len = 14 + 40 + 8 + 20;
		put16(f + 12, 0x86dd);
		f[14] = 0x60;
		put16(f + 18, 8 + 20);
		f[20] = 17;
		f[21] = 64;
		f[22] = 0xfd;
		f[37] = 1;
		f[38] = 0xfd;
		f[53] = 2;
		put16(f + 54, 50000);
		put16(f + 56, 53);
		put16(f + 58, 8 + 20);
		break;
	}
	for (uint32_t i = len - 4; i < len && k != ARP; i++)
		f[i] = (uint8_t)(0xa0 + seq); /* the frame's number at its end */
	return len;
}

int main(int argc, char **argv)
{
	const char *out;
	long n = (long)NMIX;
	int dlt = DLT_EN10MB;

	if (argc == 3 && (!strcmp(argv[1], "mix") || !strcmp(argv[1], "raw"))) {
		out = argv[2];
		if (!strcmp(argv[1], "raw")) {
			dlt = DLT_RAW;
			n = 1;
		}
	} else if (argc == 4 && !strcmp(argv[1], "big")) {
		n = atol(argv[2]);
		out = argv[3];
	} else {
		fprintf(stderr, "usage: mkpcap mix OUT | big N OUT | raw OUT\n");
		return 2;
	}
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, out) : NULL;
	if (!d) {
		fprintf(stderr, "mkpcap: %s: %s\n", out, dead ? pcap_geterr(dead) : "out of memory");
		return 1;
	}
	int nth[6] = {0};
	uint8_t f[256];
	for (long i = 0; i < n; i++) {
		enum kind k = mix[i % (long)NMIX];
		if (i % (long)NMIX == 0)
			memset(nth, 0, sizeof(nth));
		uint32_t len = frame(f, k, nth[k]++, (int)(i % 64));
		struct pcap_pkthdr h;
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + i;
		h.ts.tv_usec = (suseconds_t)(1000 * (i % 1000000) + 7); /* nanoseconds in a nano pcap */
		h.caplen = h.len = len;
		const uint8_t *data = f;
		if (dlt == DLT_RAW) {
			data = f + 14;
			h.caplen = h.len = len - 14;
		}
		pcap_dump((u_char *)d, &h, data);
	}
	if (pcap_dump_flush(d)) {
		fprintf(stderr, "mkpcap: %s: write failed\n", out);
		return 1;
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}
