/*
 * live.c - live capture on an interface: an AF_PACKET socket with a TPACKET_V3 ring mapped into
 * user space. The kernel fills blocks of packets and hands a block over when it is full or when
 * its retire timeout expires; we walk the packets of user-owned blocks in place (no copy, no
 * syscall per packet) and give a block back once every packet of it was delivered and the next
 * call came. A VLAN tag the kernel stripped comes from the packet header (tp_vlan_tci/tpid), drops
 * from PACKET_STATISTICS. Observe-only: the packets go on to the stack whatever the program says.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "live.h"

struct net_live {
	char name[IF_NAMESIZE];
	int fd;
	int wake_fd; /* eventfd written by net_live_break */
	volatile sig_atomic_t stop;
	unsigned int ifindex;
	uint32_t snaplen;
	int timeout_ms;
	uint8_t *ring;
	size_t ring_size;
	uint32_t block_size, block_nr;
	/* Where we are: the block being read, the next packet in it and how many are left. */
	uint32_t cur;
	bool in_block;
	const uint8_t *next_pkt;
	uint32_t left;
	/* Blocks whose packets were all delivered, given back at the next call. */
	bool release_pending;
	uint32_t release_from, release_cnt;
	uint64_t drops;
};

static struct tpacket_block_desc *block(const struct net_live *l, uint32_t i)
{
	return (struct tpacket_block_desc *)(void *)(l->ring + (size_t)i * l->block_size);
}

/* Link types whose frames start with an Ethernet header. */
static int check_link(struct net_live *l, char *err, size_t err_size)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->name);
	if (ioctl(l->fd, SIOCGIFHWADDR, &ifr) < 0) {
		int e = errno;
		net_errf(err, err_size, "%s: cannot read its link type: %s", l->name, strerror(e));
		return -e;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK: /* frames with an all-zero Ethernet header */
		return 0;
	case ARPHRD_NONE:
		net_errf(err, err_size, "%s: link type NONE (no link-layer header, e.g. a tun device) is not "
				       "Ethernet: packet programs need Ethernet frames",
			l->name);
		return -EPROTONOSUPPORT;
	default:
		net_errf(err, err_size, "%s: link type ARPHRD %u is not Ethernet: packet programs need Ethernet "
				       "frames",
			l->name, (unsigned)ifr.ifr_hwaddr.sa_family);
		return -EPROTONOSUPPORT;
	}
}

struct net_live *net_live_open(const char *ifname, const struct net_live_opts *opts, char *err,
			       size_t err_size)
{
	struct net_live_opts o = {0};
	struct net_live *l;
	int e;

	if (opts)
		o = *opts;
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
		net_errf(err, err_size, "'%s': not an interface name", ifname ? ifname : "");
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		net_errf(err, err_size, "%s: out of memory", ifname);
		errno = ENOMEM;
		return NULL;
	}
	l->fd = l->wake_fd = -1;
	l->ring = MAP_FAILED;
	snprintf(l->name, sizeof(l->name), "%s", ifname);
	l->snaplen = o.snaplen ? o.snaplen : 65535;
	l->block_size = o.block_size ? o.block_size : 1u << 20;
	l->block_nr = o.block_nr ? o.block_nr : 8;
	l->timeout_ms = o.timeout_ms ? (int)o.timeout_ms : 100;
	if (o.timeout_ms > 60000 || l->block_size % (uint32_t)getpagesize() || l->block_size > 1u << 28 ||
	    l->block_nr > 4096) {
		net_errf(err, err_size, "%s: bad ring geometry (block size a multiple of the page size up to "
				       "256 MiB, at most 4096 blocks, timeout up to 60 s)",
			ifname);
		e = EINVAL;
		goto fail;
	}
	l->ifindex = if_nametoindex(ifname);
	if (!l->ifindex) {
		e = errno == ENODEV || errno == ENXIO ? ENODEV : errno;
		net_errf(err, err_size, "%s: no such interface", ifname);
		goto fail;
	}
	l->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (l->fd < 0) {
		e = errno;
		net_errf(err, err_size, "%s: cannot open a packet socket: %s%s", ifname, strerror(e),
			e == EPERM ? " (live capture needs CAP_NET_RAW)" : "");
		goto fail;
	}
	e = -check_link(l, err, err_size);
	if (e)
		goto fail;
	int v = TPACKET_V3;
	if (setsockopt(l->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		e = errno;
		net_errf(err, err_size, "%s: TPACKET_V3 refused: %s", ifname, strerror(e));
		goto fail;
	}
	struct tpacket_req3 req;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = l->block_size;
	req.tp_block_nr = l->block_nr;
	req.tp_frame_size = 2048; /* V3 packs packets of any size; frames only bound the count */
	req.tp_frame_nr = (uint32_t)((uint64_t)l->block_size * l->block_nr / req.tp_frame_size);
	req.tp_retire_blk_tov = (unsigned int)l->timeout_ms;
	req.tp_feature_req_word = TP_FT_REQ_FILL_RXHASH;
	if (setsockopt(l->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		e = errno;
		net_errf(err, err_size, "%s: cannot set up the receive ring (%u blocks of %u bytes): %s", ifname,
			l->block_nr, l->block_size, strerror(e));
		goto fail;
	}
	l->ring_size = (size_t)l->block_size * l->block_nr;
	l->ring = mmap(NULL, l->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, l->fd, 0);
	if (l->ring == MAP_FAILED) /* MAP_LOCKED may be refused under RLIMIT_MEMLOCK */
		l->ring = mmap(NULL, l->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd, 0);
	if (l->ring == MAP_FAILED) {
		e = errno;
		net_errf(err, err_size, "%s: cannot map the receive ring: %s", ifname, strerror(e));
		goto fail;
	}
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)l->ifindex;
	if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		e = errno;
		net_errf(err, err_size, "%s: cannot bind the packet socket: %s", ifname, strerror(e));
		goto fail;
	}
	if (o.promisc) {
		struct packet_mreq mr;
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = (int)l->ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(l->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			e = errno;
			net_errf(err, err_size, "%s: cannot enter promiscuous mode: %s", ifname, strerror(e));
			goto fail;
		}
	}
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0) {
		e = errno;
		net_errf(err, err_size, "%s: eventfd: %s", ifname, strerror(e));
		goto fail;
	}
	return l;
