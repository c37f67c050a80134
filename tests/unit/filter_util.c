/*
 * filter_util.c - test expressions and libpcap helpers for the tcpdump-filter tests (filter_util.h).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_util.h"

const char *const filter_exprs[] = {
	"",
	"ip",
	"ip6",
	"arp",
	"tcp",
	"udp",
	"icmp",
	"icmp6",
	"sctp",
	"host 10.0.0.1",
	"src host 10.0.0.2",
	"dst host 192.168.1.1",
	"net 10.0.0.0/8",
	"net 192.168.0.0 mask 255.255.0.0",
	"src net 172.16.0.0/12",
	"port 80",
	"tcp port 443",
	"udp port 53",
	"src port 22",
	"dst port 8080",
	"portrange 1000-2000",
	"tcp portrange 1-1023",
	"tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"tcp[tcpflags] & tcp-rst != 0 or tcp[tcpflags] & tcp-fin != 0",
	"ip[2:2] > 100",
	"ip[8] < 64",
	"ip[6:2] & 0x1fff != 0",
	"ip[0] & 0xf > 5",
	"vlan",
	"vlan 100",
	"vlan and ip",
	"vlan and vlan",
	"vlan 100 and udp port 53",
	"vlan and ip6",
	"ether host 02:00:00:00:00:01",
	"ether src 02:00:00:00:00:02",
	"ether dst ff:ff:ff:ff:ff:ff",
	"broadcast",
	"multicast",
	"ether multicast",
	"ip multicast",
	"len > 100",
	"len <= 64",
	"greater 200",
	"less 100",
	"ip proto \\udp",
	"ip proto 47",
	"ip6 proto 17",
	"udp port 53 and not src net 10.0.0.0/8",
	"tcp and (port 80 or port 443)",
	"not tcp and not udp",
	"host 10.0.0.1 and (tcp or icmp)",
	"ip6 host fe80::1",
	"ip6 net 2001:db8::/32",
	"ip6 and tcp port 80",
	"icmp[icmptype] == icmp-echo",
	"icmp[0] == 8 or icmp[0] == 0",
	"udp[8:2] == 0x1234",
	"tcp[13] == 2",
	"ether proto 0x88cc",
	"ether[12:2] == 0x0800",
	"arp host 10.0.0.1",
	"ip and ip[9] == 6 and tcp dst port 22",
	"ip src 10.0.0.1 or ip dst 10.0.0.1",
	"ip6 and udp dst port 53",
	"tcp src portrange 1024-65535 and tcp dst port 80",
	"ip[12:4] = 0x0a000001",
	"ip6[6] == 17",
	"(ip or ip6) and udp",
	"ip and ip[6] & 0x20 != 0",
	"sctp dst port 2905",
	"udp and udp[4:2] > 100",
	"ip[1] & 0xfc == 0xb8",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"len == 60 or len >= 1000",
	"not ip and not ip6 and not arp",
	"icmp6 and ip6[40] == 128",
	"ip[2:2] - ((ip[0] & 0xf) << 2) > 40",
	"ip[2:2] / 4 > 30 and ip[2:2] % 7 == 3",
	"tcp[0:2] * 3 + 1 > 200 and tcp[2:2] ^ 0xffff != 0",
	"ether[0] & 1 = 0 and ether[6:4] != 0",
	"vlan 200 and vlan",
};
const size_t filter_nr_exprs = sizeof(filter_exprs) / sizeof(filter_exprs[0]);

int filter_compile(const char *expr, struct filter_prog *fp, char *err, size_t err_size)
{
	memset(fp, 0, sizeof(*fp));
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	struct bpf_program *bp = calloc(1, sizeof(*bp));
	if (!p || !bp) {
		if (p)
			pcap_close(p);
		free(bp);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(p, bp, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, err_size, "%s", pcap_geterr(p));
		pcap_close(p);
		free(bp);
		return -EINVAL;
	}
	pcap_close(p);
	_Static_assert(sizeof(struct bpf_insn) == sizeof(struct userbpf_cbpf_insn), "classic insn layout");
	fp->bpf = bp;
	fp->insns = (struct userbpf_cbpf_insn *)bp->bf_insns;
	fp->cnt = bp->bf_len;
	return 0;
}

void filter_free(struct filter_prog *fp)
{
	if (fp->bpf) {
		pcap_freecode(fp->bpf);
		free(fp->bpf);
	}
	memset(fp, 0, sizeof(*fp));
}

int filter_ref(const struct filter_prog *fp, const void *data, uint32_t caplen, uint32_t wirelen)
{
	struct pcap_pkthdr h = {.caplen = caplen, .len = wirelen};
	return pcap_offline_filter(fp->bpf, &h, data);
}
