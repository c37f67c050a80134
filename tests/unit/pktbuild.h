/*
 * pktbuild.h - test packets for the packet runner tests and the kernel comparison: Ethernet frames
 * carrying IPv4/IPv6 with TCP/UDP, optionally 802.1Q-tagged, with correct IPv4 header checksums,
 * built byte by byte into a caller's buffer.
 */
#ifndef USERBPF_TEST_PKTBUILD_H
#define USERBPF_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>

struct pb_opts {
	const uint8_t *dst; /* NULL: 00:00:00:00:00:00 (the loopback device's address) */
	int vlan;	    /* >= 0: an 802.1Q tag with this TCI */
	int ipv6;
	int proto;	    /* 6 (TCP) or 17 (UDP) */
	uint16_t sport, dport;
	uint32_t payload;   /* bytes of payload (a counting pattern) */
};

static inline void pb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build the frame into buf; returns its length. buf must hold 14 + 4 + 40 + 20 + payload bytes. */
static inline uint32_t pb_build(uint8_t *buf, const struct pb_opts *o)
{
	static const uint8_t zero[6];
	static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	uint8_t *p = buf;
	memcpy(p, o->dst ? o->dst : zero, 6);
	memcpy(p + 6, src, 6);
	p += 12;
	if (o->vlan >= 0) {
		pb_put16(p, 0x8100);
		pb_put16(p + 2, (uint16_t)o->vlan);
		p += 4;
	}
	pb_put16(p, o->ipv6 ? 0x86dd : 0x0800);
	p += 2;
	uint32_t l4len = (o->proto == 6 ? 20 : 8) + o->payload;
	uint8_t *ip = p;
	if (o->ipv6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		pb_put16(ip + 4, (uint16_t)l4len);
		ip[6] = (uint8_t)o->proto;
		ip[7] = 64;
		ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
		ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
		p += 40;
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		pb_put16(ip + 2, (uint16_t)(20 + l4len));
		pb_put16(ip + 4, 0x1234);
		ip[8] = 64;
		ip[9] = (uint8_t)o->proto;
		ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
		ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 2;
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		pb_put16(ip + 10, (uint16_t)~sum);
		p += 20;
	}
	pb_put16(p, o->sport);
	pb_put16(p + 2, o->dport);
	if (o->proto == 6) {
		memset(p + 4, 0, 16);
		p[12] = 0x50;
		p[13] = 0x02; /* SYN */
		pb_put16(p + 14, 1024);
		p += 20;
	} else {
		pb_put16(p + 4, (uint16_t)l4len);
		pb_put16(p + 6, 0);
		p += 8;
	}
	for (uint32_t i = 0; i < o->payload; i++)
		*p++ = (uint8_t)i;
	return (uint32_t)(p - buf);
}

/* A UDP/IPv4 frame to the loopback address with `payload` bytes. */
static inline uint32_t pb_udp4(uint8_t *buf, uint32_t payload)
{
	struct pb_opts o = {.vlan = -1, .proto = 17, .sport = 1000, .dport = 53, .payload = payload};
	return pb_build(buf, &o);
}

#endif /* USERBPF_TEST_PKTBUILD_H */