fail:
	net_live_close(l);
	errno = e;
	return NULL;
}

/* Give back the blocks fully delivered by the previous call. */
static void release_blocks(struct net_live *l)
{
	if (!l->release_pending)
		return;
	for (uint32_t i = 0; i < l->release_cnt; i++) {
		struct tpacket_block_desc *b = block(l, (l->release_from + i) % l->block_nr);
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	}
	l->release_pending = false;
	l->release_cnt = 0;
}

static void mark_done(struct net_live *l, uint32_t idx)
{
	if (!l->release_pending) {
		l->release_pending = true;
		l->release_from = idx;
		l->release_cnt = 0;
	}
	l->release_cnt++;
}

/* Start on block `cur` if the kernel handed it over. */
static bool enter_block(struct net_live *l)
{
	struct tpacket_block_desc *b = block(l, l->cur);
	if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return false;
	l->in_block = true;
	l->left = b->hdr.bh1.num_pkts;
	l->next_pkt = (const uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
	return true;
}

int net_live_next(struct net_live *l, struct net_pkt *pkts, size_t max, char *err, size_t err_size)
{
	size_t n = 0;

	release_blocks(l);
	while (n < max) {
		if (l->stop)
			break;
		if (!l->in_block && !enter_block(l)) {
			if (n)
				break;
			struct pollfd pfd[2] = {{.fd = l->fd, .events = POLLIN | POLLERR},
						{.fd = l->wake_fd, .events = POLLIN}};
			int r = poll(pfd, 2, l->timeout_ms);
			if (r < 0) {
				if (errno == EINTR)
					return 0;
				int e = errno;
				net_errf(err, err_size, "%s: poll: %s", l->name, strerror(e));
				return -e;
			}
			if (pfd[0].revents & POLLERR) {
				int e = 0;
				socklen_t len = sizeof(e);
				getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &len);
				if (e == ENETDOWN || e == ENODEV || e == ENXIO) {
					net_errf(err, err_size, "%s: interface went away: %s", l->name, strerror(e));
					return -e;
				}
			}
			if (r == 0 || l->stop || !enter_block(l))
				return 0;
		}
		while (l->left && n < max) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(const void *)l->next_pkt;
			struct net_pkt *p = &pkts[n++];
			memset(p, 0, sizeof(*p));
			p->data = l->next_pkt + h->tp_mac;
			p->caplen = h->tp_snaplen < l->snaplen ? h->tp_snaplen : l->snaplen;
			p->meta.wire_len = h->tp_len;
			p->meta.tstamp_ns = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
			p->meta.ifindex = l->ifindex;
			p->meta.hash = h->hv1.tp_rxhash;
			if (h->tp_status & TP_STATUS_VLAN_VALID) {
				p->meta.vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
				p->meta.vlan_proto = (h->tp_status & TP_STATUS_VLAN_TPID_VALID)
							 ? (uint16_t)h->hv1.tp_vlan_tpid
							 : ETH_P_8021Q;
			}
			l->left--;
			l->next_pkt += h->tp_next_offset;
		}
		if (!l->left) {
			mark_done(l, l->cur);
			l->in_block = false;
			l->cur = (l->cur + 1) % l->block_nr;
		}
	}
	return (int)n;
}

uint64_t net_live_drops(struct net_live *l)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);
	memset(&st, 0, sizeof(st));
	/* Reading the statistics resets them: keep the sum. */
	if (getsockopt(l->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		l->drops += st.tp_drops;
	return l->drops;
}

/* From a signal handler: only a flag and write(2), both async-signal-safe. */
void net_live_break(struct net_live *l)
{
	uint64_t one = 1;
	l->stop = 1;
	if (l->wake_fd >= 0) {
		ssize_t r = write(l->wake_fd, &one, sizeof(one));
		(void)r;
	}
}

void net_live_close(struct net_live *l)
{
	if (!l)
		return;
	if (l->ring != MAP_FAILED)
		munmap(l->ring, l->ring_size);
	if (l->fd >= 0)
		close(l->fd);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	free(l);
}
