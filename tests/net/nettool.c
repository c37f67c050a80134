/*
 * nettool.c - the live-capture test's two halves, built by tests/net/test_live.sh against libuserbpf:
 *   nettool send IFACE N [VLAN]   send N Ethernet frames (ethertype 0x88b5, payload "ubpf" + index,
 *                                 60 bytes) out of IFACE through AF_PACKET, VLAN-tagged when VLAN is given
 *   nettool capture IFACE N MS    net_src_open_live on IFACE; print "ready", then one line per frame
 *                                 of ethertype 0x88b5 seen (up to N, or until MS milliseconds pass):
 *                                 "pkt IDX ifindex=I caplen=C wire=W vlan=T/P"; then "drops=D count=K"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "net/net.h"

#define TEST_ETHERTYPE 0x88b5

static int do_send(const char *ifname, int n, int vlan)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll;
	uint8_t f[64];

	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = ETH_ALEN;
	memset(sll.sll_addr, 0xff, ETH_ALEN);
	for (int i = 0; i < n; i++) {
		size_t off = 12, len = 60;
		memset(f, 0, sizeof(f));
		memset(f, 0xff, 6);				   /* broadcast */
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6); /* locally administered source */
		if (vlan >= 0) {
			f[12] = 0x81, f[13] = 0x00;
			f[14] = (uint8_t)(vlan >> 8), f[15] = (uint8_t)vlan;
			off = 16;
			len = 64;
		}
		f[off] = TEST_ETHERTYPE >> 8, f[off + 1] = TEST_ETHERTYPE & 0xff;
		memcpy(f + off + 2, "ubpf", 4);
		f[off + 6] = (uint8_t)i;
		if (sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len) {
			perror("sendto");
			return 1;
		}
	}
	close(fd);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int do_capture(const char *ifname, int want, int ms)
{
	char err[256] = "";
	struct net_live_opts o = {.timeout_ms = 20, .block_size = 1u << 16, .block_nr = 4};
	struct net_src *src = net_src_open_live(ifname, &o, err, sizeof(err));
	struct net_pkt pkts[32];
	double end = now_ms() + ms;
	int seen = 0;

	if (!src) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (seen < want && now_ms() < end) {
		int r = net_src_next(src, pkts, 32, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "%s\n", err);
			net_src_close(src);
			return 1;
		}
		for (int i = 0; i < r; i++) {
			const uint8_t *d = pkts[i].data;
			if (pkts[i].caplen < 21 || d[12] != TEST_ETHERTYPE >> 8 || d[13] != (TEST_ETHERTYPE & 0xff) ||
			    memcmp(d + 14, "ubpf", 4))
				continue;
			printf("pkt %u ifindex=%u caplen=%u wire=%u vlan=%u/0x%x\n", d[18], pkts[i].meta.ifindex,
			       pkts[i].caplen, pkts[i].meta.wire_len, pkts[i].meta.vlan_tci,
			       pkts[i].meta.vlan_proto);
			seen++;
		}
	}
	printf("drops=%llu count=%s\n", (unsigned long long)net_src_drops(src),
	       net_src_count(src) >= (uint64_t)seen ? "ok" : "short");
	net_src_close(src);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : -1);
	if (argc == 5 && strcmp(argv[1], "capture") == 0)
		return do_capture(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: nettool send IFACE N [VLAN] | capture IFACE N MS\n");
	return 2;
}
