/*
 * sink.c - pcap files written through libpcap (pcap_open_dead + pcap_dump_open): Ethernet frames
 * with nanosecond timestamps (magic a1b23c4d, which tcpdump and tshark read), so the timestamps of
 * the capture read come out unchanged. Write errors are caught from the stream's error flag and at
 * the final flush, never lost.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "net/net.h"

struct net_sink {
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint32_t snaplen;
	int err; /* first write error (-errno) */
};

struct net_sink *net_sink_open(const char *path, uint32_t snaplen, char *err, size_t err_size)
{
	struct net_sink *s;
	int e;

	if (!path || !*path) {
		net_errf(err, err_size, "empty output file name");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		net_errf(err, err_size, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	s->snaplen = snaplen ? snaplen : 65535;
	s->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)s->snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (!s->dead) {
		free(s);
		net_errf(err, err_size, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	s->dump = pcap_dump_open(s->dead, path);
	if (!s->dump) {
		e = errno ? errno : EIO;
		net_errf(err, err_size, "%s: cannot create it: %s", path, strerror(e));
		pcap_close(s->dead);
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

int net_sink_write(struct net_sink *s, const void *data, uint32_t len, uint64_t tstamp_ns, uint32_t wire_len)
{
	struct pcap_pkthdr h;

	if (!s)
		return -EINVAL;
	if (s->err)
		return s->err;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(tstamp_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(tstamp_ns % 1000000000ull); /* nanoseconds: a nanosecond file */
	h.caplen = len < s->snaplen ? len : s->snaplen;
	h.len = wire_len && wire_len >= len ? wire_len : len;
	pcap_dump((u_char *)s->dump, &h, data);
	if (ferror(pcap_dump_file(s->dump))) {
		s->err = errno ? -errno : -EIO;
		return s->err;
	}
	return 0;
}

int net_sink_close(struct net_sink *s)
{
	int err;

	if (!s)
		return 0;
	err = s->err;
	errno = 0;
	if (pcap_dump_flush(s->dump) != 0 || ferror(pcap_dump_file(s->dump))) {
		if (!err)
			err = errno ? -errno : -EIO;
	}
	/* After a good flush, pcap_dump_close's fclose writes nothing more. */
	pcap_dump_close(s->dump);
	pcap_close(s->dead);
	free(s);
	return err;
}
