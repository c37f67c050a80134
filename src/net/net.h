/*
 * net.h - traffic in and out for packet programs (libpcap and AF_PACKET): capture files (pcap and
 * pcapng) read in batches, live interfaces (AF_PACKET with a TPACKET_V3 ring, observe-only), and
 * pcap files written. Part of libuserbpf but not of its embeddable core (it needs libpcap). Not
 * installed; the CLI's run, filter and monitor commands and the benchmarks use it.
 *
 * Errors: 0/-errno or NULL + errno, with one line in the caller's err buffer naming the file or
 * interface and, for a damaged capture, how many packets were read before the damage:
 * "cap.pcap: truncated packet record after 1234 packets".
 */
#ifndef USERBPF_NET_H
#define USERBPF_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userbpf/packet.h"

/* DLT_EN10MB: the only link type packet programs see (others are refused with their name). */
#define NET_LINKTYPE_ETHERNET 1

/** One packet: its bytes (valid until the next net_src_next on the same source) and its metadata. */
struct net_pkt {
	const uint8_t *data;
	uint32_t caplen;
	struct userbpf_pkt_meta meta; /* meta.tstamp_ns, meta.wire_len, meta.ifindex, vlan ... */
};

struct net_src;

/** Open a pcap or pcapng file ("-" for stdin). NULL + errno; err names the file and the reason. */
struct net_src *net_src_open_file(const char *path, char *err, size_t err_size);

struct net_live_opts {
	uint32_t snaplen;      /* 0: 65535 */
	uint32_t block_size;   /* TPACKET_V3 block size (0: 1 MiB) */
	uint32_t block_nr;     /* blocks in the ring (0: 8) */
	uint32_t timeout_ms;   /* block retire timeout (0: 100) */
	bool promisc;
};

/** Capture on a live interface (AF_PACKET, TPACKET_V3 ring, needs CAP_NET_RAW). NULL + errno. */
struct net_src *net_src_open_live(const char *ifname, const struct net_live_opts *opts, char *err,
				  size_t err_size);

/**
 * Up to `max` packets into `pkts`. Returns the count (> 0), 0 at the end of a file (or when a live
 * source's wait of timeout_ms found nothing: check net_src_is_live), or -errno with err set, e.g. a
 * truncated or corrupt capture: -EIO, "cap.pcap: truncated packet record after 1234 packets".
 * The good packets before the damage are delivered first and the error comes with the next call,
 * so its count is what the caller has seen. Packets of the previous call are released by this call.
 */
int net_src_next(struct net_src *src, struct net_pkt *pkts, size_t max, char *err, size_t err_size);
bool net_src_is_live(const struct net_src *src);
/** Packets delivered so far. */
uint64_t net_src_count(const struct net_src *src);
/** Live sources: packets the kernel dropped because the ring was full. */
uint64_t net_src_drops(const struct net_src *src);
/** Interrupt a live source's wait from a signal handler (net_src_next then returns 0). */
void net_src_break(struct net_src *src);
void net_src_close(struct net_src *src);

/** A whole capture held in memory (for benchmarks and kernel comparison). */
struct net_capture {
	struct userbpf_pkt *pkts; /* pkts[i].data point into `bytes` */
	size_t n;
	uint8_t *bytes;
};
/** Read all of a capture file into memory. 0 or -errno with err set. */
int net_capture_load(const char *path, struct net_capture *cap, char *err, size_t err_size);
void net_capture_free(struct net_capture *cap);

struct net_sink;

/** Create (truncate) a pcap file for Ethernet frames, readable by tcpdump and tshark. NULL + errno. */
struct net_sink *net_sink_open(const char *path, uint32_t snaplen, char *err, size_t err_size);
/** Append one frame with its timestamp and wire length (wire_len 0: len). 0 or -errno. */
int net_sink_write(struct net_sink *sink, const void *data, uint32_t len, uint64_t tstamp_ns,
		   uint32_t wire_len);
/** Flush and close; 0 or -errno (a failed flush is reported, never lost silently). */
int net_sink_close(struct net_sink *sink);

/* Internal to src/net: format one error line into err (NULL or size 0: nothing). */
void net_errf(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* USERBPF_NET_H */
